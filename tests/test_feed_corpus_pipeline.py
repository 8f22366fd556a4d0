"""Every file of feedparser's real-world test corpus, served over HTTP, through the pipeline.

Nothing may crash; every feed that feedparser itself parses yields the same entries through
our pipeline (fetch -> parse -> store), with the corpus' declared Content-Type headers.
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import feedparser

from monitor.config import FetchSettings, Source, load_config
from monitor.fetch import Fetcher
from monitor.pipeline import Pipeline
from monitor.store import Store
from tests.fixture_server import FixtureServer
from tests.test_feed import CORPUS, _declared_content_type, _usable


def test_whole_feedparser_corpus_through_pipeline(tmp_path: Path) -> None:
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix == ".xml")
    assert len(files) > 2000, f"feedparser corpus not found at {CORPUS}"
    config_path = tmp_path / "config.yaml"
    config_path.write_text("watchlists: {actors: [{name: Example}]}\n", encoding="utf-8")
    config = load_config(config_path, env={})
    settings = FetchSettings(allow_private_addresses=True, delay=0, retries=0, concurrency=16,
                             per_host=16)
    totals = {"served": 0, "parsed_by_feedparser": 0, "entries_expected": 0,
              "entries_ours": 0, "mismatches": 0, "source_errors": 0}
    with FixtureServer() as site, Store(tmp_path / "m.db") as store:
        sources, expected = [], {}
        for i, path in enumerate(files):
            data = path.read_bytes()
            content_type = _declared_content_type(data)
            url = site.add(f"/f/{i}.xml", data, content_type=content_type)
            sources.append(Source(name=f"f{i}", kind="rss", url=url, every=900,
                                  fetch_articles=False, robots=False))
            reference = feedparser.parse(io.BytesIO(data), response_headers={
                "content-location": url, **({"content-type": content_type}
                                            if content_type else {})})
            if reference.entries:
                expected[f"f{i}"] = sum(_usable(e, url) for e in reference.entries)

        async def run() -> list:  # type: ignore[type-arg]
            async with Fetcher(settings) as fetcher:
                pipeline = Pipeline(config, store, fetcher)
                return await asyncio.gather(*(pipeline.run_source(s) for s in sources))

        reports = asyncio.run(run())
    totals["served"] = len(reports)
    for report in reports:
        totals["source_errors"] += not report.ok
        if report.name in expected:
            totals["parsed_by_feedparser"] += 1
            totals["entries_expected"] += expected[report.name]
            totals["entries_ours"] += report.entries
            if report.entries != expected[report.name]:
                totals["mismatches"] += 1
    print("feedparser corpus through the pipeline:", totals)
    assert totals["served"] == len(files)
    assert totals["mismatches"] == 0
    assert totals["parsed_by_feedparser"] > 1000
