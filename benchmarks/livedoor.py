"""Topic quality on the Livedoor news corpus: NMI of each article's dominant topic against its
category, for jtopics and for the bag-of-words baselines of issue 23, all on the same
boilerplate-free text, fitted in the same run over three seeds.

    .venv/bin/python benchmarks/livedoor.py [--limit N] [--k 9] [--seeds 0,1,2] [--auto]

The text every model sees is what jtopics analyses: each article's sections with the
boilerplate lines blanked (``sections.analysis_text``; no URL/date header, no related-article
lists or outlet footers). Models:

* ``jtopics run --unit article --topics K --seed S`` (its NMF on its own TF-IDF);
* naive lemmas (fugashi, lemmas of 名詞/動詞/形容詞, numbers and single hiragana dropped) and
  ``TfidfVectorizer(min_df=5, max_df=0.5, sublinear_tf=True)``, then NMF (nndsvda), KMeans
  (n_init=10) and TruncatedSVD(100) + L2 normalise + KMeans (n_init=10);
* the same three on jtopics' own content terms (its TF-IDF matrix).

``--auto`` also times a whole ``jtopics run --unit article --topics auto`` with 2 workers and
no token cache, and prints the k it chose and that model's NMI.
Needs ../shared/corpora/livedoor-news-corpus.tar.gz (never copied into the project).
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/tokenize.py would shadow the standard library's tokenize: keep this folder off
# the import path.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import re  # noqa: E402
import tarfile  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

import numpy as np  # noqa: E402

_spec = importlib.util.spec_from_file_location("_corpus", HERE / "_corpus.py")
_corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_corpus)


@dataclass
class Row:
    """One model's NMI per seed."""

    model: str
    nmi: dict[int, float] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def mean(self) -> float:
        return float(np.mean(list(self.nmi.values())))

    @property
    def spread(self) -> float:
        return max(self.nmi.values()) - min(self.nmi.values())


def extract(limit: int | None, folder: Path) -> dict[str, str]:
    """Write the articles into ``folder``; return article_id (file stem) -> category."""
    categories = {}
    with tarfile.open(_corpus.LIVEDOOR) as tar:
        for member in tar:
            parts = member.name.split("/")
            if (not member.isfile() or len(parts) != 3 or not parts[2].endswith(".txt")
                    or parts[2].startswith("LICENSE")):
                continue
            (folder / parts[2]).write_bytes(tar.extractfile(member).read())
            categories[parts[2][:-4]] = parts[1]
            if limit is not None and len(categories) >= limit:
                break
    return categories


def naive_lemmas(texts: list[str]) -> list[list[str]]:
    """The naive pipeline's tokens: fugashi lemmas of nouns, verbs and adjectives."""
    from fugashi import Tagger

    tagger = Tagger()
    docs = []
    for text in texts:
        words = []
        for word in tagger(text):
            feature = word.feature
            if feature.pos1 in ("名詞", "動詞", "形容詞") and feature.pos2 != "数詞":
                lemma = feature.lemma or word.surface
                if len(lemma) == 1 and re.match(r"[ぁ-ん]", lemma):
                    continue
                words.append(lemma)
        docs.append(words)
    return docs


def baselines(name: str, X, truth, k: int, seeds: list[int]) -> list[Row]:
    from sklearn.cluster import KMeans
    from sklearn.decomposition import NMF, TruncatedSVD
    from sklearn.metrics import normalized_mutual_info_score as nmi
    from sklearn.preprocessing import normalize

    rows = [Row(f"{name} + NMF nndsvda"), Row(f"{name} + KMeans(n_init=10)"),
            Row(f"{name} + TruncatedSVD(100) + L2 + KMeans(n_init=10)")]
    for seed in seeds:
        fits = (
            lambda s=seed: NMF(k, init="nndsvda", random_state=s, max_iter=500).fit_transform(
                X).argmax(axis=1),
            lambda s=seed: KMeans(k, n_init=10, random_state=s).fit_predict(X),
            lambda s=seed: KMeans(k, n_init=10, random_state=s).fit_predict(normalize(
                TruncatedSVD(100, random_state=s).fit_transform(X))),
        )
        for row, fit in zip(rows, fits, strict=True):
            started = time.perf_counter()
            row.nmi[seed] = nmi(truth, fit())
            row.seconds += time.perf_counter() - started
            print(f"  {row.model}, seed {seed}: NMI {row.nmi[seed]:.3f}", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--k", type=int, default=9)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--auto", action="store_true", help="also time --topics auto")
    args = parser.parse_args()
    if not _corpus.LIVEDOOR.exists():
        sys.exit(f"{_corpus.LIVEDOOR}: not found")
    seeds = [int(s) for s in args.seeds.split(",")]

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import normalized_mutual_info_score as nmi

    from pipeline import Config, run

    rows: list[Row] = []
    jtopics = Row(f"jtopics run --unit article --topics {args.k}")
    with tempfile.TemporaryDirectory() as tmp:
        categories = extract(args.limit, Path(tmp))
        for seed in seeds:
            started = time.perf_counter()
            result = run(Config(inputs=(tmp,), unit="article", n_topics=args.k, seed=seed,
                                cache=None, workers=2, skip_tables=("tokens",)))
            jtopics.seconds += time.perf_counter() - started
            dominant = (result.article_topics.sort_values("weight", ascending=False)
                        .drop_duplicates("article_id"))
            truth = [categories[a] for a in dominant["article_id"]]
            jtopics.nmi[seed] = nmi(truth, dominant["topic_id"])
            print(f"  {jtopics.model}, seed {seed}: NMI {jtopics.nmi[seed]:.3f} "
                  f"({len(dominant):,} articles with topics)", flush=True)
    rows.append(jtopics)
    print("labels: " + " | ".join(result.topic_summary["label"]))

    # The text jtopics analysed, per article: its sections with boilerplate blanked.
    sections = result.sections
    texts = sections.groupby("article_id", sort=False)["analysis_text"].agg("\n".join)
    started = time.perf_counter()
    docs = naive_lemmas(texts.tolist())
    print(f"naive lemmas of {len(docs):,} articles: {time.perf_counter() - started:.0f} s")
    X_naive = TfidfVectorizer(analyzer=lambda d: d, min_df=5, max_df=0.5,
                              sublinear_tf=True).fit_transform(docs)
    truth_naive = [categories[a] for a in texts.index]
    rows += baselines("naive lemmas", X_naive, truth_naive, args.k, seeds)

    from pipeline.vectorize import vectorize

    vectorized = vectorize(result.tokens, sections, unit="article")
    X_own = vectorized.fit.matrix
    truth_own = [categories[a] for a in vectorized.fit.doc_ids]
    rows += baselines("jtopics' content terms", X_own, truth_own, args.k, seeds)

    print(f"\n{len(categories):,} articles, k = {args.k}, seeds {args.seeds}; TF-IDF: naive "
          f"{X_naive.shape[0]:,} x {X_naive.shape[1]:,}, jtopics {X_own.shape[0]:,} x "
          f"{X_own.shape[1]:,}\n")
    print("| model, on the boilerplate-free text | NMI mean | spread | "
          + " | ".join(f"seed {s}" for s in seeds) + " |")
    print("|---|---|---|" + "---|" * len(seeds))
    for row in rows:
        print(f"| {row.model} | {row.mean:.3f} | {row.spread:.3f} | "
              + " | ".join(f"{row.nmi[s]:.3f}" for s in seeds) + " |")
    best = max(rows[1:], key=lambda r: r.mean)
    print(f"\njtopics {jtopics.mean:.3f} vs the best baseline ({best.model}) {best.mean:.3f}: "
          f"{jtopics.mean - best.mean:+.3f}")

    if args.auto:
        with tempfile.TemporaryDirectory() as tmp:
            extract(args.limit, Path(tmp))
            started = time.perf_counter()
            result = run(Config(inputs=(tmp,), unit="article", n_topics="auto", cache=None,
                                workers=2, skip_tables=("tokens",)))
            seconds = time.perf_counter() - started
        dominant = (result.article_topics.sort_values("weight", ascending=False)
                    .drop_duplicates("article_id"))
        chosen = int(result.k_selection.loc[result.k_selection["chosen"], "k"].iloc[0])
        score = nmi([categories[a] for a in dominant["article_id"]], dominant["topic_id"])
        print(f"\njtopics run --unit article --topics auto --workers 2 --no-cache: "
              f"{seconds:.1f} s (topics stage {result.seconds.get('topics', 0):.1f} s), "
              f"chose k = {chosen}, NMI {score:.3f}")
        print(result.k_selection.to_string(index=False))

if __name__ == "__main__":
    main()
