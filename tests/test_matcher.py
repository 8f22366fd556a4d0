"""monitor.match.Matcher: what counts as a mention, and where it is."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.config import Entity
from monitor.match import Matcher, make_snippet
from monitor.models import Hit, Match

AAH = Entity("Asa'ib Ahl al-Haq", "actor",
             ("Asa'ib Ahl al-Haq", "AAH", "عصائب أهل الحق", "العصائب"))
SADR = Entity("Muqtada al-Sadr", "actor",
              ("Muqtada al-Sadr", "al-Sadr", "مقتدى الصدر", "الصدر"),
              exclude=("Sadr City", "مدينة الصدر"))
KHAZALI = Entity("Qais al-Khazali", "actor", ("Qais al-Khazali", "الخزعلي"))
PMF = Entity("Popular Mobilization Forces", "actor",
             ("Popular Mobilization Forces", "PMF", "الحشد الشعبي"))
BADR = Entity("Badr Organization", "actor", ("Badr Organization", "Badr"))
JAM = Entity("Jaish al-Mahdi", "actor", ("Jaish al-Mahdi", "JAM"))
SADR_CITY = Entity("Sadr City", "place", ("Sadr City", "مدينة الصدر"))
ASSASSINATION = Entity("assassination", "keyword", ("assassinat*", "shot dead", "اغتيال*"))
WATCHLIST = (AAH, SADR, KHAZALI, PMF, BADR, JAM, SADR_CITY, ASSASSINATION)
_MATCHER = Matcher(WATCHLIST)  # for property tests, which cannot take function fixtures


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(WATCHLIST)


def found(matcher: Matcher, text: str) -> list[tuple[str, str]]:
    return [(m.entity, m.text) for m in matcher.find(text)]


# ---------------------------------------------------------------- spelling variants


@pytest.mark.parametrize("text", [
    "Asaib Ahl Al-Haq", "Asa’ib Ahl al-Haq", "ASA'IB AHL AL-HAQ", "asa`ib ahl al haq",
    "Asa'ib  Ahl\nal–Haq",
])
def test_latin_spelling_variants(matcher: Matcher, text: str) -> None:
    assert found(matcher, f"Fighters of {text} said.") == [(AAH.name, text)]


def test_exact_versus_normalised(matcher: Matcher) -> None:
    exact, normalised = matcher.find("Asa'ib Ahl al-Haq and ASAIB AHL AL HAQ")
    assert exact.how == "exact"
    assert normalised.how == "normalised"


def test_arabic_harakat_and_hamza_forms(matcher: Matcher) -> None:
    assert found(matcher, "قال مُقْتَدَى الصَّدْر اليوم") == [(SADR.name, "مُقْتَدَى الصَّدْر")]
    assert found(matcher, "عصائب اهل الحق") == [(AAH.name, "عصائب اهل الحق")]
    assert found(matcher, "مقتدى الصـــدر") == [(SADR.name, "مقتدى الصـــدر")]


def test_arabic_alif_maqsura_and_persian_yeh(matcher: Matcher) -> None:
    assert [m.entity for m in matcher.find("مقتدي الصدر")] == [SADR.name]
    assert [m.entity for m in matcher.find("مقتدی الصدر")] == [SADR.name]


def test_case_and_kind(matcher: Matcher) -> None:
    (match,) = matcher.find("QAIS AL-KHAZALI")
    assert (match.entity, match.kind, match.how) == (KHAZALI.name, "actor", "normalised")
    (match,) = matcher.find("in Sadr City")
    assert (match.entity, match.kind) == (SADR_CITY.name, "place")


# ---------------------------------------------------------------- acronyms


def test_acronym_is_case_sensitive(matcher: Matcher) -> None:
    assert found(matcher, "AAH said") == [(AAH.name, "AAH")]
    assert found(matcher, "aah said, Aah said") == []
    assert found(matcher, "a JAM commander") == [(JAM.name, "JAM")]
    assert found(matcher, "a jam session, Jam tomorrow") == []


def test_acronym_needs_a_whole_token(matcher: Matcher) -> None:
    # A plural is a different token: "PMFs" is not reported (decision, see matcher.py).
    assert found(matcher, "PMFs and XPMF and PMF1") == []
    assert found(matcher, "(PMF), PMF's, PMF.") == [(PMF.name, "PMF")] * 3


# ---------------------------------------------------------------- tokens and overlaps


def test_whole_words_only(matcher: Matcher) -> None:
    assert found(matcher, "Badri and Abadr met") == []
    assert found(matcher, "Badr, and badr.") == [(BADR.name, "Badr"), (BADR.name, "badr")]
    assert found(matcher, "العصائبي") == []


def test_longest_match_of_an_entity_wins(matcher: Matcher) -> None:
    assert found(matcher, "the Badr Organization said") == [(BADR.name, "Badr Organization")]
    assert found(matcher, "Muqtada al-Sadr") == [(SADR.name, "Muqtada al-Sadr")]


def test_possessive_does_not_break_a_match(matcher: Matcher) -> None:
    assert found(matcher, "al-Sadr's movement, al-Sadr’s men") == [
        (SADR.name, "al-Sadr"), (SADR.name, "al-Sadr")]
    assert found(matcher, "al-Sadrs") == []


def test_results_are_sorted_by_start(matcher: Matcher) -> None:
    matches = matcher.find("PMF and AAH and Badr, then Asa'ib Ahl al-Haq and PMF")
    assert [m.start for m in matches] == sorted(m.start for m in matches)
    assert len(matches) == 5


# ---------------------------------------------------------------- Arabic proclitics


@pytest.mark.parametrize(("text", "entity", "name"), [
    ("لعصائب أهل الحق", AAH.name, "عصائب أهل الحق"),
    ("وعصائب أهل الحق", AAH.name, "عصائب أهل الحق"),
    ("بالصدر", SADR.name, "الصدر"),
    ("وبالصدر", SADR.name, "الصدر"),
    ("فالعصائب", AAH.name, "العصائب"),
    ("كالخزعلي", KHAZALI.name, "الخزعلي"),
    # لِ + ال is written لل: the span is the name minus the article's alef.
    ("للحشد الشعبي", PMF.name, "لحشد الشعبي"),
    ("وللعصائب", AAH.name, "لعصائب"),
])
def test_proclitics_are_stripped(matcher: Matcher, text: str, entity: str, name: str) -> None:
    (match,) = matcher.find(f"قال {text} اليوم")
    assert (match.entity, match.text) == (entity, name)


def test_not_every_prefix_is_a_proclitic(matcher: Matcher) -> None:
    assert found(matcher, "سالصدر تالعصائب") == []


# ---------------------------------------------------------------- excludes


def test_exclude_phrase_suppresses_only_its_entity(matcher: Matcher) -> None:
    assert found(matcher, "A blast in Sadr City.") == [(SADR_CITY.name, "Sadr City")]
    assert found(matcher, "انفجار في مدينة الصدر") == [(SADR_CITY.name, "مدينة الصدر")]
    assert found(matcher, "انفجار بمدينة الصدر") == [(SADR_CITY.name, "مدينة الصدر")]


def test_exclude_does_not_hide_other_mentions(matcher: Matcher) -> None:
    text = "al-Sadr visited Sadr City; الصدر في مدينة الصدر"
    assert found(matcher, text) == [
        (SADR.name, "al-Sadr"), (SADR_CITY.name, "Sadr City"),
        (SADR.name, "الصدر"), (SADR_CITY.name, "مدينة الصدر")]


def test_exclude_applies_without_the_entity_named_alike() -> None:
    # Sadr with "Sadr" as alias: the "Sadr" of "Sadr City" is what the exclude removes.
    sadr = Entity("Muqtada al-Sadr", "actor", ("Muqtada al-Sadr", "Sadr"), ("Sadr City",))
    m = Matcher([sadr])
    assert found(m, "Sadr City, Sadr") == [(sadr.name, "Sadr")]
    assert m.find("Sadr City, Sadr")[0].start == 11


# ---------------------------------------------------------------- keywords


def test_keyword_prefix_extends_to_end_of_word(matcher: Matcher) -> None:
    text = "an assassination; Assassinated; assassinat; preassassination; واغتيالات"
    assert found(matcher, text) == [
        (ASSASSINATION.name, "assassination"), (ASSASSINATION.name, "Assassinated"),
        (ASSASSINATION.name, "assassinat"), (ASSASSINATION.name, "اغتيالات")]
    matches = matcher.find(text)
    assert [m.kind for m in matches] == ["keyword"] * 4
    assert [m.how for m in matches] == ["exact", "normalised", "exact", "exact"]


def test_keyword_phrase(matcher: Matcher) -> None:
    assert found(matcher, "He was shot  dead; shot deadly") == [(ASSASSINATION.name, "shot  dead")]


# ---------------------------------------------------------------- offsets


@pytest.mark.parametrize("prefix", [
    "😀😀 ", "Straße ", "ﬁnal ﬂag ", "ﻻ ", "İİ ", "e\u0301\u0301 ", "\u200f\u202a ", "ＡＢＣ ",
    "مُقْتَدَى ", "a’b‘c ", "\ud800 ",
])
def test_offsets_after_length_changing_text(matcher: Matcher, prefix: str) -> None:
    text = prefix + "Qais al-Khazali met PMF"
    khazali, pmf = matcher.find(text)
    assert (khazali.start, khazali.end) == (len(prefix), len(prefix) + 15)
    assert text[khazali.start:khazali.end] == "Qais al-Khazali"
    assert (pmf.start, pmf.text) == (len(prefix) + 20, "PMF")


def test_match_made_of_expanding_characters() -> None:
    m = Matcher([Entity("Strasse", "place", ("Strasse",)),
                 Entity("fine", "keyword", ("fine",))])
    text = "x STRAẞE ﬁne"
    assert [(x.entity, x.start, x.end, x.text) for x in m.find(text)] == [
        ("Strasse", 2, 8, "STRAẞE"), ("fine", 9, 12, "ﬁne")]


_WORDS = ["Asa'ib Ahl al-Haq", "AAH", "aah", "PMF", "PMFs", "مقتدى الصدر", "لعصائب أهل الحق",
          "للحشد الشعبي", "Sadr City", "al-Sadr's", "assassinated", "ß", "ﬁ", "😀", "ﻻ",
          "\u0301", "\u200c", "’", "-", " ", "\n", "بالصدر", "Badr", "x"]


@given(st.lists(st.one_of(st.sampled_from(_WORDS), st.text(max_size=4)), max_size=30))
@settings(max_examples=300)
def test_every_match_indexes_the_text_as_given(parts: list[str]) -> None:
    text = "".join(parts)
    matches = _MATCHER.find(text)
    for m in matches:
        assert 0 <= m.start < m.end <= len(text)
        assert text[m.start:m.end] == m.text
    assert [m.start for m in matches] == sorted(m.start for m in matches)


@given(st.text())
def test_find_never_raises(text: str) -> None:
    assert all(isinstance(m, Match) for m in _MATCHER.find(text))


def test_edge_inputs() -> None:
    assert _MATCHER.find("") == []
    assert Matcher([]).find("anything AAH") == []
    assert Matcher([]).hits("") == []
    assert _MATCHER.find("\ud800AAH\udfff") == [
        Match(AAH.name, "actor", "AAH", 1, 4, "exact", via="AAH")]
    big = "PMF " * 50_000
    assert len(_MATCHER.find(big)) == 50_000


# ---------------------------------------------------------------- problems


def test_problems_report_collisions_between_entities() -> None:
    a = Entity("Kata'ib Hezbollah", "actor", ("Kata'ib Hezbollah", "Kataib Hizballah", "KH"))
    b = Entity("Hezbollah Brigades", "actor",
               ("Hezbollah Brigades", "KATAIB HIZBALLAH", "Kata’ib Hizballah"))
    m = Matcher([a, b])
    assert len(m.problems) == 1
    assert "kataib hizballah" in m.problems[0]
    assert a.name in m.problems[0] and b.name in m.problems[0]
    # Both entities are reported for the ambiguous name.
    assert [x.entity for x in m.find("Kataib Hizballah")] == [a.name, b.name]


def test_same_alias_twice_in_one_entity_is_not_a_problem() -> None:
    m = Matcher([Entity("Asa'ib Ahl al-Haq", "actor", ("Asa'ib Ahl al-Haq", "Asaib Ahl al-Haq"))])
    assert m.problems == []
    assert len(m.find("Asaib Ahl al-Haq")) == 1


def test_problems_report_short_aliases_but_not_acronyms() -> None:
    m = Matcher([Entity("Kata'ib Hezbollah", "actor", ("Kata'ib Hezbollah", "KH", "kh")),
                 Entity("x", "keyword", ("ab*", "- -"))])
    assert len(m.problems) == 3
    assert "'kh' is too short" in m.problems[0]
    assert "'ab*' is too short" in m.problems[1]
    assert "empty after normalisation" in m.problems[2]


def test_problems_report_duplicate_acronyms() -> None:
    m = Matcher([Entity("A", "actor", ("Alpha", "KH")), Entity("B", "actor", ("Beta", "KH"))])
    assert len(m.problems) == 1 and "'KH'" in m.problems[0]


# ---------------------------------------------------------------- hits and snippets


def test_hits_carry_the_sentence(matcher: Matcher) -> None:
    text = ("Earlier news. Gen. Smith said AAH fighters moved, officials said! "
            "Later news.")
    (hit,) = matcher.hits(text, field="title")
    assert isinstance(hit, Hit)
    assert (hit.entity, hit.kind, hit.matched_text, hit.how, hit.field) == (
        AAH.name, "actor", "AAH", "exact", "title")
    assert text[hit.start:hit.end] == "AAH"
    assert hit.snippet == "Gen. Smith said ⟦AAH⟧ fighters moved, officials said!"


def test_snippet_stops_at_paragraphs_and_arabic_question_mark() -> None:
    text = "أين الصدر؟ قال الخزعلي إن\nالعصائب جاهزة"
    start = text.index("الخزعلي")
    assert make_snippet(text, start, start + 7) == "قال ⟦الخزعلي⟧ إن"


@given(st.lists(st.sampled_from(["a", "ع", ".", " ", "  ", "\n", "\t", "\r", "\u00a0", "\u2009",
                                  "\u2028", "\x1c", "\x85", "\u3000", "\u200b", "\ufeff"]))
       .map("".join))
def test_snippet_whitespace_collapse_shortcut_agrees_with_the_regex(text: str) -> None:
    import re

    from monitor.match.snippet import _clean
    assert _clean(text) == re.sub(r"\s+", " ", text)


def test_snippet_is_bounded_in_a_long_sentence() -> None:
    words = " ".join(f"word{i}" for i in range(200))
    text = f"{words} PMF {words}"
    start = text.index("PMF")
    snippet = make_snippet(text, start, start + 3)
    assert "⟦PMF⟧" in snippet
    assert snippet.startswith("…") and snippet.endswith("…")
    assert len(snippet) <= 300 + 4
    # Cut at word boundaries: no partial "wordN" at either edge.
    assert snippet[1:].split()[0] in words.split()
    assert snippet[:-1].split()[-1] in words.split()


# ---------------------------------------------------------------- article level


def _article(title: str, body: str) -> object:
    from monitor.models import Article
    return Article(url="https://example.test/a", source="test", title=title, body=body,
                   fetched="2026-01-03T00:00:00Z")


def test_short_form_in_body_licensed_by_title() -> None:
    sadr = Entity("Muqtada al-Sadr", "actor", ("Muqtada al-Sadr",), short=("al-Sadr",))
    m = Matcher([sadr])
    hits = m.match_article("Moqtada al-Sadr urges calm", "Al-Sadr said the killers ...")
    assert [(h.field, h.matched_text, h.how) for h in hits] == [
        ("title", "Moqtada al-Sadr", "variant"), ("body", "Al-Sadr", "short form")]
    assert m.match_article("Calm in Amarah", "Al-Sadr said") == []
    assert m.match_article(None, "") == []


def test_pipeline_match_article_uses_the_article_level() -> None:
    from monitor.prepare import match_article
    sadr = Entity("Muqtada al-Sadr", "actor", ("Muqtada al-Sadr",), short=("al-Sadr",))
    hits = match_article(Matcher([sadr]), _article("Muqtada al-Sadr", "al-Sadr spoke"))
    assert [(h.field, h.matched_text) for h in hits] == [
        ("title", "Muqtada al-Sadr"), ("body", "al-Sadr")]


def test_hits_are_identical_twice_and_after_a_store_round_trip(tmp_path: Path) -> None:
    from monitor.config import Rule
    from monitor.prepare import match_article
    from monitor.store import Store

    sadr = Entity("Muqtada al-Sadr", "actor", ("Muqtada al-Sadr", "مقتدى الصدر"),
                  short=("al-Sadr", "الصدر"))
    m = Matcher([*WATCHLIST, sadr], [Rule("near", '"Khazali" NEAR/5 "AAH"')])
    title = "Moqtada al-Sadr and Qais al-Khazali — “talks”"
    body = ("Asa’ib Ahl al-Haq (AAH) met al-Sadr’s aides; Khazali of AAH spoke.\n\n"
            "وقال مُقتدى الصدر إن الصدر لن يشارك. اغتيال في مدينة الصدر ﻻ")
    article = _article(title, body)
    first = match_article(m, article)
    assert first == match_article(m, article)
    article.hits = first
    store = Store(tmp_path / "m.db")
    article_id = store.add_article(article, [])
    assert article_id is not None
    stored = store.article(article_id)
    again = m.match_article(stored["title"], stored["body"])
    assert again == first
    rows = store.hits_for(article_id)
    # The store may fold repeated hits of one entity; whatever it keeps is what we found.
    assert {(r["field"], r["start"], r["end"], r["entity"]) for r in rows} <= {
        (h.field, h.start, h.end, h.entity) for h in first}
    store.close()


# ---------------------------------------------------------------- fast paths and their references


_NAMES = Matcher([
    *WATCHLIST,
    Entity("Hussein al-Allaq", "actor", ("Hussein al-Allaq", "حسين العلاق")),
    Entity("Falih al-Fayyadh", "actor", ("Falih al-Fayyadh", "Faleh Alfayyadh")),
    Entity("Abu Fadak al-Mohammedawi", "actor", ("Abu Fadak al-Mohammedawi", "أبو فدك")),
    Entity("Said al-Shuhada", "actor", ("Kataib Sayyid al-Shuhada", "Said al-Shuhada")),
])
# Pieces of names, case and punctuation variants, and the characters the fast normalisation
# rewrites (non-ASCII capitals, apostrophes, dashes, harakat, expansions).
_PIECES = ["Hussein", "HUSSEIN", "hussein", "Husayn", "Ḥusayn", "Al-Allaq", "al", "Allaq",
           "Alaq", "Falih", "Faleh", "Fāliḥ", "Alfayyadh", "Fayyadh", "Fayyad", "Said", "Sayyid",
           "Shuhada", "Kataib", "Kata'ib", "Qais", "Khazali", "KHAZALI", "Muqtada", "Sadr",
           "Sadr’s", "Abu", "Fadak", "Mohammedawi", "AAH", "PMF", "ẞ", "ǅ", "Ⓐ", "İ",
           "حسين", "العلاق", "وللعصائب", "بالصدر", "أبا", "فدك", "مُقتدى", "ـ"]
_SEPARATORS = [" ", " ", "  ", "-", "’", "'", ", ", ". ", "\n\n", "\u00a0", "\u200c", "—", ""]


@given(st.lists(st.tuples(st.sampled_from(_PIECES), st.sampled_from(_SEPARATORS)),
                max_size=25))
@settings(max_examples=400)
def test_fast_scans_agree_with_the_reference_path(parts: list[tuple[str, str]]) -> None:
    """The fast normalisation and the capital-led variant scan give what the exact
    normalisation and the token-by-token reference scan (`_name_starts_exact`) give."""
    from unittest import mock

    from monitor.match import matcher as module
    from monitor.match.normalize import _normalize_exact

    text = "".join(piece + sep for piece, sep in parts)
    fast = _NAMES.find(text)
    with mock.patch.object(module, "normalize_text", _normalize_exact):
        assert _NAMES.find(text) == fast


def test_fast_variant_scan_examples() -> None:
    def names(text: str) -> list[tuple[str, str, str]]:
        return [(m.entity, m.text, m.how) for m in _NAMES.find(text)]

    assert names("Ḥusayn al-ʿAllaq said") == [
        ("Hussein al-Allaq", "Ḥusayn al-ʿAllaq", "variant")]
    assert names("HUSSEIN ALLAQ; hussein allaq") == [
        ("Hussein al-Allaq", "HUSSEIN ALLAQ", "variant")]  # a name starts with a capital
    assert names("Fāliḥ Alfayyadh’s aides") == [
        ("Falih al-Fayyadh", "Fāliḥ Alfayyadh", "variant")]
    assert names("Said, al-Shuhada. Said al-Shuhada") == [
        ("Said al-Shuhada", "Said al-Shuhada", "exact")]


def test_variant_caches_can_be_replaced_mid_text(monkeypatch: pytest.MonkeyPatch) -> None:
    from monitor.match import names as module

    text = "Husayn Allaq met Faleh Fayyadh, Said al-Shuhada and Hussein al-Allaq. " * 3
    expected = _NAMES.find(text)
    monkeypatch.setattr(module, "_TOKEN_CACHE_LIMIT", 1)
    monkeypatch.setattr(module, "_STEP_CACHE_LIMIT", 1)
    fresh = Matcher(_NAMES._entities)
    assert fresh.find(text) == expected
    assert fresh.find(text) == expected


_AR = ["ال", "ل", "و", "ف", "ب", "ك", "حشد", "الحشد", "بغداد", "لحشد", " ", "x"]


@given(st.lists(st.sampled_from(_AR), max_size=12))
@settings(max_examples=300)
def test_proclitics_checked_at_match_time_agree_with_indexed_forms(parts: list[str]) -> None:
    """The reference: every proclitic form of each key indexed whole (as the matcher once
    did), matched at token starts."""
    import re

    aliases = {"الحشد": "Hashd", "بغداد": "Baghdad", "لحشد": "Lhashd"}
    m = Matcher([Entity(name, "place", (alias,)) for alias, name in aliases.items()])
    text = "".join(parts)
    expected = set()
    for alias, name in aliases.items():
        forms = [("", alias)]
        for conj in ("", "و", "ف"):
            for prep in ("", "ب", "ك", "ل"):
                if conj or prep:
                    lam = prep == "ل" and alias.startswith("ال")
                    forms.append((conj + "ل", alias[1:]) if lam else (conj + prep, alias))
        for proclitic, rest in forms:
            for hit in re.finditer(f"(?<!\\w){proclitic}({rest})(?!\\w)", text):
                expected.add((name, hit.start(1), hit.end(1)))
    assert {(x.entity, x.start, x.end) for x in m.find(text)} == expected


# ---------------------------------------------------------------- the automaton


_KEY_CHARS = st.sampled_from("ab\u0627\ud800\uffff")


@given(st.lists(st.text(_KEY_CHARS, min_size=1, max_size=4), max_size=8, unique=True),
       st.text(_KEY_CHARS, max_size=30))
@settings(max_examples=300)
def test_automaton_reports_every_occurrence(keys: list[str], text: str) -> None:
    from monitor.match.automaton import Automaton

    expected = sorted((i, s, s + len(k)) for i, k in enumerate(keys)
                      for s in range(len(text)) if text.startswith(k, s))
    assert sorted(Automaton(keys).find(text)) == expected


def test_make_match_is_the_frozen_dataclass_field_by_field() -> None:
    # make_match builds a Match without its __init__ (speed): it must stay the same object,
    # and a field added to Match must be added there too.
    import dataclasses

    from monitor.match.matcher import make_match

    values = {"entity": "Qais al-Khazali", "kind": "actor", "text": "قيس الخزعلي",
              "start": 3, "end": 14, "how": "transliterated", "via": "Qais al-Khazali"}
    assert [f.name for f in dataclasses.fields(Match)] == list(values)
    made = make_match(*values.values())
    assert made == Match(**values) and hash(made) == hash(Match(**values))
    assert dataclasses.asdict(made) == values and type(made) is Match
    assert make_match("a", "place", "a", 0, 1) == Match("a", "place", "a", 0, 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.start = 0  # type: ignore[misc]
