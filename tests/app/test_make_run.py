"""`make run` starts the app the way issue 8 §2.17 and issue 15 §2 ask: no file watcher, heavy
imports paid before the server answers, and the server really starts that way."""
from __future__ import annotations

import shlex
import subprocess
import urllib.request

from tests.conftest import ROOT


def _run_command() -> list[str]:
    out = subprocess.run(["make", "-n", "run"], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    lines = [line for line in out.splitlines() if " run app.py" in line]
    assert len(lines) == 1, out
    return shlex.split(lines[0])


def test_make_run_turns_the_file_watcher_off():
    command = _run_command()
    assert command[command.index("--server.fileWatcherType") + 1] == "none"


def test_make_run_imports_the_libraries_before_the_server_answers(store):
    from tests.browser.conftest import server_log, streamlit_server

    command = _run_command()
    launcher = command[1:command.index("run") + 1]  # `-m components.launch run`, with this interpreter
    assert launcher == ["-m", "components.launch", "run"]
    with streamlit_server(store.root, how=tuple(launcher)) as url:
        assert urllib.request.urlopen(f"{url}/_stcore/health", timeout=5).read() == b"ok"
        text = server_log(url).read_text()
    # the launcher's line comes before Streamlit's own "You can now view" banner
    assert "libraries imported" in text
    assert text.index("libraries imported") < text.index("You can now view")
