from __future__ import annotations

import json
import pickle
import random
import shutil

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from typer.testing import CliRunner

from pipeline import Config, run
from pipeline.cli import app
from pipeline.model import ModelError, load_model
from pipeline.themes import SeededNaiveBayes
from pipeline.topics import TopicModel, match_topics

COMPARED = ("section_topics", "article_topics", "section_themes", "article_themes", "topics",
            "topic_summary", "topic_trends", "theme_trends")


def assert_same(left, right, names=COMPARED):
    for name in names:
        pd.testing.assert_frame_equal(
            getattr(left, name).reset_index(drop=True), getattr(right, name).reset_index(
                drop=True), check_exact=False, atol=1e-6, check_dtype=False, obj=name)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory, seeds_dir):
    folder = tmp_path_factory.mktemp("model") / "model"
    result = run(Config(inputs=(str(seeds_dir),), cache=None))
    result.model.save(folder)
    return result, folder


def test_apply_gives_the_run_its_own_values(fitted, seeds_dir):
    result, folder = fitted
    model = load_model(folder)
    applied = model.apply(Config(inputs=(str(seeds_dir),), cache=None))
    assert_same(result, applied)
    assert len(applied.section_themes) > 0 and len(applied.section_topics) > 0


def test_an_article_gets_its_values_whatever_it_is_applied_with(fitted, seeds_dir, tmp_path):
    result, folder = fitted
    one = sorted(seeds_dir.glob("*.txt"))[2]
    shutil.copy(one, tmp_path / one.name)
    applied = load_model(folder).apply(tmp_path / one.name)
    mine = result.section_topics[result.section_topics["section_id"].str.startswith(one.stem)]
    pd.testing.assert_frame_equal(mine.reset_index(drop=True),
                                  applied.section_topics.reset_index(drop=True), atol=1e-6)
    tagged = result.section_themes[result.section_themes["section_id"].str.startswith(one.stem)]
    pd.testing.assert_frame_equal(tagged.reset_index(drop=True),
                                  applied.section_themes.reset_index(drop=True))


def test_a_model_blanks_the_furniture_of_its_corpus_and_keeps_its_verifier(tmp_path):
    """An article applied alone gets its values from the fit, not from a census of itself or
    a newer shipped verifier."""
    from pipeline.furniture import MIN_ARTICLES

    footer = "当サイトは日米地位協定と在日米軍の最新ニュースを毎日お届けします。"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(MIN_ARTICLES):
        (corpus / f"a{i:02d}.txt").write_text(
            f"新製品の話 {i}\n今日は第{i}号の新しい製品{'が' * (i % 3 + 1)}発表された。\n"
            f"店頭には{i}人が並んだ。\n{footer}\n", encoding="utf-8")
    result = run(Config(inputs=(str(corpus),), cache=None, n_topics=2))
    assert result.model.furniture.lines and result.model.verifier is not None
    assert result.section_themes.empty  # the footer is furniture: no sofa evidence
    result.model.save(tmp_path / "model")
    model = load_model(tmp_path / "model")
    assert model.furniture == result.model.furniture
    assert np.array_equal(model.verifier.coef_words_, result.model.verifier.coef_words_)
    alone = model.apply(corpus / "a03.txt")
    assert alone.section_themes.empty  # alone, the footer is no furniture by a census
    mine = result.tokens[result.tokens["section_id"].str.startswith("a03")]
    assert alone.tokens["term"].tolist() == mine["term"].tolist()


def test_apply_does_not_depend_on_workers(fitted, seeds_dir):
    _result, folder = fitted
    model = load_model(folder)
    one = model.apply(Config(inputs=(str(seeds_dir),), cache=None, workers=1))
    two = model.apply(Config(inputs=(str(seeds_dir),), cache=None, workers=2, chunk_chars=5000))
    assert_same(one, two)


def test_loading_a_model_runs_no_pickle(fitted, seeds_dir, monkeypatch):
    _result, folder = fitted

    def refuse(*_args, **_kwargs):
        raise AssertionError("pickle used while loading a model")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    model = load_model(folder)
    assert model.topic_model.components_.shape[0] == len(model.topic_ids)
    # Every array reads with pickle disabled, and the other files are JSON, TOML or text.
    with np.load(folder / "arrays.npz", allow_pickle=False) as data:
        assert all(data[name].dtype != object for name in data.files)
    manifest = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    assert sorted(manifest["files"]) == ["arrays.npz", "stopwords.txt", "taxonomy/00.toml",
                                         "vocabulary.json"]


def test_fitted_pieces_follow_scikit_learn():
    model = TopicModel(4, random_state=3, max_iter=50)
    copy = clone(model)
    assert copy.get_params() == model.get_params() == {
        "n_topics": 4, "random_state": 3, "max_iter": 50, "init": "nndsvda",
        "loss": "frobenius", "tol": 1e-4}
    assert clone(SeededNaiveBayes(alpha=0.1)).get_params()["alpha"] == 0.1


def _corrupt(folder, how):
    if how == "checksum":
        path = folder / "vocabulary.json"
        path.write_text(path.read_text(encoding="utf-8").replace("[", "[\"改ざん\", ", 1),
                        encoding="utf-8")
        return "vocabulary.json: checksum mismatch"
    if how == "missing":
        (folder / "arrays.npz").unlink()
        return "arrays.npz: missing from the model folder"
    manifest = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    if how == "format":
        manifest["format_version"] = 99
        message = "model format 99"
    elif how == "dictionary":
        manifest["versions"]["unidic-lite dictionary"] = "0.0.1"
        message = "fitted with dictionary 0.0.1"
    else:
        (folder / "model.json").write_text("{not json", encoding="utf-8")
        return "model.json: corrupted"
    (folder / "model.json").write_text(json.dumps(manifest), encoding="utf-8")
    return message


@pytest.mark.parametrize("how", ["checksum", "missing", "format", "dictionary", "json"])
def test_a_bad_model_is_one_clear_line_and_nothing_written(fitted, seeds_dir, tmp_path, how):
    _result, folder = fitted
    broken = tmp_path / "model"
    shutil.copytree(folder, broken)
    message = _corrupt(broken, how)
    with pytest.raises(ModelError, match=message.split(":")[-1].strip()):
        load_model(broken)
    out = tmp_path / "out"
    done = CliRunner().invoke(app, ["apply", str(seeds_dir), "--model", str(broken), "--out",
                                    str(out), "--no-cache", "-q"])
    assert done.exit_code == 2
    assert message in " ".join(done.output.split()) and len(done.output.splitlines()) == 1
    assert not out.exists()


@pytest.mark.parametrize("target", ["missing", "output"])
def test_a_folder_that_is_not_a_model_is_refused(seeds_dir, tmp_path, target):
    runner = CliRunner()
    if target == "missing":
        done = runner.invoke(app, ["apply", str(seeds_dir), "--model", str(tmp_path / "nope"),
                                   "--out", str(tmp_path / "out"), "-q"])
        assert "no such model folder" in done.output
    else:
        (tmp_path / "tables").mkdir()
        (tmp_path / "tables" / "articles.csv").write_text("x\n", encoding="utf-8")
        done = runner.invoke(app, ["run", str(seeds_dir), "--out", str(tmp_path / "out"),
                                   "--save-model", str(tmp_path / "tables"), "--no-cache", "-q"])
        assert "--save-model" in done.output and "is not a model folder" in done.output
    assert done.exit_code == 2 and not (tmp_path / "out").exists()


def test_cli_saves_applies_and_writes_the_same_tables(seeds_dir, tmp_path):
    runner = CliRunner()
    done = runner.invoke(app, ["run", str(seeds_dir), "--out", str(tmp_path / "run"),
                               "--save-model", str(tmp_path / "model"), "--no-cache", "-q"])
    assert done.exit_code == 0, done.output
    done = runner.invoke(app, ["apply", str(seeds_dir), "--model", str(tmp_path / "model"),
                               "--out", str(tmp_path / "applied"), "--no-cache", "-q"])
    assert done.exit_code == 0, done.output
    for name in ("section_topics", "section_themes", "article_themes", "topics", "sections"):
        assert (tmp_path / "run" / f"{name}.csv").read_bytes() == (
            tmp_path / "applied" / f"{name}.csv").read_bytes(), name


# Four subjects with words of their own (written here): three in the first corpus, the
# fourth arrives with the update.
SUBJECTS = {
    "野球": ["投手", "打者", "本塁打", "球場", "監督", "試合", "三振", "捕手"],
    "料理": ["味噌", "出汁", "煮物", "包丁", "醤油", "献立", "食材", "鍋"],
    "金融": ["株価", "為替", "日銀", "金利", "債券", "投資家", "円安", "市場"],
    "天文": ["惑星", "望遠鏡", "彗星", "銀河", "天文台", "観測", "軌道", "衛星"],
}


def _write_subjects(folder, subjects, per_subject=10, seed=0):
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for subject in subjects:
        words = SUBJECTS[subject]
        for i in range(per_subject):
            sentences = [f"{rng.choice(words)}と{rng.choice(words)}の話題が{subject}で続いた。"
                         for _ in range(6)]
            (folder / f"{subject}{i:02d}.txt").write_text(
                f"{subject}の記事{i}\n\n" + "".join(sentences) + "\n", encoding="utf-8")


def test_update_keeps_the_ids_of_continuing_topics(tmp_path):
    old_corpus, new_corpus = tmp_path / "old", tmp_path / "new"
    _write_subjects(old_corpus, ["野球", "料理", "金融"])
    first = run(Config(inputs=(str(old_corpus),), n_topics=3, cache=None))
    first.model.save(tmp_path / "model")
    old_top = first.topics[first.topics["rank"] == 1].set_index("topic_id")["term"]

    # The old articles and a new subject: a plain refit lists the old subjects in another
    # order (野球 first), the update gives them their old ids.
    _write_subjects(new_corpus, ["天文", "野球", "料理", "金融"])
    model = load_model(tmp_path / "model")
    updated = run(Config(inputs=(str(new_corpus),), n_topics=4, cache=None), model=model,
                  refit=True)
    lineage = updated.topic_lineage
    assert list(lineage.columns) == ["old_topic_id", "new_topic_id", "similarity", "status"]
    continuing = lineage[lineage["status"] == "continuing"]
    assert sorted(continuing["old_topic_id"]) == [0, 1, 2]
    assert (continuing["old_topic_id"] == continuing["new_topic_id"]).all()
    assert (continuing["similarity"] > 0.8).all()
    assert lineage.loc[lineage["status"] == "new", "new_topic_id"].tolist() == [3]
    # A continuing id still names the same subject.
    new_top = updated.topics.set_index(["topic_id", "rank"])["term"]
    for topic_id, term in old_top.items():
        subject = next(s for s, words in SUBJECTS.items() if term in words or term == s)
        top5 = [new_top[(topic_id, r)] for r in range(1, 6)]
        assert set(top5) & {subject, *SUBJECTS[subject]}, (topic_id, top5)
    assert dict(zip(updated.topic_summary["topic_id"], updated.topic_summary["status"],
                    strict=True)) == {0: "continuing", 1: "continuing", 2: "continuing",
                                      3: "new"}
    # The updated model applies with its ids.
    updated.model.save(tmp_path / "updated")
    applied = load_model(tmp_path / "updated").apply(Config(inputs=(str(new_corpus),),
                                                            cache=None))
    assert_same(updated, applied, ("section_topics", "topics", "topic_summary"))


def test_match_topics_reports_new_and_gone_topics():
    similarity = np.array([[0.9, 0.1, 0.0], [0.2, 0.3, 0.1]])
    ids, lineage = match_topics(similarity, [4, 7])
    assert ids == [4, 8, 9]
    rows = {(r.old_topic_id, r.new_topic_id): r.status for r in lineage.itertuples()}
    assert rows == {(4, 4): "continuing", (-1, 8): "new", (-1, 9): "new", (7, -1): "gone"}
