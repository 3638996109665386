"""The library entry point: :func:`run` a whole configuration, get every table back."""

from __future__ import annotations

import importlib.metadata
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
from threadpoolctl import threadpool_limits

from ._parallel import DaskExecutor, Executor, ProcessExecutor, chunk_ranges
from ._version import __version__
from .compare import comparison_tables, metadata_fields
from .config import DEFAULT_STOPWORDS, Config
from .errors import JTopicsError, UsageError
from .furniture import NO_FURNITURE, Census, Furniture, census
from .furniture import furniture as corpus_furniture
from .ingest import (
    Skipped,
    entry_size,
    meta_table,
    ordered_skips,
    plan_articles,
    read_articles,
    renamed_warnings,
)
from .output import PartitionedTable, write_partitioned
from .segment import segment
from .tables import OUTPUT_COLUMNS, empty_table
from .themes import (
    ScoringOptions,
    Taxonomy,
    excluded_spans,
    fit_learned,
    framed_evidence,
    lexical_evidence,
    load_themes,
    shipped_verifier,
    theme_tables,
)
from .tokenize import TOKEN_COLUMNS, Tokenizer, dictionary_version, load_wordlist, tokenize
from .topics import model_tables, topic_tables
from .vectorize import (
    DocumentTermMatrix,
    apply_weights,
    merge_counts,
    term_counts,
    vectorize_counts,
)

# The steps of a run as ``progress`` reports them, in the order they start, with what each
# does (the per-article step segments, tokenizes, counts terms and finds theme evidence).
STAGES = {
    "ingest": "reading inputs",
    "segment": "segmenting, tokenizing, finding theme evidence",
    "vectorize": "TF-IDF",
    "themes": "scoring themes",
    "topics": "fitting topics",
    "compare": "comparing groups",
}
ProgressCallback = Callable[[str], None]


@dataclass
class Result:
    """Every table of a run as a pandas DataFrame, plus the run's manifest.

    ``articles`` holds no ``text`` column: the text was read in chunks and lives on in
    ``sections.text`` (and ``boilerplate.text``); offsets are into the article text. It has a
    column per metadata field (``article_meta`` in wide form) after the written ones.
    The text-heavy tables of a corpus processed in more than one chunk (sections, sentences,
    boilerplate, tokens) stay in Parquet part files (``section_table`` … ``token_table`` are
    :class:`~pipeline.output.PartitionedTable` objects); :attr:`sections`, :attr:`sentences`,
    :attr:`boilerplate` and :attr:`tokens` read them into one DataFrame only when asked.
    """

    config: Config
    articles: pd.DataFrame
    article_meta: pd.DataFrame
    section_table: pd.DataFrame | PartitionedTable
    boilerplate_table: pd.DataFrame | PartitionedTable
    sentence_table: pd.DataFrame | PartitionedTable
    citations: pd.DataFrame
    token_table: pd.DataFrame | PartitionedTable
    topics: pd.DataFrame
    topic_summary: pd.DataFrame
    section_topics: pd.DataFrame
    article_topics: pd.DataFrame
    topic_trends: pd.DataFrame
    topic_sections: pd.DataFrame
    k_selection: pd.DataFrame
    topic_lineage: pd.DataFrame
    section_themes: pd.DataFrame
    article_themes: pd.DataFrame
    themes: pd.DataFrame
    theme_trends: pd.DataFrame
    group_themes: pd.DataFrame
    group_topics: pd.DataFrame
    keyness: pd.DataFrame
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    # What the run fitted (or the model it applied): model.save(folder) keeps it.
    model: Any = None

    def __repr__(self) -> str:
        # Counts only: a streamed table is not read for them.
        return (f"Result({len(self.articles):,} articles, {len(self.section_table):,} sections, "
                f"{len(self.section_themes):,} section themes, {len(self.topic_summary)} topics; "
                f"{len(OUTPUT_COLUMNS)} tables: .tables() or .articles, .sections …)")

    def _loaded(self, field_name: str) -> pd.DataFrame:
        table = getattr(self, field_name)
        if isinstance(table, PartitionedTable):
            table = table.to_pandas()
            setattr(self, field_name, table)
        return table

    @property
    def sections(self) -> pd.DataFrame:
        """The ``sections`` table (with ``analysis_text``) as one DataFrame."""
        return self._loaded("section_table")

    @property
    def sentences(self) -> pd.DataFrame:
        """The ``sentences`` table as one DataFrame."""
        return self._loaded("sentence_table")

    @property
    def boilerplate(self) -> pd.DataFrame:
        """The ``boilerplate`` table as one DataFrame."""
        return self._loaded("boilerplate_table")

    @property
    def tokens(self) -> pd.DataFrame:
        """The ``tokens`` table as one DataFrame (read from its part files when streamed)."""
        return self._loaded("token_table")

    def tables(self) -> dict[str, pd.DataFrame]:
        """The output tables, with exactly the written columns, in writing order (streamed
        tables as :class:`~pipeline.output.PartitionedTable` objects, read part by part)."""
        stored = {"sections": self.section_table, "sentences": self.sentence_table,
                  "boilerplate": self.boilerplate_table, "tokens": self.token_table}
        return {name: (stored[name] if name in stored else getattr(self, name))[columns]
                for name, columns in OUTPUT_COLUMNS.items()}

    def manifest(self) -> dict[str, Any]:
        return {
            "jtopics_version": __version__,
            "config": self.config.to_dict(),
            # Column by column: a row iterator reads Arrow-backed strings one at a time.
            "inputs": [
                {"article_id": article_id, "source": source, "sha256": sha256,
                 "encoding": encoding}
                for article_id, source, sha256, encoding in zip(*(
                    self.articles[c].tolist() for c in ("article_id", "source", "sha256",
                                                        "encoding")), strict=True)
            ],
            "skipped": [{"source": s.source, "reason": s.reason} for s in self.skipped],
            "warnings": list(self.warnings),
            "rows": {name: len(df) for name, df in self.tables().items()},
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "versions": _versions(),
        }

    def write(self, out: Path | str | None = None, formats: str | None = None,
              force: bool | None = None) -> list[Path]:
        """Write the tables (all but ``config.skip_tables``) and ``manifest.json`` as the
        folder ``out`` (default: the config's), atomically; other files in it are kept unless
        ``force``."""
        from .output import write_tables

        started = time.perf_counter()
        target = Path(out) if out is not None else self.config.out
        written = {name: table for name, table in self.tables().items()
                   if name not in self.config.skip_tables}
        manifest = {**self.manifest(), "tables": list(written)}
        paths = write_tables(written, target, formats or self.config.formats, manifest,
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

    def detail(self, message: str) -> None:
        """Report a step within the topic fits (``topics: k = 9: score …``)."""
        if self.progress:
            self.progress(f"topics: {message}")


def _versions() -> dict[str, str]:
    versions = {}
    for package in ("fugashi", "unidic-lite", "scikit-learn", "pandas", "numpy", "pyarrow"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = "not installed"
    versions["unidic-lite dictionary"] = dictionary_version()
    return versions


_CHUNK_STATE: tuple[Tokenizer, Taxonomy] | None = None


def _prepare_chunks(stopwords: frozenset[str] | None, terms: tuple[str, ...],
                    taxonomy: Taxonomy) -> None:
    global _CHUNK_STATE
    _CHUNK_STATE = (Tokenizer(stopwords, terms), taxonomy)


# What the corpus-wide stages need of a section; the text stays in the part files.
SLIM_SECTION_COLUMNS = ["section_id", "article_id", "ordinal", "char_start", "char_end",
                        "published"]
STREAMED = ("sections", "boilerplate", "sentences", "tokens")


@dataclass
class _Chunk:
    articles: pd.DataFrame
    skipped: list[tuple[int, Skipped]]
    warnings: list[str]
    sections: pd.DataFrame  # all columns, or SLIM_SECTION_COLUMNS when streamed
    citations: pd.DataFrame
    # Each STREAMED table, or its part file (spooled, the sections' in-memory analysis_text
    # is a part file of its own: section_analysis).
    stored: dict[str, pd.DataFrame | Path | None]
    counts: DocumentTermMatrix
    lexical: dict
    seconds: dict[str, float]


@dataclass(frozen=True)
class _ChunkJob:
    """One chunk of articles to process, and how."""

    index: int
    entries: list[dict[str, object]]
    strict: bool
    spool: Path | None  # where the STREAMED tables go as part files (None: kept in memory)
    cache: Path | None
    shards: bool  # look texts up one by one in the token cache (a corpus of one chunk)
    exclude_kinds: tuple[str, ...]
    furniture: Furniture = NO_FURNITURE  # the corpus's repeated lines, from the census


def _census_chunk(job: _ChunkJob) -> Census:
    """The furniture census of one chunk's articles (files that cannot be read are left to
    the main pass to report)."""
    articles, _skipped, _warnings = read_articles(job.entries, strict=False)
    return census(articles["text"])


def _process_chunk(job: _ChunkJob) -> _Chunk:
    """Read, segment, tokenise and gather theme evidence for one chunk of articles (in a
    worker process or Dask task); with ``job.spool`` set, the STREAMED tables go to Parquet
    part files under it and only slim sections come back."""
    spool = job.spool
    assert _CHUNK_STATE is not None
    tokenizer, taxonomy = _CHUNK_STATE
    seconds = {}
    started = time.perf_counter()
    articles, skipped, warnings = read_articles(job.entries, job.strict)
    seconds["ingest"] = time.perf_counter() - started
    started = time.perf_counter()
    segmented = segment(articles, job.furniture)
    seconds["segment"] = time.perf_counter() - started
    started = time.perf_counter()
    tokens = tokenize(segmented.sections, tokenizer, cache=job.cache, shards=job.shards)
    seconds["tokenize"] = time.perf_counter() - started
    started = time.perf_counter()
    counts = term_counts(tokens, segmented.sections)
    seconds["vectorize"] = time.perf_counter() - started
    started = time.perf_counter()
    lexical = lexical_evidence(segmented.sections, tokens, taxonomy,
                               excluded_spans(segmented.sentences, job.exclude_kinds))
    seconds["themes"] = time.perf_counter() - started
    started = time.perf_counter()
    stored: dict[str, pd.DataFrame | Path | None] = {
        "sections": segmented.sections, "boilerplate": segmented.boilerplate,
        "sentences": segmented.sentences, "tokens": tokens[TOKEN_COLUMNS]}
    sections = segmented.sections
    if spool is not None and len(articles):
        # The written columns and the in-memory ones go to separate files, so the written
        # parts can be linked into the output as they are.
        stored["sections"] = sections[OUTPUT_COLUMNS["sections"]]
        stored["section_analysis"] = sections[["analysis_text"]]
        # Empty parts are left out: their untyped columns would not match the others.
        stored = {name: write_partitioned(table, spool / name, job.index) if len(table) else None
                  for name, table in stored.items()}
        sections = sections[SLIM_SECTION_COLUMNS]
    seconds["output"] = time.perf_counter() - started
    return _Chunk(articles.drop(columns="text"), skipped, warnings, sections,
                  segmented.citations, stored, counts, lexical, seconds)


def _executor(config: Config, workers: int) -> Executor:
    if config.engine == "dask":
        return DaskExecutor(config.scheduler, workers)
    return ProcessExecutor(workers) if workers > 1 else Executor()


def _spool_folder(config: Config) -> Path:
    """Where the chunks' part files go: beside the output folder when it exists or a remote
    cluster needs storage that its workers share, else the system's temporary folder (the
    library creates no folder that was not asked for)."""
    import tempfile

    out = config.out
    if config.scheduler is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
    folder = out.parent if out.parent.is_dir() else None
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.tokens-", dir=folder))


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    # Empty chunk tables carry generic dtypes: leave them out so dtypes do not depend on
    # how the corpus was chunked.
    filled = [f for f in frames if len(f)] or frames[:1]
    return pd.concat(filled, ignore_index=True) if len(filled) > 1 else filled[0].reset_index(
        drop=True)


@dataclass
class _Plan:
    """What a run reads and how it splits the work: the outcome of the ingest step."""

    taxonomy: Taxonomy
    taxonomy_sources: list[str]  # the taxonomy's TOML texts, for a saved model
    stopwords: frozenset[str] | None
    terms: tuple[str, ...]  # kept as one token: the taxonomy's and the user's
    entries: list[dict[str, object]]
    skipped: list[tuple[int, Skipped]]
    warnings: list[str]
    ranges: list[tuple[int, int]]  # the chunks, as ranges of entries
    workers: int
    notices: list[str]  # how table columns were read


@dataclass
class _Merged:
    """The chunks' results as corpus tables (the text-heavy ones possibly as part files)."""

    articles: pd.DataFrame
    meta: pd.DataFrame  # article_meta
    sections: pd.DataFrame
    citations: pd.DataFrame
    stored: dict[str, pd.DataFrame | PartitionedTable]  # the STREAMED tables
    counts: list[DocumentTermMatrix]
    evidence: dict
    skipped: list[Skipped]
    warnings: list[str]
    seconds: dict[str, float]  # summed over chunks, per stage
    furniture: Furniture = NO_FURNITURE  # what the sections' analysis_text has blanked


def _plan(config: Config, model=None) -> _Plan:
    if model is not None:
        taxonomy, sources = model.taxonomy, list(model.taxonomy_sources)
    else:
        taxonomy = load_themes(config.themes_path, config.themes_add)  # fail fast
        sources = [Path(p).read_text(encoding="utf-8-sig")
                   for p in (config.themes_path, *config.themes_add)]
    theme_ids = [theme.id for theme in taxonomy]
    for theme_id in config.keyness_themes:
        if theme_id not in theme_ids:
            raise UsageError(f"--keyness-theme {theme_id}: no such theme "
                             f"(themes: {', '.join(theme_ids)})")
    stopwords = None
    if config.stopwords is not None:
        stopwords = load_wordlist(config.stopwords) | load_wordlist(DEFAULT_STOPWORDS)
    terms = [t.display for theme in taxonomy for t in theme.terms]
    if config.terms is not None:
        terms += sorted(load_wordlist(config.terms))
    if model is not None:
        stopwords, terms = model.stopwords, list(model.terms)
    notices: list[str] = []
    entries, skipped = plan_articles(config.input_paths, strict=config.strict,
                                     columns=config.table_columns, group_from=config.group_from,
                                     files=config.file_filter, notices=notices)
    if not entries and not skipped:
        raise UsageError("no input files (.txt/.md in folders, or tables given by name)")
    sizes = [entry_size(entry) for entry in entries]
    # Chunk sizes are estimated from bytes (UTF-8 Japanese: about 3 bytes a character).
    n_chars = sum(sizes) // 3
    workers = config.workers_for(n_chars)
    n_chunks = max(1, -(-n_chars // config.chunk_chars), 4 * workers if workers > 1 else 1)
    ranges = chunk_ranges(len(entries), n_chunks, weights=sizes,
                          taper=2 * workers if workers > 1 else 0) if entries else []
    return _Plan(taxonomy, sources, stopwords, tuple(terms), entries, skipped,
                 renamed_warnings(entries), ranges, workers, notices)


def _map_chunks(config: Config, plan: _Plan, executor: Executor,
                exclude_kinds: tuple[str, ...], furniture: Furniture | None = None) -> _Merged:
    """The per-article stages, chunk by chunk on ``executor``, merged into corpus tables;
    ``furniture`` (a saved model's) instead of this corpus's census."""
    stream = len(plan.ranges) > 1 or config.engine == "dask"
    spool = _spool_folder(config) if stream else None
    jobs = [_ChunkJob(index, plan.entries[lo:hi], config.strict, spool, config.cache,
                      len(plan.ranges) == 1, exclude_kinds)
            for index, (lo, hi) in enumerate(plan.ranges)]
    plan.entries = []  # the jobs hold them now
    initargs = (plan.stopwords, plan.terms, plan.taxonomy)
    try:
        if furniture is None:
            # A first pass counts the lines every article holds: the corpus's furniture is
            # known before any article is segmented (the same initializer keeps the workers).
            started = time.perf_counter()
            counted = Census()
            for part in executor.map(_census_chunk, jobs, initializer=_prepare_chunks,
                                     initargs=initargs):
                counted.merge(part)
            furniture = corpus_furniture(counted)
            census_seconds = time.perf_counter() - started
        else:
            census_seconds = 0.0
        jobs = [replace(job, furniture=furniture) for job in jobs]
        chunks = executor.map(_process_chunk, jobs, initializer=_prepare_chunks,
                              initargs=initargs)
        del jobs
        skipped = ordered_skips(plan.skipped + [x for c in chunks for x in c.skipped])
        chunks = [c for c in chunks if len(c.articles)]
        if not chunks:
            more = f" (and {len(skipped) - 1} more skipped)" if len(skipped) > 1 else ""
            raise JTopicsError(f"no readable article: {skipped[0].source}: "
                               f"{skipped[0].reason}{more}")
    except BaseException:
        if spool is not None:
            import shutil

            shutil.rmtree(spool, ignore_errors=True)
        raise
    articles = _concat([c.articles for c in chunks])
    sections = _concat([c.sections for c in chunks])
    counts = sections.groupby("article_id").size()
    articles["n_sections"] = articles["article_id"].map(counts).fillna(0).astype("int64")
    meta = meta_table(articles)
    articles = _with_meta_columns(articles.drop(columns="meta"), meta)
    fields = metadata_fields(meta)
    for field_name in config.by:
        if field_name not in fields:
            if spool is not None:
                import shutil

                shutil.rmtree(spool, ignore_errors=True)
            hint = " (folders: add --group-from folder)" if field_name == "folder" else ""
            raise UsageError(f"--by {field_name}: no article has this field{hint} "
                             f"(fields: {', '.join(fields)})")
    if spool is not None:
        # One owner keeps the spool folder alive as long as any streamed table is.
        owner = PartitionedTable([], [], owned_folder=spool)
        columns = {**OUTPUT_COLUMNS, "sections": [*OUTPUT_COLUMNS["sections"], "analysis_text"]}
        beside = {"sections": "section_analysis"}
        stored = {name: PartitionedTable(
            [c.stored[name] for c in chunks if c.stored[name] is not None],
            columns[name], keep_alive=owner,
            side_paths=[c.stored[beside[name]] for c in chunks
                        if c.stored[beside[name]] is not None] if name in beside else None,
        ) for name in STREAMED}
    else:
        stored = {name: _concat([c.stored[name] for c in chunks]) for name in STREAMED}
    return _Merged(
        articles=articles, meta=meta, sections=sections,
        citations=_concat([c.citations for c in chunks]),
        stored=stored, counts=[c.counts for c in chunks],
        evidence={k: v for c in chunks for k, v in c.lexical.items()}, skipped=skipped,
        warnings=plan.warnings + [w for c in chunks for w in c.warnings],
        seconds={**{stage: sum(c.seconds[stage] for c in chunks)
                    for stage in ("ingest", "segment", "tokenize", "vectorize", "themes",
                                  "output")},
                 # wall time of the census pass (with the workers' start), inside
                 # per_article_wall
                 "census": census_seconds},
        furniture=furniture)


def _with_meta_columns(articles: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """``articles`` with a column per metadata field (``""`` where an article has none); a
    field named like a column of ``articles`` stays in ``article_meta`` only."""
    if meta.empty:
        return articles
    wide = meta.drop_duplicates(["article_id", "key"]).pivot(
        index="article_id", columns="key", values="value")
    keys = [k for k in dict.fromkeys(meta["key"]) if k not in articles.columns]
    wide = wide.reindex(index=articles["article_id"], columns=keys).fillna("")
    return pd.concat([articles.reset_index(drop=True), wide.reset_index(drop=True)], axis=1)


def run(config: Config | None = None, progress: ProgressCallback | None = None, *,
        model: Any = None, refit: bool = False) -> Result:
    """Run every stage on ``config.inputs`` and return the tables (nothing is written).

    Three steps: plan what to read and how to chunk it; map the per-article stages over the
    chunks (segment, tokenise, count terms, find theme evidence: in this process, a process
    pool or Dask tasks, ``config.engine``); reduce on the merged results (TF-IDF, then the theme
    scores here while the topic fits, the model, its stability restarts and any k search, run
    on the same workers). Outputs do not depend on the number of workers or the engine.

    Parameters
    ----------
    config : Config or None
        None runs the defaults on the bundled seeds.
    progress : callable or None
        Called with each step's name (a key of ``STAGES``) as it starts, and with
        ``"topics: …"`` lines during the topic fits (each k tried by ``--topics auto``, the
        model's fit).
    model : pipeline.model.Model or None
        Apply this saved model instead of fitting (``Model.apply`` calls this): its tokenizer,
        taxonomy, vocabulary, topics and theme settings replace the config's.
    refit : bool
        With ``model``: refit on the inputs (``jtopics update``) with the model's tokenizer,
        taxonomy and settings, and give the refitted topics the ids of the model's topics
        they continue (``topic_lineage``).

    Returns
    -------
    Result
    """
    config = config or Config()
    timer = _StageTimer(progress)
    settings = _settings(config) if model is None else model.settings
    previous, model = (model, None) if refit else (None, model)
    n_topics = config.n_topics
    if previous is not None and n_topics is None:
        n_topics = previous.topic_model.n_topics_
    with timer("ingest"):
        plan = _plan(config, model or previous)
    # Kept open after the per-article stages for the topic fits.
    with _executor(config, plan.workers) as executor:
        with timer("segment"):
            # Applying a model blanks the furniture of the corpus it was fitted on: an
            # article's analysed text does not depend on the articles it comes with.
            merged = _map_chunks(config, plan, executor, settings.exclude_kinds,
                                 model.furniture if model is not None else None)
        with timer("vectorize"):
            counts = merge_counts(merged.counts)
            if model is None:
                vectorized = vectorize_counts(counts, merged.sections, unit=settings.unit,
                                              min_df=config.min_df, max_df=config.max_df)
            else:
                vectorized = apply_weights(counts, merged.sections, model.weights,
                                           settings.unit)
            merged.counts = []
        if model is None:
            fit_topics = partial(
                topic_tables, vectorized, merged.sections, n_topics=n_topics,
                random_state=settings.seed, max_iter=settings.max_iter,
                top_terms=settings.top_terms, executor=executor, period=config.period,
                progress=timer.detail)
        else:
            fit_topics = partial(_applied_topics, model, vectorized, merged.sections,
                                 config.period)
        # One BLAS/OpenMP thread here too: the fits share the cores with the workers' fits
        # (more threads than cores make OpenMP spin), and a sum split over another number of
        # threads can end a solver one iteration apart.
        with threadpool_limits(1), ThreadPoolExecutor(max_workers=1) as background:
            # With workers, the topic fits run there while this process scores themes;
            # "topics" then times only the wait for them.
            pending = background.submit(fit_topics) if executor.n_workers > 1 else None
            with timer("themes"):
                # The leads' framing, once: the learned model is seeded on the evidence
                # the scoring sees.
                framed = framed_evidence(merged.evidence, merged.sections, plan.taxonomy)
                learned = model.learned if model is not None else None
                if model is None and vectorized.sections.n_documents:
                    learned = fit_learned(merged.sections["section_id"], framed,
                                          plan.taxonomy, vectorized.sections)
                # A model keeps the verifier it was fitted with (None: fitted without one).
                verifier = model.verifier if model is not None else shipped_verifier()
                section_themes, article_themes, themes = theme_tables(
                    merged.sections, framed, plan.taxonomy,
                    min_score=settings.min_score, dtm=vectorized.sections,
                    random_state=config.seed, model=learned, counts=counts,
                    # framed above
                    options=ScoringOptions(verifier=verifier is not None, framing=False),
                    verifier=verifier,
                )
            with timer("topics"):
                fitted = pending.result() if pending is not None else fit_topics()
                lineage = empty_table("topic_lineage")
                if previous is not None and fitted.model is not None:
                    fitted, lineage = _continue_topics(previous, fitted, vectorized)
    with timer("compare"):
        compared = comparison_tables(
            merged.articles, merged.meta, merged.sections, section_themes,
            fitted.section_topics, list(themes["theme_id"]),
            fitted.topic_summary["topic_id"].astype(int).tolist(),
            counts if config.by else None, by=config.by, period=config.period,
            keyness_themes=config.keyness_themes, keyness_top=config.keyness_top)
    del counts
    warnings = merged.warnings
    if isinstance(config.n_topics, int) and fitted.n_topics < config.n_topics:
        fit = vectorized.fit
        warnings.append(
            f"--topics {config.n_topics} is more than the corpus supports "
            f"({fit.n_documents} documents, {fit.matrix.shape[1]} terms): "
            f"fitted {fitted.n_topics}")
    seconds = dict(timer.seconds)
    seconds["per_article_wall"] = seconds.pop("segment")
    for stage, value in merged.seconds.items():
        seconds[stage] = seconds.get(stage, 0.0) + value
    stored = merged.stored
    return Result(
        config=config, articles=merged.articles, article_meta=merged.meta,
        section_table=stored["sections"],
        boilerplate_table=stored["boilerplate"], sentence_table=stored["sentences"],
        citations=merged.citations, token_table=stored["tokens"],
        topics=fitted.topics, topic_summary=fitted.topic_summary,
        section_topics=fitted.section_topics, article_topics=fitted.article_topics,
        topic_trends=fitted.topic_trends, topic_sections=fitted.topic_sections,
        k_selection=fitted.k_selection,
        section_themes=section_themes, article_themes=article_themes, themes=themes,
        topic_lineage=lineage, theme_trends=compared.theme_trends,
        group_themes=compared.group_themes,
        group_topics=compared.group_topics, keyness=compared.keyness, skipped=merged.skipped,
        warnings=warnings, notices=plan.notices, seconds=seconds,
        model=model if model is not None else _fitted_model(
            settings, plan, vectorized, fitted, learned, merged.furniture, verifier),
    )


def _continue_topics(previous, fitted, vectorized):
    """Refitted topic tables with the ids of the previous model's topics they continue."""
    from .topics import match_topics, relabel, topic_similarity

    similarity = topic_similarity(previous.topic_model.components_, previous.weights.terms,
                                  fitted.model.components_, vectorized.weights.terms)
    new_ids, lineage = match_topics(similarity, list(previous.topic_ids))
    status = dict(zip(lineage["new_topic_id"], lineage["status"], strict=True))
    status.pop(-1, None)
    return relabel(fitted, new_ids, status), lineage


def _settings(config: Config):
    from .model import Settings

    return Settings(unit=config.unit, min_score=config.min_score,
                    exclude_kinds=config.exclude_kinds, top_terms=config.top_terms,
                    seed=config.seed, max_iter=config.max_iter)


def _applied_topics(model, vectorized, sections: pd.DataFrame, period: str):
    """The topic tables of new documents on a saved model's topics."""
    import numpy as np

    from .topics import relabel

    fitted = {int(t["topic_id"]): t for t in model.topics}
    coherence = np.array([fitted.get(i, {}).get("coherence", np.nan) for i in model.topic_ids],
                         dtype=np.float64)
    stability = np.array([fitted.get(i, {}).get("stability", np.nan) for i in model.topic_ids],
                         dtype=np.float64)
    tables = model_tables(model.topic_model, vectorized, sections,
                          top_terms=model.settings.top_terms, period=period,
                          coherence=coherence, stability=stability)
    status = {i: str(fitted.get(i, {}).get("status", "")) for i in model.topic_ids}
    return relabel(tables, list(model.topic_ids), status)


def _fitted_model(settings, plan: _Plan, vectorized, fitted, learned, furniture, verifier):
    """The run's :class:`~pipeline.model.Model` (None when nothing could be fitted)."""
    from .model import Model
    from .tokenize.tokenizer import load_wordlist as read_words

    if vectorized.weights is None or fitted.model is None:
        return None
    stopwords = plan.stopwords if plan.stopwords is not None else read_words(DEFAULT_STOPWORDS)
    topics = [{"topic_id": int(row.topic_id), "label": str(row.label),
               "coherence": float(row.coherence), "stability": float(row.stability),
               "status": str(row.status)}
              for row in fitted.topic_summary.itertuples()]
    # The components are in fit order; the summary may be relabelled (update): row j of
    # the components is the topic whose tables came from column j.
    topic_ids = fitted.topic_ids if fitted.topic_ids is not None else list(
        range(fitted.model.n_topics_))
    return Model(settings=settings, stopwords=frozenset(stopwords), terms=plan.terms,
                 taxonomy_sources=plan.taxonomy_sources, weights=vectorized.weights,
                 topic_model=fitted.model, learned=learned, topics=topics, topic_ids=topic_ids,
                 versions={**_versions(), "jtopics": __version__}, furniture=furniture,
                 verifier=verifier)
