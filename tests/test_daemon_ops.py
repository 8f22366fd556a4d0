"""The daemon's parts in-process: retention, checkpoints, JSON logs, start-up spread,
health checks, and the deployment files (no Docker engine or systemd on CI)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor import housekeeping, logs, status
from monitor.clock import iso, now
from monitor.config import Config, FetchSettings, Retention, Source, load_config
from monitor.daemon import Daemon, first_runs
from monitor.models import Article, Hit
from monitor.store import Store

ROOT = Path(__file__).resolve().parents[1]


def article(i: int, age_days: float, body: str = "Qais al-Khazali spoke in Maysan.") -> Article:
    hit = Hit("Qais al-Khazali", "actor", "Qais al-Khazali", 0, 15, "**Qais al-Khazali**")
    return Article(url=f"https://x.example/{i}", source="X", title=f"Story number {i}",
                   body=body, fetched=iso(now() - timedelta(days=age_days)), hits=[hit])


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "monitor.db") as db:
        yield db


def test_retention_empties_old_bodies_in_batches_and_keeps_hits(store: Store) -> None:
    store.add_articles([article(i, 200) for i in range(1200)] +
                       [article(i, 1) for i in range(1200, 1210)], ["slack"])
    report = asyncio.run(housekeeping.prune(store, Retention(bodies=180 * 86400.0), batch=500))
    assert report.bodies == 1200 and report.batches == [500, 500, 200]
    assert store.db.execute("SELECT count(*) FROM articles WHERE body = ''").fetchone()[0] == 1200
    assert store.db.execute("SELECT count(*) FROM articles WHERE body != ''").fetchone()[0] == 10
    # Metadata, hits and deliveries stay; the full-text index forgets the pruned text.
    assert store.db.execute("SELECT count(*) FROM articles").fetchone()[0] == 1210
    assert store.db.execute("SELECT count(*) FROM hits").fetchone()[0] == 1210
    found = store.db.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH "
                             "'Maysan'").fetchone()[0]
    assert found == 10
    assert store.db.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH "
                            "'Story'").fetchone()[0] == 1210  # titles still searchable
    again = asyncio.run(housekeeping.prune(store, Retention(bodies=180 * 86400.0)))
    assert again.bodies == 0


def test_retention_deletes_old_articles_with_their_hits_and_deliveries(store: Store) -> None:
    store.add_articles([article(i, 40) for i in range(30)] + [article(99, 1)], ["slack"])
    report = asyncio.run(housekeeping.prune(store, Retention(bodies=None, articles=30 * 86400.0),
                                            batch=7))
    assert report.articles == 30 and max(report.batches) == 7
    one = store.db.execute
    assert one("SELECT count(*) FROM articles").fetchone()[0] == 1
    assert one("SELECT count(*) FROM hits").fetchone()[0] == 1
    assert one("SELECT count(*) FROM deliveries").fetchone()[0] == 1
    assert one("PRAGMA foreign_key_check").fetchall() == []
    assert one("SELECT count(*) FROM articles_fts").fetchone()[0] == 1


def test_retention_never_keeps_everything(store: Store) -> None:
    store.add_articles([article(i, 4000) for i in range(3)], [])
    report = asyncio.run(housekeeping.prune(store, Retention(bodies=None, articles=None)))
    assert (report.bodies, report.articles) == (0, 0)


def test_housekeeping_optimizes_and_checkpoints_with_a_reader_open(store: Store) -> None:
    store.add_articles([article(i, 1) for i in range(50)], [])
    reader = sqlite3.connect(store.path, timeout=1)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM articles").fetchone()
    keeper = housekeeping.Housekeeper()
    asyncio.run(keeper.run(store, Retention()))
    assert keeper.runs == 1
    reader.rollback()
    reader.close()
    busy, wal, done = housekeeping.checkpoint(store)
    assert busy == 0 and wal == done  # every WAL page is back in the database


def test_json_log_lines_carry_the_source() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.SourceFilter())
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("monitor.test.json")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        token = logs.current_source.set("Shafaq News (EN)")
        logger.warning("%s: FAILED: %s", "Shafaq News (EN)", "HTTP 500")
        logs.current_source.reset(token)
        logger.info("no source here", extra={"lag": 0.25})
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("with a traceback")
    finally:
        logger.removeHandler(handler)
    first, second, third = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["source"] == "Shafaq News (EN)" and first["level"] == "WARNING"
    assert first["logger"] == "monitor.test.json" and first["message"].endswith("HTTP 500")
    assert datetime.fromisoformat(first["time"]).tzinfo is not None
    assert "source" not in second and second["lag"] == 0.25
    assert "ValueError: boom" in third["exception"]


def test_first_polls_are_spread_over_the_interval() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    sources = [Source(name=f"s{i}", kind="rss", url=f"https://x{i}.example/", every=600)
               for i in range(500)]
    runs = sorted(first_runs(sources, start).values())
    assert runs[0] == start  # the first cycle starts at once
    assert runs[-1] - start <= timedelta(seconds=60)  # and is spread over at most a minute
    per_second: dict[int, int] = {}
    for moment in runs:
        second = int((moment - start).total_seconds())
        per_second[second] = per_second.get(second, 0) + 1
    assert max(per_second.values()) <= 10  # not 500 in the same second


def make_config(tmp_path: Path) -> Config:
    return Config(path=tmp_path / "config.yaml", database=tmp_path / "monitor.db",
                  fetch=FetchSettings(), watchlist=(), channels=(),
                  sources=(Source(name="A", kind="rss", url="https://a.example/", every=60),))


def test_health_is_503_when_the_scheduler_is_not_running(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    daemon = Daemon(config)
    with Store(config.database) as daemon.store:
        status.record_start(daemon.store, config)
        ok, body = daemon.health()
    assert not ok and body["scheduler"] == "stalled" and body["database"] == "writable"


def test_health_is_503_when_the_database_is_not_writable(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    config = make_config(tmp_path)
    daemon = Daemon(config)

    def read_only(*_args: object) -> None:
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr("monitor.daemon.record_heartbeat", read_only)
    monkeypatch.setattr(type(daemon.scheduler), "running", property(lambda self: True))
    with Store(config.database) as daemon.store:
        ok, body = daemon.health()
    assert not ok and body["scheduler"] == "running"
    assert body["database"] == "not writable: attempt to write a readonly database"


def test_status_server_answers_and_survives_garbage(tmp_path: Path) -> None:
    async def scenario() -> list[bytes]:
        server = status.StatusServer(lambda: (False, {"status": "unhealthy"}),
                                     lambda: b"monitor_up 1\n")
        await server.start("127.0.0.1", 0)
        assert server._server is not None
        port = server._server.sockets[0].getsockname()[1]
        answers = []
        for request in (b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
                        b"GET /metrics HTTP/1.0\r\n\r\n", b"POST /healthz HTTP/1.0\r\n\r\n",
                        b"\x00\x01garbage\r\n\r\n"):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(request)
            await writer.drain()
            answers.append(await reader.read())
            writer.close()
        await server.stop()
        return answers

    health, metrics, post, garbage = asyncio.run(scenario())
    assert health.startswith(b"HTTP/1.0 503") and b'{"status": "unhealthy"}' in health
    assert metrics.startswith(b"HTTP/1.0 200") and metrics.endswith(b"monitor_up 1\n")
    assert post.startswith(b"HTTP/1.0 405")
    assert garbage == b""


def test_empty_status_listen_means_off(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text('status: {listen: "${MONITOR_STATUS_LISTEN:-}"}\nsources: []\n')
    assert load_config(config, env={}).status.host_port is None
    on = load_config(config, env={"MONITOR_STATUS_LISTEN": "127.0.0.1:8321"})
    assert on.status.host_port == ("127.0.0.1", 8321)


def test_dockerfile_has_a_healthcheck_on_healthz() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "HEALTHCHECK" in text and "/healthz" in text
    assert "MONITOR_STATUS_LISTEN=127.0.0.1:8321" in text
    shipped = load_config(ROOT / "config.yaml", env={"MONITOR_STATUS_LISTEN": "127.0.0.1:8321"})
    assert shipped.status.host_port == ("127.0.0.1", 8321)
    assert load_config(ROOT / "config.yaml", env={}).status.host_port is None


def parse_unit(text: str) -> dict[str, dict[str, list[str]]]:
    """systemd's format: [Section], Key=Value, keys may repeat, # and ; start comments."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"setting outside a section: {line}"
        key, sep, value = line.partition("=")
        assert sep, f"not Key=Value: {line}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def test_systemd_unit_restarts_on_failure_and_is_hardened() -> None:
    unit = parse_unit((ROOT / "deploy" / "news-monitor.service").read_text())
    service = {k: v[-1] for k, v in unit["Service"].items()}
    assert set(unit) == {"Unit", "Service", "Install"}
    assert service["ExecStart"].endswith("monitor run")
    assert service["Restart"] == "on-failure"
    assert service["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert service["User"] not in ("root", "0")
    assert service["KillSignal"] == "SIGTERM" and service["KillMode"] == "mixed"
    assert float(service["TimeoutStopSec"].rstrip("s")) > 20  # more than the grace period
    for key, value in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"),
                       ("ProtectHome", "yes"), ("PrivateTmp", "yes"),
                       ("PrivateDevices", "yes"), ("RestrictSUIDSGID", "yes")):
        assert service[key] == value, key
    data = "/var/lib/news-monitor"
    assert data in service["ReadWritePaths"].split()
    env = dict(e.split("=", 1) for e in unit["Service"]["Environment"])
    assert env["MONITOR_DATABASE"].startswith(data + "/")
    assert env["MONITOR_STATUS_LISTEN"].startswith("127.0.0.1:")
    assert service["CapabilityBoundingSet"] == ""
    assert unit["Install"]["WantedBy"] == ["multi-user.target"]
