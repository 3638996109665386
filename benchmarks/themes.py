"""Theme tagging quality on every labelled set, with an ablation of the scoring's parts.

Each set is run through the pipeline once (segmentation, tokens, TF-IDF, evidence); the theme
tables are then scored again for each variant of the scoring (``ScoringOptions``). Prints one
table: set, variant, micro precision, recall, F1, and the share of off-topic items tagged.

    .venv/bin/python benchmarks/themes.py            # every set (Livedoor needs ../shared)
    .venv/bin/python benchmarks/themes.py --sets seeds passages_dev

The Livedoor set (``tests/data/gold_livedoor_dev_articles.csv``) is scored at article level on
the dev-pool articles it labels, unpacked from ``../shared/corpora`` to a temporary folder.
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
import tarfile  # noqa: E402
import tempfile  # noqa: E402

import pandas as pd  # noqa: E402

from pipeline import Config, run  # noqa: E402
from pipeline.evaluate import evaluate, load_gold  # noqa: E402
from pipeline.themes import (  # noqa: E402
    ScoringOptions,
    lexical_evidence,
    load_themes,
    theme_tables,
)

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
LIVEDOOR = REPO.parent / "shared" / "corpora" / "livedoor-news-corpus.tar.gz"

SETS = {
    "seeds": (REPO / "seeds", "gold_seeds.csv", None),
    "passages_dev": (DATA / "passages_dev.jsonl", "gold_passages_dev.csv", "id"),
    "passages_dev2": (DATA / "passages_dev2.jsonl", "gold_passages_dev2.csv", "id"),
    "passages_dev3": (DATA / "passages_dev3.jsonl", "gold_passages_dev3.csv", "id"),
    "passages_heldout": (DATA / "passages_heldout.jsonl", "gold_passages_heldout.csv", "id"),
    "layouts": (DATA / "layouts", "gold_layouts_sections.csv", None),
    "layouts_round4": (DATA / "layouts_round4", "gold_layouts_round4_sections.csv", None),
    "livedoor_dev": (None, "gold_livedoor_dev_articles.csv", None),
}
VARIANTS = {
    "lexicon alone": ScoringOptions(density=False, learned=False, verifier=False,
                                    framing=False),
    "+ density": ScoringOptions(density=True, learned=False, verifier=False, framing=False),
    "+ density + naive Bayes": ScoringOptions(density=True, learned=True, verifier=False,
                                              framing=False),
    "+ density + naive Bayes + guided NMF": ScoringOptions(density=True, learned=True,
                                                          guided=True, verifier=False,
                                                          framing=False),
    "+ density + naive Bayes + framing": ScoringOptions(verifier=False),
    # Trained on every set here but passages_heldout: in-sample figures for the others
    # (benchmarks/train_verifier.py gives the cross-validated ones).
    "+ density + naive Bayes + verifier (shipped)": ScoringOptions(),
}


def unpack_livedoor(gold: Path, folder: Path) -> Path:
    """The labelled Livedoor articles, unpacked into ``folder``."""
    wanted = set(pd.read_csv(gold)["article_id"])
    with tarfile.open(LIVEDOOR) as tar:
        for member in tar:
            name = Path(member.name).stem
            if member.isfile() and name in wanted:
                target = folder / Path(member.name).parent.name / Path(member.name).name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tar.extractfile(member).read())
    return folder


def scores(name: str, inputs: Path, gold_file: Path, id_col: str | None) -> list[dict]:
    result = run(Config(inputs=(str(inputs),), id_col=id_col, cache=None,
                        n_topics=2))
    taxonomy = load_themes(Config().themes_path)
    evidence = lexical_evidence(result.sections, result.tokens, taxonomy)
    gold = load_gold(gold_file, result.sections)
    rows = []
    counts, dtm = _section_matrix(result)
    for variant, options in VARIANTS.items():
        section_themes, article_themes, _ = theme_tables(
            result.sections, evidence, taxonomy, dtm=dtm, options=options, counts=counts)
        tags = section_themes if gold.level == "section" else article_themes
        table = evaluate(gold.labels, tags, taxonomy.ids).set_index("theme_id")
        key = "section_id" if gold.level == "section" else "article_id"
        off_topic = [i for i, themes in gold.labels.items() if not themes]
        tagged = set(tags[key])
        rows.append({
            "set": name, "level": gold.level, "items": len(gold.labels), "variant": variant,
            "precision": table.loc["micro", "precision"], "recall": table.loc["micro", "recall"],
            "f1": table.loc["micro", "f1"],
            "off_topic_tagged": (f"{sum(i in tagged for i in off_topic)}/{len(off_topic)}"
                                 if off_topic else "-"),
        })
    return rows


def _section_matrix(result):
    from pipeline.vectorize import merge_counts, term_counts, vectorize_counts

    counts = merge_counts([term_counts(result.tokens, result.sections)])
    return counts, vectorize_counts(counts, result.sections, unit="section").sections


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="*", default=list(SETS), choices=list(SETS))
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.sets:
            inputs, gold, id_col = SETS[name]
            if inputs is None:
                if not LIVEDOOR.exists():
                    print(f"{name}: skipped ({LIVEDOOR} is absent)")
                    continue
                inputs = unpack_livedoor(DATA / gold, Path(tmp) / "livedoor")
            rows += scores(name, inputs, DATA / gold, id_col)
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
