"""Cross-language story linking (monitor/stories/crosslang.py): reports of one event in
English and Arabic join one story; different events sharing an actor, a place or a
casualty count stay apart. Articles are matched with the repository's config.yaml
watchlist (its Arabic aliases), as the daemon would match them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.match.matcher import Matcher
from monitor.models import Article
from monitor.store import Store
from monitor.stories.crosslang import CrossFeatures, agreement, lead_days, lead_numbers

CONFIG = Path(__file__).parent.parent / "config.yaml"
DAY = "2026-03-02"


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    config = load_config(CONFIG)
    return Matcher(config.watchlist, config.rules)


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "m.db") as db:
        yield db


# (source, language, time, title, body): two reports in different languages per case.
Report = tuple[str, str, str, str, str]

KILLING_EN: Report = (
    "Shafaq News (EN)", "en", "T09:10",
    "Saraya al-Salam member assassinated in Amarah",
    "Gunmen shot dead a member of Saraya al-Salam on Monday morning in Amarah, the capital "
    "of Maysan province, and wounded three passers-by, a security source said. The attackers "
    "fled on a motorcycle; police opened an investigation.")
KILLING_AR: Report = (
    "Alsumaria", "ar", "T10:05",
    "اغتيال عنصر في سرايا السلام وسط مدينة العمارة",
    "أفاد مصدر أمني في محافظة ميسان، صباح الاثنين، بأن مسلحين مجهولين اغتالوا عنصرا في "
    "سرايا السلام في مدينة العمارة وأصابوا ثلاثة من المارة، ثم لاذوا بالفرار على دراجة "
    "نارية. وفتحت الشرطة تحقيقا في الحادث.")
# The same actor, the same day: a statement on a football final (no place, no incident).
SADR_KILLING_EN: Report = (
    "Rudaw", "en", "T11:00",
    "Muqtada al-Sadr condemns killing of Saraya al-Salam member in Maysan",
    "Sadrist leader Muqtada al-Sadr condemned on Monday the assassination of a Saraya "
    "al-Salam member in Maysan, in which two people were killed, and urged the security "
    "forces to find the gunmen.")
SADR_FOOTBALL_AR: Report = (
    "Alsumaria", "ar", "T20:30",
    "مقتدى الصدر يهنئ فريق الشرطة بالفوز بنهائي كأس العراق",
    "هنأ زعيم التيار الصدري مقتدى الصدر، مساء الاثنين، فريق الشرطة بفوزه في المباراة "
    "النهائية لكأس العراق بهدفين مقابل هدف، وأشاد بجمهور سرايا السلام الذي ملأ المدرجات.")
SADR_FOOTBALL_BASRA_AR: Report = (
    "Shafaq News (AR)", "ar", "T21:00",
    "مقتدى الصدر يهنئ جمهور البصرة بنهائي الكأس",
    "هنأ مقتدى الصدر، مساء الاثنين، جماهير البصرة بعد المباراة النهائية لكأس العراق التي "
    "أقيمت في ملعب جذع النخلة، وتمنى للمنتخب التوفيق.")
# The same place and actor, two incidents of different kinds.
KH_ROCKET_EN: Report = (
    "Shafaq News (EN)", "en", "T08:00",
    "Rocket attack on Ain al-Asad blamed on Kata'ib Hezbollah",
    "A rocket attack targeted a base in Anbar on Monday; security officials blamed "
    "Kata'ib Hezbollah. No casualties were reported.")
KH_CLASHES_AR: Report = (
    "Alsumaria", "ar", "T15:00",
    "اشتباكات بين الجيش وكتائب حزب الله في الأنبار",
    "اندلعت اشتباكات مسلحة، يوم الاثنين، بين قوة من الجيش وعناصر من كتائب حزب الله عند "
    "نقطة تفتيش في الأنبار، ما أسفر عن إصابة أربعة جنود.")
# The same place, different actors: two incidents.
AAH_MAYSAN_AR: Report = (
    "Alsumaria", "ar", "T12:00",
    "اغتيال ناشط في ميسان واتهام عصائب أهل الحق",
    "اتهم ناشطون عصائب أهل الحق باغتيال ناشط مدني في محافظة ميسان، مساء الاثنين، فيما "
    "فتحت الشرطة تحقيقا في الحادث.")
# The same casualty count, the same actors, different provinces.
PMF_DIYALA_EN: Report = (
    "Shafaq News (EN)", "en", "T07:00",
    "Five PMF fighters killed in Diyala attack, Khazali vows response",
    "Five fighters of the Popular Mobilization Forces were killed on Monday when a roadside "
    "bomb hit their vehicle in Diyala. Qais al-Khazali vowed a response.")
PMF_KIRKUK_AR: Report = (
    "Alsumaria", "ar", "T18:00",
    "مقتل خمسة من الحشد الشعبي بعبوة ناسفة في كركوك",
    "قتل خمسة من مقاتلي الحشد الشعبي، يوم الاثنين، بانفجار عبوة ناسفة استهدفت عجلتهم في "
    "كركوك، وتوعد قيس الخزعلي بالرد.")
PMF_DIYALA_AR: Report = (
    "Alsumaria", "ar", "T08:30",
    "مقتل خمسة من الحشد الشعبي بعبوة ناسفة في ديالى",
    "قتل خمسة من مقاتلي الحشد الشعبي صباح الاثنين بانفجار عبوة ناسفة استهدفت عجلتهم في "
    "ديالى، وتوعد قيس الخزعلي بالرد.")


def make(matcher: Matcher, report: Report, n: int, day: str = DAY) -> Article:
    source, language, time, title, body = report
    stamp = f"{day}{time}:00+00:00"
    return Article(url=f"https://news.example/{n}", source=source, title=title, body=body,
                   fetched=stamp, published=stamp, language=language,
                   hits=matcher.match_article(title, body))


def stories_of(store: Store, matcher: Matcher, *reports: Report) -> list[int]:
    ids = [store.add_article(make(matcher, r, n), []) for n, r in enumerate(reports)]
    return [store.query("SELECT story_id FROM articles WHERE id = ?", [i])[0]["story_id"]
            for i in ids]


# The same actor, place and kind of incident, on another day (reported within 36 hours).
KILLING_SUNDAY_EN: Report = (
    "Shafaq News (EN)", "en", "T08:00",
    "Saraya al-Salam member assassinated in Amarah on Sunday",
    "Gunmen shot dead a member of Saraya al-Salam on Sunday night in Amarah, the capital of "
    "Maysan province, and wounded three passers-by, a security source said on Monday.")
KILLING_TUESDAY_AR: Report = (
    "Alsumaria", "ar", "T22:00",
    "اغتيال عنصر في سرايا السلام وسط مدينة العمارة",
    "أفاد مصدر أمني في محافظة ميسان، مساء الثلاثاء، بأن مسلحين مجهولين اغتالوا عنصرا في "
    "سرايا السلام في مدينة العمارة وأصابوا ثلاثة من المارة.")

# (case, first report, second report, one story?)
TRAPS = [
    ("wire copy in Arabic joins the English story", KILLING_EN, KILLING_AR, True),
    ("English report joins the Arabic story", KILLING_AR, KILLING_EN, True),
    ("Arabic copy of a casualty report joins", PMF_DIYALA_EN, PMF_DIYALA_AR, True),
    ("same actor, same day, football final (no place)", SADR_KILLING_EN, SADR_FOOTBALL_AR,
     False),
    ("same actor, same day, football final in another city", SADR_KILLING_EN,
     SADR_FOOTBALL_BASRA_AR, False),
    ("same actor and place, an incident of another kind", KH_ROCKET_EN, KH_CLASHES_AR, False),
    ("same place, another actor", KILLING_EN, AAH_MAYSAN_AR, False),
    ("same casualty count and actors, another province", PMF_DIYALA_EN, PMF_KIRKUK_AR, False),
    ("same actor, place, kind and count, another day", KILLING_SUNDAY_EN, KILLING_TUESDAY_AR,
     False),
]


@pytest.mark.parametrize(("case", "first", "second", "joined"), TRAPS,
                         ids=[t[0] for t in TRAPS])
def test_cross_language_traps(store: Store, matcher: Matcher, case: str, first: Report,
                              second: Report, joined: bool) -> None:
    a, b = stories_of(store, matcher, first, second)
    assert (a == b) is joined, case


def test_the_fixtures_name_what_the_traps_are_about(matcher: Matcher) -> None:
    """The trap table means something only if the matcher finds the names in both
    scripts: checked here so a watchlist change cannot empty the traps silently."""
    def entities(report: Report) -> set[str]:
        return {h.entity for h in make(matcher, report, 0).hits}

    assert {"Saraya al-Salam", "Amarah", "Maysan"} <= entities(KILLING_EN) & entities(
        KILLING_AR)
    assert {"Muqtada al-Sadr", "Saraya al-Salam"} <= entities(SADR_FOOTBALL_AR)
    assert {"Kata'ib Hezbollah", "Anbar"} <= entities(KH_ROCKET_EN) & entities(KH_CLASHES_AR)
    assert {"Popular Mobilization Forces", "Qais al-Khazali"} <= entities(
        PMF_DIYALA_EN) & entities(PMF_KIRKUK_AR)


def test_two_equally_agreeing_stories_the_report_joins_neither(store: Store,
                                                               matcher: Matcher) -> None:
    """Two English stories the Arabic report agrees with equally (the same actor, place and
    kind of incident): which event it reports cannot be told."""
    morning = (*KILLING_EN[:3], "Saraya al-Salam member assassinated in Amarah",
               "Gunmen killed a Saraya al-Salam member in Amarah, Maysan, at dawn on Monday; "
               "the attackers fled in a white car towards the city's outskirts.")
    evening = ("Rudaw", "en", "T19:00", "Second assassination of the day in Amarah",
               "In a separate attack, another Saraya al-Salam fighter was assassinated on "
               "Monday evening outside a mosque in Amarah, in Maysan province.")
    arabic = (*KILLING_AR[:4], "اغتيال عنصر في سرايا السلام في مدينة العمارة بمحافظة ميسان.")
    a, b, c = stories_of(store, matcher, morning, evening, arabic)
    assert a != b and c not in (a, b)


def test_too_far_apart_in_time_stays_apart(store: Store, matcher: Matcher) -> None:
    first = store.add_article(make(matcher, KILLING_EN, 1), [])
    later = store.add_article(make(matcher, KILLING_AR, 2, day="2026-03-04"), [])  # +2 days
    stories = {r["story_id"] for r in store.query(
        "SELECT story_id FROM articles WHERE id IN (?, ?)", [first, later])}
    assert len(stories) == 2


def test_story_records_languages_and_outlets(store: Store, matcher: Matcher) -> None:
    a, b, c = stories_of(store, matcher, KILLING_EN, KILLING_AR, SADR_KILLING_EN)
    assert a == b
    (story,) = store.query("SELECT * FROM stories WHERE id = ?", [a])
    assert json.loads(story["languages"]) == ["en", "ar"] and story["language_count"] == 2
    assert json.loads(story["sources"]) == ["Shafaq News (EN)", "Alsumaria", *(
        ["Rudaw"] if c == a else [])]


def test_links_survive_a_restart(tmp_path: Path, matcher: Matcher) -> None:
    """The index is rebuilt from story_signatures: the cross-language features too."""
    with Store(tmp_path / "m.db") as first:
        a = first.add_article(make(matcher, KILLING_EN, 1), [])
    with Store(tmp_path / "m.db") as second:
        b = second.add_article(make(matcher, KILLING_AR, 2), [])
        stories = {r["story_id"] for r in second.query(
            "SELECT story_id FROM articles WHERE id IN (?, ?)", [a, b])}
    assert len(stories) == 1


@pytest.mark.parametrize(("title", "body", "language", "numbers"), [
    ("Three killed", "and 12 wounded in 2026", "en", {3, 12}),
    ("مقتل ثلاثة", "وإصابة ١٢ في عام ٢٠٢٦ واربعة اخرين", "ar", {3, 12, 4}),
    ("سێ کوژراو", "", "ckb", {3}),
    ("سێ کوژراو", "", "ku", {3}),
    ("One dead", "one of the 1 people", "en", set()),
    ("ثلاثة", "three", "en", {3}),  # only the article's own language's words
])
def test_lead_numbers(title: str, body: str, language: str, numbers: set[int]) -> None:
    from monitor.match.normalize import normalize_text

    found = lead_numbers(normalize_text(title).text, normalize_text(body).text, language)
    assert found == numbers


@pytest.mark.parametrize(("title", "language", "days"), [
    ("Attack on Monday", "en", {0}),
    ("هجوم مساء الإثنين وآخر فجر الثلاثاء", "ar", {0, 1}),
    ("ڕۆژی دووشەممە", "ckb", {0}),
    ("ڕۆژی شەممە", "ku", {5}),
    ("Attack yesterday", "en", set()),
])
def test_lead_days(title: str, language: str, days: set[int]) -> None:
    from monitor.match.normalize import normalize_text

    assert lead_days(normalize_text(title).text, "", language) == days


def test_agreement_rule_table() -> None:
    def f(actors: str, places: str = "", incidents: str = "", numbers: str = "",
          language: str = "ar") -> CrossFeatures:
        def split(text: str) -> frozenset[str]:
            return frozenset(filter(None, text.split(",")))

        return CrossFeatures(language, split(actors), split(places), split(incidents),
                             frozenset(int(n) for n in split(numbers)))

    killing = f("Sadr,SaS", "Maysan,Amarah", "Assassination", "2", language="en")
    assert agreement(killing, f("Sadr,SaS", "Maysan,Amarah")) > 0  # city and province
    assert agreement(killing, f("Sadr", "Maysan", "Assassination")) > 0  # place and kind
    assert agreement(killing, f("Sadr,SaS", "Maysan")) > 0  # two actors and a place
    assert agreement(killing, f("Sadr", "Maysan")) == 0  # an actor and a place only
    assert agreement(killing, f("Sadr")) == 0  # one actor only
    assert agreement(killing, f("SaS", "", "", "2")) == 0  # one actor and a number
    assert agreement(killing, f("Sadr,SaS", "", "", "2")) == 0  # a number, no incident
    assert agreement(killing, f("Sadr,SaS", "", "Assassination", "2")) > 0  # kind and count
    assert agreement(killing, f("Sadr,SaS", "Basra")) == 0  # places disagree
    assert agreement(killing, f("Sadr,SaS", "Maysan,Amarah", "Curfew")) == 0  # kinds differ
    assert agreement(killing, f("Sadr,SaS", "Maysan,Amarah", "", "7")) == 0  # counts differ
    assert agreement(killing, f("", "Maysan,Amarah", "Assassination", "2")) == 0  # no actor


def test_a_rolled_back_report_is_not_linked_to(store: Store, matcher: Matcher) -> None:
    import sqlite3

    from monitor.models import Hit

    english = make(matcher, KILLING_EN, 1)
    bad = make(matcher, PMF_DIYALA_EN, 2)
    bad.hits = [*bad.hits, Hit("X", "bogus-kind", "X", 0, 1, "")]
    with pytest.raises(sqlite3.IntegrityError):
        store.add_articles([english, bad], [])  # undone, its story too
    arabic = store.add_article(make(matcher, KILLING_AR, 3), [])
    (story,) = store.query("SELECT id, sources, languages FROM stories")
    assert json.loads(story["sources"]) == ["Alsumaria"]
    assert store.query("SELECT story_id FROM articles WHERE id = ?", [arabic])[0][
        "story_id"] == story["id"]
    # Stored again, the English report joins the Arabic story.
    again = store.add_article(make(matcher, KILLING_EN, 1), [])
    assert store.query("SELECT story_id FROM articles WHERE id = ?", [again])[0][
        "story_id"] == story["id"]


# Kurdish (Sorani) where the watchlist has Kurdish names: config.yaml has none for actors,
# so these tests give the entities their Kurdish aliases.
KURDISH_WATCHLIST = [
    ("Kurdistan Democratic Party", "actor", ("Kurdistan Democratic Party",
                                             "پارتی دیموکراتی کوردستان")),
    ("Erbil", "place", ("Erbil", "هەولێر")),
    ("Duhok", "place", ("Duhok", "دهۆک")),
]
KDP_ERBIL_EN: Report = (
    "Rudaw (EN)", "en", "T09:00", "Three KDP members killed in Erbil blast",
    "Three members of the Kurdistan Democratic Party were killed on Monday when a bomb "
    "exploded near a party office in Erbil, security officials said.")
KDP_ERBIL_CKB: Report = (
    "Rudaw (KU)", "ckb", "T10:30", "سێ ئەندامی پارتی دیموکراتی کوردستان لە هەولێر کوژران",
    "سێ ئەندامی پارتی دیموکراتی کوردستان ڕۆژی دووشەممە بە تەقینەوەیەک لە نزیک بنکەیەکی "
    "پارت لە هەولێر کوژران.")
KDP_DUHOK_CKB: Report = (
    "Rudaw (KU)", "ckb", "T16:00", "سێ ئەندامی پارتی دیموکراتی کوردستان لە دهۆک کوژران",
    "سێ ئەندامی پارتی دیموکراتی کوردستان ڕۆژی دووشەممە لە دهۆک کوژران.")


@pytest.mark.parametrize(("second", "joined"), [(KDP_ERBIL_CKB, True), (KDP_DUHOK_CKB, False)],
                         ids=["Kurdish report of the event joins",
                              "same actor and count in another city stays apart"])
def test_kurdish_reports(store: Store, second: Report, joined: bool) -> None:
    from monitor.config import Entity

    kurdish = Matcher([Entity(name, kind, aliases) for name, kind, aliases in KURDISH_WATCHLIST])
    a, b = stories_of(store, kurdish, KDP_ERBIL_EN, second)
    assert (a == b) is joined
