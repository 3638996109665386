"""Order-preserving process-pool map used by the per-article stages."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")


def chunk_ranges(n_items: int, n_chunks: int,
                 weights: Sequence[int] | None = None) -> list[tuple[int, int]]:
    """Up to ``n_chunks`` contiguous ``(start, stop)`` ranges covering ``n_items``: of nearly
    equal size, or of nearly equal total ``weights`` (e.g. characters) when given."""
    if weights is not None:
        cumulative = np.cumsum(weights)
        total = int(cumulative[-1]) if len(cumulative) else 0
        bounds = sorted({0, n_items, *(int(np.searchsorted(cumulative, total * k / n_chunks))
                                       for k in range(1, n_chunks))})
    else:
        n_chunks = max(1, min(n_chunks, n_items))
        bounds = [round(k * n_items / n_chunks) for k in range(n_chunks + 1)]
    return [(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def map_in_order(fn: Callable[[Any], T], jobs: Sequence[Any], workers: int,
                 initializer: Callable[..., None] | None = None,
                 initargs: tuple[Any, ...] = ()) -> list[T]:
    """``[fn(job) for job in jobs]``, in worker processes when ``workers > 1``.

    Results come back in job order, so the output does not depend on ``workers``.
    ``initializer(*initargs)`` prepares each worker process (and this one, when serial).
    """
    if workers <= 1 or len(jobs) <= 1:
        if initializer is not None:
            initializer(*initargs)
        return [fn(job) for job in jobs]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), initializer=initializer,
                             initargs=initargs) as pool:
        return list(pool.map(fn, jobs))
