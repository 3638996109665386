from __future__ import annotations

import csv
import random
import shutil

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline import Config, run
from pipeline.cli import app
from pipeline.compare import Grouping, clustered_shares, group_themes, wilson
from pipeline.tables import OUTPUT_COLUMNS
from pipeline.textutil import period_label

# A planted corpus of three outlets (written here): shared filler sentences; 読売 and 朝日
# add a paragraph on the status-of-forces agreement to a planted share of their articles,
# each in its own words (運用改善/捜査権 against 抜本改定/裁判権); 毎日 never does, but writes
# about shogi in most of its articles.
FILLER = [
    "プロ野球の開幕を前に各球団が調整を進めている。", "週末は全国的に晴れて、行楽地はにぎわった。",
    "新しい図書館が市の中心部に完成した。", "美術館で印象派の作品を集めた展覧会が始まった。",
    "秋の味覚を楽しむ催しが各地で開かれている。", "地元の高校生が合唱コンクールで入賞した。",
    "市民マラソンには一万人が参加した。",
]
SHOGI = "将棋の名人戦で挑戦者が先勝し、将棋ファンが解説会に集まった。"
SOFA = {
    "読売": "日米地位協定をめぐり、政府は運用改善で対応する方針を示した。"
            "米軍関係者の事件では日本側の捜査権が課題になっている。",
    "朝日": "日米地位協定の抜本改定を求める声が沖縄で強まっている。"
            "米兵の事件で日本側の裁判権が制約される問題は続く。",
}
PLANTED = {"読売": 0.5, "朝日": 0.2, "毎日": 0.0}
PER_OUTLET = 40


def write_planted(path, seed: int = 0) -> dict[str, int]:
    """Write the corpus as a CSV an analyst would have; returns the SOFA articles per outlet."""
    rng = random.Random(seed)
    planted = dict.fromkeys(PLANTED, 0)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "outlet", "date", "title", "body", "author"])
        for outlet, share in PLANTED.items():
            for i in range(PER_OUTLET):
                sentences = rng.sample(FILLER, 3)
                if outlet == "毎日" and rng.random() < 0.6:
                    sentences.append(SHOGI)
                if share and rng.random() < share:
                    sentences.insert(1, SOFA[outlet])
                    planted[outlet] += 1
                writer.writerow([f"{outlet}-{i}", outlet, f"2025-0{1 + i % 3}-1{i % 9}",
                                 f"{outlet}の記事{i}", "".join(sentences),
                                 "" if i % 4 else f"記者{i}"])
    return planted


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("planted")
    counts = write_planted(folder / "articles.csv")
    result = run(Config(inputs=(str(folder / "articles.csv"),), by=("outlet", "published"),
                        keyness_themes=("sofa",), cache=None))
    return folder, counts, result


def test_table_columns_are_kept_as_metadata(planted):
    _folder, _counts, result = planted
    meta = result.article_meta
    assert list(meta.columns) == ["article_id", "key", "value"]
    # id, date, title and body are recognised by name; outlet and author are metadata, an
    # empty author cell is no row.
    assert set(meta["key"]) == {"outlet", "author"}
    assert (meta["key"] == "outlet").sum() == 3 * PER_OUTLET
    assert (meta["key"] == "author").sum() == 3 * PER_OUTLET // 4
    first = result.articles.set_index("article_id").loc["読売-0"]
    assert first["outlet"] == "読売" and first["title"] == "読売の記事0"
    assert first["published"] == "2025-01-10" and first["author"] == "記者0"
    assert list(result.tables()["articles"].columns) == OUTPUT_COLUMNS["articles"]


def test_group_themes_find_the_planted_shares(planted):
    _folder, counts, result = planted
    rows = result.group_themes
    assert list(rows.columns) == OUTPUT_COLUMNS["group_themes"]
    sofa = rows[(rows["by"] == "outlet") & (rows["period"] == "")
                & (rows["theme_id"] == "sofa")].set_index("group")
    for outlet, n in counts.items():
        row = sofa.loc[outlet]
        # One section per article: the tagger finds exactly the planted paragraphs.
        assert row["n_sections"] == n and row["group_sections"] == PER_OUTLET
        assert row["share"] == pytest.approx(n / PER_OUTLET)
        assert row["ci_low"] <= row["share"] <= row["ci_high"]
    assert counts["毎日"] == 0 and sofa.loc["毎日", "ci_low"] == 0
    assert 0 < sofa.loc["毎日", "ci_high"] < 0.15
    # Every theme of the taxonomy has a row per group, tagged or not.
    overall = rows[(rows["by"] == "outlet") & (rows["period"] == "")]
    assert len(overall) == 3 * len(result.themes)
    # Per month: the month rows' sections add up to the group's.
    monthly = rows[(rows["by"] == "outlet") & (rows["period"] != "") & (rows["theme_id"] == "sofa")]
    assert set(monthly["period"]) == {"2025-01", "2025-02", "2025-03"}
    assert monthly.groupby("group")["n_sections"].sum().to_dict() == counts
    published = rows[(rows["by"] == "published") & (rows["theme_id"] == "sofa")]
    assert set(published["group"]) == {"2025-01", "2025-02", "2025-03"}
    assert set(published["period"]) == {""}


def test_group_topics_shares_sum_to_one(planted):
    _folder, _counts, result = planted
    rows = result.group_topics
    assert list(rows.columns) == OUTPUT_COLUMNS["group_topics"]
    overall = rows[(rows["by"] == "outlet") & (rows["period"] == "")]
    assert overall.groupby("group")["share"].sum().to_numpy() == pytest.approx(1.0, abs=1e-5)
    assert (overall["ci_low"] <= overall["share"]).all()
    assert (overall["share"] <= overall["ci_high"]).all()
    assert set(overall["topic_id"]) == set(result.topic_summary["topic_id"])


def test_keyness_finds_the_planted_words(planted):
    _folder, _counts, result = planted
    rows = result.keyness
    assert list(rows.columns) == OUTPUT_COLUMNS["keyness"]

    def top(group, theme_id="", n=5):
        view = rows[(rows["by"] == "outlet") & (rows["group"] == group)
                    & (rows["theme_id"] == theme_id)].sort_values("rank")
        return list(view["term"].head(n))

    assert "将棋" in top("毎日")
    assert "抜本改定" in top("朝日", "sofa", 6) and "裁判権" in top("朝日", "sofa", 12)
    assert "捜査権" in top("読売", "sofa", 6)
    assert not set(top("読売", "sofa", 30)) & {"抜本改定", "裁判権"}
    # 毎日 has no sofa section: no rows of its own for the theme.
    assert top("毎日", "sofa") == []
    view = rows[(rows["by"] == "outlet") & (rows["group"] == "毎日") & (rows["theme_id"] == "")]
    assert (view["z"] > 0).all() and view["z"].is_monotonic_decreasing
    assert (view["count"] > view["expected"]).all()


def test_comparisons_do_not_depend_on_workers(planted, tmp_path):
    folder, _counts, result = planted
    parallel = run(Config(inputs=(str(folder / "articles.csv"),), by=("outlet", "published"),
                          keyness_themes=("sofa",), cache=None, workers=2, chunk_chars=2000))
    for name in ("group_themes", "group_topics", "keyness", "theme_trends", "article_meta"):
        pd.testing.assert_frame_equal(getattr(parallel, name), getattr(result, name),
                                      check_dtype=False)


def test_theme_trends_count_tagged_sections_per_period(planted):
    _folder, counts, result = planted
    trends = result.theme_trends
    assert list(trends.columns) == OUTPUT_COLUMNS["theme_trends"]
    sofa = trends[trends["theme_id"] == "sofa"]
    assert sofa["n_sections"].sum() == sum(counts.values())
    assert sofa["period_sections"].sum() == 3 * PER_OUTLET
    assert (sofa["share"] == (sofa["n_sections"] / sofa["period_sections"]).round(6)).all()
    assert len(trends) == 3 * len(result.themes)


def test_group_from_folder_makes_the_folder_a_field(tmp_path, seeds_dir):
    expected = {}
    for i, path in enumerate(sorted(seeds_dir.glob("*.txt"))):
        (tmp_path / f"outlet{i % 2}").mkdir(exist_ok=True)
        shutil.copy(path, tmp_path / f"outlet{i % 2}" / path.name)
        expected[path.stem] = f"outlet{i % 2}"
    result = run(Config(inputs=(str(tmp_path),), group_from="folder", by=("folder",),
                        cache=None))
    assert set(result.article_meta["key"]) == {"folder"}
    assert dict(zip(result.articles["article_id"], result.articles["folder"],
                    strict=True)) == expected
    assert set(result.group_themes["group"]) == {"outlet0", "outlet1"}


def test_cli_compares_by_a_column_and_refuses_unknown_fields(planted, tmp_path):
    folder, _counts, _result = planted
    runner = CliRunner()
    out = tmp_path / "out"
    done = runner.invoke(app, ["run", str(folder / "articles.csv"), "--out", str(out),
                               "--by", "outlet", "--period", "quarter", "--keyness-theme",
                               "sofa", "--no-cache", "-q"])
    assert done.exit_code == 0, done.output
    table = pd.read_csv(out / "group_themes.csv", keep_default_na=False)
    assert set(table["period"]) == {"", "2025-Q1"}
    assert (out / "keyness.csv").exists() and (out / "article_meta.csv").exists()

    for args, message in (
        (["--by", "region"], "--by region: no article has this field (fields: published, "
                             "outlet, author)"),
        (["--by", "folder"], "--by folder: no article has this field (folders: add "
                             "--group-from folder)"),
        (["--keyness-theme", "nosuch"], "--keyness-theme nosuch: no such theme"),
        (["--period", "decade"], "--period must be a str among 'day'"),
    ):
        target = tmp_path / "refused"
        failed = runner.invoke(app, ["run", str(folder / "articles.csv"), "--out", str(target),
                                     "--no-cache", "-q", *args])
        assert failed.exit_code == 2, (args, failed.output)
        assert message in " ".join(failed.output.split()), failed.output
        assert len(failed.output.strip().splitlines()) == 1
        assert not target.exists()


@pytest.mark.parametrize(("period", "label"), [
    ("day", "2025-07-15"), ("week", "2025-W29"), ("month", "2025-07"), ("quarter", "2025-Q3"),
    ("year", "2025")])
def test_period_labels(period, label):
    assert period_label("2025-07-15", period) == label
    assert period_label("", period) == ""
    assert period_label("2025-02-30", "week") == ""


def test_wilson_matches_the_textbook_values():
    low, high = wilson(np.array([0.5, 0.0]), np.array([100, 20]))
    # Wilson (1927): 50 of 100 -> [0.404, 0.596]; 0 of 20 -> [0, 0.161].
    assert low == pytest.approx([0.4038, 0.0], abs=1e-4)
    assert high == pytest.approx([0.5962, 0.1611], abs=1e-4)


def test_clustering_widens_the_interval():
    # 20 articles of 5 sections: all or nothing (10 tagged articles) against the same 50
    # tagged sections spread evenly.
    groups = np.zeros(20, dtype=np.int64)
    sizes = np.full(20, 5.0)
    clustered = clustered_shares(np.repeat([5.0, 0.0], 10)[:, None], sizes, groups, 1)
    spread = clustered_shares(np.tile([3.0, 2.0], 10)[:, None], sizes, groups, 1)
    assert clustered.share[0, 0] == spread.share[0, 0] == 0.5
    width = clustered.high - clustered.low
    assert width[0, 0] > 2 * (spread.high - spread.low)[0, 0]
    # All or nothing: as wide as 20 independent articles (t on 19 degrees of freedom).
    assert clustered.low[0, 0] < wilson(np.array(0.5), np.array(20))[0]


def test_a_group_of_one_article_gets_a_wide_interval():
    sections = pd.DataFrame({"section_id": ["a#0", "a#1", "b#0"],
                             "article_id": ["a", "a", "b"]})
    tags = pd.DataFrame({"section_id": ["a#0"], "theme_id": ["sofa"]})
    table = group_themes(sections, tags, ["sofa"], np.array(["a", "b"], dtype=object),
                         [Grouping("outlet", ["x", "y"], np.array([0, 1]))],
                         np.array(["", ""], dtype=object))
    x = table.set_index("group").loc["x"]
    assert x["share"] == 0.5 and x["ci_low"] < 0.1 and x["ci_high"] > 0.9


def test_interval_coverage_on_planted_corpora():
    from pipeline._simulate import planted_coverage

    found = planted_coverage(draws=200, n_articles=100, mean_sections=4, rho=0.3, seed=1)
    assert 0.93 <= found.themes <= 0.97
    assert 0.93 <= found.topics <= 0.97
    # Sections counted as independent trials under-cover: the clustering matters.
    assert found.themes_naive < 0.88


def test_comparison_tables_have_the_declared_types(planted):
    from pandas.api import types

    from pipeline.tables import TABLES

    _folder, _counts, result = planted
    check = {"str": lambda d: types.is_string_dtype(d) or types.is_object_dtype(d),
             "int64": lambda d: str(d) == "int64", "float64": lambda d: str(d) == "float64"}
    for name in ("article_meta", "theme_trends", "group_themes", "group_topics", "keyness"):
        frame = getattr(result, name)
        assert len(frame), name
        for column in TABLES[name].columns:
            assert check[column.dtype](frame[column.name].dtype), (name, column.name)
