"""``python -m engine check``: verify the workspace and repair manifests (engine.check)."""
from __future__ import annotations

import argparse

from engine.cli import add_json_flag, emit


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("check", help="Verify the workspace after a crash; repair manifests, remove debris.")
    p.add_argument("--dry-run", action="store_true", help="Report only; change nothing.")
    add_json_flag(p)
    p.set_defaults(handler=cmd_check)


def cmd_check(args: argparse.Namespace) -> int:
    from engine.check import check_workspace
    from engine.store import Store

    report = check_workspace(Store.open_default(args.workspace).root, repair=not args.dry_run)
    emit(args, report, lambda r: "\n".join(
        [f"Workspace {r['workspace']}: " + ("consistent." if r["ok"] else f"{len(r['problems'])} problem(s).")]
        + [f"  repaired: {line}" for line in r["repaired"]] + [f"  problem: {line}" for line in r["problems"]]))
    return 0 if report["ok"] else 1
