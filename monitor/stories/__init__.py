"""Story clustering: one event reported by several outlets becomes one story.

    index = StoryIndex(window_seconds)
    f = features(title, body, hits, at, source)   # normalised text, MinHash, entities
    index.decide(f)                                # -> stories it may join, best first
    index.add(article_id, story_id, f)
"""

from .features import NUM_PERM, Features, features
from .index import Decision, StoryIndex

__all__ = ["NUM_PERM", "Decision", "Features", "StoryIndex", "features"]
