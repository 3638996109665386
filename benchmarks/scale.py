"""Scale: wall time and peak memory of the full pipeline at 1x and 4x the Livedoor corpus,
against a naive script, for --workers 1, --workers 2 and --engine dask (2 local workers).

Run: .venv/bin/python benchmarks/scale.py [--limit N] [--sizes 1,4] [--topics 9] [--repeat R]
Needs ../shared/corpora/livedoor-news-corpus.tar.gz (never copied into the project).

Every configuration runs as its own process, on the same files, in this one run. Peak RSS is
the largest sum of resident memory over the process and all its children (worker processes
included), sampled every 50 ms. With ``--repeat R`` every configuration runs R times in turn
(the configurations interleaved, so a slow spell of a shared machine hits them alike); the
table shows the fastest wall time and the highest peak RSS of the R runs. The 4x corpus is
four copies of every article with distinct file names (so distinct article ids). jtopics runs
write every table as Parquet, without the token cache. The naive baseline is the script people
usually write: a bare fugashi word loop (surface, lemma, part of speech per node),
TfidfVectorizer and NMF, all in memory.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
LIVEDOOR = REPO.parent / "shared" / "corpora" / "livedoor-news-corpus.tar.gz"

NAIVE = r'''
import sys
from pathlib import Path

import fugashi
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import TfidfVectorizer

tagger = fugashi.Tagger()
docs = []
for path in sorted(Path(sys.argv[1]).glob("*.txt")):
    text = path.read_text(encoding="utf-8")
    words = []
    for word in tagger(text):
        if word.feature.pos1 in ("名詞", "動詞", "形容詞"):
            words.append(word.feature.lemma or word.surface)
    docs.append(words)
X = TfidfVectorizer(analyzer=lambda d: d, min_df=5, max_df=0.5, sublinear_tf=True).fit_transform(
    docs)
W = NMF(int(sys.argv[2]), init="nndsvda", random_state=0, max_iter=500).fit_transform(X)
print(X.shape, W.shape)
'''


def extract(folder: Path, copies: int, limit: int | None) -> int:
    """Write ``copies`` copies of each Livedoor article into ``folder``; return the count."""
    folder.mkdir(parents=True)
    n = 0
    with tarfile.open(LIVEDOOR) as tar:
        for member in tar:
            parts = member.name.split("/")
            if (not member.isfile() or len(parts) != 3 or not parts[2].endswith(".txt")
                    or parts[2].startswith("LICENSE")):
                continue
            data = tar.extractfile(member).read()
            stem = parts[2][:-4]
            for copy in range(copies):
                name = f"{stem}.txt" if copy == 0 else f"{stem}-copy{copy}.txt"
                (folder / name).write_bytes(data)
                n += 1
            if limit is not None and n >= limit * copies:
                break
    return n


def measure(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (GB, summed over the process tree) of ``command``."""
    import psutil

    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    watched = psutil.Process(process.pid)
    peak = 0
    while process.poll() is None:
        total = 0
        with contextlib.suppress(psutil.Error):  # processes come and go while we look
            for proc in [watched, *watched.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += proc.memory_info().rss
        peak = max(peak, total)
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        error = process.stderr.read().decode(errors="replace").strip().splitlines()
        sys.exit(f"{' '.join(command)}: exit {process.returncode}: "
                 f"{error[-1] if error else ''}")
    return seconds, peak / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="articles per copy")
    parser.add_argument("--sizes", default="1,4", help="corpus multiples, e.g. 1,4")
    parser.add_argument("--topics", type=int, default=9)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each configuration")
    args = parser.parse_args()
    if not LIVEDOOR.exists():
        sys.exit(f"{LIVEDOOR}: not found")
    python = sys.executable
    jtopics = str(Path(python).with_name("jtopics"))
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}", flush=True)
    with tempfile.TemporaryDirectory(prefix="jtopics-scale-") as tmp:
        root = Path(tmp)
        naive_script = root / "naive.py"
        naive_script.write_text(NAIVE, encoding="utf-8")
        for size in sizes:
            corpus = root / f"livedoor-{size}x"
            n = extract(corpus, size, args.limit)
            n_chars = sum(len(p.read_text(encoding="utf-8")) for p in corpus.iterdir())
            print(f"\n{size}x: {n:,} articles, {n_chars / 1e6:.1f} M characters", flush=True)
            out = root / "out"
            base = [jtopics, "run", str(corpus), "--out", str(out), "--format", "parquet",
                    "--no-cache", "--topics", str(args.topics), "--quiet", "--force"]
            configs = [
                ("naive script (fugashi loop + TfidfVectorizer + NMF)",
                 [python, str(naive_script), str(corpus), str(args.topics)]),
                ("jtopics run --workers 1", [*base, "--workers", "1"]),
                ("jtopics run --workers 2", [*base, "--workers", "2"]),
                ("jtopics run --engine dask --workers 2", [*base, "--engine", "dask",
                                                           "--workers", "2"]),
            ]
            runs: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in configs}
            for _ in range(args.repeat):
                for name, command in configs:
                    seconds, peak = measure(command)
                    runs[name].append((seconds, peak))
                    print(f"  {name}: {seconds:.1f} s, peak RSS {peak:.2f} GB", flush=True)
                    shutil.rmtree(out, ignore_errors=True)
            for name, measured in runs.items():
                rows.append((size, name, min(m[0] for m in measured),
                             max(m[1] for m in measured)))
            shutil.rmtree(corpus)

    def figure(size: int, name: str, column: int) -> float:
        return next(r[column] for r in rows if r[0] == size and r[1].startswith(name))

    print("\n| corpus | run | wall s | peak RSS GB | time / naive | time / workers 1 |")
    print("|---|---|---|---|---|---|")
    for size, name, seconds, peak in rows:
        naive = figure(size, "naive", 2)
        one = figure(size, "jtopics run --workers 1", 2)
        print(f"| {size}x | {name} | {seconds:.1f} | {peak:.2f} | {seconds / naive:.2f} | "
              f"{seconds / one:.2f} |")
    if len(sizes) > 1:
        small, large = min(sizes), max(sizes)
        print(f"\nGrowth from {small}x to {large}x input:\n")
        print("| run | time ratio | peak RSS ratio |\n|---|---|---|")
        for _size, name, _s, _p in [r for r in rows if r[0] == small]:
            print(f"| {name} | {figure(large, name, 2) / figure(small, name, 2):.2f} | "
                  f"{figure(large, name, 3) / figure(small, name, 3):.2f} |")


if __name__ == "__main__":
    main()
