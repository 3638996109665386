"""Stage 1: inputs to the ``articles`` table.

Inputs are text files (``.txt``, ``.md``; folders are searched recursively for them), ``-`` for
standard input, and tables with one article per row: JSON Lines (``.jsonl``, ``.ndjson``), CSV
(``.csv``, ``.tsv``) and Parquet (``.parquet``), picked by extension.

Text files are decoded from UTF-8 (with or without BOM), UTF-16 (with BOM), CP932/Shift_JIS or
EUC-JP; charset-normalizer decides between the legacy Japanese encodings. The Livedoor news
layout (line 1 URL, line 2 ISO datetime, line 3 title) is recognised.

Schema of the returned ``articles`` DataFrame, one row per readable article:

============  =====  ==============================================================
article_id    str    file stem, or the id column of a table (else ``{stem}-{row}``);
                     ``-2``, ``-3`` … appended when two articles share one
source        str    the path as found (``path:line`` for a JSON Lines row, ``path:row`` for
                     other tables, ``<stdin>`` for standard input)
title         str    title column, Livedoor line 3, else the first non-blank line (cut at
                     200 characters)
url           str    url column, Livedoor line 1, else ``""``
published     str    ISO date: date column, Livedoor line 2, the first 公開日 line, or ``""``
n_sections    int    filled in after segmentation (0 here)
n_chars       int    length of the decoded text
encoding      str    the encoding the file was decoded with
sha256        str    of the article's bytes (of the text cell, UTF-8, for tables)
text          str    the decoded text (kept in memory, not written)
meta          dict   the article's metadata (kept in memory; written as ``article_meta``):
                     every column of a table that is not the text, id, title, date or URL,
                     and ``folder`` with ``group_from='folder'``; None when it has none
============  =====  ==============================================================

Table columns are recognised by name (case-insensitively) unless named with a flag: the text
(text, body, content, article, 本文, 記事, テキスト), the id (id, article_id, doc_id, 記事ID),
the title (title, headline, タイトル, 見出し, 表題), the date (published, date, published_at,
datetime, pubdate, 公開日, 日付, 掲載日) and the URL (url, link).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import os
import re
import sys
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .config import FileFilter, TableColumns
from .errors import InputFileError, UsageError
from .tables import OUTPUT_COLUMNS, empty_table
from .textutil import iso_datetime_date, line_date, normalize_heading, published_date

TEXT_SUFFIXES = (".txt", ".md")
TABLE_SUFFIXES = (".jsonl", ".ndjson", ".csv", ".tsv", ".parquet", ".xlsx")
# What a folder is searched for, and what of it is read without --include (see FileFilter).
FOLDER_SUFFIXES = (*TEXT_SUFFIXES, *TABLE_SUFFIXES)
FOLDER_DEFAULT_SUFFIXES = (*TEXT_SUFFIXES, ".xlsx")
# Document formats that are not text: named with the tool that converts them.
DOCUMENT_SUFFIXES = {".pdf": "pdftotext", ".doc": "LibreOffice", ".docx": "LibreOffice",
                     ".ppt": "LibreOffice", ".pptx": "LibreOffice", ".odt": "LibreOffice",
                     ".xls": "LibreOffice (or save as .xlsx)"}
STDIN = "-"
# Files found in a folder under these names are a corpus's papers, not its articles.
NOT_ARTICLES = ("LICENSE", "LICENCE", "README", "CHANGES", "CHANGELOG", "COPYING")
ARTICLE_COLUMNS = [
    "article_id", "source", "title", "url", "published", "n_sections", "n_chars",
    "encoding", "sha256", "text",
]
# Column names recognised (case-insensitively) when the column's flag is not given.
TEXT_COLUMN_NAMES = ("text", "body", "content", "article", "本文", "記事", "テキスト")
RECOGNISED_COLUMNS = {
    "id_col": ("id", "article_id", "doc_id", "記事id"),
    "title_col": ("title", "headline", "タイトル", "見出し", "表題"),
    "date_col": ("published", "date", "published_at", "datetime", "pubdate", "公開日", "日付",
                 "掲載日"),
    "url_col": ("url", "link"),
}
# The metadata field --group-from folder adds: the name of the folder holding the file.
GROUP_FROM = ("folder",)
_LEGACY_ENCODINGS = ["cp932", "euc_jp"]


@dataclass(frozen=True)
class Skipped:
    """An input (file or table row) that was reported and skipped."""

    source: str
    reason: str


@dataclass(frozen=True)
class Found:
    """A file to read: where, its size (None unless a folder listed it), and why not when it
    is to be skipped."""

    path: Path | str
    size: int | None = None
    skip: str = ""


def collect_files(inputs: Iterable[str], files: FileFilter | None = None) -> list[Path | str]:
    """Expand folders (recursively; see :class:`FileFilter`) into a sorted list of the files
    to read; keep ``-`` as is.

    Raises
    ------
    UsageError
        When a path does not exist.
    """
    return [found.path for found in _collect(inputs, files or FileFilter()) if not found.skip]


def _collect(inputs: Iterable[str], files: FileFilter) -> list[Found]:
    """:func:`collect_files` with each file's size, and the files found to skip."""
    found: list[Found] = []
    for raw in inputs:
        if raw == STDIN:
            found.append(Found(STDIN))
            continue
        path = Path(raw)
        if path.is_dir():
            # Sorted by parts, which is how paths compare (cheaper than Path comparisons).
            found.extend(sorted(_folder_files(path, files), key=lambda f: f.path.parts))
        elif path.is_file():
            found.append(Found(path))
        else:
            raise UsageError(f"{raw}: no such file or folder")
    return found


def _folder_files(root: Path, files: FileFilter) -> Iterator[Found]:
    """The files under ``root`` to read or to report (not hidden; linked folders not entered,
    links to files followed)."""
    for folder, _folders, names in os.walk(root):
        for name in names:
            suffix = os.path.splitext(name)[1].lower()
            if name.startswith(".") or suffix not in FOLDER_SUFFIXES:
                continue
            path = Path(folder, name)
            relative = path.relative_to(root).as_posix()
            if files.matches(files.exclude, relative):
                continue
            included = files.matches(files.include, relative)
            if files.include and not included:
                continue
            skip = ""
            if not included and path.stem.upper().startswith(NOT_ARTICLES):
                skip = (f"not an article ({name} in a folder; name the file or "
                        f"--include '{name}' to read it)")
            elif not included and suffix not in FOLDER_DEFAULT_SUFFIXES:
                skip = (f"a {suffix} table in a folder is not read unless named; name it or "
                        f"--include '*{suffix}'")
            try:
                if path.is_file():
                    yield Found(path, path.stat().st_size, skip)
            except OSError:
                continue


def decode(data: bytes, source: str) -> tuple[str, str]:
    """Decode bytes to text; returns ``(text, encoding)``.

    Raises
    ------
    InputFileError
        For binary data or bytes that decode in none of the supported encodings.
    """
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[len(codecs.BOM_UTF8):], "utf-8", source), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16", source), "utf-16"
    if _looks_binary(data):
        raise InputFileError(source, "not text (binary data)")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=_LEGACY_ENCODINGS).best()
    if best is not None:
        encoding = codecs.lookup(best.encoding).name.replace("-", "_")
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            pass
    raise InputFileError(source, "cannot be decoded as UTF-8, UTF-16, CP932 or EUC-JP")


# C0 controls but tab, line feed, form feed, carriage return and escape.
_CONTROL_BYTES = bytes(c for c in range(32) if c not in (9, 10, 12, 13, 27))


def _looks_binary(data: bytes) -> bool:
    """Control characters (NUL included) in more than 1% of the first 64 KiB: not text.

    A stray NUL in real text is kept (and read as a space by the analysis)."""
    head = data[:65536]
    if not head:
        return False
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls > max(4, 0.01 * len(head))


def _strict(data: bytes, encoding: str, source: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputFileError(source, f"invalid {encoding} at byte {exc.start}") from None


def _article(article_id: str, source: str, text: str, encoding: str, digest: str,
             title: str = "", url: str = "", published: str = "") -> dict[str, object]:
    if not text.strip():
        raise InputFileError(source, "empty (no text)")
    lines = text.splitlines()
    head_title, head_url, head_published = _header(lines)
    return {
        "article_id": article_id,
        "source": source,
        "title": title or head_title,
        "url": url or head_url,
        "published": published or head_published,
        "n_sections": 0,
        "n_chars": len(text),
        "encoding": encoding,
        "sha256": digest,
        "text": text,
    }


def read_article(path: Path, source: str | None = None) -> dict[str, object]:
    """Read one text file into an ``articles`` row (``article_id`` still the bare stem);
    ``source`` is how the user named it (default: ``path``)."""
    source = source or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(source, f"cannot be read ({exc.strerror})") from None
    text, encoding = decode(data, source)
    return _article(path.stem, source, text, encoding, hashlib.sha256(data).hexdigest())


def read_stdin() -> dict[str, object]:
    data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode()
    text, encoding = decode(data, "<stdin>")
    return _article("stdin", "<stdin>", text, encoding, hashlib.sha256(data).hexdigest())


_FRONT_MATTER_FIELD_RE = re.compile(r"^(?:[A-Za-z_][\w-]*\s*:.*|\s*-\s.*|\s*)$")
MAX_FRONT_MATTER_LINES = 60


def front_matter(lines: list[str]) -> tuple[int, dict[str, str]]:
    """A Markdown post's front matter (``---`` lines around ``key: value`` lines at the top):
    the number of lines it takes (0 without one) and its fields (values unquoted)."""
    if not lines or lines[0].strip() != "---":
        return 0, {}
    fields: dict[str, str] = {}
    for number, line in enumerate(lines[1:MAX_FRONT_MATTER_LINES], start=1):
        if line.strip() == "---":
            return number + 1, fields
        if not _FRONT_MATTER_FIELD_RE.match(line):
            return 0, {}
        key, sep, value = line.partition(":")
        if sep and not line.startswith((" ", "\t", "-")):
            fields[key.strip().lower()] = value.strip().strip("\"'")
    return 0, {}


def is_livedoor_header(lines: list[str]) -> bool:
    """Line 1 a URL and line 2 an ISO datetime: the Livedoor news corpus layout."""
    return (
        len(lines) >= 3
        and lines[0].strip().startswith(("http://", "https://"))
        and " " not in lines[0].strip()
        and bool(iso_datetime_date(lines[1]))
    )


MAX_TITLE_CHARS = 200
# How many of a plain-text article's first non-blank lines may hold its date line.
DATE_LINES = 6


def _header(lines: list[str]) -> tuple[str, str, str]:
    if is_livedoor_header(lines):
        return _short(lines[2].strip()), lines[0].strip(), iso_datetime_date(lines[1])
    skip, fields = front_matter(lines)
    first = next((line.strip() for line in lines[skip:] if line.strip()), "")
    title = _short(fields.get("title") or normalize_heading(first))
    published = _to_date(fields["date"]) if fields.get("date") else ""
    published = published or next((d for d in map(published_date, lines[skip:]) if d), "")
    if not published:  # a date line among the first lines (under the title, a byline…)
        opening = [line for line in lines[skip:] if line.strip()][:DATE_LINES]
        published = next((d for d in map(line_date, opening) if d), "")
    return title, "", published


def _short(title: str) -> str:
    """A title is one line of display text: a first line of a whole article is cut."""
    return title if len(title) <= MAX_TITLE_CHARS else title[: MAX_TITLE_CHARS - 1] + "…"


def _to_date(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    text = str(value).strip()
    if not text:
        return ""
    found = iso_datetime_date(text) or published_date(f"date:{text}")
    if found:
        return found
    parsed = pd.to_datetime(text, errors="coerce", utc=True)
    return "" if pd.isna(parsed) else parsed.strftime("%Y-%m-%d")


def _cell(row: dict, column: str | None) -> str:
    if column is None:
        return ""
    value = row.get(column)
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value)


def _named(columns: list[str], names: tuple[str, ...]) -> str | None:
    """The first of ``columns`` called one of ``names`` (case-insensitively), in names' order."""
    for name in names:
        for column in columns:
            if column.strip().lower() == name:
                return column
    return None


def _text_column(columns: list[str], given: str | None, source: str) -> str:
    if given is not None:
        if given not in columns:
            raise InputFileError(source, f"no column {given!r} (columns: {', '.join(columns)})")
        return given
    found = _named(columns, TEXT_COLUMN_NAMES)
    if found is None:
        raise InputFileError(
            source, f"no text column found; name it with --text-col (columns: "
                    f"{', '.join(columns)})")
    return found


def _meta_value(value: object) -> str | None:
    """A metadata cell as text; None for a missing one."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    text = str(value).strip()
    return text or None


def read_table(path: Path, cols: TableColumns, notices: list[str] | None = None,
               ) -> tuple[list[dict], list[Skipped]]:
    """Read a JSON Lines, CSV/TSV, Parquet or Excel file with one article per row (every
    sheet of a workbook, or ``cols.sheet``); ``notices`` receives a line saying which
    columns were recognised as what.

    Returns
    -------
    rows : list of dict
        ``articles`` rows.
    skipped : list of Skipped
        Rows that were malformed or had no text.

    Raises
    ------
    InputFileError
        When the file cannot be read at all or has no text column.
    """
    source = str(path)
    suffix = path.suffix.lower()
    records: list[tuple[str, dict]] = []  # (row source, record)
    skipped: list[Skipped] = []
    encoding = "utf-8"
    try:
        if suffix == ".parquet":
            frame = pd.read_parquet(path)
            records = [(f"{source}:{i + 1}", rec) for i, rec in
                       enumerate(frame.to_dict("records"))]
            encoding = "parquet"
        elif suffix == ".xlsx":
            # Every sheet, in workbook order; a row's source names its sheet and line.
            sheets = pd.read_excel(path, sheet_name=_sheet(path, cols.sheet), dtype=str,
                                   engine="openpyxl")
            if cols.sheet is not None:
                sheets = {cols.sheet: sheets}
            records = [(f"{source}:{sheet}:{i + 2}", rec)
                       for sheet, frame in sheets.items()
                       for i, rec in enumerate(frame.fillna("").to_dict("records"))]
            encoding = "xlsx"
        else:
            text, encoding = decode(path.read_bytes(), source)
            if suffix in (".jsonl", ".ndjson"):
                for number, line in enumerate(text.splitlines(), start=1):
                    if not line.strip():
                        continue
                    try:
                        record = json.loads(line)
                    except json.JSONDecodeError as exc:
                        skipped.append(Skipped(f"{source}:{number}", f"invalid JSON ({exc.msg})"))
                        continue
                    if not isinstance(record, dict):
                        skipped.append(Skipped(f"{source}:{number}", "not a JSON object"))
                        continue
                    records.append((f"{source}:{number}", record))
            else:
                delimiter = "\t" if suffix == ".tsv" else ","
                reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
                records = [(f"{source}:{i + 2}", dict(rec)) for i, rec in enumerate(reader)]
                if reader.fieldnames is None:
                    raise InputFileError(source, "empty table (no header row)")
    except OSError as exc:
        raise InputFileError(source, f"cannot be read ({exc.strerror or exc})") from None
    except (ValueError, ImportError, KeyError, zipfile.BadZipFile) as exc:
        raise InputFileError(source, f"cannot be read as a table ({exc})") from None
    if not records:
        if skipped:
            return [], skipped
        raise InputFileError(source, "empty table (no rows)")
    columns = [str(c) for c in dict.fromkeys(k for _, rec in records for k in rec)]
    text_col = _text_column(columns, cols.text_col, source)
    used = {"text_col": text_col}
    for name, names in RECOGNISED_COLUMNS.items():
        given = getattr(cols, name)
        if given is not None and given not in columns:
            raise InputFileError(source, f"no column {given!r} (columns: {', '.join(columns)})")
        used[name] = given if given is not None else _named(
            [c for c in columns if c != text_col], names)
    # Every other column is the article's metadata (outlet, category, author…).
    meta_columns = [c for c in columns if c not in used.values()]
    if notices is not None:
        notices.append(_columns_notice(source, used, meta_columns))

    rows = []
    for index, (row_source, record) in enumerate(records, start=1):
        text = _cell(record, text_col)
        article_id = _cell(record, used["id_col"]).strip() or f"{path.stem}-{index}"
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        try:
            row = _article(
                article_id, row_source, text, encoding, digest,
                title=_cell(record, used["title_col"]).strip(),
                url=_cell(record, used["url_col"]).strip(),
                published=_to_date(record.get(used["date_col"])) if used["date_col"] else "",
            )
        except InputFileError as exc:
            skipped.append(Skipped(exc.path, exc.problem))
            continue
        meta = {c: v for c in meta_columns if (v := _meta_value(record.get(c))) is not None}
        if meta:
            row["meta"] = meta
        rows.append(row)
    return rows, skipped


def _sheet(path: Path, sheet: str | None) -> str | None:
    """``sheet`` if the workbook has it (None: every sheet)."""
    if sheet is None:
        return None
    names = pd.ExcelFile(path, engine="openpyxl").sheet_names
    if sheet not in names:
        raise InputFileError(str(path), f"no sheet {sheet!r} for --sheet (sheets: "
                                        f"{', '.join(names)})")
    return sheet


_FLAGS = {"text_col": "text", "id_col": "id", "title_col": "title", "date_col": "date",
          "url_col": "url"}


def _columns_notice(source: str, used: dict[str, str | None], meta: list[str]) -> str:
    """One line: which column was read as what, and which are metadata."""
    chosen = ", ".join(f"{role} {used[name]!r}" for name, role in _FLAGS.items() if used[name])
    missing = [role for name, role in _FLAGS.items() if not used[name]]
    line = f"{source}: columns read as {chosen}"
    if missing:
        line += f" (no {'/'.join(missing)} column; name one with --{missing[0]}-col)"
    return line + (f"; metadata: {', '.join(meta)}" if meta else "")


def plan_articles(
    inputs: Iterable[str], strict: bool = False, columns: TableColumns | None = None,
    group_from: str | None = None, files: FileFilter | None = None,
    notices: list[str] | None = None,
) -> tuple[list[dict[str, object]], list[tuple[int, Skipped]]]:
    """What to read, in input order, without reading text files yet.

    Text files become pending entries (``article_id``, ``source``, ``path``) that
    :func:`read_articles` reads later, possibly in another process; standard input and table
    rows are read here. Ids are made unique across all entries (``-2``, ``-3`` … in input
    order), so they do not depend on which process reads which file. With ``group_from``
    ``'folder'``, each text file's metadata has ``folder``: the name of the folder holding it.
    ``files`` says which files of a folder are read; ``notices`` receives one line per table
    saying which of its columns were taken for what.

    Returns
    -------
    entries : list of dict
        Pending files and read rows, each with ``order`` (its position in the input).
    skipped : list of (int, Skipped)
        Inputs skipped here, with their position.
    """
    columns = columns or TableColumns()
    entries: list[dict[str, object]] = []
    skipped: list[tuple[int, Skipped]] = []
    for found in _collect(inputs, files or FileFilter()):
        item, size = found.path, found.size
        order = len(entries) + len(skipped)
        if found.skip:  # skipped even with --strict: they are not bad articles
            skipped.append((order, Skipped(str(item), found.skip)))
            continue
        try:
            if item == STDIN:
                entries.append({**read_stdin(), "order": order})
            elif item.suffix.lower() in TABLE_SUFFIXES:
                table_rows, table_skipped = read_table(item, columns, notices)
                if strict and table_skipped:
                    first = table_skipped[0]
                    raise InputFileError(first.source, first.reason)
                entries.extend({**row, "order": order} for row in table_rows)
                skipped.extend((order, s) for s in table_skipped)
            elif item.suffix.lower() in DOCUMENT_SUFFIXES:
                raise InputFileError(
                    str(item), f"{item.suffix.lower()} files are not text: convert them first "
                               f"(e.g. with {DOCUMENT_SUFFIXES[item.suffix.lower()]})")
            else:
                # An absolute path: worker processes may run in another folder.
                entry = {"article_id": item.stem, "source": str(item),
                         "path": item.absolute(), "order": order}
                if group_from == "folder":
                    entry["meta"] = {"folder": item.absolute().parent.name}
                if size is not None:
                    entry["size"] = size
                entries.append(entry)
        except InputFileError as exc:
            if strict:
                raise
            skipped.append((order, Skipped(exc.path, exc.problem)))
    _deduplicate_ids(entries)
    return entries, skipped


def entry_size(entry: dict[str, object]) -> int:
    """Bytes of text an entry holds or will read (for balancing chunks)."""
    if "size" in entry:  # found when the folder was listed
        return int(entry["size"])  # type: ignore[call-overload]
    if "path" in entry:
        try:
            return Path(entry["path"]).stat().st_size
        except OSError:
            return 0
    return len(str(entry["text"]).encode("utf-8"))


def read_articles(
    entries: list[dict[str, object]], strict: bool = False,
) -> tuple[pd.DataFrame, list[tuple[int, Skipped]], list[str]]:
    """The ``articles`` rows of planned entries, reading pending files.

    Returns
    -------
    articles : DataFrame of shape (n_articles, 11)
    skipped : list of (int, Skipped)
        Files that could not be read, with their input position.
    warnings : list of str
        Repairs (NUL characters read as spaces).
    """
    rows: list[dict[str, object]] = []
    skipped: list[tuple[int, Skipped]] = []
    for entry in entries:
        if "path" not in entry:
            rows.append(entry)
            continue
        try:
            row = read_article(Path(entry["path"]), str(entry["source"]))
        except InputFileError as exc:
            if strict:
                raise
            skipped.append((int(entry["order"]), Skipped(exc.path, exc.problem)))
            continue
        row["article_id"] = entry["article_id"]
        if "meta" in entry:
            row["meta"] = entry["meta"]
        rows.append(row)
    warnings = [f"{row['source']}: {row['text'].count(chr(0))} NUL characters, read as spaces"
                for row in rows if "\x00" in str(row["text"])]
    articles = pd.DataFrame(rows, columns=[*ARTICLE_COLUMNS, "meta"])
    return articles.astype({"n_sections": "int64", "n_chars": "int64"}), skipped, warnings


def ingest(
    inputs: Iterable[str], strict: bool = False, columns: TableColumns | None = None,
    warnings: list[str] | None = None, group_from: str | None = None,
) -> tuple[pd.DataFrame, list[Skipped]]:
    """Read every input into the ``articles`` table.

    Parameters
    ----------
    inputs : iterable of str
        Files, folders, and ``-`` for standard input.
    strict : bool
        Raise on the first unreadable file or row instead of skipping it.
    columns : TableColumns or None
        Column names for tabular inputs.
    warnings : list of str or None
        Receives one line per renamed duplicate id or repaired input.
    group_from : {'folder'} or None
        Add each text file's folder name to its metadata as ``folder``.

    Returns
    -------
    articles : DataFrame of shape (n_articles, 11)
        See the module docstring for the columns.
    skipped : list of Skipped
        Inputs that were reported and skipped, with the reason.
    """
    entries, skipped = plan_articles(inputs, strict, columns, group_from)
    articles, more_skipped, repairs = read_articles(entries, strict)
    if warnings is not None:
        warnings.extend(renamed_warnings(entries))
        warnings.extend(repairs)
    return articles, ordered_skips(skipped + more_skipped)


def ordered_skips(skipped: list[tuple[int, Skipped]]) -> list[Skipped]:
    """Skipped inputs in input order (they are found in several passes)."""
    return [s for _order, s in sorted(skipped, key=lambda x: x[0])]


def renamed_warnings(entries: list[dict[str, object]]) -> list[str]:
    """One line per entry whose id was made unique by :func:`plan_articles`."""
    return [f"{entry['source']}: duplicate id {entry['renamed_from']!r} renamed "
            f"{entry['article_id']!r}" for entry in entries if "renamed_from" in entry]


def _deduplicate_ids(rows: list[dict[str, object]]) -> list[tuple[str, str, str]]:
    """Give repeated ids ``-2``, ``-3`` … suffixes in input order; returns what was renamed."""
    seen: set[str] = {str(row["article_id"]) for row in rows}
    counts: dict[str, int] = {}
    renamed = []
    for row in rows:
        base = str(row["article_id"])
        counts[base] = counts.get(base, 0) + 1
        if counts[base] > 1:
            suffix = counts[base]
            while f"{base}-{suffix}" in seen:
                suffix += 1
            row["article_id"] = f"{base}-{suffix}"
            row["renamed_from"] = base
            seen.add(row["article_id"])
            renamed.append((str(row["source"]), base, str(row["article_id"])))
    return renamed


def meta_table(articles: pd.DataFrame) -> pd.DataFrame:
    """The ``article_meta`` table of ``articles.meta``: one row per (article, key), in article
    then column order."""
    if "meta" not in articles:
        return empty_table("article_meta")
    rows = [(article_id, key, value)
            for article_id, meta in zip(articles["article_id"], articles["meta"], strict=True)
            if isinstance(meta, dict) for key, value in meta.items()]
    return pd.DataFrame(rows, columns=OUTPUT_COLUMNS["article_meta"], dtype=object)
