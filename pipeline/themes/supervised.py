"""The supervised part of theme scoring: a verifier trained on the hand-labelled sets.

The dictionary proposes: every (section, theme) with any evidence of the theme is a
*candidate*. The verifier, a logistic regression trained on the candidates of every labelled
development set (``tests/data/``; ``benchmarks/train_verifier.py`` fits it, cross-validates
it and writes ``pipeline/data/theme_verifier.npz``), gives how likely the candidate is a
real discussion of the theme; the scoring vetoes the unlikely ones.

It sees what the evidence is (the lexical score, its density, whether the headline holds it,
how many different terms and pairs, context only or not, the section's length, whether it is
a lead, the corpus model's posterior, whether its pairs come from the article's lead
framing), which theme it is, and the section's words. The
register a section is written in (a policy report, a film review, a product launch, netizen
chatter) says much of whether its theme words are its subject, and that is shared across
themes, so a few hundred labelled candidates train it.

It never sees a section without evidence: it can only reject what the dictionary proposes,
or nudge a score near the threshold (:func:`~pipeline.themes.scoring.verified_scores`).
The shipped weights are plain arrays in an ``.npz`` file (loaded with ``allow_pickle=False``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from ..vectorize import DocumentTermMatrix
from .matching import ThemeEvidence

VERIFIER_PATH = Path(__file__).resolve().parent.parent / "data" / "theme_verifier.npz"
# The features of a candidate besides its theme and words, in this order.
FEATURE_NAMES = (
    "lexical", "presence", "issue_density", "pair_density", "context_density", "headline",
    "core", "log_issue_terms", "log_pairs", "log_context_terms", "log_evidence",
    "log_context", "log_sentences", "lead", "learned", "framed",
)


@dataclass(frozen=True)
class Candidates:
    """The (section, theme) pairs the verifier scores, and their features.

    Attributes
    ----------
    rows : ndarray of shape (n_candidates,)
        Row of each candidate's section (in the caller's section order).
    themes : ndarray of shape (n_candidates,)
        Index of each candidate's theme in ``theme_ids``.
    theme_ids : list of str
    features : ndarray of shape (n_candidates, len(FEATURE_NAMES))
    words : dict
        Section row -> {term: count} of its content terms (the sections of candidates only).
    """

    rows: np.ndarray
    themes: np.ndarray
    theme_ids: list[str]
    features: np.ndarray
    words: dict[int, dict[str, int]]

    def __len__(self) -> int:
        return len(self.rows)


def evidence_features(evidence: ThemeEvidence, lexical: float, presence: float, lead: bool,
                      learned: float) -> list[float]:
    """The numeric features of one candidate, in ``FEATURE_NAMES`` order."""
    n = max(1, evidence.n_sentences)
    n_evidence = sum(evidence.issue.values()) + sum(evidence.pairs.values())
    return [
        lexical, presence, evidence.sentence_mass / n, evidence.pair_mass / n,
        evidence.context_mass / n, float(evidence.headline), evidence.core,
        math.log1p(len(evidence.issue)), math.log1p(len(evidence.pairs)),
        math.log1p(len(evidence.context)), math.log1p(n_evidence),
        math.log1p(sum(evidence.context.values())), math.log(n), float(lead), learned,
        float(evidence.framed),
    ]


def section_words(counts: DocumentTermMatrix | None, ids: list[str],
                  wanted: set[int]) -> dict[int, dict[str, int]]:
    """{term: count} of the sections at rows ``wanted`` of ``ids``, from a count matrix
    (:func:`~pipeline.vectorize.term_counts`; sections without content terms get {})."""
    words: dict[int, dict[str, int]] = {row: {} for row in wanted}
    if counts is None:
        return words
    position = {str(sid): r for r, sid in enumerate(counts.doc_ids)}
    matrix = counts.matrix.tocsr()
    for row in wanted:
        r = position.get(str(ids[row]))
        if r is None:
            continue
        lo, hi = matrix.indptr[r], matrix.indptr[r + 1]
        words[row] = {str(counts.terms[j]): int(c)
                      for j, c in zip(matrix.indices[lo:hi], matrix.data[lo:hi], strict=True)}
    return words


class ThemeVerifier(BaseEstimator):
    """Logistic regression on a candidate's evidence, theme and words.

    Parameters
    ----------
    C : float, default=10.0
        Inverse L2 regularisation strength (scikit-learn's ``LogisticRegression``).
    min_df : int, default=3
        Words in fewer training sections than this are left out of the vocabulary.
    max_iter : int, default=5000
        Iterations of the lbfgs solver.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        ``[False, True]``: not about the theme, about it (the columns of predict_proba).
    theme_ids_ : ndarray of str, shape (n_themes,)
    vocabulary_ : ndarray of str, shape (n_words,)
        Sorted.
    coef_features_ : ndarray of shape (len(FEATURE_NAMES),)
    coef_themes_ : ndarray of shape (n_themes,)
    coef_words_ : ndarray of shape (n_words,)
    intercept_ : float

    Notes
    -----
    The lbfgs solver is deterministic: the same candidates give the same weights (there is no
    ``random_state``).
    """

    classes_ = np.array([False, True])

    def __init__(self, C: float = 10.0, min_df: int = 3, max_iter: int = 5000) -> None:
        self.C = C
        self.min_df = min_df
        self.max_iter = max_iter

    def fit(self, candidates: Candidates, y: np.ndarray) -> ThemeVerifier:
        """Fit on labelled candidates.

        Parameters
        ----------
        candidates : Candidates
            n_candidates pairs.
        y : array-like of shape (n_candidates,), bool
            Whether each candidate's section discusses its theme.

        Returns
        -------
        self
        """
        from sklearn.linear_model import LogisticRegression

        document_frequency: dict[str, int] = {}
        for row in np.unique(candidates.rows):
            for term in candidates.words[int(row)]:
                document_frequency[term] = document_frequency.get(term, 0) + 1
        self.vocabulary_ = np.array(sorted(t for t, n in document_frequency.items()
                                           if n >= self.min_df), dtype=str)
        self.theme_ids_ = np.array(candidates.theme_ids, dtype=str)
        model = LogisticRegression(C=self.C, max_iter=self.max_iter)
        model.fit(self._design(candidates), np.asarray(y, dtype=bool))
        coef = model.coef_[0]
        n_features, n_themes = len(FEATURE_NAMES), len(self.theme_ids_)
        self.coef_features_ = coef[:n_features]
        self.coef_themes_ = coef[n_features:n_features + n_themes]
        self.coef_words_ = coef[n_features + n_themes:]
        self.intercept_ = float(model.intercept_[0])
        self._vocabulary_index = None
        return self

    def predict_proba(self, candidates: Candidates) -> np.ndarray:
        """Probability of each class (``classes_``: not about the theme, about it), shape
        (n_candidates, 2); NaN for candidates of themes the verifier was not trained on."""
        about = self._about(candidates)
        return np.column_stack([1.0 - about, about])

    def _about(self, candidates: Candidates) -> np.ndarray:
        known = {t: i for i, t in enumerate(self.theme_ids_)}
        theme_map = np.array([known.get(t, -1) for t in candidates.theme_ids], dtype=np.int64)
        mapped = theme_map[candidates.themes] if len(candidates) else np.zeros(0, np.int64)
        z = (candidates.features @ self.coef_features_
             + self._word_matrix(candidates) @ self.coef_words_
             + np.where(mapped >= 0, self.coef_themes_[np.maximum(mapped, 0)], 0.0)
             + self.intercept_)
        probability = 1.0 / (1.0 + np.exp(-z))
        return np.where(mapped >= 0, probability, np.nan)

    def top_words(self, words: dict[str, int], n: int = 3) -> list[str]:
        """The ``n`` words of a section that raise its probability most."""
        index = self._index()
        values = _sublinear({t: c for t, c in words.items() if t in index})
        contribution = [(values[t] * self.coef_words_[index[t]], t) for t in values]
        return [t for c, t in sorted(contribution, key=lambda x: (-x[0], x[1]))[:n] if c > 0]

    def arrays(self) -> dict[str, np.ndarray]:
        """The fitted verifier as named plain arrays (what :meth:`save` writes)."""
        return {"theme_ids": self.theme_ids_, "vocabulary": self.vocabulary_,
                "feature_names": np.array(FEATURE_NAMES, dtype=str),
                "coef_features": self.coef_features_, "coef_themes": self.coef_themes_,
                "coef_words": self.coef_words_, "intercept": np.array(self.intercept_),
                "C": np.array(float(self.C)), "min_df": np.array(int(self.min_df)),
                "max_iter": np.array(int(self.max_iter))}

    @classmethod
    def from_arrays(cls, arrays, source: object = "theme verifier") -> ThemeVerifier:
        """The verifier of :meth:`arrays`' output (``source`` names it in errors).

        Raises
        ------
        ValueError
            When the arrays' features are not this version's ``FEATURE_NAMES``.
        """
        if tuple(str(n) for n in arrays["feature_names"]) != FEATURE_NAMES:
            raise ValueError(f"{source}: theme verifier of other features "
                             f"({', '.join(map(str, arrays['feature_names']))})")
        verifier = cls(C=float(arrays["C"]), min_df=int(arrays["min_df"]),
                       max_iter=int(arrays["max_iter"]))
        verifier.theme_ids_ = np.asarray(arrays["theme_ids"], dtype=str)
        verifier.vocabulary_ = np.asarray(arrays["vocabulary"], dtype=str)
        verifier.coef_features_ = np.asarray(arrays["coef_features"], dtype=np.float64)
        verifier.coef_themes_ = np.asarray(arrays["coef_themes"], dtype=np.float64)
        verifier.coef_words_ = np.asarray(arrays["coef_words"], dtype=np.float64)
        verifier.intercept_ = float(arrays["intercept"])
        return verifier

    def save(self, path: Path) -> None:
        """Write the weights as plain arrays (``np.savez_compressed``, no pickled objects)."""
        np.savez_compressed(path, **self.arrays())

    @classmethod
    def load(cls, path: Path) -> ThemeVerifier:
        """Read weights written by :meth:`save`.

        Raises
        ------
        ValueError
            When the file's features are not this version's ``FEATURE_NAMES``.
        """
        with np.load(path, allow_pickle=False) as data:
            return cls.from_arrays({name: data[name] for name in data.files}, path)

    def _index(self) -> dict[str, int]:
        # Built once per fitted vocabulary: top_words runs for every tagged section.
        if getattr(self, "_vocabulary_index", None) is None or len(
                self._vocabulary_index) != len(self.vocabulary_):
            self._vocabulary_index = {t: i for i, t in enumerate(self.vocabulary_)}
        return self._vocabulary_index

    def _design(self, candidates: Candidates) -> sp.csr_matrix:
        themes = np.zeros((len(candidates), len(self.theme_ids_)))
        known = {t: i for i, t in enumerate(self.theme_ids_)}
        for k, t in enumerate(candidates.themes):
            themes[k, known[candidates.theme_ids[t]]] = 1.0
        return sp.hstack([sp.csr_matrix(candidates.features), sp.csr_matrix(themes),
                          self._word_matrix(candidates)]).tocsr()

    def _word_matrix(self, candidates: Candidates) -> sp.csr_matrix:
        """Sublinear, L2-normalised counts of each candidate's section words in the
        vocabulary, shape (n_candidates, n_words)."""
        index = self._index()
        per_row: dict[int, dict[int, float]] = {}
        data, rows, columns = [], [], []
        for k, row in enumerate(candidates.rows):
            values = per_row.get(int(row))
            if values is None:
                kept = {t: c for t, c in candidates.words[int(row)].items() if t in index}
                values = {index[t]: v for t, v in _sublinear(kept).items()}
                per_row[int(row)] = values
            rows += [k] * len(values)
            columns += list(values)
            data += list(values.values())
        return sp.csr_matrix((data, (rows, columns)),
                             shape=(len(candidates), len(self.vocabulary_)))


def _sublinear(counts: dict[str, int]) -> dict[str, float]:
    """1 + ln(count), L2-normalised over the section."""
    values = {t: 1.0 + math.log(c) for t, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in values.values())) or 1.0
    return {t: v / norm for t, v in values.items()}


_SHIPPED: ThemeVerifier | None = None


def shipped_verifier() -> ThemeVerifier | None:
    """The verifier shipped with jtopics (None when its file is absent)."""
    global _SHIPPED
    if _SHIPPED is None and VERIFIER_PATH.exists():
        _SHIPPED = ThemeVerifier.load(VERIFIER_PATH)
    return _SHIPPED
