from __future__ import annotations

import re

import pandas as pd
import pytest
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
    # the summary's top evidence lists terms, not the models' notes
    assert "日米地位協定" in result.output and "、、" not in result.output
    assert "verifier" not in result.output and "context:" not in result.output
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
    # in the words of the command line, not of the library's Config
    assert "error: --topics must be an int in the range [1, 1000]" in result.output
    assert "Config" not in result.output
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
    assert not (tmp_path / "o").exists()


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
    assert "error: --exclude-kinds must be a tuple of str among" in result.output


def test_standard_input_dash(tmp_path):
    out = tmp_path / "o"
    result = runner.invoke(app, ["run", "-", "--out", str(out), "-q"],
                           input="在日米軍の再編\n普天間飛行場の移設が議論された。\n".encode())
    assert result.exit_code == 0, result.output
    articles = pd.read_csv(out / "articles.csv")
    assert articles["article_id"].tolist() == ["stdin"]
    assert "us_bases" in pd.read_csv(out / "section_themes.csv")["theme_id"].tolist()


# --- bad inputs: exit code, one-line message, state of the output folder ---------------------

def run_cli(*args, input=None):
    return runner.invoke(app, ["run", *map(str, args)], input=input)


def one_error_line(result):
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


def good_folder(tmp_path, seeds_dir, name="in"):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "good.txt").write_bytes(next(seeds_dir.glob("002_*.txt")).read_bytes())
    return folder


def manifest(out):
    import json

    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def test_bad_files_in_a_folder_are_skipped_and_listed(tmp_path, seeds_dir):
    import zipfile

    folder = good_folder(tmp_path, seeds_dir)
    (folder / "blank.txt").write_text(" \n\u3000\n", encoding="utf-8")
    (folder / "empty.md").write_bytes(b"")
    (folder / "picture.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    with zipfile.ZipFile(folder / "archive.txt", "w") as z:
        z.writestr("a.bin", bytes(range(256)) * 8)
    (folder / "latin1.txt").write_bytes("caf\xe9 na\xefve \xff\xfe".encode("latin-1") * 3)
    out = tmp_path / "o"
    result = run_cli(folder, "--out", out, "-q", "--no-cache")
    assert result.exit_code == 0, result.output
    skipped = {s["source"].rsplit("/", 1)[-1]: s["reason"] for s in manifest(out)["skipped"]}
    assert skipped == {
        "archive.txt": "not text (binary data)",
        "blank.txt": "empty (no text)",
        "empty.md": "empty (no text)",
        "latin1.txt": "cannot be decoded as UTF-8, UTF-16, CP932 or EUC-JP",
        "picture.txt": "not text (binary data)",
    }
    assert pd.read_csv(out / "articles.csv")["article_id"].tolist() == ["good"]
    for name in skipped:
        assert f"{name}: " in result.output


def test_strict_makes_the_first_bad_file_fatal_and_writes_nothing(tmp_path, seeds_dir):
    folder = good_folder(tmp_path, seeds_dir)
    (folder / "blank.txt").write_text("\n", encoding="utf-8")
    out = tmp_path / "o"
    result = run_cli(folder, "--out", out, "--strict", "--no-cache")
    assert result.exit_code == 1
    assert one_error_line(result).endswith("blank.txt: empty (no text)")
    assert not out.exists()


def test_nul_bytes_in_text_are_read_as_spaces_with_a_warning(tmp_path):
    path = tmp_path / "nul.txt"
    path.write_bytes("日米地位協定の\x00改定を求めた。".encode())
    out = tmp_path / "o"
    result = run_cli(path, "--out", out, "-q", "--no-cache")
    assert result.exit_code == 0, result.output
    assert "1 NUL characters, read as spaces" in result.output
    assert "sofa" in pd.read_csv(out / "section_themes.csv")["theme_id"].tolist()
    assert manifest(out)["warnings"] == [f"{path}: 1 NUL characters, read as spaces"]


def test_table_problems(tmp_path):
    missing = tmp_path / "missing.jsonl"
    missing.write_text('{"headline": "x"}\n', encoding="utf-8")
    result = run_cli(missing, "--out", tmp_path / "o1", "--no-cache")
    assert result.exit_code == 1
    assert "missing.jsonl: no text column found" in one_error_line(result)
    assert not (tmp_path / "o1").exists()

    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text('{"id": "a", "text": "関税の話。"}\n{"id": "a", "text": "同盟の話。"}\n'
                     '{"id": "b", "text": ""}\n{broken\n', encoding="utf-8")
    out = tmp_path / "o2"
    result = run_cli(mixed, "--id-col", "id", "--out", out, "-q", "--no-cache")
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out / "articles.csv")["article_id"].tolist() == ["a", "a-2"]
    assert f"{mixed}:2: duplicate id 'a' renamed 'a-2'" in manifest(out)["warnings"]
    reasons = {s["source"]: s["reason"] for s in manifest(out)["skipped"]}
    assert reasons == {f"{mixed}:4": "invalid JSON (Expecting property name enclosed in "
                                      "double quotes)", f"{mixed}:3": "empty (no text)"}


def test_topic_counts_out_of_range(tmp_path, seeds_dir):
    for value in ("0", "10000", "-3"):
        result = run_cli(seeds_dir, "--topics", value, "--out", tmp_path / "o")
        assert result.exit_code == 2
        assert "error: --topics must be an int in the range [1, 1000]" in one_error_line(result)
    assert not (tmp_path / "o").exists()
    result = run_cli(seeds_dir, "--topics", "500", "--out", tmp_path / "o", "-q", "--no-cache")
    assert result.exit_code == 0
    assert "--topics 500 is more than the corpus supports" in result.output
    assert len(pd.read_csv(tmp_path / "o" / "topic_summary.csv")) == 24


def test_output_path_problems(tmp_path, seeds_dir):
    a_file = tmp_path / "file"
    a_file.write_text("x", encoding="utf-8")
    result = run_cli(seeds_dir, "--out", a_file, "--no-cache")
    assert result.exit_code == 1
    assert "output path exists and is not a folder" in one_error_line(result)
    assert a_file.read_text(encoding="utf-8") == "x"
    result = run_cli(seeds_dir, "--out", a_file / "sub", "--no-cache")
    assert result.exit_code == 1
    assert "cannot write output" in one_error_line(result)


def test_rerun_keeps_foreign_files_unless_force(tmp_path, seeds_dir):
    out = tmp_path / "o"
    assert run_cli(seeds_dir, "--out", out, "-q", "--format", "both").exit_code == 0
    (out / "my_notes.txt").write_text("keep me", encoding="utf-8")
    assert run_cli(seeds_dir, "--out", out, "-q").exit_code == 0
    assert (out / "my_notes.txt").read_text(encoding="utf-8") == "keep me"
    assert (out / "sections.parquet").exists()  # from the earlier run: not ours to delete
    assert run_cli(seeds_dir, "--out", out, "-q", "--force").exit_code == 0
    assert not (out / "my_notes.txt").exists() and not (out / "sections.parquet").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]  # no staging or backup left


def test_failed_run_leaves_previous_output_intact(tmp_path, seeds_dir, monkeypatch):
    out = tmp_path / "o"
    assert run_cli(seeds_dir, "--out", out, "-q").exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(*args, **kwargs):
        raise KeyboardInterrupt

    import pipeline.output

    monkeypatch.setattr(pipeline.output, "_write_table", broken)
    result = run_cli(seeds_dir, "--out", out, "-q")
    assert result.exit_code != 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


def test_unexpected_error_is_one_line_unless_debug(tmp_path, seeds_dir, monkeypatch):
    import pipeline.api

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(pipeline.api, "segment", boom)
    result = run_cli(seeds_dir, "--out", tmp_path / "o")
    assert result.exit_code == 1
    assert one_error_line(result) == (
        "error: unexpected RuntimeError: disk on fire (run again with --debug for the "
        "traceback)")
    debug = run_cli(seeds_dir, "--out", tmp_path / "o", "--debug")
    assert isinstance(debug.exception, RuntimeError)


def test_one_huge_line_is_processed(tmp_path):
    """A megabyte on one line (the rules are linear; benchmarks measure 50 MB)."""
    line = "日米地位協定の改定が議論された。さらに読む ⇒ロイター出典: https://example.com/a日本は交渉。"
    path = tmp_path / "big.txt"
    path.write_text(line * (1_000_000 // len(line)), encoding="utf-8")
    out = tmp_path / "o"
    result = run_cli(path, "--out", out, "-q", "--no-cache")
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out / "sections.csv")) == 1
    assert len(pd.read_csv(out / "articles.csv")["title"][0]) == 200
    assert "sofa" in pd.read_csv(out / "section_themes.csv")["theme_id"].tolist()


def test_report_and_show_commands(tmp_path, seeds_dir):
    out = tmp_path / "o"
    assert run_cli(seeds_dir, "--out", out, "-q", "--excel").exit_code == 0
    assert (out / "tables.xlsx").exists()
    report = runner.invoke(app, ["report", str(out)])
    assert report.exit_code == 0, report.output
    assert (out / "report.html").read_text(encoding="utf-8").count("data:image/png") >= 3
    show = runner.invoke(app, ["show", str(out)], env={"COLUMNS": "80"})
    assert show.exit_code == 0, show.output
    assert "日米同盟・安全保障" in show.output and "Topics" in show.output
    # Readable at 80 columns: no line wider (display cells: Japanese counts 2), each
    # strongest section on a line of its own with its score.
    from rich.cells import cell_len

    lines = show.output.splitlines()
    assert max(cell_len(line) for line in lines) <= 80
    assert any(re.match(r"^  [01]\.\d\d  \S+#\d+", line) for line in lines)
    missing = runner.invoke(app, ["show", str(tmp_path / "nothing")])
    assert missing.exit_code == 1
    assert "no such output folder" in missing.output


# --- what a new user hit (issue 27) ---------------------------------------------------------

def test_a_single_pdf_or_empty_file_gets_a_clear_error(tmp_path):
    (tmp_path / "paper.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n<<>>\nendobj\n")
    (tmp_path / "empty.txt").write_bytes(b"")
    for name, message in (("paper.pdf", "paper.pdf: .pdf files are not text: convert them"),
                          ("empty.txt", "empty.txt: empty (no text)")):
        result = runner.invoke(app, ["run", str(tmp_path / name), "--out", str(tmp_path / "o")])
        assert result.exit_code == 1, result.output
        assert message in result.output and "unexpected" not in result.output
        assert not (tmp_path / "o").exists()


def test_a_single_xlsx_is_read_as_a_table(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["id", "title", "text"])
    book.active.append(["a1", "地位協定", "政府は日米地位協定の改定を求めた。"])
    book.save(tmp_path / "articles.xlsx")
    out = tmp_path / "o"
    result = runner.invoke(app, ["run", str(tmp_path / "articles.xlsx"), "--out", str(out),
                                 "--id-col", "id", "--title-col", "title", "-q"])
    assert result.exit_code == 0, result.output
    articles = pd.read_csv(out / "articles.csv")
    assert articles[["article_id", "title", "encoding"]].values.tolist() == [
        ["a1", "地位協定", "xlsx"]]
    assert pd.read_csv(out / "section_themes.csv")["theme_id"].tolist() == ["sofa"]


def test_themes_add_runs_and_is_in_the_manifest(tmp_path, seeds_dir):
    import json

    extra = tmp_path / "extra.toml"
    extra.write_text('[[theme]]\nid = "taiwan"\nlabel_ja = "台湾"\nlabel_en = "Taiwan"\n'
                     '[theme.terms]\n"台湾有事" = 1.0\n', encoding="utf-8")
    out = tmp_path / "o"
    result = runner.invoke(app, ["run", str(seeds_dir), "--themes-add", str(extra), "--out",
                                 str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert "taiwan" in pd.read_csv(out / "themes.csv")["theme_id"].tolist()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["config"]["themes_add"] == [str(extra)]


def test_skip_tables_leaves_them_out_and_the_manifest_says_what_was_written(tmp_path):
    import json

    out = tmp_path / "o"
    result = runner.invoke(app, ["run", "--out", str(out), "--skip-tables", "tokens,sentences",
                                 "-q"])
    assert result.exit_code == 0, result.output
    assert not (out / "tokens.csv").exists() and not (out / "sentences.csv").exists()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "tokens" not in manifest["tables"] and "section_themes" in manifest["tables"]
    bad = runner.invoke(app, ["run", "--out", str(out), "--skip-tables", "tokenz"])
    assert bad.exit_code == 2 and "--skip-tables must be" in bad.output


def test_summary_time_is_the_wall_time(tmp_path):
    import re
    import time

    started = time.perf_counter()
    result = runner.invoke(app, ["run", "--out", str(tmp_path / "o"), "--workers", "2",
                                 "--chunk-chars", "5000"])
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    shown = float(re.search(r"skipped, ([0-9.]+) s", result.output).group(1))
    assert shown <= elapsed + 0.05


def test_evaluate_without_pred_writes_nothing_unless_asked(tmp_path, monkeypatch):
    from pathlib import Path

    data = Path(__file__).parent / "data"
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["evaluate", "--gold", str(data / "gold_seeds.csv")])
    assert result.exit_code == 0, result.output
    assert list(tmp_path.iterdir()) == []
    report = tmp_path / "eval.csv"
    errors = tmp_path / "errors.csv"
    result = runner.invoke(app, ["evaluate", "--gold", str(data / "gold_seeds.csv"),
                                 "--report", str(report), "--errors", str(errors)])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(report)["theme_id"].tolist()[-2:] == ["micro", "macro"]
    assert set(pd.read_csv(errors)["error"]) <= {"fp", "fn"}


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_kwic_writes_its_lines_to_a_file(tmp_path, suffix):
    target = tmp_path / f"kwic{suffix}"
    done = CliRunner().invoke(app, ["kwic", "地位協定", "--out", str(target)])
    assert done.exit_code == 0, done.output
    lines = (pd.read_csv(target, keep_default_na=False) if suffix == ".csv"
             else pd.read_excel(target, dtype=str).fillna(""))
    assert list(lines.columns) == ["section_id", "left", "term", "right", "char_start"]
    assert len(lines) > 0 and set(lines["term"]) == {"地位協定"}
    assert f"wrote {len(lines)} lines to {target}" in " ".join(done.output.split())


def test_kwic_refuses_an_unknown_file_type(tmp_path):
    done = CliRunner().invoke(app, ["kwic", "地位協定", "--out", str(tmp_path / "k.json")])
    assert done.exit_code == 2 and "must end in .csv or .xlsx" in done.output
    assert not (tmp_path / "k.json").exists()


def test_inputs_as_analysts_keep_them_include_sheet_and_column_notice(tmp_path):
    import openpyxl

    folder = tmp_path / "clips"
    folder.mkdir()
    book = openpyxl.Workbook()
    book.active.title = "朝日"
    book.active.append(["id", "outlet", "date", "title", "body"])
    book.active.append(["a1", "朝日", "2025-02-08", "地位協定",
                        "政府は日米地位協定の改定を求めた。"])
    other = book.create_sheet("読売")
    other.append(["id", "outlet", "date", "title", "body"])
    other.append(["y1", "読売", "2025-02-09", "防衛費", "防衛費の増額を議論した。"])
    book.save(folder / "clips.xlsx")
    (folder / "README.txt").write_text("このフォルダについて。\n", encoding="utf-8")
    (folder / "memo.txt").write_text("日米首脳会談\n令和7年2月8日\n首相は大統領と会談した。\n",
                                     encoding="utf-8")
    out = tmp_path / "o"
    result = runner.invoke(app, ["run", str(folder), "--out", str(out), "--sheet", "朝日",
                                 "--exclude", "memo.txt"])
    assert result.exit_code == 0, result.output
    articles = pd.read_csv(out / "articles.csv", keep_default_na=False)
    assert articles[["article_id", "title", "published"]].values.tolist() == [
        ["a1", "地位協定", "2025-02-08"]]
    assert "skipped: " in result.output and "README.txt: not an article" in result.output
    assert ("note: " in result.output and "columns read as text 'body', id 'id', title "
            "'title', date 'date'" in result.output and "metadata: outlet" in result.output)
    # --include names what a folder gives; the dated memo fills published from its date line
    result = runner.invoke(app, ["run", str(folder), "--out", str(out), "--force", "-q",
                                 "--include", "memo.txt", "--include", "README.txt"])
    assert result.exit_code == 0, result.output
    articles = pd.read_csv(out / "articles.csv", keep_default_na=False)
    assert articles[["article_id", "published"]].values.tolist() == [
        ["README", ""], ["memo", "2025-02-08"]]
    result = runner.invoke(app, ["run", str(folder / "clips.xlsx"), "--out", str(out),
                                 "--sheet", "毎日"])
    assert result.exit_code != 0
    assert "no sheet '毎日' for --sheet (sheets: 朝日, 読売)" in result.output
