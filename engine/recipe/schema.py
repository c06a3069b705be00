"""The analysis recipe as a typed, versioned, bounded value, and the one reader of its JSON file.

A recipe names *inputs and parameters*, never results or arrays: the corpus (content hash, texts
hash and ingest settings), the models (revision and embedding route), projections with their
seeds, axes (the typed ``engine.axes`` recipes), WEAT queries and bias directions with their word
sets, searches and compare settings. Running it (``engine.recipe.run``) recomputes the numbers.

A recipe file comes from someone else, so :func:`parse_recipe` treats it as hostile: the size is
capped before parsing, nesting depth, list lengths and string lengths are bounded, NaN/Infinity
are refused, and every problem is a :class:`~engine.errors.RecipeError` naming the field
(``axes[2].recipe.positive``) and what to write instead. It never lets a ``TypeError`` through.

``extensions`` is a versioned slot for what other areas may add later (tags and curated subsets,
a URL view state): ``{"tags": {"version": 1, ...}}``. It is kept as bounded JSON and not yet read.

Example:
    >>> r = Recipe(corpus=CorpusRef(corpus_id="abc", texts_hash="def"), models=(ModelRef("minilm-l3"),))
    >>> parse_recipe(r.to_json()) == r
    True
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.errors import RecipeError

FORMAT = "embedscape-recipe"
VERSION = 1
MAX_BYTES = 2_000_000  # a recipe is settings and word lists; 2 MB leaves room for long id lists
MAX_DEPTH = 12
MAX_STRING = 5_000  # one query, pole text or word
MAX_LIST = 20_000  # ids of an item-based axis; word sets are far shorter
MAX_ENTRIES = 50  # axes, searches, WEAT queries, directions per recipe
MAX_MODELS = 8
_ID = re.compile(r"[A-Za-z0-9._:/@+-]{1,200}")  # model ids and hub names, corpus hashes


# -- the typed value ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CorpusRef:
    """Which corpus the analysis ran on: ``corpus_id`` (hash of the table) and ``texts_hash``
    (hash of the texts; same texts, other metadata = same vectors), plus how it was ingested."""

    corpus_id: str
    texts_hash: str = ""
    name: str = ""
    n_rows: int = 0
    kind: str = "texts"
    text_column: str = "text"
    source: str = ""  # "demo:<id>" for a bundled demo (rebuilt on a machine that lacks it)
    ingest: Mapping[str, Any] = field(default_factory=dict)  # the ingest report (encoding, drops, truncation)


@dataclass(frozen=True, slots=True)
class ModelRef:
    model_id: str
    revision: str = ""  # the registry revision the numbers were made with ("" = unknown)
    route: str = "fp32"  # engine.precision route of the stored vectors: fp32 | bf16


@dataclass(frozen=True, slots=True)
class ProjectionItem:
    method: str = "umap"
    dims: int = 2
    n_neighbors: int = 15
    min_dist: float = 0.1
    metric: str = "cosine"
    seed: int | None = 42


@dataclass(frozen=True, slots=True)
class AxisItem:
    """One axis: its typed ``engine.axes`` recipe as JSON, and the stability band's resamples."""

    name: str
    recipe: Mapping[str, Any]
    band_resamples: int = 50  # 0 = no band
    band_seed: int = 0


@dataclass(frozen=True, slots=True)
class WeatItem:
    query: Mapping[str, Any]  # engine.bias.WeatQuery.to_dict()
    models: tuple[str, ...] = ()  # () = every model of the recipe
    templates: tuple[str, ...] = ()  # sentence models: SEAT templates (() = the default)
    seed: int = 0
    n_permutations: int = 10_000
    test_id: str = ""  # a bundled WEAT test, when it is one


@dataclass(frozen=True, slots=True)
class DirectionItem:
    """A bias direction (engine.bias.DirectionSpec fields) and its direct-bias baseline."""

    name: str
    pairs: tuple[tuple[str, str], ...]
    neutral: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    templates: tuple[str, ...] = ()
    method: str = "pca"
    c: float = 1.0  # direct bias strictness: mean |cos|**c
    baseline: str = "random_pairs"
    n_random: int = 1_000
    pool_size: int = 0  # 0 = engine.bias.default_pool_size(model)
    seed: int = 0


@dataclass(frozen=True, slots=True)
class SearchItem:
    """One search as typed on the Search page (``query`` is an item id for ``similar``)."""

    mode: str
    query: str
    k: int = 10
    models: tuple[str, ...] = ()
    dense_weight: float = 0.5
    regex: bool = False
    case_sensitive: bool = False


@dataclass(frozen=True, slots=True)
class CompareItem:
    models: tuple[str, ...]
    k: int = 10
    seed: int = 0


@dataclass(frozen=True, slots=True)
class Recipe:
    corpus: CorpusRef
    models: tuple[ModelRef, ...]
    projections: tuple[ProjectionItem, ...] = ()
    axes: tuple[AxisItem, ...] = ()
    weat: tuple[WeatItem, ...] = ()
    directions: tuple[DirectionItem, ...] = ()
    searches: tuple[SearchItem, ...] = ()
    compare: CompareItem | None = None
    extensions: Mapping[str, Any] = field(default_factory=dict)
    created: str = ""
    app_version: str = ""

    @property
    def model_ids(self) -> tuple[str, ...]:
        return tuple(m.model_id for m in self.models)

    def all_model_ids(self) -> tuple[str, ...]:
        """Every model the recipe names (its models, and those a test, search or comparison names)."""
        named = [*self.model_ids, *(m for item in (*self.weat, *self.directions, *self.searches) for m in item.models),
                 *(self.compare.models if self.compare else ())]
        return tuple(dict.fromkeys(named))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"format", "version", ...}`` (tuples become lists)."""
        from dataclasses import asdict

        body = asdict(self)
        return {"format": FORMAT, "version": VERSION, **_lists(body)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, sort_keys=False)

    def counts(self) -> dict[str, int]:
        """How many entries of each kind (for a summary line)."""
        return {"models": len(self.models), "projections": len(self.projections), "axes": len(self.axes),
                "weat": len(self.weat), "directions": len(self.directions), "searches": len(self.searches),
                "compare": int(self.compare is not None)}


def _lists(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_lists(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _lists(v) for k, v in value.items()}
    return value


# -- reading a file ----------------------------------------------------------------------------------------
def parse_recipe(data: str | bytes) -> Recipe:
    """Read and validate a recipe file's text.

    Raises:
        RecipeError: For a file that is too large, not JSON, of another format or a newer
            version, or any field of the wrong type or size; the message names the field.
    """
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if len(data) > MAX_BYTES:
        raise RecipeError(f"The recipe file is {len(data):,} bytes; a recipe is at most {MAX_BYTES:,}. "
                          "Export it again from Embedscape, or remove long id lists.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RecipeError(f"The recipe file is not UTF-8 text (byte {exc.start}). Export it again.") from None
    try:
        raw = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise RecipeError(f"The recipe file is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).") \
            from None
    except RecursionError:
        raise RecipeError("The recipe file is nested too deeply to be a recipe.") from None
    return recipe_from_dict(raw)


def _no_constant(name: str) -> Any:
    raise RecipeError(f"The recipe file contains {name}, which is not a number JSON allows. Export it again.")


def recipe_from_dict(raw: Any) -> Recipe:
    """Validate already-parsed JSON (see :func:`parse_recipe`)."""
    r = _Reader(raw, "recipe")
    r.obj()
    if raw.get("format") != FORMAT:
        raise RecipeError(f"This is not an Embedscape recipe (its 'format' is {str(raw.get('format'))[:60]!r}, "
                          f"expected {FORMAT!r}).")
    version = r.at("version").integer(1, 10**6)
    if version > VERSION:
        raise RecipeError(f"This recipe has version {version}; this Embedscape reads up to version {VERSION}. "
                          "Update Embedscape to run it.")
    _bounded(raw, "recipe", 0)
    models = tuple(_model(m) for m in r.at("models").items(MAX_MODELS, required=True))
    if not models:
        raise RecipeError("recipe.models is empty: a recipe needs at least one model, e.g. "
                          "\"models\": [{\"model_id\": \"minilm-l3\"}].")
    compare = r.at("compare", optional=True)
    return Recipe(
        corpus=_corpus(r.at("corpus")),
        models=models,
        projections=tuple(_projection(p) for p in r.at("projections", optional=True).items(MAX_ENTRIES)),
        axes=tuple(_axis(a) for a in r.at("axes", optional=True).items(MAX_ENTRIES)),
        weat=tuple(_weat(w) for w in r.at("weat", optional=True).items(MAX_ENTRIES)),
        directions=tuple(_direction(d) for d in r.at("directions", optional=True).items(MAX_ENTRIES)),
        searches=tuple(_search(s) for s in r.at("searches", optional=True).items(MAX_ENTRIES)),
        compare=None if compare.value is None else _compare(compare),
        extensions=r.at("extensions", optional=True).mapping(),
        created=r.at("created", optional=True).string(default=""),
        app_version=r.at("app_version", optional=True).string(default=""),
    )


def _bounded(value: Any, path: str, depth: int) -> None:
    """Depth, list and string bounds over the whole document (before any field is read)."""
    if depth > MAX_DEPTH:
        raise RecipeError(f"{path} is nested deeper than {MAX_DEPTH} levels; a recipe is never that deep.")
    if isinstance(value, str) and len(value) > MAX_STRING:
        raise RecipeError(f"{path} is a text of {len(value):,} characters; at most {MAX_STRING:,} are allowed.")
    if isinstance(value, list):
        if len(value) > MAX_LIST:
            raise RecipeError(f"{path} has {len(value):,} entries; at most {MAX_LIST:,} are allowed.")
        for i, v in enumerate(value):
            _bounded(v, f"{path}[{i}]", depth + 1)
    elif isinstance(value, dict):
        if len(value) > 200:
            raise RecipeError(f"{path} has {len(value):,} keys; a recipe object has far fewer.")
        for k, v in value.items():
            _bounded(v, f"{path}.{str(k)[:40]}", depth + 1)


class _Reader:
    """One JSON value and its path; each method checks a type and says which field is wrong."""

    def __init__(self, value: Any, path: str) -> None:
        self.value, self.path = value, path

    def fail(self, expected: str) -> RecipeError:
        got = type(self.value).__name__ if self.value is not None else "nothing"
        return RecipeError(f"{self.path} must be {expected} (got {got}). Fix the file or export it again.")

    def obj(self) -> dict[str, Any]:
        if not isinstance(self.value, dict):
            raise self.fail("an object {...}")
        return self.value

    def at(self, key: str, optional: bool = False) -> _Reader:
        data = self.obj()
        if key not in data and not optional:
            raise RecipeError(f"{self.path} has no {key!r}; every recipe has it (export the recipe again).")
        return _Reader(data.get(key), f"{self.path}.{key}")

    def get(self, key: str, reader: Callable[[_Reader], Any], default: Any) -> Any:
        child = self.at(key, optional=True)
        return default if child.value is None else reader(child)

    def items(self, limit: int, required: bool = False) -> list[_Reader]:
        if self.value is None and not required:
            return []
        if not isinstance(self.value, list):
            raise self.fail("a list [...]")
        if len(self.value) > limit:
            raise RecipeError(f"{self.path} has {len(self.value)} entries; a recipe holds at most {limit}.")
        return [_Reader(v, f"{self.path}[{i}]") for i, v in enumerate(self.value)]

    def string(self, default: str | None = None, pattern: re.Pattern[str] | None = None) -> str:
        if self.value is None and default is not None:
            return default
        if not isinstance(self.value, str):
            raise self.fail("a text")
        if pattern is not None and not pattern.fullmatch(self.value):
            raise RecipeError(f"{self.path} = {self.value[:60]!r} is not a valid id (letters, digits, ._:/@+-).")
        return self.value

    def choice(self, options: tuple[str, ...]) -> str:
        if self.value not in options:
            raise RecipeError(f"{self.path} must be one of {', '.join(options)} (got {str(self.value)[:40]!r}).")
        return str(self.value)

    def integer(self, low: int, high: int) -> int:
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise self.fail("a whole number")
        if not low <= self.value <= high:
            raise RecipeError(f"{self.path} = {self.value} is out of range: use {low:,} to {high:,}.")
        return self.value

    def number(self, low: float, high: float) -> float:
        if isinstance(self.value, bool) or not isinstance(self.value, (int, float)) or not math.isfinite(self.value):
            raise self.fail("a number")
        if not low <= self.value <= high:
            raise RecipeError(f"{self.path} = {self.value} is out of range: use {low} to {high}.")
        return float(self.value)

    def boolean(self) -> bool:
        if not isinstance(self.value, bool):
            raise self.fail("true or false")
        return self.value

    def strings(self, limit: int = MAX_LIST) -> tuple[str, ...]:
        return tuple(item.string() for item in self.items(limit))

    def ids(self) -> tuple[str, ...]:
        return tuple(item.string(pattern=_ID) for item in self.items(MAX_MODELS))

    def mapping(self) -> dict[str, Any]:
        return {} if self.value is None else dict(self.obj())


def _corpus(r: _Reader) -> CorpusRef:
    return CorpusRef(
        corpus_id=r.at("corpus_id").string(pattern=_ID),
        texts_hash=r.get("texts_hash", lambda c: c.string(pattern=_ID), ""),
        name=r.get("name", _Reader.string, ""), n_rows=r.get("n_rows", lambda c: c.integer(0, 10**9), 0),
        kind=r.get("kind", lambda c: c.choice(("texts", "words")), "texts"),
        text_column=r.get("text_column", _Reader.string, "text"), source=r.get("source", _Reader.string, ""),
        ingest=r.get("ingest", _Reader.mapping, {}),
    )


def _model(r: _Reader) -> ModelRef:
    return ModelRef(model_id=r.at("model_id").string(pattern=_ID), revision=r.get("revision", _Reader.string, ""),
                    route=r.get("route", lambda c: c.choice(("fp32", "bf16")), "fp32"))


def _projection(r: _Reader) -> ProjectionItem:
    seed = r.at("seed", optional=True)
    return ProjectionItem(
        method=r.get("method", lambda c: c.choice(("umap", "pca")), "umap"),
        dims=r.get("dims", lambda c: c.integer(2, 3), 2),
        n_neighbors=r.get("n_neighbors", lambda c: c.integer(2, 200), 15),
        min_dist=r.get("min_dist", lambda c: c.number(0.0, 1.0), 0.1),
        metric=r.get("metric", lambda c: c.choice(("cosine", "euclidean")), "cosine"),
        seed=None if seed.value is None and "seed" in r.obj() else (42 if seed.value is None
                                                                    else seed.integer(0, 2**32 - 1)),
    )


def _axis(r: _Reader) -> AxisItem:
    from engine.axes import recipe_from_dict as axis_recipe

    recipe = r.at("recipe").obj()
    try:  # the axes' own reader decides what a recipe kind needs; any failure is the file's fault
        typed = axis_recipe(recipe)
    except RecipeError:
        raise
    except Exception as exc:  # noqa: BLE001 - AxisError, or TypeError from a value of the wrong shape
        raise RecipeError(f"{r.path}.recipe cannot be read as an axis: {exc}") from None
    return AxisItem(name=r.get("name", _Reader.string, "") or typed.name or "axis", recipe=typed.to_dict(),
                    band_resamples=r.get("band_resamples", lambda c: c.integer(0, 1_000), 50),
                    band_seed=r.get("band_seed", lambda c: c.integer(0, 2**32 - 1), 0))


def _weat(r: _Reader) -> WeatItem:
    from engine.bias import WeatQuery

    try:
        query = WeatQuery.from_dict(r.at("query").obj()).to_dict()
    except RecipeError:
        raise
    except Exception as exc:  # noqa: BLE001 - BiasError for a set that is not a list of words
        raise RecipeError(f"{r.path}.query: {exc}") from None
    return WeatItem(query=query, models=r.get("models", _Reader.ids, ()),
                    templates=r.get("templates", lambda c: c.strings(20), ()),
                    seed=r.get("seed", lambda c: c.integer(0, 2**32 - 1), 0),
                    n_permutations=r.get("n_permutations", lambda c: c.integer(100, 100_000), 10_000),
                    test_id=r.get("test_id", _Reader.string, ""))


def _pair(r: _Reader) -> tuple[str, str]:
    words = r.strings(2)
    if len(words) != 2:
        raise RecipeError(f"{r.path} must be a pair of two words, e.g. [\"she\", \"he\"].")
    return words[0], words[1]


def _direction(r: _Reader) -> DirectionItem:
    return DirectionItem(
        name=r.get("name", _Reader.string, ""), pairs=tuple(_pair(p) for p in r.at("pairs").items(500)),
        neutral=r.get("neutral", lambda c: c.strings(5_000), ()), targets=r.get("targets", lambda c: c.strings(5_000), ()),
        models=r.get("models", _Reader.ids, ()), templates=r.get("templates", lambda c: c.strings(20), ()),
        method=r.get("method", lambda c: c.choice(("pca", "mean")), "pca"),
        c=r.get("c", lambda c: c.number(0.1, 5.0), 1.0),
        baseline=r.get("baseline", lambda c: c.choice(("random_pairs", "random_unit")), "random_pairs"),
        n_random=r.get("n_random", lambda c: c.integer(10, 100_000), 1_000),
        pool_size=r.get("pool_size", lambda c: c.integer(0, 400_000), 0),
        seed=r.get("seed", lambda c: c.integer(0, 2**32 - 1), 0),
    )


def _search(r: _Reader) -> SearchItem:
    from engine.search import SEARCH_MODES

    query = r.at("query").string()
    if not query.strip():
        raise RecipeError(f"{r.path}.query is empty; remove the search or type a query.")
    return SearchItem(mode=r.at("mode").choice(SEARCH_MODES), query=query,
                      k=r.get("k", lambda c: c.integer(1, 1_000), 10), models=r.get("models", _Reader.ids, ()),
                      dense_weight=r.get("dense_weight", lambda c: c.number(0.0, 1.0), 0.5),
                      regex=r.get("regex", _Reader.boolean, False),
                      case_sensitive=r.get("case_sensitive", _Reader.boolean, False))


def _compare(r: _Reader) -> CompareItem:
    models = r.at("models").ids()
    if len(models) < 2:
        raise RecipeError(f"{r.path}.models needs two or more models to compare.")
    return CompareItem(models=models, k=r.get("k", lambda c: c.integer(1, 200), 10),
                       seed=r.get("seed", lambda c: c.integer(0, 2**32 - 1), 0))
