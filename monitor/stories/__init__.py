"""Story clustering: one event reported by several outlets becomes one story.

    index = StoryIndex(window_seconds)
    f = features(title, body, hits, at, source)   # normalised text, MinHash, entities
    index.decide(f)                                # -> stories it may join, best first
    index.add(article_id, story_id, f)

An article no story of its own language takes on text may join one in another language on
what they share beyond words: watched names, places, incident types, numbers, time
(crosslang.py).
"""

from .features import NUM_PERM, Features, features
from .index import Decision, StoryIndex

__all__ = ["NUM_PERM", "Decision", "Features", "StoryIndex", "features"]
