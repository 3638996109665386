"""The one frozen configuration object passed down through every stage."""

from __future__ import annotations

import fnmatch
import os
from dataclasses import asdict, dataclass, field
from numbers import Integral, Real
from pathlib import Path
from typing import Any, ClassVar

from ._validation import (
    InstanceOf,
    Interval,
    NoneValue,
    Options,
    SubsetOf,
    validate_parameters,
)
from .tables import OUTPUT_COLUMNS, PERIODS, SENTENCE_KINDS

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_THEMES = PACKAGE_DIR / "data" / "themes.toml"
DEFAULT_STOPWORDS = PACKAGE_DIR / "data" / "stopwords.txt"


def default_seeds_dir() -> Path:
    """The bundled corpus: ``seeds/`` of the checkout (or of the current directory)."""
    for candidate in (PACKAGE_DIR.parent / "seeds", Path.cwd() / "seeds"):
        if candidate.is_dir():
            return candidate
    return PACKAGE_DIR.parent / "seeds"


@dataclass(frozen=True)
class TableColumns:
    """Which columns of a tabular input hold what. None: not given."""

    id_col: str | None = None
    text_col: str | None = None
    title_col: str | None = None
    date_col: str | None = None
    url_col: str | None = None
    sheet: str | None = None


@dataclass(frozen=True)
class FileFilter:
    """Which files of a folder are read: ``include`` and ``exclude`` globs (matched against
    the path below the folder and against the file name; ``*`` crosses folders).

    Without ``include``, a folder gives its text files (``.txt``, ``.md``) and workbooks
    (``.xlsx``); other tables found there are reported, not read. With ``include``, only the
    files it matches are read, tables included. ``exclude`` wins over both. Files named
    LICENSE, README, CHANGES … are skipped with a reason unless ``include`` names them
    (:mod:`pipeline.ingest` applies it).
    """

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def matches(self, patterns: tuple[str, ...], relative: str) -> bool:
        name = relative.rsplit("/", 1)[-1]
        return any(fnmatch.fnmatchcase(relative, p) or fnmatch.fnmatchcase(name, p)
                   for p in patterns)


@dataclass(frozen=True)
class Config:
    """Every option of a jtopics run. The CLI maps its options onto these fields one to one.

    Parameters
    ----------
    inputs : tuple of str
        Files or folders to read (folders recursively, ``.txt`` and ``.md``). Empty means the
        bundled ``seeds/``.
    out : Path
        Output folder for the tables.
    n_topics : int, 'auto' or None
        Number of NMF topics. None picks ``round(sqrt(n_documents))`` clamped to [2, 30] and to
        the number of documents; 'auto' chooses k by coherence and stability and writes the
        ``k_selection`` table.
    unit : {'section', 'article'}
        What one document of the topic model is.
    min_df, max_df : float or None
        TF-IDF document-frequency bounds (min_df >= 1 counts documents, below 1 is a share);
        None adapts them to the corpus size.
    seed : int
        Seed for every random choice (NMF initialisation). Pass an int for reproducible output
        across multiple calls.
    themes : Path or None
        Theme taxonomy TOML replacing the shipped one.
    themes_add : tuple of Path
        Taxonomy files extending the taxonomy (new themes, or more terms for known ones).
    formats : {'csv', 'parquet', 'both'}
        Table file formats to write.
    min_score : float
        Threshold in [0, 1] below which a theme is not tagged on a section.
    top_terms : int
        Number of top terms listed per topic in the ``topics`` table.
    max_iter : int
        Maximum NMF iterations.
    strict : bool
        Fail the run on the first unreadable input instead of skipping it.
    excel : bool
        Write CSV with a UTF-8 BOM (Excel opens Japanese correctly) and a ``tables.xlsx``
        workbook with one sheet per table.
    force : bool
        Replace the output folder outright: files in it that this run does not write are
        removed (by default they are kept).
    stopwords : Path or None
        Extra stopwords, one a line, added to the shipped list.
    terms : Path or None
        Terms always kept as one token, one a line (added to the taxonomy's multi-word terms).
    workers : int or None
        Processes for segmentation, tokenisation and theme scoring. None: all cores for inputs
        over 2 million characters, else 1. Results do not depend on it.
    cache : Path or None
        Token cache folder (keyed by text hash, dictionary version and tokenizer options);
        None (the default: the library writes nothing unless asked) disables it. The CLI's
        default is ``data/cache``.
    id_col, text_col, title_col, date_col, url_col : str or None
        Columns of tabular inputs (JSON Lines, CSV, Parquet). ``text_col`` may be omitted when
        a column is obviously the text (text, body, content, 本文…).
    sheet : str or None
        The sheet of Excel inputs to read (None: every sheet).
    include, exclude : tuple of str
        Globs choosing the files of input folders (see :class:`pipeline.ingest.FileFilter`):
        with ``include`` only the matching files are read (tables too), ``exclude`` leaves
        files out; LICENSE/README/CHANGES files are read only when included.
    exclude_kinds : tuple of str
        Sentence kinds left out of theme tagging, e.g. ``("comment", "citation")``.
    engine : {'local', 'dask'}
        Where the per-article stages (segmentation, tokenisation, theme evidence) run: this
        machine's processes, or Dask tasks. Results do not depend on it.
    scheduler : str or None
        Address of a running Dask scheduler (``tcp://host:8786``) for ``engine='dask'``; None
        starts a local cluster of ``workers`` processes.
    skip_tables : tuple of str
        Tables not to write (e.g. ``("tokens", "sentences")``: the token table is most of a
        corpus's output); they are still computed and in the :class:`Result`.
    chunk_chars : int
        Articles are processed in chunks of about this many characters (whole articles; the
        chunking depends only on the input). Each chunk's tokens go straight to a Parquet
        part file when the corpus has more than one chunk, so memory stays bounded.
    group_from : {'folder'} or None
        Add each text file's folder name to its metadata as ``folder`` (the Livedoor
        categories, or a folder per outlet).
    by : tuple of str
        Fields to compare groups by: metadata keys (the extra columns of a table input,
        ``folder``) or ``published`` (its periods). Each adds rows to ``group_themes``,
        ``group_topics`` and ``keyness``.
    period : {'day', 'week', 'month', 'quarter', 'year'}
        Periods of the trends tables, of ``published`` groups and of the per-period rows of
        the group tables.
    keyness_themes : tuple of str
        Themes whose tagged sections get keyness rows of their own ("how does each outlet
        talk about sofa").
    keyness_top : int
        Distinctive terms kept per group in ``keyness``.
    """

    inputs: tuple[str, ...] = ()
    out: Path = Path("data/out")
    n_topics: int | str | None = None
    unit: str = "section"
    min_df: float | None = None
    max_df: float | None = None
    seed: int = 0
    themes: Path | None = None
    themes_add: tuple[Path, ...] = ()
    formats: str = "csv"
    min_score: float = 0.5
    top_terms: int = 10
    max_iter: int = 500
    strict: bool = False
    excel: bool = False
    force: bool = False
    stopwords: Path | None = field(default=None)
    terms: Path | None = None
    workers: int | None = None
    cache: Path | None = None
    id_col: str | None = None
    text_col: str | None = None
    title_col: str | None = None
    date_col: str | None = None
    url_col: str | None = None
    sheet: str | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    exclude_kinds: tuple[str, ...] = ()
    engine: str = "local"
    scheduler: str | None = None
    chunk_chars: int = 300_000
    skip_tables: tuple[str, ...] = ()
    group_from: str | None = None
    by: tuple[str, ...] = ()
    period: str = "month"
    keyness_themes: tuple[str, ...] = ()
    keyness_top: int = 30

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "inputs": [InstanceOf(tuple, "a tuple of paths")],
        "out": [InstanceOf(Path, "a path")],
        "n_topics": [Interval(Integral, 1, 1000), Options(frozenset({"auto"})), NoneValue()],
        "unit": [Options(frozenset({"section", "article"}))],
        "min_df": [Interval(Real, 0.0, None), NoneValue()],
        "max_df": [Interval(Real, 0.0, 1.0), NoneValue()],
        "seed": [Interval(Integral, 0, 2**32 - 1)],
        "themes": [InstanceOf(Path, "a path"), NoneValue()],
        "themes_add": [InstanceOf(tuple, "a tuple of paths")],
        "formats": [Options(frozenset({"csv", "parquet", "both"}))],
        "min_score": [Interval(Real, 0.0, 1.0)],
        "top_terms": [Interval(Integral, 1, 1000)],
        "max_iter": [Interval(Integral, 1, 100_000)],
        "strict": [InstanceOf(bool, "a bool")],
        "force": [InstanceOf(bool, "a bool")],
        "excel": [InstanceOf(bool, "a bool")],
        "stopwords": [InstanceOf(Path, "a path"), NoneValue()],
        "terms": [InstanceOf(Path, "a path"), NoneValue()],
        "workers": [Interval(Integral, 1, 256), NoneValue()],
        "cache": [InstanceOf(Path, "a path"), NoneValue()],
        "id_col": [InstanceOf(str, "a str"), NoneValue()],
        "text_col": [InstanceOf(str, "a str"), NoneValue()],
        "title_col": [InstanceOf(str, "a str"), NoneValue()],
        "date_col": [InstanceOf(str, "a str"), NoneValue()],
        "url_col": [InstanceOf(str, "a str"), NoneValue()],
        "sheet": [InstanceOf(str, "a str"), NoneValue()],
        "include": [InstanceOf(tuple, "a tuple of globs")],
        "exclude": [InstanceOf(tuple, "a tuple of globs")],
        "exclude_kinds": [SubsetOf(frozenset(SENTENCE_KINDS))],
        "engine": [Options(frozenset({"local", "dask"}))],
        "scheduler": [InstanceOf(str, "a str"), NoneValue()],
        "chunk_chars": [Interval(Integral, 1, None)],
        "skip_tables": [SubsetOf(frozenset(OUTPUT_COLUMNS))],
        "group_from": [Options(frozenset({"folder"})), NoneValue()],
        "by": [InstanceOf(tuple, "a tuple of field names")],
        "period": [Options(frozenset(PERIODS))],
        "keyness_themes": [InstanceOf(tuple, "a tuple of theme ids")],
        "keyness_top": [Interval(Integral, 1, 10_000)],
    }

    def __post_init__(self) -> None:
        # Accept str paths and lists from notebooks; store the canonical types.
        if isinstance(self.inputs, (list, str)):
            seq = [self.inputs] if isinstance(self.inputs, str) else self.inputs
            object.__setattr__(self, "inputs", tuple(str(p) for p in seq))
        if isinstance(self.exclude_kinds, (list, str)):
            kinds = self.exclude_kinds.split(",") if isinstance(self.exclude_kinds, str) else (
                self.exclude_kinds)
            object.__setattr__(self, "exclude_kinds",
                               tuple(k.strip() for k in kinds if k.strip()))
        if isinstance(self.skip_tables, (list, str)):
            names = self.skip_tables.split(",") if isinstance(self.skip_tables, str) else (
                self.skip_tables)
            object.__setattr__(self, "skip_tables", tuple(n.strip() for n in names if n.strip()))
        for name in ("include", "exclude"):
            value = getattr(self, name)
            if isinstance(value, (list, str)):
                object.__setattr__(self, name, (value,) if isinstance(value, str) else tuple(
                    str(v) for v in value))
        for name in ("by", "keyness_themes"):
            value = getattr(self, name)
            if isinstance(value, (list, str)):
                items = value.split(",") if isinstance(value, str) else value
                object.__setattr__(self, name, tuple(dict.fromkeys(
                    str(v).strip() for v in items if str(v).strip())))
        if isinstance(self.themes_add, (list, tuple, str, Path)):
            seq = [self.themes_add] if isinstance(self.themes_add, (str, Path)) else (
                self.themes_add)
            object.__setattr__(self, "themes_add", tuple(Path(p) for p in seq))
        for name in ("out", "themes", "stopwords", "terms", "cache"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, Path(value))
        validate_parameters(type(self).__name__, self._parameter_constraints, self.__dict__)

    @property
    def input_paths(self) -> tuple[str, ...]:
        """The inputs to read: the given ones, or the bundled seeds."""
        return self.inputs or (str(default_seeds_dir()),)

    def workers_for(self, n_chars: int) -> int:
        """Tokenisation processes for a corpus of ``n_chars`` characters."""
        if self.workers is not None:
            return self.workers
        if self.engine == "dask":
            return max(1, os.cpu_count() or 1)
        return max(1, os.cpu_count() or 1) if n_chars > 2_000_000 else 1

    @property
    def table_columns(self) -> TableColumns:
        """Column names for tabular inputs."""
        return TableColumns(self.id_col, self.text_col, self.title_col, self.date_col,
                            self.url_col, self.sheet)

    @property
    def file_filter(self) -> FileFilter:
        """Which files of input folders are read."""
        return FileFilter(self.include, self.exclude)

    @property
    def themes_path(self) -> Path:
        return self.themes or DEFAULT_THEMES

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view, for the manifest."""
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, Path):
                data[key] = str(value)
            elif isinstance(value, tuple):
                data[key] = [str(v) if isinstance(v, Path) else v for v in value]
        return data
