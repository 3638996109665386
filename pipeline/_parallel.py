"""Where the per-article work runs: this process, a local process pool, or a Dask cluster.

Every executor maps a function over jobs and returns the results in job order, so the output
of a stage never depends on where (or on how many workers) it ran.
"""

from __future__ import annotations

import hashlib
import itertools
import pickle
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")


def chunk_ranges(n_items: int, n_chunks: int, weights: Sequence[int] | None = None,
                 taper: int = 0) -> list[tuple[int, int]]:
    """Up to ``n_chunks`` contiguous ``(start, stop)`` ranges covering ``n_items``: of nearly
    equal size, or of nearly equal total ``weights`` (e.g. characters) when given.

    With ``weights``, the last ``taper`` ranges get half the weight of the others: a pool
    working through them in order then ends on short jobs, and its workers finish nearly
    together instead of one waiting a whole job for the other.
    """
    if weights is not None:
        cumulative = np.cumsum(weights)
        total = int(cumulative[-1]) if len(cumulative) else 0
        taper = max(0, min(taper, n_chunks - 1))
        full = n_chunks - taper
        shares = [*range(1, full + 1), *(full + (j + 1) / 2 for j in range(taper))]
        unit = total / shares[-1] if shares else 0
        bounds = sorted({0, n_items, *(int(np.searchsorted(cumulative, unit * share))
                                       for share in shares[:-1])})
    else:
        n_chunks = max(1, min(n_chunks, n_items))
        bounds = [round(k * n_items / n_chunks) for k in range(n_chunks + 1)]
    return [(a, b) for a, b in itertools.pairwise(bounds) if b > a]


class Executor:
    """Maps a function over jobs in this process (the base class) and keeps job order.

    Subclasses run the jobs elsewhere; ``n_workers`` says how many run at once.
    """

    n_workers = 1

    def map(self, fn: Callable[[Any], T], jobs: Sequence[Any],
            initializer: Callable[..., None] | None = None,
            initargs: tuple[Any, ...] = ()) -> list[T]:
        """``[fn(job) for job in jobs]``; ``initializer(*initargs)`` prepares each worker
        (and this process, when it runs the jobs itself)."""
        return list(self.imap(fn, jobs, initializer, initargs))

    def imap(self, fn: Callable[[Any], T], jobs: Sequence[Any],
             initializer: Callable[..., None] | None = None,
             initargs: tuple[Any, ...] = ()) -> Iterator[T]:
        """:meth:`map` as an iterator: each result in job order, as soon as it is done (the
        caller can use the first while the others are still running; here, where the jobs
        run one by one as the results are asked for, before the next is run)."""
        if initializer is not None:
            initializer(*initargs)
        return (fn(job) for job in jobs)

    def close(self) -> None:
        """Release the workers (nothing to do for this process)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ProcessExecutor(Executor):
    """A pool of ``workers`` local processes (``concurrent.futures``), kept for later maps
    until :meth:`close`: a map without an initializer reuses the workers as they are."""

    def __init__(self, workers: int) -> None:
        self.n_workers = max(1, workers)
        self._pool = None
        self._prepared_by: tuple[Any, ...] | None = None

    def imap(self, fn, jobs, initializer=None, initargs=()):
        if self.n_workers <= 1 or len(jobs) <= 1:
            return super().imap(fn, jobs, initializer, initargs)
        from concurrent.futures import ProcessPoolExecutor

        wanted = (initializer, initargs)
        if self._pool is None or (initializer is not None and wanted != self._prepared_by):
            self.close()
            self._pool = ProcessPoolExecutor(max_workers=self.n_workers,
                                             initializer=initializer, initargs=initargs)
            self._prepared_by = wanted
        return self._pool.map(fn, jobs)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


_PREPARED: dict[str, bool] = {}


def _prepared_call(fn: Callable[[Any], T], initializer: Callable[..., None] | None,
                   key: str, initargs: tuple[Any, ...], job: Any) -> T:
    # A Dask worker outlives one run: prepare it once per distinct initializer arguments.
    if initializer is not None and key not in _PREPARED:
        initializer(*initargs)
        _PREPARED.clear()
        _PREPARED[key] = True
    return fn(job)


class DaskExecutor(Executor):
    """Jobs as tasks on a Dask cluster: the scheduler at ``address``, or a local cluster of
    ``workers`` single-threaded worker processes started here (and closed by :meth:`close`).

    Needs ``dask[distributed]``; every worker must be able to import ``pipeline`` (jtopics
    installed in the same version) and to reach the output folder's file system.
    """

    def __init__(self, address: str | None = None, workers: int = 2) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - dask is a dependency
            from .errors import UsageError

            raise UsageError("--engine dask needs dask[distributed]: pip install "
                             "'dask[distributed]'") from None
        self.cluster = None
        if address is None:
            self.cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1,
                                        processes=True, dashboard_address=None)
            self.client = Client(self.cluster)
        else:
            try:
                self.client = Client(address, timeout="10s")
            except OSError as exc:
                from .errors import UsageError

                raise UsageError(f"--scheduler {address}: cannot connect ({exc})") from None
        self.n_workers = max(1, len(self.client.scheduler_info().get("workers", {})))

    def imap(self, fn, jobs, initializer=None, initargs=()):
        if not jobs:
            return iter([])
        key = hashlib.sha256(pickle.dumps((getattr(initializer, "__qualname__", None),
                                           initargs))).hexdigest()
        from functools import partial

        task = partial(_prepared_call, fn, initializer, key, initargs)
        # Jobs go to the workers directly (not inside the task graph through the scheduler):
        # some carry a whole matrix.
        futures = self.client.map(task, self.client.scatter(list(jobs)), pure=False)
        return (future.result() for future in futures)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
