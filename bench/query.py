"""Benchmark the analyst queries and story clustering on a large synthetic database.

Not a test. Run:  python bench/query.py [--articles 300000] [--hits 1000000] [--keep DB]
                  python bench/query.py --clustering-only   # no database: ~5 minutes
                  python bench/query.py --queries-only --keep DB  # build (or reuse) and query

Builds (seeded, deterministic) a database through the Store's migrations, then bulk-loads
articles over 180 days from 20 outlets (Zipf-distributed vocabulary, ~80-word bodies, both
FTS tables populated), one story per 1-4 articles, and hits on 2,000 entities (Zipf). Then
times, as the commands run them (median of 7 after a warm-up):
  - hits for one entity in the last 7 days (`monitor hits --entity X --since 7d`)
  - FTS search for a two-word phrase, with highlighted snippets (`monitor search`)
  - the stories list for 7 days with each story's reports (`monitor stories`)
  - clustering: per-article cost of features (normalise + MinHash) and of the index
    decision against a 72 h window of 20,000 and of 100,000 articles (the cost must not
    follow the window), without the cross-language step and with it, on the same window
    in the same run (a third of the articles in Arabic, every one linkable), the index's
    memory, and at 20,000 a whole `Store.add_article`.
Targets: each query < 100 ms; clustering < 5 ms per article; the cross-language step
(its features and its decisions) at most 0.2 ms per article.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.clock import iso  # noqa: E402
from monitor.commands.query import _story_rows  # noqa: E402
from monitor.config import Entity  # noqa: E402
from monitor.match.normalize import normalize_text  # noqa: E402
from monitor.models import Article, Hit  # noqa: E402
from monitor.search import parse, snippet  # noqa: E402
from monitor.store import Store  # noqa: E402
from monitor.stories import StoryIndex, features  # noqa: E402
from monitor.stories.crosslang import cross_features  # noqa: E402

# The data ends now (to the hour), so that the canned Datasette queries, which ask for
# date('now'), read a real day of it. A database kept with --keep is for reruns the same
# day: bench_queries warns when it is older.
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
SOURCES = [f"Outlet {i}" for i in range(20)]
FTS_COMMIT = 50  # articles per full-text commit while building: about one poll's
SYLLABLES = ["ka", "zi", "mu", "ha", "da", "wi", "ra", "ja", "sa", "ti", "ba", "ri", "la",
             "qa", "fa", "ya", "na", "shi", "kha", "ma", "bi", "lo", "ne", "tu"]


def vocabulary(rng: random.Random, size: int) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))))
    return sorted(words)


def zipf_weights(n: int, offset: int = 0) -> list[float]:
    return list(itertools.accumulate(1.0 / (rank + 1 + offset) for rank in range(n)))


class Corpus:
    """Synthetic news: common words (Zipf) plus a few words particular to each event."""

    def __init__(self, seed: int = 8):
        self.rng = random.Random(seed)
        self.words = vocabulary(self.rng, 20_000)
        # Offset 100 flattens the head as stop-word removal does on real text: unrelated
        # articles then share ~5% of their word keys, as the fixture reports do (3-9%).
        self.cum = zipf_weights(len(self.words), offset=100)
        self.entities = [f"{w.title()} al-{v.title()}" for w, v in
                         zip(self.words[::10], self.words[5::10], strict=False)][:2000]
        self.entity_cum = zipf_weights(len(self.entities))

    def text(self, n: int, event: list[str]) -> str:
        common = self.rng.choices(self.words, cum_weights=self.cum, k=n)
        picked = self.rng.sample(event, k=min(len(event), 30))
        return " ".join(common[: n // 2] + picked + common[n // 2:])

    def event(self) -> list[str]:
        return self.rng.sample(self.words, k=40)  # an event's own names, places, numbers

    def entity_names(self, k: int) -> list[str]:
        return list(dict.fromkeys(self.rng.choices(self.entities, cum_weights=self.entity_cum,
                                                   k=k)))


def build(path: Path, n_articles: int, n_hits: int) -> None:
    corpus = Corpus()
    rng = corpus.rng
    with Store(path) as store:
        conn = store.db.conn
        span = 180 * 86400
        story_id, article_id, hit_total = 0, 0, 0
        longest_fts = 0.0  # seconds of the longest full-text commit
        hits_per_article = n_hits / n_articles
        batch_articles, batch_search, batch_hits, batch_stories = [], [], [], []
        while article_id < n_articles:
            story_id += 1
            event = corpus.event()
            names = corpus.entity_names(4)
            at = NOW - timedelta(seconds=span * (1 - article_id / n_articles))
            outlets = rng.sample(SOURCES, k=min(rng.randint(1, 4), n_articles - article_id))
            title = " ".join(event[:6])
            for outlet in outlets:
                article_id += 1
                stamp = iso(at + timedelta(minutes=rng.randint(0, 600)))
                body = corpus.text(80, event)
                batch_articles.append((article_id, f"https://x.example/{article_id}", outlet,
                                       title, stamp, stamp, "en", body, story_id))
                batch_search.append((article_id, normalize_text(title).text,
                                     normalize_text(body).text))
                k = int(hits_per_article) + (rng.random() < hits_per_article % 1)
                k = min(k, n_hits - hit_total)
                for j in range(k):
                    entity = names[j % len(names)]
                    batch_hits.append((article_id, entity, "actor" if j % 3 else "place",
                                       "body", entity, f"**{entity}**", j * 20, j * 20 + 10))
                hit_total += k
            batch_stories.append((story_id, title, title.lower(), at.isoformat(),
                                  at.isoformat(), len(outlets), json.dumps(outlets),
                                  len(outlets)))
            if len(batch_articles) >= 20_000 or article_id >= n_articles:
                with store.db.atomic():
                    conn.executemany(
                        "INSERT INTO stories (id, title, title_key, first_seen, last_seen, "
                        "article_count, sources, source_count) VALUES (?,?,?,?,?,?,?,?)",
                        batch_stories)
                    conn.executemany(
                        "INSERT INTO articles (id, url, source, title, published, fetched, "
                        "language, body, story_id) VALUES (?,?,?,?,?,?,?,?,?)", batch_articles)
                    conn.executemany(
                        'INSERT INTO hits (article_id, entity, kind, field, matched_text, '
                        'snippet, start, "end") VALUES (?,?,?,?,?,?,?,?)', batch_hits)
                # The full-text indexes as a daemon grows them: a commit per poll's worth
                # of articles, FTS5's automatic merges in between. Loaded 20,000 at a time
                # they end as a pile of large unmerged segments, and the next small writes
                # (housekeeping's, a poll's) pay for a crisis merge of them: seconds.
                for at in range(0, len(batch_search), FTS_COMMIT):
                    rows = batch_search[at:at + FTS_COMMIT]
                    started = time.perf_counter()
                    with store.db.atomic():
                        conn.executemany("INSERT INTO articles_search (rowid, title, body) "
                                         "VALUES (?,?,?)", rows)
                        conn.execute(  # the Store writes these rows with each article
                            "INSERT INTO articles_fts (rowid, title, body) SELECT id, title, "
                            "body FROM articles WHERE id BETWEEN ? AND ?",
                            [rows[0][0], rows[-1][0]])
                    longest_fts = max(longest_fts, time.perf_counter() - started)
                batch_articles, batch_search, batch_hits, batch_stories = [], [], [], []
                print(f"  {article_id:,} articles, {hit_total:,} hits", end="\r", flush=True)
        store.db.execute("ANALYZE")
    print(f"\n  the longest full-text commit ({FTS_COMMIT} articles) while growing: "
          f"{longest_fts * 1000:.0f} ms")


def timed(func, runs: int = 7) -> float:
    func()  # warm-up: page cache, prepared statements
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def bench_queries(path: Path) -> None:
    since = iso(NOW - timedelta(days=7))
    with Store(path) as store:
        newest = store.db.execute("SELECT max(fetched) FROM articles").fetchone()[0]
        if newest < iso(NOW - timedelta(hours=12)):
            print(f"warning: the database's newest article is from {newest}: its 'today' "
                  "is empty for the canned queries (build it again)")
        entity = Corpus().entities[40]  # a mid-popular name
        n = len(store.hit_rows(since=since, entity=entity))
        ms = timed(lambda: store.hit_rows(since=since, entity=entity))
        print(f"hits for one entity, 7 days ({n} hits):        {ms:7.1f} ms")

        row = store.query("SELECT body FROM articles WHERE id = (SELECT max(id) / 2 "
                          "FROM articles)")[0]["body"].split()
        phrase = f'"{row[40]} {row[41]}"'
        query = parse(phrase)

        def search() -> list[dict]:
            rows = store.search(query.fts, limit=20)
            for r in rows:
                r["excerpt"] = snippet(r.pop("body"), query.terms)
            return rows

        n = len(search())
        print(f"FTS search for a two-word phrase ({n} shown):   {timed(search):7.1f} ms")
        # Two frequent words (AND): thousands of matches to rank by bm25.
        words = Corpus().words
        query = parse(f"{words[0]} {words[1]}")
        total = store.query("SELECT count(*) n FROM articles_search WHERE articles_search "
                            "MATCH ?", [query.fts])[0]["n"]
        print(f"FTS search, two frequent words ({total:,} matches): {timed(search):5.1f} ms")
        n = len(_story_rows(store, since, None, 1, 50, None))
        ms = timed(lambda: _story_rows(store, since, None, 1, 50, None))
        print(f"stories list, 7 days ({n} stories + reports):  {ms:7.1f} ms")
        day = iso(NOW - timedelta(days=1))
        n = len(store.hits_grouped("entity", since=day, limit=100))
        ms = timed(lambda: store.hits_grouped("entity", since=day, limit=100))
        print(f"hits per entity, 24 h ({n} entities):          {ms:7.1f} ms")
        query = parse(words[0])
        n = len(store.search(query.fts, since=day, limit=20))
        ms = timed(lambda: store.search(query.fts, since=day, limit=20))
        print(f"FTS search, one frequent word, 24 h ({n} shown): {ms:6.1f} ms")
        n = len(_story_rows(store, since, entity, 1, 50, None))
        ms = timed(lambda: _story_rows(store, since, entity, 1, 50, None))
        print(f"one entity's stories, 7 days ({n} stories):    {ms:7.1f} ms")
        bench_canned_queries(store, entity)


def bench_canned_queries(store: Store, entity: str) -> None:
    """Every canned query of datasette.yaml, with a mid-popular entity where it takes one
    (their `now` is SQLite's, which the data ends at)."""
    import yaml

    metadata = yaml.safe_load((ROOT / "datasette.yaml").read_text(encoding="utf-8"))
    store.sync_watchlist([Entity(name=entity, kind="actor", aliases=(entity,))])
    for name, query in metadata["databases"]["monitor"]["queries"].items():
        params = {k: v for k, v in {"entity": entity, "days": "7"}.items()
                  if f":{k}" in query["sql"]}
        n = len(store.query(query["sql"], params))
        ms = timed(lambda sql=query["sql"], params=params: store.query(sql, params))
        print(f"datasette canned query {name} ({n} rows): {ms:7.1f} ms")


# Window sizes (articles in 72 h) the clustering cost is measured at: a busy day's window,
# and the 100,000 entries the fetch benchmark stores in one cycle.
CLUSTERING_WINDOWS = (20_000, 100_000)
BATCH = 500  # a group commit's most articles (monitor.store.group.MAX_GROUP_ARTICLES)
REPEATS = 3  # runs of each probe; the fastest is reported (see bench_clustering)


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")  # not Linux: no figure


def _index_bytes(index: StoryIndex) -> int:
    """Bytes of the index's numpy arrays (capacity included, Python objects not)."""
    return sum(v.nbytes for v in vars(index).values() if isinstance(v, np.ndarray))


def _cross_language_corpus(corpus: Corpus, window_articles: int, probes: int,
                           start: datetime, step: float) -> tuple[list[Article], list[int]]:
    """Reports of events, each by outlets in English or Arabic (a third Arabic), naming two
    watched actors and a place: every article can be linked across languages, so the
    cross-language step is looked at for every one that no story takes on text (the worst
    case for its cost, and, as the names are drawn from a Zipf distribution, a hard one for
    its precision). Returns the articles and each one's event."""
    rng = corpus.rng
    events = [(corpus.event(), corpus.entity_names(3)) for _ in range(window_articles // 2)]
    articles, event_of = [], []
    for i in range(window_articles + probes):
        event_of.append(rng.randrange(len(events)))
        event, names = events[event_of[-1]]
        body = corpus.text(150, event)
        stamp = iso(start + timedelta(seconds=i * step))
        hits = [Hit(n, "place" if k == 2 else "actor", n, 0, len(n), n)
                for k, n in enumerate(names)]
        articles.append(Article(url=f"https://c.example/{i}", source=rng.choice(SOURCES),
                                title=" ".join(event[:6]), body=body, fetched=stamp,
                                published=stamp, hits=hits,
                                language=rng.choice(("en", "en", "ar"))))
    return articles, event_of


def _probe_one_by_one(index: StoryIndex, prepared: list, first: int  # type: ignore[type-arg]
                      ) -> tuple[int, float, float]:
    """decide + add for each probe: (joined, wall ms/article, CPU ms/article)."""
    joined = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for i, f in enumerate(prepared[first:], start=first):
        decided = index.decide(f)
        joined += bool(decided)
        index.add(i + 1, decided[0].story_id if decided else i + 1, f)
    n = len(prepared) - first
    return (joined, (time.perf_counter() - wall) / n * 1000,
            (time.process_time() - cpu) / n * 1000)


class _Linked:
    """Cross-language joins seen while probing, and how many joined another event's story
    (a story is numbered after its first article, so its event is that article's)."""

    def __init__(self, event_of: list[int]):
        self.event_of = event_of
        self.joins = self.wrong = 0

    def note(self, article: int, decided: list) -> None:  # type: ignore[type-arg]
        if decided and decided[0].linked:
            self.joins += 1
            self.wrong += self.event_of[decided[0].story_id - 1] != self.event_of[article]


def _probe_batched(index: StoryIndex, prepared: list, first: int,  # type: ignore[type-arg]
                   linked: _Linked | None = None) -> tuple[int, float, float]:
    """add_batch in groups of BATCH: (joined, wall ms/article, CPU ms/article)."""
    joined = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for start in range(first, len(prepared), BATCH):
        ids = list(range(start + 1, min(len(prepared), start + BATCH) + 1))

        def choose(i: int, decided: list, start: int = start) -> int:  # type: ignore[type-arg]
            nonlocal joined
            joined += bool(decided)
            if linked is not None:
                linked.note(start + i, decided)
            return decided[0].story_id if decided else start + i + 1

        index.add_batch(ids, prepared[start:ids[-1]], choose)
    n = len(prepared) - first
    return (joined, (time.perf_counter() - wall) / n * 1000,
            (time.process_time() - cpu) / n * 1000)


def bench_clustering(path: Path | None, window_articles: int = 20_000,
                     probes: int = 1000) -> None:
    """Per-article clustering cost against a full 72 h window of `window_articles`, without
    the cross-language step ("before", as the index was) and with it ("after"), on the same
    window in the same run; with `path`, also the whole `Store.add_article` on that database
    (its window filled first). The window size is the point: candidate retrieval must not
    grow with it."""
    corpus = Corpus(seed=9)
    start = NOW + timedelta(days=1)
    step = 72 * 3600 / window_articles
    articles, event_of = _cross_language_corpus(corpus, window_articles, probes, start, step)
    index = StoryIndex(72 * 3600.0)
    prepared = [features(a.title, a.body, a.hits, start.timestamp() + i * step, a.source,
                         a.language) for i, a in enumerate(articles)]
    rss = _rss_mb()
    t0 = time.perf_counter()
    for first in range(0, window_articles, BATCH):  # as the Store does: a group at a time
        ids = list(range(first + 1, min(window_articles, first + BATCH) + 1))
        index.add_batch(ids, prepared[first:ids[-1]],
                        lambda i, decided, first=first: decided[0].story_id if decided
                        else first + i + 1)
    fill = time.perf_counter() - t0
    # RSS moves in steps (capacity doubling, the allocator reusing freed memory): rough.
    rss = (_rss_mb() - rss) * 2**20 / window_articles
    probe = articles[window_articles:]
    t0 = time.perf_counter()
    for i, a in enumerate(probe):
        features(a.title, a.body, a.hits, start.timestamp() + (window_articles + i) * step,
                 a.source, a.language)
    per_features = (time.perf_counter() - t0) / probes * 1000
    # The cross-language side of the features (hits sorted by kind, lead numbers), alone.
    cross_wall = cross_cpu = float("inf")
    for _ in range(REPEATS):
        wall, cpu = time.perf_counter(), time.process_time()
        for a, f in zip(probe, prepared[window_articles:], strict=True):
            cross_features(a.hits, f.title_norm, f.body_norm, a.language)
        cross_wall = min(cross_wall, (time.perf_counter() - wall) / probes * 1000)
        cross_cpu = min(cross_cpu, (time.process_time() - cpu) / probes * 1000)
    # Each figure is the best of REPEATS runs, before and after taking turns, each on a
    # fresh copy of the window: on a shared machine the other users' load only adds time.
    figures: dict[tuple[str, str], tuple[int, float, float]] = {}
    linked = _Linked(event_of)
    for repeat in range(REPEATS):
        for label, cross in (("before", False), ("after", True)):
            for how in ("one by one", f"batches of {BATCH}"):
                copy_ = copy.deepcopy(index)
                if not cross:
                    copy_._cross = None  # the same window, text alone deciding
                count = linked if cross and repeat == 0 else None
                run = (_probe_one_by_one(copy_, prepared, window_articles)
                       if how == "one by one"
                       else _probe_batched(copy_, prepared, window_articles, count))
                del copy_
                best = figures.get((label, how), run)
                figures[label, how] = (run[0], min(run[1], best[1]), min(run[2], best[2]))
    # Rows scored per article, counted after the timed loops (so as not to warm their
    # caches).
    candidates = statistics.mean(index._candidates(f).size
                                 for f in prepared[window_articles:])
    print(f"clustering, window of {len(index):,} articles, {probes} probes "
          "(a third in Arabic, all linkable across languages):")
    print(f"  filling the window (decide + add):          {fill:7.1f} s")
    print(f"  index memory: arrays {_index_bytes(index) / len(index):,.0f} B/article, "
          f"RSS growth while filling {rss:,.0f} B/article")
    print(f"  features (normalise + MinHash + cross):     {per_features:7.2f} ms/article, "
          f"of which cross-language {cross_wall:.3f} ms (CPU {cross_cpu:.3f})")
    for how in ("one by one", f"batches of {BATCH}"):
        b_joined, b_wall, b_cpu = figures["before", how]
        a_joined, a_wall, a_cpu = figures["after", how]
        print(f"  candidates + decision, {how + ':':<18} before {b_wall:5.2f} ms "
              f"(CPU {b_cpu:5.2f}), after {a_wall:5.2f} ms (CPU {a_cpu:5.2f}) per article: "
              f"cross-language step {a_wall - b_wall:+.3f} ms (CPU {a_cpu - b_cpu:+.3f}); "
              f"joined {b_joined} -> {a_joined}")
    _, b_wall, b_cpu = figures["before", f"batches of {BATCH}"]
    _, a_wall, a_cpu = figures["after", f"batches of {BATCH}"]
    print(f"  cross-language step in all (features + batched decision): "
          f"{cross_wall + a_wall - b_wall:+.3f} ms/article (CPU {cross_cpu + a_cpu - b_cpu:+.3f}"
          "); budget 0.2 ms")
    print(f"  cross-language joins: {linked.joins}, of which {linked.wrong} to another event's "
          "story")
    print(f"  candidates scored:                          {candidates:7.0f} per article")
    if path is None:
        return
    # The whole insert path on the big database: story assignment, article, search row,
    # signature, hits, in one transaction per article.
    with Store(path) as store:
        for a in articles[:window_articles]:  # fill the store's window (not timed)
            store.add_article(a, [])
        fresh = [Article(url=a.url + "/again", source=a.source, title=a.title, body=a.body,
                         fetched=a.fetched, published=a.published, hits=a.hits,
                         language=a.language) for a in probe]
        t0 = time.perf_counter()
        for a in fresh:
            store.add_article(a, [])
        per_add = (time.perf_counter() - t0) / probes * 1000
    print(f"  Store.add_article, all included:            {per_add:7.2f} ms/article")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300_000)
    parser.add_argument("--hits", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="build the database here and keep it")
    parser.add_argument("--clustering-only", action="store_true",
                        help="only the in-memory clustering figures: no database is built")
    parser.add_argument("--queries-only", action="store_true",
                        help="only the queries (and the build): no clustering figures")
    args = parser.parse_args()
    if args.clustering_only:
        for window in CLUSTERING_WINDOWS:
            bench_clustering(None, window)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "bench.db"
        if not path.exists():
            t0 = time.perf_counter()
            build(path, args.articles, args.hits)
            print(f"built {args.articles:,} articles / {args.hits:,} hits in "
                  f"{time.perf_counter() - t0:.0f} s ({path.stat().st_size / 1e6:.0f} MB)")
        bench_queries(path)
        if args.queries_only:
            return
        # Store.add_article on the big database at the daemon's usual window only: filling
        # a Store with the larger window article by article would take minutes.
        bench_clustering(path, CLUSTERING_WINDOWS[0])
        for window in CLUSTERING_WINDOWS[1:]:
            bench_clustering(None, window)


if __name__ == "__main__":
    main()
