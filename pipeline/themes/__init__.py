"""Stage 6: themes per section and per article, from the theme taxonomy.

One module per concern:

- :mod:`.taxonomy`: the TOML format (issue and context terms, vetoes), validation, records;
- :mod:`.matching`: the evidence a section holds for each theme (:class:`ThemeEvidence`);
- :mod:`.scoring`: the score formula, the tagging threshold, article aggregation, the tables;
- :mod:`.learned`: the naive Bayes model fitted on each corpus;
- :mod:`.supervised`: the verifier trained on the labelled sets, shipped as weights;
- :mod:`.guided`: the guided NMF, kept for the ablation;
- :mod:`.tools`: ``themes check`` and ``kwic``.

Tables
------
``section_themes``: section_id, theme_id, score, evidence, method; one row per tagged theme.
``article_themes``: article_id, theme_id, score, share, n_sections; one row per theme an
article carries. ``themes``: theme_id, label_ja, label_en, n_sections.
"""

from __future__ import annotations

import pandas as pd

from ..vectorize import DocumentTermMatrix, term_counts
from .learned import SeededNaiveBayes
from .matching import (
    SectionEvidence,
    ThemeEvidence,
    ThemeMatcher,
    excluded_spans,
    format_evidence,
    lexical_evidence,
    matcher_for,
    morpheme_boundaries,
    section_evidence,
)
from .scoring import (
    ARTICLE_THEME_COLUMNS,
    DEFAULT_OPTIONS,
    SECTION_THEME_COLUMNS,
    THEME_COLUMNS,
    ScoringOptions,
    candidates,
    fit_learned,
    framed_evidence,
    lexical_score,
    theme_tables,
)
from .supervised import Candidates, ThemeVerifier, shipped_verifier
from .taxonomy import Taxonomy, Term, Theme, load_taxonomy, load_themes, merge_taxonomies
from .tools import check_taxonomy, kwic

__all__ = [
    "ARTICLE_THEME_COLUMNS",
    "SECTION_THEME_COLUMNS",
    "THEME_COLUMNS",
    "Candidates",
    "ScoringOptions",
    "SectionEvidence",
    "SeededNaiveBayes",
    "Taxonomy",
    "Term",
    "Theme",
    "ThemeEvidence",
    "ThemeMatcher",
    "ThemeVerifier",
    "candidates",
    "check_taxonomy",
    "excluded_spans",
    "fit_learned",
    "format_evidence",
    "framed_evidence",
    "kwic",
    "lexical_evidence",
    "lexical_score",
    "load_taxonomy",
    "load_themes",
    "matcher_for",
    "merge_taxonomies",
    "morpheme_boundaries",
    "score_themes",
    "section_evidence",
    "shipped_verifier",
]


def score_themes(
    sections: pd.DataFrame, tokens: pd.DataFrame, taxonomy: Taxonomy, min_score: float = 0.5,
    sentences: pd.DataFrame | None = None, exclude_kinds: tuple[str, ...] = (),
    dtm: DocumentTermMatrix | None = None, random_state: int = 0,
    options: ScoringOptions = DEFAULT_OPTIONS,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Tag every section with themes and aggregate per article and per theme, in one call
    (the pipeline runs the two halves apart: evidence per chunk, scores per corpus).

    Parameters
    ----------
    sections : DataFrame
        The ``sections`` table (with ``analysis_text``).
    tokens : DataFrame
        The ``tokens`` table (for morpheme boundaries).
    taxonomy : Taxonomy
    min_score : float
        Tagging threshold in [0, 1].
    sentences : DataFrame or None
        The ``sentences`` table, needed with ``exclude_kinds``.
    exclude_kinds : tuple of str
        Sentence kinds whose text is left out of the evidence (e.g. comment, citation).
    dtm : DocumentTermMatrix or None
        TF-IDF of the sections, for the learned model; None scores on lexical evidence only.
    random_state : int
        Seed of the guided model (with ``options.guided``). Pass an int for reproducible
        output across multiple calls.
    options : ScoringOptions

    Returns
    -------
    section_themes, article_themes, themes_table : DataFrame
    """
    evidence = lexical_evidence(sections, tokens, taxonomy,
                                excluded_spans(sentences, exclude_kinds))
    counts = term_counts(tokens, sections) if options.verifier else None
    return theme_tables(sections, evidence, taxonomy, min_score, dtm, random_state, options,
                        counts=counts)
