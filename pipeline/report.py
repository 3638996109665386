"""One self-contained HTML report of an output folder: tables and plots embedded, no network."""

from __future__ import annotations

import base64
import html
import io
import os
import tempfile
from pathlib import Path

import pandas as pd

from ._version import __version__
from .plots import (
    ALL_PLOTS,
    PLOT_TITLES,
    Tables,
    distinctive_terms,
    section_evidence_html,
    to_png,
)

_STYLE = """
body { font-family: "jtopics-ja", "jtopics-symbols", "Noto Sans JP", "Hiragino Sans",
       "Yu Gothic", sans-serif; margin: 2em;
       color: #222; max-width: 1200px; }
h1 { font-size: 1.6em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } mark { background: #ffe066; } img { max-width: 100%; }
#explore { display: grid; grid-template-columns: repeat(3, 1fr); gap: 1em; }
#explore .pane { border: 1px solid #ddd; padding: 0.5em; max-height: 32em; overflow: auto; }
#explore .wide { grid-column: 1 / -1; max-height: none; }
#explore select, #explore input { max-width: 100%; font: inherit; }
.hint, .meta, .evidence { color: #666; font-size: 0.85em; }
ol.paged { padding-left: 1.6em; } .kwic .left { color: #444; }
pre.section-text { white-space: pre-wrap; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; border-radius: 2px; }
pre { background: #fafafa; padding: 0.8em; border: 1px solid #eee;
      font-family: "jtopics-ja", "jtopics-symbols", "Noto Sans JP", "Hiragino Sans",
      "Yu Gothic", sans-serif; }
"""
# Rows shown per table; the CSV files hold everything.
MAX_ROWS = 200
# Sections whose text the explorer embeds (the strongest of each theme and topic).
MAX_SECTIONS = 1000
_EXPLORER = """
<h2>Explore: themes, topics, sections</h2>
<div id="explore">
<section class="pane"><h3>Theme <span id="theme-color" class="swatch"></span></h3>
<select id="theme-select" aria-label="theme"></select>
<p class="hint">its strongest sections, with their evidence; click one to open it</p>
<div id="theme-sections"></div></section>
<section class="pane"><h3>Topic</h3><select id="topic-select" aria-label="topic"></select>
<div id="topic-view"></div></section>
<section class="pane"><h3>Search</h3><form id="search-form"><input id="search-word"
 placeholder="語 (KWIC)" aria-label="word"> <button type="submit">search</button></form>
<p class="hint">in the {n_sections:,} sections of this report (jtopics kwic searches all)</p>
<div id="kwic-results"></div></section>
<section class="pane wide"><div id="section-view"><p class="hint">no section open</p></div>
</section>
</div>
"""


def _table(df: pd.DataFrame, columns: list[str] | None = None) -> str:
    view = df[columns] if columns else df
    note = ""
    if len(view) > MAX_ROWS:
        note = f"<p>first {MAX_ROWS} of {len(view):,} rows</p>"
        view = view.head(MAX_ROWS)
    return note + view.to_html(index=False, escape=True, border=0)


def explorer_data(tables: Tables, max_sections: int = MAX_SECTIONS) -> dict:
    """What the explorer embeds: the themes, the topics, and the text of at most
    ``max_sections`` sections (each theme's and each topic's strongest, in equal shares)."""
    from .plots import theme_colors

    themes = tables["themes"]
    colors = theme_colors(tables)
    tagged = tables["section_themes"].astype({"score": float})
    summary = tables["topic_summary"]
    lists = int((themes["n_sections"].astype(int) > 0).sum()) + len(summary)
    per_list = max(5, max_sections // max(1, lists))
    theme_sections = {}
    for theme_id, rows in tagged.sort_values(["score", "section_id"], ascending=[False, True])\
            .groupby("theme_id", sort=False):
        top = rows.head(per_list)
        theme_sections[str(theme_id)] = [[str(a), round(float(b), 4), str(c)] for a, b, c in
                                         zip(top["section_id"], top["score"], top["evidence"],
                                             strict=True)]
    weights = tables.get("section_topics", pd.DataFrame(columns=["section_id", "topic_id",
                                                                 "weight"]))
    weights = weights.astype({"weight": float})
    terms = tables["topics"].sort_values(["topic_id", "rank"]).groupby("topic_id")["term"]\
        .apply(list)
    topics = []
    for row in summary.itertuples():
        top = weights[weights["topic_id"].astype(int) == int(row.topic_id)].sort_values(
            ["weight", "section_id"], ascending=[False, True]).head(per_list)
        topics.append({"id": int(row.topic_id), "label": str(row.label),
                       "share": float(row.share),
                       "terms": [str(t) for t in terms.get(row.topic_id, [])],
                       "sections": [[str(a), round(float(b), 4)] for a, b in
                                    zip(top["section_id"], top["weight"], strict=True)]})
    wanted = list(dict.fromkeys(
        [r[0] for rows in theme_sections.values() for r in rows]
        + [r[0] for t in topics for r in t["sections"]]))[:max_sections]
    sections = tables["sections"].set_index("section_id")
    titles = tables["articles"].set_index("article_id")["title"].astype(str)
    evidence = tagged[tagged["section_id"].isin(wanted)]
    section_terms = evidence.groupby("section_id")["evidence"].apply(
        lambda items: sorted({part.split("×")[0].removeprefix("context: ").strip()
                              for item in items for part in str(item).split("; ")
                              if not part.startswith("[")}))
    section_tags = evidence.groupby("section_id")["theme_id"].apply(
        lambda ids: ", ".join(map(str, ids)))
    embedded = {}
    for section_id in wanted:
        if section_id not in sections.index:
            continue
        row = sections.loc[section_id]
        embedded[section_id] = {
            "title": titles.get(str(row["article_id"]), str(row["article_id"])),
            "heading": str(row.get("heading", "")), "published": str(row.get("published", "")),
            "text": str(row["text"]), "evidence": section_terms.get(section_id, []),
            "themes": section_tags.get(section_id, "")}
    return {
        "themes": [{"id": str(t.theme_id), "label_ja": str(t.label_ja),
                    "label_en": str(t.label_en), "n_sections": int(t.n_sections),
                    "color": colors.get(str(t.theme_id), "#888")}
                   for t in themes.itertuples()],
        "theme_sections": theme_sections, "topics": topics, "sections": embedded,
    }


def _explorer(tables: Tables, max_sections: int) -> str:
    import json

    data = explorer_data(tables, max_sections)
    # "</" would end the script element early.
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    script = (Path(__file__).parent / "data" / "report.js").read_text(encoding="utf-8")
    return (_EXPLORER.format(n_sections=len(data["sections"]))
            + f"<script type='application/json' id='jtopics-data'>{payload}</script>\n"
            + f"<script>{script}</script>")


def build_report(tables: Tables, title: str = "jtopics report",
                 max_sections: int = MAX_SECTIONS) -> str:
    """The report as one HTML string: PNG plots inlined as data URIs, and the explorer (plain
    JavaScript over embedded JSON with the text of at most ``max_sections`` sections)."""
    parts = [f"<!DOCTYPE html><html lang='ja'><head><meta charset='utf-8'>"
             f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
             f"<h1>{html.escape(title)}</h1>",
             f"<p>jtopics {__version__}: {len(tables['articles'])} articles, "
             f"{len(tables['sections'])} sections.</p>"]
    parts.append("<h2>Themes</h2>" + _table(tables["themes"]))
    parts.append(_explorer(tables, max_sections))
    for name, plot in ALL_PLOTS.items():
        fig = plot(tables)
        if fig is None:
            continue
        data = base64.b64encode(to_png(fig)).decode("ascii")
        title = PLOT_TITLES.get(name, name)
        parts.append(f"<h2>{html.escape(title)}</h2><img alt='{html.escape(title)}' "
                     f"src='data:image/png;base64,{data}'>")
    keyness = tables.get("keyness")
    if keyness is not None and not keyness.empty:
        parts.append("<h2>Distinctive words by group</h2>")
        pairs = keyness[["by", "theme_id"]].astype(str).drop_duplicates()
        for by, theme_id in zip(pairs["by"], pairs["theme_id"], strict=True):
            about = f" in the sections tagged {theme_id}" if theme_id else ""
            parts.append(f"<h3>by {html.escape(by)}{html.escape(about)}</h3>" + _table(
                distinctive_terms(tables, by, theme_id)))
    parts.append("<h2>Topics</h2>" + _table(tables["topic_summary"]))
    parts.append("<h2>Articles</h2>" + _table(
        tables["articles"], ["article_id", "title", "published", "n_sections"]))
    parts.append("<h2>Section themes</h2>" + _table(tables["section_themes"]))
    strongest = (tables["section_themes"].sort_values("score", ascending=False)
                 .drop_duplicates("theme_id").head(6))
    parts.append("<h2>Evidence in context</h2>")
    for section_id in strongest["section_id"].drop_duplicates():
        parts.append(section_evidence_html(tables, section_id))
    parts.append("</body></html>")
    page = "\n".join(parts)
    return page.replace("</style>", _font_face(page) + "</style>", 1)


def _fonts() -> list[tuple[str, Path]]:
    """The fonts embedded, in fallback order: IPAex Gothic (matplotlib-fontja) for Japanese,
    DejaVu Sans (matplotlib) for the symbols and scripts it lacks."""
    import matplotlib
    import matplotlib_fontja

    return [("jtopics-ja", Path(matplotlib_fontja.__file__).parent / "fonts" / "ipaexg.ttf"),
            ("jtopics-symbols",
             Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf")]


def _font_face(page: str) -> str:
    """@font-face rules with the embedded fonts cut down to the characters the page uses, so
    Japanese shows on machines without Japanese fonts and the file stays small. Characters
    in none of them (emoji) are left to the reader's system fonts."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    wanted = {c for c in set(page) if not c.isspace()}
    rules = []
    for family, font in _fonts():
        if not font.exists() or not wanted:
            continue
        covered = {chr(c) for c in TTFont(str(font), lazy=True).getBestCmap()} & wanted
        if not covered:
            continue
        wanted -= covered
        options = subset.Options()
        options.flavor = "woff"
        options.layout_features = ["*"]
        subsetter = subset.Subsetter(options)
        loaded = subset.load_font(str(font), options)
        subsetter.populate(text="".join(sorted(covered)))
        subsetter.subset(loaded)
        buffer = io.BytesIO()
        subset.save_font(loaded, buffer, options)
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        rules.append(f"@font-face {{ font-family: '{family}'; "
                     f"src: url(data:font/woff;base64,{data}) format('woff'); }}\n")
    return "".join(rules)


def write_report(tables: Tables, path: Path, max_sections: int = MAX_SECTIONS) -> Path:
    """Write ``build_report(tables)`` to ``path`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".html", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(build_report(tables, max_sections=max_sections))
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
