from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from pipeline.config import DEFAULT_THEMES
from pipeline.errors import TaxonomyError
from pipeline.themes import (
    ScoringOptions,
    ThemeEvidence,
    format_evidence,
    lexical_evidence,
    lexical_score,
    load_taxonomy,
    score_themes,
    section_evidence,
)

THEME_IDS = [
    "tariffs", "defence_spending", "senkaku", "sofa", "host_nation_support", "investment",
    "energy", "technology", "nippon_steel", "china", "north_korea", "alliance", "us_bases",
    "space_cyber", "middle_east", "indo_pacific",
]
ENTITY_THEMES = ("china", "north_korea", "middle_east", "indo_pacific")


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy(DEFAULT_THEMES)


def boundaries(tokenizer, text):
    bounds = set()
    for _surface, _t, _p, _d, start, _e, _c, parts in tokenizer.tokens(text):
        pos = start
        bounds.add(pos)
        for part in parts.split("|"):
            pos += len(part)
            bounds.add(pos)
    return bounds


def evidence(tokenizer, taxonomy, text):
    return section_evidence(text, boundaries(tokenizer, text), taxonomy)


def score(tokenizer, taxonomy, text, theme):
    found = evidence(tokenizer, taxonomy, text).get(theme)
    return 0.0 if found is None else lexical_score(found)


# --- the taxonomy --------------------------------------------------------------------------

def test_shipped_taxonomy_has_the_sixteen_themes_with_issue_and_context_terms(taxonomy):
    assert [t.id for t in taxonomy] == THEME_IDS
    for theme in taxonomy:
        assert theme.label_ja and theme.label_en and theme.issue_terms
        if theme.context_terms:
            assert theme.with_words
    context = {t.display for theme in taxonomy for t in theme.context_terms}
    # names of countries, places and leaders, and generic words, only corroborate
    assert {"中国", "韓国", "北朝鮮", "イラン", "シリア", "沖縄", "金正恩", "電力", "工場",
            "買収", "関税", "原発", "サイバー"} <= context
    assert {v.id for v in taxonomy.vetoes} >= {"sport_entertainment", "history"}


def test_context_terms_need_issue_words_and_vocabularies_must_exist(tmp_path):
    base = '[[theme]]\nid = "x"\nlabel_ja = "x"\nlabel_en = "x"\n[theme.context]\n"中国" = 1.0\n'
    with pytest.raises(TaxonomyError, match="context terms need a 'with' list"):
        load_taxonomy(write_toml(tmp_path, base))
    with pytest.raises(TaxonomyError, match="unknown vocabulary '@nope'"):
        load_taxonomy(write_toml(tmp_path, base.replace('label_en = "x"\n',
                                                        'label_en = "x"\nwith = ["@nope"]\n')))
    with pytest.raises(TaxonomyError, match="'applies_to' must be 'context' or 'all'"):
        load_taxonomy(write_toml(tmp_path, '[[veto]]\nid = "v"\nterms = ["a"]\n'
                                           'applies_to = "some"\n' + base))


# --- evidence ------------------------------------------------------------------------------

def test_a_core_term_alone_tags_and_repetition_saturates(tokenizer, taxonomy):
    found = evidence(tokenizer, taxonomy, "政府は日米地位協定の改定を求めた。")["sofa"]
    assert found.issue == {"日米地位協定": 1}  # not also counted as 地位協定
    once = lexical_score(found)
    assert once == pytest.approx(1 - np.exp(-1))
    thrice = score(tokenizer, taxonomy, "日米地位協定。日米地位協定。日米地位協定。", "sofa")
    assert once < thrice < 1.0


def test_exclude_term_vetoes_weak_evidence_in_its_sentence(tokenizer, taxonomy):
    assert "senkaku" not in evidence(tokenizer, taxonomy,
                                     "竹島をめぐる領土と領有権の問題で、領土交渉が続く。")
    kept = evidence(tokenizer, taxonomy, "尖閣諸島や竹島などの領土問題。")["senkaku"]
    assert kept.issue == {"尖閣諸島": 1}  # a core term survives the veto


def test_terms_match_only_on_token_boundaries(tokenizer, taxonomy):
    assert "middle_east" in evidence(tokenizer, taxonomy, "イランの核開発が進む。")
    assert "middle_east" not in evidence(tokenizer, taxonomy, "ハイランド地方を訪れた。")


def test_evidence_string_format():
    assert format_evidence({"関税": 3, "貿易赤字": 1, "USTR": 1}) == "関税×3; USTR×1; 貿易赤字×1"


def test_full_width_and_case_are_normalised(tokenizer, taxonomy):
    found = evidence(tokenizer, taxonomy, "ＬＮＧの輸入を拡大する。")
    assert found["energy"].issue == {"LNG": 1}


@pytest.mark.parametrize("text,theme", [
    ("韓国人の男がフィリピンで逮捕された。韓国人の男は容疑を認めた。", "indo_pacific"),
    ("イラン出身の監督の作品が話題になった。", "middle_east"),
    ("北朝鮮みたいだと言われた校正者の話。", "north_korea"),
    ("中国から来た観光客が買い物を楽しんだ。", "china"),
    ("節電のため電力の使用を控えよう。", "energy"),
])
def test_an_entity_or_generic_word_alone_never_carries_a_theme(tokenizer, taxonomy, text,
                                                               theme):
    found = evidence(tokenizer, taxonomy, text).get(theme)
    assert found is None or not found.issue
    assert score(tokenizer, taxonomy, text, theme) == 0.0


def test_an_entity_with_issue_vocabulary_in_its_sentence_is_evidence(tokenizer, taxonomy):
    found = evidence(tokenizer, taxonomy, "中国は周辺で軍事力を誇示した。")["china"]
    assert found.pairs == {"中国+軍事": 1} and found.issue == {}  # in one sentence
    assert lexical_score(found) > 0.5
    apart = evidence(tokenizer, taxonomy, "中国の話をした。その後、軍事の話をした。")["china"]
    assert not apart.issue and not apart.pairs and apart.context == {"中国": 1}


@pytest.mark.parametrize("text,theme,context", [
    ("昨日は米軍が到着し、米軍の車両が並んだ。", "us_bases", "米軍"),
    ("東京電力が会見を開いた。", "energy", "電力"),
])
def test_a_context_term_does_not_corroborate_itself(tokenizer, taxonomy, text, theme, context):
    # 米軍 is both a context term and a with-word of us_bases; 電力 is read inside 東京電力
    found = evidence(tokenizer, taxonomy, text)[theme]
    assert not found.pairs and not found.issue and context in found.context
    paired = evidence(tokenizer, taxonomy, "米軍の基地で事故が起きた。")["us_bases"]
    assert paired.pairs  # another with-word in the sentence still pairs


@pytest.mark.parametrize("text", ["中国総合通信局が会議を開き、政府と協議した。",
                                  "中国電力の社長が政府と会談した。",
                                  "中国地方の首脳会談が行われた。"])
def test_an_entity_inside_a_longer_proper_noun_is_no_match(tokenizer, taxonomy, text):
    assert "china" not in evidence(tokenizer, taxonomy, text)


def test_sport_and_history_contexts_veto(tokenizer, taxonomy):
    assert "middle_east" not in evidence(
        tokenizer, taxonomy, "W杯予選のシリア戦で日本代表が攻撃を仕掛け、試合に勝った。")
    assert "tariffs" not in evidence(
        tokenizer, taxonomy, "明治政府は関税自主権の回復を目指し、関税の交渉を続けた。")
    assert "sofa" not in evidence(tokenizer, taxonomy, "幕末の条約は領事裁判権を認めていた。")


def test_a_section_of_history_is_a_history_context_as_a_whole(tokenizer, taxonomy):
    history = ("1858年（安政5年）、幕府は日米修好通商条約を結んだ。"
               "輸入品の関税率は交渉で決められ、税率は5パーセントに引き下げられた。")
    assert "tariffs" not in evidence(tokenizer, taxonomy, history)
    # one history word in a section about today is not enough to veto its other sentences
    today = ("明治以来の伝統がある。米国は日本からの輸入品に対する関税率を引き上げ、"
             "政府は交渉を続けた。")
    assert "tariffs" in evidence(tokenizer, taxonomy, today)
    # a history word inside a longer one is one word: 江戸幕府 is not also 幕府
    aside = ("江戸幕府の時代から明治以来の伝統がある。米国は日本からの輸入品に対する関税率を"
             "引き上げ、政府は交渉を続けた。")
    assert "tariffs" in evidence(tokenizer, taxonomy, aside)


RULE_TOML = """
[[theme]]
id = "burden"
label_ja = "負担"
label_en = "Burden"
[theme.terms]
"思いやり予算" = 1.0
"攻撃@動詞" = 1.0
[[theme.rules]]
all = [["米軍", "在日米軍"], ["経費", "費用"]]
weight = 0.8
[[theme.rules]]
all = [["日本"], ["負担"]]
within = 2
ordered = true
weight = 0.8
"""


def test_co_occurrence_rules_need_every_group_in_one_sentence(tmp_path, tokenizer):
    themes = load_taxonomy(write_toml(tmp_path, RULE_TOML))
    assert evidence(tokenizer, themes, "在日米軍の経費が増えた。")["burden"].issue == {
        "在日米軍+経費": 1}
    assert "burden" not in evidence(tokenizer, themes, "在日米軍が来た。経費が増えた。")


def test_ordered_window_rule(tmp_path, tokenizer):
    themes = load_taxonomy(write_toml(tmp_path, RULE_TOML))
    assert evidence(tokenizer, themes, "日本の負担が重い。")["burden"].issue == {"日本+負担": 1}
    assert "burden" not in evidence(tokenizer, themes, "負担を日本が担う。")
    assert "burden" not in evidence(tokenizer, themes, "日本が長年にわたり担ってきた重い負担。")


def test_part_of_speech_restricted_term(tmp_path, tokenizer):
    themes = load_taxonomy(write_toml(tmp_path, RULE_TOML))
    text = "敵が攻撃を始めた。"
    pos_at = {start: pos for _s, _t, pos, _d, start, _e, _c, _p in tokenizer.tokens(text)}
    assert "burden" not in section_evidence(text, boundaries(tokenizer, text), themes, pos_at)


def test_themes_add_extends_and_appends(tmp_path):
    from pipeline.themes import load_themes

    extra = write_toml(tmp_path, """
[[theme]]
id = "sofa"
label_ja = "x"
label_en = "x"
[theme.terms]
"地位協定" = 0.5
"米軍属" = 0.9
[[theme]]
id = "taiwan"
label_ja = "台湾"
label_en = "Taiwan"
[theme.terms]
"台湾有事" = 1.0
""")
    themes = load_themes(DEFAULT_THEMES, (extra,))
    assert [t.id for t in themes] == [*THEME_IDS, "taiwan"]
    sofa = {t.display: t.weight for t in next(t for t in themes if t.id == "sofa").terms}
    assert sofa["地位協定"] == 0.5 and sofa["米軍属"] == 0.9 and sofa["日米地位協定"] == 1.0
    assert themes.vetoes == load_taxonomy(DEFAULT_THEMES).vetoes


def test_sections_screened_out_get_what_a_full_search_finds(tmp_path, tokenizer, taxonomy):
    from pipeline.tokenize import tokenize

    texts = ["政府は日米地位協定の改定を求めた。", "総額は5000億ドルに上る。",
             "ハイランド地方を訪れた。", "今日は晴れで、ラーメンを食べた。",
             "トランプ大統領は関税を発表した。石破首相は反論した。"]
    starts = [sum(len(t) for t in texts[:i]) for i in range(len(texts))]
    sections = pd.DataFrame({"section_id": [f"a:{i}" for i in range(len(texts))],
                             "char_start": starts, "analysis_text": texts})
    tokens = tokenize(sections, tokenizer)
    found = lexical_evidence(sections, tokens, taxonomy, {"a:4": [(starts[4], starts[4] + 17)]})
    in_full = {f"a:{i}": evidence(tokenizer, taxonomy, t) for i, t in enumerate(texts[:4])}
    assert found == {sid: e for sid, e in in_full.items() if e}
    assert set(found) == {"a:0", "a:1"}  # the excluded sentence held the only evidence


# --- scores --------------------------------------------------------------------------------

def test_density_one_weak_mention_in_a_long_section_stays_below_the_threshold():
    def paired(n_sentences, headline=False):
        return ThemeEvidence(pairs={"中国+軍事": 1}, pair_weights={"中国+軍事": 0.8},
                             pair_mass=0.8, n_sentences=n_sentences, headline=headline)

    weak, short, titled = paired(30), paired(2), paired(30, headline=True)
    assert lexical_score(weak) < 0.25 < 0.5 < lexical_score(short)
    assert lexical_score(titled) == pytest.approx(lexical_score(short))
    assert lexical_score(weak, density=False) == pytest.approx(lexical_score(short))


def test_a_core_term_keeps_most_of_its_weight_in_a_long_summary():
    core = ThemeEvidence(issue={"尖閣諸島": 1}, issue_weights={"尖閣諸島": 1.0},
                         sentence_mass=1.0, n_sentences=25, core=1.0)
    assert lexical_score(core) >= 0.5
    context_only = ThemeEvidence(context={"中国": 5}, context_weights={"中国": 0.8})
    assert lexical_score(context_only) == 0.0


def test_score_themes_tables(tokenizer, taxonomy):
    from pipeline.segment import segment
    from pipeline.tokenize import tokenize

    articles = pd.DataFrame({
        "article_id": ["a", "b"],
        "text": ["日米地位協定の改定\n政府は日米地位協定の見直しを求めた。",
                 "天気の話\n今日は晴れ。"],
        "published": ["", ""],
    })
    sections = segment(articles).sections
    tokens = tokenize(sections, tokenizer)
    section_themes, article_themes, themes = score_themes(sections, tokens, taxonomy)
    assert list(section_themes.columns) == [
        "section_id", "theme_id", "score", "evidence", "method"]
    assert list(article_themes.columns) == ["article_id", "theme_id", "score", "share",
                                            "n_sections"]
    assert list(themes.columns) == ["theme_id", "label_ja", "label_en", "n_sections"]
    assert section_themes["theme_id"].tolist() == ["sofa"]
    # the terms, then what the shipped verifier made of the section (it confirmed it)
    assert re.fullmatch(r"日米地位協定×2; \[verifier (0\.\d\d|1\.00)(: \S+( \S+){0,2})?\]",
                        section_themes["evidence"][0])
    assert section_themes["method"].tolist() == ["lexicon"]
    assert article_themes.to_dict("records") == [
        {"article_id": "a", "theme_id": "sofa", "score": section_themes["score"][0],
         "share": 1.0, "n_sections": 1}
    ]
    assert themes.set_index("theme_id").loc["sofa", "n_sections"] == 1


def test_a_bare_heading_carries_no_theme_its_sub_sections_do(tokenizer, taxonomy):
    from pipeline.segment import segment
    from pipeline.tokenize import tokenize

    text = ("通商白書（抜粋）\n本章は日本と米国の経済関係を扱う。\n\n"
            "第2節　日本企業の対米投資\n\n"
            "1．対米直接投資の動向\n日本企業の対米直接投資は拡大を続け、米国内の工場で雇用を生んだ。\n"
            "日本の対米投資は米国経済に貢献している。\n")
    articles = pd.DataFrame({"article_id": ["w"], "text": [text], "published": [""]})
    sections = segment(articles).sections
    assert sections["heading"].tolist()[1:] == ["第2節　日本企業の対米投資",
                                                "1．対米直接投資の動向"]
    found = lexical_evidence(sections, tokenize(sections, tokenizer), taxonomy)
    assert "w#1" not in found  # the chapter heading alone names the theme, does not discuss it
    assert "investment" in found["w#2"]
    # a section whose repeated heading was blanked as furniture still has its own text
    blanked = sections.copy()
    blanked.loc[2, "analysis_text"] = blanked.loc[2, "analysis_text"].replace(
        "1．対米直接投資の動向", " " * len("1．対米直接投資の動向"))
    assert "investment" in lexical_evidence(blanked, tokenize(blanked, tokenizer),
                                            taxonomy)["w#2"]


def test_an_article_carries_a_theme_of_its_lead_or_of_a_real_share_of_it(taxonomy):
    from pipeline.themes.scoring import article_scores

    sections = pd.DataFrame({
        "section_id": ["a#0", "a#1", "a#2", "b#0", "b#1"], "article_id": list("aaabb"),
        "ordinal": [0, 1, 2, 0, 1], "char_start": [0, 100, 200, 0, 950],
        "char_end": [100, 200, 1000, 950, 1000]})
    tagged = pd.DataFrame({"section_id": ["a#0", "a#1", "b#1"],
                           "theme_id": ["sofa", "china", "china"], "score": [0.8, 0.6, 0.9]})
    table = article_scores(sections, tagged, taxonomy)
    # a: sofa through its lead; china from a section of 10% of the text is not a real part
    # of it; b: china in 5% of the text, not the lead
    assert table.to_dict("records") == [
        {"article_id": "a", "theme_id": "sofa", "score": 0.08, "share": 0.1, "n_sections": 1}]


def test_an_article_carries_the_theme_of_an_item_of_its_own(taxonomy):
    from pipeline.themes.scoring import ITEM_MIN_CHARS, article_scores

    # a roundup of ten stories, one of them (#3) about energy: 8% of the text
    sections = pd.DataFrame({
        "section_id": [f"d#{i}" for i in range(11)], "article_id": ["d"] * 11,
        "ordinal": list(range(11)), "char_start": [150 * i for i in range(11)],
        "char_end": [150 * (i + 1) for i in range(11)]})
    assert ITEM_MIN_CHARS <= 150
    confident = pd.DataFrame({"section_id": ["d#3"], "theme_id": ["energy"], "score": [0.9]})
    assert article_scores(sections, confident, taxonomy).to_dict("records") == [
        {"article_id": "d", "theme_id": "energy", "score": 0.0818, "share": 0.0909,
         "n_sections": 1}]
    # a borderline tag of the same story is not enough on its own
    borderline = confident.assign(score=0.6)
    assert article_scores(sections, borderline, taxonomy).empty


def test_seed_sections_get_the_themes_a_reader_sees(seeds_result):
    expectations = {
        "000_fa22010949faa399#1": {"investment", "energy", "alliance", "nippon_steel"},
        "000_fa22010949faa399#2": {"tariffs", "middle_east"},
        "002_e2682e32605dce2d#2": {"sofa", "us_bases"},
        "003_eed3c3ac50b9ef27#1": {"defence_spending", "alliance", "us_bases",
                                   "host_nation_support"},
        "004_1c6dd6125a21f8f4#5": {"us_bases"},
    }
    tagged = seeds_result.section_themes.groupby("section_id")["theme_id"].apply(set)
    for section_id, expected in expectations.items():
        assert expected <= tagged.get(section_id, set()), section_id


# --- the learned model ---------------------------------------------------------------------

def _planted_corpus():
    rng = np.random.default_rng(0)
    rows = []
    for k in range(90):
        row = rng.uniform(0, 0.05, 10)
        row[[0, 1, 2] if k % 3 == 0 else [5, 6, 7]] += rng.uniform(0.5, 1.0, 3)
        rows.append(row)
    X = sp.csr_matrix(np.array(rows))
    seeds = np.zeros((90, 1), dtype=bool)
    seeds[0:30:3, 0] = True  # the dictionary is sure of 10 of the 30 theme documents
    background = np.zeros(90, dtype=bool)
    background[1::3] = True
    return X, seeds, background


def test_naive_bayes_learns_the_corpus_words_of_a_theme_from_dictionary_seeds():
    from pipeline.themes.learned import SeededNaiveBayes

    X, seeds, background = _planted_corpus()
    model = SeededNaiveBayes().fit(X, seeds, background)
    p = model.predict_proba(X)[:, 0]
    assert (p[30::3] > 0.7).all()  # theme documents it was not told about
    assert (p[2::3] < 0.1).all()
    assert model.top_terms(X[30], 0, [f"w{i}" for i in range(10)])[0] in {"w0", "w1", "w2"}
    assert model.get_params() == {"alpha": 0.5, "min_seeds": 5, "prior": 0.05}
    again = SeededNaiveBayes().fit(X, seeds, background).predict_proba(X)
    np.testing.assert_array_equal(again[:, 0], p)


def test_too_few_seeds_give_no_model():
    from pipeline.themes.learned import SeededNaiveBayes

    X, seeds, background = _planted_corpus()
    model = SeededNaiveBayes(min_seeds=20).fit(X, seeds, background)
    assert not model.fitted_.any() and (model.predict_proba(X) == 0).all()


def test_scoring_options_are_deterministic_on_the_seeds(seeds_result, taxonomy):
    from pipeline.themes import theme_tables
    from pipeline.vectorize import merge_counts, term_counts, vectorize_counts

    sections, tokens = seeds_result.sections, seeds_result.tokens
    dtm = vectorize_counts(merge_counts([term_counts(tokens, sections)]), sections,
                           unit="section").sections
    found = lexical_evidence(sections, tokens, taxonomy)
    first = theme_tables(sections, found, taxonomy, dtm=dtm)[0]
    pd.testing.assert_frame_equal(first, theme_tables(sections, found, taxonomy, dtm=dtm)[0])
    lexicon = theme_tables(sections, found, taxonomy, dtm=dtm,
                           options=ScoringOptions(density=False, learned=False))[0]
    assert set(lexicon["method"]) == {"lexicon"}
    assert len(lexicon) >= len(first) - 5


# --- guided topic model (kept for the ablation) ---------------------------------------------

def test_guided_topics_stay_on_their_seeds_and_learn_co_occurring_words():
    import numpy as np
    import scipy.sparse as sp

    from pipeline.topics import GuidedTopicModel

    rng = np.random.default_rng(0)
    # Theme A: seed terms 0-2 plus term 3 that always comes with them; theme B: 4-6; a third
    # cluster (8-11) that no seed covers, for the free topic.
    docs = []
    for k in range(60):
        row = rng.uniform(0, 0.05, 12)
        block = [[0, 1, 2, 3], [4, 5, 6], [8, 9, 10, 11]][k % 3]
        row[block] += rng.uniform(0.5, 1.0, len(block))
        docs.append(row / np.linalg.norm(row))
    seeds = np.zeros((2, 12))
    seeds[0, [0, 1, 2]] = 1.0
    seeds[1, [4, 5, 6]] = 1.0
    model = GuidedTopicModel(seeds, n_free=1, random_state=0)
    W = model.fit_transform(sp.csr_matrix(np.array(docs)))
    H = model.components_
    assert W.shape == (60, 3)
    assert (model.alignment_ > 0.9).all()
    assert H[0, 3] > 0.1 and H[1, 3] < 0.01  # topic A learned its co-occurring word
    assert H[2, 8:].sum() > 0.9  # the free topic took the uncovered cluster
    assert (W[0::3, 0] > 2 * W[0::3, 1:].max(axis=1)).all()
    assert (W[1::3, 1] > 2 * W[1::3, [0, 2]].max(axis=1)).all()



# --- check and kwic ------------------------------------------------------------------------

def test_check_flags_fragments_wrong_pos_and_absent_terms(tmp_path, tokenizer, seeds_result):
    from pipeline.themes import check_taxonomy

    themes = load_taxonomy(write_toml(tmp_path, """
[[theme]]
id = "x"
label_ja = "x"
label_en = "x"
[theme.terms]
"米軍基" = 1.0
"攻撃@動詞" = 0.5
"防衛費" = 1.0
"存在しない語" = 1.0
"""))
    report = check_taxonomy(themes, tokenizer, seeds_result.sections, seeds_result.tokens)
    status = report.set_index("term")["status"]
    assert status["米軍基"].startswith("never matches: occurs 8× only inside longer words")
    assert status["攻撃@動詞"] == "never matches: tagged 名詞, not 動詞"
    assert status["防衛費"] == "ok"
    assert status["存在しない語"] == "not in corpus"
    assert report.set_index("term").loc["防衛費", "split"] == "防衛|費"


def test_shipped_taxonomy_has_no_term_that_can_never_match(tokenizer, taxonomy):
    from pipeline.themes import check_taxonomy

    report = check_taxonomy(taxonomy, tokenizer)
    assert not report["status"].str.startswith("never").any(), report[report["status"] != "ok"]


def test_kwic_lines(seeds_result):
    from pipeline.themes import kwic

    lines = kwic(seeds_result.sections, seeds_result.tokens, "地位協定", width=5)
    assert list(lines.columns) == ["section_id", "left", "term", "right", "char_start"]
    assert len(lines) == 13
    assert (lines["term"] == "地位協定").all()
    assert lines["right"].str.len().max() <= 5
    # char_start is an offset into the article text; each section holds its slice of it.
    sections = seeds_result.sections.set_index("section_id")
    for row in lines.itertuples():
        section = sections.loc[row.section_id]
        assert section["text"][row.char_start - section["char_start"]:].startswith("地位協定")


def test_terms_swallowed_by_a_rule_table_are_an_error_not_silence(tmp_path):
    # In TOML, keys after [[theme.rules]] belong to the rule: a classic rule file that loads
    # but silently drops terms. It must be reported with its line.
    path = write_toml(tmp_path, '[[theme]]\nid = "x"\nlabel_ja = "x"\nlabel_en = "x"\n'
                                '[theme.terms]\n"関税" = 1.0\n[[theme.rules]]\n'
                                'all = [["輸入"], ["課す"]]\n"追加関税" = 1.0\n')
    with pytest.raises(TaxonomyError, match=r":9: theme x: unknown key '追加関税' in a rule"):
        load_taxonomy(path)
    path = write_toml(tmp_path, '[[theme]]\nid = "x"\nlabel_ja = "x"\nlabel_en = "x"\n'
                                'colour = "red"\n[theme.terms]\n"関税" = 1.0\n')
    with pytest.raises(TaxonomyError, match=r":5: theme x: unknown key 'colour'"):
        load_taxonomy(path)


def write_toml(tmp_path, body):
    path = tmp_path / "themes.toml"
    path.write_text(body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[theme]]\nid = "x"\nlabel_ja = "x"\nlabel_en = "x"\n[theme.terms]\n"関税" = 2.0\n',
         ":6: theme x: term '関税': weight must be a number in (0, 1], got 2.0"),
        ('[[theme]]\nid = "x"\nlabel_en = "x"\n[theme.terms]\n"関税" = 1.0\n',
         ":1: theme x: 'label_ja' must be a non-empty string"),
        ('\n[[theme]]\nid = "Bad Id"\nlabel_ja = "x"\nlabel_en = "x"\n',
         ":3: theme Bad Id: 'id' must be a lower-case identifier"),
        ('[[theme]]\nid = "x"\nlabel_ja = "x"\nlabel_en = "x"\n[theme.terms]\n"a" = 1\n'
         '[[theme]]\nid = "x"\nlabel_ja = "x"\nlabel_en = "x"\n[theme.terms]\n"b" = 1\n',
         ":8: theme x: duplicate id"),
        ('[[theme]]\nid = "x"\nlabel_ja = "x"\nlabel_en = "x"\n[[theme.patterns]]\n'
         'regex = "(["\n', ":6: theme x: pattern '([': invalid regular expression"),
        ('[[theme]\nid = "x"\n', "invalid TOML"),
        ('title = "no themes"\n', "no [[theme]] tables found"),
    ],
)
def test_invalid_taxonomy_reports_file_line_and_problem(tmp_path, body, message):
    path = write_toml(tmp_path, body)
    with pytest.raises(TaxonomyError) as info:
        load_taxonomy(path)
    assert str(info.value).startswith(str(path))
    assert message in str(info.value)




def test_a_section_full_of_film_or_product_words_is_a_veto_context_as_a_whole(tokenizer,
                                                                            taxonomy):
    film = ("映画の舞台は韓国。主演の俳優が来日した。\n"
            "韓国政府の協力で撮影された作品で、女優も出演する。")
    assert "indo_pacific" not in evidence(tokenizer, taxonomy, film) or not evidence(
        tokenizer, taxonomy, film)["indo_pacific"].pairs
    news = "韓国政府は日本との首脳会談を求めた。"
    assert evidence(tokenizer, taxonomy, news)["indo_pacific"].pairs


def test_a_lead_about_a_theme_frames_the_context_terms_of_its_article(tokenizer, taxonomy):
    from pipeline.segment import segment
    from pipeline.themes import framed_evidence
    from pipeline.tokenize import tokenize

    body = ("\n\n■雇用計画\n新工場では地元で500人を雇用する計画だ。工場は2027年に稼働する。\n"
            "\n■今後の予定\n起工式は来月に開く。\n")
    articles = pd.DataFrame({
        "article_id": ["plant", "tour"],
        "text": ["米国に新工場　対米投資を拡大\n当社は米国オハイオ州への対米投資を発表した。"
                 + body,
                 "工場見学のお知らせ\n地域の子どもたちを招いて見学会を開いた。" + body],
        "published": ["", ""]})
    sections = segment(articles).sections
    found = lexical_evidence(sections, tokenize(sections, tokenizer), taxonomy)
    # 工場 and 雇用 without 米国 in their sentences: context only, in both articles
    for sid in ("plant#1", "tour#1"):
        assert not found[sid]["investment"].issue and not found[sid]["investment"].pairs
    framed = framed_evidence(found, sections, taxonomy)
    # the release's lead is about investment in the US: its later section's plant is that one
    assert set(framed["plant#1"]["investment"].pairs) == {"新工場+lead", "工場+lead", "雇用+lead"}
    assert lexical_score(framed["plant#1"]["investment"]) > 0
    assert framed["tour#1"] is found["tour#1"]  # no lead frames the factory tour
    assert not found["plant#1"]["investment"].pairs  # the input is left as it was
    assert framed_evidence(framed, sections, taxonomy) == framed  # framing twice is once
