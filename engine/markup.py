"""Escaping user text for Markdown and HTML: the one place both the app and the reports use.

Every string from a corpus, a query or a file name is hostile. ``escape_markdown`` makes it
literal text in any CommonMark/GFM renderer (Streamlit's remark-gfm, GitHub, Jupyter), and
``escape_html`` in HTML text and attribute values.
"""
from __future__ import annotations

import html
import re

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")
# remark-gfm turns bare ``http://…``, ``www.…`` and ``a@b.c`` into links *after* backslash escapes
# are resolved (its transform searches the plain text), so escaping cannot stop it: an invisible
# WORD JOINER (U+2060) inside ``://``, ``www.`` and before ``@`` breaks its patterns instead.
_AUTOLINK_BREAK = re.compile(r"(?=://)|(?<=[wW]{3})(?=\.)|(?=@)")
WORD_JOINER = "\u2060"


def escape_markdown(text: object) -> str:
    """``text`` with every Markdown/LaTeX control character backslash-escaped.

    ``&`` is escaped too, so ``&lt;`` stays the five characters written. It stops ``![](…)`` from
    loading an image, ``[a](javascript:…)`` from being a link, raw HTML from being HTML, and (with
    the word joiner) bare URLs and e-mail addresses from being made clickable.

    >>> escape_markdown("![x](y)")
    '\\\\!\\\\[x\\\\]\\\\(y\\\\)'
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _AUTOLINK_BREAK.sub(WORD_JOINER, str(text)))


def escape_markdown_line(text: object) -> str:
    """:func:`escape_markdown` on one line: line breaks become spaces (a table cell, a heading)."""
    return escape_markdown(" ".join(str(text).split()))


def escape_html(text: object) -> str:
    """``text`` safe in HTML text and quoted attribute values (``& < > " '`` as entities)."""
    return html.escape(str(text), quote=True)
