"""Rule queries: parsing errors (shown by `monitor check`) and evaluation over an article."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.config import Entity, Rule
from monitor.match import Matcher
from monitor.match.rules import And, Near, Not, Or, Term, parse_rule

MAYSAN = Entity("Maysan", "place", ("Maysan", "Missan", "ميسان"))
KILLING = Entity("Assassination", "keyword", ("assassinat*", "shot dead", "اغتيال"))
KHAZALI = Entity("Qais al-Khazali", "actor", ("Qais al-Khazali",))
RULES = (Rule("Maysan killing", '"Maysan" AND (assassination OR clashes) AND NOT "football"'),
         Rule("Khazali near Sadr", '"Khazali" NEAR/3 "Sadr"'))


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher([MAYSAN, KILLING, KHAZALI], RULES)


def rule_hits(matcher: Matcher, text: str) -> list[tuple[str, str]]:
    return [(m.entity, m.text) for m in matcher.find(text) if m.kind == "rule"]


def test_parse_tree() -> None:
    assert parse_rule('"Maysan" AND (assassination OR clashes) AND NOT "football"') == And((
        Term("Maysan", 0), Or((Term("assassination", 14), Term("clashes", 31))),
        Not(Term("football", 48))))
    assert parse_rule('"Khazali" NEAR/10 Sadr') == Near(Term("Khazali", 0), Term("Sadr", 18), 10)
    assert parse_rule("a OR b AND c") == Or((Term("a", 0), And((Term("b", 5), Term("c", 11)))))
    assert parse_rule('"Sadr City"') == Term("Sadr City", 0)


@pytest.mark.parametrize(("query", "message"), [
    ("", "the query is empty"),
    ("   ", "the query is empty"),
    ('"Maysan" AND (clashes OR killing', "unbalanced parenthesis at position 13"),
    ("Maysan AND clashes)", "unbalanced parenthesis at position 18"),
    ('"Maysan AND clashes', "unterminated quote at position 0"),
    ("Maysan clashes", "missing operator before 'clashes' at position 7"),
    ("Maysan AND", "the query ends where a term was expected (position 10)"),
    ("AND Maysan", "AND at position 0 has no term before it"),
    ("Maysan AND OR clashes", "OR at position 11 has no term before it"),
    ("a NEAR/x b", "'NEAR/x' at position 2: NEAR needs a distance"),
    ("a NEAR/0 b", "NEAR needs a distance of 1 or more"),
    ("(a OR b) NEAR/3 c", "NEAR/3 at position 9 needs a single term on each side"),
    ('""', "empty quoted term at position 0"),
    ("NOT football", "true for an article that contains none of its terms"),
    ("Maysan OR NOT football", "true for an article that contains none of its terms"),
    ("()", "a term was expected before ')' at position 1"),
])
def test_parse_errors_say_what_and_where(query: str, message: str) -> None:
    with pytest.raises(ValueError) as error:
        parse_rule(query)
    assert message in str(error.value)


def test_bad_rule_is_a_problem_not_a_crash() -> None:
    m = Matcher([MAYSAN], [Rule("broken", "(Maysan")])
    assert m.problems == ["rule 'broken': unbalanced parenthesis at position 0: '(' is never "
                          "closed; ignored"]


def test_entity_terms_use_hits(matcher: Matcher) -> None:
    # "Maysan" names a place entity: its Arabic and variant aliases count.
    assert rule_hits(matcher, "A man was shot dead in Missan.") == [("Maysan killing", "shot dead")]
    assert rule_hits(matcher, "اغتيال في ميسان") == [("Maysan killing", "اغتيال")]


def test_word_terms_and_not(matcher: Matcher) -> None:
    assert rule_hits(matcher, "Clashes in Maysan overnight.") == [("Maysan killing", "Clashes")]
    assert rule_hits(matcher, "Clashes in Maysan after the football match.") == []
    assert rule_hits(matcher, "Clashes in Basra.") == []
    assert rule_hits(matcher, "Clashesx in Maysan.") == []  # whole words only


def test_rule_span_is_the_first_contributing_term(matcher: Matcher) -> None:
    text = "In Maysan, two clashes; then an assassination."
    (hit,) = [m for m in matcher.find(text) if m.kind == "rule"]
    assert (hit.entity, hit.kind, hit.start, hit.end, hit.text) == (
        "Maysan killing", "rule", 3, 9, "Maysan")


def test_near(matcher: Matcher) -> None:
    assert rule_hits(matcher, "Khazali criticised al-Sadr") == [("Khazali near Sadr", "Khazali")]
    assert rule_hits(matcher, "Sadr, said Khazali") == [("Khazali near Sadr", "Sadr")]
    far = "Khazali spoke on Monday about many things, and later Sadr answered"
    assert rule_hits(matcher, far) == []


def test_rules_span_title_and_body() -> None:
    m = Matcher([MAYSAN, KILLING], RULES)
    hits = m.match_article("Assassination in Maysan", "The council met. Football resumed.")
    assert [(h.entity, h.field) for h in hits if h.kind == "rule"] == []  # NOT sees the body
    hits = m.match_article("Maysan council", "An official was shot dead on Monday.")
    (rule,) = [h for h in hits if h.kind == "rule"]
    assert (rule.entity, rule.field, rule.matched_text) == ("Maysan killing", "title", "Maysan")
    assert rule.snippet == "⟦Maysan⟧ council"


def test_near_does_not_cross_fields() -> None:
    m = Matcher([], RULES)
    assert [h for h in m.match_article("Khazali", "Sadr answered") if h.kind == "rule"] == []


def _reference_gap(text: str, a: tuple[int, int], b: tuple[int, int]) -> int:
    """NEAR's distance as first written: every token of the text numbered, an occurrence
    spanning the tokens its first and last characters are in (text before the first token
    is token 0)."""
    import bisect
    import re

    starts = [m.start() for m in re.finditer(r"[^\W_]+", text)]

    def token(at: int) -> int:
        return max(bisect.bisect_right(starts, at) - 1, 0)

    (first_a, last_a), (first_b, last_b) = [
        (token(s), token(max(s, e - 1))) for s, e in (a, b)]
    if first_a > first_b:
        first_a, last_a, first_b, last_b = first_b, last_b, first_a, last_a
    return max(0, first_b - last_a)


_GAP_TEXT = st.text(alphabet="ab1_ .,'-" + "قيس الخزعلي" + "\u064e", max_size=40)


@given(_GAP_TEXT, st.data(), st.integers(min_value=1, max_value=6))
def test_tokens_apart_agrees_with_numbering_every_token(text: str, data: st.DataObject,
                                                        limit: int) -> None:
    """tokens_apart counts only the text between two occurrences, and stops past `limit`;
    within the limit it is the distance every token numbered gives, and beyond it is too."""
    from monitor.match.rules import Occurrence, tokens_apart

    if not text:
        return
    spans = []
    for _ in range(2):
        start = data.draw(st.integers(0, len(text) - 1))
        spans.append((start, data.draw(st.integers(start + 1, len(text)))))
    (sa, ea), (sb, eb) = spans
    got = tokens_apart(text, Occurrence(0, sa, ea), Occurrence(0, sb, eb), limit)
    expected = _reference_gap(text, spans[0], spans[1])
    assert (got <= limit) == (expected <= limit)
    if expected <= limit:
        assert got == expected


@pytest.mark.parametrize("text, near", [
    ("Khazali met Sadr", True),  # 2 tokens apart
    ("Khazali and then, after a long pause, Sadr", False),  # 7 apart: beyond NEAR/3
    ("Sadr, then Khazali", True),  # either order
    ("Khazali, ally of Sadr", True),  # 3 apart: NEAR/3 at its limit
    ("Khazali and his ally Sadr", False),  # 4 apart
    ("Khazali's ally Sadr", False),  # 's is a token of its own: 4 apart
    ("الخزعلي التقى الصدر", False),  # Arabic spellings are not the English terms
])
def test_near_by_token_distance(matcher: Matcher, text: str, near: bool) -> None:
    assert bool(rule_hits(matcher, text)) is near
