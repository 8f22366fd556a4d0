"""news-monitor: watch news outlets and alert when watched actors appear.

The pipeline is a chain of stages, each in its own package:

    fetch/    bytes from the network (httpx), bounded in size, time and redirects
    extract/  bytes -> feed entries, listing links, article title/date/body
    match/    article text -> watchlist hits (normalised, with offsets)
    store/    SQLite through sqlite-utils: articles, hits, deliveries (the outbox)
    alerts/   pending deliveries -> Slack / email

`pipeline.run_cycle` wires one pass of them together; `daemon.py` schedules it.
"""

__version__ = "0.1.0"
