"""Opening a page under AppTest the way a user arrives: home first, then the page, with the
session state earlier pages would have set (one AppTest instance tests one page)."""
from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest

from components import state
from tests.conftest import ROOT


def open_page(page: str, corpus_id: str, model_ids: tuple[str, ...], **session: Any) -> AppTest:
    """Run app.py with the given corpus, models and extra session keys, then switch to ``page``."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)  # absolute path: STYLE.md D2
    at.session_state[state.CORPUS_ID] = corpus_id
    at.session_state[state.MODEL_IDS] = model_ids
    for key, value in session.items():
        at.session_state[key] = value
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at
