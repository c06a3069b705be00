"""engine.report and engine.markup: a report of corpus text that tries to be markup stays text."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from engine.markup import WORD_JOINER, escape_html, escape_markdown, escape_markdown_line

# What a corpus (or a recipe file) may contain to become markup in a report.
HOSTILE = (
    "![x](http://127.0.0.1:9/beacon.png)", "<img src=x onerror=alert(1)>", "[a](javascript:alert(1))",
    "<https://example.org/track>", "www.example.org", "mail someone@example.org", "<script>alert(2)</script>",
    "`code` | pipe", "&lt;b&gt;", "*bold* _it_ ~~s~~ $x$", "# heading\n\n- list", "[ref]: http://e.org",
    "<svg onload=alert(3)>", "\"><iframe src=//e.org>", "'single' \\ backslash",
)
_FRAGMENTS = st.sampled_from(HOSTILE + ("http://", "://", "www.", "@", "<", ">", "[", "]", "(", ")", "!", "\n",
                                        "&", "#", "|", "`", "\\", "javascript:", "a", " "))
_TEXT = st.lists(st.one_of(_FRAGMENTS, st.text(max_size=6)), max_size=12).map("".join)
# remark-gfm's autolink-literal patterns (as in tests/components/test_feedback.py): they search the
# text after escapes are resolved, which markdown-it without linkify does not do.
_GFM_URL = re.compile(r"(https?://|www(?=\.))([-.\w]+)([^ \t\r\n]*)", re.IGNORECASE)
_GFM_EMAIL = re.compile(r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)")
_MD = MarkdownIt("commonmark").enable("table")


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.prose: list[str] = []  # text outside <pre> (code is shown as code by every renderer)
        self._pre = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._pre += tag == "pre"

    def handle_endtag(self, tag):
        self._pre -= tag == "pre"

    def handle_data(self, data):
        self.text.append(data)
        if not self._pre:
            self.prose.append(data)


def _parse(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


@settings(max_examples=300, deadline=None)
@given(text=_TEXT)
def test_escaped_markdown_renders_as_exactly_the_text_with_no_tag_link_or_image(text):
    rendered = _parse(_MD.render(escape_markdown_line(text)))
    assert {tag for tag, _ in rendered.tags} <= {"p"}
    expected = " ".join(text.split()).replace(WORD_JOINER, "").replace("\0", "\ufffd").strip(" ")
    assert "".join(rendered.text).replace(WORD_JOINER, "").strip(" \n") == expected
    plain = "".join(rendered.text)
    assert not _GFM_URL.search(plain) and not _GFM_EMAIL.search(plain)


@settings(max_examples=200, deadline=None)
@given(text=_TEXT)
def test_escaped_markdown_in_a_table_cell_stays_in_its_cell(text):
    rendered = _parse(_MD.render(f"| a | b |\n|---|---|\n| {escape_markdown_line(text)} | end |"))
    assert [t for t, _ in rendered.tags if t not in ("table", "thead", "tbody", "tr", "th", "td")] == []
    assert [t for t, _ in rendered.tags].count("td") == 2
    assert [t for t in rendered.text if t.strip()][-1].strip() == "end"  # a pipe or line break in the text split no cell (excess cells vanish)


@settings(max_examples=200, deadline=None)
@given(text=_TEXT)
def test_escaped_html_is_text_and_attribute_safe(text):
    rendered = _parse(f"<p title=\"{escape_html(text)}\">{escape_html(text)}</p>")
    assert rendered.tags == [("p", {"title": text})] and "".join(rendered.text) == text


def test_escape_markdown_keeps_the_backslash_rule_of_the_app():
    assert escape_markdown("a&b") == "a\\&b" and escape_markdown_line("x\n\ny") == "x y"


@pytest.fixture(scope="module")
def hostile_report(store, embedded):
    return build_hostile_report(store, embedded)


def build_hostile_report(store, embedded):
    """A real run (minilm-l3) over a corpus made of hostile texts, with a hostile axis, search and WEAT."""
    from engine.corpus import corpus_from_texts
    from engine.recipe import AxisItem, CorpusRef, ModelRef, ProjectionItem, Recipe, SearchItem, WeatItem, run_recipe
    from engine.report import build_report

    texts = [f"{h} story {i}" for i, h in enumerate(HOSTILE * 2)]
    corpus, _ = corpus_from_texts(texts, name="<img src=x onerror=alert('name')>",
                                  metadata={"title": [f"[t{i}](javascript:alert({i}))" for i in range(len(texts))]})
    embedded(corpus, "minilm-l3")
    recipe = Recipe(
        corpus=CorpusRef(corpus_id=corpus.corpus_id), models=(ModelRef("minilm-l3"),),
        projections=(ProjectionItem(method="pca"),),
        axes=(AxisItem("<script>alert('axis')</script>", {"method": "poles", "positive": ["image onerror"],
                                                            "negative": ["plain story"]}, band_resamples=10),),
        weat=(WeatItem({"x": ["rose", "tulip"], "y": ["ant", "wasp"], "a": ["love"], "b": ["filth"],
                        "names": ["<b onmouseover=alert(1)>", "![y](http://e.org/y.png)", "a", "b"]},
                       n_permutations=100),),
        searches=(SearchItem("keyword", "onerror"),),
    )
    run = run_recipe(recipe, store=store)
    assert not [o.error for o in run.outcomes if o.error]
    return build_report(run, label_column="title")


def test_html_report_has_a_csp_our_image_only_and_the_hostile_text_as_text(hostile_report):
    html = hostile_report.html()
    head = html[:html.index("<title>")]
    assert "Content-Security-Policy" in head and "default-src 'none'" in head and "script-src" not in head
    parsed = _parse(html)
    assert not any(tag in ("script", "iframe", "svg", "a", "link", "object", "embed") for tag, _ in parsed.tags)
    assert not any(key.startswith("on") for _, attrs in parsed.tags for key in attrs)
    images = [attrs["src"] for tag, attrs in parsed.tags if tag == "img"]
    assert len(images) == 1 and images[0].startswith("data:image/png;base64,iVBOR")
    text = "".join(parsed.text)
    assert "<img src=x onerror=alert(1)>" in text and "<script>alert('axis')</script>" in text
    assert "[t0](javascript:alert(0))" in text  # the label column, in the axis and search tables


def test_markdown_report_renders_no_link_no_html_and_only_our_image(hostile_report):
    markdown = hostile_report.markdown()
    parsed = _parse(_MD.render(markdown))
    tags = {tag for tag, _ in parsed.tags}
    assert not tags & {"a", "script", "iframe", "svg", "html_block"}
    images = [attrs["src"] for tag, attrs in parsed.tags if tag == "img"]
    assert len(images) == 1 and images[0].startswith("data:image/png;base64,")
    assert not any(key.startswith("on") for _, attrs in parsed.tags for key in attrs)
    plain = "".join(parsed.text).replace(WORD_JOINER, "")
    assert "![x](http://127.0.0.1:9/beacon.png)" in plain and "<img src=x onerror=alert(1)>" in plain
    prose = "".join(parsed.prose)
    assert "beacon" in prose and not _GFM_URL.search(prose) and not _GFM_EMAIL.search(prose)
