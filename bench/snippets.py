"""Snippet cost: what making the sentence around each hit adds to matching.

Not a test. Run:  python bench/snippets.py [--every 1] [--step 25]

Texts: the ground-truth bodies of the article-extraction benchmark (181 pages, mostly
English, some in other languages and scripts; paragraphs kept). A "hit" is put on every
`--step`-th word of every text; each make_snippet call is timed with
time.perf_counter_ns, and the whole loop's CPU time (time.process_time) is printed beside
the wall time. The peer in the same run is `Matcher.find` on the same texts with the
shipped watchlist: the work a snippet is added to (Matcher.hits = find + one snippet per
match), printed as a ratio.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from extraction import load_benchmark  # noqa: E402

from monitor.config import load_config  # noqa: E402
from monitor.match import Matcher, make_snippet  # noqa: E402

_WORD = re.compile(r"\w+")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--every", type=int, default=1, help="use every n-th page")
    parser.add_argument("--step", type=int, default=25, help="a hit on every n-th word")
    args = parser.parse_args(argv)
    texts = [p.truth for p in load_benchmark(args.every) if p.truth]
    spans = [(text, m.start(), m.end()) for text in texts
             for m in list(_WORD.finditer(text))[::args.step]]
    make_snippet(*spans[0])  # warm-up: data file, regexes
    times = []
    wall, cpu = time.perf_counter(), time.process_time()
    for text, start, end in spans:
        began = time.perf_counter_ns()
        make_snippet(text, start, end)
        times.append(time.perf_counter_ns() - began)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    times.sort()
    print(f"{len(spans)} snippets in {len(texts)} texts ({sum(map(len, texts)) / 1e6:.1f} MB)")
    print(f"make_snippet: {wall:.3f} s wall, {cpu:.3f} s CPU; per snippet median "
          f"{statistics.median(times) / 1000:.1f} µs, p99 "
          f"{times[int(0.99 * (len(times) - 1))] / 1000:.1f} µs, max {times[-1] / 1000:.1f} µs")
    config = load_config(ROOT / "config.yaml")
    matcher = Matcher(config.watchlist, config.rules)
    matcher.find(texts[0])
    find_wall, find_cpu = time.perf_counter(), time.process_time()
    for text in texts:
        matcher.find(text)
    find_wall, find_cpu = time.perf_counter() - find_wall, time.process_time() - find_cpu
    print(f"peer, Matcher.find over the same texts: {find_wall:.3f} s wall, {find_cpu:.3f} s CPU")
    per_snippet = cpu / len(spans)
    print(f"one snippet costs {per_snippet / (find_cpu / len(texts)):.3f} of one article's find "
          f"(CPU)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
