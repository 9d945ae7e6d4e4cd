"""Worker pools that end with the process that started them (issue #18).

joblib's loky workers outlive a killed parent: a worker busy with a task finishes it, then
waits for the next one until its idle timeout (300 s), and the resource trackers wait for
the workers. Two guards:

* **Parent watchdog** (:func:`watch_parent`, the workers' initializer): a daemon thread in
  every worker that ends the worker (``os._exit``) as soon as its parent process is no longer
  the process that started the pool — after a SIGKILL of the parent, within
  ``WATCH_INTERVAL`` seconds (plus the time the worker's task holds the GIL). Portable (no
  ``prctl``; Linux's ``PR_SET_PDEATHSIG`` fires when the spawning *thread* ends, and loky
  spawns replacement workers from its manager thread). The resource trackers then see every
  pipe to them closed and exit.
* **SIGTERM** (:func:`terminate_on_sigterm`): while a pool runs, SIGTERM raises
  :class:`PoolTerminated` (a ``SystemExit`` with code 143 = 128 + SIGTERM) in the main
  thread; joblib aborts on it — it kills the workers — and the process exits with 143.
  SIGINT needs nothing: Python raises ``KeyboardInterrupt``, joblib aborts the same way and
  the process exits as interrupted (130 in a shell).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .._validation import check_int, check_positive

__all__ = ["WATCH_INTERVAL", "PoolTerminated", "pool_kwargs", "terminate_on_sigterm",
           "watch_parent"]

#: Seconds between two checks of a worker's parent.
WATCH_INTERVAL = 0.2


class PoolTerminated(SystemExit):
    """Raised in the main thread by SIGTERM while a worker pool runs: exit code 143."""

    def __init__(self) -> None:
        super().__init__(128 + signal.SIGTERM)


def watch_parent(parent_pid: int, interval: float = WATCH_INTERVAL) -> None:
    """Worker initializer: end this process when ``parent_pid`` stops being its parent.

    Parameters
    ----------
    parent_pid : int
        The pid of the process that started the pool.
    interval : float, default WATCH_INTERVAL
        Seconds between checks.

    Raises
    ------
    TypeError, ValueError
        If ``parent_pid`` is not a positive int or ``interval`` not a finite number > 0,
        checked before the watchdog starts: with a pid that is never the parent (``"1"``,
        ``2.5``) it would end this process at once.
    """
    parent_pid = check_int(parent_pid, "parent_pid")
    interval = check_positive(interval, "interval")

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(interval)
        os._exit(1)     # the parent is gone: no one will collect this worker's results

    threading.Thread(target=watch, name="tensorcnn-parent-watchdog", daemon=True).start()


def pool_kwargs() -> dict[str, Any]:
    """Keyword arguments of :class:`joblib.Parallel` (loky) for workers that watch this process.

    The same values on every call from one process, so joblib keeps reusing its executor.
    """
    return dict(backend="loky", initializer=watch_parent, initargs=(os.getpid(),))


@contextmanager
def terminate_on_sigterm() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`PoolTerminated` (the previous handler is
    restored after). Outside the main thread (no signal handlers there) it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise PoolTerminated

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:     # (None: a handler installed from C, not restorable; the default instead)
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)
