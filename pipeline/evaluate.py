"""Evaluate theme tags against hand labels.

Gold file: CSV with a ``themes`` column (theme ids separated by ``;``, empty for an item
with no theme) and either ``section_id`` or ``article_id`` + ``line_start`` (the 1-based line
where the section starts, or any line inside it) for section labels, or ``article_id`` alone
for article labels (scored against ``article_themes``). Only labelled items are scored.

``errors`` table (``evaluate --errors``): every false positive and false negative with the
evidence the tool had (id, theme_id, error fp/fn, score, evidence).

``evaluation`` table: theme_id, support (gold sections), predicted, tp, fp, fn, precision,
recall, f1; then the rows ``micro`` and ``macro`` (macro averages over themes with support or
predictions).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .errors import UsageError

EVALUATION_COLUMNS = ["theme_id", "support", "predicted", "tp", "fp", "fn", "precision",
                      "recall", "f1"]


ERROR_COLUMNS = ["id", "theme_id", "error", "score", "evidence"]


@dataclass(frozen=True)
class Gold:
    """Hand labels: ``level`` is 'section' (keys are section ids) or 'article'."""

    level: str
    labels: dict[str, set[str]]


def load_gold(path: Path, sections: pd.DataFrame) -> Gold:
    """Gold theme sets keyed by section_id, or by article_id for article labels.

    Raises
    ------
    UsageError
        With the file, the row and the problem.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise UsageError(f"{path}: cannot be read ({exc.strerror})") from None
    if not rows:
        raise UsageError(f"{path}: no labelled rows")
    columns = set(rows[0])
    if "themes" in columns and "article_id" in columns and not (
            columns & {"section_id", "line_start"}):
        return Gold("article", _article_gold(rows, sections, path))
    if "themes" not in columns or not (
        "section_id" in columns or {"article_id", "line_start"} <= columns
    ):
        raise UsageError(f"{path}: needs a 'themes' column and 'section_id' or "
                         f"'article_id' + 'line_start' (has: {', '.join(rows[0])})")
    by_article = {aid: group for aid, group in sections.groupby("article_id")}
    known = set(sections["section_id"])
    gold: dict[str, set[str]] = {}
    for number, row in enumerate(rows, start=2):
        section_id = (row.get("section_id") or "").strip()
        if not section_id:
            section_id = _section_at(by_article, row.get("article_id", "").strip(),
                                     row.get("line_start", "").strip(), path, number)
        elif section_id not in known:
            raise UsageError(f"{path}:{number}: unknown section_id {section_id!r}")
        themes = {t.strip() for t in (row.get("themes") or "").split(";") if t.strip()}
        gold[section_id] = gold.get(section_id, set()) | themes
    return Gold("section", gold)


def _article_gold(rows: list[dict], sections: pd.DataFrame, path: Path) -> dict[str, set[str]]:
    known = set(sections["article_id"])
    gold: dict[str, set[str]] = {}
    for number, row in enumerate(rows, start=2):
        article_id = (row.get("article_id") or "").strip()
        if article_id not in known:
            raise UsageError(f"{path}:{number}: unknown article_id {article_id!r}")
        themes = {t.strip() for t in (row.get("themes") or "").split(";") if t.strip()}
        gold[article_id] = gold.get(article_id, set()) | themes
    return gold


def _section_at(by_article, article_id: str, line: str, path: Path, number: int) -> str:
    if article_id not in by_article:
        raise UsageError(f"{path}:{number}: unknown article_id {article_id!r}")
    try:
        line_number = int(line)
    except ValueError:
        raise UsageError(f"{path}:{number}: line_start {line!r} is not a number") from None
    group = by_article[article_id]
    inside = group[(group["line_start"] <= line_number) & (group["line_end"] >= line_number)]
    if inside.empty:
        raise UsageError(f"{path}:{number}: no section of {article_id} covers line {line_number}")
    return str(inside.iloc[0]["section_id"])


def _predicted(gold: dict[str, set[str]], tags: pd.DataFrame) -> dict[str, set[str]]:
    key = "section_id" if "section_id" in tags.columns else "article_id"
    predicted: dict[str, set[str]] = {item: set() for item in gold}
    for item, theme in zip(tags[key], tags["theme_id"], strict=True):
        if item in predicted:
            predicted[item].add(theme)
    return predicted


def errors(gold: dict[str, set[str]], tags: pd.DataFrame,
           section_themes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every false positive and false negative, with the evidence behind each tag.

    Parameters
    ----------
    gold : dict
        Item id (section or article) -> set of theme ids.
    tags : DataFrame
        Predicted tags, ``section_themes`` or ``article_themes``.
    section_themes : DataFrame or None
        For article tags: the section tags whose evidence is shown.

    Returns
    -------
    DataFrame of shape (n_errors, 5)
        id, theme_id, error (fp or fn), score (of the tag, empty for fn), evidence.
    """
    key = "section_id" if "section_id" in tags.columns else "article_id"
    score = {(i, t): s for i, t, s in zip(tags[key], tags["theme_id"], tags["score"],
                                          strict=True)}
    evidence: dict[tuple[str, str], str] = {}
    source = section_themes if section_themes is not None else tags
    if "evidence" in source.columns:
        owner = (source["section_id"] if key == "section_id"
                 else source["section_id"].str.rsplit("#", n=1).str[0])
        for item, theme, text in zip(owner, source["theme_id"], source["evidence"], strict=True):
            evidence[(item, theme)] = "; ".join(filter(None, [evidence.get((item, theme)), text]))
    predicted = _predicted(gold, tags)
    rows = []
    for item in sorted(gold):
        for theme in sorted(predicted[item] - gold[item]):
            rows.append((item, theme, "fp", score.get((item, theme)),
                         evidence.get((item, theme), "")))
        for theme in sorted(gold[item] - predicted[item]):
            rows.append((item, theme, "fn", None, evidence.get((item, theme), "")))
    return pd.DataFrame(rows, columns=ERROR_COLUMNS)


def evaluate(gold: dict[str, set[str]], section_themes: pd.DataFrame,
             theme_ids: list[str]) -> pd.DataFrame:
    """Precision, recall and F1 per theme, then micro and macro averages.

    Parameters
    ----------
    gold : dict
        Item id (section or article) -> set of theme ids.
    section_themes : DataFrame
        Predicted tags (section_id or article_id, theme_id).
    theme_ids : list of str
        Themes of the taxonomy, for the row order (unknown gold ids are appended).

    Returns
    -------
    DataFrame of shape (n_themes + 2, 9)
    """
    predicted = _predicted(gold, section_themes)
    extra = sorted({t for themes in gold.values() for t in themes} - set(theme_ids))
    rows = []
    for theme in [*theme_ids, *extra]:
        tp = sum(1 for sid in gold if theme in gold[sid] and theme in predicted[sid])
        fp = sum(1 for sid in gold if theme not in gold[sid] and theme in predicted[sid])
        fn = sum(1 for sid in gold if theme in gold[sid] and theme not in predicted[sid])
        rows.append(_row(theme, tp, fp, fn))
    table = pd.DataFrame(rows, columns=EVALUATION_COLUMNS)
    micro = _row("micro", int(table["tp"].sum()), int(table["fp"].sum()), int(table["fn"].sum()))
    active = table[(table["support"] > 0) | (table["predicted"] > 0)]
    macro = {
        "theme_id": "macro", "support": int(table["support"].sum()),
        "predicted": int(table["predicted"].sum()), "tp": micro["tp"], "fp": micro["fp"],
        "fn": micro["fn"],
        "precision": round(float(active["precision"].mean()), 4) if len(active) else 0.0,
        "recall": round(float(active["recall"].mean()), 4) if len(active) else 0.0,
        "f1": round(float(active["f1"].mean()), 4) if len(active) else 0.0,
    }
    return pd.concat([table, pd.DataFrame([micro, macro])], ignore_index=True)


def _row(theme: str, tp: int, fp: int, fn: int) -> dict[str, object]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"theme_id": theme, "support": tp + fn, "predicted": tp + fp, "tp": tp, "fp": fp,
            "fn": fn, "precision": round(precision, 4), "recall": round(recall, 4),
            "f1": round(f1, 4)}
