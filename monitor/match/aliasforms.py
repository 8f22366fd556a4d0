"""Build-time forms of watchlist aliases that writers use but nobody lists.

Each function takes a normalised alias key and yields other normalised keys for the
same name; the matcher indexes them in its one automaton (how="variant"), so they cost
nothing per text. Language data: data/nameforms.yaml (see langdata.py).

* English spellings inside multi-word Latin names: "-isation"/"-ization", "-ise"/"-ize",
  "-our"/"-or" ("Popular Mobilisation Forces" = "Popular Mobilization Forces").
* Function words: "of"/"in"/"for" swapped, "the" optional after them ("Islamic Resistance
  of Iraq", "League of Righteous").
* Arabic construct names (idafa) with the article repeated on an earlier word ("الكتائب
  حزب الله") or moved there from the last word ("الحركة نجباء" for "حركة النجباء").
* Title keys: a title followed by a surname ("prime minister al sudani").
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator

from .arabicwords import is_arabic
from .langdata import language_data
from .variants import ARTICLES

__all__ = ["arabic_article_forms", "english_forms", "surnames", "title_keys"]

_LATIN_WORDS = re.compile(r"[a-z0-9]+(?: [a-z0-9]+)+")
_ARABIC_WORDS = re.compile(r"[\u0621-\u064a]+(?: [\u0621-\u064a]+)+")
_ARTICLE = "ال"
MIN_ENDING_WORD = 5  # "-our" in "four", "-ise" in "rise" are not spelling variants
MAX_FORMS = 64  # per alias: a name with many function words does not explode the index
MIN_BARE_ARABIC = 4  # "فتح" without its article is also a verb ('opened'): not moved
_KEEP_ARTICLE = frozenset({"الله"})  # Allah: its "ال" is not a removable article


def english_forms(key: str) -> list[str]:
    """Other spellings of a multi-word Latin alias key (the key itself excluded)."""
    if not _LATIN_WORDS.fullmatch(key):
        return []
    data = language_data()
    words = key.split(" ")
    endings = tuple(e for pair in data.english_endings for e in pair)
    if not (any(w in data.function_words for w in words[1:])
            or any(len(w) >= MIN_ENDING_WORD and w.endswith(endings) for w in words)):
        return []  # most names: nothing to vary (checked first: aliases by the thousand)
    choices: list[list[str]] = []
    for i, word in enumerate(words):
        options = [word]
        if len(word) >= MIN_ENDING_WORD:
            for a, b in data.english_endings:
                for old, new in ((a, b), (b, a)):
                    if word.endswith(old) and len(word) - len(old) >= 2:
                        options.append(word[:-len(old)] + new)
        if i > 0 and word in data.function_words:
            options = sorted(data.function_words)
            options += [f"{w} {data.optional_article}" for w in sorted(data.function_words)]
        elif word == data.optional_article and i > 0 and choices and any(
                o in data.function_words for o in choices[-1]):
            options = [word, ""]
        choices.append(list(dict.fromkeys(options)))
    forms: list[str] = []
    for combo in itertools.islice(itertools.product(*choices), MAX_FORMS + 1):
        form = " ".join(w for w in combo if w)
        form = form.replace(f" {data.optional_article} {data.optional_article} ",
                            f" {data.optional_article} ")
        if form != key and form not in forms:
            forms.append(form)
    return forms[:MAX_FORMS]


def arabic_article_forms(key: str) -> list[str]:
    """An Arabic construct name with the article repeated or moved onto an earlier word:
    "كتائب حزب الله" -> "الكتائب حزب الله"; "حركه النجباء" -> "الحركه النجباء", "الحركه
    نجباء". Only for names whose first word has no article and is not a given name or a
    kunya (a person's name), and whose last word has one."""
    if not _ARABIC_WORDS.fullmatch(key):
        return []
    words = key.split(" ")
    first, last = words[0], words[-1]
    if first.startswith(_ARTICLE) or not last.startswith(_ARTICLE) or len(first) < 3:
        return []
    data = language_data()
    if data.is_given_name(first) or first in data.compound_heads_arabic:
        return []  # a person's name ("حسين العلاق", "أبو فدك") is no construct name
    repeated = [_ARTICLE + first, *words[1:]]
    forms = [" ".join(repeated)]
    bare = last[len(_ARTICLE):]
    if last not in _KEEP_ARTICLE and len(bare) >= MIN_BARE_ARABIC:
        forms.append(" ".join([*repeated[:-1], bare]))
    return forms


def surnames(aliases: Iterable[str], short: Iterable[str]) -> list[tuple[str, str]]:
    """(normalised surname key, the form as configured) a title may precede: the short
    forms, or else the last name token of each multi-word alias (with its article)."""
    from .normalize import normalize

    out: dict[str, str] = {}
    for form in short:
        key = normalize(form)[0].strip()
        if key:
            out.setdefault(key, form)
            words = key.split(" ")
            if len(words) == 2 and words[0] in ARTICLES:  # "Prime Minister Sudani"
                out.setdefault(words[1], form)
    if out:
        return list(out.items())
    for alias in aliases:
        words = normalize(alias)[0].split()
        if len(words) < 2:
            continue
        last = words[-1]
        if len(words) >= 3 and words[-2] in ARTICLES:
            out.setdefault(f"{words[-2]} {last}", alias)
        out.setdefault(last, alias)
    return list(out.items())


def title_keys(titles: Iterable[str], names: list[tuple[str, str]]
               ) -> Iterator[tuple[str, str]]:
    """(key, surname as configured) for every title + surname (`names`: see surnames) of
    the same script."""
    from .normalize import normalize

    for title in titles:
        tkey = normalize(title)[0].strip()
        if not tkey:
            continue
        arabic = is_arabic(tkey)
        for skey, form in names:
            if is_arabic(skey) == arabic:
                yield f"{tkey} {skey}", form
