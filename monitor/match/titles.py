"""Title-licensed surnames: "Prime Minister al-Sudani", "رئيس الوزراء السوداني".

An actor's `titles:` (config) are indexed with each of its surnames (its short forms, or
the last name token of its aliases; see aliasforms.title_keys), so a title right before a
surname is found by the matcher's one automaton and counts as the actor without a full
name in the article (how="title"). A title never licenses any other surname ("Prime
Minister Netanyahu"), and the surname must be a surname, not an adjective of the title:
`title_blocked` rejects a match followed by a given name ("رئيس الوزراء السوداني عبد الله
حمدوك" is the Sudanese prime minister) or by a word such as السابق ("former") that agrees
with the title ("رئيس الوزراء السوداني السابق").
"""

from __future__ import annotations

from .langdata import language_data

__all__ = ["title_blocked"]


def title_blocked(norm: str, end: int) -> bool:
    """Whether the word after a title match (normalised text, match end `end`) shows the
    surname is not this actor."""
    if end + 1 >= len(norm) or norm[end] != " ":
        return False
    stop = end + 1
    while stop < len(norm) and norm[stop].isalnum():
        stop += 1
    word = norm[end + 1:stop]
    if not word:
        return False
    data = language_data()
    return word in data.arabic_title_blockers or data.is_given_name(word)
