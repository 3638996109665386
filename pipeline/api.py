"""The library entry point: :func:`run` a whole configuration, get every table back."""

from __future__ import annotations

import importlib.metadata
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import __version__
from ._parallel import DaskExecutor, Executor, ProcessExecutor, chunk_ranges
from .config import DEFAULT_STOPWORDS, Config
from .errors import JTopicsError, UsageError
from .ingest import Skipped, ingest
from .output import PartitionedTable, write_partitioned
from .segment import segment
from .themes import Theme, excluded_spans, finish_themes, lexical_scores, load_themes
from .tokenize import TOKEN_COLUMNS, Tokenizer, dictionary_version, load_wordlist, tokenize
from .topics import topic_tables
from .vectorize import DocumentTermMatrix, merge_counts, term_counts, vectorize_counts

STAGES = ("ingest", "segment", "tokenize", "vectorize", "topics", "themes")
# Columns written for each table; extra in-memory columns (text, analysis_text) stay out.
OUTPUT_COLUMNS: dict[str, list[str]] = {
    "articles": ["article_id", "source", "title", "url", "published", "n_sections", "n_chars",
                 "encoding", "sha256"],
    "sections": ["section_id", "article_id", "ordinal", "kind", "heading", "line_start",
                 "line_end", "char_start", "char_end", "published", "text"],
    "boilerplate": ["article_id", "line", "text"],
    "sentences": ["section_id", "sentence_id", "kind", "text", "char_start", "char_end"],
    "citations": ["section_id", "outlet", "url", "note"],
    "tokens": ["section_id", "position", "surface", "term", "pos", "pos_detail", "char_start",
               "char_end", "is_content", "parts"],
    "topics": ["topic_id", "rank", "term", "weight"],
    "topic_summary": ["topic_id", "label", "share", "coherence", "stability"],
    "section_topics": ["section_id", "topic_id", "weight"],
    "article_topics": ["article_id", "topic_id", "weight"],
    "topic_trends": ["topic_id", "period", "weight"],
    "k_selection": ["k", "coherence", "stability", "reconstruction_error", "score", "chosen"],
    "section_themes": ["section_id", "theme_id", "score", "evidence", "method"],
    "article_themes": ["article_id", "theme_id", "score", "n_sections"],
    "themes": ["theme_id", "label_ja", "label_en", "n_sections"],
}

ProgressCallback = Callable[[str], None]


@dataclass
class Result:
    """Every table of a run as a pandas DataFrame, plus the run's manifest.

    The tokens of a corpus processed in more than one chunk stay in Parquet part files
    (``token_table`` is a :class:`~pipeline.output.PartitionedTable`); :attr:`tokens` reads
    them into one DataFrame only when asked.
    """

    config: Config
    articles: pd.DataFrame
    sections: pd.DataFrame
    boilerplate: pd.DataFrame
    sentences: pd.DataFrame
    citations: pd.DataFrame
    token_table: pd.DataFrame | PartitionedTable
    topics: pd.DataFrame
    topic_summary: pd.DataFrame
    section_topics: pd.DataFrame
    article_topics: pd.DataFrame
    topic_trends: pd.DataFrame
    k_selection: pd.DataFrame
    section_themes: pd.DataFrame
    article_themes: pd.DataFrame
    themes: pd.DataFrame
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def tokens(self) -> pd.DataFrame:
        """The ``tokens`` table as one DataFrame (read from its part files when streamed)."""
        if isinstance(self.token_table, PartitionedTable):
            self.token_table = self.token_table.to_pandas()
        return self.token_table

    def tables(self) -> dict[str, pd.DataFrame]:
        """The output tables, with exactly the written columns, in writing order (the tokens
        of a chunked run as a :class:`~pipeline.output.PartitionedTable`)."""
        return {name: (self.token_table if name == "tokens" else getattr(self, name))[columns]
                for name, columns in OUTPUT_COLUMNS.items()}

    def manifest(self) -> dict[str, Any]:
        return {
            "jtopics_version": __version__,
            "config": self.config.to_dict(),
            "inputs": [
                {"article_id": r.article_id, "source": r.source, "sha256": r.sha256,
                 "encoding": r.encoding}
                for r in self.articles.itertuples(index=False)
            ],
            "skipped": [{"source": s.source, "reason": s.reason} for s in self.skipped],
            "warnings": list(self.warnings),
            "rows": {name: len(df) for name, df in self.tables().items()},
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "versions": _versions(),
        }

    def write(self, out: Path | str | None = None, formats: str | None = None,
              force: bool | None = None) -> list[Path]:
        """Write every table and ``manifest.json`` as the folder ``out`` (default: the
        config's), atomically; other files in it are kept unless ``force``."""
        from .output import write_tables

        started = time.perf_counter()
        target = Path(out) if out is not None else self.config.out
        manifest = self.manifest()
        paths = write_tables(self.tables(), target, formats or self.config.formats, manifest,
                             force=self.config.force if force is None else force,
                             excel=self.config.excel)
        self.seconds["output"] = time.perf_counter() - started
        return paths


class _StageTimer:
    """Times stages and reports each one's start to ``progress``."""

    def __init__(self, progress: ProgressCallback | None) -> None:
        self.progress = progress
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        if self.progress:
            self.progress(name)
        started = time.perf_counter()
        yield
        self.seconds[name] = time.perf_counter() - started


def _versions() -> dict[str, str]:
    versions = {}
    for package in ("fugashi", "unidic-lite", "scikit-learn", "pandas", "numpy", "pyarrow"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = "not installed"
    versions["unidic-lite dictionary"] = dictionary_version()
    return versions


_CHUNK_STATE: tuple[Tokenizer, tuple[Theme, ...]] | None = None


def _prepare_chunks(stopwords: frozenset[str] | None, terms: tuple[str, ...],
                    taxonomy: tuple[Theme, ...]) -> None:
    global _CHUNK_STATE
    _CHUNK_STATE = (Tokenizer(stopwords, terms), taxonomy)


@dataclass
class _Chunk:
    sections: pd.DataFrame
    boilerplate: pd.DataFrame
    sentences: pd.DataFrame
    citations: pd.DataFrame
    tokens: pd.DataFrame | Path
    counts: DocumentTermMatrix
    lexical: dict
    seconds: dict[str, float]


def _process_chunk(job: tuple) -> _Chunk:
    """Segment, tokenise and gather theme evidence for one chunk of articles (in a worker
    process or Dask task); the tokens go to a Parquet part file when ``spool`` is set."""
    index, articles, spool, cache, shards, exclude_kinds = job
    assert _CHUNK_STATE is not None
    tokenizer, taxonomy = _CHUNK_STATE
    seconds = {}
    started = time.perf_counter()
    segmented = segment(articles)
    seconds["segment"] = time.perf_counter() - started
    started = time.perf_counter()
    tokens = tokenize(segmented.sections, tokenizer, cache=cache, shards=shards)
    if spool is not None:
        tokens_out: pd.DataFrame | Path = write_partitioned(tokens[TOKEN_COLUMNS], spool, index)
    else:
        tokens_out = tokens
    seconds["tokenize"] = time.perf_counter() - started
    started = time.perf_counter()
    counts = term_counts(tokens, segmented.sections)
    seconds["vectorize"] = time.perf_counter() - started
    started = time.perf_counter()
    lexical = lexical_scores(segmented.sections, tokens, taxonomy,
                             excluded_spans(segmented.sentences, exclude_kinds))
    seconds["themes"] = time.perf_counter() - started
    return _Chunk(segmented.sections, segmented.boilerplate, segmented.sentences,
                  segmented.citations, tokens_out, counts, lexical, seconds)


def _executor(config: Config, workers: int) -> Executor:
    if config.engine == "dask":
        return DaskExecutor(config.scheduler, workers)
    return ProcessExecutor(workers) if workers > 1 else Executor()


def _spool_folder(out: Path) -> Path:
    import tempfile

    # Beside the output folder: on a cluster, storage the workers and this process share.
    out.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.tokens-", dir=out.parent))


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    # Empty chunk tables carry generic dtypes: leave them out so dtypes do not depend on
    # how the corpus was chunked.
    filled = [f for f in frames if len(f)] or frames[:1]
    return pd.concat(filled, ignore_index=True) if len(filled) > 1 else filled[0].reset_index(
        drop=True)


def run(config: Config | None = None, progress: ProgressCallback | None = None) -> Result:
    """Run every stage on ``config.inputs`` and return the tables (nothing is written).

    Articles are processed in chunks of about ``config.chunk_chars`` characters (segment,
    tokenise, count terms, find theme evidence), in this process, a process pool or Dask
    tasks; then the corpus-wide stages (TF-IDF, topics, the guided theme model) run here on
    the merged term counts. Outputs do not depend on the number of workers or the engine.

    Parameters
    ----------
    config : Config or None
        None runs the defaults on the bundled seeds.
    progress : callable or None
        Called with each stage's name as it starts.

    Returns
    -------
    Result
    """
    config = config or Config()
    timer = _StageTimer(progress)
    with timer("ingest"):
        taxonomy = load_themes(config.themes_path, config.themes_add)  # fail fast
        stopwords = None
        if config.stopwords is not None:
            stopwords = load_wordlist(config.stopwords) | load_wordlist(DEFAULT_STOPWORDS)
        terms = [t[2] for theme in taxonomy for t in theme.terms]
        if config.terms is not None:
            terms += sorted(load_wordlist(config.terms))
        warnings: list[str] = []
        articles, skipped = ingest(config.input_paths, strict=config.strict,
                                   columns=config.table_columns, warnings=warnings)
        if articles.empty:
            if skipped:
                more = f" (and {len(skipped) - 1} more skipped)" if len(skipped) > 1 else ""
                raise JTopicsError(f"no readable article: {skipped[0].source}: "
                                   f"{skipped[0].reason}{more}")
            raise UsageError("no input files (.txt/.md in folders, or tables given by name)")
    n_chars = articles["n_chars"].to_numpy()
    workers = config.workers_for(int(n_chars.sum()))
    n_chunks = max(1, -(-int(n_chars.sum()) // config.chunk_chars))
    ranges = chunk_ranges(len(articles), n_chunks, weights=n_chars.tolist())
    with timer("segment"):
        stream = len(ranges) > 1 or config.engine == "dask"
        spool = _spool_folder(config.out) if stream else None
        columns = articles[["article_id", "text", "published"]]
        jobs = [(index, columns.iloc[lo:hi], spool, config.cache, len(ranges) == 1,
                 config.exclude_kinds) for index, (lo, hi) in enumerate(ranges)]
        try:
            with _executor(config, workers) as executor:
                chunks = executor.map(_process_chunk, jobs, initializer=_prepare_chunks,
                                      initargs=(stopwords, tuple(terms), taxonomy))
        except BaseException:
            if spool is not None:
                import shutil

                shutil.rmtree(spool, ignore_errors=True)
            raise
        sections = _concat([c.sections for c in chunks])
        boilerplate, sentences, citations = (
            _concat([getattr(c, name) for c in chunks])
            for name in ("boilerplate", "sentences", "citations"))
        counts = sections.groupby("article_id").size()
        articles["n_sections"] = articles["article_id"].map(counts).fillna(0).astype("int64")
        if spool is not None:
            token_table: pd.DataFrame | PartitionedTable = PartitionedTable(
                [c.tokens for c in chunks], TOKEN_COLUMNS, owned_folder=spool)
        else:
            token_table = chunks[0].tokens
        lexical = {k: v for c in chunks for k, v in c.lexical.items()}
    worker_seconds = {stage: sum(c.seconds[stage] for c in chunks)
                      for stage in ("segment", "tokenize", "vectorize", "themes")}
    with timer("vectorize"):
        vectorized = vectorize_counts(merge_counts([c.counts for c in chunks]), sections,
                                      unit=config.unit, min_df=config.min_df,
                                      max_df=config.max_df)
        del chunks
    with timer("topics"):
        fitted = topic_tables(
            vectorized, sections, n_topics=config.n_topics, random_state=config.seed,
            max_iter=config.max_iter, top_terms=config.top_terms,
        )
        if isinstance(config.n_topics, int) and fitted.n_topics < config.n_topics:
            fit = vectorized.fit
            warnings.append(
                f"--topics {config.n_topics} is more than the corpus supports "
                f"({fit.n_documents} documents, {fit.matrix.shape[1]} terms): "
                f"fitted {fitted.n_topics}")
    with timer("themes"):
        section_themes, article_themes, themes = finish_themes(
            sections, lexical, taxonomy, min_score=config.min_score, dtm=vectorized.sections,
            random_state=config.seed,
        )
    seconds = dict(timer.seconds)
    seconds["per_article_wall"] = seconds.pop("segment")
    for stage, value in worker_seconds.items():
        seconds[stage] = seconds.get(stage, 0.0) + value
    return Result(
        config=config, articles=articles, sections=sections, boilerplate=boilerplate,
        sentences=sentences, citations=citations, token_table=token_table,
        topics=fitted.topics, topic_summary=fitted.topic_summary,
        section_topics=fitted.section_topics, article_topics=fitted.article_topics,
        topic_trends=fitted.topic_trends, k_selection=fitted.k_selection,
        section_themes=section_themes, article_themes=article_themes, themes=themes,
        skipped=skipped, warnings=warnings, seconds=seconds,
    )
