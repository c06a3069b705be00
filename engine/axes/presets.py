"""Bundled axis presets (``assets/axes/presets.json``): named ``poles`` recipes with a description."""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.axes.recipes import PolesRecipe
from engine.axes.saved import axis_key
from engine.errors import AxisError


@dataclass(frozen=True, slots=True)
class AxisPreset:
    """A preset: its recipe (seed texts per pole, name, labels) and a one-line description."""

    recipe: PolesRecipe
    description: str = ""

    @property
    def name(self) -> str:
        return self.recipe.name


def load_presets() -> list[AxisPreset]:
    """Axis presets from ``assets/axes/presets.json``.

    A pole given as ``{"lexicon": "positive"|"negative", "top": N}`` is filled with the N most
    frequent words of Bing Liu's opinion lexicon (``engine.demo.opinion_lexicon``).
    """
    from engine.demo import ASSETS

    raw = json.loads((ASSETS / "axes" / "presets.json").read_text(encoding="utf-8"))
    return [AxisPreset(PolesRecipe(name=entry["name"], labels=tuple(entry["labels"]),
                                   positive=_preset_pole(entry["positive"]), negative=_preset_pole(entry["negative"])),
                       entry.get("description", ""))
            for entry in raw["presets"]]


def find_preset(presets: Sequence[AxisPreset], name: str) -> AxisPreset:
    """The preset called ``name`` (or whose key, e.g. ``war-peace``, matches).

    Raises:
        AxisError: When no preset has that name.
    """
    for preset in presets:
        if preset.name == name or axis_key(preset.name) == axis_key(name):
            return preset
    raise AxisError(f"No preset {name!r}. Presets: {'; '.join(p.name for p in presets)}.")


def _preset_pole(spec: Any) -> tuple[str, ...]:
    if isinstance(spec, list):
        return tuple(str(s) for s in spec)
    if isinstance(spec, dict) and "lexicon" in spec:
        from engine.demo import opinion_lexicon

        words = [w for w in opinion_lexicon(str(spec["lexicon"])) if w.isalpha()]
        top = int(spec.get("top", 100))
        try:
            import wordfreq

            words = sorted(words, key=lambda w: -wordfreq.zipf_frequency(w, "en"))
        except ImportError:  # pragma: no cover - wordfreq is in requirements
            pass
        return tuple(words[:top])
    raise AxisError(f"Cannot read preset pole {spec!r}: give a list of texts or {{'lexicon': ..., 'top': N}}.")
