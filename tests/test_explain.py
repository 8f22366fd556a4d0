"""Explainable hits: every match says which alias made it (`via`) and `how`; the keys the
matcher compared can be shown again (`monitor match --explain`); `hits.via` is stored."""

from __future__ import annotations

import csv
import io
import itertools
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from monitor.cli import cli
from monitor.config import Entity, Rule
from monitor.match import Matcher
from monitor.match.explain import keys_compared
from monitor.match.names import Span
from monitor.match.overlaps import drop_contained
from monitor.models import HOW_VALUES, Article, Hit, Match
from monitor.store import Store
from monitor.store.migrations import migrations

KHAZALI = Entity("Qais al-Khazali", "actor", ("Qais al-Khazali", "Qays Khazali", "قيس الخزعلي"),
                 short=("Al-Khazali", "الخزعلي"))
FAYYADH = Entity("Falih al-Fayyadh", "actor", ("Falih Alfayyadh",))
MUHANDIS = Entity("Abu Mahdi al-Muhandis", "actor", ("أبو مهدي المهندس",))
AAH = Entity("Asa'ib Ahl al-Haq", "actor", ("Asa'ib Ahl al-Haq", "AAH", "عصائب أهل الحق"))
MAYSAN = Entity("Maysan", "place", ("Maysan", "ميسان"))
KILLING = Entity("assassination", "keyword", ("assassinat*", "اغتيال*"))
WATCHLIST = (KHAZALI, FAYYADH, MUHANDIS, AAH, MAYSAN, KILLING)
RULE = Rule("Maysan killing", '"Maysan" AND assassination')


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(WATCHLIST, [RULE])


def explained(matcher: Matcher, text: str) -> list[tuple[str, str, str, str]]:
    """(matched text, how, via, agreed key) of every match in `text`."""
    return [(m.text, m.how, m.via, keys_compared(m).agreed) for m in matcher.find(text)]


# ---------------------------------------------------------------- via and how, per rule

@pytest.mark.parametrize(("text", "expected"), [
    # exact: the alias as written; normalised: equal after normalize()
    ("Qais al-Khazali spoke.", [("Qais al-Khazali", "exact", "Qais al-Khazali",
                                 "qais al khazali")]),
    ("QAIS AL KHAZALI spoke.", [("QAIS AL KHAZALI", "normalised", "Qais al-Khazali",
                                 "qais al khazali")]),
    ("قال قيس الخزعلي", [("قيس الخزعلي", "exact", "قيس الخزعلي", "قيس الخزعلي")]),
    ("قال قَيْس الخَزْعَلِي", [("قَيْس الخَزْعَلِي", "normalised", "قيس الخزعلي",
                            "قيس الخزعلي")]),
    # a proclitic is not part of the match, so the keys are equal
    ("ولعصائب أهل الحق", [("عصائب أهل الحق", "exact", "عصائب أهل الحق",
                          "عصايب اهل الحق")]),
    # variant: Latin token keys (~ a consonant skeleton), Arabic kunya case forms
    # (of two aliases equally firm at one place, the first in `via` order is reported)
    ("Qays Khazaali spoke.", [("Qays Khazaali", "variant", "Qais al-Khazali",
                               "~ks khazali")]),
    ("Kais al-Khazaly spoke.", [("Kais al-Khazaly", "variant", "Qais al-Khazali",
                                 "~ks ~Xzl")]),
    ("Falih al-Fayyadh said.", [("Falih al-Fayyadh", "variant", "Falih Alfayyadh",
                                  "falih fayadh")]),
    ("قال أبا مهدي المهندس", [("أبا مهدي المهندس", "variant", "أبو مهدي المهندس",
                              "ابا مهدي المهندس")]),
    # an acronym, as written; a prefix alias
    ("AAH fighters", [("AAH", "exact", "AAH", "AAH")]),
    ("the assassinated man", [("assassinated", "exact", "assassinat*", "assassinat")]),
    ("بعد اغتياله", [("اغتياله", "exact", "اغتيال*", "اغتيال")]),
])
def test_each_match_says_how_and_via_and_the_keys_agree(matcher: Matcher, text: str,
                                                        expected: list[tuple]) -> None:
    assert explained(matcher, text) == expected


@pytest.mark.parametrize(("text", "short"), [
    ("Qais al-Khazali spoke. Later Al-Khazali said no.", ("Al-Khazali", "Al-Khazali")),
    ("قال قيس الخزعلي ثم قال الخزعلي", ("الخزعلي", "الخزعلي")),
])
def test_a_short_form_is_how_short_form_via_the_short_alias(matcher: Matcher, text: str,
                                                            short: tuple[str, str]) -> None:
    full, bare = matcher.find(text)
    assert full.how == "exact" and not full.via.startswith(short[1])
    assert (bare.text, bare.how, bare.via) == (short[0], "short form", short[1])
    assert keys_compared(bare).agreed == keys_compared(bare).text


@pytest.mark.parametrize("text", [
    "Laith al-Khazali spoke. Qais al-Khazali did not.",  # another person's surname
    "Al-Khazali said no.",  # no full name in the article
    "قال الخزعلي",
])
def test_short_form_traps_still_hold(matcher: Matcher, text: str) -> None:
    assert all(m.how != "short form" for m in matcher.find(text))


def test_a_rule_hit_is_via_its_query(matcher: Matcher) -> None:
    (rule,) = [m for m in matcher.find("Assassination in Maysan") if m.kind == "rule"]
    assert (rule.entity, rule.via) == ("Maysan killing", RULE.query)
    assert RULE.query in keys_compared(rule).line


def test_stored_hits_carry_via(matcher: Matcher) -> None:
    hits = matcher.match_article("Qays Khazaali in Maysan", "Al-Khazali spoke.")
    assert [(h.field, h.how, h.via) for h in hits] == [
        ("title", "variant", "Qais al-Khazali"), ("title", "exact", "Maysan"),
        ("body", "short form", "Al-Khazali")]
    assert [h.via for h in matcher.hits("AAH and ميسان")] == ["AAH", "ميسان"]


def test_explain_agrees_with_the_matcher_on_the_shipped_watchlist() -> None:
    """Every match the shipped watchlist makes (English and Arabic samples, the spellings
    of tests/test_variants.py) has keys that `keys_compared` shows to agree."""
    from monitor.config import load_config

    config = load_config(Path(__file__).resolve().parents[1] / "config.yaml", env={})
    shipped = Matcher(config.watchlist)
    texts = [
        "Moqtada as-Sadr and Qays al-Khazaly met Hadi al Amiri; Al-Sadr's aides and Kataeb "
        "Hizballah were there, with the PMF in MISSAN and Husayn Allaq.",
        "قال مقتدى الصدر ولقيس الخزعلي إن الحشد الشعبي في ميسان، وقال الصدر أيضاً",
        "Faleh al-Fayadh said the Hashd al-Shaabi and Asaib Ahl al-Haq would stay in Basra.",
    ]
    matches = [m for text in texts for m in shipped.find(text)]
    assert {m.how for m in matches} >= {"exact", "normalised", "variant", "short form"}
    for m in matches:
        assert m.via, m
        assert keys_compared(m).agreed, (m, keys_compared(m))


def test_explain_of_other_rules_does_not_claim_equal_keys() -> None:
    """transliterated and title hits come from rules of other modules: their keys are shown
    as they are, not as equal."""
    across = Match("Qais al-Khazali", "actor", "Qais al-Khazali", 0, 15, "transliterated",
                   via="قيس الخزعلي")
    shown = keys_compared(across)
    assert (shown.alias, shown.text, shown.agreed) == ("قيس الخزعلي", "qais al khazali", "")
    assert "not equal" in shown.line
    titled = Match("Qais al-Khazali", "actor", "Sheikh Qais", 0, 11, "title",
                   via="Qais al-Khazali")
    assert keys_compared(titled).agreed == "" and "not equal" in keys_compared(titled).line
    assert keys_compared(Match("X", "actor", "x", 0, 1, "exact")).line == (
        "no alias recorded for this match")


# ---------------------------------------------------------------- precedence at one place

def test_at_one_place_the_firmest_how_and_a_stable_via_are_kept() -> None:
    firm = [Span(0, 0, 10, how, False, f"alias {how}") for how in HOW_VALUES[:-1]]
    short = Span(0, 0, 10, "short form", True, "short")
    twin = Span(0, 0, 10, "exact", False, "Alias exact")  # ("A" < "a")
    for order in itertools.permutations([*firm, short, twin]):
        assert drop_contained(list(order)) == [twin]
    for how in HOW_VALUES[1:-1]:  # each beats all less firm ones
        rest = [s for s in firm if HOW_VALUES.index(s.how) >= HOW_VALUES.index(how)]
        assert drop_contained([*reversed(rest), short]) == [rest[0]]
    assert drop_contained([short, Span(0, 0, 10, "variant", False, "v")])[0].how == "variant"


def test_a_longer_match_still_contains_a_firmer_shorter_one() -> None:
    spans = [Span(0, 0, 7, "exact", False, "Khazali"), Span(0, 0, 15, "variant", False, "q")]
    assert drop_contained(spans) == [spans[1]]


def test_the_same_span_found_twice_is_kept_once_and_the_output_is_sorted() -> None:
    # Two scans often find the same place (the automaton and the variant trie): one copy
    # survives, whatever order they come in; another entity at the same place stays.
    qais = Span(1, 20, 30, "exact", False, "Qais al-Khazali")
    other = Span(2, 20, 30, "exact", False, "Khazali family")
    earlier = Span(1, 0, 5, "variant", False, "Qais al-Khazali")
    twice = Span(1, 20, 30, "exact", False, "Qais al-Khazali")
    assert twice == qais and hash(twice) == hash(qais) and len({qais, twice}) == 1
    assert qais != other and qais != (1, 20, 30, "exact", False, "Qais al-Khazali")
    for order in itertools.permutations([qais, twice, other, earlier]):
        assert drop_contained(list(order)) == [earlier, qais, other]


# ---------------------------------------------------------------- the store

def hit(via: str = "") -> Hit:
    return Hit("Maysan", "place", "Missan", 0, 6, "**Missan**", "normalised", "body", via)


def test_store_round_trips_via(tmp_path: Path) -> None:
    with Store(tmp_path / "m.db") as store:
        store.add_article(Article(url="https://x.example/1", source="S", title="t",
                                  body="Missan", fetched="2026-01-03T12:00:00+00:00",
                                  hits=[hit("Maysan")]), [])
        (row,) = store.hits_for(1)
        assert (row["how"], row["via"]) == ("normalised", "Maysan")
        (detail,) = store.hit_rows()
        assert detail["via"] == "Maysan"
        store.replace_hits(1, [row["id"]], [hit("Missan")])
        assert [r["via"] for r in store.hits_for(1)] == ["Missan"]


def test_upgrade_keeps_old_hits_with_via_null(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = Database(path)
    migrations.apply(old, stop_before="m012_hit_via")
    old["articles"].insert({"id": 1, "url": "https://x.example/old", "source": "S",
                            "body": "Missan", "fetched": "2026-01-03T12:00:00+00:00"})
    old["hits"].insert({"article_id": 1, "entity": "Maysan", "kind": "place", "field": "body",
                        "matched_text": "Missan", "snippet": "**Missan**", "start": 0,
                        "end": 6, "how": "normalised"})
    old.close()
    with Store(path) as store:
        assert "m012_hit_via" in [m.name for m in migrations.applied(store.db)]
        (row,) = store.hits_for(1)
        assert (row["entity"], row["matched_text"], row["how"], row["via"]) == (
            "Maysan", "Missan", "normalised", None)
        (detail,) = store.hit_rows()
        assert detail["via"] is None and detail["title"] is None and detail["source"] == "S"


def test_rematch_records_via_on_old_hits_found_again(tmp_path: Path) -> None:
    from monitor import rematch

    with Store(tmp_path / "m.db") as store:
        store.add_article(Article(url="https://x.example/1", source="S", title=None,
                                  body="Missan and Basra", fetched="2026-01-03T12:00:00+00:00",
                                  hits=[hit("Missan"), Hit("Basra", "place", "Basra", 11, 16,
                                                           "", via="Basrah")]), [])
        # an old hit: no via, and a how the matcher no longer gives it
        store.db.execute("UPDATE hits SET via = NULL WHERE entity = 'Maysan'")
        assert store.hits_for(1)[0]["how"] == "normalised"
        places = Matcher([Entity("Maysan", "place", ("Maysan", "Missan")),
                          Entity("Basra", "place", ("Basra",))])
        report = rematch.plan(store, places, None)
        assert report.unrecorded_via == [("Missan", "exact", 1)] and report.changes == []
        assert [h["via"] for h in store.hits_for(1)] == [None, "Basrah"]  # a plan only reads
        rematch.apply(store, report)
        # only a missing via is recorded; a stored one is the record of that hit
        assert [(h["via"], h["how"]) for h in store.hits_for(1)] == [
            ("Missan", "exact"), ("Basrah", "exact")]


# ---------------------------------------------------------------- the command line

CONFIG = """
database: monitor.db
sources:
  - {name: S, kind: rss, url: "https://s.example/rss"}
watchlists:
  actors:
    - name: Qais al-Khazali
      aliases: [Qais al-Khazali, قيس الخزعلي]
      short: [Al-Khazali]
  places:
    - name: Maysan
      aliases: [Maysan, Missan, ميسان]
"""


@pytest.fixture()
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def invoke(config: Path, *args: str, text: str = "") -> str:
    result = CliRunner().invoke(cli, [*args, "-c", str(config)], input=text,
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


TEXT = "Qays al-Khazaly in MISSAN; Al-Khazali spoke. وفي ميسان"


def test_match_json_has_via_and_explain_adds_keys(config: Path) -> None:
    (plain,) = map(json.loads, invoke(config, "match", text=TEXT).splitlines())
    assert [(m["how"], m["via"]) for m in plain["matches"]] == [
        ("variant", "Qais al-Khazali"), ("normalised", "Missan"),
        ("short form", "Al-Khazali"), ("exact", "ميسان")]
    assert all("keys" not in m for m in plain["matches"])
    (explained,) = map(json.loads, invoke(config, "match", "--explain", "--format", "json",
                                          text=TEXT).splitlines())
    keys = [m["keys"] for m in explained["matches"]]
    assert [(k["alias"], k["text"], k["agreed"]) for k in keys] == [
        ("qais al khazali", "qays al khazaly", "~ks ~Xzl"), ("missan", "missan", "missan"),
        ("al khazali", "al khazali", "al khazali"), ("ميسان", "ميسان", "ميسان")]


def test_match_explain_prints_one_block_per_match(config: Path) -> None:
    out = invoke(config, "match", "--explain", text=TEXT)
    assert out.splitlines() == [
        "-: 4 matches",
        "  Qais al-Khazali (actor): 'Qays al-Khazaly' at 0-15",
        "    how: variant; via: 'Qais al-Khazali'",
        "    keys: alias key 'qais al khazali' and text key 'qays al khazaly' agree on token "
        "keys '~ks ~Xzl' (~: consonant skeleton, X = kh, G = gh, S = sh/ch; articles "
        "dropped)",
        "  Maysan (place): 'MISSAN' at 19-25",
        "    how: normalised; via: 'Missan'",
        "    keys: alias key 'missan' = text key 'missan'",
        "  Qais al-Khazali (actor): 'Al-Khazali' at 27-37",
        "    how: short form; via: 'Al-Khazali'",
        "    keys: alias key 'al khazali' = text key 'al khazali'",
        "  Maysan (place): 'ميسان' at 49-54",
        "    how: exact; via: 'ميسان'",
        "    keys: alias key 'ميسان' = text key 'ميسان'",
    ]
    assert "keys:" not in invoke(config, "match", "--format", "text", text=TEXT)
    assert invoke(config, "match", "--explain", text="nothing here") == "-: 0 matches\n"
    assert "--explain" in invoke(config, "match", "--help")


def test_hits_show_and_export_show_via(config: Path) -> None:
    with Store(config.parent / "monitor.db") as store:
        store.add_article(Article(url="https://s.example/1", source="S", title="Missan",
                                  body="Missan", fetched="2099-01-03T12:00:00+00:00",
                                  hits=[hit("Missan")]), [])
        store.add_article(Article(url="https://s.example/2", source="S", title="Missan",
                                  body="Missan", fetched="2099-01-03T12:00:00+00:00",
                                  hits=[hit()]), [])
        store.db.execute("UPDATE hits SET via = NULL WHERE article_id = 2")  # an old hit
    rows = json.loads(invoke(config, "hits", "--since", "2099-01-01", "--format", "json"))
    assert sorted((r["article_id"], r["via"]) for r in rows) == [(1, "Missan"), (2, None)]
    shown = invoke(config, "show", "1")
    assert "Maysan (place) in body: 'Missan' normalised via 'Missan'" in shown
    assert "Maysan (place) in body: 'Missan' normalised\n" in invoke(config, "show", "2")
    (line,) = csv.DictReader(io.StringIO(invoke(config, "show", "1", "--format", "csv")))
    assert line["via"] == "Missan"
    exported = list(csv.DictReader(io.StringIO(invoke(config, "export", "--since",
                                                      "2099-01-01"))))
    assert [r["via"] for r in exported] == ["Missan", ""]
