"""Transliteration keys for Latin-script names, and other alias expansions.

Per name token, two keys (see shared/reference/transliteration_notes.md, section 3):

* orthographic: the normalised token with doubled letters collapsed (Allaq = Alaq, Haqq = Haq);
* skeleton: the consonant skeleton, for tokens of MIN_VARIANT_LETTERS letters or more:
  collapse doubles; kh->X gh->G sh/ch->S th->t dh->d ph->f ou/oo->u ee->i; q,c,g->k p->b
  v->f; drop a final h; delete a e i o u y w after the first letter and a first vowel;
  collapse doubles again. Hussein -> hsn, Husayn -> hsn, Kataeb/Kata'ib -> ktb,
  Hezbollah/Hizballah -> hzbl, Daeer/Adair -> dr.

Deliberately kept apart (precision): z/d, s/th, h/kh, k/kh. Skeletons shorter than two
letters are not used (Alawi -> "l" would match too much).

Separated articles (al, el, as, ash, ...) are not name tokens at all, so they are optional
on both sides: "Qais Khazali" = "Qais al-Khazali" = "Muqtada as-Sadr" -> (qais|muqtada, ...).
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Iterator

__all__ = ["ARTICLES", "COMMON_WORDS", "MIN_VARIANT_LETTERS", "kunya_forms", "name_tokens",
           "ortho_key", "skeleton", "token_keys"]

MIN_VARIANT_LETTERS = 4  # shorter tokens (Ali, Abu, Haq) match only as written

# The Arabic article as written in English text, including sun-letter assimilations.
ARTICLES = frozenset({"al", "el", "ul", "il", "as", "ash", "ad", "adh", "at", "ath", "az", "an",
                      "ar", "es", "ez", "ed", "et", "en", "er"})

# Aliases that are ordinary words: reported as problems because they match everywhere.
COMMON_WORDS = frozenset({
    # English
    "the", "a", "an", "and", "or", "of", "in", "on", "at", "to", "for", "by", "with", "is",
    "it", "as", "be", "will", "may", "can", "said", "state", "army", "city", "party", "group",
    "forces", "force", "police", "government", "minister", "president", "people", "movement",
    "current", "resistance", "brigade", "brigades", "alliance", "coalition", "front", "union",
    "council", "leader", "news", "sheikh", "imam", "new", "national", "islamic", "security",
    # names that alone mean something else (reference notes, section 1)
    "hezbollah", "hizballah", "hizbullah", "badr", "saraya", "hashd", "fatah", "imam ali",
    "ansar allah", "abu ali",
    # Arabic
    "في", "من", "على", "الي", "عن", "مع", "ان", "هذا", "التي", "الذي", "مدينه", "الدوله",
    "الجيش", "الحكومه", "الشرطه", "حزب", "حركه", "حزب الله", "الحشد", "المهندس", "العماره",
    "السيد", "الشيخ", "ابو علي",
})

_LATIN_TOKEN = re.compile(r"[a-z0-9]+")
_DOUBLES = re.compile(r"(.)\1+")
_FIRST_GROUP = operator.itemgetter(1)  # a match -> its group 1
_DIGRAPHS = (("kh", "X"), ("gh", "G"), ("sh", "S"), ("ch", "S"), ("th", "t"), ("dh", "d"),
             ("ph", "f"), ("ou", "u"), ("oo", "u"), ("ee", "i"))
_CONSONANTS = str.maketrans({"q": "k", "c": "k", "g": "k", "p": "b", "v": "f"})
_VOWELS = str.maketrans("", "", "aeiouyw")


def ortho_key(token: str) -> str:
    """The token with doubled letters collapsed (articles and apostrophes are gone already)."""
    # A C callable as the replacement: 2-3x faster than the template r"\1", which matters
    # for the words of article text seen for the first time.
    return _DOUBLES.sub(_FIRST_GROUP, token)


def skeleton(token: str) -> str:
    """The consonant skeleton of a normalised Latin token (recipe in the module docstring)."""
    return _skeleton(ortho_key(token))


def _skeleton(s: str) -> str:
    """`skeleton`, from the token's orthographic key."""
    for digraph, letter in _DIGRAPHS:
        s = s.replace(digraph, letter)
    s = s.translate(_CONSONANTS)
    if len(s) > 1 and s.endswith("h"):
        s = s[:-1]
    if not s:
        return s
    first = "" if s[0] in "aeiou" else s[0]
    return ortho_key(first + s[1:].translate(_VOWELS))


@functools.lru_cache(maxsize=65536)
def token_keys(token: str) -> tuple[tuple[str, str], ...]:
    """The keys a token can be looked up by: ("=", orthographic) and maybe ("~", skeleton).

    Cached: names and article text repeat the same tokens over and over."""
    key = ortho_key(token)
    ortho = ("=", key)
    if len(token) < MIN_VARIANT_LETTERS or not token.isascii():
        return (ortho,)
    skel = _skeleton(key)
    return (ortho, ("~", skel)) if len(skel) >= 2 else (ortho,)


def name_tokens(normalised: str) -> list[str] | None:
    """The name tokens of a normalised Latin alias, articles dropped; None if not Latin words."""
    words = normalised.split()
    if not words or not all(_LATIN_TOKEN.fullmatch(w) for w in words):
        return None
    return [w for w in words if w not in ARTICLES]


def glued_forms(tokens: list[str], had_article: list[bool]) -> Iterator[list[str]]:
    """Index-time forms for a glued article: Alfayyadh <-> al-Fayyadh (section 1.1 of the notes).

    A token written "alX" (X a consonant) also yields "X"; a token that followed a separate
    article also yields "alX". Only watchlist aliases are expanded, never article text, so
    "Alaq" or "Alwan" in an article are read as written.
    """
    for i, token in enumerate(tokens):
        if (token.startswith("al") and len(token) > 4 and token[2] not in "aeiouy"):
            yield [*tokens[:i], token[2:], *tokens[i + 1:]]
        if had_article[i]:
            yield [*tokens[:i], "al" + token, *tokens[i + 1:]]


def article_flags(normalised: str) -> tuple[list[str], list[bool]]:
    """Name tokens of a Latin alias and, for each, whether an article came right before it."""
    tokens: list[str] = []
    flags: list[bool] = []
    after_article = False
    for word in normalised.split():
        if word in ARTICLES:
            after_article = True
            continue
        tokens.append(word)
        flags.append(after_article)
        after_article = False
    return tokens, flags


_KUNYA = ("ابو", "ابا", "ابي")  # nominative / accusative / genitive of أبو, normalised


def kunya_forms(key: str) -> Iterator[str]:
    """The other case forms of an Arabic kunya: أبو فدك -> أبا فدك, أبي فدك."""
    words = key.split(" ")
    for i, word in enumerate(words):
        if word in _KUNYA and i + 1 < len(words):
            for other in _KUNYA:
                if other != word:
                    yield " ".join([*words[:i], other, *words[i + 1:]])
