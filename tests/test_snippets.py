"""Sentence splitting and the snippet window, English and Arabic (issue 15, parts 4 and 5).

Each table row is a trap: an abbreviation, initial, decimal, ellipsis or Arabic comma that
must not end a sentence, or a closing quote or bracket that must stay with the one it ends.
"""

from __future__ import annotations

import pytest

from monitor.match.sentences import rules, sentence_bounds, split_sentences
from monitor.match.snippet import (
    MARK_CLOSE,
    MARK_OPEN,
    MAX_SNIPPET,
    excerpt,
    make_snippet,
    marked_segments,
)


@pytest.mark.parametrize(("text", "sentences"), [
    # English: what ends a sentence.
    ("Police closed the road. Protesters left!", ["Police closed the road.", "Protesters left!"]),
    ("Was it Kata'ib Hezbollah? Nobody said.", ["Was it Kata'ib Hezbollah?", "Nobody said."]),
    ("Really?! Yes.", ["Really?!", "Yes."]),
    ('He said "we will not withdraw." Then he left.',
     ['He said "we will not withdraw."', "Then he left."]),
    ("(The council did not meet.) Then the governor spoke.",
     ["(The council did not meet.)", "Then the governor spoke."]),
    ("Shafaq News/ Basra\nProtesters gathered.", ["Shafaq News/ Basra", "Protesters gathered."]),
    # English: what does not.
    ("The vote is set for Jan. 12 in Baghdad. It may slip.",
     ["The vote is set for Jan. 12 in Baghdad.", "It may slip."]),
    ("Gen. Qais al-Khazali met Mr. Hadi al-Amiri and Dr. Ali. They spoke.",
     ["Gen. Qais al-Khazali met Mr. Hadi al-Amiri and Dr. Ali.", "They spoke."]),
    ("The U.S. Embassy and U.N. Mission condemned it. Nobody was hurt.",
     ["The U.S. Embassy and U.N. Mission condemned it.", "Nobody was hurt."]),
    ("A. Smith of the U.K. Foreign Office said so. Others agreed.",
     ["A. Smith of the U.K. Foreign Office said so.", "Others agreed."]),
    ("Turnout was 41.5 percent. Officials were pleased.",
     ["Turnout was 41.5 percent.", "Officials were pleased."]),
    ("Armed groups, e.g. Kata'ib Hezbollah, i.e. Iran's allies, etc. Denied it. True.",
     ["Armed groups, e.g. Kata'ib Hezbollah, i.e. Iran's allies, etc. Denied it.", "True."]),
    ("He said... The rest was lost. End.", ["He said... The rest was lost.", "End."]),
    ("He paused… Then he went on. End.", ["He paused… Then he went on.", "End."]),
    ('"Why?" he asked. Nobody answered.', ['"Why?" he asked.', "Nobody answered."]),
    ("Talks ended approx.   three hours later. Good.",
     ["Talks ended approx.   three hours later.", "Good."]),
    ("Visit example.com/a.b today. Or not.", ["Visit example.com/a.b today.", "Or not."]),
    # Arabic: what ends a sentence.
    ("قال الخزعلي إن الوضع هادئ. وأضاف أن القوات انتشرت.",
     ["قال الخزعلي إن الوضع هادئ.", "وأضاف أن القوات انتشرت."]),
    ("هل انتهى الأمر؟ نعم.", ["هل انتهى الأمر؟", "نعم."]),
    ("جملة أولى۔ جملة ثانية", ["جملة أولى۔", "جملة ثانية"]),
    ("«سنقاتل حتى النهاية.» ثم غادر.", ["«سنقاتل حتى النهاية.»", "ثم غادر."]),
    ("شفق نيوز – البصرة\nتجمع المحتجون.", ["شفق نيوز – البصرة", "تجمع المحتجون."]),
    # Arabic: what does not.
    ("قال الخزعلي، في بيان، إن الوضع هادئ.", ["قال الخزعلي، في بيان، إن الوضع هادئ."]),
    ("انتشرت القوات؛ وأغلقت الطرق.", ["انتشرت القوات؛ وأغلقت الطرق."]),
    ("وصل د. إبراهيم الجعفري إلى بغداد. ثم غادر.",
     ["وصل د. إبراهيم الجعفري إلى بغداد.", "ثم غادر."]),
    ("توفي سنة 1380 هـ. في النجف.", ["توفي سنة 1380 هـ. في النجف."]),
    ("بلغت النسبة 41.5 بالمئة. وقال مسؤول إنها مرتفعة.",
     ["بلغت النسبة 41.5 بالمئة.", "وقال مسؤول إنها مرتفعة."]),
])
def test_split_sentences(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


def test_abbreviations_are_data() -> None:
    words = rules().abbreviations
    assert {"jan", "dec", "gen", "u.s", "etc", "no", "هـ"} <= words
    assert False not in words  # YAML's bare `no` is a boolean; the data must quote it


_EN = ("Earlier report. Security forces were deployed across Amarah on Saturday, officials"
       " said. Later report.")
_AR = "تقرير سابق. انتشرت قوات الأمن في العمارة يوم السبت، بحسب مسؤولين. تقرير لاحق."
_LONG_EN = ("The council met in Basra, where Saraya al-Salam fighters were seen near the port on"
            " Sunday and police said roads were closed.")
_LONG_AR = ("اجتمع المجلس في البصرة، حيث شوهد مقاتلو سرايا السلام قرب الميناء يوم الأحد وقالت"
            " الشرطة إن الطرق أغلقت.")


def _at(text: str, words: str) -> tuple[int, int]:
    start = text.index(words)
    return start, start + len(words)


@pytest.mark.parametrize(("text", "words", "limit", "snippet"), [
    # The whole sentence, whatever the lengths of its neighbours.
    (_EN, "Amarah", MAX_SNIPPET,
     "Security forces were deployed across ⟦Amarah⟧ on Saturday, officials said."),
    (_AR, "العمارة", MAX_SNIPPET, "انتشرت قوات الأمن في ⟦العمارة⟧ يوم السبت، بحسب مسؤولين."),
    ("On Jan. 5 Gen. Qais al-Khazali visited the U.S. Embassy. Next.", "Qais al-Khazali",
     MAX_SNIPPET, "On Jan. 5 Gen. ⟦Qais al-Khazali⟧ visited the U.S. Embassy."),
    # A match at the very start or end of the text.
    ("Amarah was calm. Basra was not.", "Amarah", MAX_SNIPPET, "⟦Amarah⟧ was calm."),
    ("Amarah was calm. Basra was not", "not", MAX_SNIPPET, "Basra was ⟦not⟧"),
    # Longer than the limit: a window cut at words, "…" on the cut side(s) only.
    (_LONG_EN, "Saraya al-Salam", 40, "…where ⟦Saraya al-Salam⟧ fighters…"),
    (_LONG_EN, "The", 40, "⟦The⟧ council met in Basra, where Saraya…"),
    (_LONG_EN, "closed", 40, "…and police said roads were ⟦closed⟧."),
    (_LONG_AR, "سرايا السلام", 40, "…شوهد مقاتلو ⟦سرايا السلام⟧ قرب الميناء…"),
    (_LONG_AR, "أغلقت", 30, "…وقالت الشرطة إن الطرق ⟦أغلقت⟧."),
    # A match longer than the limit is never cut; the context goes instead.
    (_LONG_EN, "Saraya al-Salam fighters", 10, "…⟦Saraya al-Salam fighters⟧…"),
    # Whitespace (a wrapped source, a tab) is collapsed inside the match and around it.
    ("Fighters of Saraya\n  al-Salam\twere seen. Next.", "Saraya\n  al-Salam", MAX_SNIPPET,
     "Fighters of ⟦Saraya al-Salam⟧ were seen."),
])
def test_snippet_window(text: str, words: str, limit: int, snippet: str) -> None:
    start, end = _at(text, words)
    assert make_snippet(text, start, end, limit) == snippet


def test_span_across_sentences_gets_both() -> None:
    text = "Before. Qais al-Khazali spoke. Maysan was calm after. After."
    start, end = text.index("Khazali"), text.index("Maysan") + len("Maysan")
    assert make_snippet(text, start, end) == (
        "Qais al-⟦Khazali spoke. Maysan⟧ was calm after.")


@pytest.mark.parametrize("text", [" ".join([_LONG_EN] * 8), " ".join([_LONG_AR] * 8),
                                  " ".join(f"word{i}" for i in range(400))])
def test_long_text_window_is_bounded_and_cut_at_words(text: str) -> None:
    words = set(text.replace(".", " ").split())
    for start in range(0, len(text) - 12, 97):
        end = start + 6
        snippet = make_snippet(text, start, end)
        inner = snippet.strip("…")
        assert len(inner) <= MAX_SNIPPET + 2, snippet
        assert f"{MARK_OPEN}{text[start:end].strip()}{MARK_CLOSE}" in snippet
        plain = inner.replace(MARK_OPEN, "").replace(MARK_CLOSE, "")
        if snippet.startswith("…"):
            assert plain.split()[0] in words or plain.startswith(text[start:end])
        if snippet.endswith("…"):
            assert plain.split()[-1].rstrip(".") in words or plain.endswith(text[start:end])


def test_only_the_text_near_the_match_is_searched() -> None:
    # No sentence end for far longer than the reach: the bounds stop at the reach.
    text = "x " * 5000 + "Basra" + " y" * 5000
    start, end = _at(text, "Basra")
    begin, finish = sentence_bounds(text, start, end, reach=600)
    assert (begin, finish) == (start - 600, end + 600)


def test_the_texts_own_marks_become_plain_brackets() -> None:
    text = "The ⟦draft⟧ law names Kata'ib Hezbollah."
    start, end = _at(text, "Kata'ib Hezbollah")
    snippet = make_snippet(text, start, end)
    assert snippet == "The [draft] law names ⟦Kata'ib Hezbollah⟧."
    assert marked_segments(snippet) == [("The [draft] law names ", False),
                                        ("Kata'ib Hezbollah", True), (".", False)]


def test_excerpt_marks_every_span_inside_it() -> None:
    text = "Sadr met Sadr's allies in Najaf. Unrelated Sadr sentence."
    spans = [(0, 4), (9, 13), (43, 47)]
    assert excerpt(text, 0, 4, spans) == "⟦Sadr⟧ met ⟦Sadr⟧'s allies in Najaf."


def test_marked_segments_of_arabic() -> None:
    assert marked_segments("قال ⟦الخزعلي⟧ إن ⟦ميسان⟧") == [
        ("قال ", False), ("الخزعلي", True), (" إن ", False), ("ميسان", True)]


def test_marks_are_mirrored_brackets() -> None:
    # What makes them safe in right-to-left text: an opening and a closing bracket that
    # the Unicode Bidi algorithm mirrors, so they enclose the right Arabic word.
    import unicodedata

    assert (unicodedata.category(MARK_OPEN), unicodedata.category(MARK_CLOSE)) == ("Ps", "Pe")
    assert unicodedata.mirrored(MARK_OPEN) and unicodedata.mirrored(MARK_CLOSE)
