"""Cross-script matching: Latin watchlist names in Arabic text, Arabic names in Latin text.

A hit made this way has how="transliterated" and `via` = the alias it came from. The
decision is transliterate.agrees (a letter-by-letter transliteration model); this module
finds where to ask it, cheaply, and applies the precision rules:

* a name of several words matches only when every word agrees, in order;
* a single word matches only as a place of 5 or more Arabic letters with a long vowel
  (so that its long vowels can agree), or as a short form (a surname), which the matcher
  then counts only when the full name is in the article; a short form written with the
  article (al-Sadr) needs the article in Arabic too (صدر alone is "was issued");
* names with words that are translations (Organization, Forces, ...) and names whose key is
  too short or too common are not matched across scripts (`advice` says so, for
  `monitor check`); exclude phrases apply across scripts like aliases.

Latin names -> Arabic text (`scan_arabic`): the names are indexed by the coarse key of their
first word (transliterate.latin_keys). A text is scanned only if it holds Arabic letters: its
distinct words get a cached verdict (which names can start at this word, proclitics و ف ب ك
ل / لل and the article read off as the matcher does for Arabic aliases), then each occurrence
of such a word is walked word by word.

Arabic names -> Latin text (`scan_latin`): the names sit in a second name trie (names.py)
keyed by the same coarse key (each Arabic word also with its article glued on, and with the
next word's article glued to its end: Abdul Aziz); the trie's walk from capitalised words
proposes, `agrees` decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from ..config import Entity
from .arabicwords import (
    ALLAH,
    ARABIC_LETTER,
    ARABIC_RUN,
    agrees_word,
    arabic_lookup_keys,
    arabic_readings,
    arabic_words_after,
    first_word_keys,
    is_arabic,
    is_common_word,
    joined,
    joins,
    next_keys,
    word_keys,
)
from .names import NameTrie, Span, _Node, _Step
from .normalize import Normalised, mostly_ascii, normalize
from .transliterate import (
    MAQSURA,
    TABLE,
    agrees,
    alias_words,
    arabic_key,
    arabic_tokens,
    latin_keys,
    prefixed_cores,
    strip_article,
)
from .variants import ARTICLES, name_tokens

__all__ = ["CrossScript"]

HOW = "transliterated"
MIN_PLACE_LETTERS = 5  # a single-word place: Arabic letters, article not counted
MIN_KEY_LETTERS = 3  # a Latin name's consonant classes, all words together
_VERDICT_CACHE_LIMIT = 200_000
_LONG_LETTERS = frozenset("اويى")


@dataclass(frozen=True)
class _LatinName:
    """A Latin alias (or short form, or exclude phrase) as it is looked for in Arabic text."""

    entity: int
    alias: str
    words: tuple[str, ...]  # normalised, articles dropped
    article: bool  # a single word written with the article (al-Sadr)
    short: bool
    exclude: bool
    place: bool  # a single-word place


class _Reading(NamedTuple):
    """The names that can start at a text word read one way through its proclitics."""

    offset: int  # where the name starts in the word (after the proclitics)
    end: int  # the end of the word's letters
    single: tuple[_LatinName, ...]  # one-word names: complete here
    by_next_key: dict[str, tuple[_LatinName, ...]]  # longer ones, by their second word's keys
    longest: int  # words of the longest of them
    entities: frozenset[int]  # whose names they are (none if an exclude phrase is among them)


class _Verdict(NamedTuple):
    """What a text word can start, per reading; and, when its letters end in ي and it or
    the same word with ى could start a name, that end (the scan checks what the text
    wrote)."""

    readings: tuple[_Reading, ...]
    maqsura_at: int
    # The words after which no name can go on from this one (see scan_arabic), learned as
    # the scan meets them; None when that cannot be known from the two words alone (a
    # one-word name, punctuation inside the word, a final ي whose written form matters).
    dead_after: set[str] | None = None


_NOTHING = _Verdict((), 0)
_DEAD_AFTER_LIMIT = 4096  # words remembered per first word


@dataclass(frozen=True)
class _ArabicName:
    """An Arabic alias as it is looked for in Latin text: its words (with their article, or
    two joined by JOIN), and for each whether the next one has the article (Abdul Aziz)."""

    entity: int
    alias: str
    cores: tuple[str, ...]
    article_follows: tuple[bool, ...]


class _ArabicNameTrie(NameTrie):
    """The name trie (names.py) with Arabic names in it: its edges and the text's words
    are keyed by the coarse cross-script key (transliterate.arabic_key / latin_keys)
    instead of variants.token_keys; the walk is the trie's own."""

    def __init__(self) -> None:
        super().__init__()
        # node id -> the Arabic words (and whether the next has the article) that lead there:
        # a step keeps only the nodes whose word agrees with the text's word, so a walk
        # goes on only while the name does (the coarse keys alone collide often).
        self._words: dict[int, set[tuple[str, bool]]] = {}

    def add_keyed(self, keys_per_word: list[set[str]], words: list[tuple[str, bool]],
                  end: tuple[int, str, str, bool]) -> None:
        nodes = [self._root]
        for keys, word in zip(keys_per_word, words, strict=True):
            # A key another name's word already has leads to that word's node; the name
            # goes on from every node its word reaches (a text word follows all its keys).
            children: dict[int, _Node] = {}
            for node in nodes:
                fresh = _Node()
                for k in sorted(keys):
                    child = node.edges.setdefault(("x", k), fresh)
                    children[id(child)] = child
            nodes = list(children.values())
            for node in nodes:
                self._words.setdefault(id(node), set()).add(word)
        for node in nodes:
            if end not in node.ends:
                node.ends.append(end)

    def _can_start(self, word: str) -> bool:
        if len(self._verdicts) > _VERDICT_CACHE_LIMIT:
            self._verdicts = {}  # replaced, not cleared: a scan in another thread keeps its own
        # Only a word that agrees with the first word of some name: "The" has the key of
        # many Arabic words (ت, د, ط, ...) but is the spelling of none that starts a name.
        edges, token = self._root.edges, word.lower()
        children = [c for k in latin_keys(token) if (c := edges.get(("x", k))) is not None]
        verdict = self._verdicts[word] = any(
            agrees_word(token, w, f) for c in children for w, f in self._words[id(c)])
        return verdict

    def _learn_step(self, nodes: tuple[_Node, ...], token: str) -> _Step:
        if len(self._steps) > _VERDICT_CACHE_LIMIT:
            self._steps = {}  # replaced, not cleared: a walk in another thread keeps its own
        keys = [("x", k) for k in latin_keys(token)]
        found = {id(c): c for node in nodes for k in keys if (c := node.edges.get(k))}
        nxt = tuple(c for c in found.values()
                    if any(agrees_word(token, w, f) for w, f in self._words[id(c)]))
        step = self._steps[nodes, token] = _Step(
            nxt, tuple(end for node in nxt for end in node.ends), any(n.edges for n in nxt))
        return step


class CrossScript:
    """Both directions of cross-script matching for one watchlist. Build with `add_entity`,
    then scan from any number of threads."""

    def __init__(self) -> None:
        # coarse key -> first Latin word -> the names that start with it (a word's verdict is
        # then one `agrees` per distinct first word, not per name)
        self._by_first_key: dict[str, dict[str, list[_LatinName]]] = {}
        self._arabic_trie = _ArabicNameTrie()
        self._arabic_names: dict[int, list[_ArabicName]] = {}
        self._verdicts: dict[str, _Verdict] = {}  # text word -> what can start there
        # (id of a _Reading, the next text word) -> the names whose second word agrees
        self._seconds: dict[tuple[int, str], tuple[_LatinName, ...]] = {}
        # (entity, Latin words as written) -> the Arabic alias they spell, "" for none
        self._latin_aliases: dict[tuple[int, str], str] = {}
        self.advice: list[str] = []
        self._latin_names: list[_LatinName] = []
        self._by_keys: dict[tuple[str, ...], list[_LatinName]] | None = None  # for `finish`

    # ------------------------------------------------------------ building

    def add_entity(self, index: int, entity: Entity) -> None:
        """Index an actor's or place's names; note in `advice` what cannot cross scripts."""
        untranslatable: dict[str, list[str]] = {}
        unsafe: list[str] = []  # advice on names too short or too common to cross scripts
        # The analyst's own Arabic aliases are taken as the list of single Arabic words
        # that name the entity (العمارة alone is also "the building").
        has_arabic = any(is_arabic(normalize(a)[0].strip()) for a in entity.aliases)
        forms = [(a, False, False) for a in entity.aliases]
        forms += [(a, True, False) for a in entity.short]
        forms += [(a, False, True) for a in entity.exclude]
        for alias, short, exclude in dict.fromkeys(forms):
            if alias.endswith("*"):
                continue  # a prefix is a spelling of its own
            key = normalize(alias)[0].strip()
            if not key:
                continue
            if is_arabic(key):
                if not (short or exclude):
                    self._add_arabic(index, alias)
                continue
            words = name_tokens(key)
            if words is None:
                continue
            translated = [w for w in words if w in TABLE.translation_words]
            if translated:
                if not (short or exclude):
                    untranslatable[alias] = translated
                continue
            if len(words) > 1 or not has_arabic:
                self._add_latin(index, entity, alias, key, words, short, exclude, unsafe)
        if not has_arabic:  # with an Arabic alias, Arabic text is covered as written
            self.advice.extend(unsafe)
        if untranslatable and not has_arabic:
            words = sorted({w for ws in untranslatable.values() for w in ws})
            names = ", ".join(repr(a) for a in untranslatable)
            self.advice.append(
                f"{entity.kind} {entity.name!r}: {names} cannot be matched across scripts "
                f"(translated words: {', '.join(words)}); add its Arabic name as an alias "
                "to find it in Arabic text")

    def _add_latin(self, index: int, entity: Entity, alias: str, key: str,
                   words: list[str], short: bool, exclude: bool, unsafe: list[str]) -> None:
        single = len(words) == 1
        place = single and entity.kind == "place" and not short
        if single and not (short or place):
            return  # one word alone is too weak across scripts
        if place and len(words[0]) < MIN_PLACE_LETTERS:
            return
        name = _LatinName(index, alias, tuple(words), article=key.split()[0] in ARTICLES,
                          short=short, exclude=exclude, place=place)
        if not (single or exclude) and (problem := _unsafe(name)):
            unsafe.append(f"{entity.kind} {entity.name!r}: alias {alias!r} {problem}; not "
                          "matched across scripts (add its Arabic spelling as an alias)")
            return
        for k in first_word_keys(words[0]):
            self._by_first_key.setdefault(k, {}).setdefault(words[0], []).append(name)
        self._latin_names.append(name)

    def _add_arabic(self, index: int, alias: str) -> None:
        words = alias_words(alias)
        if len(words) < 2 or any(arabic_tokens(w) != [w] for w in words):
            return  # single Arabic words are not looked for in Latin text
        for cores, follows in arabic_readings(words):
            name = _ArabicName(index, alias, cores, follows)
            self._arabic_names.setdefault(index, []).append(name)
            keys = [arabic_lookup_keys(c, f) for c, f in zip(cores, follows, strict=True)]
            self._arabic_trie.add_keyed(keys, list(zip(cores, follows, strict=True)),
                                        (index, alias, " ".join(words), False))

    def finish(self, entities: list[Entity]) -> None:
        """After every entity is added: report aliases of two entities that are the same
        across scripts."""
        reported: set[tuple[str, str]] = set()
        for names in self._arabic_names.values():
            for arabic in names:
                for latin in self._latin_candidates(arabic):
                    pair = (latin.alias, arabic.alias)
                    if latin.entity == arabic.entity or latin.exclude or pair in reported:
                        continue
                    reported.add(pair)
                    first, second = entities[latin.entity], entities[arabic.entity]
                    self.advice.append(
                        f"alias {latin.alias!r} of {first.kind} {first.name!r} and alias "
                        f"{arabic.alias!r} of {second.kind} {second.name!r} are the same "
                        "across scripts; both entities will be reported for it")

    def _latin_candidates(self, arabic: _ArabicName) -> Iterable[_LatinName]:
        if self._by_keys is None:
            self._by_keys = {}
            for name in self._latin_names:
                keys = tuple(latin_keys(w)[0] for w in name.words)
                self._by_keys.setdefault(keys, []).append(name)
        keys = tuple(arabic_key(strip_article(c)[0]) for c in arabic.cores)
        for latin in self._by_keys.get(keys, ()):
            if all(
                    agrees_word(w, c, f) for w, c, f in zip(
                        latin.words, arabic.cores, arabic.article_follows, strict=True)):
                yield latin

    # ------------------------------------------------------------ Arabic text

    def scan_arabic(self, text: str, normalised: Normalised, spans: list[Span],
                    excluded: dict[int, list[tuple[int, int]]]) -> None:
        """Latin names in the Arabic words of a text: hits into `spans`, exclude phrases
        into `excluded` (original offsets)."""
        norm = normalised.text
        if not self._by_first_key or norm.isascii():
            return
        found: list[Span] = []
        # Where an entity already matched in its own script (an alias as written wins, see
        # _add_new): its names need no walk there.
        done = {(s.entity, s.start) for s in spans}
        if mostly_ascii(norm):
            # English with a few Arabic names: a search for an Arabic letter skips to each
            # of their words at C speed, without a Python object per English word.
            size = len(norm)
            m = ARABIC_LETTER.search(norm)
            while m is not None:
                at = norm.rfind(" ", 0, m.start()) + 1
                end = norm.find(" ", m.start())
                if end < 0:
                    end = size
                self._at_word(text, normalised, at, norm[at:end], found, excluded, done)
                m = ARABIC_LETTER.search(norm, end)
        else:
            # Every word, its place counted along (normalised words are one space apart).
            at = 0
            for word in norm.split(" "):
                if word:
                    self._at_word(text, normalised, at, word, found, excluded, done)
                at += len(word) + 1
        _add_new(spans, found)

    def _at_word(self, text: str, normalised: Normalised, at: int, word: str,
                 found: list[Span], excluded: dict[int, list[tuple[int, int]]],
                 done: set[tuple[int, int]]) -> None:
        """The names that start at the text word `word` (normalised index `at`)."""
        verdict = self._verdicts.get(word) or self._learn(word)
        if not verdict.readings and not verdict.maqsura_at:
            return
        norm = normalised.text
        dead = verdict.dead_after
        if dead is not None:
            # Most walks start at a given name followed by an ordinary word: a pair already
            # known to lead nowhere is skipped with a set lookup.
            end = at + len(word)
            if not norm.startswith(" ", end):
                return  # punctuation or the end of the text: no second word
            stop = norm.find(" ", end + 1)
            if stop < 0:
                stop = len(norm)
            after = norm[end + 1:stop]
            if after in dead and not norm.startswith(ALLAH, stop):
                return
            self._walk(text, normalised, at, verdict, found, excluded, done)
            if len(dead) < _DEAD_AFTER_LIMIT and self._leads_nowhere(verdict, after, norm, stop):
                dead.add(after)
            return
        reading = verdict
        last = verdict.maqsura_at
        if last and text[normalised.original(at + last - 1)] == MAQSURA:
            variant = word[:last - 1] + MAQSURA + word[last:]
            reading = self._verdicts.get(variant) or self._learn(variant)
        if reading.readings:
            self._walk(text, normalised, at, reading, found, excluded, done)

    def _leads_nowhere(self, verdict: _Verdict, after: str, norm: str, stop: int) -> bool:
        """Whether no name starting at a word of `verdict` can go on with the next word
        `after` (ending at `stop`): what _known_second says for every reading, known for
        sure."""
        if not _remembered_as_is(after, norm, stop):
            return False
        seconds = self._seconds
        return all(seconds.get((id(r), after)) == () for r in verdict.readings)

    def _learn(self, word: str) -> _Verdict:
        """Which names can start at a text word (read through its proclitics)."""
        if len(self._verdicts) > _VERDICT_CACHE_LIMIT:
            self._verdicts = {}  # replaced, not cleared: a scan in another thread keeps its own
        m = ARABIC_RUN.search(word)
        verdict = _NOTHING
        if m is not None and not any(ch.isalnum() for ch in word[:m.start()]):
            run, closed = m.group(), m.end() != len(word)  # closed: punctuation after it
            readings = []
            for offset, core, had_article in prefixed_cores(run):
                names = [n for first, group in self._by_first_key.get(arabic_key(core), {}).items()
                         if agrees(first, core) or agrees(first, core, True)
                         for n in group
                         if (len(n.words) == 1 or not closed)
                         and _first_word_agrees(n, core, had_article)]
                if not names:
                    continue
                by_next: dict[str, list[_LatinName]] = {}
                for n in names[:]:
                    if len(n.words) > 1:
                        for k in latin_keys(n.words[1]):
                            by_next.setdefault(k, []).append(n)
                readings.append(_Reading(
                    m.start() + offset, m.end(), tuple(n for n in names if len(n.words) == 1),
                    {k: tuple(v) for k, v in by_next.items()},
                    max(len(n.words) for n in names),
                    frozenset() if any(n.exclude for n in names)
                    else frozenset(n.entity for n in names)))
            maqsura_at = 0
            if run.endswith("ي"):  # does it matter whether the text wrote ى there?
                variant = word[:m.end() - 1] + MAQSURA + word[m.end():]
                if readings or (self._verdicts.get(variant) or self._learn(variant)).readings:
                    maqsura_at = m.end()
            two_words = bool(readings) and not maqsura_at and all(
                not r.single and r.end == len(word) for r in readings)
            verdict = _Verdict(tuple(readings), maqsura_at, set() if two_words else None)
        self._verdicts[word] = verdict
        return verdict

    def _walk(self, text: str, normalised: Normalised, start: int, verdict: _Verdict,
              spans: list[Span], excluded: dict[int, list[tuple[int, int]]],
              done: set[tuple[int, int]]) -> None:
        norm = normalised.text
        for reading in verdict.readings:
            first_end = start + reading.end
            # The names whose second word agrees with the next one, when the remembered
            # verdicts know it (None: the words must be read).
            known = self._known_second(reading, norm, first_end) if reading.by_next_key else ()
            if not reading.single and known is not None and not known:
                continue  # most walks end here: a given name, then an ordinary word
            orig_start = normalised.original(start + reading.offset)
            if reading.entities and all((e, orig_start) in done for e in reading.entities):
                continue  # every entity it could name already matched here in its own script
            found = [(n, first_end) for n in reading.single]
            if reading.by_next_key:
                words: list[tuple[str, int]] = []
                if known is not None:
                    candidates: Iterable[_LatinName] = known
                else:
                    words = arabic_words_after(text, normalised, first_end, 1)
                    if not words:
                        candidates = ()
                    elif words[0][0] == "عبد" or norm.startswith(ALLAH, words[0][1]):
                        # two words as one (see joins)
                        words = arabic_words_after(text, normalised, first_end, 2)
                        candidates = _by_keys(reading, next_keys(words))
                    else:  # the names whose second word can agree, remembered per word pair
                        pair = (id(reading), words[0][0])
                        remembered = self._seconds.get(pair)
                        candidates = remembered if remembered is not None else (
                            self._learn_second(pair, reading, words[0][0]))
                # An entity already matched here in its own script needs no more words:
                # where the watchlist has Arabic aliases, that is most candidates.
                remaining = [n for n in candidates
                             if n.exclude or (n.entity, orig_start) not in done]
                if remaining and (reading.longest > 2 or not words):
                    words = arabic_words_after(text, normalised, first_end,
                                               max(1, 2 * (reading.longest - 1)))
                for name in remaining:
                    name_end = _rest(words, name)
                    if name_end is not None:
                        found.append((name, name_end))
            for name, name_end in found:
                orig_end = normalised.original(name_end - 1) + 1
                if name.exclude:
                    excluded.setdefault(name.entity, []).append((orig_start, orig_end))
                else:
                    spans.append(Span(name.entity, orig_start, orig_end, HOW, name.short,
                                      name.alias))

    def _known_second(self, reading: _Reading, norm: str, first_end: int
                      ) -> tuple[_LatinName, ...] | None:
        """The names of `reading` that can go on after a first word ending at `first_end`,
        known from the remembered second-word verdicts alone (see _learn_second): without
        the offset map or a regex walk over the following words. () when no second word
        follows; None when not known for sure."""
        if not norm.startswith(" ", first_end):
            return ()  # punctuation or the end of the text: no second word
        stop = norm.find(" ", first_end + 1)
        if stop < 0:
            stop = len(norm)
        word = norm[first_end + 1:stop]
        if not _remembered_as_is(word, norm, stop):
            return None
        return self._seconds.get((id(reading), word))

    def _learn_second(self, pair: tuple[int, str], reading: _Reading, word: str
                      ) -> tuple[_LatinName, ...]:
        if len(self._seconds) > _VERDICT_CACHE_LIMIT:
            self._seconds = {}  # replaced, not cleared: a scan in another thread keeps its own
        names = self._seconds[pair] = tuple(
            n for n in _by_keys(reading, word_keys(word))
            if agrees_word(n.words[1], word, True))  # (True: with or without the glued article)
        return names

    # ------------------------------------------------------------ Latin text

    def scan_latin(self, text: str, normalised: Normalised, cased: str | None,
                   spans: list[Span]) -> None:
        """Arabic names in the capitalised Latin words of a text."""
        if not self._arabic_trie:
            return
        found: list[Span] = []
        done = {(s.entity, s.start, s.end) for s in spans}  # matched in its own script
        aliases = self._latin_aliases
        for span in self._arabic_trie.scan(text, normalised, cased):
            if (span.entity, span.start, span.end) in done:
                continue
            # The trie's coarse keys collide often ("Mustafa Adair" for مصطفى الدائر and
            # for the names of others): the same words of a text meet the same names again.
            key = (span.entity, text[span.start:span.end])
            alias = aliases.get(key)
            if alias is None:
                if len(aliases) > _VERDICT_CACHE_LIMIT:
                    # replaced, not cleared: a scan in another thread keeps its own
                    aliases = self._latin_aliases = {}
                alias = aliases[key] = self._arabic_alias(span.entity, key[1])
            if alias:
                found.append(Span(span.entity, span.start, span.end, HOW, False, alias))
        _add_new(spans, found)

    def _arabic_alias(self, entity: int, written: str) -> str:
        """The Arabic alias of `entity` that Latin words `written` spell, word for word
        ("" if none does)."""
        words = [w for w in normalize(written)[0].split() if w not in ARTICLES]
        for name in self._arabic_names.get(entity, ()):
            if len(name.cores) == len(words) and all(
                    agrees_word(w, c, f) for w, c, f in zip(
                        words, name.cores, name.article_follows, strict=True)):
                return name.alias
        return ""


# ---------------------------------------------------------------- helpers


def _remembered_as_is(word: str, norm: str, stop: int) -> bool:
    """Whether the second-word verdict remembered for the text word `word` (ending at `stop`
    of `norm`) holds as it stands: not when the text may have written a final ى there, when
    Latin joins it with the next word (عبد, الله), or when punctuation clings to it. Those
    are walked instead."""
    return not (word.endswith("ي") or word == "عبد" or norm.startswith(ALLAH, stop)
                or not ARABIC_RUN.fullmatch(word))


def _rest(words: list[tuple[str, int]], name: _LatinName) -> int | None:
    """Where a name of several words ends when its first word agreed and `words` (see
    arabic_words_after) follow it, or None. A Latin word may stand for two Arabic words
    written as one (Hezbollah = حزب الله)."""
    end, j = 0, 0
    for i, latin in enumerate(name.words[1:], start=1):
        if j >= len(words):
            return None
        more = i + 1 < len(name.words)  # another Latin word follows this one
        word = words[j][0]
        following = words[j + 1][0] if j + 1 < len(words) else ""
        if agrees_word(latin, word, more and following.startswith(TABLE.article)):
            end, j = words[j][1], j + 1
            continue
        after = words[j + 2][0] if j + 2 < len(words) else ""
        if following and joins(word, following) and agrees(
                latin, joined(word, following), more and after.startswith(TABLE.article)):
            end, j = words[j + 1][1], j + 2
            continue
        return None
    return end


def _by_keys(reading: _Reading, keys: Iterable[str]) -> tuple[_LatinName, ...]:
    found = {id(n): n for k in keys for n in reading.by_next_key.get(k, ())}
    return tuple(found.values())


def _add_new(spans: list[Span], found: list[Span]) -> None:
    """Add cross-script spans, except where the same entity matched the same words in
    their own script (an alias as written says more than a transliteration)."""
    if not found:
        return
    same = {(s.entity, s.start, s.end) for s in spans}
    spans.extend(s for s in found if (s.entity, s.start, s.end) not in same)


def _unsafe(name: _LatinName) -> str:
    """Why a multi-word Latin name is not safe to look for in Arabic text ("" if it is)."""
    letters = sum(len(latin_keys(w)[0]) for w in name.words)
    if letters < MIN_KEY_LETTERS:
        return f"has too few consonants ({letters}) to be matched safely in Arabic text"
    common = [next((c for k in latin_keys(w) for c in _COMMON_BY_KEY.get(k, ())
                    if agrees(w, c)), None) for w in name.words]
    if all(common):
        return f"reads as ordinary Arabic words ({' '.join(str(c) for c in common)})"
    return ""


def _first_word_agrees(name: _LatinName, core: str, had_article: bool) -> bool:
    """The name's own conditions on the first word (its Latin word agrees with `core`)."""
    if name.short and name.article and not had_article:
        return False  # al-Sadr needs الصدر: صدر alone is a verb
    if name.place and not (len(core) >= MIN_PLACE_LETTERS and _LONG_LETTERS & set(core)):
        return False
    if len(name.words) == 1 and is_common_word(core):
        return False  # العمارة: Amarah, and "the building"
    if len(name.words) == 1:
        return agrees(name.words[0], core)
    return True  # the first word agrees (perhaps with the next word's article: Abdul Aziz)


_COMMON_BY_KEY: dict[str, list[str]] = {}
for _word in sorted(TABLE.common_arabic_words):
    _COMMON_BY_KEY.setdefault(arabic_key(strip_article(_word)[0]), []).append(
        strip_article(_word)[0])
