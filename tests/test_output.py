from __future__ import annotations

import json

import pandas as pd
import pytest

from pipeline.errors import JTopicsError
from pipeline.output import write_tables

TABLES = {"a": pd.DataFrame({"x": [1, 2], "y": ["日米", "関税"]})}


def test_writes_csv_parquet_and_manifest_and_leaves_no_staging(tmp_path):
    out = tmp_path / "out"
    paths = write_tables(TABLES, out, "both", {"k": "値"})
    assert sorted(p.name for p in paths) == ["a.csv", "a.parquet", "manifest.json"]
    assert (out / "a.csv").read_text(encoding="utf-8") == "x,y\n1,日米\n2,関税\n"
    assert pd.read_parquet(out / "a.parquet").equals(TABLES["a"])
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8")) == {"k": "値"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_files_the_run_did_not_write_are_kept(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    write_tables(TABLES, out, "csv")
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_output_path_that_is_a_file_is_an_error(tmp_path):
    target = tmp_path / "file"
    target.write_text("x", encoding="utf-8")
    with pytest.raises(JTopicsError, match="output path exists and is not a folder"):
        write_tables(TABLES, target, "csv")


def test_a_failing_write_leaves_previous_output_intact(tmp_path):
    out = tmp_path / "out"
    write_tables(TABLES, out, "csv")
    before = (out / "a.csv").read_bytes()

    class Broken(pd.DataFrame):
        def to_csv(self, *args, **kwargs):
            raise OSError(28, "No space left on device")

    with pytest.raises(JTopicsError, match="cannot write output"):
        write_tables({"b": TABLES["a"], "a": Broken({"x": [9]})}, out, "csv")
    assert (out / "a.csv").read_bytes() == before
    assert not (out / "b.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_excel_workbook_and_bom_csv(tmp_path):
    import openpyxl

    tables = {"themes": pd.DataFrame({"theme_id": ["sofa"], "label_ja": ["日米地位協定"]}),
              "long": pd.DataFrame({"text": ["あ" * 40_000]})}
    out = tmp_path / "o"
    write_tables(tables, out, "csv", excel=True)
    assert (out / "themes.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    book = openpyxl.load_workbook(out / "tables.xlsx")
    assert book.sheetnames == ["themes", "long"]
    assert book["themes"]["B2"].value == "日米地位協定"
    assert len(book["long"]["A2"].value) == 32_767


def test_parquet_has_statistics_for_ids_and_numbers_not_for_text(tmp_path):
    import pyarrow.parquet as pq

    from pipeline.output import PartitionedTable, write_partitioned

    df = pd.DataFrame({"section_id": ["a#0", "a#1"], "text": ["日米", "関税"],
                       "score": [0.5, 0.75], "position": [3, 1], "is_content": [True, False]})
    df["text"] = df["text"].astype("string[pyarrow]")
    part = write_partitioned(df, tmp_path / "parts", 0)
    write_tables({"whole": df, "parted": PartitionedTable([part], ["section_id", "score"])},
                 tmp_path / "out", "parquet")
    expected = {"section_id": (True, "a#0", "a#1"), "text": (False,), "score": (True, 0.5, 0.75),
                "position": (True, 1, 3), "is_content": (True, False, True)}
    for path in (part, tmp_path / "out" / "whole.parquet",
                 tmp_path / "out" / "parted.parquet" / "part-00000.parquet"):
        row_group = pq.ParquetFile(path).metadata.row_group(0)
        found = {}
        for index in range(row_group.num_columns):
            column = row_group.column(index)
            stats = column.statistics
            has = stats is not None and stats.has_min_max
            found[column.path_in_schema] = (has, stats.min, stats.max) if has else (False,)
        assert found == {name: expected[name] for name in found}
        assert len(found) == (2 if "parted" in str(path) else 5)
    assert pd.read_parquet(tmp_path / "out" / "whole.parquet").equals(df)
