"""Paragraph structure of extracted text: what the page draws as a paragraph is one.

A line break in the HTML source is whitespace (as in a browser); block elements and two
or more <br> make paragraphs; a single <br> is a line break inside one. English and Arabic.
"""

from __future__ import annotations

import json

import pytest

from monitor.extract import extract_article
from monitor.extract.feed import _html_to_text

_MENU = "<div class='menu'><a href='/'>Home</a> <a href='/iraq'>Iraq</a></div>"


def _body(story: str) -> str:
    html = f"<html><body>{_MENU}<div class='story-body'>{story}</div></body></html>"
    return extract_article(html, "https://example.com/story").body


@pytest.mark.parametrize(("story", "paragraphs"), [
    # A sentence wrapped in the source stays one sentence, one paragraph.
    ("<p>Security forces were deployed across Amarah\non Saturday, officials said,"
     " after the killing of a local commander.</p>"
     "<p>The governor imposed a curfew\r\n   until further notice, police said.</p>",
     ["Security forces were deployed across Amarah on Saturday, officials said, after the"
      " killing of a local commander.",
      "The governor imposed a curfew until further notice, police said."]),
    # Text split across inline elements, with the source's line breaks between them.
    ("<p><span>Saraya al-Salam fighters were seen in</span>\n<a href='/basra'>Basra</a>\n"
     "<em>on Sunday</em>, witnesses told the agency by telephone.</p>",
     ["Saraya al-Salam fighters were seen in Basra on Sunday, witnesses told the agency by"
      " telephone."]),
    # Arabic, wrapped mid-sentence in the source.
    ("<p>انتشرت قوات الأمن في العمارة\nيوم السبت، بحسب مسؤولين محليين تحدثوا للوكالة.</p>"
     "<p>وفرض المحافظ حظر التجوال\nحتى إشعار آخر، وفق الشرطة المحلية في المدينة.</p>",
     ["انتشرت قوات الأمن في العمارة يوم السبت، بحسب مسؤولين محليين تحدثوا للوكالة.",
      "وفرض المحافظ حظر التجوال حتى إشعار آخر، وفق الشرطة المحلية في المدينة."]),
])
def test_source_line_breaks_are_spaces(story: str, paragraphs: list[str]) -> None:
    assert _body(story).split("\n\n") == paragraphs


@pytest.mark.parametrize("separator", ["<br><br>", "<br>\n<br>", "<br>&nbsp;<br>\n",
                                       "<br/> <br/><br/>", "\n<br>\n\n<br>\n"])
def test_two_or_more_brs_make_a_paragraph(separator: str) -> None:
    body = _body("Protesters gathered outside the oil company in Basra on Tuesday,\n demanding"
                 f" jobs.{separator}Police said the protest was peaceful, and that roads were"
                 " reopened by noon.")
    assert body == ("Protesters gathered outside the oil company in Basra on Tuesday, demanding"
                    " jobs.\n\nPolice said the protest was peaceful, and that roads were"
                    " reopened by noon.")


def test_one_br_is_a_line_break_inside_the_paragraph() -> None:
    body = _body("<p>قال المتحدث باسم الشرطة، في بيان مقتضب صدر مساء الأحد،<br>\n"
                 "إن الوضع تحت السيطرة في قضاء الزبير.</p><p>Second paragraph of the report,"
                 " long enough to be read as text.</p>")
    assert body == ("قال المتحدث باسم الشرطة، في بيان مقتضب صدر مساء الأحد،\n"
                    "إن الوضع تحت السيطرة في قضاء الزبير.\n\nSecond paragraph of the report,"
                    " long enough to be read as text.")


def test_leading_and_trailing_brs_leave_no_empty_lines() -> None:
    body = _body("<p><br><br>Kata'ib Hezbollah denied any role in the attack on the base,"
                 " a statement said.<br><br></p>")
    assert body == ("Kata'ib Hezbollah denied any role in the attack on the base, a statement"
                    " said.")


@pytest.mark.parametrize(("fragment", "text"), [
    ("<p>Qais al-Khazali warned\nof sedition in Maysan.</p><p>Second.</p>",
     "Qais al-Khazali warned of sedition in Maysan.\nSecond."),
    ("حذر قيس الخزعلي\nمن فتنة في ميسان.<br>سطر ثان.",
     "حذر قيس الخزعلي من فتنة في ميسان.\nسطر ثان."),
    ("Tagless summary wrapped\nin the feed, &amp; decoded.",
     "Tagless summary wrapped in the feed, & decoded."),
])
def test_feed_summaries_keep_wrapped_sentences_whole(fragment: str, text: str) -> None:
    assert _html_to_text(fragment) == text


def test_a_table_row_is_one_line() -> None:
    body = _body("<p>Results of the provincial council vote in Basra, by list, as announced by"
                 " the commission on Monday:</p><table><tr><th>List</th><th>Seats</th></tr>"
                 "<tr><td>Tasmim</td><td>12</td></tr><tr><td>Sadiqoun</td><td>4</td></tr>"
                 "</table>")
    assert body.split("\n\n")[1:] == ["List Seats", "Tasmim 12", "Sadiqoun 4"]


def test_a_table_used_for_layout_keeps_its_paragraphs() -> None:
    body = _body("<table><tr><td><p>Qais al-Khazali spoke in Maysan on Saturday, his office"
                 " said in a statement.</p><p>He warned of sedition, adding that the killers"
                 " would be found.</p></td></tr></table>")
    assert body.split("\n\n") == [
        "Qais al-Khazali spoke in Maysan on Saturday, his office said in a statement.",
        "He warned of sedition, adding that the killers would be found."]


@pytest.mark.parametrize(("text", "page", "expected"), [
    ("Badr won seats. \"We will serve,\" Amiri said. Sadr was silent.",
     "Badr won seats.\n\n“We will serve,” Amiri said.\nSadr was silent.",
     "Badr won seats.\n\n\"We will serve,\" Amiri said.\nSadr was silent."),
    ("فاز بدر بمقاعد. وقال العامري إنه سيخدم. (صمت الصدر.)",
     "فاز بدر بمقاعد.\n\nوقال العامري إنه سيخدم.\n\n(صمت الصدر.)",
     "فاز بدر بمقاعد.\n\nوقال العامري إنه سيخدم.\n\n(صمت الصدر.)"),
    # The page has other text around it (a menu, a caption): only shared gaps count.
    ("Badr won seats. Amiri spoke.", "Home\nIraq\n\nBadr won seats.\n\nPhoto: AFP\n\nAmiri"
     " spoke.", "Badr won seats. Amiri spoke."),
    ("Badr won seats.", "", "Badr won seats."),
])
def test_page_paragraphs_go_into_a_run_together_text(text: str, page: str,
                                                     expected: str) -> None:
    from monitor.extract.paragraphs import with_page_paragraphs

    assert with_page_paragraphs(text, page) == expected


def test_jsonld_body_on_one_line_gets_the_pages_paragraphs() -> None:
    sentences = [f"Sentence {i} of the report on the Maysan killing, with detail." for i in
                 range(8)]
    ld = json.dumps({"@type": "NewsArticle", "headline": "Maysan",
                     "articleBody": " ".join(sentences)})
    paragraphs = "".join(f"<p>{a} {b}</p>" for a, b in zip(sentences[::2], sentences[1::2],
                                                              strict=True))
    html = (f"<html><head><script type='application/ld+json'>{ld}</script></head><body>"
            f"<article>{paragraphs}</article></body></html>")
    article = extract_article(html, "https://example.com/maysan")
    assert article.method == "jsonld"
    assert article.body.split("\n\n") == [f"{a} {b}" for a, b in
                                          zip(sentences[::2], sentences[1::2], strict=True)]
