"""Stage 5: NMF topics over the TF-IDF matrix.

Tables
------
``topics``: topic_id, rank (1 = strongest), term, weight, relevance. ``weight`` is the term's
share of the topic's whole component (each topic's weights over the full vocabulary sum to 1);
the table lists the ``top_terms`` strongest. ``relevance`` is :func:`term_relevance`: how
distinctive the term is of the topic rather than merely frequent.

``topic_summary``: topic_id, label (the three most relevant of the topic's 30 strongest terms,
joined by ``・``), share
(of all document weight; sums to 1 over topics), coherence (NPMI of the top terms), stability
(mean best-match Jaccard agreement of the top terms across restarts).

``topic_sections``: topic_id, rank, section_id, weight: each topic's most representative
sections (:func:`representative_sections`), to read what a topic is about.

``section_topics``: section_id, topic_id, weight. A section's weights sum to 1; zero rows are
omitted, and so are sections without any modelled term. ``article_topics`` is the same per
article. With ``--unit article`` the model is fitted on articles and sections are projected on
it (and the other way round).

``topic_trends``: topic_id, period (of the sections' ``published``: ``YYYY-MM`` by default, see
:func:`pipeline.textutil.period_label`), weight (mean section weight in that period; sums to 1
over topics); empty without dates.

``k_selection`` (with ``--topics auto``): k, coherence, stability, reconstruction_error,
score, chosen; one row per k tried. The range is 2 to min(30, documents / 2); the search
tries seven values spread geometrically over it, then the two on each side of the best (see
:func:`select_k`), each fitted on a seeded sample of at most ``SELECTION_DOCUMENTS``
documents. Coherence is the mean NPMI of each topic's top 10 terms, counted as document
co-occurrence in that sample; stability is the mean, over topics, of the best-match Jaccard
agreement of their top 10 terms with the topics of NMF fitted on random 80% subsamples (3
restarts, seeded from ``--seed``), after Greene, O'Callaghan and Cunningham (2014).
``score = (coherence + 1) / 2 * stability``; the chosen k has the highest score (ties: the
smaller k).

Models: scikit-learn's NMF (``init="nndsvda"``, coordinate descent, Frobenius loss); above
``MINIBATCH_DOCUMENTS`` documents, MiniBatchNMF. The solvers run in single precision
(``FIT_DTYPE``): TF-IDF weights need no more, and the sparse products that dominate a fit then
move half the bytes; weights and topics come back as float64.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from ._parallel import Executor
from .tables import OUTPUT_COLUMNS, empty_table
from .textutil import section_periods

TOPIC_COLUMNS = OUTPUT_COLUMNS["topics"]
# Relevance of a term to a topic, lambda log(phi) + (1 - lambda) log(phi / p): Sievert and
# Shirley's user study found lambda about 0.6 best for telling topics apart.
RELEVANCE_LAMBDA = 0.6
TOP_SECTIONS = 10
LABEL_CANDIDATES = 30
SUMMARY_COLUMNS = ["topic_id", "label", "share", "coherence", "stability", "status"]
SECTION_TOPIC_COLUMNS = ["section_id", "topic_id", "weight"]
ARTICLE_TOPIC_COLUMNS = ["article_id", "topic_id", "weight"]
TREND_COLUMNS = ["topic_id", "period", "weight"]
K_SELECTION_COLUMNS = ["k", "coherence", "stability", "reconstruction_error", "score", "chosen"]
DECIMALS = 6
MINIBATCH_DOCUMENTS = 50_000
FIT_DTYPE = np.float32
TOP_N = 10
RESTARTS = 3
SUBSAMPLE = 0.8
DOCUMENTS_PER_TOPIC = 10
# The k search (--topics auto) fits its candidates on at most this many documents (a seeded
# sample), with a looser tolerance and fewer iterations than the final model: the top terms
# it compares settle long before the fit converges.
SELECTION_DOCUMENTS = 2000
SELECTION_MAX_ITER = 100
SELECTION_TOL = 1e-3
SELECTION_COARSE = 7


def default_n_topics(n_documents: int) -> int:
    """``round(sqrt(n_documents))`` clamped to [2, 30], and never more than the documents."""
    return max(1, min(n_documents, max(2, min(30, round(math.sqrt(n_documents))))))


def fitted_n_topics(n_topics: int | None, shape: tuple[int, int]) -> int:
    """The number of topics a :class:`TopicModel` fits on a matrix of ``shape``: ``n_topics``
    (None: :func:`default_n_topics`) clamped to what the documents support: no more than the
    documents and terms, and above 30 topics no more than one per
    :data:`DOCUMENTS_PER_TOPIC` documents."""
    n_docs, n_terms = shape
    wanted = n_topics if n_topics is not None else default_n_topics(n_docs)
    return max(1, min(wanted, n_docs, n_terms, max(30, n_docs // DOCUMENTS_PER_TOPIC)))


def project(X, components: np.ndarray) -> np.ndarray:
    """Document-topic weights of documents on fixed topics: for each row ``x`` of ``X``, the
    exact non-negative least-squares solution ``argmin_{w >= 0} ||x - w H||^2``.

    Each row is solved on its own (an active-set NNLS on the k x k Gram system), so a
    document's weights do not depend on the other documents it is projected with: a saved
    model gives an article the weights it had in the run that fitted it.

    Parameters
    ----------
    X : sparse matrix of shape (n_documents, n_terms)
    components : ndarray of shape (n_topics, n_terms)

    Returns
    -------
    W : ndarray of shape (n_documents, n_topics)
    """
    from scipy.optimize import nnls

    H = np.asarray(components, dtype=np.float64)
    k = H.shape[0]
    if X.shape[0] == 0 or k == 0:
        return np.zeros((X.shape[0], k))
    # ||x - wH||^2 = ||R w - b||^2 + const with H H^T = R^T R (R = L^(1/2) Q^T from the
    # eigendecomposition, robust to nearly collinear topics) and b = L^(-1/2) Q^T H x.
    eigenvalues, vectors = np.linalg.eigh(H @ H.T)
    eigenvalues = np.maximum(eigenvalues, eigenvalues.max() * 1e-12)
    R = np.sqrt(eigenvalues)[:, None] * vectors.T
    # One sparse product: each row's b is a sum over that row alone, in the same order
    # whatever the other rows (a dense product's blocking can change the last bits).
    B = np.asarray(sp.csr_matrix(X, dtype=np.float64) @ (H.T @ (vectors / np.sqrt(eigenvalues))))
    W = np.empty((X.shape[0], k))
    for i, b in enumerate(B):
        W[i] = nnls(R, b)[0]
    return W


class _BaseNMF(BaseEstimator):
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
        X = _fit_matrix(X)
        # A model started from given factors (the guided one) is always fitted in full batch.
        minibatch = X.shape[0] > MINIBATCH_DOCUMENTS and W is None
        if W is not None:
            W, H = W.astype(FIT_DTYPE), H.astype(FIT_DTYPE)
        loss = getattr(self, "loss", "frobenius")
        solver = "mu" if loss != "frobenius" else "cd"
        if minibatch:
            from sklearn.decomposition import MiniBatchNMF

            self._nmf = MiniBatchNMF(
                n_components=n_components, init=init, random_state=self.random_state,
                max_iter=self.max_iter, batch_size=2048, beta_loss=loss,
            )
        else:
            self._nmf = NMF(
                n_components=n_components, init=init, random_state=self.random_state,
                max_iter=self.max_iter, tol=getattr(self, "tol", 1e-4), beta_loss=loss,
                solver=solver,
            )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            W_fit = self._nmf.fit_transform(X, W=W, H=H)
        # Tiny corpora (k close to the number of documents) hit max_iter; say so, don't warn.
        self.converged_ = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
        self.n_iter_ = self._nmf.n_iter_
        self.reconstruction_err_ = float(self._nmf.reconstruction_err_)
        H_fit = self._nmf.components_.astype(np.float64)
        totals = H_fit.sum(axis=1, keepdims=True)
        totals[totals == 0] = 1.0
        self.components_ = H_fit / totals
        return W_fit.astype(np.float64)

    def transform(self, X) -> np.ndarray:
        """Document-topic weights of documents on the fitted topics (:func:`project` on
        ``components_``; it needs nothing else of the fit, so a loaded model transforms the
        same way).

        Parameters
        ----------
        X : sparse matrix of shape (n_documents, n_terms)

        Returns
        -------
        W : ndarray of shape (n_documents, n_topics_)
        """
        return project(X, self.components_)


def _fit_matrix(X):
    """``X`` as the solvers take it: CSR of ``FIT_DTYPE`` (dense input stays dense)."""
    if sp.issparse(X):
        # A copy of the index arrays too: the solvers may sort them in place.
        return sp.csr_matrix(X, dtype=FIT_DTYPE, copy=True)
    return np.asarray(X, dtype=FIT_DTYPE)


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
    init : str
        NMF initialisation ('nndsvda' by default; 'nndsvdar' for the stability restarts).
    loss : {'frobenius', 'kullback-leibler'}
        Beta divergence minimised (Kullback-Leibler uses the multiplicative-update solver).
    tol : float
        Tolerance of the stopping condition (scikit-learn's NMF ``tol``).

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
                 max_iter: int = 500, init: str = "nndsvda", loss: str = "frobenius",
                 tol: float = 1e-4) -> None:
        self.n_topics = n_topics
        self.random_state = random_state
        self.max_iter = max_iter
        self.init = init
        self.loss = loss
        self.tol = tol

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
        self.n_topics_ = fitted_n_topics(self.n_topics, X.shape)
        return self._fit_nmf(X, self.n_topics_, self.init)


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
            # scikit-learn's NNDSVDa (a private helper: the lock files pin its version)
            from sklearn.decomposition._nmf import _initialize_nmf

            W_free, H_free = _initialize_nmf(_fit_matrix(weighted), n_free, init="nndsvda",
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


def top_term_indices(components: np.ndarray, n: int = TOP_N) -> list[np.ndarray]:
    """Column indices of each topic's ``n`` strongest terms (ties by index, for stability)."""
    return [np.lexsort((np.arange(len(row)), -row))[:n] for row in components]


def npmi_coherence(binary: sp.csr_matrix, top: list[np.ndarray]) -> np.ndarray:
    """Mean NPMI over pairs of each topic's top terms, from document co-occurrence.

    Parameters
    ----------
    binary : sparse matrix of shape (n_documents, n_terms)
        1 where a term occurs in a document.
    top : list of ndarray
        Top-term column indices per topic.

    Returns
    -------
    ndarray of shape (n_topics,)
        In [-1, 1]; a pair that never co-occurs counts -1.
    """
    n_docs = binary.shape[0]
    scores = []
    for idx in top:
        if len(idx) < 2:
            scores.append(0.0)
            continue
        sub = binary[:, idx]
        co = np.asarray((sub.T @ sub).todense(), dtype=np.float64) / n_docs
        p = np.diag(co).copy()
        values = []
        for i in range(len(idx)):
            for j in range(i + 1, len(idx)):
                joint = co[i, j]
                if joint <= 0 or p[i] <= 0 or p[j] <= 0:
                    values.append(-1.0)
                elif joint >= 1.0:
                    values.append(1.0)
                else:
                    values.append(math.log(joint / (p[i] * p[j])) / -math.log(joint))
        scores.append(float(np.mean(values)))
    return np.asarray(scores)


def best_match_jaccard(reference: list[np.ndarray], other: list[np.ndarray]) -> np.ndarray:
    """For each reference topic, the highest Jaccard agreement with any topic of ``other``."""
    sets = [set(map(int, o)) for o in other]
    result = []
    for ref in reference:
        r = set(map(int, ref))
        result.append(max((len(r & o) / len(r | o) for o in sets if r | o), default=0.0))
    return np.asarray(result)


def _fit_job(job: tuple) -> tuple[TopicModel, np.ndarray]:
    """Fit one :class:`TopicModel` (a job an executor can run anywhere); return it and W.

    BLAS and OpenMP run single-threaded here: a sum split over a different number of threads
    can end the solver one iteration apart, and the fit must not depend on where it ran.
    """
    X, params = job
    model = TopicModel(**params)
    with threadpool_limits(1):
        W = model.fit_transform(X)
    return model, W


def _restart_jobs(X, k: int, random_state: int, max_iter: int, restarts: int,
                  tol: float = 1e-4) -> list[tuple]:
    """Jobs for :func:`_fit_job`: NMF on ``restarts`` random 80% subsamples of the rows."""
    n_docs = X.shape[0]
    size = min(n_docs, max(k, round(SUBSAMPLE * n_docs)))
    jobs = []
    for r in range(restarts):
        rng = np.random.default_rng(random_state + 1 + r)
        rows = np.sort(rng.choice(n_docs, size=size, replace=False))
        jobs.append((X[rows], {"n_topics": k, "random_state": random_state + 1 + r,
                               "max_iter": max_iter, "init": "nndsvdar", "tol": tol}))
    return jobs


def _agreement(reference_top: list[np.ndarray], restarted: list[TopicModel]) -> np.ndarray:
    return np.mean([best_match_jaccard(reference_top, top_term_indices(m.components_))
                    for m in restarted], axis=0)


def select_k(X, k_values: list[int], random_state: int = 0, max_iter: int = 500,
             restarts: int = RESTARTS, executor: Executor | None = None,
             progress: Callable[[str], None] | None = None,
             max_documents: int = SELECTION_DOCUMENTS) -> tuple[int, pd.DataFrame]:
    """Choose the number of topics by coherence and stability (see the module docstring).

    The search is coarse to fine: :data:`SELECTION_COARSE` values spread geometrically over
    ``k_values`` first, then the values next to the best of them (two on each side). Each
    candidate is fitted, with its stability restarts, on a seeded sample of at most
    ``max_documents`` documents, with at most :data:`SELECTION_MAX_ITER` iterations and
    tolerance :data:`SELECTION_TOL`. ``executor`` runs the fits (default: one after another
    in this process); the result does not depend on it. ``progress`` receives a line per
    candidate.

    Returns
    -------
    k : int
    k_selection : DataFrame of shape (n_candidates, 6)
        One row per k tried, in increasing k.
    """
    if X.shape[0] > max_documents:
        rows = np.sort(np.random.default_rng(random_state).choice(
            X.shape[0], size=max_documents, replace=False))
        X = X[rows]
    binary = (X > 0).astype(np.float64).tocsr()
    fitted_ks = sorted({fitted_n_topics(k, X.shape) for k in k_values})
    executor = executor or Executor()
    iterations = min(max_iter, SELECTION_MAX_ITER)
    scored: dict[int, _Candidate] = {}

    def evaluate(ks: list[int]) -> None:
        jobs = []
        for k in ks:
            jobs.append((X, {"n_topics": k, "random_state": random_state,
                             "max_iter": iterations, "tol": SELECTION_TOL}))
            jobs += _restart_jobs(X, k, random_state, iterations, restarts, SELECTION_TOL)
        models = iter(executor.imap(_fit_job, jobs))
        for k in ks:
            model = next(models)[0]
            restarted = [next(models)[0] for _ in range(restarts)]
            top = top_term_indices(model.components_)
            coherence = float(npmi_coherence(binary, top).mean())
            stability = float(_agreement(top, restarted).mean()) if restarted else 1.0
            scored[k] = _Candidate(k, coherence, stability, model.reconstruction_err_,
                                   (coherence + 1) / 2 * stability)
            if progress is not None:
                progress(f"k = {k}: score {scored[k].score:.3f} ({len(scored)} tried)")

    evaluate(coarse_grid(fitted_ks, SELECTION_COARSE))
    best = _best(scored)
    at = fitted_ks.index(best)
    evaluate([k for k in fitted_ks[max(0, at - 2):at + 3] if k not in scored])
    table = pd.DataFrame([scored[k] for k in sorted(scored)], columns=list(_Candidate._fields))
    best = _best(scored)
    table["chosen"] = table["k"] == best
    for column in ("coherence", "stability", "reconstruction_error", "score"):
        table[column] = table[column].round(DECIMALS)
    return best, table.reset_index(drop=True)


class _Candidate(NamedTuple):
    """One k of the search: a row of ``k_selection`` without ``chosen``."""

    k: int
    coherence: float
    stability: float
    reconstruction_error: float
    score: float


def _best(scored: dict[int, _Candidate]) -> int:
    """The k with the highest score (ties: the smaller k)."""
    return min(scored, key=lambda k: (-scored[k].score, k))


def coarse_grid(k_values: list[int], n: int) -> list[int]:
    """``n`` of the sorted ``k_values`` spread geometrically, both ends included (all of them
    when there are no more than ``n``)."""
    if len(k_values) <= n:
        return list(k_values)
    targets = np.geomspace(k_values[0], k_values[-1], n)
    values = np.asarray(k_values)
    return sorted({int(values[np.abs(values - t).argmin()]) for t in targets})


def default_k_range(n_documents: int) -> list[int]:
    """2 to min(30, n_documents / 2) (at least [2] where there are two documents)."""
    upper = min(30, n_documents // 2)
    return list(range(2, upper + 1)) if upper >= 2 else [max(1, min(2, n_documents))]


def _shares(W: np.ndarray) -> np.ndarray:
    """Each document's topic weights as shares of its total, rounded (rows without weight
    stay zero): the weights of ``section_topics`` and ``article_topics``."""
    W = np.asarray(W, dtype=np.float64)
    totals = W.sum(axis=1)
    return np.round(W / np.where(totals > 0, totals, 1.0)[:, None], DECIMALS)


def _weights_table(ids, W: np.ndarray, id_column: str) -> pd.DataFrame:
    """Long table of each document's topic shares (rows summing to 1, rounded; zeros and
    documents without weight left out)."""
    shares = _shares(W)
    rows, topic_ids = np.nonzero(shares > 0)
    return pd.DataFrame({id_column: np.asarray(ids, dtype=object)[rows],
                         "topic_id": topic_ids.astype(np.int64),
                         "weight": shares[rows, topic_ids]})


def _trends(section_topics: pd.DataFrame, sections: pd.DataFrame,
            period: str = "month") -> pd.DataFrame:
    labels = section_periods(sections, period)
    dated = section_topics.assign(period=section_topics["section_id"].map(labels))
    dated = dated[dated["period"].fillna("") != ""]
    if dated.empty:
        return pd.DataFrame(columns=TREND_COLUMNS)
    n_sections = dated.groupby("period")["section_id"].nunique()
    sums = dated.groupby(["period", "topic_id"])["weight"].sum().reset_index()
    sums["weight"] = (sums["weight"] / sums["period"].map(n_sections)).round(DECIMALS)
    return sums[TREND_COLUMNS].sort_values(["period", "topic_id"]).reset_index(drop=True)


@dataclass
class TopicTables:
    topics: pd.DataFrame
    topic_summary: pd.DataFrame
    section_topics: pd.DataFrame
    article_topics: pd.DataFrame
    topic_trends: pd.DataFrame
    k_selection: pd.DataFrame
    n_topics: int
    model: TopicModel | None = None  # the fitted model (None for an empty corpus)
    topic_ids: list[int] | None = None  # the id of each row of its components (None: j)
    topic_sections: pd.DataFrame = field(
        default_factory=lambda: empty_table("topic_sections"))


def topic_tables(
    vectorized, sections: pd.DataFrame | None = None, *, n_topics: int | str | None = None,
    random_state: int = 0, max_iter: int = 500, top_terms: int = 10,
    k_values: list[int] | None = None, restarts: int = RESTARTS, loss: str = "frobenius",
    executor: Executor | None = None, period: str = "month",
    progress: Callable[[str], None] | None = None,
) -> TopicTables:
    """Fit NMF (choosing k with ``n_topics="auto"``) and build every topic table.

    Parameters
    ----------
    vectorized : Vectorized or DocumentTermMatrix
        TF-IDF from :func:`pipeline.vectorize.vectorize` (a bare matrix is its own unit).
    sections : DataFrame or None
        The ``sections`` table, for ``topic_trends``.
    n_topics : int, 'auto' or None
        None uses :func:`default_n_topics`.
    random_state : int
        Determines the NMF initialisation and the stability subsamples. Pass an int for
        reproducible output across multiple calls.
    executor : Executor or None
        Runs the NMF fits (the model, its stability restarts, the k search); None runs them
        one after another here. The tables do not depend on it.
    period : {'day', 'week', 'month', 'quarter', 'year'}
        The periods of ``topic_trends``.
    progress : callable or None
        Receives a line per step of the k search and before the model's fit.

    Returns
    -------
    TopicTables
    """
    from .vectorize import DocumentTermMatrix, Vectorized

    if isinstance(vectorized, DocumentTermMatrix):
        vectorized = Vectorized(vectorized, vectorized, vectorized, "section")
    fit = vectorized.fit
    empty = TopicTables(pd.DataFrame(columns=TOPIC_COLUMNS), pd.DataFrame(
        columns=SUMMARY_COLUMNS), pd.DataFrame(columns=SECTION_TOPIC_COLUMNS), pd.DataFrame(
        columns=ARTICLE_TOPIC_COLUMNS), pd.DataFrame(columns=TREND_COLUMNS), pd.DataFrame(
        columns=K_SELECTION_COLUMNS), 0)
    if fit.n_documents == 0 or fit.matrix.shape[1] == 0:
        return empty
    k_selection = pd.DataFrame(columns=K_SELECTION_COLUMNS)
    executor = executor or Executor()
    if n_topics == "auto":
        k, k_selection = select_k(fit.matrix, k_values or default_k_range(fit.n_documents),
                                  random_state, max_iter, restarts, executor, progress)
    else:
        k = n_topics  # type: ignore[assignment]
    if progress is not None:
        progress(f"fitting {fitted_n_topics(k, fit.matrix.shape)} topics on "
                 f"{fit.n_documents:,} documents (and {restarts} restarts on subsamples)")
    # The model and its stability restarts are independent fits: run them side by side.
    jobs = [(fit.matrix, {"n_topics": k, "random_state": random_state, "max_iter": max_iter,
                          "loss": loss})]
    if fit.n_documents >= 3:
        jobs += _restart_jobs(fit.matrix, fitted_n_topics(k, fit.matrix.shape), random_state,
                              max_iter, restarts)
    # The tables of the model are built while the restarts may still be running.
    fitted = executor.imap(_fit_job, jobs)
    model, _fit_weights = next(fitted)
    top = top_term_indices(model.components_, TOP_N)
    binary = (fit.matrix > 0).astype(np.float64).tocsr()
    coherence = npmi_coherence(binary, top)
    tables = model_tables(model, vectorized, sections, top_terms=top_terms, period=period,
                          coherence=coherence, stability=np.ones(len(top)))
    restarted = [m for m, _ in fitted]
    if restarted:
        tables.topic_summary["stability"] = np.round(_agreement(top, restarted), DECIMALS)
    tables.k_selection = k_selection
    return tables


def model_tables(model: TopicModel, vectorized, sections: pd.DataFrame | None = None, *,
                 top_terms: int = 10, period: str = "month",
                 coherence: np.ndarray | None = None,
                 stability: np.ndarray | None = None) -> TopicTables:
    """Every topic table of documents projected on a fitted model (the one just fitted, or a
    saved one applied to new articles).

    Parameters
    ----------
    model : TopicModel
        Fitted (``components_`` over ``vectorized``'s vocabulary).
    vectorized : Vectorized
    sections : DataFrame or None
        The ``sections`` table, for ``topic_trends``.
    coherence, stability : ndarray of shape (n_topics,) or None
        Measured on the fitted corpus (None: NaN).
    """
    H = model.components_
    terms = vectorized.sections.terms if len(vectorized.sections.terms) else vectorized.fit.terms
    relevance = term_relevance(H, vectorized.fit.matrix)
    topic_rows = []
    labels = []
    for topic_id, row in enumerate(H):
        order = np.lexsort((terms, -row))
        for rank, j in enumerate(order[:top_terms], start=1):
            if row[j] > 0:
                topic_rows.append((topic_id, rank, terms[j], round(float(row[j]), DECIMALS),
                                   round(float(relevance[topic_id, j]), DECIMALS)))
        # The label: the most relevant of the topic's strongest terms (a term seen in a
        # handful of documents can be exclusive to a topic without describing it).
        strongest = order[:LABEL_CANDIDATES]
        strongest = strongest[row[strongest] > 0]
        distinctive = strongest[np.lexsort((terms[strongest], -relevance[topic_id,
                                                                          strongest]))][:3]
        labels.append("・".join(terms[j] for j in distinctive))
    topics = pd.DataFrame(topic_rows, columns=TOPIC_COLUMNS)
    # Every document's weights are its projection on the topics (the fit's own W is one
    # solution of a joint problem; the projection is what a saved model gives it again).
    section_weights = model.transform(vectorized.sections.matrix)
    article_weights = model.transform(vectorized.articles.matrix)
    section_topics = _weights_table(vectorized.sections.doc_ids, section_weights, "section_id")
    topic_sections = representative_sections(vectorized.sections.doc_ids, section_weights)
    article_topics = _weights_table(vectorized.articles.doc_ids, article_weights, "article_id")
    totals = (section_weights if vectorized.unit == "section" else article_weights).sum(axis=0)
    share = totals / totals.sum() if totals.sum() > 0 else np.zeros_like(totals)
    trends = _trends(section_topics, sections, period) if sections is not None else pd.DataFrame(
        columns=TREND_COLUMNS)
    missing = np.full(len(H), np.nan)
    summary = pd.DataFrame({
        "topic_id": np.arange(len(H)), "label": labels, "share": np.round(share, DECIMALS),
        "coherence": np.round(missing if coherence is None else coherence, DECIMALS),
        "stability": np.round(missing if stability is None else stability, DECIMALS),
        "status": "",
    }, columns=SUMMARY_COLUMNS)
    return TopicTables(topics, summary, section_topics, article_topics, trends,
                       pd.DataFrame(columns=K_SELECTION_COLUMNS), len(H), model,
                       topic_sections=topic_sections)


def term_relevance(components: np.ndarray, X) -> np.ndarray:
    """Relevance of every term to every topic (Sievert and Shirley 2014):
    ``lambda * log(phi) + (1 - lambda) * log(phi / p)`` with ``phi`` a topic's normalised
    weights, ``p`` the term's share of the corpus's TF-IDF mass and lambda
    :data:`RELEVANCE_LAMBDA`; ``-inf`` where a topic gives a term no weight.

    Parameters
    ----------
    components : ndarray of shape (n_topics, n_terms)
    X : sparse matrix of shape (n_documents, n_terms)

    Returns
    -------
    relevance : ndarray of shape (n_topics, n_terms)
    """
    H = np.asarray(components, dtype=np.float64)
    totals = H.sum(axis=1, keepdims=True)
    phi = H / np.where(totals > 0, totals, 1.0)
    mass = np.asarray(X.sum(axis=0), dtype=np.float64).ravel()
    p = mass / mass.sum() if mass.sum() > 0 else np.full(H.shape[1], 1.0 / max(1, H.shape[1]))
    with np.errstate(divide="ignore"):
        log_phi = np.log(phi)
        lift = log_phi - np.log(np.where(p > 0, p, 1.0))
    return np.where(phi > 0, RELEVANCE_LAMBDA * log_phi + (1 - RELEVANCE_LAMBDA) * lift,
                    -np.inf)


def representative_sections(ids, W: np.ndarray, n: int = TOP_SECTIONS) -> pd.DataFrame:
    """The ``topic_sections`` table: each topic's ``n`` sections with the highest weight on
    it (the share of ``section_topics``), ties broken by the stronger raw weight, then id.

    Parameters
    ----------
    ids : array of shape (n_sections,)
    W : ndarray of shape (n_sections, n_topics)
        Raw (unnormalised) section-topic weights.
    """
    W = np.asarray(W, dtype=np.float64)
    ids = np.asarray(ids, dtype=object)
    shares = _shares(W)
    rows = []
    for topic_id in range(W.shape[1]):
        candidates = np.flatnonzero(shares[:, topic_id] > 0)
        order = candidates[np.lexsort((ids[candidates], -W[candidates, topic_id],
                                       -shares[candidates, topic_id]))][:n]
        rows += [(topic_id, rank, ids[i], shares[i, topic_id])
                 for rank, i in enumerate(order, start=1)]
    if not rows:
        return empty_table("topic_sections")
    return pd.DataFrame(rows, columns=OUTPUT_COLUMNS["topic_sections"]).astype(
        {"topic_id": np.int64, "rank": np.int64, "weight": np.float64})


# A refitted topic continues an old one when their term distributions have at least this
# cosine similarity (and the optimal assignment pairs them).
CONTINUING_SIMILARITY = 0.5


def topic_similarity(old: np.ndarray, old_terms: np.ndarray, new: np.ndarray,
                     new_terms: np.ndarray) -> np.ndarray:
    """Cosine similarity of every old topic with every new one over the union of their
    vocabularies, shape (n_old, n_new)."""
    union = pd.Index(np.union1d(np.asarray(old_terms, dtype=str),
                                np.asarray(new_terms, dtype=str)))

    def aligned(components, terms):
        matrix = np.zeros((components.shape[0], len(union)))
        matrix[:, union.get_indexer(np.asarray(terms, dtype=str))] = components
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.where(norms > 0, norms, 1.0)

    return aligned(old, old_terms) @ aligned(new, new_terms).T


def match_topics(similarity: np.ndarray, old_ids: list[int],
                 threshold: float = CONTINUING_SIMILARITY) -> tuple[list[int], pd.DataFrame]:
    """Ids for refitted topics: the optimal one-to-one assignment on ``similarity`` (Hungarian
    algorithm) gives a new topic the id of the old one it continues (similarity at least
    ``threshold``); other new topics get ids after the largest old one.

    Returns
    -------
    new_ids : list of int
        The id of each new topic (column of ``similarity``).
    lineage : DataFrame
        The ``topic_lineage`` table: continuing, new (old_topic_id -1) and gone (new_topic_id
        -1) topics, with the similarity of the pair (for new and gone ones, the best match).
    """
    from scipy.optimize import linear_sum_assignment

    n_old, n_new = similarity.shape
    rows, cols = linear_sum_assignment(-similarity) if n_old and n_new else ([], [])
    new_ids: list[int | None] = [None] * n_new
    continuing = {}
    for r, c in zip(rows, cols, strict=True):
        if similarity[r, c] >= threshold:
            new_ids[c] = old_ids[r]
            continuing[r] = c
    next_id = max(old_ids, default=-1) + 1
    records = []
    for c in range(n_new):
        if new_ids[c] is None:
            new_ids[c] = next_id
            next_id += 1
            best = float(similarity[:, c].max()) if n_old else 0.0
            records.append((-1, new_ids[c], best, "new"))
    for r, c in continuing.items():
        records.append((old_ids[r], new_ids[c], float(similarity[r, c]), "continuing"))
    for r in range(n_old):
        if r not in continuing:
            best = float(similarity[r].max()) if n_new else 0.0
            records.append((old_ids[r], -1, best, "gone"))
    lineage = pd.DataFrame(records, columns=OUTPUT_COLUMNS["topic_lineage"]).astype(
        {"old_topic_id": "int64", "new_topic_id": "int64"})
    lineage["similarity"] = lineage["similarity"].round(DECIMALS)
    order = {"continuing": 0, "new": 1, "gone": 2}
    lineage = lineage.sort_values(["status", "new_topic_id", "old_topic_id"],
                                  key=lambda c: c.map(order) if c.name == "status" else c)
    return [int(i) for i in new_ids], lineage.reset_index(drop=True)


def relabel(tables: TopicTables, ids: list[int], status: dict[int, str] | None = None
            ) -> TopicTables:
    """The topic tables with topic ``j`` (a row of the model's components) called ``ids[j]``,
    sorted by the new ids; ``status`` fills ``topic_summary.status``."""
    mapping = dict(enumerate(ids))

    def renamed(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
        if frame.empty:
            return frame
        frame = frame.assign(topic_id=frame["topic_id"].astype(np.int64).map(mapping))
        return frame.sort_values(by, kind="stable").reset_index(drop=True) if by else frame

    summary = renamed(tables.topic_summary, ["topic_id"])
    if status is not None and len(summary):
        summary["status"] = summary["topic_id"].map(status).fillna("")
    return TopicTables(
        renamed(tables.topics, ["topic_id", "rank"]), summary,
        renamed(tables.section_topics, []), renamed(tables.article_topics, []),
        renamed(tables.topic_trends, ["period", "topic_id"]), tables.k_selection,
        tables.n_topics, tables.model, list(ids),
        topic_sections=renamed(tables.topic_sections, ["topic_id", "rank"]))
