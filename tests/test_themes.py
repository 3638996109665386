from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.config import DEFAULT_THEMES
from pipeline.errors import TaxonomyError
from pipeline.themes import format_evidence, load_taxonomy, score_section, score_themes

THEME_IDS = [
    "tariffs", "defence_spending", "senkaku", "sofa", "host_nation_support", "investment",
    "energy", "technology", "nippon_steel", "china", "north_korea", "alliance", "us_bases",
    "space_cyber", "middle_east", "indo_pacific",
]


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


def scores(tokenizer, taxonomy, text):
    return score_section(text, boundaries(tokenizer, text), taxonomy)


def test_shipped_taxonomy_has_the_sixteen_themes(taxonomy):
    assert [t.id for t in taxonomy] == THEME_IDS
    for theme in taxonomy:
        assert theme.label_ja and theme.label_en and theme.terms


def test_a_core_term_alone_tags_and_repetition_saturates(tokenizer, taxonomy):
    once = scores(tokenizer, taxonomy, "政府は日米地位協定の改定を求めた。")["sofa"]
    assert once[0] == pytest.approx(1 - math.exp(-1))
    assert once[1] == {"日米地位協定": 1}  # not also counted as 地位協定
    thrice = scores(tokenizer, taxonomy, "日米地位協定。日米地位協定。日米地位協定。")["sofa"][0]
    assert once[0] < thrice < 1.0


def test_exclude_term_vetoes_weak_evidence_in_its_sentence(tokenizer, taxonomy):
    vetoed = scores(tokenizer, taxonomy, "竹島をめぐる領土と領有権の問題で、領土交渉が続く。")
    assert "senkaku" not in vetoed
    not_vetoed = scores(tokenizer, taxonomy, "中国は領土と領有権を主張し、領土問題が続く。")
    assert not_vetoed["senkaku"][1] == {"領土": 2, "領有権": 1}


def test_core_terms_survive_a_veto(tokenizer, taxonomy):
    result = scores(tokenizer, taxonomy, "尖閣諸島や竹島などの領土問題。")
    assert result["senkaku"][1] == {"尖閣諸島": 1}


def test_terms_match_only_on_token_boundaries(tokenizer, taxonomy):
    text = "イランの核開発。"
    assert "middle_east" in scores(tokenizer, taxonomy, text)
    # イラン inside an unrelated word is not a match.
    assert "middle_east" not in scores(tokenizer, taxonomy, "ハイランド地方を訪れた。")


def test_evidence_string_format():
    assert format_evidence({"関税": 3, "貿易赤字": 1, "USTR": 1}) == "関税×3; USTR×1; 貿易赤字×1"


def test_full_width_and_case_are_normalised(tokenizer, taxonomy):
    result = scores(tokenizer, taxonomy, "ＬＮＧの輸入とＡＩ協力。")
    assert result["energy"][1] == {"LNG": 1}
    assert result["technology"][1] == {"AI": 1}


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
    assert list(article_themes.columns) == ["article_id", "theme_id", "score", "n_sections"]
    assert list(themes.columns) == ["theme_id", "label_ja", "label_en", "n_sections"]
    assert section_themes["theme_id"].tolist() == ["sofa"]
    assert section_themes["evidence"].tolist() == ["日米地位協定×2"]
    assert article_themes.to_dict("records") == [
        {"article_id": "a", "theme_id": "sofa", "score": section_themes["score"][0],
         "n_sections": 1}
    ]
    assert themes.set_index("theme_id").loc["sofa", "n_sections"] == 1
    assert themes["n_sections"].sum() == 1


# Themes a reader of each seed section agrees it discusses (labelled by reading the sections).
# Each listed theme must be tagged; these are the clear cases, not an exhaustive gold set.
SEED_EXPECTATIONS = {
    "000_fa22010949faa399#1": {"investment", "energy", "alliance", "nippon_steel"},
    "000_fa22010949faa399#2": {"tariffs", "middle_east"},
    "001_1b6707cdd1a53014#1": {"alliance", "space_cyber", "indo_pacific", "senkaku"},
    "001_1b6707cdd1a53014#2": {"investment", "nippon_steel", "energy", "alliance", "tariffs"},
    "002_e2682e32605dce2d#1": {"alliance", "china", "north_korea", "senkaku", "investment",
                               "technology"},
    "002_e2682e32605dce2d#2": {"sofa", "us_bases"},
    "003_eed3c3ac50b9ef27#1": {"defence_spending", "alliance", "us_bases",
                               "host_nation_support"},
    "003_eed3c3ac50b9ef27#2": {"alliance", "us_bases"},
    "003_eed3c3ac50b9ef27#3": {"alliance", "defence_spending", "tariffs"},
    "004_1c6dd6125a21f8f4#3": {"alliance", "defence_spending"},
    "004_1c6dd6125a21f8f4#5": {"us_bases"},
}


def test_seed_sections_get_the_themes_a_reader_sees(seeds_result):
    tagged = seeds_result.section_themes.groupby("section_id")["theme_id"].apply(set)
    for section_id, expected in SEED_EXPECTATIONS.items():
        assert expected <= tagged.get(section_id, set()), section_id


# --- rules, parts of speech, merging ---------------------------------------------------------

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
    same = scores(tokenizer, themes, "在日米軍の経費が増えた。")
    assert same["burden"][1] == {"在日米軍+経費": 1}
    apart = scores(tokenizer, themes, "在日米軍が来た。経費が増えた。")
    assert "burden" not in apart


def test_ordered_window_rule(tmp_path, tokenizer):
    themes = load_taxonomy(write_toml(tmp_path, RULE_TOML))
    assert scores(tokenizer, themes, "日本の負担が重い。")["burden"][1] == {"日本+負担": 1}
    # wrong order, and too far apart
    assert "burden" not in scores(tokenizer, themes, "負担を日本が担う。")
    assert "burden" not in scores(tokenizer, themes, "日本が長年にわたり担ってきた重い負担。")


def test_part_of_speech_restricted_term(tmp_path, tokenizer):
    from pipeline.themes import _token_pos

    themes = load_taxonomy(write_toml(tmp_path, RULE_TOML))
    text = "敵が攻撃を始めた。"
    tokens = pd.DataFrame(
        [("s", start, pos, parts) for _s, _t, pos, _d, start, _e, _c, parts
         in tokenizer.tokens(text)],
        columns=["section_id", "char_start", "pos", "parts"],
    )
    pos_at = _token_pos(tokens)["s"]
    result = score_section(text, boundaries(tokenizer, text), themes, pos_at)
    assert "burden" not in result  # 攻撃 here is a noun


def test_unknown_part_of_speech_is_reported(tmp_path):
    path = write_toml(tmp_path, RULE_TOML.replace("攻撃@動詞", "攻撃@verb"))
    with pytest.raises(TaxonomyError, match="unknown part of speech 'verb'"):
        load_taxonomy(path)


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
    sofa = {t[2]: t[1] for t in next(t for t in themes if t.id == "sofa").terms}
    assert sofa["地位協定"] == 0.5 and sofa["米軍属"] == 0.9 and sofa["日米地位協定"] == 1.0


# --- guided topic model --------------------------------------------------------------------

def test_seed_matrix_seeds_vocabulary_terms_containing_theme_terms(taxonomy):
    from pipeline.themes import seed_matrix

    vocabulary = ["日米地位協定", "関税", "天気", "自動車関税"]
    seeds = seed_matrix(taxonomy, vocabulary)
    ids = [t.id for t in taxonomy]
    assert seeds.shape == (16, 4)
    assert seeds[ids.index("sofa"), 0] == 1.0
    assert seeds[ids.index("tariffs"), 1] == 1.0 and seeds[ids.index("tariffs"), 3] == 1.0
    assert seeds[:, 2].sum() == 0


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


def test_model_corroborates_but_one_weak_term_is_not_enough(tokenizer, taxonomy):
    import numpy as np

    from pipeline import themes as module
    from pipeline.segment import segment
    from pipeline.tokenize import tokenize

    articles = pd.DataFrame({"article_id": ["a", "b"], "published": ["", ""], "text": [
        "日本は米軍の駐留を受け入れている。", "韓国との関係が改善した。"]})
    sections = segment(articles).sections
    tokens = tokenize(sections, tokenizer)
    ids = [t.id for t in taxonomy]
    shares = {sid: np.zeros(len(ids)) for sid in sections["section_id"]}
    shares["a#0"][ids.index("us_bases")] = 0.8  # 米軍 (0.6) + 駐留 (0.6): above the floor
    shares["b#0"][ids.index("indo_pacific")] = 0.95  # 韓国 (0.5) alone: below it

    original = module.model_evidence
    module.model_evidence = lambda *args, **kwargs: (shares, np.ones(len(ids)))
    try:
        tagged, _, _ = score_themes(sections, tokens, taxonomy, dtm=object())
    finally:
        module.model_evidence = original
    rows = tagged.set_index(["section_id", "theme_id"])
    assert rows.loc[("a#0", "us_bases"), "method"] == "both"
    assert rows.loc[("a#0", "us_bases"), "evidence"].endswith("[topic 0.80]")
    assert ("b#0", "indo_pacific") not in rows.index


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


def test_sections_skipped_as_evidence_free_score_as_if_scored_in_full(tmp_path, tokenizer,
                                                                     taxonomy):
    from pipeline.themes import ThemeMatcher, _boundaries, _token_pos, lexical_scores
    from pipeline.tokenize import tokenize

    themes = taxonomy + load_taxonomy(write_toml(tmp_path, RULE_TOML))
    texts = [
        "政府は日米地位協定の改定を求めた。",  # a term
        "総額は5000億ドルに上る。",  # a pattern only
        "日本の負担が重い。",  # a rule only
        "敵が攻撃を始めた。",  # a part-of-speech term in the wrong part of speech
        "ハイランド地方を訪れた。",  # a term inside a word
        "今日は晴れで、ラーメンを食べた。",  # nothing
        "トランプ大統領は関税を発表した。石破首相は反論した。",  # evidence in an excluded span
    ]
    starts = [sum(len(t) for t in texts[:i]) for i in range(len(texts))]
    sections = pd.DataFrame({"section_id": [f"a:{i}" for i in range(len(texts))],
                             "char_start": starts, "analysis_text": texts})
    tokens = tokenize(sections, tokenizer)
    excluded = {"a:6": [(starts[6], starts[6] + 18)]}

    matcher = ThemeMatcher(themes)
    boundaries, pos = _boundaries(tokens), _token_pos(tokens)
    in_full = {}
    for sid, offset, text in zip(sections["section_id"], starts, texts, strict=True):
        if sid in excluded:
            text = " " * 18 + text[18:]
        found = score_section(text, {b - offset for b in boundaries[sid]}, matcher,
                              {b - offset: p for b, p in pos[sid].items()})
        if found:
            in_full[sid] = found

    assert lexical_scores(sections, tokens, themes, excluded) == in_full
    assert set(in_full) == {"a:0", "a:1", "a:2"}


def test_a_model_share_alone_tags_only_when_it_is_near_certain(taxonomy):
    import numpy as np

    from pipeline.themes import MODEL_ONLY_SHARE, MODEL_WEIGHT, combine_scores

    n = len(taxonomy)
    certain, likely = np.zeros(n), np.zeros(n)
    certain[0], likely[0] = MODEL_ONLY_SHARE + 0.05, MODEL_ONLY_SHARE - 0.05
    lexical = {"lexical": {taxonomy[1].id: (0.8, {"防衛費": 2})}}
    table = combine_scores(["lexical", "certain", "likely", "none"], lexical, taxonomy,
                           {"certain": certain, "likely": likely}, min_score=0.5)
    assert table[["section_id", "theme_id", "method"]].values.tolist() == [
        ["lexical", taxonomy[1].id, "lexicon"], ["certain", taxonomy[0].id, "model"]]
    assert table["score"].tolist() == [0.8, round(MODEL_WEIGHT * certain[0], 4)]


@pytest.fixture(scope="module")
def rule_matcher(tmp_path_factory, taxonomy):
    from pipeline.themes import ThemeMatcher

    return ThemeMatcher(taxonomy + load_taxonomy(write_toml(tmp_path_factory.mktemp("rules"),
                                                            RULE_TOML)))


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(st.sampled_from(["米軍", "在日", "経費", "日本", "負担", "思いやり予算",
                                        "思いやり", "関税", "5000億ドル", "の", "。", "x"]),
                       max_size=8))
def test_may_match_is_false_only_where_no_term_rule_or_pattern_can_match(rule_matcher, pieces):
    matcher, themes = rule_matcher, rule_matcher.themes
    text = "".join(pieces)
    possible = (any(term in text for term, _entries in matcher._terms)
                or any(rule.may_hold(text) for theme in themes for rule in theme.rules)
                or any(pattern.search(text) for theme in themes for pattern, _w in theme.patterns))
    assert matcher.may_match(text) == possible


def test_a_taxonomy_gets_one_matcher_per_process_and_another_taxonomy_its_own(
        tmp_path, taxonomy):
    from pipeline.themes import ThemeMatcher, matcher_for

    matcher = matcher_for(taxonomy)
    assert isinstance(matcher, ThemeMatcher) and matcher.themes == taxonomy
    # An equal taxonomy loaded again (as each chunk of a run receives it) reuses the matcher.
    assert matcher_for(load_taxonomy(DEFAULT_THEMES)) is matcher
    other = taxonomy + load_taxonomy(write_toml(tmp_path, RULE_TOML))
    assert matcher_for(other) is not matcher and matcher_for(other).themes == other


@settings(max_examples=300, deadline=None)
@given(words=st.sets(st.text(alphabet="アイ米軍.*", min_size=1, max_size=4), max_size=12),
       text=st.text(alphabet="アイ米軍.*x", max_size=12))
def test_the_trie_screen_matches_exactly_its_words(words, text):
    from pipeline.textutil import trie_regex

    screen = trie_regex(words)
    if not words:
        assert screen is None
        return
    assert (screen.fullmatch(text) is not None) == (text in words)
    assert (screen.search(text) is not None) == any(word in text for word in words)


def test_article_scores_weigh_sections_by_length_in_taxonomy_order(taxonomy):
    import numpy as np

    from pipeline.themes import combine_scores, finish_themes

    first, second = taxonomy[0].id, taxonomy[1].id
    sections = pd.DataFrame({
        "section_id": ["b#0", "a#0", "a#1", "a#2"],
        "article_id": ["b", "a", "a", "a"],
        "char_start": [0, 0, 10, 40],
        "char_end": [20, 10, 40, 100],
    })
    lexical = {
        "b#0": {first: (0.9, {"x": 3})},
        "a#0": {second: (0.8, {"y": 2}), first: (0.6, {"x": 1})},
        "a#1": {second: (0.7, {"y": 1})},
    }
    section_themes, article_themes, themes = finish_themes(sections, lexical, taxonomy)
    assert section_themes["section_id"].tolist() == ["b#0", "a#0", "a#0", "a#1"]
    assert article_themes.to_dict("records") == [
        {"article_id": "a", "theme_id": first, "score": round(0.6 * 10 / 100, 4),
         "n_sections": 1},
        {"article_id": "a", "theme_id": second, "score": round((0.8 * 10 + 0.7 * 30) / 100, 4),
         "n_sections": 2},
        {"article_id": "b", "theme_id": first, "score": 0.9, "n_sections": 1},
    ]
    counts = themes.set_index("theme_id")["n_sections"]
    assert (counts[first], counts[second]) == (2, 2)

    # Without lexical evidence, only a model share of at least MODEL_ONLY_SHARE tags a theme.
    shares = {sid: np.zeros(len(taxonomy)) for sid in sections["section_id"]}
    shares["a#2"][1] = 0.95
    shares["b#0"][1] = 0.5
    tagged = combine_scores(sections["section_id"], {}, taxonomy, shares)
    assert tagged[["section_id", "theme_id", "method"]].values.tolist() == [
        ["a#2", second, "model"]]
