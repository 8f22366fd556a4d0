"""The daemon's per-poll and start-up bookkeeping does not grow with the number of sources.

10,000 sources saturated the main process: every poll rebuilt a dict of all sources (twice)
and compared set differences over all of them, and start-up computed every source's first
run once per source. These tests count the work (never time it) and pin the behaviour that
must survive the change: first runs spread, back-off kept across a restart, and when a
cycle counts as complete.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

import monitor.daemon as daemon_module
from monitor.clock import iso, now
from monitor.config import Config, load_config
from monitor.daemon import Daemon, job_id
from monitor.store import Poll, Store


def _config(tmp_path: Path, count: int, every: str = "60s") -> Config:
    lines = ["database: monitor.db", "sources:"]
    for i in range(count):
        lines += [f"  - name: s{i}", "    kind: rss", f"    url: https://h{i % 20}.example/f{i}",
                  f"    every: {every}"]
    (tmp_path / "config.yaml").write_text("\n".join(lines) + "\n")
    return load_config(tmp_path / "config.yaml", env={})


@pytest.fixture
def daemon(tmp_path: Path) -> Daemon:
    d = Daemon(_config(tmp_path, 300))
    d.store = Store(tmp_path / "monitor.db")
    yield d
    d.store.close()


def test_start_computes_first_runs_once_and_reads_back_offs_in_one_query(
        daemon: Daemon, monkeypatch: pytest.MonkeyPatch) -> None:
    later = now() + timedelta(hours=1)
    daemon.store.record_source("s7", "https://h7.example/f7", "rss",
                               Poll(error="HTTP 500", next_poll=iso(later)))
    later = later.replace(microsecond=0)
    calls = {"first_runs": 0, "source_state": 0}
    first_runs = daemon_module.first_runs

    def counting_first_runs(*args: object) -> dict[str, datetime]:
        calls["first_runs"] += 1
        return first_runs(*args)

    def counting_source_state(name: str) -> object:
        calls["source_state"] += 1
        return Store.source_state(daemon.store, name)

    monkeypatch.setattr(daemon_module, "first_runs", counting_first_runs)
    monkeypatch.setattr(daemon.store, "source_state", counting_source_state)
    daemon._schedule()
    assert calls == {"first_runs": 1, "source_state": 0}  # was 300 and 300
    runs = sorted(daemon.scheduler.get_job(job_id(f"s{i}")).next_run_time
                  for i in range(300) if i != 7)
    assert runs[-1] - runs[0] >= timedelta(seconds=55)  # spread over the first minute
    assert daemon.scheduler.get_job(job_id("s7")).next_run_time == later  # back-off kept


def test_enabled_is_built_once_per_config(daemon: Daemon, tmp_path: Path) -> None:
    first = daemon.enabled
    assert daemon.enabled is first and len(first) == 300
    daemon.config = _config(tmp_path, 5)
    assert daemon.enabled is not first and list(daemon.enabled) == [f"s{i}" for i in range(5)]


def test_a_cycle_completes_when_every_source_not_backing_off_was_polled(
        daemon: Daemon, tmp_path: Path) -> None:
    daemon._schedule()
    cycles = daemon.metrics.cycles
    for i in range(299):
        daemon._count_cycle(f"s{i}")
    assert cycles._value.get() == 0 and daemon.last_cycle is None
    daemon._count_cycle("s0")  # a second poll of one source completes nothing
    assert cycles._value.get() == 0
    daemon._count_cycle("s299")
    assert cycles._value.get() == 1 and daemon.last_cycle is not None
    # Next cycle: s5 fails and backs off; the cycle does not wait for it.
    daemon.store.record_source("s5", "https://h5.example/f5", "rss", Poll(
        error="HTTP 500", next_poll=iso(now() + timedelta(hours=1))))
    daemon._follow_backoff("s5")
    for i in range(300):
        if i != 5:
            daemon._count_cycle(f"s{i}")
    assert cycles._value.get() == 2
    # A reload that adds a source: the cycle in progress waits for it too.
    old = daemon.config
    new = _config(tmp_path, 301)
    daemon.config = new
    daemon._reschedule(old, new)
    for i in range(300):
        daemon._count_cycle(f"s{i}")
    assert cycles._value.get() == 2
    daemon._count_cycle("s300")
    assert cycles._value.get() == 3
