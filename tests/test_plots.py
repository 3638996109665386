from __future__ import annotations

import io
import warnings

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
