"""The learned part of theme scoring: a semi-supervised naive Bayes model per corpus.

Newsmap-style (Watanabe 2018): the dictionary labels the sections it is sure of, a background
class is made of the sections with no evidence for any theme, and a multinomial naive Bayes
model learns from them which other words of *this* corpus indicate each theme. Its posterior
corroborates, or weakens, the dictionary's evidence in the sections it was not sure of.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator


class SeededNaiveBayes(BaseEstimator):
    """One-theme-versus-background multinomial naive Bayes, trained on dictionary seeds.

    Parameters
    ----------
    alpha : float, default=0.5
        Additive (Lidstone) smoothing of the term distributions.
    min_seeds : int, default=5
        Themes with fewer seed documents get no model (their probabilities are 0).
    prior : float, default=0.05
        Prior probability of a theme against the background, instead of the seed share
        (seeds are the few sure documents, not the theme's share of the corpus).

    Attributes
    ----------
    log_ratio_ : ndarray of shape (n_themes, n_terms)
        log P(term | theme) - log P(term | background); rows of unfitted themes are 0.
    fitted_ : ndarray of shape (n_themes,), bool
        Which themes have a model.
    """

    def __init__(self, alpha: float = 0.5, min_seeds: int = 5, prior: float = 0.05) -> None:
        self.alpha = alpha
        self.min_seeds = min_seeds
        self.prior = prior

    def fit(self, X, seeds: np.ndarray, background: np.ndarray) -> SeededNaiveBayes:
        """Fit every theme's model.

        Parameters
        ----------
        X : sparse matrix of shape (n_documents, n_terms)
            Term weights (counts or TF-IDF) of the documents.
        seeds : ndarray of shape (n_documents, n_themes), bool
            The documents the dictionary is sure discuss each theme.
        background : ndarray of shape (n_documents,), bool
            The documents without evidence for any theme.

        Returns
        -------
        self
        """
        X = sp.csr_matrix(X)
        seeds = np.asarray(seeds, dtype=bool)
        n_terms = X.shape[1]
        self.log_ratio_ = np.zeros((seeds.shape[1], n_terms))
        self.fitted_ = np.zeros(seeds.shape[1], dtype=bool)
        if not background.any():
            return self
        log_background = _log_distribution(X[np.flatnonzero(background)], self.alpha)
        for t in range(seeds.shape[1]):
            rows = np.flatnonzero(seeds[:, t])
            if len(rows) < self.min_seeds:
                continue
            self.log_ratio_[t] = _log_distribution(X[rows], self.alpha) - log_background
            self.fitted_[t] = True
        return self

    def decision_function(self, X) -> np.ndarray:
        """Log-odds of each theme against the background, shape (n_documents, n_themes)."""
        X = sp.csr_matrix(X)
        prior = np.log(self.prior / (1 - self.prior))
        scores = np.asarray(X @ self.log_ratio_.T) + prior
        scores[:, ~self.fitted_] = -np.inf
        return scores

    def predict_proba(self, X) -> np.ndarray:
        """P(theme | document) against the background, shape (n_documents, n_themes); 0 for
        themes without a model."""
        scores = self.decision_function(X)
        with np.errstate(over="ignore"):
            return 1.0 / (1.0 + np.exp(-scores))

    def top_terms(self, x, theme: int, terms, n: int = 3) -> list[str]:
        """The terms of one document (a 1-row sparse matrix) that add most to ``theme``."""
        x = sp.csr_matrix(x)
        contributions = x.data * self.log_ratio_[theme, x.indices]
        order = np.argsort(-contributions, kind="stable")[:n]
        return [str(terms[x.indices[i]]) for i in order if contributions[i] > 0]


def _log_distribution(rows, alpha: float) -> np.ndarray:
    totals = np.asarray(rows.sum(axis=0)).ravel() + alpha
    return np.log(totals) - np.log(totals.sum())
