"""Why a match happened: the keys that were compared, derived again for one match.

The matcher keeps on each match only what it must (`how`, and `via`: the alias that made
it); the keys it compared are not stored, since a scan makes thousands of candidates per
text. For `monitor match --explain` they are recomputed here from `via` and the matched
text with the functions the matcher indexes and scans with (normalize, name_tokens,
token_keys, glued_forms, kunya_forms), so what is shown is what the matcher compared:

* an acronym: the text as written, case-sensitively;
* an alias (exact, normalised, short form): the normalised alias key and text key, equal;
  a prefix alias (``Hashd*``): the alias key starts the text key;
* an Arabic kunya case form (variant): the text key is another case form of the alias key;
* a Latin name variant: per name token (articles dropped) the key both agree on, the
  orthographic one (doubles collapsed) or the consonant skeleton, marked ``~``;
* a rule: the query that held;
* a name form nobody lists (a title, inserted name parts, a spelling, a parenthesis, a place
  key): named by formexplain.py;
* anything else (a rule of another module): both keys, said to differ when they do.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from ..models import Match
from .formexplain import name_form
from .normalize import normalize
from .variants import article_flags, glued_forms, kunya_forms, name_tokens, token_keys

__all__ = ["KeysCompared", "keys_compared"]

_ACRONYM = re.compile(r"[A-Z]{2,6}")  # as the matcher reads an alias (matcher._ACRONYM)


class KeysCompared(NamedTuple):
    """What was compared for one match: the alias's key and the text's key (normalised, or
    as written for an acronym; a rule's query and its evidence for a rule), what they agreed
    on (see `keys_compared`), and one line saying so."""

    alias: str
    text: str
    agreed: str
    line: str


def keys_compared(match: Match) -> KeysCompared:
    """Which keys of `match.via` and of the matched text were equal, and how.

    `agreed` is the key both sides share: the normalised key, a prefix, a kunya form, the
    name token keys ("~" marks a consonant skeleton), or "" when they do not agree as
    normalised (a rule, or a match another rule made)."""
    if match.kind == "rule":
        return KeysCompared(match.via, match.text, "", (
            f"rule query {match.via!r} held; {match.text!r} is its first evidence"))
    if not match.via:
        return KeysCompared("", match.text, "", "no alias recorded for this match")
    if _ACRONYM.fullmatch(match.via):
        return KeysCompared(match.via, match.text, match.via, (
            f"acronym {match.via!r} = text {match.text!r} (case-sensitive, whole word)"))
    prefix = match.via.endswith("*")
    alias_key = _key(match.via.rstrip("*") if prefix else match.via)
    text_key = _key(match.text)
    if prefix and text_key.startswith(alias_key):
        return KeysCompared(alias_key, text_key, alias_key, (
            f"alias key {alias_key!r} (a prefix) starts text key {text_key!r}"))
    if alias_key == text_key:
        return KeysCompared(alias_key, text_key, text_key, (
            f"alias key {alias_key!r} = text key {text_key!r}"))
    if text_key in set(kunya_forms(alias_key)):
        return KeysCompared(alias_key, text_key, text_key, (
            f"text key {text_key!r} is a kunya case form of alias key {alias_key!r}"))
    form = name_form(match.how, alias_key, text_key)
    if form is not None:  # (first: a single-word place never matches by token skeleton)
        return KeysCompared(alias_key, text_key, "", form)
    tokens = _agreeing_token_keys(alias_key, text_key)
    if tokens is not None:
        return KeysCompared(alias_key, text_key, tokens, (
            f"alias key {alias_key!r} and text key {text_key!r} agree on token keys "
            f"{tokens!r} (~: consonant skeleton{_legend(tokens)}; articles dropped)"))
    return KeysCompared(alias_key, text_key, "", (
        f"alias key {alias_key!r}, text key {text_key!r} (not equal as normalised)"))


def _legend(tokens: str) -> str:
    """What the capitals of a skeleton stand for (variants.py folds these digraphs)."""
    return ", X = kh, G = gh, S = sh/ch" if any(c in tokens for c in "XGS") else ""


def _key(text: str) -> str:
    return normalize(text)[0].strip()


def _agreeing_token_keys(alias_key: str, text_key: str) -> str | None:
    """The token keys an alias and a text agree on, as the name trie compares them: every
    name token of the text has a key of the alias token in its place (the alias may be in
    one of its glued-article forms). None when they do not agree."""
    text_tokens = name_tokens(text_key)
    alias_tokens = name_tokens(alias_key)
    if not text_tokens or not alias_tokens:
        return None
    words, had_article = article_flags(alias_key)
    for form in [words, *glued_forms(words, had_article)]:
        agreed = _agree(form, text_tokens)
        if agreed is not None:
            return " ".join(agreed)
    return None


def _agree(alias_tokens: Sequence[str], text_tokens: Sequence[str]) -> list[str] | None:
    if len(alias_tokens) != len(text_tokens):
        return None
    agreed = []
    for alias_token, text_token in zip(alias_tokens, text_tokens, strict=True):
        shared = [k for k in token_keys(alias_token) if k in token_keys(text_token)]
        if not shared:
            return None
        kind, key = shared[0]  # the orthographic key first, as the trie's edges list it
        agreed.append(key if kind == "=" else "~" + key)
    return agreed
