"""Bias presets: named, editable starting points (pairs, targets, neutral words, what to debias).

Gender uses Bolukbasi et al.'s definitional pairs and occupations; sentiment and age come from
``assets/wordsets/presets.json``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from engine.bias.words import parse_pairs


@dataclass(frozen=True, slots=True)
class BiasPreset:
    """A named, editable starting point: pairs for the direction, targets, neutral words."""

    preset_id: str
    title: str
    description: str
    pairs: tuple[tuple[str, str], ...]
    targets: tuple[str, ...]
    neutral: tuple[str, ...]
    equalize_pairs: tuple[tuple[str, str], ...]
    probes: tuple[str, ...]
    weat_test: str | None
    specific: tuple[str, ...] = ()  # words the debias preview must not neutralise


def presets() -> dict[str, BiasPreset]:
    """Gender (Bolukbasi pairs, occupations), sentiment (Bing Liu lexicon) and age presets."""
    from engine.demo import WORDSETS, gender_lists, weat_sets

    gender = gender_lists()
    weat = weat_sets()
    gendered = tuple(dict.fromkeys(
        w for name in ("male_terms", "female_terms", "male_terms_2", "female_terms_2", "male_names", "female_names")
        for w in weat[name]
    ))
    raw = json.loads((WORDSETS / "presets.json").read_text())
    out = {
        "gender": BiasPreset(
            "gender", "Gender (she ↔ he)",
            "Bolukbasi et al.'s ten definitional pairs; occupations as targets and as neutral words.",
            parse_pairs(gender["definitional_pairs"]),  # type: ignore[arg-type]
            tuple(gender["occupations"]), tuple(gender["occupations"]),  # type: ignore[arg-type]
            parse_pairs(gender["equalize_pairs"]),  # type: ignore[arg-type]
            ("nurse", "engineer", "homemaker", "programmer", "receptionist"), "math_arts", gendered,
        )
    }
    for preset_id, p in raw["presets"].items():
        out[preset_id] = BiasPreset(
            preset_id, p["title"], p["description"], parse_pairs(p["pairs"]), tuple(p["targets"]),
            tuple(p["neutral"]), parse_pairs(p.get("equalize_pairs", p["pairs"])), tuple(p.get("probes", ())),
            p.get("weat_test"), tuple(p.get("specific", ())),
        )
    return out
