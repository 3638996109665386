from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from pipeline._parallel import ProcessExecutor
from pipeline.topics import FIT_DTYPE, TopicModel, default_n_topics, topic_tables
from pipeline.vectorize import DocumentTermMatrix


def planted_corpus(n_topics=3, docs_per_topic=10, terms_per_topic=8, seed=0):
    rng = np.random.default_rng(seed)
    n_terms = n_topics * terms_per_topic
    rows = []
    for k in range(n_topics):
        for _ in range(docs_per_topic):
            row = np.zeros(n_terms)
            block = slice(k * terms_per_topic, (k + 1) * terms_per_topic)
            row[block] = rng.uniform(0.5, 1.0, terms_per_topic)
            row += rng.uniform(0, 0.05, n_terms)
            rows.append(row / np.linalg.norm(row))
    terms = np.array([f"t{k}_{j}" for k in range(n_topics) for j in range(terms_per_topic)],
                     dtype=object)
    ids = np.array([f"d{i}" for i in range(len(rows))], dtype=object)
    return DocumentTermMatrix(sp.csr_matrix(np.array(rows)), ids, terms)


@pytest.mark.parametrize(("n", "k"), [(1, 1), (3, 2), (24, 5), (10_000, 30)])
def test_default_number_of_topics(n, k):
    assert default_n_topics(n) == k


def test_planted_topics_are_recovered():
    dtm = planted_corpus()
    fitted = topic_tables(dtm, n_topics=3, random_state=0)
    topics, section_topics = fitted.topics, fitted.section_topics
    for k in range(3):
        top = topics[topics["topic_id"] == k].head(8)["term"].str.split("_").str[0]
        assert top.nunique() == 1  # every top term of a topic comes from one planted block
    dominant = section_topics.loc[section_topics.groupby("section_id")["weight"].idxmax()]
    first_block = [f"d{i}" for i in range(10)]
    assert dominant.set_index("section_id").loc[first_block, "topic_id"].nunique() == 1


def test_weights_sum_to_one():
    dtm = planted_corpus()
    model = TopicModel(3, random_state=0)
    model.fit(dtm.matrix)
    np.testing.assert_allclose(model.components_.sum(axis=1), 1.0)
    fitted = topic_tables(dtm, n_topics=3)
    summary, section_topics = fitted.topic_summary, fitted.section_topics
    np.testing.assert_allclose(section_topics.groupby("section_id")["weight"].sum(), 1.0,
                               atol=1e-5)
    assert abs(summary["share"].sum() - 1.0) < 1e-5
    assert (section_topics["weight"] > 0).all()


def test_solver_runs_in_single_precision_and_results_come_back_as_double():
    dtm = planted_corpus()
    model = TopicModel(3, random_state=0)
    W = model.fit_transform(dtm.matrix)
    assert model._nmf.components_.dtype == FIT_DTYPE == np.float32
    assert W.dtype == model.components_.dtype == model.transform(dtm.matrix).dtype == np.float64
    # A double-precision fit of the same matrix agrees to a relative 1e-4 (on Livedoor the
    # tables differed in their last rounded digit at most).
    double = TopicModel(3, random_state=0)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("pipeline.topics.FIT_DTYPE", np.float64)
        W_double = double.fit_transform(dtm.matrix)
    assert double._nmf.components_.dtype == np.float64
    np.testing.assert_allclose(W, W_double, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(model.components_, double.components_, rtol=1e-4, atol=1e-6)



def test_topic_models_start_from_scikit_learns_nndsvd():
    from sklearn.decomposition import NMF

    X = planted_corpus().matrix.astype(FIT_DTYPE)
    for init in ("nndsvda", "nndsvdar"):
        model = TopicModel(3, random_state=2, init=init)
        W = model.fit_transform(X)
        expected = NMF(3, init=init, random_state=2, tol=1e-4, max_iter=500).fit_transform(X)
        np.testing.assert_array_equal(W, expected.astype(np.float64))


def test_above_the_minibatch_size_topic_models_use_minibatch_nmf_guided_models_do_not(
        monkeypatch):
    from sklearn.decomposition import NMF, MiniBatchNMF

    from pipeline.topics import GuidedTopicModel

    monkeypatch.setattr("pipeline.topics.MINIBATCH_DOCUMENTS", 10)
    X = planted_corpus().matrix
    model = TopicModel(3, random_state=0)
    W = model.fit_transform(X)
    assert type(model._nmf) is MiniBatchNMF and model._nmf.init == "nndsvda"
    assert W.shape == (30, 3) and (W >= 0).all()
    guided = GuidedTopicModel(np.eye(3, X.shape[1]), n_free=1, random_state=0)
    guided.fit_transform(X)
    assert type(guided._nmf) is NMF

def test_table_columns():
    fitted = topic_tables(planted_corpus(), n_topics=3, top_terms=4)
    topics, summary, section_topics = (fitted.topics, fitted.topic_summary,
                                       fitted.section_topics)
    assert list(topics.columns) == ["topic_id", "rank", "term", "weight", "relevance"]
    assert list(summary.columns) == ["topic_id", "label", "share", "coherence", "stability",
                                     "status"]
    assert list(section_topics.columns) == ["section_id", "topic_id", "weight"]
    assert list(fitted.topic_sections.columns) == ["topic_id", "rank", "section_id", "weight"]
    assert topics.groupby("topic_id")["rank"].apply(list).tolist() == [[1, 2, 3, 4]] * 3
    assert summary["label"].str.count("・").eq(2).all()


def test_same_seed_same_tables_and_topics_clamped_to_documents():
    dtm = planted_corpus(docs_per_topic=2)
    first = topic_tables(dtm, n_topics=50, random_state=7)
    second = topic_tables(dtm, n_topics=50, random_state=7)
    for name in ("topics", "topic_summary", "section_topics"):
        assert getattr(first, name).equals(getattr(second, name))
    assert first.topic_summary["topic_id"].tolist() == list(range(6))  # 6 documents


def test_best_match_jaccard_and_npmi():
    from pipeline.topics import best_match_jaccard, npmi_coherence

    reference = [np.array([0, 1, 2, 3]), np.array([4, 5, 6, 7])]
    other = [np.array([4, 5, 6, 9]), np.array([0, 1, 2, 3])]
    np.testing.assert_allclose(best_match_jaccard(reference, other), [1.0, 3 / 5])
    # terms 0 and 1 always together, term 2 never with them
    binary = sp.csr_matrix(np.array([[1, 1, 0], [1, 1, 0], [0, 0, 1], [0, 0, 1]], float))
    np.testing.assert_allclose(npmi_coherence(binary, [np.array([0, 1]),
                                                        np.array([0, 2])]), [1.0, -1.0])


@pytest.mark.parametrize("planted", [3, 5])
def test_auto_k_recovers_the_planted_number_of_topics(planted):
    dtm = planted_corpus(n_topics=planted, docs_per_topic=12, terms_per_topic=10, seed=1)
    fitted = topic_tables(dtm, n_topics="auto", random_state=0, k_values=list(range(2, 9)))
    table = fitted.k_selection
    assert list(table.columns) == ["k", "coherence", "stability", "reconstruction_error",
                                   "score", "chosen"]
    assert table.loc[table["chosen"], "k"].tolist() == [planted]
    assert fitted.n_topics == planted
    assert table["reconstruction_error"].is_monotonic_decreasing


def test_topic_trends_by_month():
    dtm = planted_corpus(n_topics=2, docs_per_topic=2)
    sections = pd.DataFrame({"section_id": [f"d{i}" for i in range(4)],
                             "published": ["2025-02-08", "2025-02-20", "2025-03-01", ""]})
    trends = topic_tables(dtm, sections, n_topics=2).topic_trends
    assert list(trends.columns) == ["topic_id", "period", "weight"]
    assert sorted(set(trends["period"])) == ["2025-02", "2025-03"]
    np.testing.assert_allclose(trends.groupby("period")["weight"].sum(), 1.0, atol=1e-5)


def test_fits_in_worker_processes_give_the_same_tables():
    dtm = planted_corpus(n_topics=4, docs_per_topic=12, terms_per_topic=10, seed=3)
    here = topic_tables(dtm, n_topics="auto", random_state=5, k_values=[2, 3, 4, 5])
    with ProcessExecutor(2) as executor:
        pooled = topic_tables(dtm, n_topics="auto", random_state=5, k_values=[2, 3, 4, 5],
                              executor=executor)
    for name in ("topics", "topic_summary", "section_topics", "k_selection"):
        pd.testing.assert_frame_equal(getattr(pooled, name), getattr(here, name))


def test_relevance_prefers_distinctive_terms_to_frequent_ones():
    from pipeline.topics import RELEVANCE_LAMBDA, term_relevance

    # term 0 is everywhere (frequent in both topics), term 1 only in topic 0, term 2 rare
    H = np.array([[0.5, 0.4, 0.1, 0.0], [0.5, 0.0, 0.0, 0.5]])
    X = sp.csr_matrix(np.array([[5.0, 1.0, 0.1, 0.0], [5.0, 0.0, 0.0, 1.0]]))
    relevance = term_relevance(H, X)
    p = np.asarray(X.sum(axis=0)).ravel() / X.sum()
    expected = RELEVANCE_LAMBDA * np.log(0.4) + (1 - RELEVANCE_LAMBDA) * np.log(0.4 / p[1])
    np.testing.assert_allclose(relevance[0, 1], expected)
    assert relevance[0, 1] > relevance[0, 0]  # distinctive beats merely frequent
    assert np.isneginf(relevance[0, 3])  # no weight, no relevance
    assert np.argmax(relevance[1]) == 3


def test_topic_sections_are_the_strongest_sections_of_each_topic():
    dtm = planted_corpus()
    fitted = topic_tables(dtm, n_topics=3, random_state=0)
    sections = fitted.topic_sections
    assert sections.groupby("topic_id")["rank"].apply(list).tolist() == [
        list(range(1, 11))] * 3
    # each topic's representative sections are the ten documents planted on it
    for _topic, group in sections.groupby("topic_id"):
        blocks = {int(s[1:]) // 10 for s in group["section_id"]}
        assert len(blocks) == 1
    # weights are those of section_topics, in descending order
    merged = sections.merge(fitted.section_topics, on=["section_id", "topic_id"],
                            suffixes=("", "_st"))
    assert len(merged) == len(sections) and (merged["weight"] == merged["weight_st"]).all()
    assert (sections.groupby("topic_id")["weight"].diff().dropna() <= 0).all()


def test_coarse_grid_spreads_geometrically_with_both_ends():
    from pipeline.topics import coarse_grid

    assert coarse_grid(list(range(2, 31)), 7) == [2, 3, 5, 8, 12, 19, 30]
    assert coarse_grid([2, 3, 4], 7) == [2, 3, 4]


def test_coarse_to_fine_k_search_finds_the_planted_k_in_a_wide_range():
    from pipeline.topics import coarse_grid, default_k_range

    for n_topics, terms, seed in ((6, 12, 1), (7, 16, 1), (10, 16, 0)):
        dtm = planted_corpus(n_topics=n_topics, docs_per_topic=20, terms_per_topic=terms,
                             seed=seed)
        k_values = default_k_range(dtm.n_documents)
        assert k_values == list(range(2, 31)) and n_topics not in coarse_grid(k_values, 7)
        lines = []
        fitted = topic_tables(dtm, n_topics="auto", random_state=0, progress=lines.append)
        assert fitted.n_topics == n_topics
        tried = fitted.k_selection["k"].tolist()
        # the coarse values, then the neighbours of the best of them; not every k
        assert set(coarse_grid(k_values, 7)) <= set(tried) and len(tried) <= 11
        assert [line.split(":")[0] for line in lines[:len(tried)]] == [
            f"k = {k}" for k in coarse_grid(k_values, 7)] + [
            f"k = {k}" for k in sorted(set(tried) - set(coarse_grid(k_values, 7)))]
        assert lines[-1].startswith(f"fitting {n_topics} topics on {dtm.n_documents} documents")


def test_too_many_topics_are_clamped_to_what_the_documents_support():
    from pipeline.topics import fitted_n_topics

    assert fitted_n_topics(1000, (7367, 27000)) == 736  # one topic per 10 documents
    assert fitted_n_topics(25, (40, 500)) == 25  # up to 30, the documents alone bound it
    assert fitted_n_topics(50, (6, 500)) == 6


URL_PIECES = {"http", "https", "www", "com", "jp", "co", "ne", "html", "htm", "php", "net",
              "org", "livedoor", "news"}
PRIZE_WORDS = ("応募", "当選", "賞品", "プレゼント", "発送", "締切", "キャンペーン", "名様", "抽選")


def test_livedoor_topics_hold_no_url_pieces_or_prize_notices(livedoor_sample, tmp_path):
    from pipeline import Config, run

    sample = livedoor_sample(80)
    for name, data in sample:
        (tmp_path / name).write_bytes(data)
    result = run(Config(inputs=(str(tmp_path),), unit="article", n_topics=12, cache=None))
    top = result.topics[result.topics["rank"] <= 10]
    assert not set(top["term"].str.lower()) & URL_PIECES
    assert not top["term"].str.contains("|".join(PRIZE_WORDS)).any(), top.to_string()
    # the pieces of addresses are not content at all, wherever they stand in a URL
    tokens = result.tokens
    in_url = tokens[tokens["term"].str.lower().isin({"http", "https"})]
    assert len(in_url) > 0 and not in_url["is_content"].any()
    # prize notices are boilerplate lines, left out of every analysed text
    notices = result.boilerplate[result.boilerplate["text"].str.contains("応募期間|賞品")]
    assert len(notices) > 0
    # katakana loanwords MeCab splits are one term
    assert "スマートフォン" in set(tokens["term"]) and "フォン" not in set(
        tokens.loc[tokens["is_content"], "term"])
    # site furniture (title labels and lines repeated across the corpus) is no topic term
    from pipeline.furniture import census, furniture

    found = furniture(census(data.decode("utf-8") for _name, data in sample))
    assert "【Sports Watch】" in found.labels and len(found.lines) >= 5
    # the outlet's name starts the 80 sports titles (【Sports Watch】…)
    sports = tokens[tokens["section_id"].str.startswith("sports-watch")]
    assert len(sports) and not sports["term"].isin(["Watch", "Sports Watch"]).any()
