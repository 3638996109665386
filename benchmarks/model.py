"""Saved models on Livedoor: apply against run, and topic ids kept by an update.

    .venv/bin/python benchmarks/model.py            # needs ../shared (the Livedoor archive)

Apply: the articles are split by a hash of their file name (no category is looked at) into
5,000 to fit on and 1,000 new ones; `run` on the 1,000 is timed against `apply` of the model
fitted on the 5,000 to the same 1,000, with 1 and 2 workers (the tables must be identical).
Update: a model fitted on 90% of the articles is updated with all of them; the share of its
topics that keep their id (status continuing) is printed, and the update is repeated with 2
workers to check that the lineage does not depend on them.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# benchmarks/tokenize.py would shadow the standard library's tokenize: keep this folder off
# the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import hashlib  # noqa: E402
import shutil  # noqa: E402
import tarfile  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import pandas as pd  # noqa: E402

from pipeline import Config, run  # noqa: E402
from pipeline.model import load_model  # noqa: E402

LIVEDOOR = HERE.parent.parent / "shared" / "corpora" / "livedoor-news-corpus.tar.gz"


def _split(corpus: Path, out: Path, shares: dict[str, int]) -> dict[str, Path]:
    """Copy the articles into folders by a hash of their names: the first ``shares[name]``
    articles in hash order go to ``name``."""
    files = sorted((p for p in corpus.rglob("*.txt") if not p.name.startswith(
        ("LICENSE", "README", "CHANGES"))), key=lambda p: hashlib.sha256(
        p.name.encode()).hexdigest())
    folders, start = {}, 0
    for name, count in shares.items():
        folder = out / name
        folder.mkdir(parents=True)
        for path in files[start:start + count]:
            shutil.copy(path, folder / path.name)
        folders[name] = folder
        start += count
    return folders


def _timed(fn):
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def _same(a, b, names=("section_topics", "section_themes", "article_topics")) -> bool:
    return all(getattr(a, n).reset_index(drop=True).equals(getattr(b, n).reset_index(drop=True))
               for n in names)


def main() -> None:
    if not LIVEDOOR.exists():
        print(f"skipped: {LIVEDOOR} not found")
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        with tarfile.open(LIVEDOOR) as tar:
            tar.extractall(tmp / "corpus", filter="data")
        options = {"cache": None, "skip_tables": ("tokens", "sentences")}
        parts = _split(tmp / "corpus", tmp / "apply", {"fit": 5000, "new": 1000})
        fitted = run(Config(inputs=(str(parts["fit"]),), workers=2, **options))
        fitted.model.save(tmp / "model")
        model = load_model(tmp / "model")
        for workers in (1, 2):
            ran, run_seconds = _timed(lambda w=workers: run(Config(
                inputs=(str(parts["new"]),), workers=w, **options)))
            applied, apply_seconds = _timed(lambda w=workers: model.apply(Config(
                inputs=(str(parts["new"]),), workers=w, **options)))
            if workers == 1:
                first = applied
            print(f"1,000 new articles, {workers} worker(s): run {run_seconds:.1f} s, apply "
                  f"{apply_seconds:.1f} s (model fitted on 5,000): ratio "
                  f"{apply_seconds / run_seconds:.2f}; same as 1 worker: "
                  f"{_same(first, applied)}")
        del ran

        everything = sorted(p for p in (tmp / "corpus").rglob("*.txt")
                            if not p.name.startswith(("LICENSE", "README", "CHANGES")))
        n_old = round(0.9 * len(everything))
        split = _split(tmp / "corpus", tmp / "update", {"old": n_old,
                                                        "new": len(everything) - n_old})
        shutil.copytree(split["old"], split["new"], dirs_exist_ok=True)  # new = old + 10%
        old = run(Config(inputs=(str(split["old"]),), workers=2, **options))
        old.model.save(tmp / "old-model")
        previous = load_model(tmp / "old-model")
        lineages = []
        for workers in (2, 1):
            updated, seconds = _timed(lambda w=workers: run(Config(
                inputs=(str(split["new"]),), workers=w, **options), model=previous,
                refit=True))
            lineages.append(updated.topic_lineage)
            counts = updated.topic_lineage["status"].value_counts().to_dict()
            k = previous.topic_model.n_topics_
            print(f"update of a model of {k} topics fitted on {n_old:,} articles with "
                  f"{len(everything) - n_old:,} more ({workers} workers, {seconds:.1f} s): "
                  f"{counts.get('continuing', 0)} of {k} topics keep their id "
                  f"({counts.get('continuing', 0) / k:.0%}); {counts}")
        print("lineage the same with 2 and 1 workers:", lineages[0].equals(lineages[1]))
        pd.set_option("display.width", 120)
        print(lineages[0].to_string(index=False))


if __name__ == "__main__":
    main()
