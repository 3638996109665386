"""Corpus furniture (pipeline/furniture.py) and how the segmenter blanks it."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.furniture import (
    MIN_ARTICLES,
    NO_FURNITURE,
    census,
    furniture,
    line_key,
    title_labels,
)
from pipeline.segment import segment

FOOTER = "サイト求人・転職は、あなたに合う求人を瞬時に探すサービスです。"


PRODUCTS = ["カメラ", "冷蔵庫", "掃除機", "テレビ", "電子レンジ", "洗濯機", "炊飯器", "扇風機",
            "時計", "自転車", "万年筆", "腕時計", "眼鏡", "鞄", "靴", "傘", "机", "椅子", "棚",
            "照明", "鏡", "枕", "毛布", "絨毯", "花瓶"]


def article(i: int, label: str = "【週刊テック】") -> str:
    product = PRODUCTS[i % len(PRODUCTS)]
    return (f"http://news.example.jp/article/{i}/\n2012-03-0{i % 9 + 1}T10:00:00+0900\n"
            f"{label}新しい{product}の発売日が決まる\n"
            f"メーカーは{product}を来月発売すると発表した。\n"
            f"{FOOTER}\n記事執筆：編集部{i}号\n")


def plain_article(i: int) -> str:
    bought = PRODUCTS[i * 7 % len(PRODUCTS)]
    return f"{PRODUCTS[i % len(PRODUCTS)]}の話 {i}\n今日は{bought}を{i}個買った。\n"


def test_a_line_counts_once_per_article_and_numbers_alike():
    counted = census([article(1) + FOOTER + "\n", article(2)])
    assert counted.n_articles == 2
    assert counted.lines[line_key(FOOTER)] == 2  # twice in the first article, counted once
    assert line_key("記事執筆：編集部1号") == line_key("記事執筆：編集部37号")
    assert counted.labels["【週刊テック】"] == 2


def test_title_labels_start_or_end_a_title():
    assert [x.key for x in title_labels("【Sports Watch】本田が語る")] == ["【Sports Watch】"]
    assert [x.key for x in title_labels("夏モデル一気読み【デジ通】")] == ["【デジ通】"]
    found = title_labels("「転職が不安」 - 辛口説教部屋 vol.37")
    assert [x.key for x in found] == ["- 辛口説教部屋 vol.0"]
    assert title_labels("日米首脳会談、【速報】関税で合意へ") == []  # inside, not a label


def test_furniture_needs_many_articles_and_a_share_of_the_corpus():
    texts = [article(i) for i in range(MIN_ARTICLES)]
    found = furniture(census(texts))
    assert line_key(FOOTER) in found.lines and "【週刊テック】" in found.labels
    assert line_key("記事執筆：編集部3号") in found.lines  # numbers aside
    # each article's own sentence is not furniture
    assert line_key("メーカーはカメラを来月発売すると発表した。") not in found.lines
    assert not furniture(census(texts[: MIN_ARTICLES - 1]))  # too few articles
    # 20 articles of 50 are under a share of one half
    mixed = census(texts + [plain_article(i) for i in range(30)])
    assert furniture(mixed, min_share=0.4) and not furniture(mixed, min_share=0.5)
    assert not NO_FURNITURE


def test_the_segmenter_blanks_furniture_in_the_analysed_text_only():
    texts = [article(i) for i in range(MIN_ARTICLES)]
    found = furniture(census(texts))
    articles = pd.DataFrame({"article_id": [f"a{i}" for i in range(2)], "text": texts[:2],
                             "published": ["", ""]})
    plain, blanked = segment(articles).sections, segment(articles, found).sections
    assert plain["text"].tolist() == blanked["text"].tolist()
    assert plain["heading"].tolist() == blanked["heading"].tolist()
    lead = blanked.iloc[0]
    assert FOOTER in lead["text"] and FOOTER not in lead["analysis_text"]
    assert "【週刊テック】" not in lead["analysis_text"] and "新しいカメラ" in lead["analysis_text"]
    assert len(lead["analysis_text"]) == len(lead["text"])  # offsets hold
    assert FOOTER in plain.iloc[0]["analysis_text"]


@pytest.mark.parametrize("n_articles,blanked", [(MIN_ARTICLES, True), (5, False)])
def test_a_run_leaves_furniture_out_of_tokens(tmp_path, n_articles, blanked):
    from pipeline import Config, run

    for i in range(n_articles):
        (tmp_path / f"a{i:02d}.txt").write_text(article(i), encoding="utf-8")
    result = run(Config(inputs=(str(tmp_path),), cache=None, n_topics=2))
    terms = set(result.tokens["term"])
    assert ("瞬時" in terms) is not blanked and ("週刊テック" in terms) is not blanked
    assert "発表" in terms


def test_copies_of_one_story_are_one_article_in_every_part():
    story = article(3)
    alone = census([story] * MIN_ARTICLES)
    assert alone.n_articles == 1 and not furniture(alone)  # a syndicated story is not template
    # parts of a corpus counted apart (chunks, workers) and merged: copies still count once
    first, second = census([story, article(4)]), census([story, article(5)])
    first.merge(second)
    assert first.n_articles == 3
    assert first.lines[line_key(FOOTER)] == 3 and first.labels["【週刊テック】"] == 3
    assert first.lines[line_key("メーカーはテレビを来月発売すると発表した。")] == 1  # the copy
