"""One pass over the sources: fetch -> discover -> fetch articles -> extract -> match -> store,
then send what the outbox holds. Each stage is a function with plain inputs and outputs."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from .alerts.dispatch import DispatchReport, dispatch_pending
from .clock import now_iso
from .config import Config, Source
from .errors import ExtractError, FetchError
from .extract import decode_html, extract_article, find_links, parse_feed
from .fetch import Fetcher, Response
from .match import Matcher
from .models import Article, FeedEntry, Hit
from .store import Store

log = logging.getLogger("monitor.pipeline")


@dataclass
class SourceReport:
    name: str
    error: str | None = None
    entries: int = 0
    new_articles: int = 0
    hits: int = 0
    not_modified: bool = False
    problem: str | None = None  # a non-fatal issue, e.g. a malformed feed that still parsed
    failed_articles: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)

    @property
    def ok(self) -> bool:
        return self.error is None

    def summary(self) -> str:
        if self.error:
            return f"{self.name}: FAILED: {self.error}"
        if self.not_modified:
            return f"{self.name}: not modified"
        text = (f"{self.name}: {self.entries} entries, {self.new_articles} new articles, "
                f"{self.hits} hits")
        if self.failed_articles:
            text += f", {len(self.failed_articles)} articles failed"
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


def discover(source: Source, response: Response) -> tuple[list[FeedEntry], str | None]:
    """Entries of a feed, or article links of a listing page."""
    if source.kind == "rss":
        return parse_feed(response.body, response.url, response.content_type)
    html = decode_html(response.body, response.content_type)
    links = find_links(html, response.url, source.links, source.link_pattern)
    return [FeedEntry(url=link) for link in links], None


def article_from_page(source: Source, entry: FeedEntry, response: Response) -> Article:
    """Extract an article page, with the feed entry's metadata as fallback."""
    html = decode_html(response.body, response.content_type)
    page = extract_article(html, response.url)
    return Article(
        url=entry.url, source=source.name, title=page.title or entry.title, body=page.body,
        fetched=now_iso(), author=page.author or entry.author,
        published=page.published or entry.published,
        language=page.language or source.language, method=page.method,
        canonical_url=page.canonical_url if page.canonical_url != entry.url else None)


def article_from_entry(source: Source, entry: FeedEntry) -> Article:
    """The feed entry's own text as the article (sources with fetch_articles: false)."""
    if not (entry.summary or entry.title):
        raise ExtractError("feed entry has neither title nor text")
    return Article(url=entry.url, source=source.name, title=entry.title,
                   body=entry.summary or "", fetched=now_iso(), author=entry.author,
                   published=entry.published, language=source.language, method="feed")


def match_article(matcher: Matcher, article: Article) -> list[Hit]:
    """Hits in the title and the body; each hit's offsets index its own field."""
    hits = []
    for name, text in (("title", article.title or ""), ("body", article.body)):
        for hit in matcher.hits(text):
            hits.append(Hit(entity=hit.entity, kind=hit.kind, matched_text=hit.matched_text,
                            start=hit.start, end=hit.end, snippet=hit.snippet, how=hit.how,
                            field=name))
    return hits


class Pipeline:
    """Runs cycles for one configuration against one store."""

    def __init__(self, config: Config, store: Store, fetcher: Fetcher,
                 matcher: Matcher | None = None):
        self.config = config
        self.store = store
        self.fetcher = fetcher
        self.matcher = matcher or Matcher(config.watchlist)
        self.channel_names = [c.name for c in config.channels]

    async def run_cycle(self, sources: list[Source] | None = None) -> CycleReport:
        chosen = [s for s in (sources or self.config.sources) if s.enabled]
        reports = await asyncio.gather(*(self.run_source(s) for s in chosen))
        alerts = await self.dispatch()
        return CycleReport(sources=list(reports), alerts=alerts)

    async def dispatch(self) -> DispatchReport:
        return await dispatch_pending(self.store, self.config.channels)

    async def run_source(self, source: Source) -> SourceReport:
        report = SourceReport(source.name)
        state = self.store.source_state(source.name)
        response: Response | None = None
        try:
            response = await self.fetcher.get(source.url, etag=state.etag,
                                              last_modified=state.last_modified)
            if response.not_modified:
                report.not_modified = True
            else:
                entries, report.problem = discover(source, response)
                report.entries = len(entries)
                await self._ingest(source, entries, report)
        except (FetchError, ExtractError) as exc:
            report.error = str(exc)
        self._record(source, report, response)
        log.log(logging.WARNING if report.error else logging.INFO, "%s", report.summary())
        return report

    def _record(self, source: Source, report: SourceReport, response: Response | None) -> None:
        headers = response.headers if response is not None and report.ok else {}
        self.store.record_source(
            source.name, source.url, source.kind, error=report.error,
            item_count=None if report.not_modified else report.entries,
            etag=headers.get("etag"), last_modified=headers.get("last-modified"))

    async def _ingest(self, source: Source, entries: list[FeedEntry],
                      report: SourceReport) -> None:
        known = self.store.known_urls(e.url for e in entries)
        fresh = [e for e in dict((e.url, e) for e in entries).values() if e.url not in known]
        results = await asyncio.gather(
            *(self._article(source, e) for e in fresh[:source.max_new_articles]))
        for entry, result in zip(fresh, results, strict=False):
            if isinstance(result, str):
                report.failed_articles.append((entry.url, result))
                log.warning("%s: article %s failed: %s", source.name, entry.url, result)
                continue
            result.hits = match_article(self.matcher, result)
            if self.store.add_article(result, self.channel_names) is not None:
                report.new_articles += 1
                report.hits += len(result.hits)

    async def _article(self, source: Source, entry: FeedEntry) -> Article | str:
        """The article for an entry, or the reason it could not be had."""
        try:
            if not source.fetch_articles:
                return article_from_entry(source, entry)
            response = await self.fetcher.get(entry.url)
            return article_from_page(source, entry, response)
        except (FetchError, ExtractError) as exc:
            return str(exc)


async def run_once(config: Config, store: Store) -> CycleReport:
    async with Fetcher(config.fetch) as fetcher:
        return await Pipeline(config, store, fetcher).run_cycle()
