from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.textutil import analysis_form, normalize_with_offsets, published_date


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


def test_published_date_forms():
    assert published_date("公開日:2025/02/08") == "2025-02-08"
    assert published_date("公開日：2025年2月8日") == "2025-02-08"
    assert published_date("更新日 2025-13-01") == ""
    assert published_date("2025/02/08") == ""
