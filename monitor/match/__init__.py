"""Watchlist matching: article text -> mentions of watched actors, places and keywords.

    from monitor.match import Matcher, normalize
    matcher = Matcher(config.watchlist)   # build once
    matcher.find(text)                    # -> list[Match], offsets index `text` as given
    matcher.hits(text)                    # -> list[Hit], with a snippet around each match
    matcher.problems                      # build-time warnings about the watchlist
"""

from .matcher import Matcher
from .normalize import normalize
from .snippet import make_snippet

__all__ = ["Matcher", "make_snippet", "normalize"]
