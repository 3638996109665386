"""Topic quality on the Livedoor news corpus: NMI/ARI of each article's dominant topic against
its category, for our NMF and for baselines fitted in the same run on the same terms.

Run: .venv/bin/python benchmarks/livedoor.py [--limit N] [--no-auto]
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
import tarfile  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

_spec = importlib.util.spec_from_file_location("_corpus", HERE / "_corpus.py")
_corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_corpus)


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


def scores(labels_true, labels_pred) -> tuple[float, float]:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    return (normalized_mutual_info_score(labels_true, labels_pred),
            adjusted_rand_score(labels_true, labels_pred))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--no-auto", action="store_true", help="skip --topics auto")
    parser.add_argument("--k", type=int, default=9)
    args = parser.parse_args()
    if not _corpus.LIVEDOOR.exists():
        sys.exit(f"{_corpus.LIVEDOOR}: not found")

    from sklearn.cluster import KMeans
    from sklearn.decomposition import LatentDirichletAllocation
    from sklearn.feature_extraction.text import CountVectorizer

    from pipeline import Config, run
    from pipeline.topics import TopicModel, default_k_range, select_k
    from pipeline.vectorize import vectorize

    with tempfile.TemporaryDirectory() as tmp:
        categories = extract(args.limit, Path(tmp))
        started = time.perf_counter()
        result = run(Config(inputs=(tmp,), unit="article", n_topics=args.k, cache=None,
                            workers=1))
        pipeline_seconds = time.perf_counter() - started
    vectorized = vectorize(result.tokens, result.sections, unit="article")
    X = vectorized.fit.matrix
    ids = list(vectorized.fit.doc_ids)
    truth = [categories[i] for i in ids]
    print(f"{len(categories):,} articles, {len(result.sections):,} sections, "
          f"{len(result.tokens):,} tokens; TF-IDF {X.shape[0]:,} x {X.shape[1]:,}; "
          f"full pipeline {pipeline_seconds:.1f} s "
          f"({', '.join(f'{k} {v:.1f}' for k, v in result.seconds.items())})\n")

    rows = []

    def record(name, fit):
        started = time.perf_counter()
        predicted = fit()
        seconds = time.perf_counter() - started
        nmi, ari = scores(truth, predicted)
        rows.append((name, seconds, nmi, ari))
        print(f"  {name}: NMI {nmi:.3f} ARI {ari:.3f} ({seconds:.1f} s)", flush=True)

    for loss in ("frobenius", "kullback-leibler"):
        for seed in (0, 1, 2):
            def nmf(seed=seed, loss=loss):
                model = TopicModel(args.k, random_state=seed, loss=loss,
                                   init="nndsvda" if seed == 0 else "nndsvdar")
                return model.fit_transform(X).argmax(axis=1)
            record(f"jtopics NMF {loss}, seed {seed}", nmf)

    def kmeans():
        return KMeans(args.k, n_init=1, random_state=0).fit_predict(X)

    record("KMeans(9) on the same TF-IDF, 1 start", kmeans)

    def lda():
        counts = CountVectorizer(analyzer=lambda d: d, vocabulary=list(vectorized.fit.terms))
        content = result.tokens[result.tokens["is_content"]
                                & (result.tokens["pos_detail"] != "数詞")]
        article_of = result.sections.set_index("section_id")["article_id"]
        docs = content["term"].groupby(content["section_id"].map(article_of).to_numpy(),
                                       sort=False).apply(list)
        C = counts.fit_transform([docs[i] for i in ids])
        model = LatentDirichletAllocation(args.k, random_state=0, learning_method="batch")
        return model.fit_transform(C).argmax(axis=1)

    record("scikit-learn LDA on counts", lda)

    print("\n| model | fit s | NMI | ARI |\n|---|---|---|---|")
    for name, seconds, nmi, ari in rows:
        print(f"| {name} | {seconds:.1f} | {nmi:.3f} | {ari:.3f} |")
    for loss in ("frobenius", "kullback-leibler"):
        nmis = [r[2] for r in rows if loss in r[0]]
        print(f"\njtopics NMF {loss}: NMI mean {np.mean(nmis):.3f}, spread "
              f"{max(nmis) - min(nmis):.3f} over 3 seeds")

    if not args.no_auto:
        started = time.perf_counter()
        k, table = select_k(X, default_k_range(X.shape[0]), random_state=0)
        print(f"\n--topics auto chose k = {k} ({time.perf_counter() - started:.0f} s)")
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
