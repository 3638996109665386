"""Write gold_layouts_sections.csv from the layout documents' .json files.

    .venv/bin/python tests/data/make_layout_gold.py [LAYOUTS_DIR] [OUT_CSV]

One row per gold section that can carry themes (references and contact sections left out):
article_id (the file stem), line_start (the heading's line; for the lead, the first line of
text after any front matter), themes (``;``-joined).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from pipeline.ingest import front_matter  # noqa: E402


def lead_line(text: str) -> int:
    lines = text.splitlines()
    skip, _fields = front_matter(lines)
    return next(n for n, line in enumerate(lines[skip:], start=skip + 1) if line.strip())


def main() -> None:
    layouts = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "layouts"
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else HERE / "gold_layouts_sections.csv"
    rows = []
    for gold in sorted(layouts.glob("*.json")):
        text = gold.with_suffix(".txt").read_text("utf-8")
        for section in json.loads(gold.read_text("utf-8"))["sections"]:
            if section.get("kind") in ("references", "contact"):
                continue
            line = section["line"] or lead_line(text)
            rows.append((gold.stem, line, ";".join(section["themes"])))
    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(["article_id", "line_start", "themes"])
        writer.writerows(rows)


if __name__ == "__main__":
    main()
