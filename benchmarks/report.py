"""The report at corpus scale: time, peak memory and size of ``jtopics report``, and how soon
headless Chromium has it usable; screenshots for ``docs/``.

    .venv/bin/python benchmarks/report.py OUT_DIR [--base REV] [--shots PREFIX]

OUT_DIR is the output folder of a run (e.g. ``jtopics run <livedoor> --out /tmp/ld``).
``--base REV`` also times the report of an earlier commit on the same folder (checked out
into a temporary git worktree, run with the same interpreter) and prints the ratios.
``--shots docs/report-livedoor`` saves ``PREFIX-top.png`` (the first 1,800 px at 1280 px
wide) and ``PREFIX-explorer.png`` (a theme chosen, a section open, a word searched).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# benchmarks/tokenize.py would shadow the standard library's tokenize: keep this folder off
# the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))

import argparse  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

REPO = HERE.parent


def report(folder: Path, tree: Path) -> tuple[float, float, int]:
    """Seconds, peak RSS (MB) and bytes of ``jtopics report`` run from ``tree``."""
    target = Path(tempfile.mkdtemp(prefix="report-"))
    for path in folder.iterdir():
        if path.suffix in (".csv", ".parquet", ".json"):
            (target / path.name).symlink_to(path.resolve())
    env = dict(os.environ, PYTHONPATH=str(tree))
    # The child prints its own peak RSS (KiB) when the command is done.
    code = ("import resource, sys\nfrom pipeline.cli import main\nsys.argv = ['jtopics', "
            f"'report', {str(target)!r}]\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], check=True, env=env,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - started
    peak = int(done.stdout.split()[-1])
    size = (target / "report.html").stat().st_size
    shutil.copy(target / "report.html", folder / f"report-{tree.name}.html")
    shutil.rmtree(target)
    return seconds, peak / 1024, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--base")
    parser.add_argument("--shots")
    args = parser.parse_args()
    rows = {"this tree": report(args.out_dir, REPO)}
    if args.base:
        with tempfile.TemporaryDirectory() as tmp:
            tree = Path(tmp) / "base"
            subprocess.run(["git", "-C", str(REPO), "worktree", "add", "-q", "--detach",
                            str(tree), args.base], check=True)
            try:
                rows[args.base] = report(args.out_dir, tree)
            finally:
                subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force",
                                str(tree)], check=True)
    for name, (seconds, peak, size) in rows.items():
        print(f"{name:>10}: {seconds:6.1f} s, peak RSS {peak:7.0f} MB, page {size / 1e6:6.1f} MB")
    if args.base:
        new, old = rows["this tree"], rows[args.base]
        print(f"ratios this/base: time {new[0] / old[0]:.3f}, memory {new[1] / old[1]:.3f}, "
              f"size {new[2] / old[2]:.3f}")

    from _browser import Browser, chromium

    executable = chromium()
    if executable is None:
        print("chromium: not installed, no load time or screenshots")
        return
    page = args.out_dir / f"report-{REPO.name}.html"
    browser = Browser(executable)
    try:
        ready = browser.open(page.resolve().as_uri(),
                             "document.body && document.body.dataset.ready")
        print(f"headless Chromium: usable (explorer ready) {ready:.2f} s after navigation")
        if args.shots:
            browser.screenshot(Path(f"{args.shots}-top.png"))
            browser.click("#theme-sections a.open")
            browser.type_text("#search-word", "日米")
            browser.click("#search-form button")
            browser.evaluate("document.getElementById('explore').scrollIntoView()")
            browser.screenshot(Path(f"{args.shots}-explorer.png"))
            print(f"screenshots {args.shots}-top.png, {args.shots}-explorer.png")
    finally:
        browser.close()


if __name__ == "__main__":
    main()
