"""Comparisons by group: the cost of the extra tables, and the coverage of their intervals.

    .venv/bin/python benchmarks/compare.py                 # both (Livedoor needs ../shared)
    .venv/bin/python benchmarks/compare.py --coverage      # the simulation only
    .venv/bin/python benchmarks/compare.py --cost --repeats 2

Cost: all of Livedoor (unpacked to a temporary folder) is run twice per repeat in this one
process, without and with ``--group-from folder --by folder --period month`` (the fastest of
each is kept); the ratio is the extra tables' cost. The token cache is off and the tokens and
sentences tables are not written in both, so only the comparisons differ.

Coverage: planted corpora are drawn (``--draws``, seeded), each with groups of articles whose
sections are tagged with a planted share; sections of one article are correlated (each
article draws its own propensity from a Beta distribution with intra-article correlation
``rho``), as they are in news. The planted tables go through ``pipeline.compare.group_themes``
and ``group_topics`` (topic weights: Dirichlet mixtures around planted shares) and the share of
intervals that cover the planted value is printed per setting, beside a naive Wilson interval
that treats sections as independent.
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
import time  # noqa: E402

from pipeline import Config, run  # noqa: E402
from pipeline._simulate import planted_coverage  # noqa: E402

REPO = HERE.parent
LIVEDOOR = REPO.parent / "shared" / "corpora" / "livedoor-news-corpus.tar.gz"

SETTINGS = [  # (articles per group, mean sections per article, intra-article correlation)
    (30, 4, 0.3), (100, 4, 0.3), (300, 4, 0.3), (100, 8, 0.6), (1000, 2, 0.1),
]


def coverage(draws: int) -> None:
    print(f"coverage of 95% intervals, {draws} planted corpora per setting "
          "(3 groups: planted theme shares 0.03, 0.2, 0.5; topic shares 0.1, 0.3, 0.6)")
    print(f"{'articles/group':>14} {'sections/article':>16} {'rho':>5} "
          f"{'themes':>8} {'themes naive':>12} {'topics':>8}")
    overall = []
    for n_articles, sections, rho in SETTINGS:
        found = planted_coverage(draws, n_articles, sections, rho, seed=0)
        overall.append(found)
        print(f"{n_articles:>14} {sections:>16} {rho:>5.1f} {found.themes:>8.3f} "
              f"{found.themes_naive:>12.3f} {found.topics:>8.3f}")
    mean = [sum(getattr(f, k) for f in overall) / len(overall)
            for k in ("themes", "themes_naive", "topics")]
    print(f"{'mean':>14} {'':>16} {'':>5} {mean[0]:>8.3f} {mean[1]:>12.3f} {mean[2]:>8.3f}")


def cost(repeats: int) -> None:
    if not LIVEDOOR.exists():
        print(f"cost: skipped ({LIVEDOOR} not found)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(LIVEDOOR) as tar:
            tar.extractall(tmp, filter="data")
        corpus = next(Path(tmp).iterdir())
        base = {"inputs": (str(corpus),), "cache": None, "workers": 2,
                "skip_tables": ("tokens", "sentences")}
        variants = {"plain": {}, "compare": {"group_from": "folder", "by": ("folder",),
                                             "period": "month"}}
        best: dict[str, float] = {}
        compare_seconds = 0.0
        for repeat in range(repeats):
            for name, extra in variants.items():
                started = time.perf_counter()
                result = run(Config(**base, **extra, out=Path(tmp) / f"out-{name}"))
                result.write()
                seconds = time.perf_counter() - started
                best[name] = min(best.get(name, seconds), seconds)
                if name == "compare":
                    compare_seconds = result.seconds["compare"]
                    rows = {t: len(getattr(result, t))
                            for t in ("group_themes", "group_topics", "keyness")}
                print(f"  repeat {repeat + 1} {name:>8}: {seconds:6.1f} s")
        print(f"Livedoor {len(result.articles):,} articles, 2 workers, fastest of {repeats}:")
        print(f"  without comparisons {best['plain']:.1f} s, with --group-from folder --by "
              f"folder --period month {best['compare']:.1f} s: ratio "
              f"{best['compare'] / best['plain']:.3f}")
        print(f"  compare stage {compare_seconds:.2f} s; rows {rows}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coverage", action="store_true", help="only the simulation")
    parser.add_argument("--cost", action="store_true", help="only the Livedoor cost")
    parser.add_argument("--draws", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    both = not args.coverage and not args.cost
    if args.coverage or both:
        coverage(args.draws)
    if args.cost or both:
        cost(args.repeats)


if __name__ == "__main__":
    main()
