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


def vectorize(tokens: pd.DataFrame, sections: pd.DataFrame) -> DocumentTermMatrix:
    """Build the TF-IDF matrix over content terms of each section.

    Parameters
    ----------
    tokens : DataFrame
        The ``tokens`` table (section_id, term, pos_detail, is_content).
    sections : DataFrame
        The ``sections`` table; its order fixes the row order.

    Returns
    -------
    DocumentTermMatrix
        Rows only for sections with at least one kept term; may have zero rows.
    """
    content = tokens[tokens["is_content"] & (tokens["pos_detail"] != "数詞")]
    by_section = content.groupby("section_id", sort=False)["term"].apply(list)
    doc_ids = [sid for sid in sections["section_id"] if sid in by_section.index]
    docs = [by_section[sid] for sid in doc_ids]
    if not docs:
        return DocumentTermMatrix(sp.csr_matrix((0, 0)), np.array([], dtype=object),
                                  np.array([], dtype=object))
    min_df, max_df = document_frequency_bounds(len(docs))
    for attempt_min_df, attempt_max_df in ((min_df, max_df), (1, 1.0)):
        vectorizer = TfidfVectorizer(
            analyzer=_identity, min_df=attempt_min_df, max_df=attempt_max_df,
            sublinear_tf=True, norm="l2", dtype=np.float64,
        )
        try:
            matrix = vectorizer.fit_transform(docs)
            break
        except ValueError:  # the bounds pruned every term of a tiny corpus
            continue
    else:  # pragma: no cover - min_df=1, max_df=1.0 keeps every term
        raise AssertionError("unreachable")
    keep = np.asarray(matrix.sum(axis=1)).ravel() > 0
    return DocumentTermMatrix(
        matrix=sp.csr_matrix(matrix[keep]),
        doc_ids=np.asarray(doc_ids, dtype=object)[keep],
        terms=vectorizer.get_feature_names_out().astype(object),
    )
