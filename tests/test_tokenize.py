from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.ingest import ingest
from pipeline.segment import segment
from pipeline.tokenize import MAX_CHUNK_CHARS, tokenize


def terms(tokenizer, text):
    return [tok[1] for tok in tokenizer.tokens(text)]


@pytest.mark.parametrize(
    "compound",
    ["防衛費", "日米地位協定", "対米投資", "尖閣諸島", "在日米軍", "相互関税", "自動車関税",
     "日本製鉄", "思いやり予算", "日米同盟", "首脳会談", "GDP比", "5500億ドル"],
)
def test_compounds_are_kept_whole(tokenizer, compound):
    assert compound in terms(tokenizer, f"今回は{compound}について話す。")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("15%の関税", "15%"), ("2025年に", "2025年"), ("ＧＤＰが", "GDP"), ("１兆ドル", "1兆ドル")],
)
def test_numbers_keep_units_and_latin_is_nfkc(tokenizer, text, expected):
    assert expected in terms(tokenizer, text)


def test_compound_does_not_swallow_the_number_after_it(tokenizer):
    assert terms(tokenizer, "対米投資1兆ドル")[:2] == ["対米投資", "1兆ドル"]


def test_written_forms_never_katakana_readings(tokenizer):
    got = terms(tokenizer, "石破氏と尖閣と東京。")
    assert "イシバ" not in got and "センカク" not in got and "トウキョウ" not in got
    assert "尖閣" in got and "東京" in got


def test_verbs_take_their_dictionary_form(tokenizer):
    toks = {tok[0]: tok for tok in tokenizer.tokens("会談を行った。懸念を示し、強く求めた。")}
    assert toks["示し"][1] == "示す"
    assert toks["求め"][1] == "求める"
    assert toks["強く"][1] == "強い"


def test_function_words_and_stopwords_are_not_content(tokenizer):
    toks = tokenizer.tokens("今後のことを考えると、関税が重要である。")
    content = {tok[1] for tok in toks if tok[6]}
    assert content == {"関税", "重要"}


def test_token_offsets_map_back_to_the_text(tokenizer):
    text = "ＧＤＰ比2%、\u3000日米地位協定の改定を求めた。 USスチール"
    for surface, _term, _pos, _d, start, end, _c, parts in tokenizer.tokens(text):
        assert text[start:end] == surface
        assert "".join(parts.split("|")) == surface


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("日米地位協定関税の、。 \u3000\nabcＡＢ12３%ｶﾞ")),
               max_size=80))
def test_offsets_property(tokenizer, text):
    previous_end = 0
    for surface, _term, _pos, _d, start, end, _c, _parts in tokenizer.tokens(text):
        assert text[start:end] == surface
        assert start >= previous_end
        previous_end = end


def test_lines_longer_than_mecab_buffer_are_tokenised_completely(tokenizer):
    sentence = "日米同盟の強化を確認した。"
    text = sentence * (3 * MAX_CHUNK_CHARS // len(sentence))
    toks = tokenizer.tokens(text)
    assert sum(1 for t in toks if t[1] == "日米同盟") == text.count("日米同盟")
    assert toks[-1][5] == len(text)


def test_tokens_table_schema_and_article_offsets(seeds_dir, tokenizer):
    articles, _ = ingest([str(seeds_dir)])
    sections = segment(articles).sections
    tokens = tokenize(sections, tokenizer)
    assert list(tokens.columns) == [
        "section_id", "position", "surface", "term", "pos", "pos_detail", "char_start",
        "char_end", "is_content", "parts",
    ]
    texts = articles.set_index("article_id")["text"]
    article_of = sections.set_index("section_id")["article_id"]
    sample = tokens.sample(500, random_state=0)
    for row in sample.itertuples():
        assert texts[article_of[row.section_id]][row.char_start : row.char_end] == row.surface
    # Masked boilerplate never reaches the tokens.
    assert not tokens["surface"].str.contains("YouTube").any()
    assert tokens.groupby("section_id")["position"].apply(
        lambda p: p.tolist() == list(range(len(p)))).all()
