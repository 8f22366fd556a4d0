"""The CPU-bound stages of a poll: discover entries, extract articles, match them and compute
their story features.

Plain functions of plain data, so they run alike inline (tests, `matcher` given) and in the
worker processes of `worker_pool`, where each worker holds its own Matcher built once from
the watchlist (a 5,000-entity automaton is too big to send with every task). Moving this
work off the daemon's process matters twice: the other cores do it, and the event loop is
never blocked long enough to starve requests in flight.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from .clock import now_iso
from .config import Entity, Rule, Source
from .errors import ExtractError
from .extract import extract_article
from .extract.binary import binary_reason
from .extract.bounds import MarkupTooComplex
from .extract.encoding import Decoded, decode_page
from .extract.not_article import not_article_reason
from .match import Matcher
from .models import Article, FeedEntry, Hit
from .stories.assign import article_features
from .stories.features import Features

T = TypeVar("T")

__all__ = ["PAGE_CPU_LIMIT", "GiveUp", "Prepared", "Skipped", "article_from_entry",
           "article_from_page", "bounded", "match_article", "prepare_entries", "prepare_page",
           "worker_pool"]

# CPU seconds one task (a page, a feed, a listing) may cost a worker. A page over it is cut
# off (a failure that is not retried); at HARD_CPU_FACTOR times it, in C code that the
# first signal cannot interrupt, the worker ends itself and the daemon starts new ones.
PAGE_CPU_LIMIT = 5.0
HARD_CPU_FACTOR = 3.0


@dataclass
class Prepared:
    """An article with its hits, and what story clustering needs to know about it."""

    article: Article
    features: Features


@dataclass(frozen=True)
class GiveUp:
    """A failure that another try would only repeat (a 404, a hostile page): recorded once
    as given up, never retried."""

    reason: str


@dataclass(frozen=True)
class Skipped:
    """A linked page that is not an article (a redirect stub, the listing itself): not
    stored, and recorded with the reason."""

    reason: str
    final: bool = True  # False: it may become an article; looked at again on later polls


class CpuLimitExceeded(ExtractError):
    """A task used up its CPU budget in a worker."""


# ---------------------------------------------------------------- the stages


def article_from_page(source: Source, entry: FeedEntry, decoded: Decoded,
                      url: str) -> Article | Skipped:
    """Extract an article page, with the feed entry's metadata as fallback; Skipped when
    the page is not an article. `url`: where the page was fetched from, after redirects."""
    page = extract_article(decoded.text, url, selectors=source.article,
                           timezone=source.timezone, dateline=source.dateline)
    # Not the canonical URL: CMSs that name the home page canonical on every article exist.
    verdict = not_article_reason(page, (entry.url, url), source.url)
    if verdict is not None:
        return Skipped(verdict.reason, verdict.final)
    return Article(
        url=entry.url, source=source.name, title=page.title or entry.title, body=page.body,
        fetched=now_iso(), author=page.author or entry.author,
        published=page.published or entry.published,
        language=page.language or source.language, method=page.method,
        canonical_url=page.canonical_url if page.canonical_url != entry.url else None,
        modified=page.modified, dateline=page.dateline, encoding=decoded.encoding,
        encoding_source=decoded.how)


def article_from_entry(source: Source, entry: FeedEntry) -> Article:
    """The feed entry's own text as the article (sources with fetch_articles: false)."""
    if not (entry.summary or entry.title):
        raise ExtractError("feed entry has neither title nor text")
    return Article(url=entry.url, source=source.name, title=entry.title,
                   body=entry.summary or "", fetched=now_iso(), author=entry.author,
                   published=entry.published, language=source.language, method="feed")


def match_article(matcher: Matcher, article: Article) -> list[Hit]:
    """Hits in the title and the body; each hit's offsets index its own field. Decided once
    per article: a surname in the body counts when the full name is in the title."""
    return matcher.match_article(article.title, article.body)


def _prepared(matcher: Matcher, article: Article) -> Prepared:
    article.hits = match_article(matcher, article)
    return Prepared(article, article_features(article))


def prepare_entries(source: Source, entries: Sequence[FeedEntry],
                    matcher: Matcher | None = None) -> list[Prepared | str]:
    """Articles from feed entries' own text, matched: one result per entry, the reason as a
    string where an entry has no usable text."""
    matcher = matcher or _worker_matcher()
    out: list[Prepared | str] = []
    for entry in entries:
        try:
            article = article_from_entry(source, entry)
        except ExtractError as exc:
            out.append(str(exc))
            continue
        out.append(_prepared(matcher, article))
    return out


def prepare_page(source: Source, entry: FeedEntry, body: bytes, url: str,
                 content_type: str | None,
                 matcher: Matcher | None = None) -> Prepared | Skipped | str | GiveUp:
    """The article of a fetched page, matched; Skipped when the page is not an article; or
    why it could not be extracted (binary content, no text; a GiveUp for a page too complex
    or too costly to parse, which would be so again)."""
    matcher = matcher or _worker_matcher()
    binary = binary_reason(body)
    if binary is not None:
        return f"not HTML: {binary}"
    try:
        article = article_from_page(source, entry, decode_page(body, content_type), url)
    except (CpuLimitExceeded, MarkupTooComplex) as exc:
        return GiveUp(str(exc))
    except ExtractError as exc:
        return str(exc)
    if isinstance(article, Skipped):
        return article
    try:
        return _prepared(matcher, article)
    except CpuLimitExceeded as exc:
        return GiveUp(str(exc))


# ---------------------------------------------------------------- worker processes

_matcher: Matcher | None = None  # a worker's own, built by _start_worker
_cpu_limit: float | None = None  # a worker's budget per task, set by _start_worker
_budget_open = False  # a task of this worker is running under its budget


def _worker_matcher() -> Matcher:
    if _matcher is None:
        raise RuntimeError("prepare: no matcher given and not in a worker_pool process")
    return _matcher


def _start_worker(entities: list[Entity], rules: list[Rule], cross_script: bool = True,
                  cpu_limit: float | None = None) -> None:
    global _matcher, _cpu_limit
    # Ctrl-C reaches the whole process group; the parent decides how to stop its workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent()
    _matcher = Matcher(entities, rules, cross_script=cross_script)
    _cpu_limit = cpu_limit
    if cpu_limit:
        signal.signal(signal.SIGPROF, _over_budget)
        # SIGVTALRM keeps its default action: it ends the process (the hard limit).
        signal.signal(signal.SIGVTALRM, signal.SIG_DFL)


def _over_budget(_signum: int, _frame: object) -> None:
    # The signal may land just after a task ended: only a running task is interrupted.
    if _budget_open:
        raise CpuLimitExceeded(f"parsing exceeded {_cpu_limit:g} s of CPU")


def bounded(stage: Callable[..., T], *args: object) -> T:
    """Run a stage in a worker under its CPU budget (ITIMER_PROF counts this process's
    CPU time; its signal interrupts Python code, and C code when it returns)."""
    global _budget_open
    if not _cpu_limit:
        return stage(*args)
    # Re-armed every 0.1 s, in case code that catches every exception swallows one.
    signal.setitimer(signal.ITIMER_PROF, _cpu_limit, 0.1)
    signal.setitimer(signal.ITIMER_VIRTUAL, _cpu_limit * HARD_CPU_FACTOR)
    _budget_open = True
    try:
        return stage(*args)
    finally:
        _budget_open = False
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.setitimer(signal.ITIMER_PROF, 0)


def _exit_with_parent() -> None:
    """End this worker when the daemon's process ends, however it ends. After a kill -9 or
    the OOM killer a pool worker would otherwise wait for work forever (~60 MB each): its
    task queue never reports end of file, as the worker holds that pipe's writing end too.
    The parent's sentinel is a pipe only the parent writes to, readable once it is gone."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(0)  # nothing of this worker's needs cleaning up: the parent is gone

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def default_workers() -> int:
    """One worker per core but one, up to 4: the daemon's own process (fetching and
    storing) keeps a core busy itself when there is much to parse, and each worker costs
    ~55 MB."""
    return max(1, min(4, (os.cpu_count() or 1) - 1))


@contextmanager
def worker_pool(entities: Iterable[Entity] = (), rules: Iterable[Rule] = (),
                workers: int | None = None, cross_script: bool = True,
                cpu_limit: float | None = PAGE_CPU_LIMIT) -> Iterator[Executor]:
    """Worker processes for the CPU-bound stages, each with a Matcher for this watchlist,
    running each task given through `bounded` under `cpu_limit` seconds of CPU.
    Spawned, not forked, as the parent runs threads."""
    workers = workers or default_workers()
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_start_worker,
                             initargs=(list(entities), list(rules), cross_script,
                                       cpu_limit)) as pool:
        yield pool
