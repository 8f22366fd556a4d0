"""Does the story index's memory level off once its window slides? (issue 16's soak)

Not a test. Run:  python bench/story_window.py [--hours 4] [--per-minute 660] [--window 10]

The soak's daemon grew ~0.6 MB a minute, all in the story index, which keeps every
article of the window (`stories.window`, 72 h by default) in memory. This feeds the index
alone, as the Store does (batches, `add_batch`), with article times advancing at
`--per-minute` (660: the soak's rate, ~70x what the shipped outlets publish) through
`--hours` of article time with a `--window`-minute window, and prints every 20 simulated
minutes the articles it holds, its arrays' bytes and the process's RSS. If eviction works,
all three stop growing once the window (plus the hour eviction waits between scans) is
full; a leak keeps growing.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.query import Corpus, _index_bytes, _rss_mb  # noqa: E402
from monitor.stories import StoryIndex, features  # noqa: E402

BATCH = 50  # a group commit's articles at this rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=4)
    parser.add_argument("--per-minute", type=int, default=660)
    parser.add_argument("--window", type=float, default=10, help="minutes")
    args = parser.parse_args()
    corpus, rng = Corpus(seed=11), random.Random(11)
    index = StoryIndex(args.window * 60)
    total = int(args.hours * 60 * args.per_minute)
    step = 60 / args.per_minute
    start = 1_780_000_000.0
    events = [corpus.event() for _ in range(200)]
    print(f"{args.per_minute} articles a minute, window {args.window:g} min, "
          f"{args.hours:g} h of article time ({total:,} articles)")
    print(" minute   in index   arrays MB   RSS MB")
    for first in range(0, total, BATCH):
        ids = list(range(first + 1, min(total, first + BATCH) + 1))
        # (No per-article number in the title: a new word per article would fill the
        # features' bounded word caches, 2 x 262,144 entries, and blur the index's figure.)
        batch = [features(corpus.text(8, event), corpus.text(80, event), [],
                          start + (i - 1) * step, f"Outlet {i % 20}", "en")
                 for i, event in zip(ids, rng.choices(events, k=len(ids)), strict=True)]
        index.add_batch(ids, batch, lambda i, decided, first=first: (
            decided[0].story_id if decided else first + i + 1))
        minute = ids[-1] * step / 60
        if int(minute) % 20 == 0 and int((ids[0] - 1) * step / 60) != int(minute):
            print(f"{minute:7.0f} {len(index):10,} {_index_bytes(index) / 1e6:11.1f} "
                  f"{_rss_mb():8.1f}", flush=True)


if __name__ == "__main__":
    main()
