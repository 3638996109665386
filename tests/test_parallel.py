from __future__ import annotations

import os

import pytest

from pipeline._parallel import DaskExecutor, Executor, ProcessExecutor, chunk_ranges

_STATE: dict[str, int] = {}


def _remember(offset: int) -> None:
    _STATE["offset"] = offset


def _add_offset(x: int) -> tuple[int, int]:
    return x + _STATE["offset"], os.getpid()


def test_chunk_ranges_cover_every_item_once_in_order():
    for n, k in [(0, 3), (1, 4), (10, 3), (10, 10), (7, 100)]:
        ranges = chunk_ranges(n, k)
        assert [i for a, b in ranges for i in range(a, b)] == list(range(n))
        assert len(ranges) <= max(1, k)


def test_weighted_chunks_balance_characters():
    # By count the split would be 3 + 3 items; by characters the long article stands alone.
    ranges = chunk_ranges(6, 2, weights=[100, 100, 1, 1, 1, 1])
    assert ranges == [(0, 1), (1, 6)]


def test_tapered_chunks_end_with_half_weight_ranges():
    weights = [10] * 100
    ranges = chunk_ranges(100, 6, weights=weights, taper=2)
    assert [i for a, b in ranges for i in range(a, b)] == list(range(100))
    sizes = [b - a for a, b in ranges]
    # A boundary falls within one item of its weight target: 200, 400, 600, 800, 900.
    assert all(abs(size - 20) <= 1 for size in sizes[:4])
    assert all(abs(size - 10) <= 1 for size in sizes[4:])
    # A taper longer than the list leaves the first range whole.
    sizes = [b - a for a, b in chunk_ranges(100, 3, weights=weights, taper=5)]
    assert abs(sizes[0] - 50) <= 1 and all(abs(size - 25) <= 1 for size in sizes[1:])


@pytest.mark.parametrize("executor", [Executor(), ProcessExecutor(2)],
                         ids=["this-process", "process-pool"])
def test_executors_keep_job_order_and_run_the_initializer(executor):
    with executor:
        results = executor.map(_add_offset, list(range(20)), initializer=_remember,
                               initargs=(100,))
    assert [r[0] for r in results] == [x + 100 for x in range(20)]



def _wait_for(job: tuple[str, float]) -> bool:
    """Whether the file ``job[0]`` appears within ``job[1]`` seconds."""
    import time

    path, seconds = job
    deadline = time.monotonic() + seconds
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.mark.parametrize("executor", [Executor(), ProcessExecutor(2)],
                         ids=["this-process", "process-pool"])
def test_imap_gives_each_result_before_later_jobs_end(executor, tmp_path):
    # The second job ends only once the first result has come back (or after 20 s).
    signal = str(tmp_path / "first-result-seen")
    with executor:
        results = executor.imap(_wait_for, [(os.devnull, 0.0), (signal, 20.0)])
        assert next(results) is True
        open(signal, "w").close()
        assert list(results) == [True]

def test_process_pool_runs_in_other_processes():
    with ProcessExecutor(2) as executor:
        results = executor.map(_add_offset, list(range(8)), initializer=_remember,
                               initargs=(0,))
    assert {pid for _x, pid in results} - {os.getpid()}


def test_process_pool_is_reused_until_new_initializer_arguments():
    with ProcessExecutor(2) as executor:
        first = executor.map(_add_offset, list(range(8)), initializer=_remember, initargs=(5,))
        pool = executor._pool
        # No initializer: the same pool (not every worker need have run a job of the first
        # map, so compare pools, not process ids), still prepared with 5.
        reused = executor.map(_add_offset, list(range(8)))
        assert executor._pool is pool
        again = executor.map(_add_offset, [1, 2], initializer=_remember, initargs=(50,))
        assert executor._pool is not pool
    assert {pid for _x, pid in first} - {os.getpid()}
    assert [r[0] for r in reused] == [x + 5 for x in range(8)]
    assert [r[0] for r in again] == [51, 52]
    assert executor._pool is None


def test_dask_local_cluster_keeps_job_order_and_prepares_workers():
    with DaskExecutor(workers=2) as executor:
        assert executor.n_workers == 2
        results = executor.map(_add_offset, list(range(30)), initializer=_remember,
                               initargs=(7,))
        again = executor.map(_add_offset, [1, 2], initializer=_remember, initargs=(1000,))
    assert [r[0] for r in results] == [x + 7 for x in range(30)]
    assert os.getpid() not in {pid for _x, pid in results}
    # New initializer arguments prepare the (long-lived) workers again.
    assert [r[0] for r in again] == [1001, 1002]


def test_unreachable_scheduler_is_a_usage_error():
    from pipeline.errors import UsageError

    with pytest.raises(UsageError, match="cannot connect"):
        DaskExecutor("tcp://127.0.0.1:9")
