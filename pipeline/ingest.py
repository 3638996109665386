"""Stage 1: input files to the ``articles`` table.

Schema of the returned ``articles`` DataFrame, one row per readable article:

============  =====  ==============================================================
article_id    str    file stem (``-2``, ``-3`` … appended when two files share one)
source        str    the path as found
title         str    first non-blank line (line 3 in the Livedoor layout)
url           str    line 1 in the Livedoor layout, else ``""``
published     str    ISO date: Livedoor line 2, else the first 公開日 line, else ``""``
n_sections    int    filled in after segmentation (0 here)
n_chars       int    length of the decoded text
encoding      str    the encoding the file was decoded with
sha256        str    of the file's bytes
text          str    the decoded text (kept in memory, not written)
============  =====  ==============================================================
"""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .errors import InputFileError, UsageError
from .textutil import iso_datetime_date, published_date

TEXT_SUFFIXES = (".txt", ".md")
ARTICLE_COLUMNS = [
    "article_id", "source", "title", "url", "published", "n_sections", "n_chars",
    "encoding", "sha256", "text",
]
# Tried in order with strict decoding; UTF-16 only with a BOM (checked first).
_FALLBACK_ENCODINGS = ("utf-8", "cp932", "euc_jp")


@dataclass(frozen=True)
class Skipped:
    """An input that was reported and skipped."""

    source: str
    reason: str


def collect_files(inputs: Iterable[str]) -> list[Path]:
    """Expand files and folders (recursively, ``.txt``/``.md``) into a sorted file list.

    Raises
    ------
    UsageError
        When a path does not exist.
    """
    files: list[Path] = []
    for raw in inputs:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES and not p.name.startswith(".")
            )
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise UsageError(f"{raw}: no such file or folder")
    return files


def decode(data: bytes, source: str) -> tuple[str, str]:
    """Decode file bytes to text; returns ``(text, encoding)``.

    Raises
    ------
    InputFileError
        For binary data or bytes that decode in none of the supported encodings.
    """
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[len(codecs.BOM_UTF8):], "utf-8", source), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16", source), "utf-16"
    if b"\x00" in data[:8192]:
        raise InputFileError(source, "not text (binary data, NUL bytes)")
    for encoding in _FALLBACK_ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise InputFileError(source, "cannot be decoded as UTF-8, UTF-16, CP932 or EUC-JP")


def _strict(data: bytes, encoding: str, source: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputFileError(source, f"invalid {encoding} at byte {exc.start}") from None


def read_article(path: Path) -> dict[str, object]:
    """Read one file into an ``articles`` row (``article_id`` still the bare stem)."""
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(source, f"cannot be read ({exc.strerror})") from None
    text, encoding = decode(data, source)
    if not text.strip():
        raise InputFileError(source, "empty (no text)")
    lines = text.splitlines()
    title, url, published = _header(lines)
    return {
        "article_id": path.stem,
        "source": source,
        "title": title,
        "url": url,
        "published": published,
        "n_sections": 0,
        "n_chars": len(text),
        "encoding": encoding,
        "sha256": hashlib.sha256(data).hexdigest(),
        "text": text,
    }


def is_livedoor_header(lines: list[str]) -> bool:
    """Line 1 a URL and line 2 an ISO datetime: the Livedoor news corpus layout."""
    return (
        len(lines) >= 3
        and lines[0].strip().startswith(("http://", "https://"))
        and " " not in lines[0].strip()
        and bool(iso_datetime_date(lines[1]))
    )


def _header(lines: list[str]) -> tuple[str, str, str]:
    if is_livedoor_header(lines):
        return lines[2].strip(), lines[0].strip(), iso_datetime_date(lines[1])
    title = next((line.strip() for line in lines if line.strip()), "")
    published = next((d for d in map(published_date, lines) if d), "")
    return title, "", published


def ingest(inputs: Iterable[str], strict: bool = False) -> tuple[pd.DataFrame, list[Skipped]]:
    """Read every input into the ``articles`` table.

    Parameters
    ----------
    inputs : iterable of str
        Files and folders.
    strict : bool
        Raise on the first unreadable file instead of skipping it.

    Returns
    -------
    articles : DataFrame of shape (n_articles, 10)
        See the module docstring for the columns.
    skipped : list of Skipped
        Files that were reported and skipped, with the reason.
    """
    rows: list[dict[str, object]] = []
    skipped: list[Skipped] = []
    for path in collect_files(inputs):
        try:
            rows.append(read_article(path))
        except InputFileError as exc:
            if strict:
                raise
            skipped.append(Skipped(exc.path, exc.problem))
    _deduplicate_ids(rows)
    articles = pd.DataFrame(rows, columns=ARTICLE_COLUMNS)
    return articles.astype({"n_sections": "int64", "n_chars": "int64"}), skipped


def _deduplicate_ids(rows: list[dict[str, object]]) -> None:
    seen: dict[str, int] = {}
    for row in rows:
        base = str(row["article_id"])
        count = seen.get(base, 0) + 1
        seen[base] = count
        if count > 1:
            row["article_id"] = f"{base}-{count}"
