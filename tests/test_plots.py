from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest

from pipeline.plots import ALL_PLOTS, load_tables, section_evidence_html, to_png


@pytest.fixture(scope="module")
def tables(tmp_path_factory, seeds_dir):
    import shutil

    from pipeline import Config, run

    # The seeds in two folders, compared by folder: every plot has something to draw.
    corpus = tmp_path_factory.mktemp("outlets")
    for i, path in enumerate(sorted(seeds_dir.glob("*.txt"))):
        folder = corpus / ("朝日" if i % 2 else "読売")
        folder.mkdir(exist_ok=True)
        shutil.copy(path, folder / path.name)
    result = run(Config(inputs=(str(corpus),), n_topics="auto", cache=None,
                        group_from="folder", by=("folder",)))
    return result.tables()


@pytest.mark.parametrize("name", ["group_theme_shares", "group_period_heatmap",
                                  "keyness_bars"])
def test_group_plots_are_none_without_group_tables(seeds_result, name):
    assert ALL_PLOTS[name](seeds_result.tables()) is None


@pytest.mark.parametrize("name", sorted(ALL_PLOTS))
def test_plots_render_japanese_without_missing_glyphs(tables, name):
    import matplotlib.image as mpimg

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = ALL_PLOTS[name](tables)
        assert fig is not None
        png = to_png(fig)
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)
               or "Glyph" in str(w.message)]
    assert missing == []
    texts = [t for ax in fig.axes for t in [ax.title, *ax.get_xticklabels(),
                                             *ax.get_yticklabels()] if t.get_text()]
    japanese = [t for t in texts if any("\u3040" <= ch <= "\u9fff" for ch in t.get_text())]
    assert japanese, "each plot carries Japanese text"
    fonts = {t.get_fontproperties().get_family()[0] for t in japanese}
    assert fonts == {"IPAexGothic"}
    image = mpimg.imread(io.BytesIO(png))
    assert image.shape[0] > 100 and image.std() > 0.01  # not blank


def test_plots_from_an_output_folder(tmp_path, seeds_dir):
    from pipeline import Config, run

    run(Config(inputs=(str(seeds_dir),), cache=None, out=tmp_path / "o", excel=True)).write()
    tables = load_tables(tmp_path / "o")
    assert tables["themes"]["label_ja"].iloc[0] == "関税・通商"  # BOM handled
    assert ALL_PLOTS["k_selection_curve"](tables) is None  # no auto run: no curve
    assert ALL_PLOTS["theme_heatmap"](tables) is not None


def test_section_evidence_is_highlighted_and_escaped(tables):
    html = section_evidence_html(tables, "002_e2682e32605dce2d#2")
    assert "<mark>日米地位協定</mark>" in html
    assert "sofa (1.00)" in html
    assert "<script" not in html
    with pytest.raises(KeyError):
        section_evidence_html(tables, "nope#0")


def test_plots_stay_a_page_at_corpus_scale():
    from pipeline.plots import theme_heatmap, theme_share_over_time

    # 2,000 articles over 40 months: the heatmap shows the 30 strongest, the trends one small
    # chart per theme, whatever the number of articles.
    rng = np.random.default_rng(0)
    ids = [f"a{i}" for i in range(2000)]
    months = [f"20{10 + i // 12 % 10:02d}-{i % 12 + 1:02d}" for i in range(40)]
    articles = pd.DataFrame({"article_id": ids, "title": ids})
    themes = pd.DataFrame({"theme_id": ["sofa", "tariffs"], "label_ja": ["地位協定", "関税"],
                           "label_en": ["SOFA", "Tariffs"], "n_sections": [1, 1]})
    tagged = pd.DataFrame({"article_id": rng.choice(ids, 600), "theme_id": "sofa",
                           "score": rng.random(600)})
    trends = pd.DataFrame([(t, m, int(rng.integers(0, 9)), 100, 0.05)
                           for t in ("sofa", "tariffs") for m in months],
                          columns=["theme_id", "period", "n_sections", "period_sections",
                                   "share"])
    tables = {"articles": articles, "themes": themes, "article_themes": tagged,
              "theme_trends": trends}
    heatmap = theme_heatmap(tables)
    assert heatmap.get_size_inches()[1] < 16
    assert "スコアの高い 30 件 / 2,000 記事" in heatmap.axes[0].get_title()
    trends_fig = theme_share_over_time(tables)
    assert len([ax for ax in trends_fig.axes if ax.get_visible() and ax.lines]) == 2
    assert trends_fig.get_size_inches()[1] < 8


def test_load_tables_can_leave_the_large_tables(tmp_path):
    pd.DataFrame({"a": [1]}).to_csv(tmp_path / "tokens.csv", index=False)
    pd.DataFrame({"b": [2]}).to_csv(tmp_path / "themes.csv", index=False)
    assert set(load_tables(tmp_path, skip=("tokens",))) == {"themes"}
    assert set(load_tables(tmp_path)) == {"themes", "tokens"}
