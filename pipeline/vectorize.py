"""Stage 4: tokens to a TF-IDF document-term matrix (one document per section).

Document frequency bounds adapt to the corpus size so that five articles and fifty thousand
both give a sensible vocabulary:

==============  ==========================  =======================================
documents       min_df (documents)          max_df (fraction of documents)
==============  ==========================  =======================================
fewer than 10   1                           1.0
10 to 1,999     2                           0.9
2,000 or more   max(2, ceil(0.0005 * n))    0.5
==============  ==========================  =======================================

TF is sublinear (1 + log tf) and rows are L2-normalised. Number terms (``pos_detail`` 数詞) are
left out: dates and amounts say little about what a section is about.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer


@dataclass(frozen=True)
class DocumentTermMatrix:
    """TF-IDF matrix with its row and column labels.

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix of shape (n_documents, n_terms)
    doc_ids : ndarray of shape (n_documents,)
        section_id of each row.
    terms : ndarray of shape (n_terms,)
        term of each column.
    """

    matrix: sp.csr_matrix
    doc_ids: np.ndarray
    terms: np.ndarray

    @property
    def n_documents(self) -> int:
        return self.matrix.shape[0]


def document_frequency_bounds(n_documents: int) -> tuple[int, float]:
    """``(min_df, max_df)`` for a corpus of ``n_documents`` (see the module docstring)."""
    if n_documents < 10:
        return 1, 1.0
    if n_documents < 2000:
        return 2, 0.9
    return max(2, math.ceil(0.0005 * n_documents)), 0.5


def _identity(doc: list[str]) -> list[str]:
    return doc


@dataclass(frozen=True)
class Vectorized:
    """TF-IDF matrices over one vocabulary.

    Attributes
    ----------
    fit : DocumentTermMatrix
        The documents models are fitted on (sections or articles, by ``unit``).
    sections : DocumentTermMatrix
        One row per section with kept terms.
    articles : DocumentTermMatrix
        One row per article with kept terms.
    unit : str
        'section' or 'article'.
    """

    fit: DocumentTermMatrix
    sections: DocumentTermMatrix
    articles: DocumentTermMatrix
    unit: str


def _documents(tokens: pd.DataFrame, sections: pd.DataFrame, unit: str):
    content = tokens[tokens["is_content"] & (tokens["pos_detail"] != "数詞")]
    if unit == "article":
        article_of = sections.set_index("section_id")["article_id"]
        keys = content["section_id"].map(article_of)
        order = list(dict.fromkeys(sections["article_id"]))
    else:
        keys = content["section_id"]
        order = list(sections["section_id"])
    grouped = content["term"].groupby(keys.to_numpy(), sort=False).apply(list)
    ids = [key for key in order if key in grouped.index]
    return ids, [grouped[key] for key in ids]


def _matrix(vectorizer, ids, docs) -> DocumentTermMatrix:
    matrix = vectorizer.transform(docs) if docs else sp.csr_matrix((0, len(
        vectorizer.vocabulary_)))
    keep = np.asarray(matrix.sum(axis=1)).ravel() > 0
    return DocumentTermMatrix(sp.csr_matrix(matrix[keep]), np.asarray(ids, dtype=object)[keep],
                              vectorizer.get_feature_names_out().astype(object))


def vectorize(
    tokens: pd.DataFrame, sections: pd.DataFrame, unit: str = "section",
    min_df: float | None = None, max_df: float | None = None,
) -> Vectorized:
    """TF-IDF over the content terms, fitted on ``unit`` documents.

    Parameters
    ----------
    tokens : DataFrame
        The ``tokens`` table (section_id, term, pos_detail, is_content).
    sections : DataFrame
        The ``sections`` table (section_id, article_id); its order fixes the row order.
    unit : {'section', 'article'}
        What one document is.
    min_df, max_df : float or None
        Document-frequency bounds as in scikit-learn (an int-valued ``min_df`` >= 1 counts
        documents, a fraction is a share); None adapts them to the corpus size (see the module
        docstring).

    Returns
    -------
    Vectorized
    """
    empty = DocumentTermMatrix(sp.csr_matrix((0, 0)), np.array([], dtype=object),
                               np.array([], dtype=object))
    ids, docs = _documents(tokens, sections, unit)
    if not docs:
        return Vectorized(empty, empty, empty, unit)
    auto_min, auto_max = document_frequency_bounds(len(docs))
    chosen_min = auto_min if min_df is None else (int(min_df) if min_df >= 1 else min_df)
    chosen_max = auto_max if max_df is None else max_df
    for attempt_min_df, attempt_max_df in ((chosen_min, chosen_max), (1, 1.0)):
        vectorizer = TfidfVectorizer(
            analyzer=_identity, min_df=attempt_min_df, max_df=attempt_max_df,
            sublinear_tf=True, norm="l2", dtype=np.float64,
        )
        try:
            vectorizer.fit(docs)
            break
        except ValueError:  # the bounds pruned every term of a tiny corpus
            continue
    fit = _matrix(vectorizer, ids, docs)
    other_unit = "article" if unit == "section" else "section"
    other = _matrix(vectorizer, *_documents(tokens, sections, other_unit))
    if unit == "section":
        return Vectorized(fit, fit, other, unit)
    return Vectorized(fit, other, fit, unit)
