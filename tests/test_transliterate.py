"""The transliteration model (monitor/match/transliterate.py): one row per rule, properties
of its keys under the normalisations already in place, and the watchlist advice
(`monitor check`) of cross-script matching."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.config import Entity
from monitor.match import Matcher
from monitor.match.normalize import normalize
from monitor.match.transliterate import agrees, arabic_key, latin_keys, prefixed_cores


def norm(text: str) -> str:
    return normalize(text)[0].strip()


# (Latin word, Arabic word, agrees?, the rule the row is about)
RULES = [
    ("qais", "قيس", True, "consonants and a long vowel ي written i"),
    ("kais", "قيس", True, "ق is also k (Iraqi g too)"),
    ("allaq", "علاق", True, "a doubled consonant is one letter (shadda)"),
    ("alaq", "علاق", True, "ayn at the start as a vowel"),
    ("khazali", "خزعلي", True, "ayn inside a word: nothing"),
    ("kazali", "خزعلي", False, "kh is not k"),
    ("kaabi", "كعبي", True, "ayn as a second vowel"),
    ("omar", "عمر", True, "a short vowel Arabic does not write"),
    ("omar", "عامر", False, "a long vowel must be written in Latin"),
    ("amer", "عامر", True, "ayn before a long vowel: the vowel carries the sound"),
    ("amer", "عمار", False, "ا is a or aa, not e"),
    ("ammar", "عامر", False, "no doubled consonant after a long vowel"),
    ("ammar", "عمار", True, "the doubled consonant before the long vowel"),
    ("kareem", "كرم", False, "a Latin long vowel (ee) needs a long vowel letter"),
    ("karim", "كريم", True, "ي as i"),
    ("karam", "كريم", False, "ي is not a"),
    ("muqtada", "مقتدى", True, "alef maqsura ى is a"),
    ("muqtada", "مقتدي", False, "a written ي is not a"),
    ("amara", "عامري", False, "the nisba ي is not a"),
    ("amarah", "عماره", True, "final ه as ta marbuta ah"),
    ("harakat", "حركه", True, "ta marbuta in the construct state: at"),
    ("hassan", "حسنه", False, "a silent final ه only after a vowel"),
    ("abdulla", "عبد·له", True, "two words as one; a silent final ه after a vowel"),
    ("hezbollah", "حزب·له", True, "the article between two words as one (o)"),
    ("kataeb", "كتايب", True, "hamza on yeh (folded to ي) as e"),
    ("walai", "ولايي", True, "hamza before the nisba: nothing"),
    ("abu", "ابي", True, "the kunya's case forms"),
    ("masoud", "مسعود", True, "ou for و"),
    ("shaabi", "شعبي", True, "sh for ش, aa for a + ayn"),
    ("ahmed", "احمد", True, "an initial alef carries the first vowel"),
    ("barzani", "بارزاني", True, "long a as a"),
    ("", "قيس", False, "nothing agrees with an empty word"),
]


@pytest.mark.parametrize(("latin", "arabic", "expected", "rule"), RULES,
                         ids=[f"{r[0]}-{r[3]}" for r in RULES])
def test_transliteration_rules(latin: str, arabic: str, expected: bool, rule: str) -> None:
    assert agrees(latin, arabic) is expected, rule


def test_glued_article_before_the_next_word() -> None:
    assert agrees("abdul", "عبد", True)
    assert not agrees("abdul", "عبد")  # only when the next word has the article


@pytest.mark.parametrize(("latin", "arabic"), [
    ("hussein", "حسين"), ("khazali", "خزعلي"), ("harakat", "حركه"), ("barzani", "بارزاني"),
    ("masoud", "مسعود"), ("hezbollah", "حزب·له"), ("qais", "قيس"), ("sadr", "صدر"),
])
def test_keys_agree_where_the_words_agree(latin: str, arabic: str) -> None:
    """The coarse key is how candidates are found: a pair that agrees must share it."""
    assert arabic_key(arabic) in latin_keys(latin)


# ------------------------------------------------------------ properties

_LETTERS = "بتثجحخدذرزسشصضطظعغفقكلمنهويء"
_DIACRITICS = "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652"
_HAMZA_ALEFS = "أإآ"

words = st.text(alphabet=_LETTERS, min_size=2, max_size=7)


@st.composite
def decorated(draw: st.DrawFn) -> tuple[str, str]:
    """(a word, the same word with diacritics and tatweel between its letters and a
    hamza form of its initial alef)."""
    word = draw(words)
    if draw(st.booleans()):
        word = "ا" + word
    out = []
    for i, letter in enumerate(word):
        if i == 0 and letter == "ا":
            letter = draw(st.sampled_from("ا" + _HAMZA_ALEFS))
        out.append(letter)
        out.append(draw(st.text(alphabet=_DIACRITICS + "\u0640", max_size=2)))
    return word, "".join(out)


@settings(max_examples=200, deadline=None)
@given(decorated())
def test_keys_stable_under_diacritics_tatweel_and_hamza(pair: tuple[str, str]) -> None:
    plain, fancy = pair
    assert norm(fancy) == norm(plain)
    assert arabic_key(norm(fancy)) == arabic_key(norm(plain))


@settings(max_examples=200, deadline=None)
@given(words, st.sampled_from(["", "و", "ف", "ب", "ل", "وب", "فل", "ك"]), st.booleans())
def test_proclitics_and_article_leave_a_reading_with_the_same_key(
        word: str, proclitic: str, article: bool) -> None:
    written = proclitic + ("ال" if article else "") + word
    if proclitic.endswith("ل") and article:
        written = proclitic + "ل" + word  # ل + ال is written لل
    cores = {core for _, core, _ in prefixed_cores(norm(written))}
    assert norm(word) in cores
    assert arabic_key(norm(word)) in {arabic_key(c) for c in cores}


_NAME = Matcher([Entity("Hussein al-Allaq", "actor", ("Hussein al-Allaq",))])


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["", "و", "ف", "ل"]), st.text(alphabet=_DIACRITICS + "\u0640",
                                                      max_size=3))
def test_the_name_is_found_whatever_the_decoration(proclitic: str, marks: str) -> None:
    text = f"قال {proclitic}حسين{marks} العلا{marks}ق اليوم"
    assert [m.entity for m in _NAME.find(text)] == ["Hussein al-Allaq"]


# ------------------------------------------------------------ advice (monitor check)


def test_advice_names_what_cannot_cross_scripts() -> None:
    m = Matcher([
        Entity("Badr Organization", "actor", ("Badr Organization", "Badr Corps")),
        Entity("Kata'ib Hezbollah", "actor", ("Kata'ib Hezbollah", "كتائب حزب الله",
                                               "Hezbollah Brigades")),
        Entity("Abu Ali", "actor", ("Abu Ali",)),
        Entity("Said Jamil", "actor", ("Said Jamil",)),
    ])
    advice = "\n".join(m.advice)
    # one line for the entity without an Arabic alias, none for the one with
    assert "'Badr Organization': 'Badr Organization', 'Badr Corps' cannot be matched" in advice
    assert "Arabic name as an alias" in advice
    assert "Hezbollah Brigades" not in advice
    assert "'Abu Ali' has too few consonants" in advice
    assert "'Said Jamil' reads as ordinary Arabic words" in advice
    assert m.find("قال سعيد جميل") == []  # and it is not matched


def test_advice_reports_aliases_of_two_entities_that_collide_across_scripts() -> None:
    m = Matcher([Entity("Amer al-Saadi", "actor", ("Amer al-Saadi",)),
                 Entity("عامر السعدي", "actor", ("عامر السعدي",))])
    (line,) = m.advice
    assert "'Amer al-Saadi'" in line and "'عامر السعدي'" in line
    assert "same across scripts" in line


def test_check_command_prints_the_advice_and_honours_the_switch(tmp_path: Path) -> None:
    base = """
database: m.db
sources: []
watchlists:
  actors:
    - name: Badr Organization
    - name: Hussein al-Allaq
"""
    config = tmp_path / "config.yaml"
    config.write_text(base, encoding="utf-8")
    run = [sys.executable, "-m", "monitor", "check", "-c", str(config)]
    out = subprocess.run(run, capture_output=True, text=True, check=True).stdout
    assert "cross-script: actor 'Badr Organization'" in out
    config.write_text(base + "matching:\n  cross_script: false\n", encoding="utf-8")
    out = subprocess.run(run, capture_output=True, text=True, check=True).stdout
    assert "cross-script matching is off" in out
    assert "cross-script: actor" not in out
    config.write_text(base + "matching:\n  cross_script: maybe\n", encoding="utf-8")
    bad = subprocess.run(run, capture_output=True, text=True)
    assert bad.returncode == 2 and "matching.cross_script" in bad.stderr


# ------------------------------------------------------------ the aligner against a search


def _searched(latin: str, arabic: str) -> bool:
    """The aligner's rules as a memoised depth-first search over (Latin offset, Arabic
    letter, state): the first implementation, kept as the oracle for the breadth-first one."""
    from monitor.match import transliterate as t

    size, count = len(latin), len(arabic)
    memo: dict[tuple[int, int, str], bool] = {}

    def walk(i: int, j: int, after: str) -> bool:
        if (i, j, after) not in memo:
            memo[i, j, after] = step(i, j, after)
        return memo[i, j, after]

    def step(i: int, j: int, after: str) -> bool:
        if j == count:
            return i == size
        if i < size and after == "" and j > 0 and latin[i] in "aeiou" and (
                walk(i + 1, j, "short")):
            return True
        letter = arabic[j]
        for form, vowel in t._options(arabic, j):
            if not latin.startswith(form, i):
                continue
            if letter == "ه" and form == "" and not (i > 0 and latin[i - 1] in "aeiou"):
                continue
            if after == "long" and len(form) >= 2 and form[-1] == form[-2] and (
                    form[-1] not in "aeiou"):
                continue
            state = ("long" if t._is_long_letter(letter) else "vowel") if vowel else ""
            if walk(i + len(form), j + 1, state):
                return True
        return False

    return walk(0, 0, "")


ARABIC_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهويىةءأئؤ" + "·"


@settings(max_examples=3000, deadline=None)
@given(st.text("aeioubdfghjklmnqrstwyz'", min_size=1, max_size=10),
       st.text(ARABIC_LETTERS, min_size=1, max_size=7))
def test_the_aligner_agrees_with_a_full_search(latin: str, arabic: str) -> None:
    from monitor.match.transliterate import _align

    assert _align(latin, arabic) == _searched(latin, arabic)


NAME_WORDS = ["قيس", "الخزعلي", "حسين", "العلاق", "عامر", "عمار", "كريم", "حسنه", "عبد·عزيز",
              "ميسان", "الكعبي", "كتائب", "مقتدى", "حركة", "عباس", "ولائي", "سعيد", "هادي"]


@settings(max_examples=3000, deadline=None)
@given(st.sampled_from(NAME_WORDS), st.data())
def test_the_aligner_agrees_with_a_full_search_on_near_spellings(arabic: str,
                                                                 data: st.DataObject) -> None:
    """Latin words built from the word's own letter forms, with short vowels put in and
    letters doubled or dropped here and there: near the boundary, where the rules decide."""
    from monitor.match.transliterate import _align, _options

    pieces = []
    for j in range(len(arabic)):
        if j and data.draw(st.booleans()):
            pieces.append(data.draw(st.sampled_from("aeiou")))
        forms = [form for form, _ in _options(arabic, j)] or [""]
        form = data.draw(st.sampled_from(forms))
        edit = data.draw(st.sampled_from(["keep"] * 6 + ["double", "drop", "vowel"]))
        if edit == "double" and form:
            form += form[-1]
        elif edit == "drop":
            form = ""
        elif edit == "vowel":
            form += data.draw(st.sampled_from("aeiou"))
        pieces.append(form)
    latin = "".join(pieces)
    assert _align(latin, arabic) == _searched(latin, arabic)
