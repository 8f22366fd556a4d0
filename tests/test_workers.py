"""Parser worker processes (monitor.prepare.worker_pool) outliving nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

POOL = """
    import os, sys, time
    from monitor.prepare import worker_pool

    if __name__ == "__main__":
        with worker_pool(workers=2) as pool:
            pids = {pool.submit(os.getpid).result() for _ in range(20)}
            print(" ".join(map(str, sorted(pids))), flush=True)
            time.sleep(120)
"""


def running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie waits for whoever reaps orphans here)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    state = next(line for line in status.splitlines() if line.startswith("State:"))
    return "zombie" not in state and "(dead)" not in state


def test_workers_end_when_the_daemon_is_killed(tmp_path: Path) -> None:
    # kill -9 (or the OOM killer) gives the daemon no chance to stop its workers.
    script = tmp_path / "pool.py"
    script.write_text(textwrap.dedent(POOL))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                            env=env)
    try:
        pids = [int(pid) for pid in proc.stdout.readline().split()]  # type: ignore[union-attr]
        assert pids and all(running(pid) for pid in pids)
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 30  # bounded: the workers see their parent go at once
    while any(running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in pids if running(pid)]
