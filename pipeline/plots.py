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


def load_tables(folder: Path | str, skip: tuple[str, ...] = ()) -> dict[str, pd.DataFrame]:
    """Read the tables of a jtopics output folder (CSV, else Parquet), all but ``skip``
    (e.g. ``pipeline.tables.LARGE_TABLES``: a corpus's token table can be gigabytes)."""
    folder = Path(folder)
    tables: dict[str, pd.DataFrame] = {}
    for path in sorted(folder.glob("*.csv")) + sorted(folder.glob("*.parquet")):
        name = path.stem
        if name in tables or name in skip:
            continue
        if path.suffix == ".csv":
            tables[name] = pd.read_csv(path, keep_default_na=False, encoding="utf-8-sig")
        else:
            tables[name] = pd.read_parquet(path)
    return tables


def theme_colors(tables: Tables) -> dict[str, str]:
    """One distinct colour per theme, in taxonomy order (the same in every plot)."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    palette = [to_hex(c) for c in colormaps["tab20"].colors]
    palette = palette[0::2] + palette[1::2]  # the strong ten first, then their light pairs
    return {str(t): palette[i % len(palette)] for i, t in enumerate(tables["themes"]["theme_id"])}


def _short(text: str, n: int = 28) -> str:
    text = str(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def theme_heatmap(tables: Tables, max_articles: int = 30) -> Figure:
    """Theme x article heatmap of ``article_themes.score`` (articles by title): every article
    of a small corpus, else the ``max_articles`` with the highest scores (a page, whatever the
    corpus)."""
    themes = tables["themes"]
    articles = tables["articles"]
    scores = tables["article_themes"].pivot_table(
        index="article_id", columns="theme_id", values="score", aggfunc="max")
    scores = scores.reindex(index=articles["article_id"], columns=themes["theme_id"]).fillna(0)
    n_articles = len(scores)
    if n_articles > max_articles:
        strongest = scores.max(axis=1).sort_values(ascending=False, kind="stable")
        scores = scores.loc[strongest.index[:max_articles]]
    labels = themes.set_index("theme_id")["label_ja"]
    titles = articles.set_index("article_id")["title"]
    fig = PlotFigure(figsize=(1.0 + 0.55 * len(scores.columns), 1.6 + 0.45 * max(1, len(scores))),
                 layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(scores.to_numpy(), aspect="auto", cmap="YlOrRd", vmin=0, vmax=1)
    ax.set_xticks(range(len(scores.columns)),
                  [labels.get(t, t) for t in scores.columns], rotation=60, ha="right")
    ax.set_yticks(range(len(scores)), [_short(titles.get(a, a)) for a in scores.index])
    shown = (f"スコアの高い {len(scores)} 件 / {n_articles:,} 記事" if n_articles > len(scores)
             else f"{n_articles} 記事")
    ax.set_title(f"記事ごとのテーマ ({shown}, article_themes.score)")
    fig.colorbar(image, ax=ax, shrink=0.8, label="score")
    return fig


def top_terms(tables: Tables, n_terms: int = 8) -> Figure:
    """Top terms of each topic as horizontal bars."""
    topics = tables["topics"]
    summary = tables["topic_summary"]
    ids = list(summary["topic_id"])
    # Many topics: five a row and fewer terms each, so 30 topics stay within two screens.
    cols = min(3 if len(ids) <= 9 else 5, max(1, len(ids)))
    n_terms = n_terms if len(ids) <= 12 else min(n_terms, 6)
    rows = int(np.ceil(len(ids) / cols)) or 1
    height = 2.6 if len(ids) <= 12 else 0.5 + 0.22 * n_terms
    # A layout engine costs more than the drawing for dozens of panels: fixed margins then.
    fig = PlotFigure(figsize=(min(4.2, 14 / cols) * cols, height * rows + 0.5),
                     layout="constrained" if len(ids) <= 12 else None)
    if len(ids) > 12:
        fig.subplots_adjust(left=0.1, right=0.99, top=1 - 0.9 / fig.get_figheight(),
                            bottom=0.03, wspace=1.0, hspace=0.7)
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax in axes.flat[len(ids):]:
        ax.axis("off")
    for ax, topic_id in zip(axes.flat, ids, strict=False):
        rows_ = topics[topics["topic_id"] == topic_id].sort_values("rank").head(n_terms)
        ax.barh(range(len(rows_)), rows_["weight"], color="#4c72b0")
        # Short labels in a dense grid, so that no label runs into the next panel.
        names = rows_["term"] if len(ids) <= 12 else [_short(t, 8) for t in rows_["term"]]
        ax.set_yticks(range(len(rows_)), names)
        ax.invert_yaxis()
        share = summary.set_index("topic_id").loc[topic_id, "share"]
        ax.set_title(f"トピック {topic_id} ({float(share):.0%})", fontsize=10)
    fig.suptitle("トピックの上位語 (topics)")
    return fig


def _period_dates(periods: pd.Series) -> pd.Series:
    """Period labels (YYYY-MM-DD, YYYY-Www, YYYY-MM, YYYY-Qn, YYYY) as the dates they start."""
    def start(label: str):
        text = str(label)
        if "-W" in text:
            return pd.Timestamp.fromisocalendar(int(text[:4]), int(text[6:]), 1)
        if "-Q" in text:
            return pd.Timestamp(int(text[:4]), 3 * int(text[6:]) - 2, 1)
        return pd.Timestamp(text if len(text) > 4 else f"{text}-01-01")

    return periods.map(start)


def _trend_panels(trends: pd.DataFrame, key: str, value: str, panels: list,
                  titles: dict, colors: dict, suptitle: str) -> Figure:
    """One small line chart per panel (a theme or topic) over the periods of ``trends``,
    sharing a date axis clipped to the periods that hold 99% of the sections."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    periods = sorted(trends["period"].astype(str).unique())
    dates = _period_dates(pd.Series(periods, index=periods))
    counts = (trends.drop_duplicates("period").set_index("period")["period_sections"]
              .reindex(periods).fillna(0) if "period_sections" in trends else
              pd.Series(1.0, index=periods))
    # The axis spans the periods that hold 99% of the sections: a few stray old dates would
    # otherwise squeeze the years that matter into a corner.
    order = np.argsort(dates.to_numpy(), kind="stable")
    cumulative = np.cumsum(counts.to_numpy()[order]) / max(1.0, float(counts.sum()))
    first = order[np.searchsorted(cumulative, 0.005)]
    last = order[min(len(order) - 1, np.searchsorted(cumulative, 0.995))]
    outside = int(counts[((dates < dates.iloc[first]) | (dates > dates.iloc[last])).to_numpy()]
                  .sum())
    cols = min(4, len(panels))
    rows = -(-len(panels) // cols)
    # No layout engine: with a dozen panels it costs more than drawing them.
    fig = PlotFigure(figsize=(3.3 * cols, 1.6 + 1.9 * rows))
    grid = fig.add_gridspec(rows + 1, cols, height_ratios=[0.6] + [1.0] * rows, hspace=0.55,
                            wspace=0.15, left=0.06, right=0.98, top=1 - 0.5 / fig.get_figheight(),
                            bottom=0.35 / fig.get_figheight())
    # The sections behind each point: one strip of bars above the panels, on their date axis.
    strip = fig.add_subplot(grid[0, :])
    spacing = np.diff(np.sort(dates.to_numpy())).min() if len(dates) > 1 else None
    strip.bar(dates.to_numpy(), counts.to_numpy(dtype=float),
              width=spacing * 0.8 if spacing is not None else 20, color="#999")
    strip.set_title("期間の節数", fontsize=9)
    strip.tick_params(labelsize=7)
    axes = np.array([fig.add_subplot(grid[1 + i // cols, i % cols], sharex=strip)
                     for i in range(rows * cols)])
    for ax in axes[len(panels):]:
        ax.axis("off")
    for i, ax in enumerate(axes[:len(panels)]):
        if i % cols:
            ax.tick_params(labelleft=False)
    top = max(float(trends[value].max()), 1e-9) * 1.08
    for ax, panel in zip(axes, panels, strict=False):
        ax.set_ylim(0, top)
        view = trends[trends[key] == panel].set_index("period").reindex(periods)
        ax.plot(dates.to_numpy(), view[value].to_numpy(dtype=float),
                marker="o" if len(dates) < 40 else None, markersize=3, linewidth=1.2,
                color=colors.get(panel, "#4c72b0"))
        ax.set_title(_short(titles.get(panel, panel), 24), fontsize=9)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.grid(alpha=0.3)
        locator = AutoDateLocator(minticks=2, maxticks=5)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    if outside and dates.iloc[last] > dates.iloc[first]:
        strip.set_xlim(dates.iloc[first], dates.iloc[last])
    note = f"; 範囲外の節 {outside:,}" if outside else ""
    fig.suptitle(f"{suptitle} (期間 {len(periods)}{note})", fontsize=11)
    return fig


def _no_data(message: str) -> Figure:
    fig = PlotFigure(figsize=(8, 2.5), layout="constrained")
    ax = fig.subplots()
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes)
    ax.axis("off")
    return fig


def theme_share_over_time(tables: Tables, n_themes: int = 12) -> Figure:
    """Share of dated sections tagged with each theme, by period: one small chart per theme
    (the ``n_themes`` most tagged) in the theme's colour (``theme_trends``; computed by month
    from the sections when it is absent)."""
    trends = tables.get("theme_trends")
    if trends is None:
        from .compare import theme_trends

        trends = theme_trends(tables["sections"], tables["section_themes"],
                              list(tables["themes"]["theme_id"]))
    if trends.empty:
        return _no_data("日付のある節がありません")
    trends = trends.astype({"n_sections": int, "period_sections": int, "share": float})
    totals = trends.groupby("theme_id")["n_sections"].sum()
    themes = [t for t in tables["themes"]["theme_id"] if totals.get(t, 0) > 0]
    themes = sorted(themes, key=lambda t: -totals[t])[:n_themes]
    if not themes:
        return _no_data("タグのある節がありません")
    labels = tables["themes"].set_index("theme_id")["label_ja"].to_dict()
    n_sections = int(trends.drop_duplicates("period")["period_sections"].sum())
    return _trend_panels(trends, "theme_id", "share", themes, labels, theme_colors(tables),
                         f"テーマの推移 (期間ごとの節の割合, theme_trends; 節 {n_sections:,}")


def topic_share_over_time(tables: Tables, n_topics: int = 12) -> Figure | None:
    """Mean topic weight of dated sections by period, one small chart per topic (the
    ``n_topics`` largest); None without ``topic_trends`` rows."""
    trends = tables.get("topic_trends")
    if trends is None or trends.empty:
        return None
    trends = trends.astype({"topic_id": int, "weight": float})
    sections = tables.get("theme_trends")
    if sections is not None and len(sections):  # the sections behind each period
        counts = sections.drop_duplicates("period").set_index("period")["period_sections"]
        trends = trends.assign(period_sections=trends["period"].map(counts).fillna(0))
    summary = tables["topic_summary"].astype({"topic_id": int, "share": float})
    largest = list(summary.sort_values("share", ascending=False, kind="stable")["topic_id"]
                   .head(n_topics))
    labels = {int(r.topic_id): f"{r.topic_id}: {r.label}" for r in summary.itertuples()}
    return _trend_panels(trends, "topic_id", "weight", largest, labels, {},
                         "トピックの推移 (期間ごとの節の平均の重み, topic_trends")


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
        ax.barh(y, view["share"], color=theme_colors(tables).get(theme_id, "#4c72b0"),
                alpha=0.85)
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


# Each plot's heading in the report.
PLOT_TITLES = {
    "theme_heatmap": "Themes of the articles with the strongest themes",
    "top_terms": "Topics and their top terms",
    "theme_share_over_time": "Themes over time (share of sections per period)",
    "topic_share_over_time": "Topics over time (mean section weight per period)",
    "k_selection_curve": "Choosing the number of topics",
    "group_theme_shares": "Theme shares by group, with 95% intervals",
    "group_period_heatmap": "Theme shares by group and period",
    "keyness_bars": "Distinctive words of each group",
}

ALL_PLOTS = {
    "theme_heatmap": theme_heatmap,
    "top_terms": top_terms,
    "theme_share_over_time": theme_share_over_time,
    "topic_share_over_time": topic_share_over_time,
    "k_selection_curve": k_selection_curve,
    "group_theme_shares": group_theme_shares,
    "group_period_heatmap": group_period_heatmap,
    "keyness_bars": keyness_bars,
}
