"""engine.expressions: the one expression grammar (Search and Axes), with property tests.

Hypothesis generates terms and expressions; the examples named in issue #8.5 are pinned too.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import AxisError, ExpressionError, SearchError
from engine.expressions import Term, combine, format_expression, parse_expression, split_signs

# words: letters and digits with inner hyphens, pluses and apostrophes (well-being, c++, don't)
_WORD = st.from_regex(r"[a-zA-Z0-9][a-zA-Z0-9'+\-]{0,8}", fullmatch=True)
# a term is one word or a phrase of a few words; a phrase or a word starting with +/- is quoted
_TEXT = st.lists(_WORD, min_size=1, max_size=3).map(" ".join) | st.from_regex(r"[+\-][a-z]{1,5}", fullmatch=True)
_TERMS = st.lists(st.builds(Term, st.sampled_from([1, -1]), _TEXT), min_size=1, max_size=6)


@settings(max_examples=300, deadline=None)
@given(_TERMS)
def test_parse_of_format_is_the_identity(terms):
    assert parse_expression(format_expression(terms)) == tuple(terms)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["+", "-"]), st.from_regex(r"[a-z]+(-[a-z]+)?", fullmatch=True)),
                min_size=1, max_size=6))
def test_signs_follow_the_operators_and_hyphenated_words_stay_whole(signed):
    expression = " ".join(f"{op} {word}" for op, word in signed)
    terms = parse_expression(expression)
    assert [(t.sign, t.text) for t in terms] == [(1 if op == "+" else -1, word) for op, word in signed]
    positive, negative = split_signs(terms)
    assert positive == [w for op, w in signed if op == "+"] and negative == [w for op, w in signed if op == "-"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('ab -+"\t')), max_size=20))
def test_any_input_parses_or_raises_an_expression_error(text):
    try:
        terms = parse_expression(text)
    except ExpressionError as exc:
        assert isinstance(exc, SearchError) and isinstance(exc, AxisError)  # both areas' handlers catch it
        return
    assert terms and all(t.sign in (1, -1) and t.text == " ".join(t.text.split()) and t.text for t in terms)


@pytest.mark.parametrize(("expression", "expected"), [
    ("-bad + good", [(-1, "bad"), (1, "good")]),
    ("king -man +woman", [(1, "king"), (-1, "man"), (1, "woman")]),
    ("king - man + woman", [(1, "king"), (-1, "man"), (1, "woman")]),
    ("well-being - illness", [(1, "well-being"), (-1, "illness")]),
    ("e-mail", [(1, "e-mail")]),
    ('"a sunny day" - "a rainy day"', [(1, "a sunny day"), (-1, "a rainy day")]),
    ('"well-being" -"ill  health"', [(1, "well-being"), (-1, "ill health")]),
    ("new york - city", [(1, "new york"), (-1, "city")]),
])
def test_issue_examples(expression, expected):
    assert [(t.sign, t.text) for t in parse_expression(expression)] == expected


@pytest.mark.parametrize("expression", ["", "   ", "good -", "a + + b", '"unclosed', '""', 'a "b"'])
def test_broken_expressions_say_what_is_wrong(expression):
    with pytest.raises(ExpressionError):
        parse_expression(expression)


def test_combine_is_3cosadd_and_refuses_terms_that_cancel():
    terms = parse_expression("king - man + woman")
    vectors = np.eye(3, dtype=np.float32)
    expected = np.array([1, -1, 1], dtype=np.float32) / np.sqrt(3)
    np.testing.assert_allclose(combine(terms, vectors), expected, atol=1e-6)
    with pytest.raises(ExpressionError, match="cancel"):
        combine(parse_expression("good - good"), np.ones((2, 3), dtype=np.float32) / np.sqrt(3))
