"""Planted corpora for measuring the comparison intervals (``benchmarks/compare.py`` and the
tests): groups of articles whose sections carry a planted theme share or topic weight."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .compare import Grouping, group_themes, group_topics, wilson

THEME_SHARES = (0.03, 0.2, 0.5)  # one group each
TOPIC_SHARES = (0.1, 0.3, 0.6)  # every group, three topics


@dataclass(frozen=True)
class Planted:
    """The tables of one planted corpus."""

    sections: pd.DataFrame  # section_id, article_id
    section_themes: pd.DataFrame  # section_id, theme_id
    section_topics: pd.DataFrame  # section_id, topic_id, weight
    article_ids: np.ndarray
    grouping: Grouping


def planted_corpus(rng: np.random.Generator, n_articles: int, mean_sections: float,
                   rho: float) -> Planted:
    """Three groups of ``n_articles`` articles with 1 + Poisson(mean_sections - 1) sections.

    Each article draws a propensity p ~ Beta with mean the group's share in
    :data:`THEME_SHARES` and intra-article correlation ``rho`` (a + b = 1/rho - 1); each of
    its sections is tagged ``planted`` with probability p. Topic weights: the article draws
    theta ~ Dirichlet(TOPIC_SHARES * (1/rho - 1)) and each section Dirichlet(theta * 20).
    """
    concentration = 1.0 / rho - 1.0
    section_ids, article_of, tagged, weights = [], [], [], []
    codes = []
    for group, share in enumerate(THEME_SHARES):
        sizes = 1 + rng.poisson(mean_sections - 1, n_articles)
        propensity = rng.beta(share * concentration, (1 - share) * concentration, n_articles)
        theta = rng.dirichlet(np.array(TOPIC_SHARES) * concentration, n_articles)
        for i in range(n_articles):
            article_id = f"g{group}-{i}"
            codes.append(group)
            for s in range(sizes[i]):
                section_id = f"{article_id}#{s}"
                section_ids.append(section_id)
                article_of.append(article_id)
                tagged.append(rng.random() < propensity[i])
                weights.append(rng.dirichlet(np.maximum(theta[i] * 20, 1e-3)))
    sections = pd.DataFrame({"section_id": section_ids, "article_id": article_of})
    tagged_ids = [s for s, t in zip(section_ids, tagged, strict=True) if t]
    section_themes = pd.DataFrame({"section_id": tagged_ids, "theme_id": "planted"})
    weight_matrix = np.asarray(weights)
    section_topics = pd.DataFrame({
        "section_id": np.repeat(section_ids, len(TOPIC_SHARES)),
        "topic_id": np.tile(np.arange(len(TOPIC_SHARES)), len(section_ids)),
        "weight": weight_matrix.ravel()})
    article_ids = np.array([f"g{g}-{i}" for g in range(len(THEME_SHARES))
                            for i in range(n_articles)], dtype=object)
    grouping = Grouping("group", [str(g) for g in range(len(THEME_SHARES))],
                        np.asarray(codes, dtype=np.int64))
    return Planted(sections, section_themes, section_topics, article_ids, grouping)


@dataclass(frozen=True)
class Coverage:
    """Shares of 95% intervals that cover the planted value."""

    themes: float
    themes_naive: float  # Wilson on sections, as if independent
    topics: float


def planted_coverage(draws: int, n_articles: int, mean_sections: float, rho: float,
                     seed: int = 0) -> Coverage:
    """Coverage of the ``group_themes`` and ``group_topics`` intervals over ``draws`` planted
    corpora (see :func:`planted_corpus`)."""
    rng = np.random.default_rng(seed)
    hits = {"themes": 0, "themes_naive": 0, "topics": 0}
    cells = {"themes": 0, "topics": 0}
    truth = pd.Series(THEME_SHARES, index=[str(g) for g in range(len(THEME_SHARES))])
    for _ in range(draws):
        planted = planted_corpus(rng, n_articles, mean_sections, rho)
        periods = np.full(len(planted.article_ids), "", dtype=object)
        themes = group_themes(planted.sections, planted.section_themes, ["planted"],
                              planted.article_ids, [planted.grouping], periods)
        expected = themes["group"].map(truth).to_numpy()
        hits["themes"] += int(((themes["ci_low"] <= expected)
                               & (expected <= themes["ci_high"])).sum())
        low, high = wilson(themes["share"].to_numpy(), themes["group_sections"].to_numpy())
        hits["themes_naive"] += int(((low <= expected) & (expected <= high)).sum())
        cells["themes"] += len(themes)
        topics = group_topics(planted.sections, planted.section_topics,
                              list(range(len(TOPIC_SHARES))),
                              planted.article_ids, [planted.grouping], periods)
        expected = np.asarray(TOPIC_SHARES)[topics["topic_id"].to_numpy()]
        hits["topics"] += int(((topics["ci_low"] <= expected)
                               & (expected <= topics["ci_high"])).sum())
        cells["topics"] += len(topics)
    return Coverage(hits["themes"] / cells["themes"], hits["themes_naive"] / cells["themes"],
                    hits["topics"] / cells["topics"])
