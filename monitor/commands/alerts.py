"""`monitor deliveries` (the alert outbox, and resending failures) and `monitor test-alert`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ..cli import (
    config_option,
    format_option,
    load_config,
    open_existing_store,
    render,
    reports_errors,
)
from ..clock import now_iso
from ..errors import AlertError, MonitorError
from ..models import Hit

if TYPE_CHECKING:
    from ..alerts import AlertMessage
    from ..config import Channel, Config

STATUSES = ("pending", "sent", "failed", "skipped")


@click.command("deliveries")
@config_option
@click.option("--status", type=click.Choice(STATUSES), default=None,
              help="Only deliveries with this status (default: all).")
@click.option("--retry", is_flag=True,
              help="Put every failed delivery back to pending with a fresh retry budget; "
                   "the next dispatch (daemon: within 30 s; or `monitor once`) sends them.")
@click.option("--channel", default=None, help="Only this channel (with --retry too).")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1))
@format_option
@reports_errors
def deliveries(config_path: str | None, status: str | None, retry: bool, channel: str | None,
               limit: int, fmt: str) -> None:
    """List the alert outbox (newest first), or requeue failed deliveries with --retry.

    \b
    Examples:
      monitor deliveries --status failed
      monitor deliveries --retry
      monitor deliveries --format json --limit 1000
    """
    config = load_config(config_path)
    with open_existing_store(config) as store:
        if retry:
            rows = store.requeue_failed(channel)
            click.echo(f"requeued {len(rows)} failed "
                       f"{'delivery' if len(rows) == 1 else 'deliveries'}")
            if rows:
                render(rows, fmt, ["id", "channel", "attempts", "last_error", "source",
                                   "title", "url"], title="Requeued (now pending)")
            return
        rows = store.deliveries(status, limit=limit if not channel else 1_000_000)
    if channel:
        rows = [r for r in rows if r["channel"] == channel][:limit]
    columns = ["id", "channel", "status", "attempts", "sent", "next_attempt", "last_error",
               "note", "title"]
    render(rows, fmt, columns + ([] if fmt == "table" else ["created", "source", "url",
                                                          "message_id"]),
           title=f"Deliveries ({status or 'all'})")


def sample_test_alert() -> AlertMessage:
    """A realistic, clearly marked test alert (rendered with a TEST banner everywhere)."""
    from ..alerts import AlertMessage
    from ..match.snippet import make_snippet

    sentence = ("Test: Qais al-Khazali warned of sedition in Maysan — this sentence shows "
                "how a match is highlighted.")
    return AlertMessage(
        title="news-monitor test alert: Khazali warns of sedition in Maysan",
        url="https://github.com/news-monitor/news-monitor#alerts", source="news-monitor",
        published=now_iso(), language="en", test=True,
        hits=(Hit("Qais al-Khazali", "actor", "Qais al-Khazali", 6, 21,
                  make_snippet(sentence, 6, 21)),
              Hit("Maysan", "place", "Maysan", 44, 50, make_snippet(sentence, 44, 50))))


async def _try(channel: Channel) -> str | None:
    """None when the channel accepted the test message, else the exact error."""
    from ..alerts import send

    try:
        await send(channel, sample_test_alert())
    except AlertError as exc:
        return str(exc)
    return None


def _selected(config: Config, name: str | None) -> tuple[list[Channel], list[str]]:
    """The channels to test and the 'disabled' lines to show."""
    channels = [c for c in config.channels if name is None or c.name == name]
    disabled = [line for line in config.disabled_channels
                if name is None or line.startswith(f"alert channel {name!r} ")]
    if name is not None and not channels and not disabled:
        known = ", ".join(c.name for c in config.channels) or "none enabled"
        raise MonitorError(f"no alert channel named {name!r} (channels: {known})")
    return channels, disabled


@click.command("test-alert")
@config_option
@click.option("--channel", "name", default=None, help="Only this channel (default: all).")
@reports_errors
def send_test_alert(config_path: str | None, name: str | None) -> None:
    """Send a clearly marked TEST message through each configured channel and report,
    per channel, success or the exact error (DNS, refused, auth failed, HTTP status with
    the server's answer). Exits 1 if any channel failed. Nothing is written to the database.

    \b
    Examples:
      monitor test-alert
      monitor test-alert --channel analysts-slack
    """
    from ..alerts import describe

    config = load_config(config_path)
    channels, disabled = _selected(config, name)
    import asyncio

    results = asyncio.run(_run_all(channels))
    failed = 0
    for channel, error in zip(channels, results, strict=True):
        if error is None:
            click.echo(f"{channel.name}: ok — test message accepted by {describe(channel)}")
        else:
            failed += 1
            click.echo(f"{channel.name}: FAILED — {error}")
    for line in disabled:
        click.echo(line.replace("alert channel ", "", 1).replace(" is disabled: ",
                                                                 ": disabled — ", 1))
    if failed:
        raise MonitorError(f"{failed} of {len(channels)} channel(s) failed")
    if not channels:  # nothing was tested: not a success
        raise MonitorError(
            f"channel {name!r} is disabled: no test message was sent" if name is not None else
            "every alert channel is disabled: no test message was sent (set the variables "
            "they name)" if disabled else
            "no alert channel is configured (add one under alerts:): no test message was sent")


async def _run_all(channels: list[Channel]) -> list[str | None]:
    import asyncio

    return list(await asyncio.gather(*(_try(c) for c in channels)))


COMMANDS = [deliveries, send_test_alert]
