"""AppTest of the home page: demo corpus → embed → state set; uploads of awkward files."""
from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from components import state
from tests.bad_files import CASES
from tests.conftest import ROOT


@pytest.fixture
def home(store) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)  # absolute path: see STYLE.md D2
    return at.run()


def _markdown(at: AppTest) -> list[str]:
    """Every string the page renders as Markdown (messages, captions, expander labels)."""
    parts = [e.value for e in at.error] + [e.value for e in at.success] + [e.value for e in at.info]
    parts += [c.value for c in at.caption] + [w.value for w in at.warning] + [e.label for e in at.expander]
    return [str(p) for p in parts]


def _messages(at: AppTest) -> str:
    """The page's messages as a reader sees them (escape_markdown's backslashes removed)."""
    return re.sub(r"\\(.)", r"\1", "\n".join(_markdown(at)))


def test_home_loads_demo_embeds_and_sets_state(home: AppTest):
    assert not home.exception
    home.selectbox(key="home_demo").set_value("movie-polarity")
    home.button(key="home_load_demo").click().run()
    assert not home.exception
    assert "Loaded **movie-polarity**" in _messages(home)
    assert "Loaded **movie\\-polarity**" in "\n".join(_markdown(home))  # the name is escaped, not Markdown
    corpus_id = home.session_state[state.CORPUS_ID]

    home.multiselect(key=f"home_models_{corpus_id}").set_value(["minilm-l3", "glove-50d"])
    home.button(key="FormSubmitter:home_embed_form-Embed").click().run()
    assert not home.exception, home.exception
    assert home.session_state[state.CORPUS_ID] == corpus_id
    assert set(home.session_state[state.MODEL_IDS]) >= {"minilm-l3", "glove-50d"}
    assert "Embedded with 2 model(s)" in _messages(home)


@pytest.mark.parametrize("filename", list(CASES))
def test_upload_of_awkward_files_gives_a_note_or_a_clear_error(home: AppTest, filename: str):
    data, exit_code, fragment = CASES[filename]
    home.radio(key="home_source").set_value("upload").run()
    home.file_uploader(key="home_upload").set_value((filename, data, "application/octet-stream")).run()
    assert not home.exception, home.exception
    if exit_code:
        assert fragment in "\n".join(e.value for e in home.error)
        return
    home.button(key="home_use_upload").click().run()
    assert not home.exception, home.exception
    assert fragment in _messages(home) or fragment in str([m.value for m in home.metric])
    assert "Loaded **" in _messages(home)


# -- issue 11: nothing user-written renders as Markdown; the preview is bounded ----------------------
BEACON = "![x](http://127.0.0.1:9/beacon.png)"


def _upload(home: AppTest, filename: str, data: bytes) -> AppTest:
    home.radio(key="home_source").set_value("upload").run()
    return home.file_uploader(key="home_upload").set_value((filename, data, "text/csv")).run()


def test_markdown_in_column_and_corpus_names_is_never_rendered(home: AppTest):
    data = f"text,{BEACON},<img src=x onerror=alert(1)>\nhello,a,b\nworld,c,d\n".encode()
    _upload(home, "beacon.csv", data)
    home.text_input(key="home_corpus_name").set_value(f"{BEACON} corpus").run()
    home.button(key="home_use_upload").click().run()
    assert not home.exception, home.exception
    rendered = "\n".join(_markdown(home))
    assert "Loaded **" in rendered and "texts ready" in rendered
    assert "![x](" not in rendered  # escaped wherever it appears: success, caption, expander label
    assert BEACON in _messages(home)  # …yet the reader sees the name as written
    assert any("Preview of" in label for label in (e.label for e in home.expander))


def test_the_upload_preview_caps_columns_and_cuts_long_cells(home: AppTest):
    header = ",".join(["text"] + [f"m{i}" for i in range(60)])
    row = ",".join(["x" * 5_000] + ["1"] * 60)
    _upload(home, "wide.csv", f"{header}\n{row}\nshort,{','.join(['2'] * 60)}\n".encode())
    assert not home.exception, home.exception
    preview = home.dataframe[0].value
    assert preview.shape[1] == 30 and preview["text"].str.len().max() <= 201
    assert "showing the first 30 of 61 columns" in _messages(home)


def test_uploading_stored_content_again_opens_it_and_says_so(home: AppTest):
    data = b"text,label\nfirst again,a\nsecond again,b\n"
    _upload(home, "original.csv", data)
    home.button(key="home_use_upload").click().run()
    corpus_id = home.session_state[state.CORPUS_ID]
    _upload(home, "copy.csv", data)
    home.button(key="home_use_upload").click().run()
    assert not home.exception, home.exception
    assert home.session_state[state.CORPUS_ID] == corpus_id
    assert "already stored as 'original'" in _messages(home) and "Loaded **original**" in _messages(home)


def test_loaded_box_does_not_outlive_a_new_error_or_its_deleted_corpus(home: AppTest, store):
    """Issue 8 §2.12: the "✅ Loaded …" box stayed under a new error and after its corpus was deleted."""
    data = "".join(f"stale box check line {i} about {word}\n" for i, word in enumerate(["rain", "sun", "fog", "snow"]))
    _upload(home, "stale-box-check.txt", data.encode())
    home.button(key="home_use_upload").click().run()
    assert "Loaded **stale-box-check**" in _messages(home)
    uploaded = home.session_state[state.CORPUS_ID]

    data_, _, fragment = CASES["no_text.csv"]  # a file that is refused with an error
    _upload(home, "no_text.csv", data_)
    assert fragment in "\n".join(e.value for e in home.error)
    assert "Loaded **" not in _messages(home)

    _upload(home, "stale-box-check.txt", data.encode())
    home.button(key="home_use_upload").click().run()
    assert "Loaded **stale-box-check**" in _messages(home)
    other = next(m["corpus_id"] for m in store.list_corpora() if m["corpus_id"] != uploaded)
    home.session_state[state.CORPUS_ID] = other  # the sidebar switches to another corpus …
    home.run()
    assert "Loaded **stale-box-check**" not in _messages(home)  # … so the box is not about it
    home.selectbox(key="home_delete_target").set_value(uploaded).run()
    home.checkbox(key="home_delete_confirm").check().run()
    home.button(key="home_delete").click().run()
    assert not home.exception, home.exception
    assert not store.has_corpus(uploaded)
    assert "stale-box-check" not in _messages(home)


def test_home_says_how_many_texts_the_model_cut_after_embedding(home: AppTest):
    """Issue 8 §2.9: "Truncated 0" although most abstracts were longer than the model reads."""
    words = "central banks raised interest rates again as inflation stayed above target".split()
    long_lines = [" ".join(words[(i + j) % len(words)] for j in range(170)) for i in range(4)]
    lines = long_lines + ["A short line about rain.", "Another short line about sun."]
    _upload(home, "long-abstracts.txt", ("\n".join(lines) + "\n").encode())
    home.button(key="home_use_upload").click().run()
    corpus_id = home.session_state[state.CORPUS_ID]
    home.multiselect(key=f"home_models_{corpus_id}").set_value(["minilm-l3", "glove-50d"])
    home.button(key="FormSubmitter:home_embed_form-Embed").click().run()
    assert not home.exception, home.exception
    warnings = [w.value for w in home.warning if "tokens" in w.value]
    assert len(warnings) == 1  # MiniLM-L3 only: GloVe reads every word
    assert "4 of 6 texts" in warnings[0] and "first 128 tokens" in warnings[0]
