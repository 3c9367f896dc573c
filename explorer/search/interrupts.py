"""Signals end the command at once and cleanly: exit 130 on SIGINT, 143 on SIGTERM, 129 on SIGHUP.

The handler does not raise into whatever code is running (an import, a library's
own error handling): it stops every CP-SAT search through `stop_search`, ends the
worker processes, undoes a half-done swap of output files, removes the temporary
files and folders writers registered, says so in one line and exits. Writers and
pools register what must go.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys

CODES = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}  # SIGHUP: the terminal went away
_temporary: set[str] = set()
_pools: list = []
_undo: list = []  # callables that put half-moved outputs back, newest last


def temporary(path) -> None:
    """A file or folder to remove if a signal ends the run before it is moved into place."""
    _temporary.add(str(path))


def done(path) -> None:
    _temporary.discard(str(path))


def undo(fn) -> None:
    """`fn()` puts back what a writer has half-moved into place, if a signal lands before it is done."""
    _undo.append(fn)


def undone(fn) -> None:
    if fn in _undo:
        _undo.remove(fn)


def pool(p) -> None:
    _pools.append(p)


def released(p) -> None:
    if p in _pools:
        _pools.remove(p)


def _handler(signum, frame) -> None:
    for sig in CODES:
        signal.signal(sig, signal.SIG_IGN)
    # never import in a handler: the signal may have landed inside that very import (the solver's
    # module is heavy), and a nested import of a half-built module fails with a traceback
    solve = sys.modules.get("explorer.search.solve")
    stop = getattr(solve, "interrupt", None)
    if stop is not None:
        with contextlib.suppress(Exception):  # stopping is best effort; the exit below is not
            stop(signum)
    for p in list(_pools):
        for process in list(getattr(p, "_processes", {}).values()):
            process.terminate()
    for fn in reversed(_undo):
        with contextlib.suppress(Exception):  # best effort: the temporary files still go below
            fn()
    for path in list(_temporary):
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        elif os.path.exists(path):
            os.remove(path)
    name = {signal.SIGINT: "interrupted", signal.SIGHUP: "hung up"}.get(signum, "terminated")
    try:
        sys.stderr.write(f"explore: {name}\n")
        sys.stderr.flush()
    except OSError:
        pass
    os._exit(CODES.get(signum, 1))


def install() -> dict:
    """Install the handler; returns the previous handlers, for `restore`."""
    return {sig: signal.signal(sig, _handler) for sig in CODES}


def restore(previous: dict) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)
