"""Order-preserving process-pool map used by the per-article stages."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def chunk_ranges(n_items: int, n_chunks: int) -> list[tuple[int, int]]:
    """``n_chunks`` contiguous, nearly equal ``(start, stop)`` ranges covering ``n_items``."""
    n_chunks = max(1, min(n_chunks, n_items))
    bounds = [round(k * n_items / n_chunks) for k in range(n_chunks + 1)]
    return [(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def map_in_order(fn: Callable[[Any], T], jobs: Sequence[Any], workers: int) -> list[T]:
    """``[fn(job) for job in jobs]``, in worker processes when ``workers > 1``.

    Results come back in job order, so the output does not depend on ``workers``.
    """
    if workers <= 1 or len(jobs) <= 1:
        return [fn(job) for job in jobs]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
        return list(pool.map(fn, jobs))
