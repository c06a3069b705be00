"""What a browser can read off a Streamlit page about the script's state; shared by the bench scripts
and the browser tests (`from bench.streamlit_dom import APP_IDLE`; bench scripts put the project
root on sys.path).

Streamlit marks its root element with the script's state (`data-test-script-state`, what its own
end-to-end tests read) and marks what a running script has not redrawn yet with `data-stale`. The
toolbar's "Running…" widget (stStatusWidget), read here before, is no signal: a probe of a 10-s Bias
run never saw it, so waiting for its absence returned at once and the tests raced the script.
"""
from __future__ import annotations

# connected, and no script or fragment running or requested
APP_IDLE = ("[data-testid='stApp'][data-test-connection-state='CONNECTED']"
            "[data-test-script-state='notRunning']")
# a JavaScript expression: true when no script or fragment is running (for conditions that add their own)
APP_IDLE_JS = f"!!document.querySelector(\"{APP_IDLE}\")"
# a JavaScript expression: true when the page shows only what the last run drew
APP_IDLE_AND_NOTHING_STALE_JS = f"{APP_IDLE_JS} && !document.querySelector('[data-stale=\"true\"]')"
