"""The guided topic model as theme evidence: one NMF topic seeded per theme.

Kept for the ablation (``ScoringOptions(guided=True)``): on the labelled sets it did not earn a
place in the default scoring (see ``tests/data/README.md``).
"""

from __future__ import annotations

import numpy as np

from ..textutil import analysis_forms
from ..topics import GuidedTopicModel
from ..vectorize import DocumentTermMatrix
from .matching import _find_all
from .taxonomy import Taxonomy

# Seeded topics that drift this far from their seed terms (cosine) are not used.
MIN_ALIGNMENT = 0.3


def seed_matrix(themes: Taxonomy, vocabulary) -> np.ndarray:
    """Seed weights, shape (n_themes, n_terms): a vocabulary term gets the largest weight of
    the theme's issue terms it contains (日米地位協定 seeds sofa through 地位協定)."""
    normalised = analysis_forms([str(v) for v in vocabulary])
    joined = "\n".join(normalised)
    starts = np.cumsum([0] + [len(v) + 1 for v in normalised[:-1]]) if normalised else []
    seeds = np.zeros((len(themes), len(normalised)))
    for t, theme in enumerate(themes):
        for term in theme.issue_terms:
            if len(term.form) < 2:
                continue
            found = _find_all(joined, term.form)
            if not found:
                continue
            columns = np.searchsorted(starts, found, side="right") - 1
            seeds[t, columns] = np.maximum(seeds[t, columns], term.weight)
    return seeds


def guided_shares(dtm: DocumentTermMatrix, themes: Taxonomy,
                  random_state: int = 0) -> np.ndarray | None:
    """Each section's share in every theme's seeded topic, shape (n_sections, n_themes), or
    None when the corpus is too small to fit one topic per theme.

    Parameters
    ----------
    dtm : DocumentTermMatrix
        TF-IDF of the sections.
    themes : Taxonomy
    random_state : int
        Determines the initialisation of the free topics. Pass an int for reproducible output
        across multiple calls.
    """
    n_docs = dtm.n_documents
    if n_docs < 2 * len(themes) or dtm.matrix.shape[1] == 0:
        return None
    seeds = seed_matrix(themes, dtm.terms)
    active = seeds.sum(axis=1) > 0
    if not active.any():
        return None
    n_free = max(1, min(10, round(np.sqrt(n_docs) / 2)))
    model = GuidedTopicModel(seeds[active], n_free=n_free, random_state=random_state)
    W = model.fit_transform(dtm.matrix)
    n_active = int(active.sum())
    totals = W.sum(axis=1, keepdims=True)
    part = np.divide(W[:, :n_active], totals, out=np.zeros_like(W[:, :n_active]),
                     where=totals > 0)
    part[:, model.alignment_ < MIN_ALIGNMENT] = 0.0
    shares = np.zeros((n_docs, len(themes)))
    shares[:, active] = part
    return shares
