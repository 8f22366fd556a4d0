"""Watchlist matching: article text -> mentions of watched actors, places and keywords.

    from monitor.match import Matcher, normalize
    matcher = Matcher(config.watchlist, config.rules)  # build once
    matcher.find(text)                    # -> list[Match] for one article (incl. rule hits)
    matcher.hits(text)                    # -> list[Hit], with a snippet around each match
    matcher.match_article(title, body)    # -> list[Hit], decided once for the article
    matcher.problems                      # build-time warnings about the watchlist
"""

from .matcher import Matcher
from .normalize import normalize
from .snippet import make_snippet

__all__ = ["Matcher", "make_snippet", "normalize"]
