from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from _browser import Browser, chromium

from pipeline.plots import load_tables
from pipeline.report import build_report, write_report


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory, seeds_dir):
    from pipeline import Config, run

    out = tmp_path_factory.mktemp("report") / "o"
    run(Config(inputs=(str(seeds_dir),), n_topics="auto", cache=None, out=out)).write()
    return out


def test_report_is_self_contained(out_dir):
    page = build_report(load_tables(out_dir))
    assert page.startswith("<!DOCTYPE html>")
    # heatmap, top terms, themes and topics over time, k selection
    assert page.count("data:image/png;base64,") == 5
    # Scripts are inline: nothing is fetched.
    assert "http://" not in page.replace("https://", "") and "<script src" not in page
    assert "<link" not in page and "src='http" not in page
    assert "日米地位協定" in page and "<mark>" in page
    # Japanese text in the page needs no system font: a subset of IPAex Gothic is embedded
    # IPAex covers every character of the seeds but ✅, which DejaVu lacks too: one font.
    assert page.count("data:font/woff;base64,") == 1
    assert len(page) < 3_000_000


def test_report_opens_in_headless_chromium(out_dir, tmp_path):
    import matplotlib.image as mpimg

    browser = chromium()
    if browser is None:
        pytest.skip("chromium is not installed and could not be installed (needs root and apt)")
    path = write_report(load_tables(out_dir), out_dir / "report.html")
    shot = tmp_path / "report.png"
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
         f"--screenshot={shot}", "--window-size=1280,1800", path.resolve().as_uri()],
        check=True, timeout=120, capture_output=True,
    )
    image = mpimg.imread(shot)
    assert image.shape[:2] == (1800, 1280)
    assert image.std() > 0.05  # the page drew text and plots, not a blank


def test_report_shows_group_comparisons(tmp_path, seeds_dir):
    from pipeline import Config, run

    corpus = tmp_path / "outlets"
    for i, path in enumerate(sorted(seeds_dir.glob("*.txt"))):
        (corpus / ("朝日" if i % 2 else "読売")).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, corpus / ("朝日" if i % 2 else "読売") / path.name)
    out = tmp_path / "o"
    run(Config(inputs=(str(corpus),), cache=None, out=out, group_from="folder",
               by=("folder",), keyness_themes=("tariffs",))).write()
    page = build_report(load_tables(out))
    # The four plots of a plain run, then shares by group, group x month, distinctive words.
    assert page.count("data:image/png;base64,") == 4 + 3
    assert "<h2>Distinctive words by group</h2>" in page
    assert "<h3>by folder in the sections tagged tariffs</h3>" in page
    assert "<td>朝日</td>" in page and "<td>読売</td>" in page


def _missing_glyphs(page: str) -> tuple[list[str], set[int]]:
    """Characters the page shows that no embedded font has, and every character shown."""
    import base64
    import html as html_module
    import io
    import re

    from fontTools.ttLib import TTFont

    covered = set()
    for font_data in re.findall(r"data:font/woff;base64,([A-Za-z0-9+/=]+)", page):
        covered |= set(TTFont(io.BytesIO(base64.b64decode(font_data))).getBestCmap())
    body = page[page.index("<body>"):]
    body = re.sub(r"data:[^'\"]+", "", body)  # images and the fonts themselves
    text = html_module.unescape(re.sub(r"<[^>]+>", "", body))
    shown = {ord(c) for c in text if not c.isspace()}
    return sorted(chr(c) for c in shown - covered), shown


def _only_emoji(missing: list[str]) -> bool:
    return all(0x2600 <= ord(c) < 0x2800 or ord(c) >= 0x1F000 for c in missing)


def test_the_embedded_font_has_a_glyph_for_every_character_shown(out_dir):
    missing, shown = _missing_glyphs(build_report(load_tables(out_dir)))
    # Every character of the evidence, tables, headings and explorer text is in an embedded
    # font, but the emoji no shipped font has (the seeds have ✅ and 💡), left to the
    # reader's fonts.
    assert "✅" in missing and _only_emoji(missing), missing
    assert {ord(c) for c in "日米地位協定"} <= shown


def test_symbols_the_japanese_font_lacks_come_from_a_second_embedded_font():
    from pipeline.report import _font_face

    css = _font_face("日本語の記事 ✔ Ωλ")
    assert css.count("@font-face") == 2 and "'jtopics-symbols'" in css
    assert _font_face("日本語の記事").count("@font-face") == 1



def _explore(browser: Browser, path, word: str) -> dict:
    """Drive the explorer as a reader would; what it showed at each step."""
    seconds = browser.open(path.resolve().as_uri(), "document.body.dataset.ready")
    seen = {"seconds": seconds}
    seen["theme_rows"] = browser.evaluate(
        "document.querySelectorAll('#theme-sections li').length")
    # Choose another theme with sections: its list replaces the first one's.
    themes = browser.evaluate("""[...document.querySelectorAll('#theme-select option')]
        .map(o => o.value)""")
    start = browser.evaluate("document.getElementById('theme-select').value")
    seen["start_theme"] = start
    browser.evaluate(f"""(() => {{ const s = document.getElementById('theme-select');
        s.value = {themes[-1]!r}; s.dispatchEvent(new Event('change')); }})()""")
    seen["chosen_rows"] = browser.evaluate(
        "document.querySelectorAll('#theme-sections li').length")
    browser.evaluate(f"""(() => {{ const s = document.getElementById('theme-select');
        s.value = {start!r}; s.dispatchEvent(new Event('change')); }})()""")
    browser.click("#theme-sections a.open")
    seen["opened"] = browser.evaluate("document.getElementById('section-view').dataset.section")
    seen["marks"] = browser.evaluate("document.querySelectorAll('#section-view mark').length")
    seen["opened_text"] = browser.evaluate(
        "document.querySelector('#section-view pre').textContent")
    browser.type_text("#search-word", word)
    browser.click("#search-form button")
    seen["hits"] = browser.evaluate("document.querySelectorAll('#kwic-results li').length")
    seen["hit_terms"] = browser.evaluate(
        "[...document.querySelectorAll('#kwic-results li mark')].map(m => m.textContent)")
    browser.click("#kwic-results a.open")
    seen["search_opened"] = browser.evaluate(
        "document.getElementById('section-view').dataset.section")
    return seen


@pytest.mark.parametrize("size", ["seeds", "livedoor"])
def test_the_explorer_works_in_a_real_browser(size, out_dir, tmp_path, request):
    from pipeline import Config, run

    executable = chromium()
    if executable is None:
        pytest.skip("chromium is not installed and could not be installed (needs root and apt)")
    folder, word = out_dir, "地位協定"
    if size == "livedoor":
        sample = request.getfixturevalue("livedoor_sample")(15)
        corpus = tmp_path / "livedoor"
        corpus.mkdir()
        for name, data in sample:
            (corpus / name).write_bytes(data)
        # Real Livedoor news is almost all off-topic: the seeds give the explorer themes.
        for seed in sorted((Path(__file__).parent.parent / "seeds").glob("*.txt")):
            (corpus / seed.name).write_bytes(seed.read_bytes())
        folder, word = tmp_path / "out", "映画"
        run(Config(inputs=(str(corpus),), cache=None, out=folder)).write()
    tables = load_tables(folder)
    path = write_report(tables, folder / "report.html")
    missing, _shown = _missing_glyphs(path.read_text(encoding="utf-8"))
    assert _only_emoji(missing), missing  # no tofu at either size
    browser = Browser(executable)
    try:
        seen = _explore(browser, path, word)
        browser.screenshot(tmp_path / "report.png")
    finally:
        browser.close()
    assert seen["seconds"] < 5
    assert seen["theme_rows"] > 0 and seen["chosen_rows"] >= 0
    # The explorer starts on the first theme with sections; its strongest section opens.
    tagged = tables["themes"][tables["themes"]["n_sections"].astype(int) > 0]
    assert seen["start_theme"] == tagged["theme_id"].iloc[0]
    ranked = tables["section_themes"].sort_values(["score", "section_id"],
                                                  ascending=[False, True])
    strongest = ranked[ranked["theme_id"] == seen["start_theme"]]["section_id"]
    assert seen["opened"] == strongest.iloc[0]
    text = tables["sections"].set_index("section_id").loc[seen["opened"], "text"]
    assert seen["opened_text"] == text and seen["marks"] > 0
    assert seen["hits"] > 0 and set(seen["hit_terms"]) == {word}
    assert seen["search_opened"] in set(tables["sections"]["section_id"])
    import matplotlib.image as mpimg

    assert mpimg.imread(tmp_path / "report.png").std() > 0.05


def test_max_sections_bounds_the_text_the_explorer_embeds(out_dir):
    from pipeline.report import explorer_data

    tables = load_tables(out_dir)
    small = explorer_data(tables, max_sections=3)
    assert 0 < len(small["sections"]) <= 3
    full = explorer_data(tables)
    assert len(full["sections"]) == len(set(tables["section_themes"]["section_id"]) | set(
        tables["section_topics"]["section_id"]))  # the seeds: every listed section fits
    assert len(build_report(tables, max_sections=3)) < len(build_report(tables))
    # Each theme has its colour, the same as the plots'.
    from pipeline.plots import theme_colors

    colors = theme_colors(tables)
    assert {t["id"]: t["color"] for t in full["themes"]} == colors
    assert len(set(colors.values())) == len(colors)


def test_the_explorer_works_without_any_theme(tmp_path):
    """Real news is mostly off-topic: a corpus with no theme tag still gives a working page."""
    from pipeline import Config, run

    executable = chromium()
    if executable is None:
        pytest.skip("chromium is not installed and could not be installed (needs root and apt)")
    corpus = tmp_path / "films"
    corpus.mkdir()
    for i in range(3):
        (corpus / f"a{i}.txt").write_text(
            f"映画の話題 {i}\n今週公開の映画は評判が良い。主演の俳優も話題だ。\n\n"
            "見どころ\n映像が美しく、音楽も素晴らしい。\n", encoding="utf-8")
    run(Config(inputs=(str(corpus),), cache=None, out=tmp_path / "out")).write()
    tables = load_tables(tmp_path / "out")
    assert tables["section_themes"].empty
    path = write_report(tables, tmp_path / "out" / "report.html")
    browser = Browser(executable)
    try:
        assert browser.open(path.resolve().as_uri(), "document.body.dataset.ready") < 5
        assert browser.evaluate("document.querySelectorAll('#theme-sections li').length") == 0
        assert "no sections" in browser.evaluate(
            "document.getElementById('theme-sections').textContent")
        browser.type_text("#search-word", "映画")
        browser.click("#search-form button")
        assert browser.evaluate("document.querySelectorAll('#kwic-results li').length") > 0
    finally:
        browser.close()
