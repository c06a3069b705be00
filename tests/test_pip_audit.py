"""pip-audit over the pinned requirements, as a report in every test run (issue 12, step 7).

Advisories never fail the build (one published after a pin is a reason to upgrade): each is shown
as a warning in pytest's summary, unless security/pip-audit-allowlist.txt lists it with a reason.
When the advisory service cannot be reached (offline machines, CI without network) the report is
skipped with a message saying so, within seconds (short socket timeout).
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import warnings

import pytest

from tests.conftest import ROOT

ALLOWLIST = ROOT / "security" / "pip-audit-allowlist.txt"
SOCKET_TIMEOUT = 5  # seconds per request: an unreachable service is reported fast
_UNREACHABLE = ("ConnectionError", "NameResolutionError", "Max retries exceeded", "ConnectTimeout",
                "ReadTimeout", "Temporary failure in name resolution", "Connection refused")


def allowlist() -> dict[str, str]:
    """{advisory id: reason}; a line without a reason is an error (the file says why each is safe)."""
    entries = {}
    for number, line in enumerate(ALLOWLIST.read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split(None, 2)
        if len(parts) < 3 or not re.search(r"checked \d{4}-\d{2}-\d{2}", parts[2]):
            raise ValueError(f"{ALLOWLIST.name}:{number}: write '<id> <package> <reason> (checked YYYY-MM-DD)'")
        entries[parts[0]] = parts[2]
    return entries


def run_audit(*extra: str) -> tuple[str, dict | None, float]:
    """("ok" | "unreachable: …" | "none audited: …", the JSON report, seconds)."""
    ignores = [arg for vuln in allowlist() for arg in ("--ignore-vuln", vuln)]
    command = [sys.executable, "-m", "pip_audit", "-r", str(ROOT / "requirements.txt"), "--no-deps", "--disable-pip",
               "--timeout", str(SOCKET_TIMEOUT), "--progress-spinner", "off", "-f", "json", *ignores, *extra]
    start = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return "unreachable: no answer within 120 s", None, time.perf_counter() - start
    seconds = time.perf_counter() - start
    if any(marker in done.stderr for marker in _UNREACHABLE):
        last = done.stderr.strip().splitlines()[-1][:200] if done.stderr.strip() else ""
        return f"unreachable: {last}", None, seconds
    assert done.returncode in (0, 1), done.stderr[-2000:]  # 1 = advisories found; anything else is a real error
    report = json.loads(done.stdout)
    skipped = [d for d in report["dependencies"] if "skip_reason" in d]
    if report["dependencies"] and len(skipped) == len(report["dependencies"]):
        return (f"none audited: the advisory service answered for none of the {len(skipped)} pinned packages "
                f"(e.g. {skipped[0]['skip_reason']})"), report, seconds
    return "ok", report, seconds


def _pinned() -> set[str]:
    names = set()
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[=<>!~\[; ]", line, maxsplit=1)[0].lower().replace("_", "-"))
    return names


def test_allowlist_is_well_formed():
    entries = allowlist()
    assert all(reason for reason in entries.values())


def test_pip_audit_report_over_pinned_requirements():
    status, report, seconds = run_audit()
    if status != "ok":
        pytest.skip(f"pip-audit report skipped after {seconds:.1f} s: advisory service {status}")
    assert report is not None
    audited = {d["name"].lower().replace("_", "-") for d in report["dependencies"]}
    assert _pinned() <= audited, f"pip-audit did not read every pin: {sorted(_pinned() - audited)}"
    for dependency in report["dependencies"]:
        for vuln in dependency.get("vulns", []):
            fixed = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
            warnings.warn(f"pip-audit: {dependency['name']}=={dependency.get('version')} {vuln['id']} (fixed in {fixed}); "
                          "upgrade the pin, or list it in security/pip-audit-allowlist.txt with a reason",
                          stacklevel=1)


def test_an_unreachable_service_is_detected_fast():
    """The skip path itself: a service on a closed local port is reported as unreachable within seconds."""
    status, report, seconds = run_audit("-s", "osv", "--osv-url", "http://127.0.0.1:9/v1/query")
    assert status.startswith("unreachable") and report is None, status
    assert seconds < 30
