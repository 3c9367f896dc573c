"""Run module-level functions over picklable jobs: serially, across processes, or on a Dask cluster.

Results come back in job order whichever ran them, so sweeps and verification
give identical output on one core, many, or a cluster.
"""

from __future__ import annotations

from collections.abc import Callable


def map_jobs(
    fn: Callable,
    jobs: list,
    executor: str = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> list:
    """`fn(job)` for every job, in job order; `progress(1)` after each."""
    out: list = [None] * len(jobs)

    def done(i: int, result) -> None:
        out[i] = result
        if progress:
            progress(1)

    if scheduler:
        try:
            from dask.distributed import Client, as_completed
        except ImportError:
            from explorer.errors import InputError

            raise InputError(
                "--scheduler",
                "",
                scheduler,
                "the 'distributed' extra: pip install 'chip-explorer[distributed]'",
            ) from None

        with Client(scheduler) as client:
            futures = {client.submit(fn, job, pure=False): i for i, job in enumerate(jobs)}
            for f in as_completed(futures):
                done(futures[f], f.result())
    elif executor == "process" and len(jobs) > 1 and workers != 1:
        from concurrent.futures import ProcessPoolExecutor, as_completed

        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(fn, job): i for i, job in enumerate(jobs)}
            for f in as_completed(futures):
                done(futures[f], f.result())
    else:
        for i, job in enumerate(jobs):
            done(i, fn(job))
    return out
