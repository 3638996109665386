"""The output tables, declared once: name, producing stage, description, and each column's
name, type and meaning.

At the bottom of the import graph (it imports nothing of the package): configuration names
tables from here, the writer and ``Result.tables()`` take their columns from here, the contract
tests check every table against it, and the README's table is :func:`markdown` of it (a test
keeps the two in step).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One written column: ``dtype`` is ``str``, ``int64``, ``float64`` or ``bool``."""

    name: str
    dtype: str
    description: str = ""


@dataclass(frozen=True)
class Table:
    """One output table: what it holds (one row per ``description``) and who makes it."""

    name: str
    stage: str
    description: str
    columns: tuple[Column, ...]


def _table(name: str, stage: str, description: str, *columns: tuple[str, ...]) -> Table:
    return Table(name, stage, description, tuple(Column(*c) for c in columns))


STR, INT, FLOAT, BOOL = "str", "int64", "float64", "bool"

TABLES: dict[str, Table] = {t.name: t for t in (
    _table("articles", "pipeline.ingest", "one row per article read",
           ("article_id", STR), ("source", STR, "file, or file:row of a table"), ("title", STR),
           ("url", STR), ("published", STR, "YYYY-MM-DD or empty"), ("n_sections", INT),
           ("n_chars", INT), ("encoding", STR), ("sha256", STR)),
    _table("article_meta", "pipeline.ingest",
           "one row per (article, metadata field): the columns of a table input that are not "
           "its text, id, title, date or URL, and `folder` with `--group-from folder`",
           ("article_id", STR), ("key", STR), ("value", STR)),
    _table("sections", "pipeline.segment", "one row per section of an article",
           ("section_id", STR, "`{article_id}#{ordinal}`"), ("article_id", STR),
           ("ordinal", INT, "0 = lead"),
           ("kind", STR, "lead/body/teaser, or references (notes, sources, related and "
            "external links) and contact, which carry no themes"), ("heading", STR),
           ("level", INT, "1 = top; a sub-heading is one more than its parent"),
           ("parent_id", STR, "section_id of the enclosing section; empty at level 1"),
           ("heading_path", STR, "the headings from the top down, joined by ` > `"),
           ("line_start", INT), ("line_end", INT), ("char_start", INT), ("char_end", INT),
           ("published", STR), ("text", STR)),
    _table("boilerplate", "pipeline.segment",
           "one row per line left out of analysis (share buttons, コメント, repeated title, "
           "次のページを読む, related-article blocks)",
           ("article_id", STR), ("line", INT), ("text", STR)),
    _table("sentences", "pipeline.segment", "one row per sentence of a section",
           ("section_id", STR), ("sentence_id", INT),
           ("kind", STR, "heading, question, answer, body, bullet, quote, source_summary, "
                       "citation, comment, date"),
           ("text", STR), ("char_start", INT), ("char_end", INT)),
    _table("citations", "pipeline.segment", "one row per source line of a section",
           ("section_id", STR), ("outlet", STR), ("url", STR),
           ("note", STR, "commentary glued after the URL")),
    _table("tokens", "pipeline.tokenize", "one row per token of a section",
           ("section_id", STR), ("position", INT), ("surface", STR), ("term", STR), ("pos", STR),
           ("pos_detail", STR), ("char_start", INT), ("char_end", INT), ("is_content", BOOL),
           ("parts", STR)),
    _table("topics", "pipeline.topics", "one row per top term of a topic",
           ("topic_id", INT), ("rank", INT, "by weight"), ("term", STR),
           ("weight", FLOAT, "a topic's weights over the whole vocabulary sum to 1"),
           ("relevance", FLOAT, "0.6 log weight + 0.4 log(weight / corpus share): how "
            "distinctive the term is of the topic (Sievert and Shirley 2014)")),
    _table("topic_summary", "pipeline.topics", "one row per topic",
           ("topic_id", INT), ("label", STR, "the 3 most relevant of its 30 strongest terms"),
           ("share", FLOAT, "sums to 1"),
           ("coherence", FLOAT, "NPMI of the top 10 terms"),
           ("stability", FLOAT, "best-match Jaccard across 80% subsample restarts"),
           ("status", STR, "after `jtopics update`: continuing or new; else empty")),
    _table("topic_sections", "pipeline.topics",
           "one row per representative section of a topic (its 10 with the highest weight)",
           ("topic_id", INT), ("rank", INT), ("section_id", STR),
           ("weight", FLOAT, "the section's weight on the topic, as in `section_topics`")),
    _table("section_topics", "pipeline.topics", "one row per (section, topic), zeros omitted",
           ("section_id", STR), ("topic_id", INT),
           ("weight", FLOAT, "a section's weights sum to 1")),
    _table("article_topics", "pipeline.topics", "one row per (article, topic), zeros omitted",
           ("article_id", STR), ("topic_id", INT),
           ("weight", FLOAT, "an article's weights sum to 1")),
    _table("topic_trends", "pipeline.topics", "one row per (topic, period)",
           ("topic_id", INT),
           ("period", STR, "of `published`: YYYY-MM, or by `--period` YYYY-MM-DD, YYYY-Www, "
                           "YYYY-Qn, YYYY"),
           ("weight", FLOAT, "mean section weight in the period")),
    _table("topic_lineage", "pipeline.topics",
           "one row per topic of an update (`jtopics update`) and of the model it updates",
           ("old_topic_id", INT, "-1 for a new topic"),
           ("new_topic_id", INT, "-1 for a topic that is gone"),
           ("similarity", FLOAT, "cosine of the topic-term weights (best match for new/gone)"),
           ("status", STR, "continuing, new or gone")),
    _table("k_selection", "pipeline.topics", "one row per candidate k (with `--topics auto`)",
           ("k", INT), ("coherence", FLOAT), ("stability", FLOAT), ("reconstruction_error", FLOAT),
           ("score", FLOAT), ("chosen", BOOL)),
    _table("section_themes", "pipeline.themes", "one row per theme a section is tagged with",
           ("section_id", STR), ("theme_id", STR), ("score", FLOAT, "0–1"),
           ("evidence", STR, "`term×count`, `context+word×count`, `context: …`, "
                           "`[model p: words]` and `[verifier p: words]` joined by `; `"),
           ("method", STR, "lexicon/model/both, +verifier when its nudge decided")),
    _table("article_themes", "pipeline.themes",
           "one row per theme an article carries (its lead's, or at least 20% of its text)",
           ("article_id", STR), ("theme_id", STR),
           ("score", FLOAT, "length-weighted mean over sections"),
           ("share", FLOAT, "length share of the tagged sections"), ("n_sections", INT)),
    _table("theme_trends", "pipeline.compare", "one row per (theme, dated period)",
           ("theme_id", STR), ("period", STR, "as in `topic_trends`"),
           ("n_sections", INT, "sections tagged"),
           ("period_sections", INT, "sections in the period"),
           ("share", FLOAT, "n_sections / period_sections")),
    _table("group_themes", "pipeline.compare",
           "one row per (`--by` field, group, period, theme); period empty = all dates",
           ("by", STR, "the field"), ("group", STR, "its value"), ("period", STR),
           ("theme_id", STR), ("n_articles", INT, "articles with a tagged section"),
           ("n_sections", INT, "sections tagged"), ("group_articles", INT),
           ("group_sections", INT),
           ("share", FLOAT, "n_sections / group_sections"),
           ("ci_low", FLOAT, "95% interval, articles as clusters (pipeline/compare.py)"),
           ("ci_high", FLOAT)),
    _table("group_topics", "pipeline.compare",
           "one row per (`--by` field, group, period, topic); period empty = all dates",
           ("by", STR), ("group", STR), ("period", STR), ("topic_id", INT),
           ("n_articles", INT, "articles with weight on the topic"),
           ("n_sections", INT, "sections with weight on the topic"), ("group_articles", INT),
           ("group_sections", INT, "sections with topic weights"),
           ("share", FLOAT, "mean section weight (sums to 1 over topics)"),
           ("ci_low", FLOAT), ("ci_high", FLOAT)),
    _table("keyness", "pipeline.compare",
           "one row per distinctive term of a group against the rest (top `--keyness-top`)",
           ("by", STR), ("group", STR),
           ("theme_id", STR, "empty: all sections; else the sections tagged with it"),
           ("rank", INT), ("term", STR), ("count", INT, "in the group"),
           ("expected", FLOAT, "at the corpus rate"),
           ("log_odds_ratio", FLOAT, "informative Dirichlet prior (Monroe et al. 2008)"),
           ("z", FLOAT)),
    _table("themes", "pipeline.themes", "one row per theme of the taxonomy",
           ("theme_id", STR), ("label_ja", STR), ("label_en", STR),
           ("n_sections", INT, "sections tagged")),
)}

# Columns written for each table, in writing order; extra in-memory columns (text,
# analysis_text) stay out.
OUTPUT_COLUMNS: dict[str, list[str]] = {
    name: [column.name for column in table.columns] for name, table in TABLES.items()}

# Values of ``sentences.kind`` (pipeline.segment assigns them; --exclude-kinds names them).
SECTION_KINDS = ("lead", "body", "teaser", "references", "contact")
# Section kinds that name topics without discussing them: no theme evidence is taken there.
NO_THEME_KINDS = ("references", "contact")
SENTENCE_KINDS = ("heading", "question", "answer", "body", "bullet", "quote", "source_summary",
                  "citation", "comment", "date")

# The tables that grow with every token or sentence: the views (report, show) skip them.
LARGE_TABLES = ("tokens", "sentences", "boilerplate")

# Values of --period (pipeline.textutil.period_label makes them).
PERIODS = ("day", "week", "month", "quarter", "year")


def empty_table(name: str):
    """A table with no rows: its declared columns with their types (``str`` as object)."""
    import pandas as pd

    return pd.DataFrame({c.name: pd.Series(dtype=object if c.dtype == STR else c.dtype)
                         for c in TABLES[name].columns})


def markdown() -> str:
    """The README's table of the output tables."""
    lines = ["| table | made by | rows | columns |", "|---|---|---|---|"]
    for table in TABLES.values():
        columns = ", ".join(f"{c.name} ({c.description})" if c.description else c.name
                            for c in table.columns)
        lines.append(f"| `{table.name}` | `{table.stage}` | {table.description} | {columns} |")
    return "\n".join(lines)
