"""Heading detection against the gold headings of the layout documents (tests/data/layouts).

    .venv/bin/python benchmarks/headings.py [--details] [--layouts DIR]
    .venv/bin/python benchmarks/headings.py --speed BASE_REV [--repeat 3]

A document's gold headings are the lines of its ``.json`` (``line`` > 0, references and contact
sections included: they are headings too); the found headings are the ``line_start`` of every
section but the lead. Prints true/false positives and misses per document and the micro
precision, recall and F1 over all of them, and over the seeds (16 gold headings: every body
section the segmenter finds there is one).

Of the headings found at a gold line it also counts how many get the gold ``level``, the
gold parent (the nearest earlier gold heading of a lower level; none at level 1) and the
gold kind (``references``/``contact`` or not).

``--speed`` times ``segment()`` on all of Livedoor (needs ../shared/corpora/) in this tree and
in ``BASE_REV`` (a temporary git worktree), alternating, each in a fresh process with the
articles already read; prints the fastest of ``--repeat`` and the ratio.
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
import json  # noqa: E402

import pandas as pd  # noqa: E402

from pipeline.ingest import ingest  # noqa: E402
from pipeline.segment import segment  # noqa: E402

LAYOUTS = HERE.parent / "tests" / "data" / "layouts"


def found_sections(path: Path) -> pd.DataFrame:
    """The non-lead sections the segmenter makes of one document."""
    articles, _skipped = ingest([str(path)])
    sections = segment(articles).sections
    return sections[sections["ordinal"] > 0]


def gold_parents(gold: list[dict]) -> dict[int, int]:
    """line -> line of the gold parent heading (0: none) of each gold heading."""
    parents, open_ = {}, []
    for s in gold:
        while open_ and open_[-1]["level"] >= s["level"]:
            open_.pop()
        parents[s["line"]] = open_[-1]["line"] if open_ else 0
        open_.append(s)
    return parents


def score(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


_TIME_SEGMENT = """
import sys, time, importlib.util
sys.path.insert(0, sys.argv[1])
spec = importlib.util.spec_from_file_location("_corpus", sys.argv[2])
corpus = importlib.util.module_from_spec(spec); spec.loader.exec_module(corpus)
import pandas as pd
from pipeline.segment import segment
texts = corpus.livedoor_articles()
articles = pd.DataFrame({"article_id": [name[:-4] for _c, name, _t in texts],
                         "text": [t for _c, _n, t in texts], "published": ""})
started = time.perf_counter()
sections = segment(articles).sections
print(time.perf_counter() - started, len(articles), len(sections))
"""


def speed(base: str, repeat: int) -> None:
    import subprocess
    import tempfile

    repo = HERE.parent
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["git", "-C", str(repo), "worktree", "add", "--detach", tmp, base],
                       check=True, capture_output=True)
        try:
            best: dict[str, tuple[float, int, int]] = {}
            for _ in range(repeat):
                for name, tree in (("base", tmp), ("this tree", str(repo))):
                    out = subprocess.run(
                        [sys.executable, "-c", _TIME_SEGMENT, tree, str(HERE / "_corpus.py")],
                        check=True, capture_output=True, text=True).stdout.split()
                    seconds, n_articles, n_sections = float(out[0]), int(out[1]), int(out[2])
                    if name not in best or seconds < best[name][0]:
                        best[name] = (seconds, n_articles, n_sections)
        finally:
            subprocess.run(["git", "-C", str(repo), "worktree", "remove", "--force", tmp],
                           check=False, capture_output=True)
    for name, (seconds, n_articles, n_sections) in best.items():
        print(f"{name}: segment() of {n_articles:,} Livedoor articles -> {n_sections:,} "
              f"sections in {seconds:.2f} s (fastest of {repeat})")
    print(f"this tree / base ({base}): {best['this tree'][0] / best['base'][0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--details", action="store_true", help="list every error")
    parser.add_argument("--layouts", type=Path, default=LAYOUTS,
                        help="folder of .txt + .json documents (default: tests/data/layouts)")
    parser.add_argument("--speed", metavar="BASE_REV", default=None,
                        help="time segmentation of all of Livedoor against BASE_REV instead")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.speed is not None:
        speed(args.speed, args.repeat)
        return
    rows = []
    for gold_file in sorted(args.layouts.glob("*.json")):
        gold_list = [s for s in json.loads(gold_file.read_text("utf-8"))["sections"]
                     if s["line"] > 0]
        gold = {s["line"]: s for s in gold_list}
        parents = gold_parents(gold_list)
        sections = found_sections(gold_file.with_suffix(".txt"))
        found = dict(zip(sections["line_start"], sections.to_dict("records"), strict=True))
        line_of = dict(zip(sections["section_id"], sections["line_start"], strict=True))
        hits = sorted(set(gold) & set(found))
        tp = len(hits)
        levels = sum(found[h]["level"] == gold[h]["level"] for h in hits)
        parent_ok = sum(line_of.get(found[h]["parent_id"], 0) == parents[h] for h in hits)
        no_theme = ("references", "contact")
        kinds = sum((found[h]["kind"] in no_theme) == (gold[h].get("kind") in no_theme)
                    for h in hits)
        rows.append({"document": gold_file.stem, "gold": len(gold), "found": len(found),
                     "tp": tp, "fp": len(found) - tp, "fn": len(gold) - tp,
                     "level_ok": levels, "parent_ok": parent_ok, "kind_ok": kinds})
        if args.details:
            for line in sorted(set(found) - set(gold)):
                print(f"  {gold_file.stem}:{line} invented: {found[line]['heading']}")
            for line in sorted(set(gold) - set(found)):
                print(f"  {gold_file.stem}:{line} missed: {gold[line]['heading']}")
            for h in hits:
                f, g = found[h], gold[h]
                if (f["level"] != g["level"] or line_of.get(f["parent_id"], 0) != parents[h]
                        or (f["kind"] in no_theme) != (g.get("kind") in no_theme)):
                    print(f"  {gold_file.stem}:{h} {g['heading']}: level {f['level']} "
                          f"(gold {g['level']}), parent line "
                          f"{line_of.get(f['parent_id'], 0)} (gold {parents[h]}), kind "
                          f"{f['kind']} (gold {g.get('kind', 'body')})")
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    p, r, f = score(int(table["tp"].sum()), int(table["fp"].sum()), int(table["fn"].sum()))
    print(f"\nlayout documents: {len(table)}, gold headings {table['gold'].sum()}: "
          f"precision {p:.3f}, recall {r:.3f}, F1 {f:.3f}")
    tp = int(table["tp"].sum())
    print(f"of the {tp} found: level right {table['level_ok'].sum() / max(tp, 1):.3f}, "
          f"parent right {table['parent_ok'].sum() / max(tp, 1):.3f}, "
          f"references/contact kind right {table['kind_ok'].sum() / max(tp, 1):.3f}")


if __name__ == "__main__":
    main()
