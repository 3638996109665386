from __future__ import annotations

import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.ingest import ingest
from pipeline.segment import segment
from pipeline.tokenize import tokenize
from pipeline.tokenize.mecab import MAX_CHUNK_CHARS


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


def test_listed_terms_are_one_token_and_never_merged(seeds_dir):
    from pipeline.tokenize import Tokenizer

    tokenizer = Tokenizer(
        terms=["自由で開かれたインド太平洋", "核・ミサイル", "日米地位協定", "関税"])
    toks = tokenizer.tokens(
        "自由で開かれたインド太平洋の実現と核・ミサイル問題、日米地位協定改定。")
    by_term = {t[1]: t for t in toks}
    assert by_term["自由で開かれたインド太平洋"][3] == "用語"
    assert by_term["核・ミサイル"][3] == "用語" and "問題" in by_term  # not merged with 問題
    assert "日米地位協定" in by_term and "改定" in by_term
    # a one-morpheme term needs no forcing and does not stop compounds
    assert "関税" not in tokenizer.forced_terms
    assert "自動車関税" in [t[1] for t in tokenizer.tokens("自動車関税")]


def test_user_term_list_through_the_cli(tmp_path, seeds_dir):
    import pandas as pd
    from typer.testing import CliRunner

    from pipeline.cli import app

    terms = tmp_path / "terms.txt"
    terms.write_text("# mine\n意見交換\n閣僚協議開始\n", encoding="utf-8")
    out = tmp_path / "o"
    result = CliRunner().invoke(app, ["run", str(seeds_dir), "--terms", str(terms), "--out",
                                      str(out), "--no-cache", "-q"])
    assert result.exit_code == 0, result.output
    tokens = pd.read_csv(out / "tokens.csv", keep_default_na=False)
    listed = tokens[tokens["pos_detail"] == "用語"]["term"]
    assert {"意見交換", "閣僚協議開始"} <= set(listed)


def test_cache_returns_the_same_tokens_without_tokenising(tmp_path, seeds_dir, monkeypatch):
    import pandas as pd

    from pipeline.tokenize import Tokenizer

    articles, _ = ingest([str(seeds_dir)])
    sections = segment(articles).sections
    first = tokenize(sections, Tokenizer(), cache=tmp_path)
    assert any(tmp_path.rglob("*.parquet"))

    def refuse(self, texts):
        raise AssertionError("tokenised again")

    monkeypatch.setattr(Tokenizer, "tokenize_texts", refuse)
    again = tokenize(sections, Tokenizer(), cache=tmp_path)
    pd.testing.assert_frame_equal(first, again)
    # a subset of the sections is served from the per-text shards
    subset = tokenize(sections.iloc[[3, 1]], Tokenizer(), cache=tmp_path)
    expected = first[first["section_id"].isin(sections.iloc[[3, 1]]["section_id"])]
    assert len(subset) == len(expected)
    assert subset["section_id"].iloc[0] == sections.iloc[3]["section_id"]


def test_cache_key_changes_with_options(tmp_path):
    from pipeline.tokenize import TokenCache, Tokenizer

    plain = TokenCache(tmp_path, Tokenizer()).folder
    with_terms = TokenCache(tmp_path, Tokenizer(terms=["日米同盟強化"])).folder
    with_stop = TokenCache(tmp_path, Tokenizer(stopwords=frozenset({"関税"}))).folder
    assert len({plain, with_terms, with_stop}) == 3


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120))
def test_arbitrary_unicode_tokenises_with_exact_offsets(tokenizer, text):
    for surface, _term, _pos, _d, start, end, _c, parts in tokenizer.tokens(text):
        assert text[start:end] == surface
        # a one-morpheme token's parts is its surface, even when that holds "|"
        assert parts == surface or "".join(parts.split("|")) == surface


def test_an_unwritable_cache_only_costs_speed(tmp_path, seeds_dir, tokenizer):
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be", encoding="utf-8")
    articles, _ = ingest([str(seeds_dir)])
    sections = segment(articles).sections
    cached = tokenize(sections, tokenizer, cache=blocker)
    plain = tokenize(sections, tokenizer)
    __import__("pandas").testing.assert_frame_equal(cached, plain)


# --- parts of speech and base forms come from context ids and an entry lookup, not from -----
# --- MeCab's feature strings: they must agree with the features MeCab prints ----------------

@functools.lru_cache(maxsize=1)
def _reference_tagger():
    import fugashi

    return fugashi.Tagger()


def _reference_morphemes(text):
    """(surface, pos1, pos2, pos3, base) from fugashi's Tagger and the full UniDic features."""
    rows = []
    for word in _reference_tagger()(text.replace("\n", " ")):
        feature = word.feature
        if feature.pos1 == "空白":
            continue
        pos = [("" if p == "*" else p) for p in (feature.pos1, feature.pos2, feature.pos3)]
        base = getattr(feature, "orthBase", None) if feature.pos1 in (
            "動詞", "形容詞", "助動詞") and not word.is_unk else None
        rows.append((word.surface, *pos, base or word.surface))
    return rows


VARIED = (
    "石破茂首相は2025年2月7日、ワシントンでトランプ大統領と会談し、ＧＤＰ比2%の防衛費を"
    "めぐって意見を交わした。かえって問題がこじれたと言われても、行かなくちゃ。"
    "USスチール買収- 5500億ドル! ﾃｽﾄ ｶﾞｿﾘﾝ ☆★ 𠮷野家 Ωμ Привет ㈱ＡＢＣ 1/2 3.14 "
    "やっぱりすごかったっす。見ていらっしゃいませ。美しく、静かな夜だった。"
)


def test_parts_of_speech_and_base_forms_agree_with_mecab_features(tokenizer, seeds_dir):
    texts = [VARIED] + [p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt"))]
    for text in texts:
        ours = [m[:5] for m in tokenizer.morphemes(text)]
        assert ours == _reference_morphemes(text)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(
    "日米会談行っ言わかえしまったでしょうすごいＧＤＰgdp12３%-~!?☆ｶﾞ𠮷Ωя、。 ")), max_size=60))
def test_parts_of_speech_property(tokenizer, text):
    assert [m[:5] for m in tokenizer.morphemes(text)] == _reference_morphemes(text)


def test_parts_of_speech_agree_on_livedoor_news(livedoor_sample, monkeypatch):
    import pipeline.tokenize.tokenizer as tokenize_module

    # as in a new process: no base form looked up yet
    monkeypatch.setattr(tokenize_module, "_BASES", {})
    tokenizer = tokenize_module.Tokenizer()
    articles = livedoor_sample(10)
    assert len(articles) == 90
    for _name, data in articles:
        text = data.decode("utf-8")
        assert [m[:5] for m in tokenizer.morphemes(text)] == _reference_morphemes(text)


def test_tokenizers_in_threads_give_the_serial_tokens(seeds_dir):
    # MeCab's taggers are not thread-safe: each thread must get its own.
    from concurrent.futures import ThreadPoolExecutor

    from pipeline.tokenize import Tokenizer

    texts = [p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt"))] * 4
    serial = [Tokenizer().tokenize_texts([t]) for t in texts]
    with ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(lambda t: Tokenizer().tokenize_texts([t]), texts))
    assert all(a.equals(b) for a, b in zip(serial, threaded, strict=True))


def test_making_a_tagger_leaves_no_file_behind(tmp_path, monkeypatch, tokenizer):
    import tempfile
    import threading

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    found = []
    # Taggers are made once per thread: a new thread makes new ones.
    worker = threading.Thread(target=lambda: found.append(tokenizer.tokens("日米の関税交渉。")))
    worker.start()
    worker.join()
    assert found and found[0]
    assert list(tmp_path.iterdir()) == []


def test_forced_terms_are_the_terms_as_listed_even_with_regex_characters():
    from pipeline.tokenize import Tokenizer

    tokenizer = Tokenizer(terms=["F-35戦闘機", "C++言語", "ＮＡＴＯ加盟国", "関税"])
    assert tokenizer.forced_terms == ("C++言語", "F-35戦闘機", "NATO加盟国")  # 関税: one morpheme
    text = "F-35戦闘機とC++言語、ＮＡＴＯ加盟国"
    assert [t[1] for t in tokenizer.tokens(text)] == ["F-35戦闘機", "と", "C++言語", "、",
                                                       "NATO加盟国"]
