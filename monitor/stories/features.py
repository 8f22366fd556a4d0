"""What an article looks like to story clustering: a MinHash of its words, and its entities.

Two outlets reporting one event share the event's names, places, numbers and key nouns, but
rarely whole phrases, and spell names differently ("Hussein al-Alaq", "Hussein Al-Allaq").
So the shingles are single content words of the NORMALISED text (case, diacritics, hamza
and alef forms folded by `monitor.match.normalize`), reduced further to a spelling key:
Latin words lose their vowels and doubled letters (alaq, allaq -> alq), Arabic words lose
the article and the conjunction و/ف/ب/ل/ك attached to it.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from ..match.normalize import normalize_text
from ..models import Hit
from .crosslang import NONE, CrossFeatures, cross_features

NUM_PERM = 128  # 512 bytes per article; Jaccard estimate error ~0.035 around 0.2
_SEED = 8  # fixed: signatures are persisted, so they must not change between runs

_WORD = re.compile(r"\w+")
_LATIN = re.compile(r"[a-z]+")
_VOWELS = re.compile(r"(?<=.)[aeiouy]+")
_DOUBLES = re.compile(r"(.)\1+")
# Arabic definite article with an optional attached conjunction/preposition.
_AR_ARTICLE = re.compile(r"^(?:و|ف|ب|ك|ل|وب|ول|فب|فل)?(?:ال|ل(?=ل))")

# Function words and words every Iraqi news report uses: sharing them says nothing about
# whether two reports are about the same event. Normalised like the text they are checked in.
_STOP_WORDS = """
a an the of in on at to for from by with and or but not no is are was were be been being has
have had it its this that these those as into over after before about against between during
he she they we you his her their our them him who whom which what when where while also than
then there here said says say told according added will would could should may might can one
two new last first other more most some such only just very s t news agency report reported
reports reportedly statement statements official officials source sources iraq iraqi
sunday monday tuesday wednesday thursday friday saturday today yesterday week day
al el ibn bin abu um
في من الى علي على عن مع ان أن إن كان كانت او أو ثم قد لا ما لم لن هذا هذه ذلك تلك التي الذي
الذين هو هي هم وقال قال قالت وقالت اليوم امس يوم خلال بعد قبل حيث كما ايضا وفق وفقا بين عند
العراق العراقي العراقية نيوز شفق مصدر مصادر بيان وكالة
"""
_STOP = frozenset(normalize_text(_STOP_WORDS).text.split())

# MinHash as datasketch 2 computes it with scheme="affine32" (what signatures were first
# stored with, so they stay comparable): each 32-bit key hash is mixed by the MurmurHash3
# finaliser, then mapped by NUM_PERM affine permutations h -> a*h + b mod 2**32 (a odd), and
# the signature is the minimum per permutation. Written out here because importing
# datasketch loads scipy, ~58 MB in each of the daemon's processes, for these few lines.
_PERMUTATIONS = np.random.RandomState(_SEED)
_A = _PERMUTATIONS.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
_B = _PERMUTATIONS.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
_EMPTY = np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)


def _hash32(key: str) -> int:
    """A stable 32-bit hash of a word key (Python's hash() is salted per process)."""
    data = key.encode("utf-8", "surrogatepass")
    return struct.unpack("<I", hashlib.blake2b(data, digest_size=4).digest())[0]


@lru_cache(maxsize=262_144)  # the same word keys recur in article after article
def _mixed_hash(key: str) -> int:
    """`_hash32` mixed by the MurmurHash3 finaliser (fmix32), in 32-bit arithmetic: what the
    permutations are applied to. Per key, once, rather than per signature in numpy."""
    h = _hash32(key)
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & 0xFFFFFFFF
    return h ^ (h >> 16)


@lru_cache(maxsize=262_144)  # news vocabulary repeats: most words are seen before
def word_key(word: str) -> str:
    """The spelling key of one normalised word, or "" when it carries no information."""
    if word in _STOP or len(word) < 2:
        return ""
    if word.isdigit():
        return word if len(word) >= 2 else ""  # casualty counts and years are telling
    if _LATIN.fullmatch(word):
        # Transliterations vary in vowels and doubled consonants, rarely in the rest.
        skeleton = _DOUBLES.sub(r"\1", _VOWELS.sub("", word))
        return skeleton if len(skeleton) >= 2 else ""
    stripped = _AR_ARTICLE.sub("", word)
    word = stripped if len(stripped) >= 3 else word
    return "" if word in _STOP else word


def word_keys(normalised: str) -> set[str]:
    return {key for key in map(word_key, _WORD.findall(normalised)) if key}


def signature(keys: Iterable[str]) -> np.ndarray:
    """MinHash signature (uint32) of a set of word keys."""
    hashes = np.fromiter(map(_mixed_hash, keys), dtype=np.uint32)
    if not hashes.size:
        return _EMPTY.copy()
    # uint32 array arithmetic wraps around silently (numpy checks overflow only on scalars),
    # which is the point: a*h + b mod 2**32.
    permuted = np.multiply.outer(hashes, _A)
    permuted += _B
    return permuted.min(axis=0)


def entity_set(hits: Iterable[Hit]) -> frozenset[str]:
    """Watched actors and places named: rules and keywords describe kinds of event, not which
    event, so they are left out of the overlap."""
    return frozenset(h.entity for h in hits if h.kind in ("actor", "place"))


@dataclass
class Features:
    """One article, ready to be compared with the stories of the window."""

    at: float  # UTC epoch seconds: published, else fetched
    source: str
    title_norm: str
    body_norm: str
    signature: np.ndarray
    entities: frozenset[str]
    size: int  # number of distinct word keys: tiny texts are judged by entities too
    cross: CrossFeatures = NONE  # language, actors, places, incidents, numbers (crosslang)
    # The story_signatures row's signature, entities and cross_features values, made where
    # the features are (a worker) rather than in the daemon's store transaction.
    columns: tuple[bytes, str, str] | None = field(default=None, compare=False, repr=False)

    def stored_columns(self) -> tuple[bytes, str, str]:
        """(signature bytes, entities JSON, cross_features JSON) for story_signatures."""
        if self.columns is None:
            self.columns = (self.signature.tobytes(),
                            json.dumps(sorted(self.entities), ensure_ascii=False),
                            json.dumps(self.cross.as_json(), ensure_ascii=False))
        return self.columns

    def __reduce__(self) -> tuple[object, ...]:
        """Pickled with a uint32 signature as bytes: Features cross from the worker processes
        to the daemon's, and a numpy array pickles and unpickles several times slower."""
        sig = self.signature
        packed = sig.tobytes() if isinstance(sig, np.ndarray) and sig.dtype == np.uint32 \
            and sig.ndim == 1 else sig
        return (_unpickle_features, (self.at, self.source, self.title_norm, self.body_norm,
                                     packed, self.entities, self.size, self.cross,
                                     self.columns))


def _unpickle_features(at: float, source: str, title_norm: str, body_norm: str,
                       signature: bytes | np.ndarray, entities: frozenset[str],
                       size: int, cross: CrossFeatures = NONE,
                       columns: tuple[bytes, str, str] | None = None) -> Features:
    if isinstance(signature, bytes):  # a writable array of its own, as it was
        signature = np.frombuffer(signature, dtype=np.uint32).copy()
    return Features(at=at, source=source, title_norm=title_norm, body_norm=body_norm,
                    signature=signature, entities=entities, size=size, cross=cross,
                    columns=columns)


def features(title: str | None, body: str, hits: Iterable[Hit], at: float,
             source: str, language: str | None = None) -> Features:
    hits = list(hits)
    title_norm = normalize_text(title or "").text
    body_norm = normalize_text(body or "").text
    keys = word_keys(f"{title_norm} {body_norm}")  # one pass: a space ends a word as \W does
    made = Features(at=at, source=source, title_norm=title_norm, body_norm=body_norm,
                    signature=signature(keys), entities=entity_set(hits), size=len(keys),
                    cross=cross_features(hits, title_norm, body_norm, language))
    made.stored_columns()
    return made
