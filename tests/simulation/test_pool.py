"""Worker pools do not outlive their parent (issue #18).

Before the fix, after a SIGKILL (or SIGTERM) of ``tensorcnn simulate --workers 2`` its two loky
workers and two resource trackers lived on as orphans for minutes (a busy worker finishes
its task, then waits out loky's 300 s idle timeout).
"""

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from tensorcnn.simulation._pool import PoolTerminated, terminate_on_sigterm

psutil = pytest.importorskip("psutil")
pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


MARK = "TENSORCNN_TEST_POOL_MARK"


def _start_sweep(tmp_path):
    """`tensorcnn simulate` with 2 workers; returns (process, its mark, its children) once
    both loky workers run. The mark, an environment variable every descendant inherits,
    finds descendants started later (joblib restarts a pool after an abort) and orphans."""
    mark = uuid.uuid4().hex
    proc = subprocess.Popen(
        [sys.executable, "-m", "tensorcnn", "simulate", "theorem1", "--settings", "S1",
         "--reps", "1000", "--workers", "2", "--out", str(tmp_path / "run")],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, MARK: mark},
        # a suite started in the background (`make test &`) inherits SIGINT ignored, and
        # Python then keeps ignoring it: give the sweep the default disposition a terminal has
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        children = parent.children(recursive=True)
        workers = [c for c in children if "LokyProcess" in " ".join(_cmdline(c))]
        if len(workers) == 2:
            time.sleep(0.5)                      # inside their first tasks
            return proc, mark, parent.children(recursive=True)
        assert proc.poll() is None, "the sweep ended before its workers started"
        time.sleep(0.1)
    proc.kill()
    pytest.fail("the workers did not start within 60 s")


def _marked(mark):
    """Every live process of this user whose environment carries ``mark``."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.pid != os.getpid() and process.environ().get(MARK) == mark:
                found.append(process)
        except psutil.Error:
            pass
    return found


def _cmdline(process):
    try:
        return process.cmdline()
    except psutil.Error:
        return []


def _alive(processes):
    alive = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
        except psutil.NoSuchProcess:
            pass
    return alive


def _wait_gone(processes, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and _alive(processes):
        time.sleep(0.1)
    alive = _alive(processes)
    return [" ".join(_cmdline(p))[:80] or str(p.pid) for p in alive]


@pytest.mark.parametrize(("sig", "codes"), [(signal.SIGKILL, {-signal.SIGKILL}),
                                            (signal.SIGTERM, {143}),
                                            (signal.SIGINT, {130, 1, -signal.SIGINT})])
def test_no_worker_outlives_a_signalled_sweep(tmp_path, sig, codes):
    proc, mark, children = _start_sweep(tmp_path)
    try:
        assert len(children) >= 2
        assert {c.pid for c in children} <= {p.pid for p in _marked(mark)}  # the mark works
        assert proc.poll() is None
        proc.send_signal(sig)
        assert proc.wait(timeout=30) in codes
        assert _wait_gone(children) == []
        assert _wait_gone(_marked(mark), seconds=5.0) == []      # nothing started later
    finally:                                     # leave nothing behind, pass or fail
        proc.kill()
        for process in _marked(mark):
            process.kill()


def test_sigterm_handler_is_installed_only_within_the_block():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(PoolTerminated) as caught, terminate_on_sigterm():
        assert signal.getsignal(signal.SIGTERM) is not before
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(1.0)                          # the handler raises before this ends
    assert caught.value.code == 143
    assert signal.getsignal(signal.SIGTERM) is before
