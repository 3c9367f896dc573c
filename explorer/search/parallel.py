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
        import os
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

        from explorer.search import interrupts

        # the workers are told this process's id, read here before they fork: one that forks after this
        # process has ended (a signal's handler exits at once) sees another parent and ends
        start = (setup, os.getpid())
        pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_init, initargs=start)
        interrupts.pool(pool)
        try:
            futures = {pool.submit(fn, job): i for i, job in enumerate(jobs)}
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
                for f in finished:
                    done(futures[f], f.result())
                manager = getattr(pool, "_executor_manager_thread", None)
                if pending and not finished and manager is not None and not manager.is_alive():
                    # it hands jobs to the workers; dead (a thread it needed could not start, under a
                    # memory limit), the pending jobs would never finish
                    raise RuntimeError("the process pool stopped handing out jobs (a thread could not start)")
        except BaseException:  # an interrupt or a failure: end the workers now, not after their jobs
            _end(pool)
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


def _end(pool) -> None:
    """Every worker of `pool` ended: SIGTERM, then SIGKILL for one still there after 2 s (a SIGTERM that
    lands between a worker's fork and Python's signal set-up in it is lost, and the worker would wait on
    its queue for ever, and the exit with it)."""
    processes = list(getattr(pool, "_processes", {}).values())
    for process in processes:
        process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.join(2)
        if process.is_alive():
            process.kill()
            process.join(2)


def _worker_init(setup: tuple[Callable, tuple] | None, parent: int) -> None:
    """Workers leave interrupts and hang-ups to the parent, which ends them, and die with it: a parent
    killed outright (SIGKILL, out of memory) leaves no worker solving on (Linux: PR_SET_PDEATHSIG; elsewhere
    a thread that watches the parent). Then the jobs' shared setup."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent(parent)
    if setup is not None:
        setup[0](*setup[1])


def die_with_parent(parent: int) -> None:
    """End this process (SIGTERM) when `parent` ends: its id as the parent read it before the fork, since
    a parent that ended before this call leaves the child another parent (read here, that one would
    pass for it, and the child would wait on its queue for ever, holding the parent's stdout)."""
    import os
    import signal
    import sys

    if sys.platform.startswith("linux"):
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(1, signal.SIGTERM, 0, 0, 0) == 0:  # PR_SET_PDEATHSIG
                if os.getppid() != parent:  # it ended before the call: too late to be told
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()
