"""The ``jtopics`` command line: a thin typer layer over :mod:`pipeline.api`."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ._validation import ParameterError
from ._version import __version__
from .api import STAGES, Result, run
from .config import Config
from .errors import JTopicsError, UsageError
from .tables import LARGE_TABLES
from .themes import load_themes

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Japanese news topic extraction: themes per article section and NMF topics.",
)
stdout = Console(soft_wrap=True)
stderr = Console(stderr=True, soft_wrap=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"jtopics {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Japanese news topic extraction."""


# Config fields named by another flag than --field-name.
_FLAGS = {"n_topics": "--topics", "formats": "--format", "inputs": "INPUT",
          "exclude_kinds": "--exclude-kinds", "keyness_themes": "--keyness-theme"}


def _fail(exc: JTopicsError) -> typer.Exit:
    message = str(exc)
    if isinstance(exc, ParameterError):  # speak in flags, not in Config fields
        flag = _FLAGS.get(exc.name, "--" + exc.name.replace("_", "-"))
        message = f"{flag} must be {exc.expected}; got {exc.value!r}"
    stderr.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code=exc.exit_code)


@app.command("run")
def run_command(
    inputs: Annotated[
        list[Path] | None,
        typer.Argument(help="Files, folders, tables (.jsonl/.csv/.parquet) or - for stdin "
                            "(default: the bundled seeds/)."),
    ] = None,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("data/out"),
    topics: Annotated[
        str | None,
        typer.Option("--topics", help="Number of NMF topics, or 'auto' to choose it "
                                      "(default: sqrt of the documents)."),
    ] = None,
    unit: Annotated[
        str, typer.Option(help="What a topic-model document is: section or article.")
    ] = "section",
    min_df: Annotated[
        float | None, typer.Option(help="TF-IDF min document frequency (default: adaptive).")
    ] = None,
    max_df: Annotated[
        float | None, typer.Option(help="TF-IDF max document frequency (default: adaptive).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed for NMF.")] = 0,
    themes: Annotated[
        Path | None, typer.Option(help="Theme taxonomy TOML replacing the shipped one.")
    ] = None,
    themes_add: Annotated[
        list[Path] | None,
        typer.Option("--themes-add", help="Taxonomy files extending the taxonomy."),
    ] = None,
    format: Annotated[
        str, typer.Option("--format", help="Table format: csv, parquet or both.")
    ] = "csv",
    min_score: Annotated[
        float, typer.Option(help="Theme score threshold in [0, 1].")
    ] = 0.5,
    top_terms: Annotated[int, typer.Option(help="Top terms listed per topic.")] = 10,
    stopwords: Annotated[
        Path | None, typer.Option(help="Extra stopwords, one a line.")
    ] = None,
    terms: Annotated[
        Path | None, typer.Option(help="Terms always kept as one token, one a line.")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="Worker processes for segmentation, tokenisation and theme evidence "
                          "(default: all cores for large inputs, or with --engine dask)."),
    ] = None,
    engine: Annotated[
        str, typer.Option(help="Where the per-article stages run: local or dask.")
    ] = "local",
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask scheduler address (tcp://host:8786) for --engine dask "
                          "(default: a local cluster of --workers processes)."),
    ] = None,
    chunk_chars: Annotated[
        int, typer.Option(help="Characters per chunk of articles (streamed to Parquet parts).")
    ] = 300_000,
    skip_tables: Annotated[
        str, typer.Option(help="Comma-separated tables not to write, e.g. tokens,sentences "
                               "(tokens are most of a corpus's output).")
    ] = "",
    cache: Annotated[
        Path, typer.Option(help="Token cache folder.")
    ] = Path("data/cache"),
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not use the cache.")] = False,
    id_col: Annotated[str | None, typer.Option(help="Id column of tabular inputs.")] = None,
    text_col: Annotated[
        str | None, typer.Option(help="Text column of tabular inputs (default: text/body/…).")
    ] = None,
    title_col: Annotated[str | None, typer.Option(help="Title column of tabular inputs.")] = None,
    date_col: Annotated[str | None, typer.Option(help="Date column of tabular inputs.")] = None,
    url_col: Annotated[str | None, typer.Option(help="URL column of tabular inputs.")] = None,
    sheet: Annotated[
        str | None, typer.Option(help="Sheet of .xlsx inputs to read (default: every sheet).")
    ] = None,
    include: Annotated[
        list[str] | None,
        typer.Option(help="Read only the files of input folders matching this glob "
                          "(repeatable; e.g. '*.csv', 'README.txt').")
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option(help="Leave out the files of input folders matching this glob "
                          "(repeatable).")
    ] = None,
    exclude_kinds: Annotated[
        str, typer.Option(help="Sentence kinds left out of theme tagging, e.g. comment,citation.")
    ] = "",
    group_from: Annotated[
        str | None,
        typer.Option(help="Make each file's folder a metadata field: 'folder' (a folder per "
                          "outlet or category)."),
    ] = None,
    by: Annotated[
        list[str] | None,
        typer.Option(help="Compare groups by this field (repeatable): a metadata column "
                          "(outlet…), folder (with --group-from folder) or published."),
    ] = None,
    period: Annotated[
        str, typer.Option(help="Periods of the trends and of --by: day, week, month, quarter, "
                               "year.")
    ] = "month",
    keyness_theme: Annotated[
        list[str] | None,
        typer.Option(help="Also find each group's distinctive words in the sections tagged "
                          "with this theme (repeatable).")
    ] = None,
    keyness_top: Annotated[
        int, typer.Option(help="Distinctive words kept per group.")
    ] = 30,
    strict: Annotated[
        bool, typer.Option(help="Fail on the first unreadable input instead of skipping it.")
    ] = False,
    excel: Annotated[
        bool, typer.Option(help="CSV with a UTF-8 BOM for Excel, plus tables.xlsx.")
    ] = False,
    force: Annotated[
        bool, typer.Option(help="Replace OUT outright, removing files this run does not write.")
    ] = False,
    save_model: Annotated[
        Path | None,
        typer.Option(help="Also save the fitted model in this folder (for jtopics apply).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress, no summary.")] = False,
    debug: Annotated[bool, typer.Option(help="Show the traceback of an unexpected error.")] = False,
) -> None:
    """Run the whole pipeline and write every table into OUT."""
    try:
        config = Config(
            inputs=tuple(str(p) for p in inputs or ()), out=out, n_topics=_topics_value(topics),
            unit=unit, min_df=min_df, max_df=max_df, seed=seed,
            themes=themes, themes_add=tuple(themes_add or ()), formats=format,
            min_score=min_score, top_terms=top_terms,
            stopwords=stopwords, terms=terms, workers=workers,
            cache=None if no_cache else cache, id_col=id_col, text_col=text_col,
            title_col=title_col,
            date_col=date_col, url_col=url_col, sheet=sheet,
            include=tuple(include or ()), exclude=tuple(exclude or ()),
            exclude_kinds=exclude_kinds, strict=strict,
            excel=excel, force=force, engine=engine, scheduler=scheduler,
            chunk_chars=chunk_chars, skip_tables=skip_tables, group_from=group_from,
            by=tuple(by or ()), period=period, keyness_themes=tuple(keyness_theme or ()),
            keyness_top=keyness_top,
        )
    except JTopicsError as exc:
        raise _fail(exc) from None
    _execute(config, quiet, debug, save_model=save_model)


def _execute(config: Config, quiet: bool, debug: bool, model_dir: Path | None = None,
             save_model: Path | None = None, refit: bool = False) -> None:
    """Run (or, with ``model_dir``, apply a saved model, or refit it with ``refit``), write
    the tables, report."""
    from .model import check_model_target, load_model

    try:
        model = load_model(model_dir) if model_dir is not None else None
        if save_model is not None:
            check_model_target(save_model)
        started = time.perf_counter()
        show_progress = not quiet and stderr.is_terminal
        if show_progress:
            with stderr.status("starting…") as status:
                def progress(message: str) -> None:
                    stage, _, detail = message.partition(": ")
                    step = list(STAGES).index(stage) + 1
                    status.update(f"[{step}/{len(STAGES)}] {STAGES[stage]}"
                                  + (f": {detail}" if detail else "…"))

                result = run(config, progress=progress, model=model, refit=refit)
                status.update("writing tables…")
                result.write()
        else:
            result = run(config, model=model, refit=refit)
            result.write()
        if save_model is not None:
            if result.model is None:
                raise JTopicsError("--save-model: nothing was fitted (no modelled term)")
            result.model.save(save_model)
    except JTopicsError as exc:
        raise _fail(exc) from None
    except Exception as exc:
        if debug:
            raise
        stderr.print(f"[bold red]error:[/] unexpected {type(exc).__name__}: {escape(str(exc))} "
                     "(run again with --debug for the traceback)", highlight=False)
        raise typer.Exit(code=1) from None
    for skipped in result.skipped:
        stderr.print(f"[yellow]skipped:[/] {escape(skipped.source)}: {escape(skipped.reason)}",
                     highlight=False)
    for warning in result.warnings:
        stderr.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    if not quiet:
        for notice in result.notices:
            stderr.print(f"note: {escape(notice)}", highlight=False)
        _print_summary(result, time.perf_counter() - started)
        if save_model is not None:
            stdout.print(f"saved the model in {save_model}")


@app.command("apply")
def apply_command(
    inputs: Annotated[
        list[Path] | None,
        typer.Argument(help="New articles: files, folders, tables or - for stdin."),
    ] = None,
    model: Annotated[
        Path, typer.Option(help="Model folder saved by run --save-model.")
    ] = Path("data/model"),
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("data/out"),
    format: Annotated[
        str, typer.Option(help="Table file format: csv, parquet or both.")
    ] = "csv",
    workers: Annotated[
        int | None, typer.Option(help="Worker processes (default: all cores for large inputs).")
    ] = None,
    engine: Annotated[str, typer.Option(help="Where the per-article stages run.")] = "local",
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address.")] = None,
    chunk_chars: Annotated[int, typer.Option(help="Characters per chunk of articles.")] = 300_000,
    skip_tables: Annotated[
        str, typer.Option(help="Comma-separated tables not to write.")
    ] = "",
    cache: Annotated[Path, typer.Option(help="Token cache folder.")] = Path("data/cache"),
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not use the cache.")] = False,
    id_col: Annotated[str | None, typer.Option(help="Id column of tabular inputs.")] = None,
    text_col: Annotated[str | None, typer.Option(help="Text column of tabular inputs.")] = None,
    title_col: Annotated[str | None, typer.Option(help="Title column of tabular inputs.")] = None,
    date_col: Annotated[str | None, typer.Option(help="Date column of tabular inputs.")] = None,
    url_col: Annotated[str | None, typer.Option(help="URL column of tabular inputs.")] = None,
    sheet: Annotated[
        str | None, typer.Option(help="Sheet of .xlsx inputs to read (default: every sheet).")
    ] = None,
    include: Annotated[
        list[str] | None,
        typer.Option(help="Read only the files of input folders matching this glob "
                          "(repeatable; e.g. '*.csv', 'README.txt').")
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option(help="Leave out the files of input folders matching this glob "
                          "(repeatable).")
    ] = None,
    group_from: Annotated[
        str | None, typer.Option(help="Make each file's folder a metadata field: 'folder'.")
    ] = None,
    by: Annotated[
        list[str] | None, typer.Option(help="Compare groups by this field (repeatable).")
    ] = None,
    period: Annotated[str, typer.Option(help="Periods of the trends and of --by.")] = "month",
    strict: Annotated[
        bool, typer.Option(help="Fail on the first unreadable input instead of skipping it.")
    ] = False,
    excel: Annotated[bool, typer.Option(help="CSV with a UTF-8 BOM, plus tables.xlsx.")] = False,
    force: Annotated[bool, typer.Option(help="Replace OUT outright.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress, no summary.")] = False,
    debug: Annotated[bool, typer.Option(help="Show the traceback of an unexpected error.")] = False,
) -> None:
    """Tag new articles and assign them topics with a saved model (nothing is refitted); write
    the same tables as run into OUT."""
    try:
        if not inputs:
            raise UsageError("apply: give the new articles (files, folders or tables)")
        config = Config(
            inputs=tuple(str(p) for p in inputs), out=out, formats=format, workers=workers,
            engine=engine, scheduler=scheduler, chunk_chars=chunk_chars,
            skip_tables=skip_tables, cache=None if no_cache else cache, id_col=id_col,
            text_col=text_col, title_col=title_col, date_col=date_col, url_col=url_col,
            sheet=sheet, include=tuple(include or ()), exclude=tuple(exclude or ()),
            group_from=group_from, by=tuple(by or ()), period=period, strict=strict,
            excel=excel, force=force,
        )
    except JTopicsError as exc:
        raise _fail(exc) from None
    _execute(config, quiet, debug, model_dir=model)


@app.command("update")
def update_command(
    inputs: Annotated[
        list[Path] | None,
        typer.Argument(help="The whole corpus to refit on: the old articles and the new ones."),
    ] = None,
    model: Annotated[Path, typer.Option(help="The model to update.")] = Path("data/model"),
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("data/out"),
    save_model: Annotated[
        Path | None, typer.Option(help="Save the updated model in this folder.")
    ] = None,
    topics: Annotated[
        str | None, typer.Option(help="Number of topics (default: the model's).")
    ] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes.")] = None,
    cache: Annotated[Path, typer.Option(help="Token cache folder.")] = Path("data/cache"),
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not use the cache.")] = False,
    id_col: Annotated[str | None, typer.Option(help="Id column of tabular inputs.")] = None,
    text_col: Annotated[str | None, typer.Option(help="Text column of tabular inputs.")] = None,
    format: Annotated[str, typer.Option(help="Table file format: csv, parquet or both.")] = "csv",
    skip_tables: Annotated[str, typer.Option(help="Comma-separated tables not to write.")] = "",
    force: Annotated[bool, typer.Option(help="Replace OUT outright.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress, no summary.")] = False,
    debug: Annotated[bool, typer.Option(help="Show the traceback of an unexpected error.")] = False,
) -> None:
    """Refit a saved model on the old and new articles together, keeping the ids of the
    topics that continue (topic_lineage says which continue, which are new, which are gone)."""
    try:
        if not inputs:
            raise UsageError("update: give the corpus to refit on (old and new articles)")
        config = Config(
            inputs=tuple(str(p) for p in inputs), out=out, n_topics=_topics_value(topics),
            workers=workers, cache=None if no_cache else cache, id_col=id_col,
            text_col=text_col, formats=format, skip_tables=skip_tables, force=force,
        )
    except JTopicsError as exc:
        raise _fail(exc) from None
    _execute(config, quiet, debug, model_dir=model, save_model=save_model, refit=True)


def _topics_value(raw: str | None) -> int | str | None:
    """``--topics`` as given: a whole number, 'auto', or left for Config to reject."""
    if raw is None:
        return None
    text = raw.strip()
    if text.lstrip("-").isdigit():
        return int(text)
    return text


def _print_summary(result: Result, seconds: float) -> None:
    tables = result.tables()
    counts = Table(title=f"jtopics {__version__}: wrote {result.config.out}", title_justify="left")
    counts.add_column("table")
    counts.add_column("rows", justify="right")
    for name, df in tables.items():
        counts.add_row(name, f"{len(df):,}")
    stdout.print(counts)

    themes = Table(title="Themes (sections tagged)", title_justify="left")
    for column in ("theme", "label", "sections", "top evidence"):
        themes.add_column(column)
    st = result.section_themes
    for row in result.themes.sort_values("n_sections", ascending=False, kind="stable").itertuples():
        if row.n_sections == 0:
            continue
        evidence = st.loc[st["theme_id"] == row.theme_id, "evidence"]
        parts = evidence.str.split("; ").explode().str.removeprefix("context: ")
        # The models' notes ([model …], [verifier …]) are not terms (and rich reads [..] as
        # markup).
        parts = parts[~parts.str.startswith("[")]
        top = parts.str.split("×").str[0].value_counts()
        themes.add_row(row.theme_id, row.label_ja, str(row.n_sections),
                       "、".join(top.index[:3]))
    stdout.print(themes)

    topics = Table(title="Topics", title_justify="left")
    for column in ("topic", "share", "top terms"):
        topics.add_column(column)
    for row in result.topic_summary.itertuples():
        topics.add_row(str(row.topic_id), f"{row.share:.0%}", row.label)
    stdout.print(topics)
    # Wall time: the stage times add up work done in parallel.
    stdout.print(f"{len(result.articles)} articles, {len(result.sections)} sections, "
                 f"{len(result.skipped)} skipped, {seconds:.1f} s")


themes_app = typer.Typer(
    help="The theme taxonomy: list it (no subcommand) or check it.", no_args_is_help=False
)
app.add_typer(themes_app, name="themes")


@themes_app.callback(invoke_without_command=True)
def themes_command(
    ctx: typer.Context,
    themes: Annotated[
        Path | None, typer.Option(help="Taxonomy TOML to list (default: the shipped one).")
    ] = None,
    themes_add: Annotated[
        list[Path] | None, typer.Option("--themes-add", help="Taxonomy files extending it.")
    ] = None,
) -> None:
    """List the theme taxonomy: ids, labels and terms."""
    if ctx.invoked_subcommand is not None:
        return
    try:
        taxonomy = load_themes(themes or Config().themes_path, tuple(themes_add or ()))
    except JTopicsError as exc:
        raise _fail(exc) from None
    table = Table(title="Theme taxonomy", title_justify="left")
    for column in ("id", "label_ja", "label_en", "terms"):
        table.add_column(column)
    for theme in taxonomy:
        terms = "、".join(t.display for t in theme.terms[:8])
        more = len(theme.terms) - 8
        table.add_row(theme.id, theme.label_ja, theme.label_en,
                      terms + (f" (+{more})" if more > 0 else ""))
    stdout.print(table)


@themes_app.command("check")
def themes_check_command(
    file: Annotated[
        Path | None, typer.Argument(help="Taxonomy TOML (default: the shipped one).")
    ] = None,
    inputs: Annotated[
        list[Path] | None,
        typer.Argument(help="A corpus to count the terms in (optional)."),
    ] = None,
    id_col: Annotated[str | None, typer.Option(help="Id column of tabular inputs.")] = None,
    text_col: Annotated[str | None, typer.Option(help="Text column of tabular inputs.")] = None,
    all_terms: Annotated[
        bool, typer.Option("--all", help="List every term, not only the problems.")
    ] = False,
) -> None:
    """Validate a taxonomy; show how each term is split; flag terms that cannot match."""
    from .ingest import ingest
    from .segment import segment
    from .themes import check_taxonomy
    from .tokenize import Tokenizer, tokenize

    try:
        taxonomy = load_themes(file or Config().themes_path)
        tokenizer = Tokenizer()
        sections = tokens = None
        if inputs:
            config = Config(inputs=tuple(str(p) for p in inputs), id_col=id_col,
                            text_col=text_col)
            articles, _ = ingest(config.input_paths, columns=config.table_columns)
            sections = segment(articles).sections
            tokens = tokenize(sections, tokenizer)
        report = check_taxonomy(taxonomy, tokenizer, sections, tokens)
    except JTopicsError as exc:
        raise _fail(exc) from None
    shown = report if all_terms else report[report["status"] != "ok"]
    table = Table(title=f"Taxonomy check: {file or 'shipped taxonomy'}", title_justify="left")
    for column in report.columns:
        table.add_column(column)
    for row in shown.itertuples(index=False):
        table.add_row(*["" if v is None else str(v) for v in row])
    stdout.print(table)
    never = int(report["status"].str.startswith("never").sum())
    absent = int((report["status"] == "not in corpus").sum())
    stdout.print(f"{len(taxonomy)} themes, {len(report)} terms: {never} can never match, "
                 f"{absent} not in the corpus")
    if never:
        raise typer.Exit(code=1)


@app.command("kwic")
def kwic_command(
    term: Annotated[str, typer.Argument(help="The term to show in context.")],
    inputs: Annotated[
        list[Path] | None, typer.Argument(help="Inputs (default: the bundled seeds/).")
    ] = None,
    width: Annotated[int, typer.Option(help="Characters of context on each side.")] = 20,
    id_col: Annotated[str | None, typer.Option(help="Id column of tabular inputs.")] = None,
    text_col: Annotated[str | None, typer.Option(help="Text column of tabular inputs.")] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Also write the lines to this file: .csv (UTF-8) or .xlsx (Excel)."),
    ] = None,
) -> None:
    """Keyword in context: every occurrence of TERM with its left and right context."""
    from .ingest import ingest
    from .segment import segment
    from .themes import kwic
    from .tokenize import tokenize

    try:
        if out is not None and out.suffix.lower() not in (".csv", ".xlsx"):
            raise UsageError(f"--out {out}: must end in .csv or .xlsx")
        config = Config(inputs=tuple(str(p) for p in inputs or ()), id_col=id_col,
                        text_col=text_col)
        articles, _ = ingest(config.input_paths, columns=config.table_columns)
        sections = segment(articles).sections
        lines = kwic(sections, tokenize(sections), term, width)
        if out is not None:
            _write_file(lines, out)
    except JTopicsError as exc:
        raise _fail(exc) from None
    if out is not None:
        stdout.print(f"wrote {len(lines)} lines to {out}")
        return
    table = Table(title=f"KWIC: {term} ({len(lines)})", title_justify="left")
    table.add_column("section_id")
    table.add_column("left", justify="right")
    table.add_column("term", style="bold")
    table.add_column("right")
    for row in lines.itertuples(index=False):
        table.add_row(row.section_id, row.left, row.term, row.right)
    stdout.print(table)


def _write_file(frame, path: Path) -> None:
    """``frame`` as one CSV (UTF-8) or Excel file at ``path``, atomically."""
    import os
    import tempfile

    if not path.parent.is_dir():
        raise UsageError(f"--out {path}: no folder {path.parent}")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        if path.suffix.lower() == ".xlsx":
            frame.to_excel(tmp, index=False, engine="openpyxl")
        else:
            frame.to_csv(tmp, index=False, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@app.command("evaluate")
def evaluate_command(
    gold: Annotated[Path, typer.Option(help="CSV of hand labels (see pipeline/evaluate.py).")],
    inputs: Annotated[
        list[Path] | None,
        typer.Argument(help="Inputs to run on when --pred is not given (default: seeds/)."),
    ] = None,
    pred: Annotated[
        Path | None, typer.Option(help="Output folder of an earlier run to evaluate.")
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(help="Write the evaluation table to this CSV file (default: not written, "
                          "or evaluation.csv in --pred)."),
    ] = None,
    errors: Annotated[
        Path | None,
        typer.Option("--errors", help="Write every false positive and false negative with its "
                                      "evidence to this CSV file, and list them."),
    ] = None,
    themes: Annotated[Path | None, typer.Option(help="Theme taxonomy TOML.")] = None,
    min_score: Annotated[float, typer.Option(help="Theme score threshold.")] = 0.5,
    id_col: Annotated[str | None, typer.Option(help="Id column of tabular inputs.")] = None,
    text_col: Annotated[str | None, typer.Option(help="Text column of tabular inputs.")] = None,
    exclude_kinds: Annotated[
        str, typer.Option(help="Sentence kinds left out of theme tagging.")
    ] = "",
) -> None:
    """Precision, recall and F1 of the theme tags against hand labels (section or article)."""
    from .evaluate import errors as error_table
    from .evaluate import evaluate, load_gold
    from .output import write_tables

    try:
        if pred is not None:
            tables = _load_output(pred, required=("sections", "section_themes",
                                                  "article_themes"))
            theme_ids = [t.id for t in load_themes(themes or Config().themes_path)]
            target = report or pred / "evaluation.csv"
        else:
            config = Config(
                inputs=tuple(str(p) for p in inputs or ()), themes=themes, min_score=min_score,
                id_col=id_col, text_col=text_col, exclude_kinds=exclude_kinds,
                cache=None,
            )
            result = run(config)
            tables = {"sections": result.sections, "section_themes": result.section_themes,
                      "article_themes": result.article_themes}
            theme_ids = result.themes["theme_id"].tolist()
            target = report
        labels = load_gold(gold, tables["sections"])
        tags = tables["section_themes" if labels.level == "section" else "article_themes"]
        table = evaluate(labels.labels, tags, theme_ids)
        if target is not None:
            write_tables({target.stem: table}, target.parent, "csv")
        wrong = error_table(labels.labels, tags, tables["section_themes"])
        if errors is not None:
            write_tables({errors.stem: wrong}, errors.parent, "csv")
    except JTopicsError as exc:
        raise _fail(exc) from None
    view = Table(title=f"Theme tagging against {gold} ({labels.level}s)", title_justify="left")
    for column in table.columns:
        view.add_column(column, justify="left" if column == "theme_id" else "right")
    for row in table.itertuples(index=False):
        view.add_row(*[f"{v:.3f}" if isinstance(v, float) else str(v) for v in row])
    stdout.print(view)
    if errors is not None:
        for row in wrong.itertuples(index=False):
            stdout.print(f"{row.error} {row.id} {row.theme_id}: {row.evidence}", highlight=False,
                         markup=False)
        stdout.print(f"wrote {errors}")
    if target is not None:
        stdout.print(f"wrote {target}")


_SUMMARY_TABLES = ("articles", "sections", "themes", "section_themes", "article_themes",
                   "topics", "topic_summary")


def _load_output(folder: Path, required: tuple[str, ...] = _SUMMARY_TABLES,
                 skip: tuple[str, ...] = ()) -> dict:
    """The tables of an output folder (CSV with or without BOM, or Parquet), all but ``skip``."""
    from .plots import load_tables

    if not folder.is_dir():
        raise JTopicsError(f"{folder}: no such output folder")
    tables = load_tables(folder, skip)
    missing = [n for n in required if n not in tables]
    if missing:
        raise JTopicsError(f"{folder}: not a jtopics output folder (no {', '.join(missing)})")
    return tables


@app.command("report")
def report_command(
    out_dir: Annotated[
        Path, typer.Argument(help="Output folder of a run (default: data/out).")
    ] = Path("data/out"),
    max_sections: Annotated[
        int, typer.Option(min=1, help="Sections whose text the explorer embeds (the strongest "
                                      "of each theme and topic).")
    ] = 1000,
) -> None:
    """Write OUT_DIR/report.html: one self-contained page with plots, tables and an explorer."""
    from .report import write_report

    try:
        path = write_report(_load_output(out_dir, skip=LARGE_TABLES), out_dir / "report.html",
                            max_sections=max_sections)
    except JTopicsError as exc:
        raise _fail(exc) from None
    stdout.print(f"wrote {path}")


@app.command("show")
def show_command(
    out_dir: Annotated[
        Path, typer.Argument(help="Output folder of a run (default: data/out).")
    ] = Path("data/out"),
    top: Annotated[int, typer.Option(help="Sections listed per theme.")] = 3,
) -> None:
    """Summarise an output folder in the terminal: themes, topics, strongest sections."""
    try:
        tables = _load_output(out_dir, skip=LARGE_TABLES)
    except JTopicsError as exc:
        raise _fail(exc) from None
    from rich.text import Text

    width = stdout.width

    def line(text: str, style: str = "") -> None:
        # One line each, cut to the terminal's width (80 columns stay readable).
        shown = Text(text, style=style, no_wrap=True)
        shown.truncate(width, overflow="ellipsis")
        stdout.print(shown, soft_wrap=False, crop=True)

    tagged = tables["section_themes"]
    sections = tables["sections"].set_index("section_id")
    titles = tables["articles"].set_index("article_id")["title"].astype(str)
    line(f"Themes in {out_dir}: sections tagged, and the strongest ones (score, section, "
         "heading or title)", "bold")
    for row in tables["themes"].sort_values("n_sections", ascending=False,
                                            kind="stable").itertuples():
        if int(row.n_sections) == 0:
            continue
        line(f"{row.theme_id}  {row.label_ja}  {int(row.n_sections):,}", "bold")
        best = tagged[tagged["theme_id"] == row.theme_id].sort_values(
            ["score", "section_id"], ascending=[False, True]).head(top)
        for section_id, score in zip(best["section_id"], best["score"], strict=True):
            name = ""
            if section_id in sections.index:
                section = sections.loc[section_id]
                name = str(section["heading"]) or titles.get(str(section["article_id"]), "")
            line(f"  {float(score):.2f}  {section_id}  {name}")
    line("")
    line("Topics: share, label", "bold")
    for row in tables["topic_summary"].itertuples():
        line(f"{int(row.topic_id):>3}  {float(row.share):>4.0%}  {row.label}")


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        stderr.print("interrupted")
        sys.exit(130)
