"""Typed errors. Every message says what is wrong and what the user can do about it."""
from __future__ import annotations


class EmbedscapeError(Exception):
    """Base class: an error whose message is meant for the user, shown without a traceback."""

    exit_code: int = 1


class CorpusError(EmbedscapeError):
    """A corpus file or table cannot be read or used."""

    exit_code = 3


class LimitError(CorpusError):
    """An input is over a configured cap (file size, row count)."""


class ModelError(EmbedscapeError):
    """A model is unknown or cannot be loaded."""

    exit_code = 4


class UnknownModelError(ModelError):
    """No model of that name in the registry, and the name is not a loadable model."""


class ModelLoadError(ModelError):
    """The model exists in principle but cannot be loaded here (offline, missing package, typo)."""


class StoreError(EmbedscapeError):
    """The workspace store has no such item, or cannot be written."""

    exit_code = 5


class EmbedCancelled(EmbedscapeError):
    """The user cancelled an embedding run; nothing partial was stored."""

    exit_code = 130


class ProjectionError(EmbedscapeError):
    """A projection (UMAP, PCA) cannot be computed for this input."""

    exit_code = 6


class SearchError(EmbedscapeError):
    """A search query or index cannot be used."""

    exit_code = 7


class AxisError(EmbedscapeError):
    """An axis cannot be defined or applied."""

    exit_code = 8


class BiasError(EmbedscapeError):
    """A bias measure cannot be computed for these word sets."""

    exit_code = 9


class ExpressionError(SearchError, AxisError):
    """A vector-arithmetic expression cannot be read (shared by Search and Axes, so either
    area's handler catches it)."""

    exit_code = 7


class RecipeError(EmbedscapeError):
    """An analysis recipe file cannot be read, or does not fit this workspace."""

    exit_code = 10
