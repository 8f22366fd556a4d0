"""`monitor match --explain` for the name forms nobody lists (aliasforms.py, insertions.py,
placeforms.py, glosses.py, titles.py): which form made an alias key and a text key agree,
derived again with the same functions (see explain.py)."""

from __future__ import annotations

import re

from .aliasforms import arabic_article_forms, english_forms
from .placeforms import place_key
from .variants import ARTICLES, ortho_key

__all__ = ["name_form"]

_PARENTHESIS = re.compile(r"\s*\(([^()]*)\)\s*")


def name_form(how: str, alias_key: str, text_key: str) -> str | None:
    """One line naming the name form by which `text_key` is `alias_key`, or None."""
    if how == "title":
        if text_key.endswith(" " + alias_key):
            title = text_key[:-len(alias_key)].strip()
            return (f"title {title!r} right before surname key {alias_key!r} (a title of this "
                    "actor: counts without the full name)")
        return None
    if text_key in english_forms(alias_key):
        return (f"text key {text_key!r} is alias key {alias_key!r} with another English "
                "spelling or function word")
    if text_key in arabic_article_forms(alias_key):
        return (f"text key {text_key!r} is alias key {alias_key!r} with its article repeated "
                "or moved")
    dropped = " ".join(_PARENTHESIS.sub(" ", text_key).split())
    unbracketed = " ".join(text_key.replace("(", " ").replace(")", " ").split())
    if alias_key in (dropped, unbracketed):
        what = "without the parenthesis" if dropped == alias_key else "without the brackets"
        return f"text key {text_key!r} {what} = alias key {alias_key!r}"
    if " " not in alias_key and " " not in text_key and place_key(alias_key) == place_key(
            text_key):
        return (f"alias key {alias_key!r} and text key {text_key!r} share the place key "
                f"{place_key(text_key)!r} (doubled letters, ai/ay/ei vowels, final h)")
    inserted = _inserted_words(alias_key, text_key)
    if inserted:
        return (f"text key {text_key!r} is alias key {alias_key!r} with name parts "
                f"{inserted!r} between the given name and the surname")
    return None


def _inserted_words(alias_key: str, text_key: str) -> str | None:
    """The words a text adds between an alias's given name(s) and its surname (whose
    article is optional), if that is all it adds."""
    alias, text = alias_key.split(), text_key.split()
    surname = alias[-1]
    head = alias[:-2] if len(alias) >= 3 and alias[-2] in ARTICLES else alias[:-1]
    if not head or text[-1] != surname:
        return None
    body = text[:-2] if len(text) >= 2 and text[-2] in ARTICLES else text[:-1]
    if len(body) <= len(head) or [ortho_key(w) for w in body[:len(head)]] != [
            ortho_key(w) for w in head]:
        return None
    return " ".join(body[len(head):])
