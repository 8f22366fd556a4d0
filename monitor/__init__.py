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

import os as _os

if "MONITOR_PURE_PYTHON" in _os.environ:  # (compiled.py is not imported otherwise)
    from .compiled import prefer_sources, pure_python_requested

    if pure_python_requested():
        # the matcher's modules as Python, not as the C that `pip install` made of them
        prefer_sources()
