"""The watchlists section: actors, places, keywords and rules."""

from __future__ import annotations

from typing import Any

from .model import ACTOR_TYPES, WATCHLIST_KINDS, WATCHLIST_SECTIONS, Entity, Rule
from .values import _NO_TEXTS, _Checker, _nonempty_text, _one_of, _text_list


def _watchlist(c: _Checker, raw: Any) -> tuple[Entity, ...]:
    d = c.mapping(raw, "watchlists", WATCHLIST_SECTIONS)
    entities: list[Entity] = []
    for section, kind in WATCHLIST_KINDS.items():
        terms_key = "terms" if kind == "keyword" else "aliases"
        seen: dict[str, str] = {}
        for path, item in c.items(d, section, "watchlists"):
            if isinstance(item, str):  # shorthand: "- Maysan"
                item = {"name": item}
            allowed = ("name", terms_key, "exclude") + (() if kind == "keyword" else ("short",))
            allowed += ("titles", "type") if kind == "actor" else ()
            e = c.mapping(item, path, allowed)
            name = c.get(e, "name", path, _nonempty_text, "", required=True)
            if not name:
                continue
            key = name.casefold()
            if key in seen:
                c.error(f"{path}.name", f"{name!r} is already listed at {seen[key]}")
                continue
            seen[key] = path
            extra = c.get(e, terms_key, path, _text_list, _NO_TEXTS)
            aliases = tuple(dict.fromkeys((name, *extra)))  # canonical first, no repeats
            if kind == "keyword" and extra:
                aliases = tuple(dict.fromkeys(extra))
            entities.append(Entity(name=name, kind=kind, aliases=aliases,
                                   exclude=c.get(e, "exclude", path, _text_list, _NO_TEXTS),
                                   short=c.get(e, "short", path, _text_list, _NO_TEXTS),
                                   titles=c.get(e, "titles", path, _text_list, _NO_TEXTS),
                                   type=c.get(e, "type", path, _one_of(*ACTOR_TYPES), "")))
    return tuple(entities)


def _rules(c: _Checker, raw: Any) -> tuple[Rule, ...]:
    from ..match.rules import parse_rule

    d = raw if isinstance(raw, dict) else {}
    rules: list[Rule] = []
    seen: set[str] = set()
    for path, item in c.items(d, "rules", "watchlists"):
        r = c.mapping(item, path, ("name", "query"))
        name = c.get(r, "name", path, _nonempty_text, "", required=True)
        query = c.get(r, "query", path, _nonempty_text, "", required=True)
        if name.casefold() in seen:
            c.error(f"{path}.name", f"{name!r} is already used by another rule")
        seen.add(name.casefold())
        if query:
            try:
                parse_rule(query)
            except ValueError as exc:
                c.error(f"{path}.query", str(exc))
                continue
        if name and query:
            rules.append(Rule(name=name, query=query))
    return tuple(rules)
