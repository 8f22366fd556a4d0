"""One pass over the sources: fetch -> discover -> fetch articles -> extract -> match -> store,
then send what the outbox holds. Each stage is a function with plain inputs and outputs; the
CPU-bound ones (discover, extract, match: monitor.prepare) run in worker processes, so this
process only fetches and stores."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from collections.abc import Callable
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TypeVar

from .alerts.dispatch import DispatchReport, dispatch_pending
from .clock import iso, now, now_iso
from .config import Config, Source
from .errors import BlockedError, ExtractError, FetchError
from .extract.discover import discover_entries
from .extract.sitemap import parse_sitemap
from .fetch import Fetcher, Response
from .fetch.domains import allowed_domains, is_followable
from .fetch.retry import article_gone, backoff_delay
from .health import assess
from .match import Matcher
from .models import FeedEntry
from .prepare import (
    GiveUp,
    Prepared,
    Skipped,
    bounded,
    prepare_entries,
    prepare_page,
    worker_pool,
)
from .store import Poll, SourceState, Store
from .store.group import GroupCommit
from .wording import counted

T = TypeVar("T")

log = logging.getLogger("monitor.pipeline")

# Polls past their fetch (parsed, matched or written) at once. Without a bound, when the
# writer is the bottleneck (a first cycle over thousands of feeds), every fetched feed's
# entries and articles would wait in memory at once. Twice a group commit's 500 articles
# (10 feeds of 50), so that while the writer stores one group the workers still have the
# next one to parse.
MAX_POLLS_PROCESSING = 32
# Polls from the start of their fetch to the end of their processing: without it, when
# processing is the bottleneck, fetching runs ahead and every fetched body waits in memory
# for a processing slot (2,000 feeds: ~45 MB). Generous, as a poll waiting for its host's
# politeness slot holds one too.
MAX_POLLS_IN_FLIGHT = 64

# An article page that keeps failing is tried on this many polls, then left in
# `article_failures` (visible) and not fetched again.
MAX_ARTICLE_ATTEMPTS = 5
PARSER_DIED = ("the parser process ended while extracting this page (killed, or over its "
               "CPU limit in code that could not be interrupted)")


@dataclass
class SourceReport:
    name: str
    error: str | None = None
    entries: int = 0
    new_articles: int = 0
    hits: int = 0
    not_modified: bool = False  # 304, or a body identical to the last one
    off_domain: int = 0  # links not followed: outside the source's domains
    problem: str | None = None  # a non-fatal issue, e.g. a malformed feed that still parsed
    failed_articles: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # not articles: (url, reason)
    # Seconds spent on a source that failed by timeout or a broken connection, retries
    # included: "timeout after 20 s" alone hides that the cycle waited 25 s for it.
    waited: float | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def summary(self) -> str:
        if self.error:
            waited = f" (waited {self.waited:.0f} s in all)" if self.waited else ""
            return f"{self.name}: FAILED: {self.error}{waited}"
        if self.not_modified:
            # The listing is unchanged; only pages that failed before were tried again.
            text = f"{self.name}: not modified"
            retried = [counted(self.new_articles, "new article")] if self.new_articles else []
            if self.hits:
                retried.append(counted(self.hits, "hit"))
            if self.failed_articles:
                retried.append(f"{counted(len(self.failed_articles), 'article')} failed")
            if self.skipped:
                retried.append(f"{counted(len(self.skipped), 'page')} skipped (not articles)")
            return text + (f"; retried pages: {', '.join(retried)}" if retried else "")
        text = (f"{self.name}: {counted(self.entries, 'entry', 'entries')}, "
                f"{counted(self.new_articles, 'new article')}, {counted(self.hits, 'hit')}")
        if self.failed_articles:
            text += f", {counted(len(self.failed_articles), 'article')} failed"
        if self.skipped:
            text += f", {counted(len(self.skipped), 'page')} skipped (not articles)"
        if self.off_domain:
            text += f", {counted(self.off_domain, 'off-domain link')} skipped"
        if self.problem:
            text += f" (warning: {self.problem})"
        return text


@dataclass
class CycleReport:
    sources: list[SourceReport]
    alerts: DispatchReport

    @property
    def failed_sources(self) -> list[SourceReport]:
        return [s for s in self.sources if not s.ok]


def _discover_args(source: Source, response: Response) -> tuple[object, ...]:
    return (source.kind, response.body, response.url, response.content_type, source.links,
            source.link_pattern)


# A sitemap index may list hundreds of sitemaps; only the newest few are read per poll.
MAX_CHILD_SITEMAPS = 3


async def discover_sitemap(fetcher: Fetcher, source: Source, response: Response
                           ) -> tuple[list[FeedEntry], str | None]:
    """Recent entries of a sitemap, following an index to its newest child sitemaps."""
    moment = now()
    page = parse_sitemap(response.body, response.url, max_age=source.max_age, now=moment)
    entries, problems = list(page.entries), []
    for child_url in page.children[:MAX_CHILD_SITEMAPS]:
        try:
            child = await fetcher.get(child_url)
            entries += parse_sitemap(child.body, child.url, max_age=source.max_age,
                                     now=moment).entries
        except (FetchError, ExtractError) as exc:
            problems.append(f"child sitemap {child_url}: {exc}")
    if source.link_pattern:
        entries = [e for e in entries if re.search(source.link_pattern, e.url)]
    return entries, "; ".join(problems) or None


class Pipeline:
    """Runs cycles for one configuration against one store."""

    def __init__(self, config: Config, store: Store, fetcher: Fetcher,
                 matcher: Matcher | None = None, parsers: Executor | None = None):
        self.config = config
        self.store = store
        store.story_window = config.stories.window  # articles further apart: never one story
        self.fetcher = fetcher
        # Parsing, extraction and matching are CPU-bound: a `worker_pool` for this
        # config's watchlist puts the other cores to work while this process fetches and
        # stores. None: all inline.
        self.parsers = parsers
        # Called with a pool found broken (a worker ended: killed, or over its hard CPU
        # limit) by whoever owns the pools, to put a new one in `parsers`.
        self.renew_parsers: Callable[[Executor], None] | None = None
        # Built even with a pool, as it is what validates the watchlist (a clear error here,
        # not a broken pool); kept only to run inline, since the workers build their own.
        built = matcher or Matcher(config.watchlist, config.rules,
                                   cross_script=config.matching.cross_script)
        self.matcher = built if parsers is None else None
        store.sync_watchlist(config.watchlist)  # for SQL: aliases, place coordinates
        self.channel_names = [c.name for c in config.channels]
        self.writer = GroupCommit(store, self.channel_names)
        self._processing = asyncio.Semaphore(MAX_POLLS_PROCESSING)
        self._in_flight = asyncio.Semaphore(MAX_POLLS_IN_FLIGHT)

    async def run_cycle(self, sources: list[Source] | None = None,
                        on_source: Callable[[SourceReport], None] | None = None
                        ) -> CycleReport:
        """Poll `sources` (default: every enabled one) at once, then send alerts;
        `on_source` hears of each source as it finishes (`monitor once` prints it)."""
        chosen = [s for s in (sources or self.config.sources) if s.enabled]

        async def polled(source: Source) -> SourceReport:
            report = await self.run_source(source)
            if on_source is not None:
                on_source(report)
            return report

        reports = await asyncio.gather(*(polled(s) for s in chosen))
        alerts = await self.dispatch()
        return CycleReport(sources=list(reports), alerts=alerts)

    def due(self, source: Source) -> bool:
        """False while a failing source is backing off (its next_poll is in the future)."""
        next_poll = self.store.source_state(source.name).next_poll
        return next_poll is None or next_poll <= now_iso()

    async def dispatch(self, gather: bool = False) -> DispatchReport:
        """Send what is due. `gather`: hold new stories' first alerts for each channel's
        `gather` time (the daemon); `monitor once` sends everything it stored now."""
        return await dispatch_pending(self.store, self.config.channels,
                                      people=self.config.people(), gather=gather)

    async def run_source(self, source: Source) -> SourceReport:
        """Poll one source: fetch, discover, ingest new articles, record health."""
        report = SourceReport(source.name)
        state = self.store.source_state(source.name)
        poll = Poll()
        retry_after = None
        started = time.monotonic()
        try:
            poll = await self._poll(source, state, report)
        except (FetchError, ExtractError) as exc:
            report.error = str(exc)
            retry_after = getattr(exc, "retry_after", None)
            if getattr(exc, "transient", False):
                report.waited = time.monotonic() - started
        await self._retry_failed_articles(source, report)
        self._record(source, state, report, poll, retry_after)
        log.log(logging.WARNING if report.error else logging.INFO, "%s", report.summary())
        return report

    async def _poll(self, source: Source, state: SourceState, report: SourceReport) -> Poll:
        async with self._in_flight:
            return await self._fetch_and_process(source, state, report)

    async def _fetch_and_process(self, source: Source, state: SourceState,
                                 report: SourceReport) -> Poll:
        await self._check_robots(source, source.url)
        response = await self.fetcher.get(source.url, etag=state.etag,
                                          last_modified=state.last_modified)
        headers = response.headers
        poll = Poll(etag=headers.get("etag"), last_modified=headers.get("last-modified"))
        if response.not_modified:
            report.not_modified = True
            return poll
        # Servers with stale or missing validators: an identical body costs no parsing.
        fingerprint = body_fingerprint(source, response.body)
        if fingerprint == state.body_hash:
            report.not_modified = True
            return poll
        async with self._processing:
            entries, report.problem = await self._discover(source, response)
            report.entries = len(entries)
            await self._ingest(source, entries, report)
        return Poll(etag=poll.etag, last_modified=poll.last_modified, body_hash=fingerprint,
                    item_count=len(entries), warning=report.problem)

    async def _check_robots(self, source: Source, url: str) -> None:
        if source.robots and not await self.fetcher.robots.allowed(url):
            raise BlockedError("disallowed by robots.txt (set robots: false for this source "
                               "if the outlet allows you to poll it)", url=url)

    async def _discover(self, source: Source, response: Response
                        ) -> tuple[list[FeedEntry], str | None]:
        if source.kind == "sitemap":
            return await discover_sitemap(self.fetcher, source, response)
        return await self._offload(discover_entries, *_discover_args(source, response),
                                   matches=False)

    def _record(self, source: Source, state: SourceState, report: SourceReport, poll: Poll,
                retry_after: float | None) -> None:
        moment = now()
        failures = 0 if report.ok else state.consecutive_failures + 1
        next_poll = None
        if failures:
            delay = backoff_delay(source.every, failures, self.config.fetch.backoff_cap,
                                  retry_after)
            next_poll = iso(moment + timedelta(seconds=delay))
        links = report.entries if source.kind != "rss" and report.ok and \
            not report.not_modified else None
        change = assess(source.name, state, error=report.error, links=links, now=moment,
                        down_after=self.config.fetch.down_after)
        if report.error:
            poll = Poll(error=report.error)
        poll = replace(poll, next_poll=next_poll, down_notified=change.down_notified,
                       links_notified=change.links_notified)
        self.store.record_source(source.name, source.url, source.kind, poll,
                                 notices=change.notices, channels=self.channel_names)
        for _kind, message in change.notices:
            log.warning("%s", message)

    async def _ingest(self, source: Source, entries: list[FeedEntry],
                      report: SourceReport) -> None:
        unique = list(dict((e.url, e) for e in entries).values())
        urls = [e.url for e in unique]
        skip = self.store.known_urls(urls) | self.store.given_up_urls(urls, MAX_ARTICLE_ATTEMPTS)
        if source.fetch_articles:
            skip |= self.store.skipped_urls(urls)
        fresh = [e for e in unique if e.url not in skip]
        if source.fetch_articles:
            domains = allowed_domains(source.url, source.follow_domains)
            report.off_domain = sum(not is_followable(e.url, domains) for e in fresh)
            fresh = [e for e in fresh if is_followable(e.url, domains)]
        await self._store_articles(source, fresh[:source.max_new_articles], report)

    async def _retry_failed_articles(self, source: Source, report: SourceReport) -> None:
        """Article pages that failed on an earlier poll get another try (bounded)."""
        done = {url for url, _ in report.failed_articles}
        urls = [u for u in self.store.retryable_failures(source.name, MAX_ARTICLE_ATTEMPTS)
                if u not in done]
        await self._store_articles(source, [FeedEntry(url=u) for u in urls], report)

    async def _store_articles(self, source: Source, entries: list[FeedEntry],
                              report: SourceReport) -> None:
        if not entries:
            return
        results: list[Prepared | Skipped | str | GiveUp]
        if source.fetch_articles:
            results = list(await asyncio.gather(*(self._page(source, e) for e in entries)))
        else:
            results = list(await self._offload(prepare_entries, source, entries))
        ready = []
        for entry, result in zip(entries, results, strict=True):
            if isinstance(result, GiveUp):
                self.store.record_article_failure(entry.url, source.name, result.reason,
                                                  at_least=MAX_ARTICLE_ATTEMPTS)
                report.failed_articles.append((entry.url, result.reason))
                log.warning("%s: article %s failed: %s (not retried)", source.name,
                            entry.url, result.reason)
                continue
            if isinstance(result, str):
                attempts = self.store.record_article_failure(entry.url, source.name, result)
                report.failed_articles.append((entry.url, result))
                log.warning("%s: article %s failed (attempt %d of %d): %s", source.name,
                            entry.url, attempts, MAX_ARTICLE_ATTEMPTS, result)
                continue
            if isinstance(result, Skipped):
                self.store.record_skipped(entry.url, source.name, result.reason,
                                          final=result.final)
                report.skipped.append((entry.url, result.reason))
                log.info("%s: skipped %s: %s", source.name, entry.url, result.reason)
                continue
            if result.article.encoding_source == "detected":
                log.info("%s: %s declared no usable charset; decoded as %s (detected)",
                         source.name, entry.url, result.article.encoding)
            ready.append(result)
        # All of this poll's articles, hits and deliveries or none (in one transaction,
        # maybe shared with polls finishing at the same time).
        stored = await self.writer.add([p.article for p in ready], [p.features for p in ready])
        for prepared, article_id in zip(ready, stored, strict=True):
            if article_id is not None:
                report.new_articles += 1
                report.hits += len(prepared.article.hits)

    async def _page(self, source: Source, entry: FeedEntry
                    ) -> Prepared | Skipped | str | GiveUp:
        """The article of an entry's page, or the reason it could not be had."""
        try:
            await self._check_robots(source, entry.url)
            response = await self.fetcher.get(entry.url)
        except FetchError as exc:
            return GiveUp(str(exc)) if article_gone(exc.status) else str(exc)
        except ExtractError as exc:
            return str(exc)
        try:
            return await self._offload(prepare_page, source, entry, response.body,
                                       response.url, response.content_type)
        except BrokenProcessPool:
            # This page's worker, or another one at the same moment, ended: counted as an
            # attempt (bounded), so a page that kills its worker is given up after a few.
            return PARSER_DIED

    async def _offload(self, stage: Callable[..., T], *args: object, matches: bool = True) -> T:
        """Run a CPU-bound stage in the worker pool; inline when there is no pool, then
        given this pipeline's matcher if the stage `matches` (a worker uses its own)."""
        parsers = self.parsers
        if parsers is None:
            return stage(*args, matcher=self.matcher) if matches else stage(*args)
        try:
            return await asyncio.get_running_loop().run_in_executor(parsers, bounded, stage,
                                                                    *args)
        except BrokenProcessPool:
            if self.renew_parsers is not None:
                self.renew_parsers(parsers)
            raise


def body_fingerprint(source: Source, body: bytes) -> str:
    """Hash of a listing/feed body together with the settings that decide what we read
    from it, so that a config change is not mistaken for an unchanged page."""
    digest = hashlib.sha256(body)
    digest.update(repr(source).encode())
    return digest.hexdigest()[:32]


async def run_once(config: Config, store: Store,
                   on_source: Callable[[SourceReport], None] | None = None) -> CycleReport:
    with ExitStack() as pools:
        def new_pool() -> Executor:
            return pools.enter_context(worker_pool(
                config.watchlist, config.rules, cross_script=config.matching.cross_script))

        async with Fetcher(config.fetch) as fetcher:
            pipeline = Pipeline(config, store, fetcher, parsers=new_pool())

            def renew(broken: Executor) -> None:
                if pipeline.parsers is broken:
                    pipeline.parsers = new_pool()
                    broken.shutdown(wait=False, cancel_futures=True)

            pipeline.renew_parsers = renew
            return await pipeline.run_cycle(on_source=on_source)
