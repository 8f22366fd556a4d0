"""What an alert shows (monitor/alerts/layout.py): each entity once, its best sentence, the
order people → groups → keywords/rules → places; the subject line; invisible characters."""

from __future__ import annotations

import asyncio
import email
import email.policy
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest

from monitor.alerts import AlertMessage, Report, build_email, build_payload
from monitor.alerts.blockkit import block_kit_problems
from monitor.alerts.dispatch import dispatch_pending
from monitor.alerts.email import build_html, build_subject, build_text
from monitor.alerts.layout import EntityLine, Mention, alert_layout
from monitor.alerts.message import one_line
from monitor.config import EmailChannel
from monitor.match.snippet import make_snippet
from monitor.models import Hit
from monitor.store import Store
from tests.receivers import SlackReceiver

RLI, PDI = "\u2067", "\u2069"


def h(entity: str, snippet: str, kind: str = "actor", start: int = 0,
      field: str = "body") -> Hit:
    return Hit(entity=entity, kind=kind, matched_text=entity, start=start, end=start + 1,
               snippet=snippet, field=field)


def alert(*hits: Hit, title: str = "Headline", language: str = "en",
          people: frozenset[str] = frozenset(), **extra: object) -> AlertMessage:
    return AlertMessage(title=title, url="https://news.example/1", source="Shafaq News",
                        published="2024-05-01T09:30:00Z", hits=hits, language=language,
                        people=people, **extra)  # type: ignore[arg-type]


def lines(message: AlertMessage) -> list[tuple[list[str], str, bool]]:
    return [([f"{m.name}×{m.count}" for m in line.mentions], line.snippet, line.in_title)
            for line in alert_layout(message).lines]


# ---------------------------------------------------------------- the best sentence

SADR = "Muqtada al-Sadr"
SALAM = "Saraya al-Salam"

# (case, hits, expected lines: ([names×count], snippet, in headline))
SNIPPET_CHOICE = [
    ("the sentence naming most watched entities beats an earlier one",
     [h(SADR, "Earlier, ⟦Muqtada al-Sadr⟧ spoke.", start=10),
      h(SADR, "⟦Muqtada al-Sadr⟧ ordered Saraya al-Salam into Basra.", start=90),
      h(SALAM, "Muqtada al-Sadr ordered ⟦Saraya al-Salam⟧ into Basra.", start=110),
      h("Basra", "Muqtada al-Sadr ordered Saraya al-Salam into ⟦Basra⟧.", "place", 135)],
     [([f"{SADR}×2", f"{SALAM}×1"],
       "⟦Muqtada al-Sadr⟧ ordered ⟦Saraya al-Salam⟧ into ⟦Basra⟧.", False)]),
    ("a body sentence beats the title, even when the title names more",
     [h(SADR, "⟦Muqtada al-Sadr⟧ and Saraya al-Salam", field="title"),
      h(SALAM, "Muqtada al-Sadr and ⟦Saraya al-Salam⟧", field="title", start=20),
      h(SADR, "On Monday ⟦Muqtada al-Sadr⟧ spoke.", start=50)],
     [([f"{SADR}×2"], "On Monday ⟦Muqtada al-Sadr⟧ spoke.", False),
      ([f"{SALAM}×1"], "⟦Muqtada al-Sadr⟧ and ⟦Saraya al-Salam⟧", True)]),
    ("equal sentences: the earliest in the body",
     [h(SADR, "Later ⟦Muqtada al-Sadr⟧ left.", start=300),
      h(SADR, "First ⟦Muqtada al-Sadr⟧ came.", start=20)],
     [([f"{SADR}×2"], "First ⟦Muqtada al-Sadr⟧ came.", False)]),
    ("one sentence, two mentions of one entity: one line, both marked, counted twice",
     [h(SADR, "⟦Sadr⟧ said Sadr would win.", start=0),
      h(SADR, "Sadr said ⟦Sadr⟧ would win.", start=10)],
     [([f"{SADR}×2"], "⟦Sadr⟧ said ⟦Sadr⟧ would win.", False)]),
    ("old ** marks and new ⟦⟧ marks of one sentence are one sentence",
     [h(SADR, "**Muqtada al-Sadr** met Saraya al-Salam.", start=0),
      h(SALAM, "Muqtada al-Sadr met ⟦Saraya al-Salam⟧.", start=20)],
     [([f"{SADR}×1", f"{SALAM}×1"], "⟦Muqtada al-Sadr⟧ met ⟦Saraya al-Salam⟧.", False)]),
    ("a place alone in its sentence never gets a line",
     [h(SADR, "⟦Muqtada al-Sadr⟧ spoke.", start=0),
      h("Basra", "Rain fell in ⟦Basra⟧.", "place", start=40)],
     [([f"{SADR}×1"], "⟦Muqtada al-Sadr⟧ spoke.", False)]),
    ("Arabic: the sentence with both groups beats the first mention",
     [h("Asa'ib Ahl al-Haq", "قالت ⟦عصائب أهل الحق⟧ إنها سترد.", start=5),
      h("Asa'ib Ahl al-Haq", "اشتبكت ⟦عصائب أهل الحق⟧ مع سرايا السلام في ميسان.", start=80),
      h(SALAM, "اشتبكت عصائب أهل الحق مع ⟦سرايا السلام⟧ في ميسان.", start=100),
      h("Maysan", "اشتبكت عصائب أهل الحق مع سرايا السلام في ⟦ميسان⟧.", "place", 115)],
     [(["Asa'ib Ahl al-Haq×2", f"{SALAM}×1"],
       "اشتبكت ⟦عصائب أهل الحق⟧ مع ⟦سرايا السلام⟧ في ⟦ميسان⟧.", False)]),
    ("Arabic: a body sentence beats the headline",
     [h(SADR, "⟦مقتدى الصدر⟧ يأمر سرايا السلام", field="title"),
      h(SALAM, "مقتدى الصدر يأمر ⟦سرايا السلام⟧", field="title", start=17),
      h(SALAM, "انسحبت ⟦سرايا السلام⟧ من البصرة.", start=40)],
     [([f"{SALAM}×2"], "انسحبت ⟦سرايا السلام⟧ من البصرة.", False),
      ([f"{SADR}×1"], "⟦مقتدى الصدر⟧ يأمر ⟦سرايا السلام⟧", True)]),
]


@pytest.mark.parametrize(("case", "hits", "expected"), SNIPPET_CHOICE,
                         ids=[c[0] for c in SNIPPET_CHOICE])
def test_snippet_choice(case: str, hits: list[Hit], expected: list[object]) -> None:
    assert lines(alert(*hits)) == expected


def test_order_people_groups_keywords_places() -> None:
    message = alert(
        h("Maysan", "in ⟦Maysan⟧.", "place", 0), h("Maysan", "to ⟦Maysan⟧.", "place", 5),
        h("drone strike", "a ⟦drone strike⟧ hit.", "keyword", 10),
        h(SALAM, "⟦Saraya al-Salam⟧ moved.", start=20),
        h("Basra", "in ⟦Basra⟧ too.", "place", 25),
        h("Clashes in Maysan", "clashes ⟦in Maysan⟧.", "rule", 30),
        h(SADR, "⟦Muqtada al-Sadr⟧ spoke.", start=40),
        people=frozenset({SADR.casefold()}))
    layout = alert_layout(message)
    assert [m.name for line in layout.lines for m in line.mentions] == [
        SADR, SALAM, "drone strike", "Clashes in Maysan"]
    assert layout.places == (Mention("Maysan", 2), Mention("Basra", 1))  # most named first
    assert message.named() == [SADR, SALAM, "drone strike", "Clashes in Maysan"]
    # Without the people list every actor is a group: the order is by mentions, then first.
    assert alert_layout(alert(*message.hits)).lines[0] == EntityLine(
        (Mention(SALAM, 1),), "⟦Saraya al-Salam⟧ moved.", False)


# ---------------------------------------------------------------- subject line


@pytest.mark.parametrize(("names", "title", "expected"), [
    (["Qais al-Khazali"], "Khazali warns", "Qais al-Khazali — Khazali warns"),
    ([SADR, SALAM, "Qais al-Khazali", "Kata'ib Hezbollah", "PMF"], "Sadr speaks",
     f"{SADR}, {SALAM}, Qais al-Khazali +2 — Sadr speaks"),
    # Long names: fewer than three, so that the headline keeps its room.
    (["Patriotic Shiite Movement (Sadrist Movement)", "Harakat Hezbollah al-Nujaba",
      "Kata'ib Sayyid al-Shuhada"], "Statement",
     "Patriotic Shiite Movement (Sa… +2 — Statement"),
    # An Arabic headline is cut at 100 characters, on a word.
    (["Qais al-Khazali"], "الخزعلي يهدد " * 10,
     "Qais al-Khazali — " + "الخزعلي يهدد " * 6 + "…"),
])
def test_subject_line(names: list[str], title: str, expected: str) -> None:
    message = alert(*(h(n, f"⟦{n}⟧.", start=i) for i, n in enumerate(names)),
                    h("Maysan", "⟦Maysan⟧.", "place", 99), title=title)
    subject = build_subject(message)
    assert subject == expected.replace(" …", "…")
    assert len(subject) <= 100


def test_subject_line_long_headline_is_cut_to_100() -> None:
    subject = build_subject(alert(h(SADR, "⟦x⟧."), title="word " * 60))
    assert subject == f"{SADR} — " + "word " * 15 + "word…"  # cut between words, ≤ 100
    unbroken = build_subject(alert(h(SADR, "⟦x⟧."), title="x" * 200))
    assert unbroken == f"{SADR} — " + "x" * 81 + "…" and len(unbroken) == 100


# ---------------------------------------------------------------- invisible characters

SPOOF = "Sadr \u202egnp.exe\u202c \u2066x\u2069 \u2067y\u2069 \u2068z\u2069 in\u200bvis\ufeffible"
BIDI_AND_INVISIBLE = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
                         "\u200b\u2060\ufeff")


def test_one_line_strips_bidi_controls_and_invisibles_but_keeps_what_arabic_needs() -> None:
    assert one_line(SPOOF) == "Sadr gnp.exe x y z invisible"
    assert one_line("tag\U000e0041\U000e0042 smuggled") == "tag smuggled"
    # Zero-width non-joiner and joiner shape letters; RLM/LRM/ALM order digits and
    # punctuation in Arabic text: all kept.
    arabic = "قال\u200c الصدر\u200f: 5\u061c%\u200d \u200eOK"
    assert one_line(arabic) == arabic


def test_titles_cannot_spoof_slack_headlines_or_email_subjects() -> None:
    message = alert(h(f"{SADR}\u202e", "⟦x⟧ \u2066said\u2069."), title=SPOOF,
                    also=(Report("Out\u202elet", SPOOF, "https://o.example/2"),))
    payload = build_payload(message)
    texts = [payload["text"], *(b["text"]["text"] for b in payload["blocks"] if "text" in b),
             *(e["text"] for b in payload["blocks"] for e in b.get("elements", []))]
    subject = build_subject(message)
    mail = build_email(EmailChannel("mail", "smtp.example", 25, "none", "a@x.example",
                                    ("b@x.example",)), message)
    for text in [*texts, subject, str(mail["Subject"]), build_text(message),
                 build_html(message)]:
        assert not BIDI_AND_INVISIBLE & set(text), text
    assert payload["blocks"][0]["text"]["text"] == (
        "*<https://news.example/1|Sadr gnp.exe x y z invisible>*")
    assert subject == f"{SADR} — Sadr gnp.exe x y z invisible"


# ---------------------------------------------------------------- right-to-left


def test_slack_isolates_arabic_headlines_and_sentences() -> None:
    title = "الصدر يأمر سرايا السلام بالانسحاب من البصرة؟"
    message = alert(h(SALAM, "انسحبت ⟦سرايا السلام⟧ من البصرة."), title=title, language="ar",
                    also=(Report("Rudaw", "Sadr orders Saraya al-Salam out of Basra",
                                 "https://r.example/1"),
                          Report("Shafaq AR", "سرايا السلام تنسحب (2)", "https://s.example/2")))
    payload = build_payload(message)
    blocks = payload["blocks"]
    assert blocks[0]["text"]["text"] == f"*<https://news.example/1|{RLI}{title}{PDI}>*"
    # The sentence on its own quoted line, laid out right to left as one unit.
    assert blocks[2]["text"]["text"] == (
        f"*{SALAM}*\n>{RLI}انسحبت *سرايا السلام* من البصرة.{PDI}")
    also = blocks[3]["text"]["text"].split("\n")
    assert also[1] == "• <https://r.example/1|Sadr orders Saraya al-Salam out of Basra> — Rudaw"
    assert also[2] == f"• <https://s.example/2|{RLI}سرايا السلام تنسحب (2){PDI}> — Shafaq AR"
    assert block_kit_problems(payload) == []
    # An Arabic outlet name before the time: isolated, so the time stays after it.
    byline = build_payload(replace(message, source="السومرية"))["blocks"][1]
    assert byline["elements"][0]["text"] == f"{RLI}السومرية{PDI} · 2024-05-01 09:30 UTC"


def test_email_parsed_has_rtl_arabic_and_ltr_english() -> None:
    title = "الصدر يأمر سرايا السلام بالانسحاب"
    message = alert(h(SALAM, "انسحبت ⟦سرايا السلام⟧ من البصرة.", start=3),
                    h(SADR, "⟦مقتدى الصدر⟧ يأمر", field="title"),
                    h("Basra", "من ⟦البصرة⟧.", "place", 30), title=title, language="ar",
                    also=(Report("Rudaw", "Sadr orders Saraya al-Salam out of Basra",
                                 "https://r.example/1"),))
    channel = EmailChannel("mail", "smtp.example", 25, "none", "Monitor <a@x.example>",
                           ("b@x.example",))
    parsed = email.message_from_bytes(bytes(build_email(channel, message)),
                                      policy=email.policy.default)
    assert parsed["Subject"] == f"{SALAM}, {SADR} — {title}"
    page = parsed.get_body(("html",)).get_content()
    plain = parsed.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert ('<h2 dir="rtl" lang="ar" style="margin-bottom:2px"><a href="https://news.example/1">'
            f"{title}</a></h2>") in page
    assert ('<div dir="rtl" lang="ar" style="margin:2px 0 10px 0; padding-right:10px; '
            'border-right:3px solid #ccc">انسحبت <mark>سرايا السلام</mark> من البصرة.</div>'
            ) in page
    assert f"<strong>{SADR}</strong></div><div style=\"color:#666; margin-bottom:10px\">" \
           "in the headline</div>" in page
    assert '<span dir="ltr">' in page and "Sadr orders Saraya al-Salam out of Basra" in page
    assert plain.split("\n\n")[1] == (
        f"{SALAM}\n  انسحبت ⟦سرايا السلام⟧ من البصرة.\n{SADR}\n  (in the headline)\n"
        "Places: Basra")
    assert all(unicodedata.category(ch) != "Cf" for ch in plain)


# ---------------------------------------------------------------- the Block Kit check


def test_block_kit_check_finds_each_broken_limit() -> None:
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x"}}
    assert block_kit_problems({"text": "t", "blocks": [section] * 50}) == []
    assert block_kit_problems({"text": "t", "blocks": [section] * 51}) == ["blocks: 51, limit 50"]
    assert block_kit_problems({"text": "", "blocks": []}) == [
        "text: the notification text is missing"]
    long_section = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    header = {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}
    mrkdwn_header = {"type": "header", "text": {"type": "mrkdwn", "text": "h"}}
    element = {"type": "mrkdwn", "text": "c"}
    context = {"type": "context", "elements": [element] * 11}
    fields = {"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}] * 11}
    problems = block_kit_problems({"text": "t" * 40_001, "blocks": [
        long_section, header, mrkdwn_header, context, fields, {"type": "image"}]})
    assert problems == [
        "text: 40001 characters, limit 40000",
        "blocks[0].text: 3001 characters, limit 3000",
        "blocks[1].text: 151 characters, limit 150",
        "blocks[2].text: not a text object of type plain_text",
        "blocks[3]: 11 elements, allowed 1 to 10",
        "blocks[4]: 11 fields, limit 10",
        *(f"blocks[4].fields[{i}]: 2001 characters, limit 2000" for i in range(11)),
        "blocks[5]: block type 'image' is not one news-monitor sends",
    ]


# ---------------------------------------------------------------- through the dispatcher


def test_dispatch_lists_the_configured_people_first(tmp_path: Path) -> None:
    from tests.test_alerts_routing import add, article, slack_channel

    entities = (("Asa'ib Ahl al-Haq", "actor"), ("Qais al-Khazali", "actor"))
    with Store(tmp_path / "monitor.db") as store, SlackReceiver() as receiver:
        channel = slack_channel(receiver)
        add(store, [channel], article(1, "Khazali warns", entities))
        asyncio.run(dispatch_pending(store, (channel,),
                                     people=frozenset({"qais al-khazali"})))
        add(store, [channel], article(2, "Budget vote delayed", entities))
        asyncio.run(dispatch_pending(store, (channel,),  # the list decides, not hit order
                                     people=frozenset({"asa'ib ahl al-haq"})))
        with_people, other_people = (r.json for r in receiver.accepted)
    assert with_people["text"].startswith("Qais al-Khazali, Asa'ib Ahl al-Haq — ")
    assert [b["text"]["text"].split("\n")[0] for b in with_people["blocks"][2:4]] == [
        "*Qais al-Khazali*", "*Asa'ib Ahl al-Haq*"]
    assert other_people["text"].startswith("Asa'ib Ahl al-Haq, Qais al-Khazali — ")


def test_actor_type_is_validated(tmp_path: Path) -> None:
    from monitor.config import load_config
    from monitor.errors import ConfigError

    def write(actor: str) -> Path:
        path = tmp_path / "config.yaml"
        path.write_text(f"sources: []\nwatchlists:\n  actors:\n    - {actor}\n"
                        "  places:\n    - {name: Maysan, type: person}\n", encoding="utf-8")
        return path

    with pytest.raises(ConfigError) as info:
        load_config(write("{name: Qais al-Khazali, type: man}"))
    problems = str(info.value)
    assert "watchlists.actors[0].type: 'man' is not one of: person, group" in problems
    assert "watchlists.places[0].type: unknown key" in problems  # actors only


# ---------------------------------------------------------------- long sentences


def crop_hits(text: str, found: list[tuple[str, str, str]]) -> list[Hit]:
    """Hits as the matcher stores them: make_snippet cuts a long sentence around each."""
    hits = []
    for entity, kind, words in found:
        start = text.index(words)
        snippet = make_snippet(text, start, start + len(words))
        hits.append(Hit(entity, kind, words, start, start + len(words), snippet))
    return hits


LONG_EN = ("In a statement read on state television on Tuesday evening, Muqtada al-Sadr "
           "ordered all units under his command to leave the streets of the southern city "
           "within hours, after a night in which fighters exchanged fire near the port and "
           "the governorate building, and he warned that Saraya al-Salam would be dissolved "
           "if its members disobeyed the order or clashed again with Asa'ib Ahl al-Haq.")
LONG_AR = ("وفي بيان تلاه على التلفزيون الرسمي مساء الثلاثاء، أمر مقتدى الصدر جميع الوحدات "
           "التابعة له بمغادرة شوارع المدينة الجنوبية خلال ساعات، بعد ليلة تبادل فيها "
           "المسلحون إطلاق النار قرب الميناء ومبنى المحافظة، وحذر من أن سرايا السلام ستحل "
           "إذا عصى أفرادها الأمر أو اشتبكوا مجددا مع عصائب أهل الحق في البصرة.")


@pytest.mark.parametrize(("text", "found"), [
    (LONG_EN, [(SADR, "actor", "Muqtada al-Sadr"), (SALAM, "actor", "Saraya al-Salam"),
               ("Asa'ib Ahl al-Haq", "actor", "Asa'ib Ahl al-Haq")]),
    (LONG_AR, [(SADR, "actor", "مقتدى الصدر"), (SALAM, "actor", "سرايا السلام"),
               ("Asa'ib Ahl al-Haq", "actor", "عصائب أهل الحق"),
               ("Basra", "place", "البصرة")]),
], ids=["english", "arabic"])
def test_crops_of_one_long_sentence_are_one_sentence(
        text: str, found: list[tuple[str, str, str]]) -> None:
    hits = crop_hits(text, found)
    assert len({h.snippet.replace("**", "") for h in hits}) >= 2  # cut differently
    [line] = alert_layout(alert(*hits, language="ar" if "البصرة" in text else "en")).lines
    assert [m.name for m in line.mentions] == [SADR, SALAM, "Asa'ib Ahl al-Haq"]
    plain = line.snippet.replace("⟦", "").replace("⟧", "")
    assert plain.strip("…") in text and len(plain) > 240  # the parts joined, in order
    for _, _, words in found:
        assert f"⟦{words}⟧" in line.snippet


def test_different_sentences_are_not_joined() -> None:
    # Uncut sentences are joined only when equal, even when one contains the other...
    short = [h(SADR, "⟦Sadr⟧ spoke.", start=0), h(SADR, "⟦Muqtada al-Sadr⟧ spoke.", start=50),
             h(SALAM, "⟦Saraya al-Salam⟧ spoke.", start=90)]
    assert [len(line.mentions) for line in alert_layout(alert(*short)).lines] == [1, 1]
    # ...and cut ones only when they share MIN_OVERLAP characters.
    first = "… the streets of the southern city within hours, ⟦Muqtada al-Sadr⟧ said…"
    second = "… the streets of the northern town by morning, ⟦Saraya al-Salam⟧ said…"
    layout = alert_layout(alert(h(SADR, first), h(SALAM, second, start=400)))
    assert [line.snippet for line in layout.lines] == [first, second]
    # A title and a body sentence with the same words stay apart.
    same = alert(h(SADR, "⟦Muqtada al-Sadr⟧ spoke.", field="title"),
                 h(SALAM, "Muqtada al-Sadr spoke of ⟦Saraya al-Salam⟧."))
    assert len(alert_layout(same).lines) == 2


def test_email_keeps_the_time_after_an_arabic_outlet() -> None:
    message = replace(alert(h(SADR, "⟦x⟧.")), source="السومرية",
                      also=(Report("شفق نيوز", "عنوان", "https://s.example/1",
                                   "2024-05-01T10:00:00Z"),))
    plain, page = build_text(message), build_html(message)
    # Without the mark the digits would join the Arabic run and show before the name.
    assert "\nالسومرية\u200e · 2024-05-01 09:30 UTC\n" in plain
    assert "— شفق نيوز\u200e · 2024-05-01 10:00 UTC" in plain
    assert '<span dir="auto">السومرية</span> · 2024-05-01 09:30 UTC' in page
    assert '<span dir="auto">شفق نيوز</span> · 2024-05-01 10:00 UTC' in page
    assert "Shafaq News · " in build_text(alert(h(SADR, "⟦x⟧.")))  # Latin: no mark
