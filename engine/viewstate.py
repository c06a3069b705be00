"""A page's view as a URL query: typed, bounded, versioned encode/decode (issue 14 §1).

A *view* is a flat mapping ``{param: value}`` described by :class:`Field` s (the Streamlit side,
``components/share.py``, decides which session values become which params). :func:`encode` turns
values into query strings; :func:`decode` reads them back and never raises on input: every value
that is malformed, out of bounds or too long is dropped with a plain-text note, and the rest of
the link still applies.

Values too long for a URL (axis recipes, filters, long queries) are stored in the workspace under a
short content-hash id (:class:`LinkStore`, ``<root>/links/<id>.txt``) and the link carries
``~<id>``. A value that itself starts with ``~`` is always stored, so ``~`` is unambiguous.

Example:
    >>> fields = (Field("method", "text", choices=("umap", "pca")), Field("k", "int", low=2, high=100))
    >>> params = encode({"method": "pca", "k": 10}, fields)
    >>> params
    {'v': '1', 'method': 'pca', 'k': '10'}
    >>> decode(params, fields).values
    {'method': 'pca', 'k': 10}
    >>> decode({"k": "1000", "method": "tsne"}, fields).values
    {}
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from engine.errors import EmbedscapeError
from engine.store import _atomic_path

VERSION = 1
VERSION_PARAM = "v"
STORED_PREFIX = "~"
INLINE_MAX_CHARS = 300  # a value longer than this (once URL-quoted it grows) goes to the link store
STORED_MAX_CHARS = 64_000  # the largest value a link may carry at all (stored)
MAX_PARAM_CHARS = 2_000  # a raw query value longer than this is refused before it is parsed
MAX_STORED_VALUES = 20_000  # link values one workspace keeps (a hosted demo must not fill its disk)
LINK_ID = re.compile(r"^[0-9a-f]{20}$")  # 80 bits of SHA-256: found only by knowing the content
_JSON_MAX_DEPTH = 12

Kind = Literal["text", "int", "float", "bool", "list", "json"]


class ViewStateError(EmbedscapeError):
    """A link value cannot be stored or read (too long, unknown id, workspace full)."""

    exit_code = 5


@dataclass(frozen=True, slots=True)
class Field:
    """One query parameter of a view.

    Attributes:
        name: The query parameter (short, URL-safe).
        kind: ``text`` (one string), ``int``/``float`` (bounded by ``low``/``high``), ``bool``,
            ``list`` (strings, comma-separated in the URL), ``json`` (an object or list).
        max_chars: Longest accepted value (text, each list item, the JSON text); a ``stored`` field
            may be longer than a URL holds (up to :data:`STORED_MAX_CHARS`).
        choices: For ``text``: the only accepted values.
        low, high: For numbers: the accepted range (ends included).
        max_items: For ``list``: most items kept.
        multiline: For ``text``: line breaks and tabs allowed.
        stored: May go to the link store when longer than :data:`INLINE_MAX_CHARS`.
        label: What the note calls it ("the search query").
    """

    name: str
    kind: Kind = "text"
    max_chars: int = 200
    choices: tuple[str, ...] | None = None
    low: float | None = None
    high: float | None = None
    max_items: int = 20
    multiline: bool = False
    stored: bool = False
    label: str = ""

    @property
    def what(self) -> str:
        return self.label or f"the value {self.name!r}"


@dataclass(frozen=True, slots=True)
class DecodedView:
    """What :func:`decode` could read: typed values and a plain-text note per value it could not."""

    values: dict[str, Any]
    notes: tuple[str, ...]


class LinkStore:
    """Content-addressed link values in ``<root>/links/``: ``save(text) -> id``, ``load(id) -> text``."""

    def __init__(self, root: str | Path, *, max_values: int = MAX_STORED_VALUES) -> None:
        self.directory = Path(root) / "links"
        self.max_values = max_values

    def save(self, text: str) -> str:
        if len(text) > STORED_MAX_CHARS:
            raise ViewStateError(f"This value is too long to share in a link ({len(text):,} characters; at most "
                                 f"{STORED_MAX_CHARS:,}).")
        key = link_id(text)
        path = self.directory / f"{key}.txt"
        if path.exists():
            return key
        if self.directory.is_dir() and sum(1 for _ in zip(range(self.max_values), os.scandir(self.directory))) >= self.max_values:
            raise ViewStateError("This workspace keeps no more link values; the link leaves this part out.")
        with _atomic_path(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
        return key

    def load(self, key: str) -> str:
        if not isinstance(key, str) or not LINK_ID.match(key):
            raise ViewStateError("The link refers to a stored value by an id that is not valid.")
        path = self.directory / f"{key}.txt"
        try:
            if path.stat().st_size > 4 * STORED_MAX_CHARS:  # utf-8: at most 4 bytes a character
                raise ViewStateError("The link's stored value is too large to read.")
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ViewStateError("The link refers to a stored value this workspace does not have (it may come "
                                 "from another installation).") from exc
        if link_id(text) != key:  # a hand-edited or damaged file is not what the link meant
            raise ViewStateError("The link's stored value was changed after the link was made.")
        return text


def link_id(text: str) -> str:
    """The content id of a stored link value (20 hex digits of SHA-256)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


# -- encode -------------------------------------------------------------------------------------------
def encode(values: Mapping[str, Any], fields: Sequence[Field], *,
           save: Callable[[str], str] | None = None) -> dict[str, str]:
    """Query params for ``values`` (None values are left out), with the version first.

    Long values of ``stored`` fields go through ``save`` (e.g. ``LinkStore.save``); a value that
    cannot be stored or is over its bounds is left out (the encoder never raises on values).
    """
    out = {VERSION_PARAM: str(VERSION)}
    for field in fields:
        value = values.get(field.name)
        if value is None:
            continue
        text = _to_text(field, value)
        if text is None:
            continue
        if field.stored and (len(text) > INLINE_MAX_CHARS or text.startswith(STORED_PREFIX)):
            if save is None:
                continue
            try:
                text = STORED_PREFIX + save(text)
            except (ViewStateError, OSError):
                continue
        elif len(text) > MAX_PARAM_CHARS or text.startswith(STORED_PREFIX):
            continue
        out[field.name] = text
    return out


def _to_text(field: Field, value: Any) -> str | None:
    """The query text of one value, or None when it does not fit the field."""
    if field.kind == "json":
        try:
            text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError):
            return None
        return text if len(text) <= field.max_chars else None
    if field.kind == "list":
        items = [str(v) for v in value][: field.max_items]
        if any("," in item or not _clean(item, field.max_chars, multiline=False) for item in items):
            return None
        return ",".join(items) or None
    if field.kind == "bool":
        return "1" if value else "0"
    if field.kind in ("int", "float"):
        number = _number(field, value)
        return None if number is None else repr(number)
    text = str(value)
    return text if _clean(text, field.max_chars, multiline=field.multiline) else None


# -- decode -------------------------------------------------------------------------------------------
def decode(params: Mapping[str, Any], fields: Sequence[Field], *,
           load: Callable[[str], str] | None = None) -> DecodedView:
    """Typed values from query params; never raises on input.

    Unknown params are ignored (other parts of the app own them); a newer version is read as far
    as it goes, with a note.
    """
    notes: list[str] = []
    values: dict[str, Any] = {}
    version = str(params.get(VERSION_PARAM, "") or "")
    if version and version != str(VERSION):
        # `isdigit()` also accepts "¹", which int() refuses: the same bounded pattern as an int field
        newer = re.fullmatch(r"\d{1,18}", version) is not None and int(version) > VERSION
        notes.append(f"This link was made by {'a newer' if newer else 'another'} "
                     "version of Embedscape; the parts this version understands are applied.")
    for field in fields:
        raw = params.get(field.name)
        if raw is None:
            continue
        try:
            values[field.name] = _read(field, raw, load)
        except ViewStateError as exc:
            notes.append(f"Not applied: {field.what}. {exc}")
    return DecodedView(values, tuple(notes))


def _read(field: Field, raw: Any, load: Callable[[str], str] | None) -> Any:
    if not isinstance(raw, str):
        raise ViewStateError("It is not text.")
    if len(raw) > MAX_PARAM_CHARS:
        raise ViewStateError("It is too long.")
    text = raw
    if raw.startswith(STORED_PREFIX):
        if not field.stored:
            raise ViewStateError("This value is never stored.")
        if load is None:
            raise ViewStateError("Stored values cannot be read here.")
        text = load(raw[len(STORED_PREFIX):])  # raises ViewStateError with its own message
    if field.kind == "json":
        return _read_json(field, text)
    if field.kind == "list":
        items = [item.strip() for item in text.split(",") if item.strip()]
        if len(items) > field.max_items:
            raise ViewStateError(f"It lists more than {field.max_items} entries.")
        if any(not _clean(item, field.max_chars, multiline=False) for item in items):
            raise ViewStateError("An entry is too long or holds control characters.")
        return tuple(items)
    if field.kind == "bool":
        if text not in ("0", "1", "true", "false"):
            raise ViewStateError("It is not 0 or 1.")
        return text in ("1", "true")
    if field.kind in ("int", "float"):
        number = _number(field, text)
        if number is None:
            bounds = f" between {field.low:g} and {field.high:g}" if field.low is not None and field.high is not None else ""
            raise ViewStateError(f"It is not a {'whole ' if field.kind == 'int' else ''}number{bounds}.")
        return number
    if not _clean(text, field.max_chars, multiline=field.multiline):
        raise ViewStateError("It is too long or holds control characters.")
    if field.choices is not None and text not in field.choices:
        raise ViewStateError(f"It is not one of: {', '.join(field.choices)}.")
    return text


def _read_json(field: Field, text: str) -> Any:
    if len(text) > field.max_chars:
        raise ViewStateError("It is too long.")
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise ViewStateError("It is not valid JSON.") from exc
    if not isinstance(value, (dict, list)):
        raise ViewStateError("It is not a JSON object or list.")
    if _depth(value) > _JSON_MAX_DEPTH:
        raise ViewStateError("It is nested too deeply.")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _depth(value: Any, level: int = 1) -> int:
    if level > _JSON_MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max([_depth(v, level + 1) for v in value.values()], default=level)
    if isinstance(value, list):
        return max([_depth(v, level + 1) for v in value], default=level)
    return level


def _number(field: Field, value: Any) -> int | float | None:
    """``value`` as the field's number type inside its bounds, or None."""
    try:
        if isinstance(value, bool):
            return None
        if field.kind == "int":
            if isinstance(value, str):
                if not re.fullmatch(r"-?\d{1,18}", value.strip()):
                    return None
                number: int | float = int(value)
            elif isinstance(value, float) and not value.is_integer():
                return None
            else:
                number = int(value)
        else:
            if isinstance(value, str) and len(value) > 40:
                return None
            number = float(value)
            if not math.isfinite(number):
                return None
    except (TypeError, ValueError, OverflowError):
        return None
    if (field.low is not None and number < field.low) or (field.high is not None and number > field.high):
        return None
    return number


def _clean(text: str, max_chars: int, *, multiline: bool) -> bool:
    """Within ``max_chars`` and free of control characters (line breaks only where allowed)."""
    if not text or len(text) > max_chars:
        return False
    allowed = "\n\t\r" if multiline else ""
    return not any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in allowed for ch in text)
