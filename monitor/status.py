"""How the daemon tells its operator how it is doing.

* `daemon_state`, one row in the database: pid, start time, heartbeat, last poll. Written
  by `monitor run`, read by `monitor status` (and by anyone with sqlite3 or Datasette).
* `Metrics`: Prometheus counters, gauges and histograms (prometheus-client), in a registry
  of the daemon's own so that tests can run several daemons in one process.
* `StatusServer`: a deliberately tiny HTTP/1.0 server on the daemon's own asyncio loop
  answering GET /healthz and GET /metrics; nothing else, no web framework. It should listen
  on localhost only: it has no authentication.
* `summary`: the numbers behind `monitor status`.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from . import __version__
from .clock import iso, now, now_iso
from .config import Config
from .store import Store

log = logging.getLogger("monitor.status")

# ---------------------------------------------------------------- daemon_state


def record_start(store: Store, config: Config) -> None:
    with store.db.atomic():
        store.db.execute(
            "INSERT OR REPLACE INTO daemon_state (id, pid, started, heartbeat, last_poll, "
            "stopped, version, config) VALUES (1, ?, ?, ?, NULL, NULL, ?, ?)",
            [os.getpid(), now_iso(), now_iso(), __version__, str(config.path)])


def record_heartbeat(store: Store, last_poll: str | None) -> None:
    """A real write: it fails (and /healthz says 503) when the database is not writable."""
    with store.db.atomic():
        store.db.execute("UPDATE daemon_state SET heartbeat = ?, "
                         "last_poll = coalesce(?, last_poll) WHERE id = 1",
                         [now_iso(), last_poll])


def record_stop(store: Store) -> None:
    with store.db.atomic():
        store.db.execute("UPDATE daemon_state SET stopped = ?, heartbeat = ? WHERE id = 1",
                         [now_iso(), now_iso()])


def read_state(store: Store) -> dict[str, Any] | None:
    rows = store.query("SELECT * FROM daemon_state WHERE id = 1")
    return rows[0] if rows else None


def failing_sources(store: Store, config: Config) -> list[str]:
    """Enabled sources whose last poll failed."""
    enabled = {s.name for s in config.sources if s.enabled}
    rows = store.query("SELECT name FROM sources WHERE consecutive_failures > 0 ORDER BY name")
    return [r["name"] for r in rows if r["name"] in enabled]


def outbox_counts(store: Store) -> dict[str, int]:
    """Deliveries by status (pending is the alert queue's depth)."""
    counts = {"pending": 0, "failed": 0}
    for row in store.query("SELECT status, count(*) AS n FROM deliveries GROUP BY status"):
        counts[row["status"]] = row["n"]
    return counts


# ---------------------------------------------------------------- metrics

# Poll durations: a local 304 takes milliseconds, a slow outlet with new articles 30 s+.
_POLL_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
_LAG_BUCKETS = (0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_CYCLE_BUCKETS = (1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200)


class Metrics:
    """The daemon's Prometheus metrics; names are documented in the README."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.fetches = Counter("monitor_fetches", "Source polls by outcome (ok, "
                               "not_modified, error)", ["status"], registry=r)
        self.articles = Counter("monitor_articles", "New articles stored", registry=r)
        self.hits = Counter("monitor_hits", "Watchlist hits in new articles", registry=r)
        self.alerts = Counter("monitor_alerts", "Alert deliveries by outcome (sent, failed, "
                              "retrying)", ["status"], registry=r)
        self.poll_seconds = Histogram("monitor_poll_duration_seconds", "Duration of one "
                                      "source's poll", buckets=_POLL_BUCKETS, registry=r)
        self.cycle_seconds = Histogram("monitor_cycle_duration_seconds", "Time for every "
                                       "enabled source to be polled once", buckets=_CYCLE_BUCKETS,
                                       registry=r)
        self.cycles = Counter("monitor_cycles", "Completed cycles (every enabled source "
                              "polled at least once)", registry=r)
        self.dispatch_seconds = Histogram("monitor_dispatch_duration_seconds", "Duration of "
                                          "one pass of the alert dispatcher",
                                          buckets=_POLL_BUCKETS, registry=r)
        self.lag = Histogram("monitor_schedule_lag_seconds", "Poll start minus its planned "
                             "start", buckets=_LAG_BUCKETS, registry=r)
        self.queue = Gauge("monitor_queue_depth", "Alert deliveries waiting to be sent",
                           registry=r)
        self.failed_deliveries = Gauge("monitor_deliveries_failed", "Alert deliveries that "
                                       "gave up (see monitor alerts / the deliveries table)",
                                       registry=r)
        self.sources = Gauge("monitor_sources", "Enabled sources by health (ok, failing)",
                             ["state"], registry=r)
        self.last_cycle = Gauge("monitor_last_cycle_timestamp_seconds", "Unix time the last "
                                "cycle completed", registry=r)
        self.pruned = Counter("monitor_pruned", "Rows changed by retention (bodies, articles)",
                              ["what"], registry=r)
        self.reloads = Counter("monitor_config_reloads", "SIGHUP reloads by outcome "
                               "(ok, failed)", ["status"], registry=r)
        self.up_since = Gauge("monitor_start_time_seconds", "Unix time the daemon started",
                              registry=r)
        self.storage_full = Gauge("monitor_storage_full", "1 while a full disk pauses polling "
                                  "and alert sending", registry=r)
        self.up_since.set_to_current_time()

    def refresh(self, store: Store, config: Config) -> None:
        """Gauges read from the database at scrape time."""
        counts = outbox_counts(store)
        self.queue.set(counts["pending"])
        self.failed_deliveries.set(counts["failed"])
        failing = len(failing_sources(store, config))
        self.sources.labels("failing").set(failing)
        self.sources.labels("ok").set(sum(s.enabled for s in config.sources) - failing)

    def text(self) -> bytes:
        return generate_latest(self.registry)


# ---------------------------------------------------------------- HTTP endpoint

_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}
HealthCheck = Callable[[], tuple[bool, dict[str, Any]]]


class StatusServer:
    """GET /healthz -> 200/503 + JSON; GET /metrics -> Prometheus text. One request per
    connection; requests are read with a deadline so a stuck client cannot pile up."""

    def __init__(self, health: HealthCheck, metrics: Callable[[], bytes]):
        self.health = health
        self.metrics = metrics
        self._server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._handle, host, port)
        log.info("status endpoint on http://%s:%d (/healthz, /metrics)", host, port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            method, path = await asyncio.wait_for(_read_request(reader), timeout=5)
            status, content_type, body = self._answer(method, path)
            head = (f"HTTP/1.0 {status} {_REASONS[status]}\r\nContent-Type: {content_type}\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
            writer.write(head.encode("ascii") + (body if method != "HEAD" else b""))
            await writer.drain()
        except (TimeoutError, ConnectionError, ValueError):
            pass  # a broken or slow client: nothing to answer
        except Exception:  # the endpoint must never take the daemon down
            log.exception("status endpoint failed")
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def _answer(self, method: str, path: str) -> tuple[int, str, bytes]:
        if method not in ("GET", "HEAD"):
            return 405, "text/plain", b"only GET\n"
        route = path.split("?", 1)[0]
        if route == "/healthz":
            ok, body = self.health()
            return (200 if ok else 503, "application/json",
                    json.dumps(body, ensure_ascii=False).encode() + b"\n")
        if route == "/metrics":
            return 200, CONTENT_TYPE_LATEST, self.metrics()
        return 404, "text/plain", b"try /healthz or /metrics\n"


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, str]:
    """The method and path of a request; headers are read and ignored."""
    line = await reader.readline()
    parts = line.decode("latin-1").split()
    if len(parts) < 2:
        raise ValueError("not an HTTP request")
    for _ in range(100):  # headers: up to a blank line
        if (await reader.readline()).strip() == b"":
            break
    return parts[0].upper(), parts[1]


# ---------------------------------------------------------------- monitor status


def lock_holder(database: Path) -> int | None:
    """The pid of the daemon holding the database's lock, or None when none runs.

    Probes the lock (a shared, non-blocking attempt, released at once): a stale pid in the
    file of a daemon that was killed does not count as running."""
    path = database.with_name(database.name + ".lock")
    try:
        handle = path.open("r")
    except FileNotFoundError:
        return None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = handle.read().strip()
            return int(text) if text.isdigit() else -1
        fcntl.flock(handle, fcntl.LOCK_UN)
        return None


def _today() -> str:
    """UTC midnight: the store's timestamps are UTC."""
    return iso(now().replace(hour=0, minute=0, second=0, microsecond=0))


def summary(store: Store, config: Config | None) -> dict[str, Any]:
    """Everything `monitor status` shows, as plain data. Without a config (`--db` alone)
    the sources are those the database knows, all counted as enabled."""
    pid = lock_holder(store.path)
    state = read_state(store) or {}
    uptime = None
    if pid is not None and state.get("started") and not state.get("stopped"):
        started = datetime.fromisoformat(state["started"]).astimezone(UTC)
        uptime = int((now() - started).total_seconds())
    health = {r["name"]: r for r in store.sources_health()}
    configured = ([(s.name, s.enabled) for s in config.sources] if config else
                  [(name, True) for name in health])
    enabled = [name for name, on in configured if on]
    failing = [n for n in enabled if (health.get(n) or {}).get("consecutive_failures")]
    never = [n for n in enabled if not (health.get(n) or {}).get("last_checked")]
    today = _today()
    one = store.db.execute
    counts = outbox_counts(store)
    return {
        "daemon": {"running": pid is not None, "pid": pid, "started": state.get("started"),
                   "uptime_seconds": uptime, "heartbeat": state.get("heartbeat"),
                   "last_poll": state.get("last_poll"), "stopped": state.get("stopped")},
        "sources": {"enabled": len(enabled), "healthy": len(enabled) - len(failing) - len(never),
                    "failing": failing, "never_checked": len(never),
                    "disabled": len(configured) - len(enabled)},
        "today": {"since": today,
                  "articles": one("SELECT count(*) FROM articles WHERE fetched >= ?",
                                  [today]).fetchone()[0],
                  "hits": one("SELECT count(*) FROM hits h JOIN articles a ON a.id = "
                              "h.article_id WHERE a.fetched >= ?", [today]).fetchone()[0]},
        "deliveries": {"pending": counts["pending"], "failed": counts["failed"]},
        "database": str(store.path),
    }
