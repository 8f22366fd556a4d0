"""What each channel gets, and in which messages: routing filters, "one event, one alert",
digests and the per-minute throttle. Pure planning: nothing here sends or writes, so every
decision can be tested with plain data and an explicit `now`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from monitor.config import Routing
from monitor.models import Hit

from .message import AlertMessage, DigestMessage, Message, Report, StoryEntry, format_published

THROTTLE_WINDOW = timedelta(minutes=1)


# ---------------------------------------------------------------- routing filters


def relevant_hits(routing: Routing, source: str, hits: Iterable[dict[str, Any]]
                  ) -> list[dict[str, Any]]:
    """The hits of an article that this channel cares about (empty: none)."""
    if routing.sources and source.casefold() not in {s.casefold() for s in routing.sources}:
        return []
    wanted = {e.casefold() for e in routing.entities}
    return [h for h in hits if h["kind"] in routing.kinds
            and (not wanted or h["entity"].casefold() in wanted)]


def skip_reason(routing: Routing, source: str, hits: list[dict[str, Any]]) -> str | None:
    """Why this channel does not want the article, or None when it does."""
    if routing.sources and source.casefold() not in {s.casefold() for s in routing.sources}:
        return f"routing: source {source!r} is not in this channel's sources"
    relevant = relevant_hits(routing, source, hits)
    if not relevant:
        return "routing: no hit of this channel's entities/kinds"
    if len(relevant) < routing.min_hits:
        return f"routing: {len(relevant)} matching hit(s), min_hits is {routing.min_hits}"
    return None


# ---------------------------------------------------------------- digests


def digest_due(routing: Routing, last: datetime, now: datetime) -> bool:
    """Is a digest due at `now`, the previous one having covered up to `last`?

    `digest: 1h`: one period after the last. `digest_at: "08:00"`: once the latest 08:00 in
    the channel's time zone is after the last digest.
    """
    if routing.digest_every is not None:
        return now - last >= timedelta(seconds=routing.digest_every)
    if routing.digest_at is None:
        return False
    hour, minute = (int(part) for part in routing.digest_at.split(":"))
    local = now.astimezone(ZoneInfo(routing.timezone))
    slot = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if slot > local:
        slot -= timedelta(days=1)
    return slot.astimezone(UTC) > last


# ---------------------------------------------------------------- planning


@dataclass
class Outgoing:
    """One message to send and the outbox rows it settles when the channel accepts it."""

    kind: str  # alert | notice | digest | summary
    message: Message
    deliveries: dict[int, str] = field(default_factory=dict)  # delivery id -> note
    notices: list[int] = field(default_factory=list)
    entries: tuple[StoryEntry, ...] = ()  # how it is listed in a throttle summary
    last_digest: str | None = None  # a digest advances the digest clock when accepted

    def items(self) -> int:
        return len(self.deliveries) + len(self.notices)


@dataclass
class Row:
    """A pending delivery with its article and the hits this channel cares about."""

    id: int
    story: str  # story id, or a per-article key when the article has none
    report: Report
    hits: tuple[Hit, ...]  # all hits of the article (places are shown as context)
    entities: tuple[str, ...]  # entities this channel cares about, in order
    language: str | None = None


def make_row(row: dict[str, Any], hits: list[dict[str, Any]], relevant: list[dict[str, Any]]
             ) -> Row:
    story = f"s{row['story_id']}" if row.get("story_id") is not None else f"a{row['article_id']}"
    return Row(
        id=row["id"], story=story,
        report=Report(source=row["source"], title=row["title"] or row["url"], url=row["url"],
                      published=row["published"]),
        hits=tuple(as_hit(h) for h in hits),
        entities=tuple(dict.fromkeys(h["entity"] for h in relevant)),
        language=row.get("language"))


def as_hit(h: dict[str, Any]) -> Hit:
    return Hit(entity=h["entity"], kind=h["kind"], matched_text=h["matched_text"],
               start=h["start"], end=h["end"], snippet=h["snippet"], how=h["how"],
               field=h["field"], via=h.get("via") or "")


@dataclass
class _Story:
    """What a channel already knows about one story: its reports and entities."""

    reports: list[Report] = field(default_factory=list)
    entities: set[str] = field(default_factory=set)
    alert: Outgoing | None = None  # the alert about it planned in this round


def plan_immediate(rows: list[Row], history: dict[str, tuple[list[Report], set[str]]]
                   ) -> tuple[list[Outgoing], dict[int, Report]]:
    """One event, one alert: the first report of a story alerts; a later report of the same
    story rides along ("also reported by") unless it names a watched entity the channel was
    not yet told about, then it alerts and mentions the earlier reports.

    `history`: story -> (reports already delivered, their entities). Returns the alerts and
    the riders that found no alert of their story in this round (id -> report): those go
    with the channel's next message.
    """
    stories: dict[str, _Story] = {}
    alerts: list[Outgoing] = []
    riders: dict[int, Report] = {}
    for row in rows:
        reports, entities = history.get(row.story, ([], set()))
        story = stories.setdefault(row.story, _Story(list(reports), set(entities)))
        new = [e for e in row.entities if e not in story.entities]
        if not story.reports or new:
            message = AlertMessage(
                title=row.report.title, url=row.report.url, source=row.report.source,
                published=row.report.published, hits=row.hits, language=row.language,
                earlier=tuple(story.reports))
            note = (f"alert (new entity: {', '.join(new)})" if story.reports else "alert")
            outgoing = Outgoing("alert", message, {row.id: note},
                                entries=(StoryEntry(row.report, (), row.entities),))
            alerts.append(outgoing)
            story.alert = story.alert or outgoing
        elif story.alert is not None:
            attach(story.alert, {row.id: row.report})
        else:  # goes with the next message, which may be about another story: say which
            riders[row.id] = replace(row.report, story=story.reports[0].title)
        story.reports.append(row.report)
        story.entities.update(row.entities)
    return alerts, riders


def attach(outgoing: Outgoing, riders: dict[int, Report]) -> None:
    """Add later reports to a message as "also reported by"."""
    if not riders:
        return
    extra = tuple(riders.values())
    message = outgoing.message
    outgoing.message = replace(message, also=message.also + extra)
    if outgoing.kind == "alert" and outgoing.entries:  # the same story: list them with it
        first, *rest = outgoing.entries
        outgoing.entries = (replace(first, others=first.others + extra), *rest)
    for delivery_id in riders:
        outgoing.deliveries[delivery_id] = "also reported by"


def plan_digest(rows: list[Row], since: str, moment: datetime) -> Outgoing | None:
    """Everything since the last digest, grouped by story, then listed under each watched
    entity the story names."""
    if not rows:
        return None
    by_story: dict[str, list[Row]] = {}
    for row in rows:
        by_story.setdefault(row.story, []).append(row)
    entries: list[StoryEntry] = []
    for group in by_story.values():
        entities = tuple(dict.fromkeys(e for r in group for e in r.entities))
        entries.append(StoryEntry(group[0].report, tuple(r.report for r in group[1:]),
                                  entities))
    by_entity: dict[str, list[StoryEntry]] = {}
    for entry in entries:
        for entity in entry.entities:
            by_entity.setdefault(entity, []).append(entry)
    ordered = sorted(by_entity.items(), key=lambda kv: (-len(kv[1]), kv[0].casefold()))
    sections = tuple((f"{entity} ({len(stories)} {_plural(len(stories), 'story')})",
                      tuple(stories)) for entity, stories in ordered)
    title = (f"Digest: {len(entries)} {_plural(len(entries), 'story')}, "
             f"{len(rows)} {_plural(len(rows), 'report')} since {format_published(since)}")
    notes = {r.id: "digest" for r in rows}
    return Outgoing("digest", DigestMessage(title, "digest", sections), notes,
                    entries=tuple(entries), last_digest=_iso(moment))


def _plural(n: int, word: str) -> str:
    if n == 1:
        return word
    return word[:-1] + "ies" if word.endswith("y") else word + "s"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def throttle(outgoing: list[Outgoing], allowed: int, limit: int) -> list[Outgoing]:
    """At most `allowed` messages: when there are more, the first `allowed - 1` go out as
    they are and the rest are merged into ONE summary message (never dropped). With no
    room left this minute nothing is sent; it all stays pending for the next round."""
    if len(outgoing) <= allowed:
        return outgoing
    if allowed <= 0:
        return []
    keep, rest = outgoing[:allowed - 1], outgoing[allowed - 1:]
    entries = tuple(e for o in rest for e in o.entries)
    # Riders on an alert are in its entry already; riders on a notice/digest are not.
    also = tuple(r for o in rest if o.kind != "alert" for r in o.message.also)
    title = (f"{len(entries)} more {_plural(len(entries), 'alert')} "
             f"(this channel's limit is {limit} messages a minute)")
    summary = Outgoing("summary", DigestMessage(title, "summary", (("", entries),), also),
                       last_digest=next((o.last_digest for o in rest if o.last_digest), None))
    for o in rest:
        summary.deliveries.update({i: f"in throttle summary ({note})"
                                   for i, note in o.deliveries.items()})
        summary.notices += o.notices
    return [*keep, summary]
