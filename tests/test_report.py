from __future__ import annotations

import os
import shutil
import subprocess

import pytest

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
    assert page.count("data:image/png;base64,") == 4
    assert "http://" not in page.replace("https://", "") and "<script" not in page
    assert "<link" not in page and "src='http" not in page
    assert "日米地位協定" in page and "<mark>" in page
    # Japanese text in the page needs no system font: a subset of IPAex Gothic is embedded
    # IPAex covers every character of the seeds but ✅, which DejaVu lacks too: one font.
    assert page.count("data:font/woff;base64,") == 1
    assert len(page) < 3_000_000


def _chromium() -> str | None:
    """Debian's chromium, installed here when missing (root with apt), else None."""
    found = shutil.which("chromium")
    if found or os.environ.get("JTOPICS_NO_APT") or not hasattr(os, "geteuid"):
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, timeout=600,
                       capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env,
                       timeout=900, capture_output=True)
    except (subprocess.SubprocessError, OSError):
        return None
    return shutil.which("chromium")


def test_report_opens_in_headless_chromium(out_dir, tmp_path):
    import matplotlib.image as mpimg

    browser = _chromium()
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
    assert page.count("data:image/png;base64,") == 3 + 3
    assert "<h2>Distinctive words by group</h2>" in page
    assert "<h3>by folder in the sections tagged tariffs</h3>" in page
    assert "<td>朝日</td>" in page and "<td>読売</td>" in page


def test_the_embedded_font_has_a_glyph_for_every_character_shown(out_dir):
    import base64
    import html as html_module
    import io
    import re

    from fontTools.ttLib import TTFont

    page = build_report(load_tables(out_dir))
    covered = set()
    for font_data in re.findall(r"data:font/woff;base64,([A-Za-z0-9+/=]+)", page):
        covered |= set(TTFont(io.BytesIO(base64.b64decode(font_data))).getBestCmap())
    body = page[page.index("<body>"):]
    body = re.sub(r"data:[^'\"]+", "", body)  # images and the font itself
    text = html_module.unescape(re.sub(r"<[^>]+>", "", body))
    shown = {ord(c) for c in text if not c.isspace()}
    missing = sorted(chr(c) for c in shown - covered)
    # Every character of the evidence, tables and headings is in an embedded font, but the
    # emoji no shipped font has (the seeds have one: ✅), left to the reader's fonts.
    assert missing == ["✅"], missing
    assert {ord(c) for c in "日米地位協定"} <= shown


def test_symbols_the_japanese_font_lacks_come_from_a_second_embedded_font():
    from pipeline.report import _font_face

    css = _font_face("日本語の記事 ✔ Ωλ")
    assert css.count("@font-face") == 2 and "'jtopics-symbols'" in css
    assert _font_face("日本語の記事").count("@font-face") == 1
