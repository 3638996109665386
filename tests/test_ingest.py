from __future__ import annotations

import pytest

from pipeline.errors import InputFileError, UsageError
from pipeline.ingest import ingest

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
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "noise.txt").write_bytes(bytes([0x81, 0x20, 0xFF, 0xFE, 0x80]) * 3)
    articles, skipped = ingest([str(tmp_path)])
    assert list(articles["article_id"]) == ["good"]
    reasons = {s.source.rsplit("/", 1)[-1]: s.reason for s in skipped}
    assert reasons == {
        "empty.txt": "empty (no text)",
        "image.txt": "not text (binary data, NUL bytes)",
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
