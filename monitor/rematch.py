"""Backtest a watchlist: match stored articles again and compare with their stored hits.

A dry run only reads. Applying rewrites the hits of changed articles, a batch of articles per
transaction (so a long backtest does not hold the write lock for minutes, and an interrupted
one leaves every article either fully old or fully new). Alerts are queued only on request,
and only for articles that alert now and did not before. A hit found again unchanged whose
`via` was never recorded (stored before it was) gets the alias that finds it now, and that
match's `how` (so an old short-form hit no longer says "exact" beside a short form's via).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from .match import Matcher
from .models import ALERTING_KINDS, Hit
from .store import Store

BATCH = 500  # articles per transaction when applying

HitKey = tuple[str, str, str, int, int]  # entity, kind, field, start, end


@dataclass
class ArticleChange:
    article_id: int
    story_id: int | None
    removed: list[dict]  # stored hit rows no longer found
    added: list[Hit]  # hits found now and not stored
    alerted_before: bool
    alerts_now: bool


@dataclass
class RematchReport:
    articles: int = 0  # articles examined
    skipped: int = 0  # articles without a body (pruned by retention): left alone
    changes: list[ArticleChange] = field(default_factory=list)
    deliveries: int = 0  # alerts queued (with --alert)
    # (via, how, hit id) of stored hits found again unchanged that have no via (stored
    # before it was recorded): applying records the alias and how that find them now
    unrecorded_via: list[tuple[str, str, int]] = field(default_factory=list)

    def per_entity(self) -> list[dict]:
        """Per entity: hits and articles that would be added and removed."""
        added, removed = Counter(), Counter()
        added_articles: dict[tuple[str, str], set[int]] = {}
        removed_articles: dict[tuple[str, str], set[int]] = {}
        for change in self.changes:
            for h in change.added:
                added[(h.entity, h.kind)] += 1
                added_articles.setdefault((h.entity, h.kind), set()).add(change.article_id)
            for row in change.removed:
                key = (row["entity"], row["kind"])
                removed[key] += 1
                removed_articles.setdefault(key, set()).add(change.article_id)
        keys = sorted(set(added) | set(removed), key=lambda k: (-added[k] - removed[k], k))
        return [{"entity": e, "kind": k, "added_hits": added[(e, k)],
                 "added_articles": len(added_articles.get((e, k), ())),
                 "removed_hits": removed[(e, k)],
                 "removed_articles": len(removed_articles.get((e, k), ()))}
                for e, k in keys]

    @property
    def newly_alerting(self) -> list[ArticleChange]:
        return [c for c in self.changes if c.alerts_now and not c.alerted_before]


def _key_of_row(row: dict) -> HitKey:
    return (row["entity"], row["kind"], row["field"], row["start"], row["end"])


def _key_of_hit(h: Hit) -> HitKey:
    return (h.entity, h.kind, h.field, h.start, h.end)


def _compare(article: dict, stored: list[dict], found: list[Hit],
             unrecorded_via: list[tuple[str, str, int]]) -> ArticleChange | None:
    """What differs between an article's stored hits and those found now; also notes in
    `unrecorded_via` the stored hits found again that lack a via."""
    old = {_key_of_row(r): r for r in stored}
    new = {_key_of_hit(h): h for h in found}
    unrecorded_via.extend((new[k].via, new[k].how, r["id"]) for k, r in old.items()
                          if r.get("via") is None and k in new and new[k].via)
    removed = [r for k, r in old.items() if k not in new]
    added = [h for k, h in new.items() if k not in old]
    if not (removed or added):
        return None
    return ArticleChange(article["id"], article["story_id"], removed, added,
                         alerted_before=any(r["kind"] in ALERTING_KINDS for r in stored),
                         alerts_now=any(h.kind in ALERTING_KINDS for h in found))


def plan(store: Store, matcher: Matcher, since: str | None) -> RematchReport:
    """What matching the stored articles again would change. Reads only."""
    report = RematchReport()
    for article in store.articles_for_rematch(since):
        if not (article["body"] or "").strip():
            report.skipped += 1
            continue
        report.articles += 1
        found = matcher.match_article(article["title"], article["body"])
        change = _compare(article, store.hits_for(article["id"]), found,
                          report.unrecorded_via)
        if change is not None:
            report.changes.append(change)
    return report


def apply(store: Store, report: RematchReport, alert_channels: Iterable[str] = ()) -> None:
    """Write the planned hit changes; queue alerts on `alert_channels` for articles that
    newly alert (none when empty)."""
    channels = list(alert_channels)
    for start in range(0, len(report.changes), BATCH):
        with store.db.atomic():
            for change in report.changes[start:start + BATCH]:
                store.replace_hits(change.article_id, [r["id"] for r in change.removed],
                                   change.added)
                if channels and change.alerts_now and not change.alerted_before:
                    report.deliveries += store.queue_deliveries(
                        change.article_id, change.story_id, channels)
    for start in range(0, len(report.unrecorded_via), BATCH):
        with store.db.atomic():
            store.db.conn.executemany(
                "UPDATE hits SET via = ?, how = ? WHERE id = ? AND via IS NULL",
                report.unrecorded_via[start:start + BATCH])
