"""monitor.match.normalize: folding rules and the offset map."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.match import normalize
from monitor.match.normalize import _expand, normalize_text

# Text biased towards what normalisation treats specially, plus anything at all.
_SPECIAL = (
    "aAßẞﬁﬂİıŁøṣāé\u0301'’‘ʿʾʼ`´-–—‐ \t\n\u00a0"
    "أإآٱىةؤئیکەۆگچڤـَُِّْٰ٠٩۰۹ﻻﷺ"
    "\u200c\u200d\u200e\u200f\u202a\u2067\ufeff😀"
)
_text = st.one_of(
    st.text(),
    st.text(alphabet=st.sampled_from(_SPECIAL)),
    st.text(alphabet=st.characters(min_codepoint=0x600, max_codepoint=0x6FF)),
)


@given(_text)
@settings(max_examples=300)
def test_idempotent(text: str) -> None:
    once = normalize(text)[0]
    assert normalize(once)[0] == once


@given(_text)
@settings(max_examples=300)
def test_offset_map_is_in_range_and_non_decreasing(text: str) -> None:
    norm, offsets = normalize(text)
    assert len(offsets) == len(norm)
    assert all(0 <= i < len(text) for i in offsets)
    assert all(a <= b for a, b in itertools.pairwise(offsets))


@given(_text)
def test_each_normalised_char_comes_from_its_original_char(text: str) -> None:
    # Normalising the original character alone yields the normalised character (spaces
    # aside: a collapsed run keeps only its first space).
    norm, offsets = normalize(text)
    for ch, i in zip(norm, offsets, strict=True):
        assert ch == " " or ch in normalize(text[i])[0]


@given(_text)
def test_compact_map_agrees_with_the_list(text: str) -> None:
    # The matcher looks offsets up in the compact map; normalize() returns the full list.
    result = normalize_text(text)
    norm, offsets = normalize(text)
    assert result.text == norm
    assert [result.original(i) for i in range(len(norm))] == offsets


def test_every_code_point_expands_to_fixed_points() -> None:
    # Per-character expansion is what normalize() is built from: if each character of each
    # expansion is its own expansion, normalize is idempotent for all text, not just sampled.
    # (Planes 0 and 1 hold every script a news source uses.)
    for cp in range(0x20000):
        for ch in _expand(chr(cp)):
            assert _expand(ch) == ch, hex(cp)


@pytest.mark.parametrize(("raw", "expected"), [
    ("Asa’ib Ahl al-Haq", "asaib ahl al haq"),
    ("ASA'IB AHL AL-HAQ", "asaib ahl al haq"),
    ("Asaʿib  Ahl\tal—Haq", "asaib ahl al haq"),
    ("ṣāliḥ Qaïs", "salih qais"),
    ("Straße", "strasse"),
    ("Łódź", "lodz"),
    ("مُقْتَدَى الصَّدْر", "مقتدي الصدر"),
    ("أحمد إبراهيم آمرلي ٱلحشد", "احمد ابراهيم امرلي الحشد"),
    ("مؤتمر رئيس الكتلة", "موتمر رييس الكتله"),
    ("کەرکووک", "كهركووك"),
    ("گوڤار چیا", "كوفار جيا"),
    ("الحشـــد", "الحشد"),
    ("٢٠٢٤ ۱۴۰۳", "2024 1403"),
    ("ﻻ", "لا"),
    ("a\u200cb\u200fc\u202ad\ufeffe", "abcde"),
])
def test_folding(raw: str, expected: str) -> None:
    assert normalize(raw)[0] == expected


def test_offsets_through_length_changes() -> None:
    text = "ß ﬁ\u00a0\u00a0 ﻻX"
    norm, offsets = normalize(text)
    assert norm == "ss fi لاx"
    assert offsets == [0, 0, 1, 2, 2, 3, 6, 6, 7]


def test_removed_characters_are_skipped_in_the_map() -> None:
    norm, offsets = normalize("Asa’ib")
    assert norm == "asaib"
    assert offsets == [0, 1, 2, 4, 5]


def test_lone_surrogate_and_empty() -> None:
    assert normalize("") == ("", [])
    norm, offsets = normalize("a\ud800b")
    assert norm == "a\ud800b"
    assert offsets == [0, 1, 2]


# ---------------------------------------------------------------- the fast path


@given(_text)
@settings(max_examples=500)
def test_fast_path_agrees_with_the_exact_path(text: str) -> None:
    from monitor.match.normalize import _normalize_exact
    fast, exact = normalize_text(text), _normalize_exact(text)
    assert fast.text == exact.text
    assert fast.offsets() == exact.offsets()
    assert [fast.original(i) for i in range(len(fast.text))] == exact.offsets()


@pytest.mark.parametrize("text", [
    "Iraq’s “PMF” — Asa’ib…", "قال مُقْتَدَى الصَّدر ـــ «العصائب»", "a\x00b’c", "ﷺ ß ﬁ …",
    "plain ascii only", "\u00a0\u00a0x\u2003\u2003y",
])
def test_fast_path_examples(text: str) -> None:
    from monitor.match.normalize import _normalize_exact
    assert normalize_text(text).offsets() == _normalize_exact(text).offsets()
    assert normalize_text(text).text == _normalize_exact(text).text


def test_huge_inputs() -> None:
    text = ("Asa’ib Ahl al-Haq  —  مُقتدى الصدر ﻻ ß\n" * 50_000)
    norm, offsets = normalize(text)
    assert len(norm) == len(offsets)
    assert norm.startswith("asaib ahl al haq مقتدي الصدر لا ss ")
    result = normalize_text(text)
    assert result.text == norm
    assert result.original(len(norm) - 1) == offsets[-1]


_CAPITALS = "AZaz ḤḥẞßǅǄⒶⓐİÉéŒœ’-\u0301ـأ\x01"


@given(st.one_of(_text, st.text(alphabet=st.sampled_from(_CAPITALS))))
@settings(max_examples=500)
def test_cased_keeps_the_capitals_aligned_with_the_text(text: str) -> None:
    """What the variant scan relies on: `cased` is the normalised text with capitals at
    exactly the ASCII letters whose original character is a capital."""
    result = normalize_text(text)
    cased = result.cased()
    if cased is None:
        return  # the exact path has none
    assert len(cased) == len(result.text)
    for i, (c, n) in enumerate(zip(cased, result.text, strict=True)):
        assert c == n or (c.isascii() and c.lower() == n), (i, c, n)
        if n.isascii() and n.isalpha():
            assert c.isupper() == text[result.original(i)].isupper(), (i, c, n)
    assert (cased == result.text) == (cased is result.text)  # no capitals: no copy


def test_cased_examples() -> None:
    assert normalize_text("Ḥusayn al-ʿAllaq’s").cased() == "Husayn al Allaqs"
    assert normalize_text("STRAẞE  x").cased() == "STRASSE x"
    assert normalize_text("قال مُقتدى").cased() == "قال مقتدي"
    assert normalize_text("a\x00B").cased() is None


def test_normalize_text_remembers_recent_strings_by_identity() -> None:
    # The matcher and the story features normalise the same title and body one after the
    # other: the second call returns the first one's result; an equal string that is
    # another object, or a string normalised long ago, is normalised again, alike.
    from monitor.match.normalize import _normalize_exact
    title, body = "Qais al-Khazali’s visit", "".join(["Gunmen in Maysan ", "killed one."])
    first = normalize_text(title), normalize_text(body)
    assert normalize_text(title) is first[0] and normalize_text(body) is first[1]
    again = normalize_text("".join(["Gunmen in Maysan ", "killed one."]))
    assert again is not first[1] and again.text == first[1].text
    for i in range(10):
        normalize_text(f"other text {i}")
    later = normalize_text(title)
    assert later is not first[0] and later.text == first[0].text
    assert later.offsets() == first[0].offsets() == _normalize_exact(title).offsets()
