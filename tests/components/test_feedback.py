"""components.feedback: escaping of user text and error display."""
from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from components.feedback import WORD_JOINER, escape_markdown

# remark-gfm's autolink-literal transform (Streamlit 1.67's StreamlitMarkdown bundle), which runs on
# the text *after* backslash escapes are resolved; the e-mail lookbehind is simplified for Python.
_GFM_URL = re.compile(r"(https?://|www(?=\.))([-.\w]+)([^ \t\r\n]*)", re.IGNORECASE)
_GFM_EMAIL = re.compile(r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)")


def _as_rendered(escaped: str) -> str:
    """The text Markdown's parser hands to the autolink transform: backslash escapes resolved."""
    return re.sub(r"\\(.)", r"\1", escaped)


def test_escape_markdown_neutralises_images_emphasis_math_and_keeps_backslashes():
    escaped = escape_markdown(r"![x](http://e/x.png) *bold* $x$ \bfires?\b <b>")
    assert "\\!\\[x\\]\\(http" + WORD_JOINER + "\\:" in escaped and "\\*bold\\*" in escaped and "\\$x\\$" in escaped
    assert "\\\\bfires?\\\\b" in escaped and "\\<b\\>" in escaped


@pytest.mark.parametrize("text", [
    "see http://127.0.0.1:9/beacon.png now", "HTTPS://example.org/x", "www.example.org", "WWW.Example.org/a",
    "mail me: someone@example.org", "mailto:a@b.co", "<https://example.org>", "xmpp:user@host.org",
])
def test_escape_markdown_leaves_no_bare_url_or_address_for_autolinking(text):
    assert _GFM_URL.search(_as_rendered(text)) or _GFM_EMAIL.search(_as_rendered(text))  # the pattern sees the raw text
    rendered = _as_rendered(escape_markdown(text))
    assert not _GFM_URL.search(rendered) and not _GFM_EMAIL.search(rendered)
    assert rendered.replace(WORD_JOINER, "") == text  # a reader sees exactly what was written


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
