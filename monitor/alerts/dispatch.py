"""The outbox consumer: plan each channel's messages, send them, record each outcome.

Called by `Pipeline.dispatch()` after every `monitor once` cycle and every 30 s by the
daemon; digests are sent from here too, when one is due, so no other scheduler is needed.

Guarantee: at-least-once. The rows a message carries are marked sent, in one transaction,
only after the channel accepted the message; the one window in which a crash can cause a
repeat is between the channel's acceptance and that commit (milliseconds). Nothing is
lost: a row stays pending until sent, skipped by the channel's routing (kept, with the
reason) or out of retry budget (`failed`, visible, and `monitor deliveries --retry`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime

import httpx

from ..clock import iso
from ..clock import now as clock_now
from ..config import Channel, EmailChannel
from ..errors import AlertError, PermanentAlertError
from ..store import Store
from . import send
from .message import AlertMessage, Report, StoryEntry, with_people
from .routing import (
    THROTTLE_WINDOW,
    Outgoing,
    Row,
    attach,
    digest_due,
    make_row,
    plan_digest,
    plan_immediate,
    relevant_hits,
    skip_reason,
    throttle,
)
from .timeline import daily_actor_counts

log = logging.getLogger("monitor.alerts")


@dataclass
class DispatchReport:
    sent: int = 0  # outbox rows (deliveries and notices) settled by an accepted message
    retrying: int = 0
    failed: int = 0
    skipped: int = 0  # deliveries the channel's routing does not want
    messages: int = 0  # messages the channels accepted
    errors: list[str] = field(default_factory=list)


async def dispatch_pending(store: Store, channels: tuple[Channel, ...],
                           now: datetime | None = None,
                           people: frozenset[str] = frozenset()) -> DispatchReport:
    """Plan and send every channel's due messages. Channels run concurrently; each sends in
    order and stops at its first temporary error so that a channel in trouble is not
    hammered. `now` exists for tests (digest schedules, the throttle window). `people`:
    the watched actors that are people (`Config.people()`), listed first in alerts."""
    moment = now or clock_now()
    report = DispatchReport()
    plans = {c.name: plan_channel(store, c, moment, report) for c in channels}
    if not any(plans.values()):
        return report
    for items in plans.values():
        for item in items:
            item.message = with_people(item.message, people)
    by_name = {c.name: c for c in channels}
    async with httpx.AsyncClient() as client:
        await asyncio.gather(*(_drain(store, by_name[name], items, client, report)
                               for name, items in plans.items() if items))
    return report


def plan_channel(store: Store, channel: Channel, moment: datetime,
                 report: DispatchReport | None = None) -> list[Outgoing]:
    """The messages `channel` should send now, in order, throttle applied."""
    routing = channel.routing
    notices = [_notice(store, n) for n in store.pending_notices([channel.name])]
    rows = _routed_rows(store, channel, moment, report)
    riders: dict[int, Report] = {}
    if routing.mode == "digest":
        since = store.last_digest(channel.name, iso(moment))
        due = digest_due(routing, datetime.fromisoformat(since), moment)
        digest = plan_digest(rows, since, moment) if due else None
        if digest is not None and isinstance(channel, EmailChannel):  # a chart by email
            digest.message = replace(digest.message,
                                     timeline=daily_actor_counts(store, moment))
        if due and digest is None:  # nothing to report: the period still ends here
            store.set_last_digest(channel.name, iso(moment))
        messages = [*notices, *([digest] if digest else [])]
    else:
        alerts, riders = plan_immediate(rows, _history(store, channel, rows))
        messages = [*notices, *alerts]
    if riders and messages:  # later reports of stories already alerted: the next message
        attach(messages[0], riders)
    used = store.messages_since(channel.name, iso(moment - THROTTLE_WINDOW))
    return throttle(messages, routing.max_per_minute - used, routing.max_per_minute)


def _routed_rows(store: Store, channel: Channel, moment: datetime,
                 report: DispatchReport | None) -> list[Row]:
    """Due deliveries this channel wants; the others are marked skipped with the reason."""
    due = store.due_deliveries(channel.name, iso(moment))
    hits = store.hits_by_article(r["article_id"] for r in due)
    rows: list[Row] = []
    skipped: dict[int, str] = {}
    for row in due:
        article_hits = hits.get(row["article_id"], [])
        reason = skip_reason(channel.routing, row["source"], article_hits)
        if reason:
            skipped[row["id"]] = reason
            continue
        relevant = relevant_hits(channel.routing, row["source"], article_hits)
        rows.append(make_row(row, article_hits, relevant))
    if skipped:
        store.mark_skipped(skipped)
        if report is not None:
            report.skipped += len(skipped)
    return rows


def _history(store: Store, channel: Channel, rows: list[Row]
             ) -> dict[str, tuple[list[Report], set[str]]]:
    """For each story of `rows`: what this channel already delivered about it."""
    story_ids = [int(r.story[1:]) for r in rows if r.story.startswith("s")]
    sent = store.sent_in_stories(channel.name, story_ids)
    hits = store.hits_by_article(r["article_id"] for r in sent)
    history: dict[str, tuple[list[Report], set[str]]] = {}
    for row in sent:
        reports, entities = history.setdefault(f"s{row['story_id']}", ([], set()))
        reports.append(Report(source=row["source"], title=row["title"] or row["url"],
                              url=row["url"], published=row["published"]))
        relevant = relevant_hits(channel.routing, row["source"], hits[row["article_id"]])
        entities.update(h["entity"] for h in relevant)
    return history


def _notice(store: Store, notice: dict[str, object]) -> Outgoing:
    """An operator notice (source down, recovered, ...) rendered like an alert without hits."""
    rows = store.query("SELECT url FROM sources WHERE name = ?", [notice["source"]])
    report = Report(source="news-monitor source health", title=str(notice["message"]),
                    url=str(rows[0]["url"]) if rows else "", published=str(notice["created"]))
    message = AlertMessage(title=report.title, url=report.url, source=report.source,
                           published=report.published, hits=(), kind="notice")
    return Outgoing("notice", message, notices=[int(str(notice["id"]))],
                    entries=(StoryEntry(report),))


async def _drain(store: Store, channel: Channel, items: list[Outgoing],
                 client: httpx.AsyncClient, report: DispatchReport) -> None:
    for item in items:
        try:
            await send(channel, item.message, client)
        except AlertError as exc:
            if _record_failure(store, channel, item, exc, report):
                return  # temporary: leave the rest for the next round
            continue
        # The commit right after acceptance: the only at-least-once window.
        store.mark_carried(channel.name, item.kind, item.deliveries, item.notices,
                           last_digest=item.last_digest)
        report.sent += item.items()
        report.messages += 1


def _record_failure(store: Store, channel: Channel, item: Outgoing, exc: AlertError,
                    report: DispatchReport) -> bool:
    """Count one failed attempt on every row the message carried; True when temporary."""
    permanent = isinstance(exc, PermanentAlertError)
    retry_after = getattr(exc, "retry_after", None)
    statuses = [store.mark_failed_attempt(i, str(exc), permanent=permanent,
                                          retry_after=retry_after)
                for i in item.deliveries]
    statuses += [store.mark_failed_attempt(i, str(exc), permanent=permanent,
                                           retry_after=retry_after, table="notices")
                 for i in item.notices]
    report.errors.append(f"{channel.name}: {exc}")
    log.warning("%s message (%d items) via %s: %s", item.kind, item.items(), channel.name, exc)
    report.failed += statuses.count("failed")
    report.retrying += statuses.count("pending")
    return not permanent
