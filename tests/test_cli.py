from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from pipeline import __version__
from pipeline.cli import app

runner = CliRunner()


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"jtopics {__version__}"


def test_run_on_seeds_writes_tables_and_prints_summary(tmp_path, seeds_dir):
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(seeds_dir), "--out", str(out), "--topics", "4",
                                 "--format", "both"])
    assert result.exit_code == 0, result.output
    assert "section_themes" in result.output and "Themes" in result.output
    assert pd.read_csv(out / "topic_summary.csv")["topic_id"].tolist() == [0, 1, 2, 3]
    assert pd.read_parquet(out / "sections.parquet").shape[0] == 24
    assert (out / "manifest.json").exists()


def test_no_input_runs_the_bundled_seeds(tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert result.output == ""
    assert len(pd.read_csv(out / "articles.csv")) == 5


def test_bad_option_value_exits_2_with_one_line(tmp_path):
    result = runner.invoke(app, ["run", "--topics", "0", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "The 'n_topics' parameter of Config must be an int in the range [1, 1000]" in (
        result.output)
    assert not (tmp_path / "o").exists()


def test_missing_input_exits_2_and_names_it(tmp_path):
    result = runner.invoke(app, ["run", str(tmp_path / "gone"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "gone: no such file or folder" in result.output
    assert not (tmp_path / "o").exists()


def test_bad_taxonomy_exits_2(tmp_path, seeds_dir):
    bad = tmp_path / "bad.toml"
    bad.write_text("[[theme]\n", encoding="utf-8")
    result = runner.invoke(app, ["run", str(seeds_dir), "--themes", str(bad),
                                 "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "bad.toml: invalid TOML" in result.output


def test_skipped_file_is_reported_and_run_succeeds(tmp_path, seeds_dir):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_bytes((next(seeds_dir.glob("000_*.txt"))).read_bytes())
    (folder / "blank.txt").write_text("\n", encoding="utf-8")
    result = runner.invoke(app, ["run", str(folder), "--out", str(tmp_path / "o"), "-q"])
    assert result.exit_code == 0
    assert "blank.txt: empty (no text)" in result.output
    strict = runner.invoke(app, ["run", str(folder), "--out", str(tmp_path / "s"), "--strict"])
    assert strict.exit_code == 1
    assert "blank.txt: empty (no text)" in strict.output


def test_themes_lists_the_taxonomy():
    result = runner.invoke(app, ["themes"])
    assert result.exit_code == 0
    for theme_id in ("tariffs", "senkaku", "sofa", "indo_pacific"):
        assert theme_id in result.output


def test_json_lines_input_with_columns_and_exclude_kinds(tmp_path):
    import json

    rows = [{"id": "p1", "text": "政府は日米地位協定の改定を求めた。"},
            {"id": "p2", "text": "今日は晴れ。いやー、尖閣諸島の話もしたいですね!"}]
    path = tmp_path / "news.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    out = tmp_path / "o"
    result = runner.invoke(app, ["run", str(path), "--id-col", "id", "--text-col", "text",
                                 "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    sections = pd.read_csv(out / "sections.csv")
    assert sections["section_id"].tolist() == ["p1#0", "p2#0"]
    tagged = pd.read_csv(out / "section_themes.csv")
    assert tagged[["section_id", "theme_id"]].values.tolist() == [
        ["p1#0", "sofa"], ["p2#0", "senkaku"]]
    # The Senkaku mention is only in the author's comment: excluding comments drops it.
    excluded = runner.invoke(app, ["run", str(path), "--id-col", "id", "--exclude-kinds",
                                   "comment,citation", "--out", str(out), "-q"])
    assert excluded.exit_code == 0, excluded.output
    tagged = pd.read_csv(out / "section_themes.csv")
    assert tagged[["section_id", "theme_id"]].values.tolist() == [["p1#0", "sofa"]]


def test_bad_exclude_kind_exits_2(tmp_path):
    result = runner.invoke(app, ["run", "--exclude-kinds", "gossip", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "The 'exclude_kinds' parameter of Config must be a tuple of str among" in (
        result.output)


def test_standard_input_dash(tmp_path):
    out = tmp_path / "o"
    result = runner.invoke(app, ["run", "-", "--out", str(out), "-q"],
                           input="在日米軍の再編\n普天間飛行場の移設が議論された。\n".encode())
    assert result.exit_code == 0, result.output
    articles = pd.read_csv(out / "articles.csv")
    assert articles["article_id"].tolist() == ["stdin"]
    assert "us_bases" in pd.read_csv(out / "section_themes.csv")["theme_id"].tolist()
