"""extract/: fetched bytes -> feed entries, listing links, article title/date/body.

The pipeline uses only these four functions; everything else in the package is detail.
"""

from monitor.extract.article import extract_article
from monitor.extract.dates import parse_date
from monitor.extract.encoding import decode_html
from monitor.extract.feed import parse_feed
from monitor.extract.listing import find_links

__all__ = ["decode_html", "extract_article", "find_links", "parse_date", "parse_feed"]
