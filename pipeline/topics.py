"""Stage 5: NMF topics over the TF-IDF matrix.

Tables
------
``topics``: topic_id, rank (1 = strongest), term, weight. ``weight`` is the term's share of the
topic's whole component (each topic's weights over the full vocabulary sum to 1); the table
lists the ``top_terms`` strongest.

``topic_summary``: topic_id, label (top three terms joined by ``・``), share (of all section
weight; sums to 1 over topics).

``section_topics``: section_id, topic_id, weight. A section's weights sum to 1; zero rows are
omitted, and so are sections without any modelled term.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning

from .vectorize import DocumentTermMatrix

TOPIC_COLUMNS = ["topic_id", "rank", "term", "weight"]
SUMMARY_COLUMNS = ["topic_id", "label", "share"]
SECTION_TOPIC_COLUMNS = ["section_id", "topic_id", "weight"]
DECIMALS = 6


def default_n_topics(n_documents: int) -> int:
    """``round(sqrt(n_documents))`` clamped to [2, 30], and never more than the documents."""
    return max(1, min(n_documents, max(2, min(30, round(math.sqrt(n_documents))))))


class _BaseNMF:
    """Shared fitting logic: run scikit-learn's NMF, record convergence, normalise topics."""

    random_state: int
    max_iter: int

    def fit(self, X):
        """Fit the model.

        Parameters
        ----------
        X : sparse matrix of shape (n_documents, n_terms)

        Returns
        -------
        self
        """
        self.fit_transform(X)
        return self

    def _fit_nmf(self, X, n_components: int, init: str, W=None, H=None) -> np.ndarray:
        self._nmf = NMF(
            n_components=n_components, init=init, random_state=self.random_state,
            max_iter=self.max_iter, tol=1e-4,
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            W_fit = self._nmf.fit_transform(X, W=W, H=H)
        # Tiny corpora (k close to the number of documents) hit max_iter; say so, don't warn.
        self.converged_ = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
        self.n_iter_ = self._nmf.n_iter_
        H_fit = self._nmf.components_
        totals = H_fit.sum(axis=1, keepdims=True)
        totals[totals == 0] = 1.0
        self.components_ = H_fit / totals
        return W_fit

    def transform(self, X) -> np.ndarray:
        """Document-topic weights of new documents.

        Parameters
        ----------
        X : sparse matrix of shape (n_documents, n_terms)

        Returns
        -------
        W : ndarray of shape (n_documents, n_topics_)
        """
        return self._nmf.transform(X)


class TopicModel(_BaseNMF):
    """Non-negative matrix factorisation of a TF-IDF matrix, ``X ~ W @ H``.

    Parameters
    ----------
    n_topics : int or None
        Number of topics. None uses :func:`default_n_topics` of the number of documents.
        A value above the number of documents or terms is clamped to it.
    random_state : int
        Determines the NMF initialisation. Pass an int for reproducible output across
        multiple calls.
    max_iter : int
        Maximum number of NMF iterations.

    Attributes
    ----------
    n_topics_ : int
        The number of topics actually fitted.
    components_ : ndarray of shape (n_topics_, n_terms)
        Topic-term weights (H), each row normalised to sum to 1.
    n_iter_ : int
        Iterations the solver ran.
    converged_ : bool
        False when the solver stopped at ``max_iter``.
    """

    def __init__(self, n_topics: int | None = None, *, random_state: int = 0,
                 max_iter: int = 500) -> None:
        self.n_topics = n_topics
        self.random_state = random_state
        self.max_iter = max_iter

    def fit_transform(self, X) -> np.ndarray:
        """Fit the model and return document-topic weights.

        Parameters
        ----------
        X : sparse matrix of shape (n_documents, n_terms)

        Returns
        -------
        W : ndarray of shape (n_documents, n_topics_)
            Raw (unnormalised) document-topic weights.
        """
        n_docs, n_terms = X.shape
        wanted = self.n_topics if self.n_topics is not None else default_n_topics(n_docs)
        self.n_topics_ = max(1, min(wanted, n_docs, n_terms))
        return self._fit_nmf(X, self.n_topics_, "nndsvda")


class GuidedTopicModel(_BaseNMF):
    """NMF whose first topics start from seed term weights (one per theme), plus free topics.

    The seeded topics are initialised from the seeds (custom NMF initialisation) and then fitted
    like any other topic, so they pick up words that co-occur with the seed terms in the corpus
    while free topics absorb what no theme covers.

    Parameters
    ----------
    seeds : ndarray of shape (n_seeded, n_terms)
        Non-negative seed weights of every vocabulary term for each seeded topic.
    n_free : int
        Number of additional free topics (initialised by NNDSVDa on the data).
    random_state : int
        Determines the initialisation of the free topics. Pass an int for reproducible output
        across multiple calls.
    max_iter : int
        Maximum number of NMF iterations.

    Attributes
    ----------
    components_ : ndarray of shape (n_seeded + n_free, n_terms)
        Topic-term weights, each row normalised to sum to 1; seeded topics first.
    alignment_ : ndarray of shape (n_seeded,)
        Cosine similarity between each fitted seeded topic and its seed: how far it drifted.
    """

    def __init__(self, seeds: np.ndarray, n_free: int = 2, *, random_state: int = 0,
                 max_iter: int = 200) -> None:
        self.seeds = seeds
        self.n_free = n_free
        self.random_state = random_state
        self.max_iter = max_iter

    def fit_transform(self, X) -> np.ndarray:
        """Fit the model and return document-topic weights.

        Parameters
        ----------
        X : sparse matrix of shape (n_documents, n_terms)

        Returns
        -------
        W : ndarray of shape (n_documents, n_seeded + n_free)
        """
        from sklearn.decomposition._nmf import _initialize_nmf

        seeds = np.asarray(self.seeds, dtype=np.float64)
        n_docs = X.shape[0]
        n_free = max(0, min(self.n_free, min(X.shape) - 1))
        # Anchor: one pseudo-document per seed, L2-normalised like the TF-IDF rows and weighted
        # like the documents of an average topic, so the fitted topics stay near their seeds
        # while still absorbing co-occurring words.
        unit = seeds / np.maximum(np.linalg.norm(seeds, axis=1, keepdims=True), 1e-12)
        strength = np.sqrt(max(1.0, n_docs / (seeds.shape[0] + n_free)))
        X = sp.vstack([sp.csr_matrix(X), sp.csr_matrix(unit * strength)]).tocsr()
        # Seeded topics start at their unit seed vectors, documents at their projections.
        H_seed = np.maximum(unit, 1e-6)
        W_seed = np.asarray(X @ unit.T)
        if n_free:
            # Free topics start from the documents the seeds explain least (weighted by the
            # share of each document outside its best seed), so they pick up what no theme
            # covers instead of competing with the seeds for their own documents.
            row_norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
            best = W_seed.max(axis=1) / np.maximum(row_norms, 1e-12)
            unexplained = np.clip(1.0 - best**2, 0.0, 1.0)
            weighted = sp.diags(unexplained) @ X
            if weighted.nnz == 0 or not np.any(unexplained > 0):
                weighted = X
            W_free, H_free = _initialize_nmf(sp.csr_matrix(weighted), n_free, init="nndsvda",
                                             random_state=self.random_state)
            H0 = np.vstack([H_seed, np.maximum(H_free, 1e-6)])
            W0 = np.hstack([W_seed, W_free]) + 1e-6
        else:
            H0, W0 = H_seed, W_seed + 1e-6
        W = self._fit_nmf(X, H0.shape[0], "custom", W=W0, H=H0)[:n_docs]
        fitted = self.components_[: seeds.shape[0]]
        norms = np.linalg.norm(fitted, axis=1) * np.linalg.norm(seeds, axis=1)
        self.alignment_ = np.where(norms > 0, (fitted * seeds).sum(axis=1) / np.maximum(
            norms, 1e-12), 0.0)
        return W


def topic_tables(
    dtm: DocumentTermMatrix, *, n_topics: int | None = None, random_state: int = 0,
    max_iter: int = 500, top_terms: int = 10,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Fit NMF and return the ``topics``, ``topic_summary`` and ``section_topics`` tables."""
    if dtm.n_documents == 0 or dtm.matrix.shape[1] == 0:
        return (pd.DataFrame(columns=TOPIC_COLUMNS), pd.DataFrame(columns=SUMMARY_COLUMNS),
                pd.DataFrame(columns=SECTION_TOPIC_COLUMNS))
    model = TopicModel(n_topics, random_state=random_state, max_iter=max_iter)
    W = model.fit_transform(dtm.matrix)
    H = model.components_

    topic_rows = []
    for topic_id, row in enumerate(H):
        order = np.lexsort((dtm.terms, -row))[:top_terms]
        for rank, j in enumerate(order, start=1):
            if row[j] > 0:
                topic_rows.append((topic_id, rank, dtm.terms[j], round(float(row[j]), DECIMALS)))
    topics = pd.DataFrame(topic_rows, columns=TOPIC_COLUMNS)

    totals = W.sum(axis=0)
    share = totals / totals.sum() if totals.sum() > 0 else np.zeros_like(totals)
    labels = [
        "・".join(topics.loc[topics["topic_id"] == k, "term"].head(3)) for k in range(len(H))
    ]
    summary = pd.DataFrame({
        "topic_id": np.arange(len(H)),
        "label": labels,
        "share": np.round(share, DECIMALS),
    }, columns=SUMMARY_COLUMNS)

    section_rows = []
    for sid, weights in zip(dtm.doc_ids, W, strict=True):
        total = weights.sum()
        if total <= 0:
            continue
        normalised = weights / total
        for topic_id, weight in enumerate(normalised):
            rounded = round(float(weight), DECIMALS)
            if rounded > 0:
                section_rows.append((sid, topic_id, rounded))
    section_topics = pd.DataFrame(section_rows, columns=SECTION_TOPIC_COLUMNS)
    return topics, summary, section_topics
