"""`monitor run`: poll each source on its own schedule, send alerts, stop cleanly.

Scheduling (APScheduler 3, AsyncIOScheduler, in-memory jobs):
* one job per enabled source at its `every`, with jitter, coalesced, never two at once,
  with an explicit misfire grace; the first polls start at once, spread over
  min(every, 60 s) so that 500 sources do not fire in the same second;
* a failing source's back-off (its stored `next_poll`) moves its job's next run time;
* the alert dispatcher every 30 s (and soon after a poll that found hits); digests are
  decided inside `Pipeline.dispatch`;
* housekeeping (retention, PRAGMA optimize, WAL checkpoints) hourly.

Lifecycle: SIGTERM/SIGINT stop scheduling and give running jobs a grace period (20 s by
default) before they are cancelled; every poll's writes are one transaction, so a
cancelled or killed poll leaves nothing half-written and its source is simply polled again
after a restart. A second signal exits at once. SIGHUP reloads the config: it is validated
first, and a bad one is logged and the running one kept. A lock file beside the database
keeps a second daemon off it.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import signal
import sqlite3
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from apscheduler.events import EVENT_JOB_SUBMITTED, JobSubmissionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from .clock import now, now_iso
from .config import Config, Source, load_config
from .errors import ConfigError, StorageFullError, StoreError
from .fetch import Fetcher
from .housekeeping import Housekeeper, checkpoint
from .logs import current_source, set_format
from .pipeline import Pipeline, SourceReport
from .prepare import worker_pool
from .status import (
    Metrics,
    StatusServer,
    failing_sources,
    outbox_counts,
    record_heartbeat,
    record_start,
    record_stop,
)
from .storage_pause import StoragePause
from .store import Store
from .store.failures import check_free_space, store_failure

log = logging.getLogger("monitor.daemon")
lag_log = logging.getLogger("monitor.daemon.schedule")

GRACE_SECONDS = 20.0
DISPATCH_EVERY = 30.0
DISPATCH_MIN_GAP = 5.0  # a poll with hits wakes the dispatcher, at most this often
HOUSEKEEPING_EVERY = 3600.0
HOUSEKEEPING_FIRST = 120.0  # after start-up, when the first polls are done
# First polls are spread over at most this many seconds so that many sources do not
# all fire in the same second at start-up.
START_SPREAD = 60.0
# /healthz reports the scheduler stuck when no job (the dispatcher runs every 30 s) has
# started for this long.
STALL_AFTER = 300.0
DISPATCH_JOB = "alerts:dispatch"
HOUSEKEEPING_JOB = "housekeeping"


class DatabaseLock:
    """An exclusive advisory lock on `<database>.lock`, released when the process dies."""

    def __init__(self, database: Path):
        self.path = database.with_name(database.name + ".lock")
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = self.path.open("a+")
        except OSError as exc:  # a read-only directory, a full disk
            database = self.path.with_name(self.path.name.removesuffix(".lock"))
            raise store_failure(exc, database) or StoreError(
                f"{self.path}: cannot create the lock file: {exc.strerror}") from None
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


def job_id(name: str) -> str:
    return f"source:{name}"


def source_trigger(source: Source) -> IntervalTrigger:
    # Jitter keeps sources with the same interval from drifting into lock-step.
    return IntervalTrigger(seconds=source.every, jitter=min(30.0, source.every * 0.1))


def misfire_grace(every: float) -> int:
    """A poll that starts late (a busy loop, a suspended laptop) still runs if it is late by
    less than one interval; later than that, the next regular run comes soon anyway."""
    return max(1, int(every))


def first_runs(sources: list[Source], start: datetime) -> dict[str, datetime]:
    """Source i of n first runs at start + i/n of min(its every, START_SPREAD)."""
    n = max(len(sources), 1)
    return {s.name: start + timedelta(seconds=i / n * min(s.every, START_SPREAD))
            for i, s in enumerate(sources)}


class Daemon:
    def __init__(self, config: Config, grace: float = GRACE_SECONDS,
                 config_arg: str | None = None):
        self.config = config
        self.config_arg = config_arg  # what -c said, so a reload reads the same file
        self.grace = grace
        self.stopping = asyncio.Event()
        self.in_flight: set[asyncio.Task[Any]] = set()
        self._retiring: set[asyncio.Task[None]] = set()  # replaced worker pools, draining
        self.metrics = Metrics()
        self.storage = StoragePause()  # a full disk pauses polling and alerts
        self.housekeeper = Housekeeper()
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.status_server: StatusServer | None = None
        self._planned: dict[str, datetime] = {}  # job id -> planned start of its current run
        self._last_tick = time.monotonic()  # some job started
        self._last_dispatch = 0.0
        # Enabled sources not yet polled in the current cycle, less those backing off: the
        # cycle is complete when it is empty. Kept up to date poll by poll, so completing a
        # cycle costs one set operation a poll, not a pass over every source.
        self._waiting: set[str] = set()
        self._backing_off: set[str] = set()  # failing sources waiting out their back-off
        self._enabled: dict[str, Source] = {}
        self._enabled_of: Config | None = None  # the config `_enabled` was built from
        self._round_started = time.monotonic()
        self.last_poll: str | None = None
        self.last_cycle: str | None = None
        self._started = now_iso()
        # Set in run(): they live as long as the database is open.
        self.store: Store
        self.fetcher: Fetcher
        self.parsers: Executor
        self.pipeline: Pipeline
        self._exits: contextlib.ExitStack
        self._async_exits: contextlib.AsyncExitStack

    @property
    def enabled(self) -> dict[str, Source]:
        """Enabled sources by name, built once per config (every poll looks its source up)."""
        if self._enabled_of is not self.config:
            self._enabled = {s.name: s for s in self.config.sources if s.enabled}
            self._enabled_of = self.config
        return self._enabled

    # ------------------------------------------------------------ lifecycle

    async def run(self) -> None:
        lock = DatabaseLock(self.config.database)
        lock.acquire()
        try:
            with contextlib.ExitStack() as exits:
                self._exits = exits
                self.store = exits.enter_context(
                    Store(self.config.database, background_checkpoints=True))
                self.parsers = self._new_workers(self.config)
                async with contextlib.AsyncExitStack() as async_exits:
                    self._async_exits = async_exits
                    self.fetcher = await async_exits.enter_async_context(
                        Fetcher(self.config.fetch))
                    self.pipeline = self._pipeline(self.config, self.fetcher)
                    await self._serve()
        finally:
            lock.release()

    async def _serve(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self._on_signal, signum)
        loop.add_signal_handler(signal.SIGHUP, self._on_hup)
        for line in self.config.disabled_channels:
            log.info("%s", line)
        try:
            record_start(self.store, self.config)
        except sqlite3.Error as exc:  # a full disk: run paused, probing; else stop
            failure = self.store.failure(exc)
            if not isinstance(failure, StorageFullError):
                raise failure or exc from None
            self._storage_full("start-up", failure)
        self.scheduler.add_listener(self._on_submitted, EVENT_JOB_SUBMITTED)
        self._schedule()
        self.scheduler.start()
        await self._start_status_server()
        log.info("monitor running: %d sources, %d alert channels, database %s",
                 len(self.enabled), len(self.config.channels), self.config.database)
        await self.stopping.wait()
        await self._shutdown()

    def _on_signal(self, signum: int) -> None:
        if self.stopping.is_set():
            log.warning("second %s: exiting now", signal.Signals(signum).name)
            logging.shutdown()
            os._exit(128 + signum)
        log.info("%s received: stopping (grace %.0f s)", signal.Signals(signum).name,
                 self.grace)
        self.stopping.set()

    async def _shutdown(self) -> None:
        # pause, not shutdown: APScheduler's asyncio executor cancels running jobs on
        # shutdown, and they deserve their grace period.
        self.scheduler.pause()
        running = {t for t in self.in_flight if not t.done()}
        if running:
            log.info("waiting up to %.0f s for %d running jobs", self.grace, len(running))
            _done, pending = await asyncio.wait(running, timeout=self.grace)
            if pending:
                log.warning("cancelling %d jobs still running after the grace period "
                            "(their sources are polled again at the next start)", len(pending))
                for task in pending:
                    task.cancel()
                await asyncio.wait(pending, timeout=5)
        self.scheduler.shutdown(wait=False)
        await self._stop_status_server()
        # Flush: every poll committed already; fold the WAL into the database file.
        try:
            checkpoint(self.store)
            record_stop(self.store)
        except sqlite3.Error as exc:  # a full disk: what is stored is intact all the same
            log.error("database: the stop could not be recorded: %s",
                      self.store.failure(exc) or exc)
        log.info("stopped")

    # ------------------------------------------------------------ scheduling

    def _schedule(self) -> None:
        start = now()
        sources = list(self.enabled.values())
        starts = first_runs(sources, start)
        backoffs = self.store.next_polls()
        for source in sources:
            self._add_source_job(source, starts[source.name], backoffs.get(source.name))
        self._waiting = set(self.enabled)
        self.scheduler.add_job(
            self._dispatch_job, IntervalTrigger(seconds=DISPATCH_EVERY), id=DISPATCH_JOB,
            name="alert dispatcher", coalesce=True, max_instances=1,
            misfire_grace_time=int(DISPATCH_EVERY), next_run_time=start)
        self.scheduler.add_job(
            self._housekeeping_job, IntervalTrigger(seconds=HOUSEKEEPING_EVERY),
            id=HOUSEKEEPING_JOB, name="housekeeping", coalesce=True, max_instances=1,
            misfire_grace_time=int(HOUSEKEEPING_EVERY),
            next_run_time=start + timedelta(seconds=HOUSEKEEPING_FIRST))

    def _add_source_job(self, source: Source, first_run: datetime,
                        backoff: str | None) -> None:
        # A source still backing off from before a restart keeps its back-off (`backoff`:
        # its stored next_poll).
        if backoff and datetime.fromisoformat(backoff) > first_run:
            first_run = datetime.fromisoformat(backoff)
        self.scheduler.add_job(
            self._poll_job, source_trigger(source), args=[source.name], id=job_id(source.name),
            name=source.name, coalesce=True, max_instances=1,
            misfire_grace_time=misfire_grace(source.every), next_run_time=first_run,
            replace_existing=True)

    def _on_submitted(self, event: JobSubmissionEvent) -> None:
        """Remember when each run was planned, to measure how late it starts."""
        if event.scheduled_run_times:
            self._planned[event.job_id] = event.scheduled_run_times[-1]

    def _follow_backoff(self, name: str) -> None:
        """A failing source's next poll is its stored next_poll, if that is later than
        the trigger's next run."""
        next_poll = self.store.source_state(name).next_poll
        job = self.scheduler.get_job(job_id(name))
        if not next_poll or job is None or job.next_run_time is None:
            return
        wanted = datetime.fromisoformat(next_poll)
        if wanted > job.next_run_time:
            job.modify(next_run_time=wanted)
            self._backing_off.add(name)
            self._waiting.discard(name)
            log.debug("%s: backing off until %s", name, next_poll)

    def _wake_dispatcher(self, at: datetime | None = None) -> None:
        """Run the dispatcher soon (or at `at`, if sooner than its next round)."""
        job = self.scheduler.get_job(DISPATCH_JOB)
        soonest = at or now() + timedelta(seconds=max(
            0.0, DISPATCH_MIN_GAP - (time.monotonic() - self._last_dispatch)))
        if job is not None and job.next_run_time is not None and soonest < job.next_run_time:
            job.modify(next_run_time=soonest)

    # ------------------------------------------------------------ jobs

    async def _guarded(self, what: str, work: Callable[[], Awaitable[None]]) -> None:
        """Run a job's work, tracked for the grace period; a job must never take the
        scheduler down, so every error is logged (with the source) and swallowed."""
        if self.stopping.is_set():
            return
        task = asyncio.current_task()
        assert task is not None
        self.in_flight.add(task)
        self._last_tick = time.monotonic()
        try:
            await work()
        except BrokenProcessPool:
            # A worker killed (OOM killer, Ctrl-C reaching the process group, its hard CPU
            # limit): the pipeline has had a new pool started (_replace_broken).
            log.error("%s: a parser process died", what)
        except (sqlite3.Error, StoreError) as exc:
            failure = exc if isinstance(exc, StoreError) else self.store.failure(exc)
            if isinstance(failure, StorageFullError):
                self._storage_full(what, failure)
            else:
                log.error("%s: database error: %s", what, failure or exc)
        except Exception:
            log.exception("%s: unexpected error", what)
        finally:
            self.in_flight.discard(task)

    def _storage_full(self, what: str, failure: StorageFullError) -> None:
        first = not self.storage.paused
        delay = self.storage.trip(str(failure))
        self.metrics.storage_full.set(1)
        log.error("%s: %s; %s polling and alert sending, next try in %.0f s", what, failure,
                  "pausing" if first else "still pausing", delay)

    def _may_poll(self) -> bool:
        """False while a full disk pauses polling; a probe first checks the free space."""
        if not self.storage.may_poll():
            return False
        if self.storage.probing:
            try:
                check_free_space(self.store.path)
            except StorageFullError as exc:
                self._storage_full("storage probe", exc)
                return False
        return True

    async def _poll_job(self, name: str) -> None:
        token = current_source.set(name)
        try:
            await self._guarded(name, lambda: self._poll(name))
        finally:
            current_source.reset(token)

    async def _poll(self, name: str) -> None:
        planned = self._planned.pop(job_id(name), None)
        if planned is not None:
            lag = (now() - planned).total_seconds()
            self.metrics.lag.observe(max(lag, 0.0))
            lag_log.debug("poll started %.3f s after its planned time", lag,
                          extra={"lag": round(lag, 4)})
        source = self.enabled.get(name)
        if source is None:  # removed by a reload while this run was queued
            return
        if not self._may_poll():
            return  # nothing fetched that could not be stored
        probe = self.storage.probing
        try:
            await self._run_poll(source, probe)
        finally:
            if probe:  # ended otherwise (not due, another error): the next try later
                self.storage.end_probe()

    async def _run_poll(self, source: Source, probe: bool) -> None:
        pipeline = self.pipeline
        if not pipeline.due(source):
            self._follow_backoff(source.name)
            return
        started = time.monotonic()
        report = await pipeline.run_source(source)
        if probe:  # it stored what it fetched: the disk has space again
            since = self.storage.resume()
            self.metrics.storage_full.set(0)
            log.warning("database writable again (full since %s): polling and alert "
                        "sending resumed", since)
        self._after_poll(source, report, time.monotonic() - started)

    def _after_poll(self, source: Source, report: SourceReport, seconds: float) -> None:
        m = self.metrics
        m.fetches.labels("error" if report.error else
                         "not_modified" if report.not_modified else "ok").inc()
        m.articles.inc(report.new_articles)
        m.hits.inc(report.hits)
        m.poll_seconds.observe(seconds)
        self.last_poll = now_iso()
        self._backing_off.discard(source.name)
        if report.error:
            self._follow_backoff(source.name)
        if report.hits and self.config.channels:
            self._wake_dispatcher()
        self._count_cycle(source.name)

    def _count_cycle(self, name: str) -> None:
        """A cycle is complete when every enabled source has been polled since the last
        (a failing source waiting out its back-off does not hold the cycle up)."""
        self._waiting.discard(name)
        if self._waiting:
            return
        self.metrics.cycles.inc()
        self.metrics.cycle_seconds.observe(time.monotonic() - self._round_started)
        self.metrics.last_cycle.set_to_current_time()
        self.last_cycle = now_iso()
        self._waiting = self.enabled.keys() - self._backing_off
        self._round_started = time.monotonic()

    async def _dispatch_job(self) -> None:
        await self._guarded("alert dispatcher", self._dispatch)

    async def _dispatch(self) -> None:
        if self.storage.paused:
            # A message sent but not recorded as sent would be sent again at every turn.
            return
        self._last_dispatch = time.monotonic()
        report = await self.pipeline.dispatch(gather=True)
        if report.held_until is not None:  # a first alert gathering reports: send it on time
            self._wake_dispatcher(report.held_until)
        self.metrics.dispatch_seconds.observe(time.monotonic() - self._last_dispatch)
        for status in ("sent", "failed", "retrying"):
            self.metrics.alerts.labels(status).inc(getattr(report, status, 0))
        record_heartbeat(self.store, self.last_poll)

    async def _housekeeping_job(self) -> None:
        await self._guarded("housekeeping", self._housekeeping)

    async def _housekeeping(self) -> None:
        report = await self.housekeeper.run(self.store, self.config.retention,
                                            keep_going=lambda: not self.stopping.is_set())
        self.metrics.pruned.labels("bodies").inc(report.bodies)
        self.metrics.pruned.labels("articles").inc(report.articles)

    def _pipeline(self, config: Config, fetcher: Fetcher) -> Pipeline:
        pipeline = Pipeline(config, self.store, fetcher, parsers=self.parsers)
        pipeline.renew_parsers = self._replace_broken
        return pipeline

    def _replace_broken(self, broken: Executor) -> None:
        """A poll found its pool broken: one new pool, however many polls notice."""
        if broken is self.parsers and not self.stopping.is_set():
            log.warning("parser pool broken (a worker process ended): starting a new pool")
            self._renew_parsers()

    def _renew_parsers(self) -> None:
        old = self.parsers
        self.parsers = self._new_workers(self.config)
        self.pipeline.parsers = self.parsers
        old.shutdown(wait=False, cancel_futures=True)

    def _new_workers(self, config: Config) -> Executor:
        return self._exits.enter_context(worker_pool(
            config.watchlist, config.rules, cross_script=config.matching.cross_script))

    def _retire_workers(self, pool: Executor) -> None:
        """Shut a replaced pool down once the polls that may still use it have finished."""
        busy = [t for t in self.in_flight if t is not asyncio.current_task()]

        async def retire() -> None:
            await asyncio.gather(*busy, return_exceptions=True)
            pool.shutdown(wait=False)

        task = asyncio.get_running_loop().create_task(retire())
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    # ------------------------------------------------------------ SIGHUP: reload

    def _on_hup(self) -> None:
        task = asyncio.get_running_loop().create_task(self._reload())
        self.in_flight.add(task)
        task.add_done_callback(self.in_flight.discard)

    async def _reload(self) -> None:
        path = self.config_arg or self.config.path
        log.info("SIGHUP: reloading %s", path)
        try:
            new = load_config(path)
            if new.database != self.config.database:
                raise ConfigError(f"{path}: database: changing the database needs a "
                                  "restart (it is locked by this daemon)")
            fetcher = self.fetcher
            if new.fetch != self.config.fetch:
                # Polls still running keep the old client, so it is closed only at exit
                # (one idle client per such reload: reloads are rare).
                fetcher = await self._async_exits.enter_async_context(Fetcher(new.fetch))
            pipeline = self._pipeline(new, fetcher)
        except Exception as exc:  # ConfigError, or a watchlist the matcher refuses
            self.metrics.reloads.labels("failed").inc()
            problem = str(exc).replace("\n", "; ")
            log.error("config reload failed, keeping the running configuration: %s", problem)
            return
        if (new.watchlist, new.rules) != (self.config.watchlist, self.config.rules):
            # The workers match with the watchlist they were started with.
            self._retire_workers(self.parsers)
            self.parsers = pipeline.parsers = self._new_workers(new)
        old = self.config
        self.fetcher, self.pipeline, self.config = fetcher, pipeline, new
        added, removed, changed = self._reschedule(old, new)
        set_format(new.log_format)
        if new.status != old.status:
            await self._stop_status_server()
            await self._start_status_server()
        self.metrics.reloads.labels("ok").inc()
        log.info("config reloaded: %d sources (%d added, %d removed, %d changed), "
                 "%d alert channels, %d watchlist entries", len(self.enabled), added, removed,
                 changed, len(new.channels), len(new.watchlist))

    def _reschedule(self, old: Config, new: Config) -> tuple[int, int, int]:
        """Jobs follow the new source list. Poll jobs look their source up by name at each
        run, so a changed url or selector applies at the next poll; a changed interval
        replaces the trigger. New sources are polled at once (spread)."""
        before = {s.name: s for s in old.sources if s.enabled}
        after = {s.name: s for s in new.sources if s.enabled}
        for name in before.keys() - after.keys():
            with contextlib.suppress(Exception):  # already gone
                self.scheduler.remove_job(job_id(name))
            self._waiting.discard(name)
        added = [s for name, s in after.items() if name not in before]
        starts = first_runs(added, now())
        backoffs = self.store.next_polls() if added else {}
        for source in added:
            self._add_source_job(source, starts[source.name], backoffs.get(source.name))
            self._waiting.add(source.name)  # the cycle waits for new sources too
        changed = [n for n in before.keys() & after.keys() if before[n] != after[n]]
        for name in changed:
            if before[name].every != after[name].every:
                self.scheduler.modify_job(job_id(name),
                                          misfire_grace_time=misfire_grace(after[name].every))
                self.scheduler.reschedule_job(job_id(name), trigger=source_trigger(after[name]))
        return len(added), len(before.keys() - after.keys()), len(changed)

    # ------------------------------------------------------------ status endpoint

    async def _start_status_server(self) -> None:
        where = self.config.status.host_port
        if where is None:
            return
        server = StatusServer(self.health, self.metrics_text)
        try:
            await server.start(*where)
        except OSError as exc:  # the port is taken: keep monitoring, say so loudly
            log.error("status endpoint %s not started: %s", self.config.status.listen, exc)
            return
        self.status_server = server

    async def _stop_status_server(self) -> None:
        if self.status_server is not None:
            await self.status_server.stop()
            self.status_server = None

    def health(self) -> tuple[bool, dict[str, Any]]:
        """200 when the scheduler is alive and the database writable."""
        stalled = time.monotonic() - self._last_tick
        alive = self.scheduler.running and not self.stopping.is_set() and stalled < STALL_AFTER
        try:
            record_heartbeat(self.store, self.last_poll)
            database = "writable"
        except sqlite3.Error as exc:
            database = f"not writable: {exc}"
            failure = self.store.failure(exc)
            if isinstance(failure, StorageFullError) and not self.storage.paused:
                self._storage_full("health check", failure)  # before a poll fetches
        if self.storage.paused:  # an in-place heartbeat may still fit on a full disk
            database = f"full: {self.storage.error}"
        ok = alive and database == "writable"
        body = {
            "status": "ok" if ok else "unhealthy",
            "scheduler": "running" if alive else
                         "stopping" if self.stopping.is_set() else "stalled",
            "database": database,
            "storage": self.storage.status(),
            "started": self._started,
            "last_poll": self.last_poll,
            "last_cycle": self.last_cycle,
            "failing_sources": failing_sources(self.store, self.config),
            "pending_deliveries": outbox_counts(self.store)["pending"],
        }
        return ok, body

    def metrics_text(self) -> bytes:
        self.metrics.refresh(self.store, self.config)
        return self.metrics.text()


def run_daemon(config: Config, grace: float = GRACE_SECONDS,
               config_arg: str | None = None) -> None:
    asyncio.run(Daemon(config, grace=grace, config_arg=config_arg).run())

