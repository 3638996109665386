"""Heading detection against the gold headings of the layout documents (tests/data/layouts).

    .venv/bin/python benchmarks/headings.py [--details]

A document's gold headings are the lines of its ``.json`` (``line`` > 0, references and contact
sections included: they are headings too); the found headings are the ``line_start`` of every
section but the lead. Prints true/false positives and misses per document and the micro
precision, recall and F1 over all of them, and over the seeds (16 gold headings: every body
section the segmenter finds there is one).
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


def found_headings(path: Path) -> dict[int, str]:
    """line number -> heading text of each non-lead section the segmenter makes."""
    articles, _skipped = ingest([str(path)])
    sections = segment(articles).sections
    body = sections[sections["ordinal"] > 0]
    return dict(zip(body["line_start"].tolist(), body["heading"].tolist(), strict=True))


def score(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--details", action="store_true", help="list every error")
    args = parser.parse_args()
    rows = []
    for gold_file in sorted(LAYOUTS.glob("*.json")):
        gold = {s["line"]: s["heading"] for s in json.loads(gold_file.read_text("utf-8"))[
            "sections"] if s["line"] > 0}
        found = found_headings(gold_file.with_suffix(".txt"))
        tp = len(set(gold) & set(found))
        rows.append({"document": gold_file.stem, "gold": len(gold), "found": len(found),
                     "tp": tp, "fp": len(found) - tp, "fn": len(gold) - tp})
        if args.details:
            for line in sorted(set(found) - set(gold)):
                print(f"  {gold_file.stem}:{line} invented: {found[line]}")
            for line in sorted(set(gold) - set(found)):
                print(f"  {gold_file.stem}:{line} missed: {gold[line]}")
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    p, r, f = score(int(table["tp"].sum()), int(table["fp"].sum()), int(table["fn"].sum()))
    print(f"\nlayout documents: {len(table)}, gold headings {table['gold'].sum()}: "
          f"precision {p:.3f}, recall {r:.3f}, F1 {f:.3f}")


if __name__ == "__main__":
    main()
