from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.errors import UsageError
from pipeline.evaluate import evaluate, load_gold

DATA = Path(__file__).parent / "data"
SECTIONS = pd.DataFrame({
    "section_id": ["a#0", "a#1", "b#0"], "article_id": ["a", "a", "b"],
    "line_start": [1, 5, 1], "line_end": [4, 9, 3],
})


def write(tmp_path, text):
    path = tmp_path / "gold.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_known_answers(tmp_path):
    gold = load_gold(write(tmp_path, "article_id,line_start,themes\na,1,tariffs\na,7,sofa;china\n"
                                     "b,1,\n"), SECTIONS).labels
    assert gold == {"a#0": {"tariffs"}, "a#1": {"sofa", "china"}, "b#0": set()}
    predicted = pd.DataFrame({"section_id": ["a#0", "a#1", "b#0", "x#9"],
                              "theme_id": ["tariffs", "sofa", "china", "china"]})
    table = evaluate(gold, predicted, ["tariffs", "sofa", "china"]).set_index("theme_id")
    assert table.loc["tariffs", ["tp", "fp", "fn"]].tolist() == [1, 0, 0]
    assert table.loc["china", ["tp", "fp", "fn"]].tolist() == [0, 1, 1]
    assert table.loc["china", ["precision", "recall", "f1"]].tolist() == [0.0, 0.0, 0.0]
    assert table.loc["micro", ["tp", "fp", "fn"]].tolist() == [2, 1, 1]
    assert table.loc["micro", "f1"] == pytest.approx(2 / 3, abs=1e-4)
    assert table.loc["macro", "f1"] == pytest.approx((1 + 1 + 0) / 3, abs=1e-4)
    assert list(table.reset_index().columns) == [
        "theme_id", "support", "predicted", "tp", "fp", "fn", "precision", "recall", "f1"]


def test_section_id_gold_and_errors(tmp_path):
    gold = load_gold(write(tmp_path, "section_id,themes\nb#0,alliance\n"), SECTIONS)
    assert gold.level == "section" and gold.labels == {"b#0": {"alliance"}}
    with pytest.raises(UsageError, match=r"gold.csv:2: unknown section_id 'zz#0'"):
        load_gold(write(tmp_path, "section_id,themes\nzz#0,x\n"), SECTIONS)
    with pytest.raises(UsageError, match=r"gold.csv:2: no section of a covers line 20"):
        load_gold(write(tmp_path, "article_id,line_start,themes\na,20,x\n"), SECTIONS)
    with pytest.raises(UsageError, match="needs a 'themes' column"):
        load_gold(write(tmp_path, "id,labels\n1,x\n"), SECTIONS)


@pytest.mark.parametrize(("inputs", "gold"), [
    ("seeds", "gold_seeds.csv"),
    (str(DATA / "passages_dev.jsonl"), "gold_passages_dev.csv"),
    (str(DATA / "passages_dev2.jsonl"), "gold_passages_dev2.csv"),
    (str(DATA / "passages_dev3.jsonl"), "gold_passages_dev3.csv"),
])
def test_dev_sets_meet_the_quality_target(inputs, gold):
    """Regression guard on the development sets (labels written by reading the texts)."""
    from pipeline import Config, run

    repo = Path(__file__).parent.parent
    path = repo / inputs if inputs == "seeds" else Path(inputs)
    result = run(Config(inputs=(str(path),), id_col="id" if gold != "gold_seeds.csv" else None))
    table = evaluate(load_gold(DATA / gold, result.sections).labels, result.section_themes,
                     result.themes["theme_id"].tolist()).set_index("theme_id")
    assert table.loc["micro", "f1"] >= 0.85
    themes = table.drop(index=["micro", "macro"])
    assert (themes.loc[themes["support"] > 0, "recall"] >= 0.7).all()


def test_evaluate_command(tmp_path, seeds_dir):
    from typer.testing import CliRunner

    from pipeline.cli import app

    runner = CliRunner()
    out = tmp_path / "o"
    assert runner.invoke(app, ["run", str(seeds_dir), "--out", str(out), "-q"]).exit_code == 0
    result = runner.invoke(app, ["evaluate", "--gold", str(DATA / "gold_seeds.csv"),
                                 "--pred", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "evaluation.csv")
    assert table["theme_id"].tolist()[-2:] == ["micro", "macro"]
    assert "micro" in result.output


def test_article_labels_are_scored_against_article_themes_and_errors_listed(tmp_path):
    from pipeline.evaluate import errors

    gold = load_gold(write(tmp_path, "article_id,themes\na,sofa\nb,\n"), SECTIONS)
    assert gold.level == "article" and gold.labels == {"a": {"sofa"}, "b": set()}
    tags = pd.DataFrame({"article_id": ["a", "b"], "theme_id": ["china", "china"],
                         "score": [0.6, 0.7]})
    section_tags = pd.DataFrame({"section_id": ["a#0", "b#1"], "theme_id": ["china", "china"],
                                 "score": [0.6, 0.7], "evidence": ["中国+×2", "北京+×1"]})
    table = evaluate(gold.labels, tags, ["sofa", "china"]).set_index("theme_id")
    assert table.loc["micro", ["tp", "fp", "fn"]].tolist() == [0, 2, 1]
    wrong = errors(gold.labels, tags, section_tags)
    assert list(wrong.columns) == ["id", "theme_id", "error", "score", "evidence"]
    assert wrong[["id", "theme_id", "error", "evidence"]].values.tolist() == [
        ["a", "china", "fp", "中国+×2"], ["a", "sofa", "fn", ""], ["b", "china", "fp", "北京+×1"]]


def test_livedoor_dev_articles_guard(tmp_path, shared_dir):
    """Real news (the labelled dev-pool articles): a theme's words are not a theme. Guards the
    figures measured when this set was made (tests/data/README.md)."""
    import tarfile

    from pipeline import Config, run

    gold_file = DATA / "gold_livedoor_dev_articles.csv"
    wanted = set(pd.read_csv(gold_file)["article_id"])
    with tarfile.open(shared_dir / "corpora" / "livedoor-news-corpus.tar.gz") as tar:
        for member in tar:
            path = Path(member.name)
            if member.isfile() and path.stem in wanted:
                (tmp_path / path.name).write_bytes(tar.extractfile(member).read())
    result = run(Config(inputs=(str(tmp_path),), cache=None, n_topics=2))
    gold = load_gold(gold_file, result.sections)
    table = evaluate(gold.labels, result.article_themes,
                     result.themes["theme_id"].tolist()).set_index("theme_id")
    off_topic = [a for a, themes in gold.labels.items() if not themes]
    tagged = set(result.article_themes["article_id"])
    assert sum(a in tagged for a in off_topic) <= 0.05 * len(off_topic)
    assert table.loc["micro", "f1"] >= 0.25
