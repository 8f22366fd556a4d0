"""`monitor status`: one screen for an operator — is the daemon up, what is failing."""

from __future__ import annotations

import json
from typing import Any

import click

from ..cli import config_option, reports_errors
from ..reading import Reading, db_option, with_reading


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h {minutes}m"
    return f"{hours}h {minutes}m" if hours else f"{minutes}m {secs}s"


def _lines(data: dict[str, Any]) -> list[tuple[str, str]]:
    d, s, t, q = data["daemon"], data["sources"], data["today"], data["deliveries"]
    if d["running"]:
        daemon = f"running (pid {d['pid']}), up {_duration(d['uptime_seconds'])}"
    else:
        daemon = "not running" + (f" (stopped {d['stopped']})" if d["stopped"] else "")
    failing = ", ".join(s["failing"][:5]) + (" ..." if len(s["failing"]) > 5 else "")
    return [
        ("daemon", daemon),
        ("last poll", d["last_poll"] or "-"),
        ("heartbeat", d["heartbeat"] or "-"),
        ("sources", f"{s['enabled']} enabled: {s['healthy']} healthy, {len(s['failing'])} "
                    f"failing, {s['never_checked']} never checked; {s['disabled']} disabled"),
        ("failing", failing or "-"),
        ("today (UTC)", f"{t['articles']} articles, {t['hits']} hits"),
        ("deliveries", f"{q['pending']} pending, {q['failed']} failed"),
        ("database", data["database"]),
    ]


@click.command("status")
@config_option
@db_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="A summary for people, or JSON for scripts.")
@reports_errors
@with_reading
def status(reading: Reading, fmt: str) -> None:
    """One-screen summary: daemon uptime, source health, today's articles and hits, alerts.

    \b
    Example:
      monitor status
      monitor status --format json
      monitor status --db /data/monitor.db
    """
    from ..status import summary

    with reading.open() as store:
        data = summary(store, reading.config)
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="news-monitor status", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value", overflow="fold")
    for key, value in _lines(data):
        table.add_row(key, value)
    Console().print(table)


COMMANDS = [status]
