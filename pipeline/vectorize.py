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
from numbers import Integral

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfTransformer


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


@dataclass(frozen=True)
class TermWeights:
    """The fitted weighting: the modelled vocabulary and its IDF.

    Attributes
    ----------
    terms : ndarray of shape (n_terms,)
        The kept terms, sorted.
    idf : ndarray of shape (n_terms,)
        Smoothed IDF of each term (scikit-learn's ``TfidfTransformer.idf_``).
    """

    terms: np.ndarray
    idf: np.ndarray

    def weigh(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """TF-IDF rows of raw counts over :attr:`terms`: ``(1 + ln tf) * idf``, L2-normalised
        (the operations of ``TfidfTransformer(sublinear_tf=True).transform``)."""
        from sklearn.preprocessing import normalize

        X = sp.csr_matrix(counts, dtype=np.float64, copy=True)
        # Canonical (sorted, summed) rows: later steps sort in place, and sorting a matrix
        # that shares its index arrays with another (a dtype copy does) corrupts that one.
        X.sum_duplicates()
        np.log(X.data, X.data)
        X.data += 1.0
        X.data *= self.idf[X.indices]
        return sp.csr_matrix(normalize(X, norm="l2", copy=False))


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
    weights : TermWeights or None
        The weighting, to apply to new documents (None for an empty corpus).
    """

    fit: DocumentTermMatrix
    sections: DocumentTermMatrix
    articles: DocumentTermMatrix
    unit: str
    weights: TermWeights | None = None


def sorted_codes(values) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(values, sort=True)`` for strings, hashed and sorted in Arrow (UTF-8 byte
    order is code point order, so the order is Python's).

    Returns
    -------
    codes : ndarray of shape (n_values,), int64
        Each value's index into ``uniques``.
    uniques : ndarray of shape (n_distinct,), object
        The distinct values, sorted.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    array = pa.array(values, pa.large_string())
    if isinstance(array, pa.ChunkedArray):  # what an Arrow-backed column (even empty) gives
        array = array.combine_chunks()
    encoded = pc.dictionary_encode(array)
    order = pc.sort_indices(encoded.dictionary).to_numpy()
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    uniques = encoded.dictionary.take(pa.array(order)).to_numpy(zero_copy_only=False)
    return rank[encoded.indices.to_numpy()], np.asarray(uniques, dtype=object)


def _positions(values: pd.Series, unique: pd.Series) -> np.ndarray:
    """Index of each of ``values`` in ``unique`` (every value must be there), looked up in
    Arrow: a pandas Index hashes each string in Python's way, several times slower."""
    import pyarrow as pa
    import pyarrow.compute as pc

    found = pc.index_in(pa.array(values, pa.large_string()),
                        value_set=pa.array(unique, pa.large_string()))
    if found.null_count:
        raise KeyError(f"{values[found.is_null().to_numpy(zero_copy_only=False)].iloc[0]!r}")
    return found.to_numpy().astype(np.int64)


def term_counts(tokens: pd.DataFrame, sections: pd.DataFrame) -> DocumentTermMatrix:
    """Raw counts of each section's content terms (numbers left out), over the sorted
    vocabulary of these tokens.

    Parameters
    ----------
    tokens : DataFrame
        The ``tokens`` table (section_id, term, pos_detail, is_content).
    sections : DataFrame
        The ``sections`` table; its order fixes the row order.

    Returns
    -------
    DocumentTermMatrix
        Counts of shape (n_sections_with_terms, n_terms), int64.
    """
    # Only the two columns needed are filtered (the token table has ten).
    content = tokens[["section_id", "term"]][
        tokens["is_content"] & (tokens["pos_detail"] != "数詞")]
    rows = _positions(content["section_id"], sections["section_id"])
    columns, terms = sorted_codes(content["term"])
    matrix = sp.csr_matrix((np.ones(len(rows), np.int64), (rows, columns)),
                           shape=(len(sections), len(terms)))
    matrix.sum_duplicates()
    keep = np.diff(matrix.indptr) > 0
    ids = sections["section_id"].to_numpy(dtype=object)[keep]
    return DocumentTermMatrix(sp.csr_matrix(matrix[keep]), ids, np.asarray(terms, dtype=object))


def merge_counts(parts: list[DocumentTermMatrix]) -> DocumentTermMatrix:
    """Stack count matrices of disjoint documents onto the sorted union of their vocabularies
    (how per-chunk counts from worker processes become one matrix)."""
    if not parts:
        return DocumentTermMatrix(sp.csr_matrix((0, 0), dtype=np.int64),
                                  np.array([], dtype=object), np.array([], dtype=object))
    # One sorted factorisation over every part's terms, as term_counts does within a part.
    columns, vocabulary = sorted_codes(np.concatenate([p.terms for p in parts]))
    bounds = np.cumsum([len(p.terms) for p in parts])[:-1]
    blocks = []
    for part, remap in zip(parts, np.split(columns, bounds), strict=True):
        m = part.matrix.tocsr()
        blocks.append(sp.csr_matrix((m.data, remap[m.indices], m.indptr),
                                    shape=(m.shape[0], len(vocabulary))))
    return DocumentTermMatrix(sp.csr_matrix(sp.vstack(blocks, format="csr")),
                              np.concatenate([p.doc_ids for p in parts]), vocabulary)


def _limits(min_df: float, max_df: float, n_documents: int) -> tuple[float, float]:
    # scikit-learn's reading: an int counts documents, a float is a share of them.
    low = min_df if isinstance(min_df, Integral) else min_df * n_documents
    high = max_df if isinstance(max_df, Integral) else max_df * n_documents
    return low, high


def _select(matrix: sp.csr_matrix, ids: np.ndarray, weights: TermWeights) -> DocumentTermMatrix:
    weighted = weights.weigh(matrix)
    keep = np.diff(weighted.indptr) > 0
    return DocumentTermMatrix(sp.csr_matrix(weighted[keep]), ids[keep], weights.terms)


def _units(counts: DocumentTermMatrix, sections: pd.DataFrame) -> dict[str, tuple]:
    """Count matrices and row ids of the two kinds of document: sections and articles (the
    sums of their sections' counts)."""
    article_of = sections.set_index("section_id")["article_id"]
    section_articles = article_of.loc[counts.doc_ids].to_numpy(dtype=object)
    codes, article_ids = pd.factorize(section_articles)
    indicator = sp.csr_matrix((np.ones(len(codes)), (codes, np.arange(len(codes)))),
                              shape=(len(article_ids), len(codes)))
    by_article = sp.csr_matrix(indicator @ counts.matrix)
    return {"section": (counts.matrix.tocsr(), counts.doc_ids),
            "article": (by_article, np.asarray(article_ids, dtype=object))}


def _empty_matrix() -> DocumentTermMatrix:
    return DocumentTermMatrix(sp.csr_matrix((0, 0)), np.array([], dtype=object),
                              np.array([], dtype=object))


def apply_weights(counts: DocumentTermMatrix, sections: pd.DataFrame, weights: TermWeights,
                  unit: str = "section") -> Vectorized:
    """TF-IDF of new documents with a fitted weighting (terms outside its vocabulary are
    left out): what :func:`vectorize_counts` gives the documents it was fitted on.

    Parameters
    ----------
    counts : DocumentTermMatrix
        Raw counts of the new sections, from :func:`term_counts` or :func:`merge_counts`.
    sections : DataFrame
        The new ``sections`` table (section_id, article_id).
    weights : TermWeights
    unit : {'section', 'article'}
    """
    if counts.n_documents == 0:
        empty = _empty_matrix()
        return Vectorized(empty, empty, empty, unit, weights)
    position = pd.Index(weights.terms).get_indexer(counts.terms)
    known = position >= 0
    m = counts.matrix.tocsr()[:, np.flatnonzero(known)].tocsc().tocsr()
    remapped = sp.csr_matrix((m.data, position[known][m.indices], m.indptr),
                             shape=(m.shape[0], len(weights.terms)))
    remapped.sort_indices()
    on_vocabulary = DocumentTermMatrix(remapped, counts.doc_ids, weights.terms)
    tables = {name: _select(matrix, ids, weights)
              for name, (matrix, ids) in _units(on_vocabulary, sections).items()}
    return Vectorized(tables[unit], tables["section"], tables["article"], unit, weights)


def vectorize_counts(
    counts: DocumentTermMatrix, sections: pd.DataFrame, unit: str = "section",
    min_df: float | None = None, max_df: float | None = None,
) -> Vectorized:
    """TF-IDF from per-section term counts, fitted on ``unit`` documents.

    Parameters
    ----------
    counts : DocumentTermMatrix
        Counts of shape (n_sections_with_terms, n_terms), from :func:`term_counts` or
        :func:`merge_counts`, rows in ``sections`` order.
    sections : DataFrame
        The ``sections`` table (section_id, article_id).
    unit, min_df, max_df
        As in :func:`vectorize`.

    Returns
    -------
    Vectorized
    """
    if counts.n_documents == 0:
        empty = _empty_matrix()
        return Vectorized(empty, empty, empty, unit)
    units = _units(counts, sections)
    fit_matrix, _fit_ids = units[unit]
    n_docs = fit_matrix.shape[0]
    document_frequency = np.diff(fit_matrix.tocsc().indptr)
    auto_min, auto_max = document_frequency_bounds(n_docs)
    chosen_min = auto_min if min_df is None else (int(min_df) if min_df >= 1 else min_df)
    chosen_max = auto_max if max_df is None else max_df
    keep_terms = np.zeros(len(counts.terms), dtype=bool)
    for attempt_min, attempt_max in ((chosen_min, chosen_max), (1, 1.0)):
        low, high = _limits(attempt_min, attempt_max, n_docs)
        keep_terms = (document_frequency >= low) & (document_frequency <= high)
        if high >= low and keep_terms.any():
            break  # otherwise the bounds pruned every term of a tiny corpus
    transformer = TfidfTransformer(norm="l2", sublinear_tf=True)
    transformer.fit(fit_matrix[:, keep_terms].astype(np.float64))
    weights = TermWeights(counts.terms[keep_terms], transformer.idf_.astype(np.float64))
    tables = {name: _select(m[:, keep_terms], ids, weights) for name, (m, ids) in units.items()}
    return Vectorized(tables[unit], tables["section"], tables["article"], unit, weights)


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
    return vectorize_counts(term_counts(tokens, sections), sections, unit, min_df, max_df)
