from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.vectorize import (
    document_frequency_bounds,
    merge_counts,
    sorted_codes,
    term_counts,
    vectorize,
)


def make_tables(docs: dict[str, list[tuple[str, str]]]):
    rows = []
    for sid, terms in docs.items():
        for pos, (term, detail) in enumerate(terms):
            rows.append({"section_id": sid, "position": pos, "term": term,
                         "pos_detail": detail, "is_content": True})
    return pd.DataFrame(rows), pd.DataFrame({
        "section_id": list(docs), "article_id": [sid.split("#")[0] for sid in docs]})


@pytest.mark.parametrize(
    ("n", "expected"), [(5, (1, 1.0)), (24, (2, 0.9)), (7367, (4, 0.5)), (50_000, (25, 0.5))]
)
def test_document_frequency_bounds_adapt_to_size(n, expected):
    assert document_frequency_bounds(n) == expected


def test_rows_are_l2_normalised_and_numbers_left_out():
    tokens, sections = make_tables({
        "a#0": [("関税", "普通名詞"), ("関税", "普通名詞"), ("2025年", "数詞")],
        "a#1": [("同盟", "普通名詞"), ("関税", "普通名詞")],
        "a#2": [("2025年", "数詞")],
    })
    dtm = vectorize(tokens, sections).fit
    assert list(dtm.doc_ids) == ["a#0", "a#1"]  # a#2 has only a number
    assert "2025年" not in set(dtm.terms)
    norms = np.sqrt(np.asarray(dtm.matrix.multiply(dtm.matrix).sum(axis=1)).ravel())
    np.testing.assert_allclose(norms, 1.0)


def test_empty_input_gives_an_empty_matrix():
    tokens, sections = make_tables({})
    tokens = pd.DataFrame(columns=["section_id", "term", "pos_detail", "is_content"])
    vectorized = vectorize(tokens.astype({"is_content": bool}), sections)
    assert vectorized.fit.n_documents == 0


def test_article_unit_shares_the_vocabulary_with_sections():
    tokens, sections = make_tables({
        "a#0": [("関税", "普通名詞"), ("同盟", "普通名詞")],
        "a#1": [("関税", "普通名詞")],
        "b#0": [("基地", "普通名詞"), ("同盟", "普通名詞")],
    })
    vectorized = vectorize(tokens, sections, unit="article", min_df=1, max_df=1.0)
    assert list(vectorized.fit.doc_ids) == ["a", "b"]
    assert list(vectorized.sections.doc_ids) == ["a#0", "a#1", "b#0"]
    assert list(vectorized.fit.terms) == list(vectorized.sections.terms)
    assert vectorized.articles is vectorized.fit


def test_merged_part_counts_equal_the_counts_of_the_whole():
    # Terms shared between parts, terms of one part only, mixed scripts (code point order
    # must match a plain sort) and a part whose sections have no content term.
    docs = {
        "a#0": [("関税", "普通名詞"), ("ｘ", "普通名詞"), ("関税", "普通名詞")],
        "a#1": [("同盟", "普通名詞"), ("Alliance", "普通名詞")],
        "b#0": [("関税", "普通名詞"), ("𠮷野家", "固有名詞"), ("あ", "普通名詞")],
        "c#0": [("2025年", "数詞")],
        "d#0": [("同盟", "普通名詞"), ("alliance", "普通名詞"), ("関税", "普通名詞")],
    }
    tokens, sections = make_tables(docs)
    whole = term_counts(tokens, sections)
    parts = []
    for ids in (["a#0", "a#1"], ["b#0"], ["c#0"], ["d#0"]):
        part_sections = sections[sections["section_id"].isin(ids)]
        parts.append(term_counts(tokens[tokens["section_id"].isin(ids)], part_sections))
    merged = merge_counts(parts)
    assert list(merged.terms) == sorted(set(whole.terms)) == list(whole.terms)
    assert list(merged.doc_ids) == list(whole.doc_ids)
    assert (merged.matrix != whole.matrix).nnz == 0
    assert merged.matrix.has_sorted_indices


@given(st.lists(st.text(alphabet="aAｚ日米𠮷ー ", max_size=4), max_size=30))
def test_sorted_codes_are_a_sorted_factorisation(values):
    codes, uniques = sorted_codes(np.array(values, dtype=object))
    expected_codes, expected_uniques = pd.factorize(pd.Series(values, dtype=object), sort=True)
    assert codes.tolist() == expected_codes.tolist()
    assert uniques.tolist() == list(expected_uniques)
