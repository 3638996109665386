"""Plots of the output tables, for notebooks and the HTML report.

Every function takes the tables as a mapping of name -> DataFrame (``Result.tables()``, or
:func:`load_tables` of an output folder) and returns a matplotlib Figure, made without pyplot
(no global state; Jupyter shows the returned figure once). Japanese text is
drawn with the IPAex Gothic font that matplotlib-fontja installs from PyPI (no system fonts,
no downloads at run time).
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Mapping
from pathlib import Path

import matplotlib_fontja  # noqa: F401  (sets the Japanese font family on import)
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

Tables = Mapping[str, pd.DataFrame]


class PlotFigure(Figure):
    """A matplotlib Figure that Jupyter shows as PNG without pyplot's inline backend."""

    def _repr_png_(self) -> bytes:
        return to_png(self)


def load_tables(folder: Path | str) -> dict[str, pd.DataFrame]:
    """Read every table of a jtopics output folder (CSV, else Parquet)."""
    folder = Path(folder)
    tables: dict[str, pd.DataFrame] = {}
    for path in sorted(folder.glob("*.csv")) + sorted(folder.glob("*.parquet")):
        name = path.stem
        if name in tables:
            continue
        if path.suffix == ".csv":
            tables[name] = pd.read_csv(path, keep_default_na=False, encoding="utf-8-sig")
        else:
            tables[name] = pd.read_parquet(path)
    return tables


def _short(text: str, n: int = 28) -> str:
    text = str(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def theme_heatmap(tables: Tables) -> Figure:
    """Theme x article heatmap of ``article_themes.score`` (articles by title)."""
    themes = tables["themes"]
    articles = tables["articles"]
    scores = tables["article_themes"].pivot_table(
        index="article_id", columns="theme_id", values="score", aggfunc="max")
    scores = scores.reindex(index=articles["article_id"], columns=themes["theme_id"]).fillna(0)
    labels = themes.set_index("theme_id")["label_ja"]
    titles = articles.set_index("article_id")["title"]
    fig = PlotFigure(figsize=(1.0 + 0.55 * len(scores.columns), 1.6 + 0.45 * max(1, len(scores))),
                 layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(scores.to_numpy(), aspect="auto", cmap="YlOrRd", vmin=0, vmax=1)
    ax.set_xticks(range(len(scores.columns)),
                  [labels.get(t, t) for t in scores.columns], rotation=60, ha="right")
    ax.set_yticks(range(len(scores)), [_short(titles.get(a, a)) for a in scores.index])
    ax.set_title("記事ごとのテーマ (article_themes.score)")
    fig.colorbar(image, ax=ax, shrink=0.8, label="score")
    return fig


def top_terms(tables: Tables, n_terms: int = 8) -> Figure:
    """Top terms of each topic as horizontal bars."""
    topics = tables["topics"]
    summary = tables["topic_summary"]
    ids = list(summary["topic_id"])
    cols = min(3, max(1, len(ids)))
    rows = int(np.ceil(len(ids) / cols)) or 1
    fig = PlotFigure(figsize=(4.2 * cols, 2.6 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax in axes.flat[len(ids):]:
        ax.axis("off")
    for ax, topic_id in zip(axes.flat, ids, strict=False):
        rows_ = topics[topics["topic_id"] == topic_id].sort_values("rank").head(n_terms)
        ax.barh(range(len(rows_)), rows_["weight"], color="#4c72b0")
        ax.set_yticks(range(len(rows_)), rows_["term"])
        ax.invert_yaxis()
        share = summary.set_index("topic_id").loc[topic_id, "share"]
        ax.set_title(f"トピック {topic_id} ({float(share):.0%})", fontsize=10)
    fig.suptitle("トピックの上位語 (topics)")
    return fig


def theme_share_over_time(tables: Tables) -> Figure:
    """Share of dated sections tagged with each theme, by month of ``published``."""
    sections = tables["sections"]
    tagged = tables["section_themes"]
    month = sections.set_index("section_id")["published"].astype(str).str[:7]
    dated = month[month.str.match(r"^\d{4}-\d{2}$")]
    fig = PlotFigure(figsize=(8, 4), layout="constrained")
    ax = fig.subplots()
    ax.set_title("テーマの推移 (月ごとの節の割合)")
    if dated.empty:
        ax.text(0.5, 0.5, "日付のある節がありません", ha="center", va="center",
                transform=ax.transAxes)
        ax.axis("off")
        return fig
    per_month = dated.value_counts().sort_index()
    labels = tables["themes"].set_index("theme_id")["label_ja"]
    tagged = tagged[tagged["section_id"].isin(dated.index)]
    counts = tagged.assign(period=tagged["section_id"].map(dated)).groupby(
        ["period", "theme_id"]).size().unstack(fill_value=0).reindex(per_month.index,
                                                                     fill_value=0)
    share = counts.div(per_month, axis=0)
    for theme_id in share.columns:
        ax.plot(share.index, share[theme_id], marker="o", label=labels.get(theme_id, theme_id))
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("節の割合")
    ax.legend(fontsize=8, ncol=2, loc="upper left", bbox_to_anchor=(1.01, 1))
    return fig


def k_selection_curve(tables: Tables) -> Figure | None:
    """Coherence, stability and score against k (None without a ``k_selection`` table)."""
    table = tables.get("k_selection")
    if table is None or table.empty:
        return None
    fig = PlotFigure(figsize=(7, 3.5), layout="constrained")
    ax = fig.subplots()
    for column, style in (("coherence", "o-"), ("stability", "s-"), ("score", "^-")):
        ax.plot(table["k"], table[column].astype(float), style, label=column)
    chosen = table[table["chosen"].astype(str).isin(["True", "true", "1"])]
    for k in chosen["k"]:
        ax.axvline(float(k), color="grey", linestyle="--")
    ax.set_xlabel("k (トピック数)")
    ax.set_title("トピック数の選択 (k_selection)")
    ax.legend()
    return fig


def _group_rows(tables: Tables, table: str, by: str | None) -> tuple[pd.DataFrame, str] | None:
    """The all-dates rows of a group table for one field (the first one by default)."""
    rows = tables.get(table)
    if rows is None or rows.empty:
        return None
    by = by or str(rows["by"].iloc[0])
    rows = rows[(rows["by"].astype(str) == by) & (rows["period"].astype(str) == "")]
    return (rows, by) if len(rows) else None


def group_theme_shares(tables: Tables, by: str | None = None, n_themes: int = 6,
                       n_groups: int = 20) -> Figure | None:
    """Each theme's share of each group's sections with its 95% interval: one panel per theme
    (the ``n_themes`` most tagged), groups as rows (the ``n_groups`` largest). None without a
    ``group_themes`` table for ``by``."""
    found = _group_rows(tables, "group_themes", by)
    if found is None:
        return None
    rows, by = found
    rows = rows.astype({"share": float, "ci_low": float, "ci_high": float,
                        "n_sections": int, "group_sections": int})
    totals = rows.groupby("theme_id")["n_sections"].sum().sort_values(ascending=False,
                                                                        kind="stable")
    themes = [t for t in totals.index if totals[t] > 0][:n_themes] or list(totals.index[:1])
    sizes = rows.drop_duplicates("group").set_index("group")["group_sections"]
    groups = list(sizes.sort_values(ascending=False, kind="stable").index[:n_groups])
    groups.sort()
    labels = tables["themes"].set_index("theme_id")["label_ja"] if "themes" in tables else {}
    cols = min(3, len(themes))
    n_rows = -(-len(themes) // cols)
    fig = PlotFigure(figsize=(3.6 * cols + 1.2, 0.8 + n_rows * (0.6 + 0.24 * len(groups))),
                     layout="constrained")
    axes = fig.subplots(n_rows, cols, squeeze=False, sharey=True)
    for ax in axes.flat[len(themes):]:
        ax.axis("off")
    for ax, theme_id in zip(axes.flat, themes, strict=False):
        view = rows[rows["theme_id"] == theme_id].set_index("group").reindex(groups)
        y = np.arange(len(groups))
        ax.barh(y, view["share"], color="#4c72b0", alpha=0.8)
        ax.errorbar(view["share"], y, xerr=[view["share"] - view["ci_low"],
                                            view["ci_high"] - view["share"]],
                    fmt="none", ecolor="#222", capsize=2, linewidth=0.8)
        ax.set_yticks(y, [_short(g, 20) for g in groups])
        ax.invert_yaxis()
        ax.set_title(str(labels.get(theme_id, theme_id)), fontsize=10)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    fig.suptitle(f"{by} ごとのテーマの割合 (節の割合と95%区間, group_themes)")
    return fig


def group_period_heatmap(tables: Tables, themes: list[str] | None = None, by: str | None = None,
                         n_themes: int = 3, n_groups: int = 20) -> Figure | None:
    """Group x period heatmaps of theme shares of sections, one panel per theme (default: the
    ``n_themes`` most tagged); None without per-period ``group_themes`` rows."""
    rows = tables.get("group_themes")
    if rows is None or rows.empty:
        return None
    by = by or str(rows["by"].iloc[0])
    rows = rows[(rows["by"].astype(str) == by) & (rows["period"].astype(str) != "")]
    if rows.empty:
        return None
    rows = rows.astype({"share": float, "n_sections": int, "group_sections": int})
    if themes is None:
        totals = rows.groupby("theme_id")["n_sections"].sum().sort_values(ascending=False,
                                                                            kind="stable")
        themes = [t for t in totals.index if totals[t] > 0][:n_themes] or list(totals.index[:1])
    sizes = rows.drop_duplicates(["group", "period"]).groupby("group")["group_sections"].sum()
    groups = sorted(sizes.sort_values(ascending=False, kind="stable").index[:n_groups])
    periods = sorted(rows["period"].astype(str).unique())
    labels = tables["themes"].set_index("theme_id")["label_ja"] if "themes" in tables else {}
    fig = PlotFigure(figsize=(min(14, 3.0 + 0.22 * len(periods)),
                              0.6 + len(themes) * (0.9 + 0.28 * len(groups))),
                     layout="constrained")
    axes = fig.subplots(len(themes), 1, squeeze=False)[:, 0]
    step = max(1, len(periods) // 16)  # at most about 16 period labels
    for ax, theme_id in zip(axes, themes, strict=True):
        view = rows[rows["theme_id"] == theme_id]
        grid = view.pivot_table(index="group", columns="period", values="share",
                                aggfunc="first").reindex(index=groups, columns=periods)
        image = ax.imshow(grid.to_numpy(dtype=float), aspect="auto", cmap="YlOrRd", vmin=0,
                          interpolation="nearest")
        ax.set_xticks(range(0, len(periods), step), periods[::step], rotation=60, ha="right")
        ax.set_yticks(range(len(groups)), [_short(g, 20) for g in groups])
        ax.set_title(str(labels.get(theme_id, theme_id)), fontsize=10)
        fig.colorbar(image, ax=ax, shrink=0.9, label="share", format=PercentFormatter(1.0))
    fig.suptitle(f"{by} x 期間のテーマの割合 (節の割合, 空白は記事なし, group_themes)")
    return fig


def distinctive_terms(tables: Tables, by: str | None = None, theme_id: str = "",
                      n_terms: int = 10) -> pd.DataFrame:
    """The top ``n_terms`` of ``keyness`` per group as one row each (group, terms)."""
    rows = tables.get("keyness")
    if rows is None or rows.empty:
        return pd.DataFrame(columns=["group", "terms"])
    by = by or str(rows["by"].iloc[0])
    rows = rows[(rows["by"].astype(str) == by) & (rows["theme_id"].astype(str) == theme_id)]
    rows = rows.astype({"rank": int}).sort_values(["group", "rank"])
    top = rows[rows["rank"] <= n_terms].groupby("group", sort=True)["term"].agg("、".join)
    return pd.DataFrame({"group": top.index, "terms": top.to_numpy()})


def keyness_bars(tables: Tables, by: str | None = None, theme_id: str = "",
                 n_terms: int = 8, n_groups: int = 12) -> Figure | None:
    """The most distinctive terms of each group (z of the log-odds ratio) as small bar charts;
    None without ``keyness`` rows."""
    rows = tables.get("keyness")
    if rows is None or rows.empty:
        return None
    by = by or str(rows["by"].iloc[0])
    rows = rows[(rows["by"].astype(str) == by) & (rows["theme_id"].astype(str) == theme_id)]
    if rows.empty:
        return None
    rows = rows.astype({"rank": int, "z": float})
    groups = sorted(rows["group"].astype(str).unique())[:n_groups]
    cols = min(3, len(groups))
    n_rows = -(-len(groups) // cols)
    fig = PlotFigure(figsize=(3.8 * cols, 0.6 + n_rows * (0.5 + 0.26 * n_terms)),
                     layout="constrained")
    axes = fig.subplots(n_rows, cols, squeeze=False)
    for ax in axes.flat[len(groups):]:
        ax.axis("off")
    for ax, group in zip(axes.flat, groups, strict=False):
        view = rows[rows["group"].astype(str) == group].sort_values("rank").head(n_terms)
        ax.barh(range(len(view)), view["z"], color="#55a868")
        ax.set_yticks(range(len(view)), [_short(t, 16) for t in view["term"]])
        ax.invert_yaxis()
        ax.set_title(_short(group, 24), fontsize=10)
    about = f" ({theme_id} の節)" if theme_id else ""
    fig.suptitle(f"{by} ごとの特徴語{about} (対数オッズ比の z, keyness)")
    return fig


def section_evidence_html(tables: Tables, section_id: str) -> str:
    """The section's text as HTML with every evidence term of its themes highlighted."""
    sections = tables["sections"].set_index("section_id")
    if section_id not in sections.index:
        raise KeyError(f"no section {section_id!r}")
    row = sections.loc[section_id]
    tagged = tables["section_themes"]
    tagged = tagged[tagged["section_id"] == section_id]
    terms = set()
    for evidence in tagged["evidence"]:
        for item in str(evidence).split("; "):
            term = item.rsplit("×", 1)[0].strip()
            if term and not term.startswith("[topic"):
                terms.add(term)
    text = str(row["text"])
    if terms:
        pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len,
                                                                    reverse=True)))
        pieces, cursor = [], 0
        for match in pattern.finditer(text):
            pieces.append(html.escape(text[cursor:match.start()]))
            pieces.append(f"<mark>{html.escape(match.group(0))}</mark>")
            cursor = match.end()
        pieces.append(html.escape(text[cursor:]))
        body = "".join(pieces)
    else:
        body = html.escape(text)
    themes = ", ".join(f"{t} ({s:.2f})" for t, s in zip(tagged["theme_id"],
                                                          tagged["score"].astype(float),
                                                          strict=True))
    return (f"<div class='section'><h3>{html.escape(section_id)} "
            f"{html.escape(str(row.get('heading', '')))}</h3>"
            f"<p class='themes'>{html.escape(themes) or 'no theme'}</p>"
            f"<pre style='white-space: pre-wrap'>{body}</pre></div>")


def to_png(fig: Figure, dpi: int = 110) -> bytes:
    """PNG bytes of a figure."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


ALL_PLOTS = {
    "theme_heatmap": theme_heatmap,
    "top_terms": top_terms,
    "theme_share_over_time": theme_share_over_time,
    "k_selection_curve": k_selection_curve,
    "group_theme_shares": group_theme_shares,
    "group_period_heatmap": group_period_heatmap,
    "keyness_bars": keyness_bars,
}
