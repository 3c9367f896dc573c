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
    timeout: float = 10.0,
    setup: tuple[Callable, tuple] | None = None,
) -> list:
    """`fn(job)` for every job, in job order; `progress(1)` after each.

    `setup`: (function, arguments) each worker process calls once before its first job (what every
    job shares, such as the loaded data, crosses to a worker once instead of with every job).
    """
    out: list = [None] * len(jobs)

    def done(i: int, result) -> None:
        out[i] = result
        if progress:
            progress(1)

    if scheduler:
        try:
            from dask.distributed import Client
            from dask.distributed import as_completed as dask_as_completed  # the pool below has its own
        except ImportError:
            from explorer.model.errors import InputError

            raise InputError(
                "--scheduler",
                "",
                scheduler,
                "the 'distributed' extra: pip install 'chip-explorer[distributed]'",
            ) from None

        try:
            client = Client(scheduler, timeout=timeout)
        except (OSError, TimeoutError, ValueError) as e:
            from explorer.model.errors import InputError

            raise InputError("--scheduler", "", scheduler, f"a reachable Dask scheduler ({e})") from None
        with client:
            submitted = {client.submit(fn, job, pure=False): i for i, job in enumerate(jobs)}
            for f in dask_as_completed(submitted):
                done(submitted[f], f.result())
    elif executor == "process" and len(jobs) > 1 and workers != 1:
        from concurrent.futures import ProcessPoolExecutor, as_completed

        from explorer.search import interrupts

        pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_init, initargs=(setup,))
        interrupts.pool(pool)
        try:
            futures = {pool.submit(fn, job): i for i, job in enumerate(jobs)}
            for f in as_completed(futures):
                done(futures[f], f.result())
        except BaseException:  # an interrupt or a failure: end the workers now, not after their jobs
            for process in list(getattr(pool, "_processes", {}).values()):
                process.terminate()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        finally:
            interrupts.released(pool)
        pool.shutdown()
    else:
        if setup is not None:
            setup[0](*setup[1])
        for i, job in enumerate(jobs):
            done(i, fn(job))
    return out


def _worker_init(setup: tuple[Callable, tuple] | None) -> None:
    """Workers leave interrupts to the parent, which ends them; then the jobs' shared setup."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if setup is not None:
        setup[0](*setup[1])
