"""A standalone report of a recipe run, as one HTML file and as Markdown, readable offline.

The report is built once as a list of plain blocks (headings, paragraphs, tables, one image, a
code block) whose strings are *text*, then rendered twice; only the renderers write markup, and
they escape every string (:mod:`engine.markup`). Why blocks: the HTML and the Markdown can never
disagree on content, and no section can forget to escape.

* HTML: a ``Content-Security-Policy`` meta forbids every script and every remote load
  (``default-src 'none'; img-src data:; style-src 'unsafe-inline'``), there is no link, and the
  map is a PNG drawn here with matplotlib and embedded as a ``data:`` URI.
* Markdown: user text is backslash-escaped with autolinks broken, so a corpus text such as
  ``![x](http://…)``, ``<img onerror=…>`` or ``[a](javascript:…)`` shows as those characters.
  The recipe is an indented code block (JSON has no raw line breaks inside strings, so no line
  can leave the block); the map is an embedded ``data:`` image of our own PNG.
"""
from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.markup import escape_html, escape_markdown, escape_markdown_line
from engine.recipe import TOP_N, Outcome, RecipeRun, ranking_order

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
MAP_POINTS = 50_000  # more points than this are a seeded sample in the PNG (the figure stays small)
_STYLE = ("body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}"
          "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .5em;"
          "text-align:left;vertical-align:top;font-size:.9em}th{background:#f3f3f3}pre{background:#f6f6f6;"
          "padding:1em;overflow:auto;font-size:.8em;white-space:pre-wrap}img{max-width:100%}.note{color:#555}")


@dataclass(frozen=True, slots=True)
class Block:
    kind: str  # h1 | h2 | h3 | p | note | table | image | code
    text: str = ""
    headers: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    data: bytes = b""


@dataclass(frozen=True, slots=True)
class Report:
    title: str
    blocks: tuple[Block, ...]

    def html(self) -> str:
        """One self-contained HTML document (no script, no remote resource, CSP meta first)."""
        body = "\n".join(_html_block(b) for b in self.blocks)
        return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n"
                "<meta name=\"referrer\" content=\"no-referrer\">\n"
                f"<title>{escape_html(self.title)}</title>\n<style>{_STYLE}</style></head>\n"
                f"<body>\n{body}\n</body></html>\n")

    def markdown(self) -> str:
        """The same content as Markdown; no corpus text can become a link, image or HTML."""
        return "\n\n".join(_md_block(b) for b in self.blocks) + "\n"


def _html_block(b: Block) -> str:
    if b.kind in ("h1", "h2", "h3", "p"):
        return f"<{b.kind}>{escape_html(b.text)}</{b.kind}>"
    if b.kind == "note":
        return f"<p class=\"note\">{escape_html(b.text)}</p>"
    if b.kind == "table":
        head = "".join(f"<th>{escape_html(h)}</th>" for h in b.headers)
        rows = "".join("<tr>" + "".join(f"<td>{escape_html(c)}</td>" for c in row) + "</tr>" for row in b.rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    if b.kind == "image":
        return (f"<p><img alt=\"{escape_html(b.text)}\" "
                f"src=\"data:image/png;base64,{base64.b64encode(b.data).decode('ascii')}\"></p>")
    return f"<pre>{escape_html(b.text)}</pre>"


def _md_block(b: Block) -> str:
    if b.kind in ("h1", "h2", "h3"):
        return "#" * int(b.kind[1]) + " " + escape_markdown_line(b.text)
    if b.kind == "p":
        return escape_markdown_line(b.text)
    if b.kind == "note":
        return "*" + escape_markdown_line(b.text) + "*"
    if b.kind == "table":
        lines = ["| " + " | ".join(escape_markdown_line(h) or " " for h in b.headers) + " |",
                 "|" + "---|" * len(b.headers)]
        lines += ["| " + " | ".join(escape_markdown_line(c) or " " for c in row) + " |" for row in b.rows]
        return "\n".join(lines)
    if b.kind == "image":
        return f"![{escape_markdown_line(b.text)}](data:image/png;base64,{base64.b64encode(b.data).decode('ascii')})"
    return "\n".join("    " + line for line in b.text.splitlines())  # indented code: nothing inside renders


# -- content -----------------------------------------------------------------------------------------------
def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, (float, np.floating)):
        return "–" if not np.isfinite(value) else f"{float(value):.{digits}f}"
    return str(value)


def _p(value: float) -> str:
    return f"{value:.2g}" if value < 0.001 else f"{value:.4f}"


def build_report(run: RecipeRun, *, label_column: str | None = None, title: str | None = None) -> Report:
    """The report of a run: map, axis rankings with stability, bias with baselines, searches,
    comparison figures and the recipe itself. ``label_column`` names items (default: a guess)."""
    from engine.labels import guess_label_column, item_labels, shorten

    corpus = run.corpus
    labels = item_labels(corpus, label_column if label_column is not None else guess_label_column(corpus))
    texts = [shorten(t, 140) for t in corpus.texts]
    recipe = run.recipe
    title = title or f"Embedscape report: {corpus.name}"
    blocks = [Block("h1", title),
              Block("p", f"Corpus {corpus.name} ({corpus.corpus_id}), {len(corpus):,} rows, {run.match}. Models: "
                         + ", ".join(f"{m.model_id} (revision {m.revision or '?'}, {m.route})" for m in recipe.models)
                         + f". Recipe created {recipe.created or 'now'}.")]
    blocks += [Block("note", n) for n in run.notes]
    blocks += _map_blocks(run)
    blocks += _axis_blocks(run, labels, texts)
    blocks += _bias_blocks(run)
    blocks += _search_blocks(run, labels, texts)
    blocks += _compare_blocks(run)
    blocks += [Block("h2", "Recipe"),
               Block("p", "Run it again with: python -m engine recipe run recipe.json"),
               Block("code", json.dumps(recipe.to_dict(), indent=2, ensure_ascii=False))]
    return Report(title, tuple(blocks))


def _errors(outcomes: list[Outcome]) -> list[Block]:
    return [Block("note", f"{o.label} ({o.model_id}) could not run: {o.error}") for o in outcomes if o.error]


def _map_blocks(run: RecipeRun) -> list[Block]:
    maps = run.of("projection")
    done = [o for o in maps if o.error is None]
    if not maps:
        return []
    blocks = [Block("h2", "Map")]
    if done:
        first = done[0]
        axis = next((o for o in run.of("axis") if o.error is None and o.model_id == first.model_id), None)
        png = map_png(np.asarray(first.value.coords), None if axis is None else np.asarray(axis.value.scores))
        caption = f"{first.model_id}, {first.label}" + (f", coloured by the axis {axis.label}" if axis else "")
        blocks.append(Block("image", caption, data=png))
        rows = tuple((o.model_id, o.value.method, str(o.value.dims), _fmt(o.value.seed),
                      _fmt(o.value.quality.get("trustworthiness")), _fmt(o.value.quality.get("knn_preservation")),
                      "; ".join(o.value.notes)) for o in done)
        blocks.append(Block("table", headers=("model", "method", "dims", "seed", "trustworthiness",
                                              "kNN preservation", "notes"), rows=rows))
    return blocks + _errors(maps)


def map_png(coords: np.ndarray, colour: np.ndarray | None = None, *, seed: int = 0) -> bytes:
    """A static PNG of a 2-D (or the first two axes of a 3-D) layout; NaN rows are not drawn.

    Uses matplotlib's object API with the Agg canvas (no pyplot: no global state shared by
    the server's threads).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    xy = np.asarray(coords, dtype=np.float64)[:, :2]
    keep = np.flatnonzero(np.isfinite(xy).all(axis=1))
    if keep.size > MAP_POINTS:
        keep = np.sort(np.random.default_rng(seed).choice(keep, MAP_POINTS, replace=False))
    figure = Figure(figsize=(7, 5.2), dpi=100)
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    size = float(np.clip(3000 / max(keep.size, 1), 1, 30))
    if colour is not None and np.isfinite(colour[keep]).any():
        points = ax.scatter(xy[keep, 0], xy[keep, 1], c=colour[keep], cmap="coolwarm", s=size, linewidths=0)
        figure.colorbar(points, ax=ax, label="axis score")
    else:
        ax.scatter(xy[keep, 0], xy[keep, 1], s=size, color="#4c78a8", linewidths=0)
    ax.set_xticks([])
    ax.set_yticks([])
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _axis_blocks(run: RecipeRun, labels: list[str], texts: list[str]) -> list[Block]:
    axes = run.of("axis")
    if not axes:
        return []
    blocks = [Block("h2", "Axis rankings")]
    ids = run.corpus.ids
    for o in axes:
        if o.error:
            continue
        fit, band = o.extra.get("fit"), o.extra.get("band")
        order = ranking_order(o.value)
        blocks.append(Block("h3", f"{o.label} ({o.model_id})"))
        axis = fit.axis if fit is not None else None
        line = f"{order.size:,} items ranked from {axis.positive_label if axis else '+'} (rank 1) to " \
               f"{axis.negative_label if axis else '−'}."
        if band is not None:
            line += (f" Stability: rank interval {band.percentiles[0]:g}–{band.percentiles[1]:g} % over "
                     f"{band.n_resamples} bootstrap resamples of the pole seeds.")
            if band.degenerate:
                line += " The band is degenerate (one seed per pole): zero width is not robustness."
        if fit is not None and fit.dropped:
            line += " Left out (not representable): " + ", ".join(fit.dropped[:20]) + "."
        blocks.append(Block("p", line))
        for end, rows in (("Top", order[:TOP_N]), ("Bottom", order[::-1][:TOP_N])):
            blocks.append(Block("table", headers=(f"{end} rank", "id", "label", "text", "score", "rank interval"),
                                rows=tuple((str(int(o.value.ranks[r])), ids[r], labels[r], texts[r],
                                            _fmt(o.value.scores[r]), _band(band, r)) for r in (int(x) for x in rows))))
    return blocks + _errors(axes)


def _band(band: Any, row: int) -> str:
    if band is None or not np.isfinite(band.rank_low[row]):
        return "–"
    return f"{band.rank_low[row]:.0f}–{band.rank_high[row]:.0f}"


def _bias_blocks(run: RecipeRun) -> list[Block]:
    weat, directions = run.of("weat"), run.of("direction")
    if not weat and not directions:
        return []
    blocks = [Block("h2", "Bias")]
    done = [o for o in weat if o.error is None]
    if done:
        blocks.append(Block("p", "WEAT (Caliskan et al. 2017): effect size d and the one-sided permutation p-value; "
                                 "the baseline is the permutation distribution of the test statistic S."))
        rows = []
        for o in done:
            r = o.value
            null95 = float(np.percentile(r.permutation_stats, 95)) if len(r.permutation_stats) else float("nan")
            missing = "; ".join(f"{k}: {', '.join(v)}" for k, v in r.missing.items() if v)
            rows.append((o.model_id, f"{r.names[0]} vs {r.names[1]}", f"{r.names[2]} vs {r.names[3]}",
                         _fmt(r.effect_size), _fmt(r.statistic), _fmt(null95), _p(r.p_value),
                         f"{'exact' if r.exact else 'sampled'}, {r.n_partitions:,}", missing or "–"))
        blocks.append(Block("table", headers=("model", "targets", "attributes", "effect size d", "S",
                                              "S at 95 % of permutations", "p", "partitions", "unknown words"),
                            rows=tuple(rows)))
    done = [o for o in directions if o.error is None]
    if done:
        blocks.append(Block("p", "Bias directions (Bolukbasi et al. 2016): direct bias over neutral words against "
                                 "random directions (baseline median and 95th percentile; p = share at least as large)."))
        rows = []
        for o in done:
            d, b = o.value.direction, o.value.direct_bias
            rows.append((o.model_id, o.label, _fmt(d.explained), _fmt(b.value if b else None),
                         _fmt(b.baseline_median if b else None), _fmt(b.baseline_p95 if b else None),
                         _p(b.p_value) if b else "–", b.baseline_kind if b else "–", d.warning or ""))
        blocks.append(Block("table", headers=("model", "direction", "PC1 explained", "direct bias", "baseline median",
                                              "baseline 95th pct", "p", "baseline", "warning"), rows=tuple(rows)))
    return blocks + _errors(weat + directions)


def _search_blocks(run: RecipeRun, labels: list[str], texts: list[str]) -> list[Block]:
    searches = run.of("search")
    if not searches:
        return []
    blocks = [Block("h2", "Searches")]
    for o in searches:
        if o.error:
            continue
        blocks.append(Block("h3", f"{o.label}" + (f" ({o.model_id})" if o.model_id else "")))
        rows = tuple((str(i + 1), str(item_id), labels[row], texts[row], _fmt(score))
                     for i, (item_id, row, score) in enumerate(zip(o.value.ids, o.value.rows, o.value.scores)))
        blocks.append(Block("table", headers=("rank", "id", "label", "text", "score"), rows=rows))
        blocks += [Block("note", n) for n in o.value.notes]
    return blocks + _errors(searches)


def _compare_blocks(run: RecipeRun) -> list[Block]:
    compares = run.of("compare")
    if not compares:
        return []
    blocks = [Block("h2", "Model comparison")]
    for o in compares:
        if o.error:
            continue
        c = o.value
        blocks.append(Block("p", f"Neighbour agreement at k = {c.k} over {c.n:,} items (seed {c.seed})."))
        rows = tuple((p["pair"], _fmt(p.get("mean_jaccard")), _fmt(p.get("chance_jaccard")), _fmt(p.get("mean_rbo")),
                      _fmt(p.get("chance_rbo")), _fmt(p.get("cka")), _fmt(p.get("similarity_spearman")))
                     for p in c.pairs)
        blocks.append(Block("table", headers=("pair", "mean Jaccard@k", "chance", "mean RBO", "chance", "linear CKA",
                                              "Spearman of similarities"), rows=rows))
    return blocks + _errors(compares)


def headline(o: Outcome) -> str:
    """One plain line of an outcome's main figure (or its error), for a results table."""
    if o.error is not None:
        return f"could not run: {o.error}"
    v = o.value
    if o.kind == "projection":
        return f"{int(v.projected.sum()):,} points, trustworthiness {_fmt(v.quality.get('trustworthiness'))}"
    if o.kind == "axis":
        band = o.extra.get("band")
        return f"{v.n_ranked:,} ranked" + (f", stability band of {band.n_resamples} resamples" if band else "")
    if o.kind == "weat":
        return f"d = {v.effect_size:+.3f}, p = {_p(v.p_value)}"
    if o.kind == "direction":
        b = v.direct_bias
        return "no neutral words" if b is None else \
            f"direct bias {b.value:.3f} (baseline median {b.baseline_median:.3f}), p = {_p(b.p_value)}"
    if o.kind == "search":
        return f"{len(v.ids)} hits"
    return "; ".join(f"{p['pair']}: mean Jaccard {_fmt(p.get('mean_jaccard'))}" for p in v.pairs)


def summary_rows(run: RecipeRun) -> list[dict[str, str]]:
    """``{"what", "name", "model", "result"}`` per outcome (the app's table, the CLI's lines)."""
    return [{"what": o.kind, "name": o.label, "model": o.model_id, "result": headline(o)} for o in run.outcomes]
