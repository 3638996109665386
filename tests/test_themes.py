from __future__ import annotations

import math

import pandas as pd
import pytest

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
