"""datasette.yaml and datasette_plugins/, checked with Datasette's own test client."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from datasette.app import Datasette

from monitor.clock import now_iso
from monitor.config import load_config
from monitor.models import Article, Hit
from monitor.store import Store

ROOT = Path(__file__).resolve().parents[1]
METADATA = yaml.safe_load((ROOT / "datasette.yaml").read_text(encoding="utf-8"))
BODY = "Qais al-Khazali spoke in Maysan after the killing in Amarah. " * 40


@pytest.fixture(scope="module")
def datasette(tmp_path_factory: pytest.TempPathFactory) -> Datasette:
    path = tmp_path_factory.mktemp("ds") / "monitor.db"
    with Store(path) as store:
        store.sync_watchlist(load_config(ROOT / "config.yaml", env={}).watchlist)
        store.add_article(Article(
            url="https://x.example/1", source="Shafaq News EN", title="Khazali in Maysan",
            body=BODY, fetched=now_iso(), published=now_iso(), language="en", hits=[
                Hit("Qais al-Khazali", "actor", "Qais al-Khazali", 0, 15, "Qais al-Khazali"),
                Hit("Maysan", "place", "Maysan", 25, 31, "Maysan"),
                Hit("Amarah", "place", "Amarah", 53, 59, "Amarah")]), [])
        store.add_article(Article(
            url="https://y.example/2", source="Shafaq News AR", title="الخزعلي في ميسان",
            body="قيس الخزعلي في ميسان", fetched=now_iso(), published=now_iso(), language="ar",
            hits=[Hit("Qais al-Khazali", "actor", "قيس الخزعلي", 0, 11, "قيس الخزعلي")]), [])
    return Datasette([str(path)], metadata=METADATA, plugins_dir=str(ROOT / "datasette_plugins"))


def get(ds: Datasette, path: str, **params: str) -> Any:
    response = asyncio.run(ds.client.get(path, params=params))
    assert response.status_code == 200, (path, response.status_code, response.text[:500])
    return response


def test_internal_tables_are_hidden_and_the_sql_box_opens_on_hits(datasette: Datasette
                                                                  ) -> None:
    tables = {t["name"]: t["hidden"] for t in get(datasette, "/monitor.json").json()["tables"]}
    shown = {name for name, hidden in tables.items() if not hidden}
    assert shown == {"hits", "mentions_daily", "places", "sources", "stories"}, shown
    html = get(datasette, "/monitor").text
    assert re.search(r'<textarea id="sql-editor" name="sql">select \* from hits</textarea>', html)


def test_article_list_leaves_out_the_body_and_links_to_the_row(datasette: Datasette) -> None:
    data = get(datasette, "/monitor/article_list.json", _shape="objects").json()
    rows = {r["title"]: r for r in data["rows"]}
    assert all("body" not in r for r in rows.values())
    assert rows["Khazali in Maysan"]["body_chars"] == len(BODY)
    assert rows["Khazali in Maysan"]["hits"] == 3 and rows["الخزعلي في ميسان"]["hits"] == 1
    html = get(datasette, "/monitor/article_list").text
    assert '<a href="/monitor/articles/1">1</a>' in html
    assert BODY[:200] not in html


def test_view_ids_link_to_rows(datasette: Datasette) -> None:
    html = get(datasette, "/monitor/hit_details").text
    assert '<a href="/monitor/articles/2">2</a>' in html
    assert re.search(r'<a href="/monitor/stories/\d+">\d+</a>', html)


def test_canned_queries_take_any_alias_in_any_case(datasette: Datasette) -> None:
    queries = METADATA["databases"]["monitor"]["queries"]
    assert {"entity_last_7_days", "todays_stories", "entity_places_map",
            "daily_mentions"} <= set(queries)
    for spelling in ("Qais al-Khazali", "qais al-khazali", "  QAIS AL-KHAZALI ",
                     "قيس الخزعلي"):
        rows = get(datasette, "/monitor/entity_last_7_days.json", entity=spelling,
                   _shape="objects").json()["rows"]
        assert {r["entity"] for r in rows} == {"Qais al-Khazali"} and len(rows) == 2, spelling
    rows = get(datasette, "/monitor/entity_last_7_days.json", entity="Khazal",
               _shape="objects").json()["rows"]
    assert rows == []  # not a fuzzy search: a name the watchlist does not list finds nothing


def test_todays_stories_show_outlets_and_languages(datasette: Datasette) -> None:
    rows = get(datasette, "/monitor/todays_stories.json", _shape="objects").json()["rows"]
    assert rows and all(r["outlets"] and r["languages"] for r in rows)
    assert {lang for r in rows for lang in r["languages"].split(", ")} == {"ar", "en"}


def test_place_hits_carry_coordinates_for_the_map(datasette: Datasette) -> None:
    rows = get(datasette, "/monitor/entity_places_map.json", entity="qais al-khazali",
               days="7", _shape="objects").json()["rows"]
    assert {r["place"] for r in rows} == {"Maysan", "Amarah"}
    for r in rows:
        assert 29 < r["latitude"] < 38 and 38 < r["longitude"] < 49  # inside Iraq
    view = get(datasette, "/monitor/place_hits.json", _shape="objects").json()["rows"]
    assert {r["entities"] for r in view} == {"Qais al-Khazali"}


def test_daily_mentions_count_articles_per_actor_and_day(datasette: Datasette) -> None:
    rows = get(datasette, "/monitor/daily_mentions.json", _shape="objects").json()["rows"]
    assert [(r["entity"], r["articles"]) for r in rows] == [("Qais al-Khazali", 2)]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", rows[0]["day"])


def test_every_canned_query_runs(datasette: Datasette) -> None:
    for name, query in METADATA["databases"]["monitor"]["queries"].items():
        params = {p: "x" for p in re.findall(r":(\w+)", query["sql"])}
        get(datasette, f"/monitor/{name}.json", **params)


def test_who_reported_first_lists_outlets_of_shared_stories_in_order(tmp_path: Path) -> None:
    path = tmp_path / "monitor.db"
    stamp = now_iso()
    with Store(path) as store:
        for n, source, published in ((1, "Rudaw", "2026-12-01T10:00:00+00:00"),
                                     (2, "Shafaq News EN", "2026-12-01T09:00:00+00:00"),
                                     (3, "Rudaw", "2026-12-01T11:00:00+00:00")):
            store.add_article(Article(
                url=f"https://x.example/{n}", source=source, title="Khazali in Maysan",
                body=BODY, fetched=stamp, published=published, language="en",
                hits=[Hit("Qais al-Khazali", "actor", "Qais al-Khazali", 0, 15, "")]), [])
        store.add_article(Article(  # a story only one outlet reported: nothing to compare
            url="https://x.example/9", source="Rudaw", title="A football final in Erbil",
            body="The final was played in Erbil on Friday evening. " * 30, fetched=stamp,
            published=stamp, language="en"), [])
        assert store.query("SELECT count(*) n FROM stories")[0]["n"] == 2
    ds = Datasette([str(path)], metadata=METADATA)
    rows = get(ds, "/monitor/who_reported_first.json", _shape="objects").json()["rows"]
    assert [(r["source"], r["first_published"], r["articles"]) for r in rows] == [
        ("Shafaq News EN", "2026-12-01T09:00:00+00:00", 1),
        ("Rudaw", "2026-12-01T10:00:00+00:00", 2)]
