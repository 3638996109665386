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
pre { background: #fafafa; padding: 0.8em; border: 1px solid #eee;
      font-family: "jtopics-ja", "jtopics-symbols", "Noto Sans JP", "Hiragino Sans",
      "Yu Gothic", sans-serif; }
"""
# Rows shown per table; the CSV files hold everything.
MAX_ROWS = 200


def _table(df: pd.DataFrame, columns: list[str] | None = None) -> str:
    view = df[columns] if columns else df
    note = ""
    if len(view) > MAX_ROWS:
        note = f"<p>first {MAX_ROWS} of {len(view):,} rows</p>"
        view = view.head(MAX_ROWS)
    return note + view.to_html(index=False, escape=True, border=0)


def build_report(tables: Tables, title: str = "jtopics report") -> str:
    """The report as one HTML string (PNG plots inlined as data URIs)."""
    parts = [f"<!DOCTYPE html><html lang='ja'><head><meta charset='utf-8'>"
             f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
             f"<h1>{html.escape(title)}</h1>",
             f"<p>jtopics {__version__}: {len(tables['articles'])} articles, "
             f"{len(tables['sections'])} sections.</p>"]
    parts.append("<h2>Themes</h2>" + _table(tables["themes"]))
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


def write_report(tables: Tables, path: Path) -> Path:
    """Write ``build_report(tables)`` to ``path`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".html", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(build_report(tables))
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
