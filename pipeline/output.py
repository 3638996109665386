"""Stage 7: write the tables, atomically.

Every table is written into a staging folder beside ``out`` first; only when all of them are
written are they moved into ``out`` one by one with ``os.replace`` (atomic per file), and
``manifest.json`` last. A failed run leaves earlier outputs untouched and no partial files.
Files in ``out`` that jtopics did not write are never removed.

CSV: UTF-8, header row, ``\\n`` line ends, floats as computed (rounded by the stages), so the
same input and seed give byte-identical files.

A table held as Parquet part files (:class:`PartitionedTable`, the tokens of a corpus processed
in chunks) is written as a folder ``NAME.parquet/`` of ``part-NNNNN.parquet`` files, which
``pandas.read_parquet`` (and pyarrow, Dask, DuckDB with a glob) reads as one table; its CSV is
written part by part, never held in memory whole.

Parquet files carry min/max statistics for numbers, booleans and id columns (what readers
filter row groups on), not for text columns: no reader filters on the minimum of a surface or
a sentence, and those statistics are a quarter of the time spent writing the token table.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import JTopicsError

FORMATS = {"csv": ("csv",), "parquet": ("parquet",), "both": ("csv", "parquet")}


EXCEL_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header row
EXCEL_MAX_CELL = 32_767


class PartitionedTable:
    """A table stored as Parquet part files in one folder, in order; read whole only on
    demand. The folder is removed when the object is garbage-collected if ``owned``.

    Parameters
    ----------
    paths : sequence of Path
        The part files, in row order.
    columns : sequence of str
        The table's columns.
    owned_folder : Path or None
        A spool folder this object deletes when it is garbage-collected.
    keep_alive : object
        Kept referenced (e.g. the owner of the spool folder the parts are in).
    side_paths : sequence of Path or None
        Beside each part, a file with more columns of the same rows (columns kept in memory
        but never written, so that the parts themselves hold exactly the written columns).
    """

    def __init__(self, paths: list[Path], columns: list[str],
                 owned_folder: Path | None = None, keep_alive: object = None,
                 side_paths: list[Path] | None = None) -> None:
        self.paths = [Path(p) for p in paths]
        self.columns = list(columns)
        self.side_paths = [Path(p) for p in side_paths] if side_paths is not None else None
        self._keep_alive = keep_alive
        if owned_folder is not None:
            self._cleanup = weakref.finalize(self, shutil.rmtree, str(owned_folder), True)

    def __len__(self) -> int:
        import pyarrow.parquet as pq

        return sum(pq.ParquetFile(p).metadata.num_rows for p in self.paths)

    def __getitem__(self, columns: list[str]) -> PartitionedTable:
        return PartitionedTable(self.paths, list(columns), keep_alive=self,
                                side_paths=self.side_paths)

    def parts(self):
        """Each part as a DataFrame, in order."""
        import pyarrow.parquet as pq

        for index, path in enumerate(self.paths):
            if self.side_paths is None:
                yield pd.read_parquet(path, columns=self.columns)
                continue
            own = set(pq.read_schema(path).names)
            main = pd.read_parquet(path, columns=[c for c in self.columns if c in own])
            rest = [c for c in self.columns if c not in own]
            if rest:
                side = pd.read_parquet(self.side_paths[index], columns=rest)
                main = pd.concat([main, side], axis=1)[self.columns]
            yield main

    def to_pandas(self) -> pd.DataFrame:
        frames = list(self.parts())
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
            columns=self.columns)


def write_parquet(table: pd.DataFrame | Any, path: Path) -> None:
    """Write a DataFrame (without its index) or an Arrow table as one Parquet file, with
    min/max statistics for ids and the columns that are not text."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if isinstance(table, pd.DataFrame):
        table = pa.Table.from_pandas(table, preserve_index=False)
    text = (pa.string(), pa.large_string(), pa.string_view())
    pq.write_table(table, path, write_statistics=[
        field.name for field in table.schema
        if field.name.endswith("_id") or field.type not in text])


def write_partitioned(df: pd.DataFrame, folder: Path, index: int) -> Path:
    """Write one part of a partitioned table, atomically; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"part-{index:05d}.parquet"
    tmp = folder / f".part-{index:05d}.tmp-{os.getpid()}"
    write_parquet(df, tmp)
    os.replace(tmp, path)
    return path


def _write_parts(table: PartitionedTable, path: Path, fmt: str, excel: bool) -> None:
    if fmt == "parquet":
        path.mkdir()
        import pyarrow.parquet as pq

        for index, source in enumerate(table.paths):
            target = path / f"part-{index:05d}.parquet"
            if pq.read_schema(source).names == table.columns:
                _link_or_copy(source, target)
            else:
                # Arrow to Arrow: the pandas metadata and column types carry over as they are.
                write_parquet(pq.read_table(source, columns=table.columns), target)
        return
    with open(path, "w", encoding="utf-8-sig" if excel else "utf-8", newline="") as handle:
        for number, part in enumerate(table.parts()):
            part.to_csv(handle, index=False, header=number == 0, lineterminator="\n")
        if not table.paths:
            handle.write(",".join(table.columns) + "\n")


def _write_table(df: pd.DataFrame, path: Path, fmt: str, excel: bool = False) -> None:
    if isinstance(df, PartitionedTable):
        _write_parts(df, path, fmt, excel)
    elif fmt == "csv":
        # With --excel, a BOM makes Excel read the UTF-8 (Japanese) correctly.
        df.to_csv(path, index=False, encoding="utf-8-sig" if excel else "utf-8",
                  lineterminator="\n")
    else:
        write_parquet(df, path)


def write_workbook(tables: Mapping[str, pd.DataFrame], path: Path) -> None:
    """One sheet per table (openpyxl). Tables over Excel's row limit are left out and named
    on a ``notes`` sheet; cells over its length limit are cut."""
    skipped = []
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, df in tables.items():
            if len(df) > EXCEL_MAX_ROWS:
                skipped.append((name, len(df)))
                continue
            view = df.to_pandas() if isinstance(df, PartitionedTable) else df.copy()
            for column in view.columns:
                if view[column].dtype == object or str(view[column].dtype).startswith("str"):
                    view[column] = view[column].astype(str).str.slice(0, EXCEL_MAX_CELL)
            view.to_excel(writer, sheet_name=name[:31], index=False)
        if skipped:
            pd.DataFrame(skipped, columns=["table", "rows"]).assign(
                note="over Excel's row limit: see the CSV/Parquet file"
            ).to_excel(writer, sheet_name="notes", index=False)


def write_tables(
    tables: Mapping[str, pd.DataFrame], out: Path, formats: str = "csv",
    manifest: dict[str, Any] | None = None, force: bool = False, excel: bool = False,
) -> list[Path]:
    """Write ``tables`` (name -> DataFrame) and ``manifest.json`` as the folder ``out``.

    Everything is written into a staging folder beside ``out``; files already in ``out`` that
    this run does not write are carried over (hard links), unless ``force``; then the staging
    folder takes the place of ``out`` by renames. An interrupted or failed run leaves the
    previous ``out`` as it was.

    Returns
    -------
    list of Path
        The files written, in ``out``.

    Raises
    ------
    JTopicsError
        When ``out`` is a file or cannot be written.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise JTopicsError(f"{out}: output path exists and is not a folder")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
        os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes it private; outputs are not
    except OSError as exc:
        raise JTopicsError(f"{out}: cannot write output ({exc.strerror or exc})") from None
    backup: Path | None = None
    try:
        names: list[str] = []
        for name, df in tables.items():
            for ext in FORMATS[formats]:
                filename = f"{name}.{ext}"
                _write_table(df, staging / filename, ext, excel)
                names.append(filename)
        if excel:
            write_workbook(tables, staging / "tables.xlsx")
            names.append("tables.xlsx")
        if manifest is not None:
            (staging / "manifest.json").write_text(
                json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                encoding="utf-8",
            )
            names.append("manifest.json")
        if out.exists():
            if not force:
                _carry_over(out, staging, set(names))
            backup = out.parent / f".{out.name}.old-{os.getpid()}"
            os.replace(out, backup)
        os.replace(staging, out)
    except OSError as exc:
        if backup is not None and backup.exists() and not out.exists():
            os.replace(backup, out)  # put the previous output back
        raise JTopicsError(f"{out}: cannot write output ({exc.strerror or exc})") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if backup is not None and out.exists():
            shutil.rmtree(backup, ignore_errors=True)
    return [out / n for n in names]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _carry_over(out: Path, staging: Path, written: set[str]) -> None:
    """Hard-link (or copy) what ``out`` holds besides this run's files into ``staging``."""
    for entry in out.iterdir():
        if entry.name in written:
            continue
        target = staging / entry.name
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, target, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(entry, target)


def _link_or_copy(source, target) -> None:
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, target, follow_symlinks=False)
