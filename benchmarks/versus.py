"""End-to-end time of ``jtopics run`` on all of Livedoor: this working tree against an earlier
commit, measured in the same run.

    .venv/bin/python benchmarks/versus.py --base 960b747 [--new REV] [--repeat 2] [--workers 1,2]

The earlier commit (and ``--new``, when given, instead of this tree) is checked out into a
temporary git worktree and run with the same
interpreter and libraries (``PYTHONPATH`` points at it); runs alternate between the two trees,
and the fastest of ``--repeat`` is kept for each. Prints wall seconds and the ratio new / base
per worker count, and the fastest of each stage (the run's ``manifest.json`` seconds: with
workers, ``themes`` is the corpus-wide scoring in the main process).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
LIVEDOOR = REPO.parent / "shared" / "corpora" / "livedoor-news-corpus.tar.gz"


def extract(folder: Path) -> int:
    n = 0
    with tarfile.open(LIVEDOOR) as tar:
        for member in tar:
            parts = member.name.split("/")
            if (member.isfile() and len(parts) == 3 and parts[2].endswith(".txt")
                    and not parts[2].startswith("LICENSE")):
                target = folder / parts[1] / parts[2]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tar.extractfile(member).read())
                n += 1
    return n


def timed(command: list[str], tree: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed in {tree}: {result.stderr.strip()[-300:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the earlier commit")
    parser.add_argument("--new", default=None, help="a commit instead of this tree")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args()
    if not LIVEDOOR.exists():
        sys.exit(f"{LIVEDOOR}: not found")
    jtopics = str(Path(sys.executable).with_name("jtopics"))
    with tempfile.TemporaryDirectory(prefix="jtopics-versus-") as tmp:
        root = Path(tmp)
        trees = {"base": (root / "base", args.base)}
        if args.new:
            trees["new"] = (root / "new", args.new)
        for folder, rev in trees.values():
            subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(folder),
                            rev], check=True, capture_output=True)
        base_tree = trees["base"][0]
        new_tree = trees["new"][0] if args.new else REPO
        try:
            corpus = root / "livedoor"
            n = extract(corpus)
            print(f"{n:,} Livedoor articles; base {args.base}, new {args.new or 'this tree'}",
                  flush=True)
            best: dict[tuple[str, str], float] = {}
            stages: dict[tuple[str, str, str], list[float]] = {}
            for _ in range(args.repeat):
                for workers in args.workers.split(","):
                    for name, tree in (("base", base_tree), ("new", new_tree)):
                        command = [jtopics, "run", str(corpus), "--out", str(root / "out"),
                                   "--no-cache", "--topics", "9", "--quiet", "--force",
                                   "--workers", workers]
                        seconds = timed(command, tree)
                        print(f"  {name} --workers {workers}: {seconds:.1f} s", flush=True)
                        key = (name, workers)
                        best[key] = min(seconds, best.get(key, float("inf")))
                        manifest = json.loads((root / "out" / "manifest.json").read_text())
                        for stage, value in manifest.get("seconds", {}).items():
                            stages.setdefault((stage, workers, name), []).append(value)
            print("\n| workers | base s | new s | new / base |\n|---|---|---|---|")
            for workers in args.workers.split(","):
                base, new = best[("base", workers)], best[("new", workers)]
                print(f"| {workers} | {base:.1f} | {new:.1f} | {new / base:.3f} |")
            print("\n| stage | workers | base s | new s | new / base |\n|---|---|---|---|---|")
            for stage, workers in sorted({(st, w) for st, w, _n in stages}):
                base = min(stages.get((stage, workers, "base"), [float("nan")]))
                new = min(stages.get((stage, workers, "new"), [float("nan")]))
                ratio = new / base if base else float("nan")
                print(f"| {stage} | {workers} | {base:.2f} | {new:.2f} | {ratio:.3f} |")
        finally:
            for folder, _rev in trees.values():
                subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force",
                                str(folder)], capture_output=True)


if __name__ == "__main__":
    main()
