"""Extra name parts between a listed given name and surname.

"Hussein al-Allaq" is also written "Hussein Ali al-Allaq" (father's name), "Hussein Sayyid
Ali Allaq" (honorific), "Hussein bin Ali bin Hassan al-Allaq" (a nasab chain), and in Arabic
"حسين علي العلاق". The matcher indexes the surname of each person's alias (with and
without its article) as an *anchor* whose entry carries the words before it (the head);
at an anchor, `head_start` looks back over the text for 1 to MAX_INSERTED name-like words
and then the head. Only names that start with a known given name or a kunya are persons'
names (data/nameforms.yaml); organisations never take inserted words.

Name-like, in Latin text: a capitalised word that is not a common English word ("Hussein
Met al-Allaq" in a Title Case headline is not a name), an honorific (Sayyid, Sheikh) or a
nasab connector (bin, ibn); in Arabic: a known given name, honorific or connector, never the
preposition على (which normalises to علي, "Ali"). The words must be separated by spaces
or hyphens only: punctuation or a line break ends a name.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from .langdata import language_data
from .normalize import Normalised
from .variants import ARTICLES, ortho_key

__all__ = ["MAX_INSERTED", "anchors", "head_start"]

MAX_INSERTED = 3
_GAP = frozenset(" -\u00a0\u2010\u2011")  # what may separate two parts of one name
_PROCLITICS = frozenset({"و", "ف", "ب", "ك", "ل", "وب", "وك", "ول", "فب", "فك", "فل"})
_KUNYAS = frozenset({"abu", "abo", "ابو", "ابا", "ابي"})


def anchors(key: str) -> list[tuple[str, tuple[str, ...]]]:
    """(anchor key, head words) for a person's alias key: the surname, with and without
    its article (Latin), after the given name(s). Empty for anything else."""
    words = key.split(" ")
    if len(words) < 2 or not (words[0] in _KUNYAS or language_data().is_given_name(words[0])):
        return []
    if len(words) >= 3 and words[-2] in ARTICLES:
        head = tuple(words[:-2])
        tails = [" ".join(words[-2:]), words[-1]]
    else:
        head = tuple(words[:-1])
        tails = [words[-1]]
    if not head or all(w in ARTICLES for w in head):
        return []
    return [(tail, head) for tail in tails]


def head_start(text: str, normalised: Normalised, start: int, head: Sequence[str]
               ) -> int | None:
    """The original offset where a name with 1..MAX_INSERTED inserted words starts, when
    the normalised text before index `start` (an anchor) holds them and then `head`."""
    norm = normalised.text
    tokens: list[tuple[int, int]] = []  # (start, end) of the tokens before, nearest first
    pos = start
    while len(tokens) < len(head) + MAX_INSERTED + 2:
        if pos < 2 or norm[pos - 1] != " " or not norm[pos - 2].isalnum():
            break
        end = pos - 1
        begin = end
        while begin > 0 and norm[begin - 1].isalnum():
            begin -= 1
        if not _joined(text, normalised, end, pos):
            break
        tokens.append((begin, end))
        pos = begin
    data = language_data()
    inserted = 0
    for i, (begin, end) in enumerate(tokens):
        token = norm[begin:end]
        if inserted and _is_head(text, normalised, norm, tokens[i:i + len(head)], head):
            first, first_end = tokens[i + len(head) - 1]
            before = tokens[i + len(head)] if i + len(head) < len(tokens) else None
            if before is not None and _name_part(text, normalised, norm, *before):
                return None  # "Saddam Hussein Ali ...": the name starts further back
            return normalised.original(first + _proclitic_length(norm[first:first_end],
                                                                 head[0]))
        if token in ARTICLES and i + 1 < len(tokens) and norm[
                tokens[i + 1][0]:tokens[i + 1][1]] in data.compound_heads_latin:
            continue  # "Abd al-Aziz": the article belongs to the inserted name
        if not _name_like(text, normalised, token, begin, end):
            return None
        if token not in data.connectors_latin and token not in data.connectors_arabic:
            inserted += 1
        if inserted > MAX_INSERTED:
            return None
    return None


def _joined(text: str, normalised: Normalised, space: int, after: int) -> bool:
    """Whether the original characters between two tokens are spaces or hyphens only (the
    normalised space at `space`; the next token at `after`)."""
    gap = text[normalised.original(space - 1) + 1:normalised.original(after)]
    return bool(gap) and all(ch in _GAP for ch in gap)


def _is_head(text: str, normalised: Normalised, norm: str,
             tokens: list[tuple[int, int]], head: Sequence[str]) -> bool:
    if len(tokens) < len(head):
        return False
    words = [norm[b:e] for b, e in reversed(tokens)]
    arabic = "\u0600" <= head[0][0] <= "\u06ff"
    for i, (word, want) in enumerate(zip(words, head, strict=True)):
        if arabic:
            if word == want or (i == 0 and word.endswith(want)
                                and word[:-len(want)] in _PROCLITICS):
                continue
            return False
        if ortho_key(word) != ortho_key(want):  # not by skeleton: Hassan is not Hussein
            return False
    if not arabic:
        first = tokens[-1][0]
        return text[normalised.original(first)].isupper()
    return True


def _proclitic_length(word: str, want: str) -> int:
    return len(word) - len(want) if word != want and word.endswith(want) else 0


def _name_part(text: str, normalised: Normalised, norm: str, begin: int, end: int) -> bool:
    """Whether the word before a head is itself part of the name (a given name or, in
    Latin text, a capitalised non-English word), not an honorific or a verb."""
    token = norm[begin:end]
    data = language_data()
    if token in data.honorifics_latin or token in data.honorifics_arabic:
        return False
    if "\u0600" <= token[0] <= "\u06ff":
        return token in data.given_names_arabic
    return _name_like(text, normalised, token, begin, end) and (
        token not in data.connectors_latin)


def _name_like(text: str, normalised: Normalised, token: str, begin: int, end: int) -> bool:
    data = language_data()
    if "\u0600" <= token[0] <= "\u06ff":
        if token not in data.given_names_arabic and token not in data.honorifics_arabic and (
                token not in data.connectors_arabic):
            return False
        written = text[normalised.original(begin):normalised.original(end - 1) + 1]
        bare = "".join(ch for ch in written if unicodedata.category(ch) != "Mn")
        return bare.replace("\u0640", "") not in data.not_names_arabic
    if token in data.connectors_latin or token in data.honorifics_latin:
        return True
    if token in data.english_words or token in ARTICLES:
        return False
    return text[normalised.original(begin)].isupper()
