"""When a short form (a bare surname: "al-Sadr", الخزعلي) is someone else even though the
full name is in the article: inside another entity's name, or after another given name, a
place noun or, in Arabic, a definite word it describes."""

from __future__ import annotations

from .arabicwords import blocks_arabic_surname, is_arabic
from .langdata import language_data
from .names import Span
from .normalize import normalize
from .variants import ARTICLES

__all__ = ["short_form_blocked"]

# Capitalised words that may stand before a bare surname without making it another person.
_NOT_GIVEN_NAMES = frozenset({
    "the", "a", "an", "and", "but", "or", "of", "in", "on", "at", "by", "for", "with", "to",
    "from", "as", "that", "said", "says", "told", "when", "while", "after", "before", "then",
    "sheikh", "shaykh", "sayyid", "sayed", "sayyed", "seyed", "cleric", "leader", "mr", "dr",
    "hajj", "haj", "imam", "ayatollah", "grand", "minister", "commander", "chief", "president",
    "premier", "pm", "gen", "general", "brother", "his", "her", "their", "our", "spokesman",
    "secretary", "influential", "shiite", "shia", "sadrist", "populist", "militia", "however",
    "meanwhile", "if", "also", "both", "since", "mp", "sen", "rep", "prof",
    # sentence openers (a capital at the start of a sentence is not a given name)
    "later", "earlier", "today", "yesterday", "now", "there", "here", "so", "yet", "still",
    "instead", "separately", "moreover", "furthermore", "indeed", "thus", "accordingly",
    "nevertheless", "again", "once", "only", "even", "why", "how", "what", "where",
    "this", "these", "those", "it", "he", "she", "they", "we", "i", "you",
})


def short_form_blocked(text: str, span: Span, full: list[Span]) -> bool:
    """Whether a short-form match is someone else: inside another entity's name ("Laith
    al-Khazali"), or right after an unknown capitalised given name ("Mohammed Baqir al-Sadr")."""
    if any(f.entity != span.entity and f.start <= span.start and span.end <= f.end
           for f in full):
        return True
    end = span.start
    for _ in range(2):  # the word before, or the one before an article ("Baqir al Sadr")
        k = end
        while k > 0 and text[k - 1] in " -\u00a0\u2010\u2011":
            k -= 1
        if k == end:
            return False  # punctuation or start of text: nothing is glued to the name
        word_end = k
        while k > 0 and text[k - 1].isalpha():
            k -= 1
        word = text[k:word_end]
        if not word:
            return False
        if is_arabic(word):
            # Arabic has no capitals: a known given name or a place noun before it makes it
            # someone or something else (ليث الخزعلي, مدينة الصدر), unless that word is part
            # of the entity's own full name here; a definite word it describes, an adjective.
            if blocks_arabic_surname(word):
                return not any(f.entity == span.entity and f.start <= k < f.end for f in full)
            return _arabic_adjective(word)
        if normalize(word)[0] in ARTICLES:
            end = k
            continue
        if not word[0].isupper() or word.lower() in _NOT_GIVEN_NAMES:
            return False
        return not any(f.entity == span.entity and f.start <= k < f.end for f in full)
    return False


def _arabic_adjective(before: str) -> bool:
    """Whether an Arabic short form is an adjective of the definite word `before` it
    ("الشهداء النجباء", 'the noble martyrs'), unless that word is a title ("السيد الصدر")."""
    key = normalize(before)[0].strip()
    return key.startswith("ال") and key not in language_data().arabic_title_words
