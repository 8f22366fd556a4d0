"""`monitor run`: poll each source on its own schedule, send alerts, stop cleanly.

One APScheduler job per source (interval = its `every`, with jitter, coalesced, never two
at once) plus one job draining the alert outbox. SIGTERM/SIGINT stop scheduling and give
in-flight work a grace period; a second signal exits at once. A lock file beside the
database keeps a second daemon off the same database.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import signal
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from .config import Config, Source
from .errors import MonitorError, StoreError
from .fetch import Fetcher
from .pipeline import Pipeline
from .store import Store

log = logging.getLogger("monitor.daemon")

GRACE_SECONDS = 20.0
DISPATCH_EVERY = 30.0
# First polls are spread over at most this many seconds so that many sources do not
# all fire in the same second at start-up.
START_SPREAD = 60.0


class DatabaseLock:
    """An exclusive advisory lock on `<database>.lock`, released when the process dies."""

    def __init__(self, database: Path):
        self.path = database.with_name(database.name + ".lock")
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise StoreError(f"{self.path.name}: database is in use by a running monitor "
                             f"(pid {holder}); stop it first") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class Daemon:
    def __init__(self, config: Config):
        self.config = config
        self.stopping = asyncio.Event()
        self.in_flight: set[asyncio.Task[object]] = set()

    def _tracked(self, work: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
        async def job() -> None:
            if self.stopping.is_set():
                return
            task = asyncio.current_task()
            assert task is not None
            self.in_flight.add(task)
            try:
                await work()
            except MonitorError as exc:  # a job must never take the scheduler down
                log.error("job failed: %s", exc)
            finally:
                self.in_flight.discard(task)

        return job

    def _schedule(self, scheduler: AsyncIOScheduler, pipeline: Pipeline) -> None:
        sources = [s for s in self.config.sources if s.enabled]
        start = datetime.now(UTC)
        step = min(START_SPREAD, min((s.every for s in sources), default=0)) / max(len(sources), 1)
        for i, source in enumerate(sources):
            scheduler.add_job(
                self._tracked(_poll(pipeline, source)),
                IntervalTrigger(seconds=source.every, jitter=min(30.0, source.every * 0.1)),
                id=f"source:{source.name}", name=source.name, coalesce=True, max_instances=1,
                misfire_grace_time=int(max(1.0, source.every / 2)),
                next_run_time=start + timedelta(seconds=i * step))
        scheduler.add_job(self._tracked(pipeline.dispatch), IntervalTrigger(
            seconds=DISPATCH_EVERY), id="alerts:dispatch", coalesce=True, max_instances=1,
            misfire_grace_time=int(DISPATCH_EVERY), next_run_time=start)

    def _on_signal(self, signum: int) -> None:
        if self.stopping.is_set():
            log.warning("second %s: exiting now", signal.Signals(signum).name)
            os._exit(128 + signum)
        log.info("%s received: stopping (grace %.0f s)", signal.Signals(signum).name,
                 GRACE_SECONDS)
        self.stopping.set()

    async def run(self) -> None:
        lock = DatabaseLock(self.config.database)
        lock.acquire()
        try:
            with Store(self.config.database) as store:
                async with Fetcher(self.config.fetch) as fetcher:
                    await self._serve(Pipeline(self.config, store, fetcher))
        finally:
            lock.release()

    async def _serve(self, pipeline: Pipeline) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self._on_signal, signum)
        for line in self.config.disabled_channels:
            log.info("%s", line)
        scheduler = AsyncIOScheduler(timezone=UTC)
        self._schedule(scheduler, pipeline)
        scheduler.start()
        log.info("monitor running: %d sources, %d alert channels, database %s",
                 sum(s.enabled for s in self.config.sources), len(self.config.channels),
                 self.config.database)
        await self.stopping.wait()
        scheduler.shutdown(wait=False)
        if self.in_flight:
            log.info("waiting for %d running jobs", len(self.in_flight))
            _done, pending = await asyncio.wait(self.in_flight, timeout=GRACE_SECONDS)
            for task in pending:
                task.cancel()
        log.info("stopped")


def _poll(pipeline: Pipeline, source: Source) -> Callable[[], Awaitable[object]]:
    async def poll() -> None:
        if pipeline.due(source):
            await pipeline.run_source(source)
        else:
            log.debug("%s: backing off until its next poll", source.name)

    return poll


def run_daemon(config: Config) -> None:
    asyncio.run(Daemon(config).run())
