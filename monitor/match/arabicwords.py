"""Arabic text words as cross-script matching reads them (crossscript.py): the words after a
given one, whether a Latin word spells an Arabic one that may carry the article, which two
Arabic words Latin writes as one (Hezbollah = حزب الله), the coarse keys a word is looked
up by, and the words before a surname that make it someone else."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from .normalize import Normalised, normalize
from .transliterate import (
    JOIN,
    MAQSURA,
    TABLE,
    agrees,
    arabic_key,
    latin_keys,
    prefixed_cores,
    strip_article,
    with_maqsura,
)
from .variants import COMMON_WORDS

__all__ = ["ALLAH", "ARABIC_LETTER", "ARABIC_RUN", "agrees_word", "arabic_lookup_keys",
           "arabic_readings", "arabic_words_after", "blocks_arabic_surname", "first_word_keys",
           "is_arabic", "is_common_word", "joined", "joins", "next_keys", "word_keys"]

ALLAH = " الله"  # (with the space before it: the second of two words)
_LETTER = "[\u0621-\u064a\u067e\u0698]"  # the Arabic letters transliteration reads
ARABIC_LETTER = re.compile(_LETTER)
ARABIC_RUN = re.compile(_LETTER + "+")


def next_keys(words: list[tuple[str, int]]) -> Iterable[str]:
    """The coarse keys the second word of a name may have when `words` follow its first:
    the next word without and with its article, or it and the one after as one word."""
    if not words:
        return ()
    word = words[0][0]
    keys = word_keys(word)
    if len(words) > 1 and joins(word, words[1][0]):
        return {*keys, arabic_key(joined(word, words[1][0]))}
    return keys


@functools.lru_cache(maxsize=65536)
def word_keys(word: str) -> tuple[str, ...]:
    """The coarse keys of an Arabic text word: without its article, and with it."""
    bare, had_article = strip_article(word)
    return (arabic_key(bare), arabic_key(word)) if had_article else (arabic_key(bare),)


def arabic_words_after(text: str, normalised: Normalised, end: int, count: int
                       ) -> list[tuple[str, int]]:
    """Up to `count` whole Arabic words following normalised index `end` (each after one
    space), with the end of each; a final ى as the text wrote it (see with_maqsura)."""
    norm = normalised.text
    size = len(norm)
    words: list[tuple[str, int]] = []
    while len(words) < count and norm.startswith(" ", end):
        m = ARABIC_RUN.match(norm, end + 1)
        if m is None:
            break
        word, stop = m.group(), m.end()
        if word[-1] == "ي":
            word = with_maqsura(word, text[normalised.original(stop - 1)])
        words.append((word, stop))
        if stop < size and norm[stop] != " ":
            break  # punctuation after it: the name cannot go on
        end = stop
    return words


def is_arabic(key: str) -> bool:
    """Whether a (normalised) word or key is in Arabic script, judged by its first letter."""
    return bool(key) and "\u0600" <= key[0] <= "\u06ff"


def is_common_word(core: str) -> bool:
    """Whether an Arabic word (article stripped) is an ordinary word, with or without the
    article: a single-word name never matches it across scripts."""
    plain = core.replace(MAQSURA, "ي")
    return any(w in COMMON_WORDS or w in TABLE.common_arabic_words
               for w in (plain, TABLE.article + plain))


def first_word_keys(word: str) -> set[str]:
    """The coarse keys a Latin name's first word is indexed by: its own, and without an
    ending that is the next word's article glued on (Abdul Aziz: Abdul -> Abd)."""
    keys = set(latin_keys(word))
    for ending in TABLE.glued_article_endings:
        if word.endswith(ending) and len(word) > len(ending) + 2:
            keys.update(latin_keys(word[:-len(ending)]))
    return keys


def arabic_readings(words: list[str]
                    ) -> Iterable[tuple[tuple[str, ...], tuple[bool, ...]]]:
    """An Arabic name's words as Latin may split them: word by word, and with a word and
    a following الله, or عبد and the next word, written as one (Hezbollah = حزب الله,
    Abdullah = عبد الله, Abdulaziz = عبد العزيز)."""
    cores = [strip_article(w) for w in words]
    plain = tuple(words)  # with the article: agrees_word reads it both ways
    follows = tuple(i + 1 < len(cores) and cores[i + 1][1] for i in range(len(cores)))
    yield plain, follows
    together: list[str] = []
    joined_follows: list[bool] = []
    i = 0
    merged = False
    while i < len(cores):
        if i + 1 < len(cores) and joins(words[i], words[i + 1]):
            together.append(joined(words[i], words[i + 1]))
            joined_follows.append(i + 2 < len(cores) and cores[i + 2][1])
            merged = True
            i += 2
        else:
            together.append(words[i])
            joined_follows.append(follows[i])
            i += 1
    if merged:
        yield tuple(together), tuple(joined_follows)


def arabic_lookup_keys(word: str, article_follows: bool) -> set[str]:
    """The coarse keys (transliterate.latin_keys) a Latin spelling of an Arabic word has:
    without its article and with it glued on (Alfayyadh, Allah), and with the next word's
    article glued to its end (Abdul Aziz)."""
    bare, had_article = strip_article(word)
    keys = {arabic_key(bare)}
    if had_article:
        keys.add(arabic_key(word))
    if article_follows:
        keys.update(k + end for k in list(keys) for end in ("l", "s", "t", "r", "n"))
    return {k for k in keys if k}


def agrees_word(latin: str, word: str, article_follows: bool = False) -> bool:
    """`agrees` for an Arabic word that may carry the article: read without it (al- is a
    word of its own in Latin, or dropped) or with it (glued: Alfayyadh, Allah, Alaa)."""
    core, had_article = strip_article(word)
    return agrees(latin, core, article_follows) or (
        had_article and agrees(latin, word, article_follows))


def joins(first: str, second: str) -> bool:
    """Whether Latin may write two Arabic words as one: a word and الله (Hezbollah,
    Abdullah), or عبد and a word with the article (Abdulaziz)."""
    return second == "الله" or (first == "عبد" and strip_article(second)[1])


def joined(first: str, second: str) -> str:
    """Two Arabic words as one, JOIN standing for the second one's article."""
    return strip_article(first)[0] + JOIN + strip_article(second)[0]


def blocks_arabic_surname(word: str) -> bool:
    """Whether an Arabic word right before a watched surname makes it someone or something
    else: another given name (ليث الخزعلي) or a place named after the person (مدينة الصدر)."""
    key = normalize(word)[0].strip()
    for offset, core, _ in prefixed_cores(key):
        if offset <= 1 and (core in TABLE.given_names or core in TABLE.place_nouns):
            return True
    return key in TABLE.given_names or key in TABLE.place_nouns
