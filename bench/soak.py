"""Soak benchmark: `monitor run` (a real subprocess) against 500 local feeds polled every 10 s
for 10 minutes, with new entries appearing and 5% of the feeds failing in rotation.

    python bench/soak.py [--minutes 10] [--sources 500] [--every 10] [--warmup 60]
                         [--new-every 60]

The feed server runs in its own process (asyncio, one listener per loopback host
127.0.0.1-20). Each feed gains an entry every `--new-every` seconds (staggered across
feeds; 60 s makes 500 articles a minute, some 70 times what 500 real outlets publish),
answers 304 to a matching If-None-Match, and 1 feed in 20 answers 503 at any time —
which ones rotates every 30 s. The daemon logs JSON at debug level; its "poll started
... after its planned time" lines give the schedule lag (actual start minus planned
start, jitter included in the plan). Printed as it runs, every minute: the database's
size and, for the daemon and each of its child processes (the parser workers, and
multiprocessing's resource tracker), RSS, open descriptors and threads. At the end:
cycles completed, polls by outcome, schedule lag p50/p99, RSS and open file descriptors at
the end of the warm-up and at the end (RSS must not grow more than 10% after warm-up), the
RSS slope (MB/min) of each process after warm-up and over the second half, shutdown time
and exit code, and the database size.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.feedserver import NAMES, item, response, rss, serve_hosts  # noqa: E402

ROTATE_EVERY = 30.0  # seconds before a different 5% of feeds fails
FAILING_ONE_IN = 20  # 5%
WINDOW = 10  # entries a feed shows


def feed_version(feed: int, elapsed: float, new_every: float) -> int:
    """How many entries the feed has gained; staggered so that not all change at once."""
    return int((elapsed + feed % new_every) / new_every)


def failing(feed: int, elapsed: float, one_in: int = FAILING_ONE_IN) -> bool:
    return one_in > 0 and (feed + int(elapsed / ROTATE_EVERY)) % one_in == 0


def feed_body(host: int, feed: int, version: int, started: float, new_every: float) -> bytes:
    # Newest first, a sliding window of WINDOW entries, each dated when it appeared (a fixed
    # date kept every article in the story index's window for good: it never slid).
    def published(entry: int) -> str:
        appeared = started + (entry - WINDOW + 1) * new_every - feed % new_every
        return format_datetime(datetime.fromtimestamp(appeared, UTC))

    return rss(feed, [item(host, feed, e, published(e))
                      for e in range(version + WINDOW - 1, version - 1, -1)])


def serve(hosts: int, started: float, new_every: float, ports: mp.Queue,
          failing_one_in: int = FAILING_ONE_IN) -> None:
    cache: dict[tuple[int, int], bytes] = {}

    def answer(path: str, head: bytes) -> bytes:
        feed = int(path.rsplit("/", 1)[1].split(".")[0])
        elapsed = time.time() - started
        if failing(feed, elapsed, failing_one_in):
            return b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 9\r\n\r\ntry later"
        version = feed_version(feed, elapsed, new_every)
        etag = f'"{feed}-{version}"'.encode()
        if b"if-none-match: " + etag in head.lower():
            return response("304 Not Modified", etag=etag)
        body = cache.get((feed, version))
        if body is None:
            body = cache[(feed, version)] = feed_body(feed % hosts, feed, version, started,
                                                      new_every)
            cache.pop((feed, version - 2), None)
        return response("200 OK", body, etag)

    serve_hosts(hosts, answer, ports)


def write_config(directory: Path, args: argparse.Namespace, ports: list[int],
                 status_port: int) -> Path:
    lines = [
        "database: soak.db", "log_format: json", f"status: {{listen: '127.0.0.1:{status_port}'}}",
        "fetch: {allow_private_addresses: true, delay: 0s, retries: 0, concurrency: 32, "
        "per_host: 8, timeout: 10s, backoff_cap: 60s}",
        f"stories: {{window: {args.story_window}}}",
        "sources:"]
    for f in range(args.sources):
        host = f % args.hosts
        lines.append(f"  - {{name: feed-{f}, kind: rss, every: {args.every}s, "
                     f"fetch_articles: false, robots: false, "
                     f"url: 'http://127.0.0.{host + 1}:{ports[host]}/feeds/{f}.xml'}}")
    lines += ["watchlists:", "  actors:"] + [f"    - name: {n}" for n in NAMES[:3]]
    lines += ["  places:"] + [f"    - name: {n}" for n in ("Maysan", "Basra", "Erbil")]
    path = directory / "config.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def rss_mb(pid: int) -> float:
    return float(_status(pid).get("VmRSS", 0)) / 1024


def _status(pid: int) -> dict[str, int]:
    """The numeric fields of /proc/PID/status (kB for sizes)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if value.split() and value.split()[0].isdigit():
            fields[name] = int(value.split()[0])
    return fields


_TICKS = os.sysconf("SC_CLK_TCK")


def process(pid: int) -> dict[str, float]:
    """One process's RSS (MB), open descriptors, threads and CPU seconds so far."""
    status = _status(pid)
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime
    return {"rss": status.get("VmRSS", 0) / 1024, "fds": len(os.listdir(f"/proc/{pid}/fd")),
            "threads": status.get("Threads", 0), "cpu": cpu}


def sample(pid: int, database: Path | None = None) -> dict[str, Any]:
    """RSS of the daemon and of it with its parser workers; its open file descriptors; each
    process's own figures (daemon first, then each child by pid); the database's size."""
    main = process(pid)
    each = {"daemon": main}
    for child in sorted(children(pid)):
        try:
            tracker = b"resource_tracker" in Path(f"/proc/{child}/cmdline").read_bytes()
            each[f"{'tracker' if tracker else 'worker'} {child}"] = process(child)
        except OSError:  # gone between listing and reading
            continue
    workers = sum(p["rss"] for name, p in each.items() if name != "daemon")
    db_mb = sum(p.stat().st_size for p in database.parent.glob(database.name + "*")) / 1e6 \
        if database is not None else 0.0
    return {"rss": main["rss"], "rss_all": main["rss"] + workers, "fds": main["fds"],
            "each": each, "db": db_mb}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def metrics(port: int) -> dict[str, float]:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 \
        else values[0]


def read_log(path: Path) -> list[dict[str, object]]:
    records = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            records.append({"level": "RAW", "message": line})
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--story-window", default="72h", help="stories.window of the daemon: "
                        "its story index holds this window's articles (~1 KB each), so the "
                        "daemon's memory levels off only once the window slides; a short one "
                        "(10m) shows that within a run")
    parser.add_argument("--sources", type=int, default=500)
    parser.add_argument("--every", type=float, default=10)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--warmup", type=float, default=60, help="seconds before the "
                        "'start' RSS/fd sample")
    parser.add_argument("--new-every", type=float, default=60, help="seconds between new "
                        "entries in one feed")
    parser.add_argument("--failing-one-in", type=int, default=FAILING_ONE_IN,
                        help="1 feed in N answers 503 at any time (rotating); 0: none fail")
    args = parser.parse_args()

    ports: mp.Queue = mp.Queue()
    server = mp.Process(target=serve, args=(args.hosts, time.time(), args.new_every, ports,
                                            args.failing_one_in),
                        daemon=True)
    server.start()
    host_ports = ports.get(timeout=60)
    status_port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        config = write_config(directory, args, host_ports, status_port)
        log_path = directory / "daemon.log"
        with log_path.open("w") as log:
            launched = time.time()
            daemon = subprocess.Popen(
                [sys.executable, "-m", "monitor", "run", "-c", str(config), "--log-level",
                 "debug"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)
            started = time.monotonic()
            samples: list[tuple[float, dict[str, float]]] = []
            while time.monotonic() - started < args.minutes * 60:
                if daemon.poll() is not None:
                    raise SystemExit(f"the daemon exited ({daemon.returncode}); see {log_path}")
                time.sleep(5)
                samples.append((time.monotonic() - started,
                                sample(daemon.pid, directory / "soak.db")))
                if len(samples) % 12 == 0:  # every minute, as it goes
                    print_minute(*samples[-1], samples[-13] if len(samples) > 12 else None)
            final = metrics(status_port)
            samples.append((time.monotonic() - started, sample(daemon.pid, directory / "soak.db")))
            stop = time.monotonic()
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(timeout=60)
            stop_seconds = time.monotonic() - stop
        report(args, samples, final, read_log(log_path), code, stop_seconds, directory,
               launched)
    server.terminate()


def print_minute(elapsed: float, figures: dict[str, Any],
                 before: tuple[float, dict[str, Any]] | None = None) -> None:
    """`min 3.0  db 12.0 MB  daemon: 88.1 MB 41 fd 6 thr 23% CPU | worker 1234: ...`: CPU as
    a share of one core over the minute since `before` (a sample a minute earlier)."""
    def cpu(name: str, p: dict[str, float]) -> str:
        if before is None or name not in before[1]["each"]:
            return ""
        share = (p["cpu"] - before[1]["each"][name]["cpu"]) / (elapsed - before[0])
        return f" {share:4.0%} CPU"

    parts = [f"{name}: {p['rss']:.1f} MB {p['fds']:.0f} fd {p['threads']:.0f} thr"
             f"{cpu(name, p)}" for name, p in figures["each"].items()]
    print(f"min {elapsed / 60:4.1f}  db {figures['db']:6.1f} MB  " + " | ".join(parts),
          flush=True)


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) points, in MB per minute."""
    if len(points) < 2:
        return float("nan")
    xs, ys = [t / 60 for t, _ in points], [v for _, v in points]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def print_slopes(samples: list[tuple[float, dict[str, Any]]], warmup: float) -> None:
    """RSS slope after warm-up for the daemon and each worker, over the whole run and over
    its second half (a leak keeps its slope; a cache filling up flattens)."""
    after = [(t, s) for t, s in samples if t >= warmup]
    half = [(t, s) for t, s in after if t >= (after[0][0] + after[-1][0]) / 2] if after else []
    names = list(samples[-1][1]["each"])
    for name in names:
        whole = [(t, s["each"][name]["rss"]) for t, s in after if name in s["each"]]
        late = [(t, s["each"][name]["rss"]) for t, s in half if name in s["each"]]
        print(f"RSS slope {name}: {slope(whole):+.3f} MB/min after warm-up, "
              f"{slope(late):+.3f} MB/min over the second half")
    db = [(t, s["db"]) for t, s in after]
    print(f"database growth: {slope(db):+.2f} MB/min")


def failing_share(args: argparse.Namespace) -> str:
    return f"{1 / args.failing_one_in:.0%}" if args.failing_one_in > 0 else "none"


def report(args: argparse.Namespace, samples: list[tuple[float, dict[str, Any]]],
           final: dict[str, float], records: list[dict[str, object]], code: int,
           stop_seconds: float, directory: Path, launched: float) -> None:
    warm = next((s for t, s in samples if t >= args.warmup), samples[-1][1])
    first, end = samples[0][1], samples[-1][1]
    start_time = min((str(r["time"]) for r in records if "time" in r), default="")
    lags = [float(r["lag"]) for r in records if r.get("logger") == "monitor.daemon.schedule"
            and "lag" in r]
    warm_from = _after(start_time, args.warmup)
    warm_lags = [float(r["lag"]) for r in records if r.get("logger") == "monitor.daemon.schedule"
                 and "lag" in r and str(r.get("time", "")) >= warm_from]
    levels: dict[str, int] = {}
    for r in records:
        levels[str(r.get("level"))] = levels.get(str(r.get("level")), 0) + 1
    def count(words: str, since: str = "") -> int:
        return sum(words in str(r.get("message")) and str(r.get("time", "")) >= since
                   for r in records)

    skipped, missed = count("maximum number of running instances"), count("was missed by")
    skipped_warm = count("maximum number of running instances", warm_from)
    missed_warm = count("was missed by", warm_from)
    unexpected = count("unexpected error")
    db_mb = sum(p.stat().st_size for p in directory.glob("soak.db*")) / 1e6
    polls = {k.split('"')[1]: int(v) for k, v in final.items()
             if k.startswith("monitor_fetches_total{")}
    minutes = samples[-1][0] / 60
    expected = args.sources * minutes * 60 / args.every
    growth = end["rss"] / warm["rss"] - 1
    growth_all = end["rss_all"] / warm["rss_all"] - 1
    print(f"soak: {args.sources} sources every {args.every:g} s for {minutes:.1f} min "
          f"({args.hosts} hosts, {failing_share(args)} failing in rotation, a new entry per "
          f"feed every {args.new_every:g} s)")
    running = next((r for r in records if str(r.get("message", "")).startswith(
        "monitor running:")), None)
    if running is not None:  # every source's first poll is scheduled by then
        up = datetime.fromisoformat(str(running["time"])).timestamp() - launched
        print(f"start-up (process start to every source's first poll scheduled): {up:.1f} s")
    busy = [(t, s) for t, s in samples if t >= args.warmup]
    if len(busy) > 1:
        (t0, s0), (t1, s1) = busy[0], busy[-1]
        shares = ", ".join(f"{name} {(p['cpu'] - s0['each'][name]['cpu']) / (t1 - t0):.0%}"
                           for name, p in s1["each"].items() if name in s0["each"])
        print(f"CPU after warm-up, share of one core: {shares}")
    print(f"cycles completed: {int(final.get('monitor_cycles_total', 0))}; polls "
          f"{sum(polls.values())} (of ~{expected:.0f} planned; failing sources back off): "
          f"{polls}")
    print(f"articles stored: {int(final.get('monitor_articles_total', 0))}, hits "
          f"{int(final.get('monitor_hits_total', 0))}")
    print(f"schedule lag (actual - planned start), {len(lags)} polls: p50 "
          f"{percentile(lags, 50) * 1000:.0f} ms, p99 {percentile(lags, 99) * 1000:.0f} ms, max "
          f"{max(lags, default=float('nan')) * 1000:.0f} ms; after warm-up: p50 "
          f"{percentile(warm_lags, 50) * 1000:.0f} ms, "
          f"p99 {percentile(warm_lags, 99) * 1000:.0f} ms")
    print(f"RSS daemon: first sample {first['rss']:.0f} MB, after warm-up ({args.warmup:.0f} s) "
          f"{warm['rss']:.0f} MB, end {end['rss']:.0f} MB ({growth:+.1%}); with parser workers "
          f"{warm['rss_all']:.0f} -> {end['rss_all']:.0f} MB ({growth_all:+.1%}) — target "
          f"< +10%: {'met' if growth < 0.10 and growth_all < 0.10 else 'MISSED'}")
    timeline = ", ".join(f"{t / 60:.0f}m {s['rss']:.0f}" for t, s in samples
                         if int(t) % 60 < 5 or s is end)
    print(f"RSS timeline (daemon, MB): {timeline}")
    print_slopes(samples, args.warmup)
    print(f"open file descriptors: first {first['fds']:.0f}, after warm-up {warm['fds']:.0f}, "
          f"end {end['fds']:.0f}")
    print(f"database: {db_mb:.1f} MB (soak.db + WAL)")
    print(f"log lines by level: {levels}; 'skipped: max instances' {skipped}, 'missed' "
          f"{missed}, unexpected errors {unexpected}; after warm-up: skipped {skipped_warm}, "
          f"missed {missed_warm}")
    print(f"SIGTERM -> exit {code} in {stop_seconds:.1f} s")


def _after(stamp: str, seconds: float) -> str:
    from datetime import datetime, timedelta

    if not stamp:
        return ""
    moment = datetime.fromisoformat(stamp) + timedelta(seconds=seconds)
    return moment.isoformat(timespec="milliseconds")


if __name__ == "__main__":
    main()
