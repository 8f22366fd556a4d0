"""The outbox consumer: send pending deliveries, record each outcome.

Guarantee: at-least-once. A delivery is marked sent only after its channel accepted it;
the one window in which a crash can cause a repeat is between the channel's acceptance
and the commit of `mark_sent` (milliseconds). A delivery is never lost: it stays pending
until sent or until its retry budget is spent, then it is `failed` and visible.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx

from ..config import Channel
from ..errors import AlertError, PermanentAlertError
from ..models import Hit
from ..store import Store
from . import AlertMessage, send

log = logging.getLogger("monitor.alerts")


@dataclass
class DispatchReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def message_for(store: Store, article_id: int) -> AlertMessage:
    article = store.article(article_id)
    if article is None:  # foreign keys make this impossible; guard anyway
        raise PermanentAlertError(f"article {article_id} no longer exists")
    hits = tuple(Hit(entity=h["entity"], kind=h["kind"], matched_text=h["matched_text"],
                     start=h["start"], end=h["end"], snippet=h["snippet"], how=h["how"],
                     field=h["field"]) for h in store.hits_for(article_id))
    return AlertMessage(title=article["title"] or article["url"], url=article["url"],
                        source=article["source"], published=article["published"], hits=hits,
                        language=article["language"])


def notice_message(store: Store, notice: dict[str, Any]) -> AlertMessage:
    """An operator notice (source down, recovered, ...) rendered like an alert without hits."""
    rows = store.query("SELECT url FROM sources WHERE name = ?", [notice["source"]])
    return AlertMessage(title=notice["message"], url=rows[0]["url"] if rows else "",
                        source="news-monitor source health", published=notice["created"],
                        hits=())


@dataclass(frozen=True)
class _Outgoing:
    """One row of an outbox table and how to build its message."""

    table: str
    id: int
    build: Callable[[], AlertMessage]


async def dispatch_pending(store: Store, channels: tuple[Channel, ...]) -> DispatchReport:
    """Send every due delivery and notice. Channels run concurrently; each channel sends in
    order and stops at its first temporary error so that a channel in trouble is not
    hammered."""
    report = DispatchReport()
    by_name = {c.name: c for c in channels}
    queue: dict[str, list[_Outgoing]] = {}
    for notice in store.pending_notices(by_name):
        queue.setdefault(notice["channel"], []).append(_Outgoing(
            "notices", notice["id"], partial(notice_message, store, notice)))
    for delivery in store.pending_deliveries(by_name):
        queue.setdefault(delivery.channel, []).append(_Outgoing(
            "deliveries", delivery.id, partial(message_for, store, delivery.article_id)))
    if not queue:
        return report
    async with httpx.AsyncClient() as client:
        await asyncio.gather(*(_drain(store, by_name[name], items, client, report)
                               for name, items in queue.items()))
    return report


async def _drain(store: Store, channel: Channel, items: list[_Outgoing],
                 client: httpx.AsyncClient, report: DispatchReport) -> None:
    for item in items:
        try:
            await send(channel, item.build(), client)
        except AlertError as exc:
            permanent = isinstance(exc, PermanentAlertError)
            status = store.mark_failed_attempt(
                item.id, str(exc), permanent=permanent,
                retry_after=getattr(exc, "retry_after", None), table=item.table)
            report.errors.append(f"{channel.name}: {exc}")
            log.warning("%s %s via %s: %s (%s)", item.table, item.id, channel.name, exc, status)
            if status == "failed":
                report.failed += 1
            else:
                report.retrying += 1
            if not permanent:
                return
            continue
        store.mark_sent(item.id, table=item.table)
        report.sent += 1
