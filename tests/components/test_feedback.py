"""components.feedback: escaping of user text and error display."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from components.feedback import escape_markdown


def test_escape_markdown_neutralises_images_emphasis_math_and_keeps_backslashes():
    escaped = escape_markdown(r"![x](http://e/x.png) *bold* $x$ \bfires?\b <b>")
    assert "\\!\\[x\\]\\(http\\:" in escaped and "\\*bold\\*" in escaped and "\\$x\\$" in escaped
    assert "\\\\bfires?\\\\b" in escaped and "\\<b\\>" in escaped


def test_user_errors_shows_the_message_literally_and_no_traceback():
    def script():
        import streamlit as st

        from components.feedback import user_errors
        from engine.errors import CorpusError

        with user_errors():
            raise CorpusError(r"No column named '**x**' matching \d+; see ![img](http://example.invalid/a.png)")
        st.write("never reached")

    at = AppTest.from_function(script).run()
    assert not at.exception
    assert len(at.error) == 1 and "\\*\\*x\\*\\*" in at.error[0].value and "\\!\\[img\\]" in at.error[0].value
    assert not any("never reached" in m.value for m in at.markdown)
