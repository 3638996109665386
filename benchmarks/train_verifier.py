"""Train the theme verifier on the labelled sets, cross-validated, with the ablation table.

Every development set of ``tests/data/`` (the seeds, the passages, the layout documents, the
Livedoor dev-pool articles) is run through the pipeline once; each (section, theme) with
evidence is a candidate, labelled by the set's gold. The verifier is scored by 5-fold
cross-validation grouped by document (a document's sections are never split between training
and test), pooled over the sets; ``passages_heldout`` is never trained on and is scored with
the verifier fitted on all the others. Prints, per set, micro P / R / F1 and the off-topic
items tagged for each variant:

    .venv/bin/python benchmarks/train_verifier.py            # the table
    .venv/bin/python benchmarks/train_verifier.py --write    # and write the shipped weights
    .venv/bin/python benchmarks/train_verifier.py --repeats 10   # and the spread over splits

The Livedoor set is scored at article level (as ``benchmarks/themes.py`` does).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# benchmarks/tokenize.py would shadow the standard library's tokenize: keep this folder off
# the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import argparse  # noqa: E402
import csv  # noqa: E402
import importlib.util  # noqa: E402
import tempfile  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.model_selection import GroupKFold  # noqa: E402

from pipeline import Config, run  # noqa: E402
from pipeline.evaluate import evaluate, load_gold  # noqa: E402
from pipeline.themes import (  # noqa: E402
    Candidates,
    ScoringOptions,
    ThemeVerifier,
    candidates,
    framed_evidence,
    lexical_evidence,
    load_themes,
    theme_tables,
)
from pipeline.themes.scoring import (  # noqa: E402
    DECIMALS,
    VERIFIER_VETO,
    VERIFIER_WEIGHT,
    article_scores,
    learned_posteriors,
    verified_scores,
)
from pipeline.themes.supervised import VERIFIER_PATH  # noqa: E402
from pipeline.vectorize import term_counts, vectorize_counts  # noqa: E402

# The sets and the Livedoor unpacking of benchmarks/themes.py (not importable by name: this
# folder is off the path).
_spec = importlib.util.spec_from_file_location("themes_benchmark", HERE / "themes.py")
_themes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_themes)
DATA, LIVEDOOR, SETS, unpack_livedoor = (_themes.DATA, _themes.LIVEDOOR, _themes.SETS,
                                         _themes.unpack_livedoor)

HELD_OUT = "passages_heldout"
FOLDS = 5
# (veto, weight) variants of the verifier step; the shipped one is marked.
VERIFIER_VARIANTS = ((VERIFIER_VETO, 0.0), (0.2, VERIFIER_WEIGHT), (VERIFIER_VETO, VERIFIER_WEIGHT),
                     (0.4, VERIFIER_WEIGHT), (VERIFIER_VETO, 0.3))


@dataclass
class LabelledSet:
    """One set's sections, evidence, candidates and labels."""

    name: str
    sections: pd.DataFrame
    level: str
    labels: dict[str, set[str]]  # the gold, at the set's level
    section_labels: dict[str, set[str]]  # the gold of each labelled section
    candidates: Candidates
    baseline: dict[str, pd.DataFrame]  # variant -> section_themes without the verifier
    scored: pd.DataFrame  # every scored (section, theme) of the shipped steps 1-2, any score


def livedoor_section_labels(sections: pd.DataFrame, article_labels: dict) -> dict:
    """Section gold of the Livedoor articles: every section of an off-topic article is
    off-topic; an on-topic article's sections carry the themes its section labels give
    (``gold_livedoor_dev_sections.csv``), within the article's."""
    with (DATA / "gold_livedoor_dev_sections.csv").open(encoding="utf-8") as fh:
        by_section = {row["section_id"]: {t for t in row["themes"].split(";") if t}
                      for row in csv.DictReader(fh)}
    return {sid: (by_section.get(sid, set()) & article_labels[aid]
                  if article_labels.get(aid) else set())
            for sid, aid in zip(sections["section_id"], sections["article_id"], strict=True)}


def load_set(name: str, inputs: Path, gold_file: Path, id_col: str | None) -> LabelledSet:
    result = run(Config(inputs=(str(inputs),), id_col=id_col, cache=None, n_topics=2))
    taxonomy = load_themes(Config().themes_path)
    sections = result.sections
    evidence = lexical_evidence(sections, result.tokens, taxonomy)
    gold = load_gold(gold_file, sections)
    section_labels = (livedoor_section_labels(sections, gold.labels)
                      if gold.level == "article" else gold.labels)
    counts = term_counts(result.tokens, sections)
    dtm = vectorize_counts(counts, sections, unit="section").sections
    ids = list(sections["section_id"])
    # The candidates as the shipped scoring sees them: after the leads' framing.
    framed = framed_evidence(evidence, sections, taxonomy)
    learned = learned_posteriors(ids, framed, taxonomy, dtm)
    found = candidates(ids, framed, taxonomy, (sections["ordinal"] == 0).to_numpy(), counts,
                       learned)
    baseline = {}
    for variant, options in {
        "lexicon alone": ScoringOptions(density=False, learned=False, verifier=False,
                                        framing=False),
        "+ density": ScoringOptions(density=True, learned=False, verifier=False, framing=False),
        "+ density + naive Bayes": ScoringOptions(density=True, learned=True, verifier=False,
                                                  framing=False),
        "+ density + naive Bayes + framing": ScoringOptions(verifier=False),
    }.items():
        baseline[variant] = theme_tables(sections, evidence, taxonomy, dtm=dtm,
                                         options=options)[0]
    scored = theme_tables(sections, evidence, taxonomy, min_score=0.0, dtm=dtm,
                          options=ScoringOptions(verifier=False))[0]
    return LabelledSet(name, sections, gold.level, gold.labels, section_labels, found,
                       baseline, scored)


def subset(found: Candidates, keep: np.ndarray) -> Candidates:
    return Candidates(found.rows[keep], found.themes[keep], found.theme_ids,
                      found.features[keep], found.words)


@dataclass
class Pooled:
    """The candidates of several sets as one (rows offset per set)."""

    candidates: Candidates
    y: np.ndarray  # whether each candidate's section discusses its theme
    groups: np.ndarray  # "set/article" of each candidate: the cross-validation groups
    owner: np.ndarray  # index (in the sets given) of each candidate's set


def pooled(sets: list[LabelledSet], only_labelled: bool = True) -> Pooled:
    """One Candidates over several sets, with labels, groups and the set of each."""
    rows, themes, features, words, y, groups, owner = [], [], [], {}, [], [], []
    offset = 0
    for s_index, s in enumerate(sets):
        c = s.candidates
        ids = list(s.sections["section_id"])
        articles = list(s.sections["article_id"])
        for k in range(len(c)):
            sid = ids[c.rows[k]]
            if only_labelled and sid not in s.section_labels:
                continue
            rows.append(offset + c.rows[k])
            themes.append(c.themes[k])
            features.append(c.features[k])
            words[offset + int(c.rows[k])] = c.words[int(c.rows[k])]
            y.append(c.theme_ids[c.themes[k]] in s.section_labels.get(sid, set()))
            groups.append(f"{s.name}/{articles[c.rows[k]]}")
            owner.append(s_index)
        offset += len(ids)
    theme_ids = sets[0].candidates.theme_ids
    n_features = sets[0].candidates.features.shape[1]
    found = Candidates(np.asarray(rows, np.int64), np.asarray(themes, np.int64), theme_ids,
                       np.asarray(features, np.float64).reshape(len(rows), n_features), words)
    return Pooled(found, np.asarray(y), np.asarray(groups), np.asarray(owner))


def tags_from(s: LabelledSet, found: Candidates, probability: np.ndarray,
              threshold: float = 0.5) -> pd.DataFrame:
    ids = list(s.sections["section_id"])
    keep = probability >= threshold
    return pd.DataFrame({
        "section_id": [ids[r] for r in found.rows[keep]],
        "theme_id": [found.theme_ids[t] for t in found.themes[keep]],
        "score": probability[keep], "evidence": "", "method": "verifier"})


def vetoed(s: LabelledSet, probability: np.ndarray, veto: float = VERIFIER_VETO,
           weight: float = VERIFIER_WEIGHT, min_score: float = 0.5) -> pd.DataFrame:
    """The shipped scoring's tags with the verifier step (veto, nudge) given these
    probabilities of the set's candidates."""
    ids = list(s.sections["section_id"])
    found = s.candidates
    of_candidate = {(ids[r], found.theme_ids[t]): p for r, t, p in
                    zip(found.rows, found.themes, probability, strict=True)}
    table = s.scored
    p = np.array([of_candidate.get(key, np.nan) for key in
                  zip(table["section_id"], table["theme_id"], strict=True)])
    scores = verified_scores(table["score"].to_numpy(np.float64), p, veto, weight)
    return table.assign(score=scores)[np.round(scores, DECIMALS) >= min_score]


def score_row(s: LabelledSet, section_themes: pd.DataFrame, variant: str) -> dict:
    taxonomy = load_themes(Config().themes_path)
    if s.level == "article":
        tags, key = article_scores(s.sections, section_themes, taxonomy), "article_id"
    else:
        tags, key = section_themes, "section_id"
    table = evaluate(s.labels, tags, taxonomy.ids).set_index("theme_id")
    off_topic = [i for i, themes in s.labels.items() if not themes]
    tagged = set(tags[key])
    return {"set": s.name, "variant": variant,
            "precision": round(table.loc["micro", "precision"], 3),
            "recall": round(table.loc["micro", "recall"], 3),
            "f1": round(table.loc["micro", "f1"], 3),
            "off_topic_tagged": (f"{sum(i in tagged for i in off_topic)}/{len(off_topic)}"
                                 if off_topic else "-")}


def cross_validated(sets: list[LabelledSet], train: list[int], make,
                    shuffle_seed: int | None = None) -> dict[int, np.ndarray]:
    """Out-of-fold probabilities of every candidate of the training sets (grouped by
    document), and the held-out sets' probabilities from a fit on all training sets.
    ``shuffle_seed`` None: the documents are dealt to folds by size (the shipped table);
    an int: shuffled with that seed (one repeat of ``--repeats``)."""
    pool = pooled([sets[i] for i in train])
    found, y, groups, owner = pool.candidates, pool.y, pool.groups, pool.owner
    probability = np.zeros(len(y))
    folds = (GroupKFold(n_splits=FOLDS) if shuffle_seed is None else
             GroupKFold(n_splits=FOLDS, shuffle=True, random_state=shuffle_seed))
    for fit_rows, test_rows in folds.split(y, y, groups):
        model = make().fit(subset(found, fit_rows), y[fit_rows])
        probability[test_rows] = model.predict_proba(subset(found, test_rows))[:, 1]
    out = {}
    for position, i in enumerate(train):
        s = sets[i]
        labelled = [k for k in range(len(s.candidates))
                    if str(s.sections["section_id"].iloc[s.candidates.rows[k]])
                    in s.section_labels]
        p = np.zeros(len(s.candidates))
        p[labelled] = probability[owner == position]
        out[i] = p
    full = make().fit(found, y)
    for i, s in enumerate(sets):
        if i not in train:
            out[i] = full.predict_proba(s.candidates)[:, 1]
    return out


def repeated(sets: list[LabelledSet], train: list[int], repeats: int) -> pd.DataFrame:
    """The shipped scoring's cross-validated F1 over ``repeats`` shuffles of the folds: mean,
    standard deviation, lowest and highest per set. On a set with few positive labels one
    article moves F1 by a few hundredths, so one split's figure says little on its own."""
    rows = []
    for seed in range(repeats):
        verifier_cv = cross_validated(sets, train, ThemeVerifier, shuffle_seed=seed)
        for i, s in enumerate(sets):
            row = score_row(s, vetoed(s, verifier_cv[i]), "shipped")
            off = row["off_topic_tagged"]
            rows.append({"set": s.name, "f1": row["f1"],
                         "off_topic": int(off.split("/")[0]) if off != "-" else np.nan})
    table = pd.DataFrame(rows).groupby("set", sort=False).agg(
        f1_mean=("f1", "mean"), f1_sd=("f1", "std"), f1_min=("f1", "min"),
        f1_max=("f1", "max"), off_topic_mean=("off_topic", "mean")).round(3).reset_index()
    table.insert(1, "variant", f"shipped, {repeats} shuffled 5-fold CVs")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true",
                        help=f"fit on every development set and write {VERIFIER_PATH.name}")
    parser.add_argument("--repeats", type=int, default=1,
                        help="also cross-validate the shipped scoring on this many shuffled "
                             "fold splits and print the spread")
    args = parser.parse_args()
    sets: list[LabelledSet] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, (inputs, gold, id_col) in SETS.items():
            if inputs is None:
                if not LIVEDOOR.exists():
                    sys.exit(f"{LIVEDOOR} is absent: the verifier is trained with Livedoor")
                inputs = unpack_livedoor(DATA / gold, Path(tmp) / "livedoor")
            sets.append(load_set(name, inputs, DATA / gold, id_col))
    train = [i for i, s in enumerate(sets) if s.name != HELD_OUT]
    pool = pooled([sets[i] for i in train])
    found, y = pool.candidates, pool.y
    print(f"training candidates: {len(y)} ({int(y.sum())} positive) from "
          f"{', '.join(sets[i].name for i in train)}; {HELD_OUT} held out")
    rows = []
    verifier_cv = cross_validated(sets, train, ThemeVerifier)
    for i, s in enumerate(sets):
        for variant, table in s.baseline.items():
            rows.append(score_row(s, table, variant))
        label = "held out" if i not in train else "5-fold CV"
        rows.append(score_row(s, tags_from(s, s.candidates, verifier_cv[i]),
                              f"+ verifier decides ({label})"))
        for veto, weight in VERIFIER_VARIANTS:
            shipped = (veto, weight) == (VERIFIER_VETO, VERIFIER_WEIGHT)
            rows.append(score_row(s, vetoed(s, verifier_cv[i], veto, weight),
                                  f"+ framing + verifier (veto < {veto}, nudge "
                                  f"{weight})"
                                  f"{' (shipped)' if shipped else ''} ({label})"))
    print(pd.DataFrame(rows).to_string(index=False))
    if args.repeats > 1:
        print(repeated(sets, train, args.repeats).to_string(index=False))
    if args.write:
        ThemeVerifier().fit(found, y).save(VERIFIER_PATH)
        print(f"wrote {VERIFIER_PATH} ({VERIFIER_PATH.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
