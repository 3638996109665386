from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import InputFileError, UsageError
from pipeline.ingest import TableColumns, ingest

TEXT = "日米首脳会談の行方\n石破首相とトランプ大統領が会談した。\n公開日:2025/02/08\n"


@pytest.mark.parametrize(
    ("encoding", "data", "expected"),
    [
        ("utf-8", TEXT.encode("utf-8"), "utf-8"),
        ("utf-8-sig", TEXT.encode("utf-8-sig"), "utf-8-sig"),
        ("utf-16", TEXT.encode("utf-16"), "utf-16"),
        ("cp932", TEXT.encode("cp932"), "cp932"),
        ("euc_jp", TEXT.encode("euc_jp"), "euc_jp"),
    ],
)
def test_every_supported_encoding_decodes_to_the_same_text(tmp_path, encoding, data, expected):
    (tmp_path / "a.txt").write_bytes(data)
    articles, skipped = ingest([str(tmp_path)])
    assert skipped == []
    row = articles.iloc[0]
    assert row["text"] == TEXT
    assert row["encoding"] == expected
    assert row["title"] == "日米首脳会談の行方"
    assert row["published"] == "2025-02-08"


def test_crlf_text_keeps_its_line_ends(tmp_path):
    (tmp_path / "a.txt").write_bytes(TEXT.replace("\n", "\r\n").encode("utf-8"))
    articles, _ = ingest([str(tmp_path)])
    assert articles.iloc[0]["text"] == TEXT.replace("\n", "\r\n")
    assert articles.iloc[0]["title"] == "日米首脳会談の行方"


def test_bad_files_are_skipped_with_a_reason(tmp_path):
    (tmp_path / "good.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "empty.txt").write_text("  \n\n", encoding="utf-8")
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (tmp_path / "noise.txt").write_bytes(bytes([0x81, 0x20, 0xFF, 0xFE, 0x80]) * 3)
    articles, skipped = ingest([str(tmp_path)])
    assert list(articles["article_id"]) == ["good"]
    reasons = {s.source.rsplit("/", 1)[-1]: s.reason for s in skipped}
    assert reasons == {
        "empty.txt": "empty (no text)",
        "image.txt": "not text (binary data)",
        "noise.txt": "cannot be decoded as UTF-8, UTF-16, CP932 or EUC-JP",
    }


def test_strict_mode_makes_a_bad_file_fatal(tmp_path):
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"empty\.txt: empty"):
        ingest([str(tmp_path)], strict=True)


def test_missing_path_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match=r"nowhere\.txt: no such file or folder"):
        ingest([str(tmp_path / "nowhere.txt")])


def test_folders_are_read_recursively_in_sorted_order_and_ids_deduplicated(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "b" / "a.md").write_text(TEXT, encoding="utf-8")
    (tmp_path / "b" / "skip.csv").write_text("x", encoding="utf-8")
    articles, _ = ingest([str(tmp_path)])
    assert list(articles["article_id"]) == ["a", "a-2"]


def test_folder_listing_compares_paths_by_parts_and_skips_hidden_linked_and_other_files(
        tmp_path):
    from pipeline.ingest import collect_files

    for name in ["a/b.txt", "a-b.txt", "a/C.TXT", "a/.hidden.txt", "a/notes.csv",
                 "z/deep/er/x.md", "dir.txt/y.txt"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(TEXT, encoding="utf-8")
    (tmp_path / "link").symlink_to(tmp_path / "z", target_is_directory=True)
    found = [p.relative_to(tmp_path).as_posix() for p in collect_files([str(tmp_path)])]
    # "a" < "a-b.txt" part by part, though "a/" > "a-" as strings.
    assert found == ["a/C.TXT", "a/b.txt", "a-b.txt", "dir.txt/y.txt", "z/deep/er/x.md"]
    assert found == [p.relative_to(tmp_path).as_posix() for p in sorted(
        tmp_path / f for f in found)]



def test_planned_files_carry_their_sizes_and_links_to_files_are_followed(tmp_path):
    from pipeline.ingest import collect_files, entry_size, plan_articles

    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text(TEXT * 2, encoding="utf-8")
    (tmp_path / "linked.txt").symlink_to(tmp_path / "a.txt")
    (tmp_path / "broken.txt").symlink_to(tmp_path / "missing.txt")
    (tmp_path / "folder.txt").mkdir()
    expected = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert collect_files([str(tmp_path)]) == expected
    entries, skipped = plan_articles([str(tmp_path)])
    assert not skipped
    assert [e["path"] for e in entries] == expected
    assert [entry_size(e) for e in entries] == [p.stat().st_size for p in expected]
    assert [e["size"] for e in entries] == [p.stat().st_size for p in expected]

def test_livedoor_layout_fills_url_date_and_title(tmp_path):
    text = ("http://news.livedoor.com/article/detail/4778030/\n2010-05-22T14:30:00+0900\n"
            "友人代表のスピーチ、独女はどうこなしている?\n本文です。\n")
    (tmp_path / "dokujo-1.txt").write_text(text, encoding="utf-8")
    row = ingest([str(tmp_path)])[0].iloc[0]
    assert row["url"] == "http://news.livedoor.com/article/detail/4778030/"
    assert row["published"] == "2010-05-22"
    assert row["title"] == "友人代表のスピーチ、独女はどうこなしている?"


def test_seed_articles(seeds_dir):
    articles, skipped = ingest([str(seeds_dir)])
    assert skipped == []
    assert len(articles) == 5
    assert articles["n_chars"].tolist() == articles["text"].str.len().tolist()
    assert (articles["sha256"].str.len() == 64).all()


def test_bundled_seeds_are_byte_copies_of_the_shared_ones(seeds_dir, shared_dir):
    shared = sorted((shared_dir / "seeds").glob("*.txt"))
    assert [p.name for p in shared] == sorted(p.name for p in seeds_dir.glob("*.txt"))
    for path in shared:
        assert (seeds_dir / path.name).read_bytes() == path.read_bytes()


# --- tabular inputs -------------------------------------------------------------------------

PASSAGES = [
    {"id": "n1", "text": "政府は28日、日米地位協定の運用改善を米側に求めた。",
     "date": "2025-10-28"},
    {"id": "n2", "text": "トランプ大統領は自動車関税を15%に引き下げると表明した。",
     "date": "2025/07/23"},
    {"id": "n3", "text": "尖閣諸島周辺の接続水域で中国海警局の船が確認された。", "date": ""},
]


def test_json_lines_one_article_per_row(tmp_path):
    import json

    path = tmp_path / "news.jsonl"
    path.write_text("\n".join(json.dumps(p, ensure_ascii=False) for p in PASSAGES) + "\n",
                    encoding="utf-8")
    articles, skipped = ingest([str(path)], columns=TableColumns(id_col="id", date_col="date"))
    assert skipped == []
    assert articles["article_id"].tolist() == ["n1", "n2", "n3"]
    assert articles["published"].tolist() == ["2025-10-28", "2025-07-23", ""]
    assert articles["source"].tolist() == [f"{path}:1", f"{path}:2", f"{path}:3"]
    assert articles["text"].tolist() == [p["text"] for p in PASSAGES]


def test_text_column_is_found_by_name_and_rows_without_text_are_skipped(tmp_path):
    path = tmp_path / "news.jsonl"
    path.write_text('{"body": "日米同盟の強化。"}\n{"body": ""}\nnot json\n[1, 2]\n',
                    encoding="utf-8")
    articles, skipped = ingest([str(path)])
    assert articles["article_id"].tolist() == ["news-1"]
    assert [(s.source.rsplit(":", 1)[-1], s.reason) for s in skipped] == [
        ("3", "invalid JSON (Expecting value)"),
        ("4", "not a JSON object"),
        ("2", "empty (no text)"),
    ]


def test_missing_text_column_is_a_clear_error(tmp_path):
    path = tmp_path / "news.jsonl"
    path.write_text('{"headline": "x", "lede": "y"}\n', encoding="utf-8")
    with pytest.raises(InputFileError, match=r"no text column found; name it with --text-col "
                                             r"\(columns: headline, lede\)"):
        ingest([str(path)], strict=True)
    with pytest.raises(InputFileError, match="no column 'story'"):
        ingest([str(path)], strict=True, columns=TableColumns(text_col="story"))


def test_csv_in_cp932_and_parquet(tmp_path):
    import pandas as pd

    frame = pd.DataFrame({
        "記事ID": ["a", "b"], "本文": [PASSAGES[0]["text"], PASSAGES[1]["text"]],
        "見出し": ["地位協定", "関税"], "url": ["https://example.jp/a", "https://example.jp/b"],
    })
    csv_path = tmp_path / "news.csv"
    csv_path.write_bytes(frame.to_csv(index=False).encode("cp932"))
    parquet_path = tmp_path / "news.parquet"
    frame.to_parquet(parquet_path)
    cols = TableColumns(id_col="記事ID", title_col="見出し", url_col="url")
    from_csv, _ = ingest([str(csv_path)], columns=cols)
    from_parquet, _ = ingest([str(parquet_path)], columns=cols)
    for articles in (from_csv, from_parquet):
        assert articles["article_id"].tolist() == ["a", "b"]
        assert articles["title"].tolist() == ["地位協定", "関税"]
        assert articles["url"].tolist() == ["https://example.jp/a", "https://example.jp/b"]
        assert articles["text"].tolist() == frame["本文"].tolist()
    assert from_csv["encoding"].iloc[0] == "cp932"


def test_standard_input(monkeypatch):
    import io
    import sys

    class FakeStdin:
        buffer = io.BytesIO(TEXT.encode("euc_jp"))

    monkeypatch.setattr(sys, "stdin", FakeStdin())
    articles, _ = ingest(["-"])
    assert articles["article_id"].tolist() == ["stdin"]
    assert articles["text"].iloc[0] == TEXT
    assert articles["encoding"].iloc[0] == "euc_jp"


def test_duplicate_ids_get_a_deterministic_suffix(tmp_path):
    path = tmp_path / "news.jsonl"
    path.write_text('{"id": "x", "text": "関税。"}\n{"id": "x", "text": "同盟。"}\n'
                    '{"id": "x-2", "text": "基地。"}\n', encoding="utf-8")
    articles, _ = ingest([str(path)], columns=TableColumns(id_col="id"))
    assert articles["article_id"].tolist() == ["x", "x-3", "x-2"]


def test_livedoor_articles_from_the_shared_corpus(tmp_path, shared_dir):
    import tarfile

    from pipeline.segment import segment

    archive = shared_dir / "corpora" / "livedoor-news-corpus.tar.gz"
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers()
                   if m.isfile() and "/it-life-hack/" in m.name and "LICENSE" not in m.name][:20]
        for member in members:
            member.name = member.name.rsplit("/", 1)[-1]
            tar.extract(member, tmp_path, filter="data")
    articles, skipped = ingest([str(tmp_path)])
    assert skipped == [] and len(articles) == 20
    assert articles["url"].str.startswith("http://news.livedoor.com/").all()
    assert articles["published"].str.match(r"^20\d\d-\d\d-\d\d$").all()
    first_lines = articles["text"].str.split("\n").str[2].str.strip()
    assert (articles["title"] == first_lines).all()
    sections = segment(articles).sections
    leads = sections[sections["kind"] == "lead"]
    assert (leads["line_start"] == 3).all()
    assert not sections["text"].str.contains("news.livedoor.com/article").any()


# --- fuzzing: arbitrary bytes and text only ever give the documented errors ---------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_arbitrary_bytes_decode_or_raise_the_documented_error(data):
    from pipeline.ingest import decode

    try:
        text, encoding = decode(data, "fuzz.bin")
    except InputFileError as exc:
        assert str(exc).startswith("fuzz.bin: ")
        assert exc.problem in {"not text (binary data)",
                               "cannot be decoded as UTF-8, UTF-16, CP932 or EUC-JP"} or (
            exc.problem.startswith("invalid "))
    else:
        assert isinstance(text, str) and encoding


@settings(max_examples=100, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.binary(max_size=200), min_size=1, max_size=4))
def test_folders_of_arbitrary_files_never_crash(tmp_path_factory, blobs):
    folder = tmp_path_factory.mktemp("fuzz")
    for i, blob in enumerate(blobs):
        (folder / f"f{i}.txt").write_bytes(blob)
    articles, skipped = ingest([str(folder)])
    assert len(articles) + len(skipped) == len(blobs)
    for row in articles.itertuples():
        assert row.n_chars == len(row.text) and row.text.strip()


@given(st.binary(max_size=300), st.integers(0, 40))
def test_binary_means_control_bytes_beyond_one_percent_or_four(text_bytes, n_controls):
    from pipeline.ingest import _looks_binary

    data = text_bytes + bytes([0, 1, 7, 9, 10, 27, 31]) * n_controls
    controls = sum(1 for b in data if b < 32 and b not in (9, 10, 12, 13, 27))
    assert _looks_binary(data) == (controls > max(4, 0.01 * len(data)))


def test_planned_files_carry_absolute_paths_for_workers_elsewhere(tmp_path, monkeypatch):
    from pipeline.ingest import plan_articles, read_articles

    (tmp_path / "a.txt").write_text("日米地位協定の改定。\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    entries, _ = plan_articles(["a.txt"])
    assert entries[0]["path"].is_absolute() and entries[0]["source"] == "a.txt"
    monkeypatch.chdir("/")  # a worker started in another folder
    articles, skipped, _ = read_articles(entries)
    assert skipped == [] and articles["source"].tolist() == ["a.txt"]


def test_license_and_readme_files_in_a_folder_are_skipped_with_a_reason(tmp_path):
    from pipeline.ingest import plan_articles

    for name in ("a.txt", "LICENSE.txt", "README.md", "CHANGES.txt", "readme-ja.txt"):
        (tmp_path / name).write_text("日米地位協定の改定。\n", encoding="utf-8")
    for strict in (False, True):
        entries, skipped = plan_articles([str(tmp_path)], strict=strict)
        assert [e["article_id"] for e in entries] == ["a"]
        assert sorted(Path(s.source).name for _o, s in skipped) == [
            "CHANGES.txt", "LICENSE.txt", "README.md", "readme-ja.txt"]
        assert all("not an article" in s.reason for _o, s in skipped)
    # named on its own, it is read
    entries, skipped = plan_articles([str(tmp_path / "README.md")])
    assert [e["article_id"] for e in entries] == ["README"] and not skipped


def _workbook(path: Path, sheets: dict[str, list[list[str]]]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_xlsx_in_a_folder_is_read_and_sheet_picks_one(tmp_path):
    from pipeline.config import TableColumns

    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    _workbook(tmp_path / "clips.xlsx", {
        "朝日": [["id", "text"], ["x1", "日米地位協定の改定を求めた。"]],
        "読売": [["id", "text"], ["y1", "防衛費の増額を議論した。"]]})
    articles, skipped = ingest([str(tmp_path)])
    assert articles["article_id"].tolist() == ["a", "x1", "y1"] and skipped == []
    assert articles["source"].tolist()[1:] == [f"{tmp_path}/clips.xlsx:朝日:2",
                                               f"{tmp_path}/clips.xlsx:読売:2"]
    articles, _ = ingest([str(tmp_path / "clips.xlsx")], columns=TableColumns(sheet="読売"))
    assert articles["article_id"].tolist() == ["y1"]
    with pytest.raises(InputFileError, match=r"no sheet '毎日' for --sheet \(sheets: 朝日, 読売\)"):
        ingest([str(tmp_path / "clips.xlsx")], strict=True, columns=TableColumns(sheet="毎日"))


def test_include_and_exclude_globs_choose_the_files_of_a_folder(tmp_path):
    from pipeline.config import FileFilter
    from pipeline.ingest import plan_articles

    for name in ("2024/a.txt", "2024/b.txt", "2025/c.txt", "LICENSE.txt", "notes.csv"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("id,text\nn1,日米首脳会談。\n" if name.endswith(".csv")
                                     else TEXT, encoding="utf-8")

    def planned(**globs):
        entries, skipped = plan_articles([str(tmp_path)], files=FileFilter(**globs))
        return ([e["article_id"] for e in entries],
                sorted((Path(s.source).name, s.reason.split(" (")[0].split(";")[0])
                       for _o, s in skipped))

    # by default: text files; the licence and a table in the folder are reported, not read
    assert planned() == (["a", "b", "c"], [
        ("LICENSE.txt", "not an article"),
        ("notes.csv", "a .csv table in a folder is not read unless named")])
    assert planned(exclude=("2024/*",)) == (["c"], [
        ("LICENSE.txt", "not an article"),
        ("notes.csv", "a .csv table in a folder is not read unless named")])
    assert planned(include=("2024/*", "notes.csv")) == (["a", "b", "n1"], [])
    assert planned(include=("*.txt",), exclude=("b.txt",)) == (["a", "c", "LICENSE"], [])


def test_table_columns_are_recognised_by_name_with_a_notice(tmp_path):
    from pipeline.ingest import plan_articles

    (tmp_path / "clips.csv").write_text(
        "記事ID,媒体,日付,見出し,本文\nk1,朝日,2025年2月8日,首脳会談,日米首脳会談が開かれた。\n",
        encoding="utf-8")
    notices: list[str] = []
    entries, _ = plan_articles([str(tmp_path / "clips.csv")], notices=notices)
    row = entries[0]
    assert (row["article_id"], row["title"], row["published"], row["meta"]) == (
        "k1", "首脳会談", "2025-02-08", {"媒体": "朝日"})
    assert notices == [f"{tmp_path}/clips.csv: columns read as text '本文', id '記事ID', "
                       "title '見出し', date '日付' (no url column; name one with --url-col); "
                       "metadata: 媒体"]


@pytest.mark.parametrize(("opening", "date"), [
    ("日米首脳会談\n2024年6月11日 22時05分\n", "2024-06-11"),
    ("日米首脳会談\n令和7年2月8日\n場所：ワシントン\n", "2025-02-08"),
    ("日米首脳会談\n平成元年１月８日（日）\n", "1989-01-08"),
    ("日米首脳会談\n２０２５年２月８日\n", "2025-02-08"),
    ("日米首脳会談\n2022.5.4\n夕刊フジ\n", "2022-05-04"),
    ("日米首脳会談\n佐藤記者\n\n\n掲載日：2025/3/1\n", "2025-03-01"),
    ("---\ntitle: 会談\ndate: 2025-07-21\n---\n# 会談\n", "2025-07-21"),
    # a sentence that mentions a date is not a date line; nor is a year alone
    ("日米首脳会談\n首相は2025年2月8日に大統領と会談した。\n2024年度予算\n", ""),
])
def test_a_date_line_among_the_first_lines_fills_published(tmp_path, opening, date):
    path = tmp_path / "a.txt"
    path.write_text(opening + "首相は大統領と会談し、同盟の強化で一致した。\n", encoding="utf-8")
    articles, _ = ingest([str(path)])
    assert articles["published"].tolist() == [date]


def test_front_matter_gives_the_title():
    from pipeline.ingest import front_matter

    lines = ["---", 'title: "宮古島の話"', "date: 2025-07-21", "tags:", "  - 旅", "---", "# x"]
    assert front_matter(lines) == (6, {"title": "宮古島の話", "date": "2025-07-21", "tags": ""})
    assert front_matter(["---", "これは本文の区切りではない文章です。", "---"]) == (0, {})
