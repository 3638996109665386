from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline import Config, run
from pipeline.api import OUTPUT_COLUMNS

EXPECTED_COLUMNS = {
    "articles": ["article_id", "source", "title", "url", "published", "n_sections", "n_chars",
                 "encoding", "sha256"],
    "article_meta": ["article_id", "key", "value"],
    "sections": ["section_id", "article_id", "ordinal", "kind", "heading", "level",
                 "parent_id", "heading_path", "line_start", "line_end", "char_start",
                 "char_end", "published", "text"],
    "boilerplate": ["article_id", "line", "text"],
    "sentences": ["section_id", "sentence_id", "kind", "text", "char_start", "char_end"],
    "citations": ["section_id", "outlet", "url", "note"],
    "tokens": ["section_id", "position", "surface", "term", "pos", "pos_detail", "char_start",
               "char_end", "is_content", "parts"],
    "topics": ["topic_id", "rank", "term", "weight", "relevance"],
    "topic_sections": ["topic_id", "rank", "section_id", "weight"],
    "topic_summary": ["topic_id", "label", "share", "coherence", "stability", "status"],
    "section_topics": ["section_id", "topic_id", "weight"],
    "article_topics": ["article_id", "topic_id", "weight"],
    "topic_trends": ["topic_id", "period", "weight"],
    "topic_lineage": ["old_topic_id", "new_topic_id", "similarity", "status"],
    "k_selection": ["k", "coherence", "stability", "reconstruction_error", "score", "chosen"],
    "section_themes": ["section_id", "theme_id", "score", "evidence", "method"],
    "article_themes": ["article_id", "theme_id", "score", "share", "n_sections"],
    "theme_trends": ["theme_id", "period", "n_sections", "period_sections", "share"],
    "group_themes": ["by", "group", "period", "theme_id", "n_articles", "n_sections",
                     "group_articles", "group_sections", "share", "ci_low", "ci_high"],
    "group_topics": ["by", "group", "period", "topic_id", "n_articles", "n_sections",
                     "group_articles", "group_sections", "share", "ci_low", "ci_high"],
    "keyness": ["by", "group", "theme_id", "rank", "term", "count", "expected",
                "log_odds_ratio", "z"],
    "themes": ["theme_id", "label_ja", "label_en", "n_sections"],
}


def test_output_contract_columns(seeds_result):
    assert OUTPUT_COLUMNS == EXPECTED_COLUMNS
    tables = seeds_result.tables()
    assert {name: list(df.columns) for name, df in tables.items()} == EXPECTED_COLUMNS
    for name in ("articles", "sections", "tokens", "topics", "section_topics", "article_topics",
                 "topic_trends", "section_themes", "article_themes", "themes"):
        assert len(tables[name]) > 0, name


def test_seed_run_invariants(seeds_result):
    r = seeds_result
    assert len(r.articles) == 5
    assert r.articles["n_sections"].sum() == len(r.sections)
    assert set(r.tokens["section_id"]) <= set(r.sections["section_id"])
    np.testing.assert_allclose(r.section_topics.groupby("section_id")["weight"].sum(), 1.0,
                               atol=1e-5)
    assert abs(r.topic_summary["share"].sum() - 1) < 1e-5
    assert r.section_themes["score"].between(0.5, 1).all()
    assert r.article_themes["score"].between(0, 1).all()
    assert set(r.section_themes["section_id"]) <= set(r.sections["section_id"])
    counts = r.section_themes["theme_id"].value_counts()
    assert r.themes.set_index("theme_id")["n_sections"].to_dict() == {
        t: int(counts.get(t, 0)) for t in r.themes["theme_id"]
    }


def test_same_seed_writes_byte_identical_csv(tmp_path, seeds_dir):
    outputs = []
    for name in ("one", "two"):
        result = run(Config(inputs=(str(seeds_dir),), out=tmp_path / name))
        result.write()
        outputs.append(tmp_path / name)
    csvs = sorted(p.name for p in outputs[0].glob("*.csv"))
    assert len(csvs) == len(EXPECTED_COLUMNS)
    for name in csvs:
        assert (outputs[0] / name).read_bytes() == (outputs[1] / name).read_bytes(), name


def test_manifest_records_config_inputs_rows_and_versions(tmp_path, seeds_dir):
    result = run(Config(inputs=(str(seeds_dir),), out=tmp_path / "o", n_topics=3, seed=5))
    result.write()
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["config"]["n_topics"] == 3 and manifest["config"]["seed"] == 5
    assert len(manifest["inputs"]) == 5
    assert all(len(i["sha256"]) == 64 for i in manifest["inputs"])
    assert manifest["rows"]["themes"] == 16
    assert set(manifest["seconds"]) >= {"ingest", "segment", "tokenize", "vectorize", "topics",
                                        "themes", }
    for package in ("fugashi", "unidic-lite", "scikit-learn", "pandas"):
        assert manifest["versions"][package][0].isdigit()
    assert manifest["skipped"] == []
    assert result.topic_summary["topic_id"].tolist() == [0, 1, 2]


def test_tiny_corpus_still_gives_valid_tables(tmp_path):
    # an issue term: a bare context word such as 関税 carries no theme alone
    (tmp_path / "a.txt").write_text("追加関税\n", encoding="utf-8")
    result = run(Config(inputs=(str(tmp_path),)))
    assert len(result.sections) == 1
    assert result.section_themes["theme_id"].tolist() == ["tariffs"]
    assert len(result.topic_summary) == 1
    assert result.section_topics["weight"].tolist() == [1.0]


def test_two_workers_give_identical_tables(seeds_dir, tmp_path):
    # Small chunks, so that two processes really share the five articles.
    options = {"inputs": (str(seeds_dir),), "cache": None, "chunk_chars": 5000,
               "out": tmp_path / "out"}
    one = run(Config(workers=1, **options)).tables()
    two = run(Config(workers=2, **options)).tables()
    _assert_same_tables(one, two)


def _assert_same_tables(one, two) -> None:
    for name in one:
        left = one[name].to_pandas() if hasattr(one[name], "to_pandas") else one[name]
        right = two[name].to_pandas() if hasattr(two[name], "to_pandas") else two[name]
        pd.testing.assert_frame_equal(left.reset_index(drop=True), right.reset_index(drop=True),
                                      obj=name)


def test_chunked_run_streams_tokens_and_matches_one_chunk(seeds_dir, tmp_path):
    from pipeline.output import PartitionedTable

    whole = run(Config(inputs=(str(seeds_dir),), workers=1, cache=None))
    # About one article a chunk, in two processes: tokens go to Parquet part files.
    chunked = run(Config(inputs=(str(seeds_dir),), workers=2, cache=None, chunk_chars=5000,
                         out=tmp_path / "out"))
    assert isinstance(chunked.token_table, PartitionedTable)
    assert len(chunked.token_table.paths) >= 3
    _assert_same_tables(whole.tables(), chunked.tables())

    chunked.write(tmp_path / "out", formats="both")
    whole.write(tmp_path / "whole", formats="both")
    for name in ("sections", "sentences", "boilerplate", "tokens"):
        assert (tmp_path / "out" / f"{name}.parquet").is_dir(), name
    # Written section parts hold exactly the written columns (linked, not rewritten).
    first_part = tmp_path / "out" / "sections.parquet" / "part-00000.parquet"
    assert list(pd.read_parquet(first_part).columns) == OUTPUT_COLUMNS["sections"]
    parts = sorted((tmp_path / "out" / "tokens.parquet").glob("part-*.parquet"))
    assert len(parts) == len(chunked.token_table.paths)
    # The folder of parts reads as one table, equal to the CSV and to the one-chunk run.
    tokens = pd.read_parquet(tmp_path / "out" / "tokens.parquet")
    pd.testing.assert_frame_equal(tokens, whole.tokens[list(tokens.columns)])
    for csv in (tmp_path / "whole").glob("*.csv"):
        assert (tmp_path / "out" / csv.name).read_bytes() == csv.read_bytes(), csv.name
    # The in-memory analysis text comes back from its own part files, row for row (read
    # after writing: loading puts the whole table in the result instead of its parts).
    pd.testing.assert_series_equal(chunked.sections["analysis_text"],
                                   whole.sections["analysis_text"])
    # The spool folder beside the output disappears with the result.
    del chunked
    import gc

    gc.collect()
    assert not list(tmp_path.glob(".out.tokens-*"))


def test_dask_local_cluster_gives_the_local_engine_tables(seeds_dir, tmp_path):
    local = run(Config(inputs=(str(seeds_dir),), workers=1, cache=None))
    dask = run(Config(inputs=(str(seeds_dir),), engine="dask", workers=2, cache=None,
                      chunk_chars=8000, out=tmp_path / "out"))
    _assert_same_tables(local.tables(), dask.tables())


def test_dask_matches_local_on_a_livedoor_sample(livedoor_sample, tmp_path):
    folder = tmp_path / "livedoor"
    folder.mkdir()
    articles = livedoor_sample(15)
    for name, data in articles:
        (folder / name).write_bytes(data)
    assert len(articles) == 135
    options = {"inputs": (str(folder),), "cache": None, "unit": "article", "n_topics": 9}
    local = run(Config(workers=1, **options))
    dask = run(Config(engine="dask", workers=2, chunk_chars=40_000, out=tmp_path / "out",
                      **options))
    assert len(dask.token_table.paths) >= 4
    _assert_same_tables(local.tables(), dask.tables())


def test_the_library_writes_nothing_unless_asked(tmp_path, monkeypatch, seeds_dir):
    # several chunks, so that the token parts are spooled to disk
    monkeypatch.chdir(tmp_path)
    result = run(Config(inputs=(str(seeds_dir),), chunk_chars=5000))
    assert len(result.tokens) > 0
    assert list(tmp_path.iterdir()) == []


def test_progress_reports_each_step_once_in_order(seeds_dir):
    from pipeline.api import STAGES

    seen = []
    run(Config(inputs=(str(seeds_dir),)), progress=seen.append)
    assert [m for m in seen if ": " not in m] == list(STAGES)
    # within the topic fits, lines of their own, after the stage started
    details = [m for m in seen if ": " in m]
    assert details == ["topics: fitting 5 topics on 24 documents (and 3 restarts on subsamples)"]
    assert seen.index(details[0]) > seen.index("vectorize")


def test_config_takes_paths_as_strings_and_reports_them_as_strings():
    config = Config(themes_add=("extra.toml",), skip_tables="tokens, sentences")
    assert config.themes_add == (Path("extra.toml"),)
    assert config.skip_tables == ("tokens", "sentences")
    assert config.to_dict()["themes_add"] == ["extra.toml"]


def test_readme_table_of_outputs_is_the_declared_one():
    from pipeline.tables import markdown

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert markdown() in readme, "README.md: paste pipeline.tables.markdown() over the table"


def test_every_table_has_the_declared_types(seeds_result):
    from pandas.api import types

    from pipeline.tables import TABLES

    check = {"str": lambda d: types.is_string_dtype(d) or types.is_object_dtype(d),
             "int64": lambda d: str(d) == "int64", "float64": lambda d: str(d) == "float64",
             "bool": types.is_bool_dtype}
    for name, table in seeds_result.tables().items():
        frame = table.to_pandas() if hasattr(table, "to_pandas") else table
        if frame.empty:
            continue
        for column in TABLES[name].columns:
            assert check[column.dtype](frame[column.name].dtype), (
                name, column.name, frame[column.name].dtype)


def test_result_has_a_short_readable_repr(seeds_result):
    text = repr(seeds_result)
    assert text.startswith("Result(5 articles, 24 sections, ")
    assert text.endswith(f"topics; {len(OUTPUT_COLUMNS)} tables: .tables() or .articles, "
                         ".sections …)") and len(text) < 200
