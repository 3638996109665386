from __future__ import annotations

import itertools
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.textutil import (
    _BATCHABLE_RE,
    _normalize,
    analysis_form,
    analysis_forms,
    normalize_with_offsets,
    published_date,
)


def test_analysis_normalisation():
    norm, _ = normalize_with_offsets("ＧＤＰ比２％\u3000ｶﾞｲﾄﾞ\u200bすごーーーい〜〜")
    assert norm == "gdp比2% ガイドすごーい〜"


@given(st.text(max_size=60))
def test_offset_map_is_monotonic_and_covers_the_text(text):
    norm, starts = normalize_with_offsets(text)
    assert len(starts) == len(text) + 1
    assert starts[0] == 0 and starts[-1] == len(norm)
    assert all(a <= b for a, b in itertools.pairwise(starts))


@pytest.mark.parametrize(("text", "norm", "starts"), [
    ("コンピューター", "コンピュータ", [0, 1, 2, 3, 4, 5, 6, 6]),
    ("ラーーメン", "ラーメン", [0, 1, 2, 2, 3, 4]),
    ("スーパーー", "スーパー", [0, 1, 2, 3, 4, 4]),
    ("ｺﾝﾋﾟｭｰﾀｰ", "コンピュータ", [0, 1, 2, 3, 3, 4, 5, 6, 6]),
    ("ゲーム・ルール", "ゲーム・ルール", [0, 1, 2, 3, 4, 5, 6, 7]),
    ("ーター", "ータ", [0, 1, 2, 2]),
])
def test_long_marks_inside_final_and_repeated(text, norm, starts):
    assert normalize_with_offsets(text) == (norm, starts)


# Characters the normalisation treats specially, beside ordinary ones.
_TRICKY = st.sampled_from(list("アカｶｰーー〜~～－ﾞﾟ\u200b\u00adＡａA b\t\u3000\n…㈱½日米。"))


@given(st.lists(_TRICKY, max_size=40).map("".join) | st.text(max_size=60))
def test_analysis_form_is_the_text_of_the_offset_normalisation(text):
    assert analysis_form(text) == normalize_with_offsets(text)[0]


# Beside _TRICKY: what the batched path must tell apart (word-final and lone long marks,
# wave-dash runs, ellipses, a combining voicing mark, kana, a Greek capital).
_BATCH_TRICKY = st.sampled_from(list("アカンーｰーあ〜〜~～…‥・。ＡA\t\u3000\u200bｶﾞ\u3099Ω日 \n"))


@given(st.lists(st.lists(_BATCH_TRICKY | _TRICKY, max_size=30).map("".join), max_size=8))
def test_batched_analysis_forms_are_the_analysis_forms(texts):
    # Against the character-by-character pass itself (analysis_form shares the fast path).
    forms = [_normalize(t, None) for t in texts]
    assert analysis_forms(texts) == forms == [analysis_form(t) for t in texts]


@given(st.lists(_BATCH_TRICKY, max_size=40).map("".join))
def test_offsets_of_batchable_texts_are_those_of_the_character_pass(text):
    starts: list[int] = []
    assert normalize_with_offsets(text) == (_normalize(text, starts), starts)
    # Given the analysis form it already has, the same result.
    assert normalize_with_offsets(text, analysis_form(text)) == (_normalize(text, None), starts)


@pytest.mark.parametrize(("text", "form"), [
    ("エネルギー安全保障", "エネルギ安全保障"),  # a word-final mark before a kanji
    ("コーヒー。", "コーヒ。"),
    ("すごーい〜〜〜！", "すごーい〜!"),  # a lone mark
    ("すごーーーい", "すごーい"),  # a run of marks
    ("カーーキ。カーー。ーア", "カーキ。カー。ーア"),  # runs after a katakana, a leading mark
    ("ＧＤＰ比…Ｕ．Ｓ．", "gdp比...u.s."),
])
def test_batched_forms_of_examples(text, form):
    assert analysis_forms([text]) == [form] == [analysis_form(text)] == [_normalize(text, None)]


def test_batchable_characters_normalise_alone_and_never_combine():
    # A character that is the second part of a composition (U+3099 in ga = ka + U+3099, the
    # Hangul vowel and final jamo) could join the character before it: none may be batchable,
    # nor begin a batchable character's decomposition.
    seconds = set(map(chr, [*range(0x1161, 0x1176), *range(0x11A8, 0x11C3)]))
    for code in range(0x110000):
        parts = unicodedata.decomposition(chr(code)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            seconds.add(chr(int(parts[1], 16)))
    batchable = [chr(c) for c in range(0x10000) if _BATCHABLE_RE.fullmatch(chr(c))]
    assert len(batchable) > 21_000  # ideographs, kana, ASCII, full-width forms...
    for ch in batchable:
        decomposed = unicodedata.normalize("NFKD", ch)
        assert len(unicodedata.normalize("NFKC", ch)) == 1 or ch in "…‥", ch
        assert unicodedata.combining(decomposed[0]) == 0, ch
        assert decomposed[0] not in seconds, ch
    # Alone, after a katakana and before one, each gives what the per-character pass gives.
    for texts in (batchable, ["ア" + c for c in batchable], [c + "ア" for c in batchable]):
        forms = [_normalize(t, None) for t in texts]
        assert analysis_forms(texts) == forms == [analysis_form(t) for t in texts]


def test_published_date_forms():
    assert published_date("公開日:2025/02/08") == "2025-02-08"
    assert published_date("公開日：2025年2月8日") == "2025-02-08"
    assert published_date("更新日 2025-13-01") == ""
    assert published_date("2025/02/08") == ""
    assert published_date("PUBLISHED: 2025/02/08") == "2025-02-08"
    assert published_date("Date 2025.2.8") == "2025-02-08"
    assert published_date("PUBLISHED 2025.2.8") == "2025-02-08"
    assert published_date("記事の配信日2025年2月8日") == "2025-02-08"



@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["公開日", "配信日", "PUBLISHED", "Date", "dAtE", "published",
                                 "日", "p", "D", ":", "：", " ", "2025", "2", "08", "/", "年",
                                 "月", "-", ".", "記事", "x"]), max_size=10))
def test_published_date_is_the_first_keyword_date_in_the_line(pieces):
    from pipeline.textutil import _PUBLISHED_RE, _iso

    line = "".join(pieces)
    match = _PUBLISHED_RE.search(line)
    assert published_date(line) == (_iso(*match.groups()) if match else "")

def test_every_short_text_of_marks_and_kana_normalises_as_the_character_pass():
    # Exhaustively, where the long-mark rules meet: katakana, hiragana, long and wave marks.
    import itertools

    texts = ["".join(p) for n in range(1, 6) for p in itertools.product("アあー〜。", repeat=n)]
    forms = [_normalize(t, None) for t in texts]
    assert analysis_forms(texts) == forms
    for text in texts:
        starts: list[int] = []
        assert normalize_with_offsets(text) == (_normalize(text, starts), starts), text


@settings(max_examples=300, deadline=None)
@given(words=st.sets(st.text(alphabet="アイ米軍.*", min_size=1, max_size=4), min_size=1,
                     max_size=12),
       text=st.text(alphabet="アイ米軍.*x", max_size=20))
def test_trie_regex_finds_what_the_longest_first_alternation_finds(words, text):
    import re

    from pipeline.textutil import trie_regex

    alternation = re.compile("|".join(map(re.escape, sorted(words, key=lambda w: (-len(w), w)))))
    assert ([m.span() for m in trie_regex(words).finditer(text)]
            == [m.span() for m in alternation.finditer(text)])


def test_sentence_spans_are_each_lines_sentences_on_every_short_text():
    # theme evidence and the sentences table cut sentences the same way
    import pipeline.textutil as textutil

    for n in range(6):
        for letters in itertools.product("。!?「」\nあ ", repeat=n):
            text = "".join(letters)
            expected, start = [], 0
            for line in text.split("\n"):
                expected += [(start + a, start + b) for a, b in textutil.split_sentences(line)]
                start += len(line) + 1
            assert textutil.sentence_spans(text) == expected, text
            assert all(text[a:b].strip() == text[a:b] and "\n" not in text[a:b]
                       for a, b in expected)
    assert textutil.sentence_spans("首相は「関税。交渉」と述べた。\n次。") == [(0, 15), (16, 18)]
