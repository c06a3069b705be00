"""One grammar for vector-arithmetic expressions, and 3CosAdd: used by Search and Axes alike.

Grammar (version 2; Axes recipes saved before it carry no version and keep the old reading, see
``engine.axes``):

* ``+`` and ``-`` are operators at the start, or after whitespace or a quoted phrase; inside a
  word (``well-being``, ``e-mail``) they are part of it.
* A leading ``-`` negates the first term: ``-bad + good`` is ``+good`` and ``-bad``.
* Unquoted words between two operators form one term (``new york - city`` is two terms);
  ``"a sunny day"`` is one quoted term.

Example:
    >>> [(t.sign, t.text) for t in parse_expression("king - man + woman")]
    [(1, 'king'), (-1, 'man'), (1, 'woman')]
    >>> [(t.sign, t.text) for t in parse_expression("-bad + good")]
    [(-1, 'bad'), (1, 'good')]
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engine.errors import ExpressionError

GRAMMAR_VERSION = 2


@dataclass(frozen=True, slots=True)
class Term:
    """One term of an expression: ``sign`` is +1 or -1, ``text`` a word or a quoted phrase."""

    sign: int
    text: str


def parse_expression(expression: str) -> tuple[Term, ...]:
    """Parse ``king - man + woman`` or ``"a review about food" - "negative"`` into terms.

    Raises:
        ExpressionError: For an empty expression, an empty term, an unclosed quote or two
            operators in a row.
    """
    terms: list[Term] = []
    sign: int | None = None
    buffer = ""
    i = 0
    text = expression or ""

    def flush() -> None:
        nonlocal buffer, sign
        word = " ".join(buffer.split())
        if word:
            terms.append(Term(sign if sign is not None else 1, word))
            sign = None
        buffer = ""

    while i < len(text):
        char = text[i]
        if char == '"':
            if buffer.strip():
                raise ExpressionError(f"Put an operator (+ or -) before the quoted phrase at position {i + 1}.")
            end = text.find('"', i + 1)
            if end < 0:
                raise ExpressionError(f"Unclosed quote at position {i + 1} in {expression!r}.")
            phrase = " ".join(text[i + 1:end].split())
            if not phrase:
                raise ExpressionError(f'Empty quoted phrase "" at position {i + 1}.')
            if terms and sign is None:
                raise ExpressionError(f"Put an operator (+ or -) before the quoted phrase at position {i + 1}.")
            terms.append(Term(sign if sign is not None else 1, phrase))
            sign = None
            i = end + 1
            continue
        if char in "+-" and (not buffer.strip() or buffer[-1].isspace()):
            flush()
            if sign is not None:
                raise ExpressionError(f"Two operators in a row at position {i + 1} in {expression!r}.")
            sign = 1 if char == "+" else -1
            i += 1
            continue
        if terms and sign is None and not buffer and not char.isspace():
            raise ExpressionError(f"Put an operator (+ or -) before {text[i:].split()[0]!r}.")
        buffer += char
        i += 1
    flush()
    if sign is not None:
        raise ExpressionError(f"The expression {expression!r} ends with an operator: add a term after it.")
    if not terms:
        raise ExpressionError('Type an expression such as  king - man + woman  or  "a review about food" - "negative".')
    return tuple(terms)


def format_expression(terms: Sequence[Term]) -> str:
    """The canonical text of parsed terms; ``parse_expression(format_expression(t)) == t``."""
    parts = []
    for position, term in enumerate(terms):
        needs_quotes = " " in term.text or term.text[:1] in "+-\"" or '"' in term.text
        text = f'"{term.text}"' if needs_quotes else term.text
        operator = "-" if term.sign < 0 else "+"
        parts.append(text if position == 0 and term.sign > 0 else f"{operator} {text}")
    return " ".join(parts)


def split_signs(terms: Sequence[Term]) -> tuple[list[str], list[str]]:
    """(positive texts, negative texts) in expression order."""
    return [t.text for t in terms if t.sign > 0], [t.text for t in terms if t.sign < 0]


def combine(terms: Sequence[Term], vectors: np.ndarray, *, normalize: bool = True) -> np.ndarray:
    """3CosAdd: sum(sign x unit vector of each term), as a unit vector when ``normalize``.

    Args:
        terms: The parsed terms.
        vectors: (len(terms), d) unit vectors of the terms, in the same order.

    Raises:
        ExpressionError: When the terms cancel out (the sum is a zero vector).
    """
    signs = np.array([t.sign for t in terms], dtype=np.float32)
    combined = (signs[:, None] * np.asarray(vectors, dtype=np.float32)).sum(axis=0)
    norm = float(np.linalg.norm(combined))
    if not np.isfinite(norm) or norm < 1e-6:
        raise ExpressionError("The terms cancel out (the result is a zero vector); change the expression.")
    return (combined / norm).astype(np.float32) if normalize else combined.astype(np.float32)
