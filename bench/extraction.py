"""Article-extraction benchmark: our extractor against trafilatura, in one run.

Body text: the article-extraction-benchmark corpus, scored with the word-shingle metric
of its METRIC.md (4-token shingles as multisets; P and R averaged per page; F1 from the
two means). That metric ignores whitespace, so paragraph structure is scored apart: the
ground truth keeps paragraphs (blank lines, and single line breaks between list items
and headings), and `boundary_score` compares where each text breaks its lines between
the words both texts share (see its docstring). Metadata: title/author/date accuracy on
Mozilla's readability test pages.

    python bench/extraction.py            # both extractors, full corpus
    python bench/extraction.py --ours     # skip trafilatura
    python bench/extraction.py --every 4  # every 4th page only

Timing is time.perf_counter around the extract call only (HTML parsing included).
Not part of the test suite; tests/test_extraction_regression.py reuses `score` and
`load_benchmark` from here so both use the same metric.
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import json
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
BENCHMARK = CORPORA / "article-extraction-benchmark"
READABILITY = CORPORA / "readability-test-pages" / "test" / "test-pages"
_WORD = re.compile(r"\w+")
_BREAK = re.compile(r"\n")

Extractor = Callable[[str, str], str]


@dataclass(frozen=True)
class Page:
    id: str
    url: str
    html: str
    truth: str


@dataclass(frozen=True)
class Result:
    name: str
    precision: float
    recall: float
    f1: float
    boundary: tuple[float, float, float]  # paragraph-boundary P, R, F1
    median_ms: float
    p90_ms: float


# --- corpus and metric (METRIC.md) -------------------------------------------------------

def load_benchmark(every: int = 1) -> list[Page]:
    """Pages sorted by id; every n-th one when `every` > 1."""
    if not (BENCHMARK / "ground-truth.json").is_file():
        raise SystemExit(f"benchmark corpus not found at {BENCHMARK}")
    truth = json.loads((BENCHMARK / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(truth)[::every]:
        raw = gzip.decompress((BENCHMARK / "html" / f"{page_id}.html.gz").read_bytes())
        item = truth[page_id]
        pages.append(Page(page_id, item.get("url") or "", raw.decode("utf-8", "replace"),
                          item.get("articleBody") or ""))
    return pages


def shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = _WORD.findall(text)
    if len(tokens) < 4:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i:i + 4]) for i in range(len(tokens) - 3))


def page_counts(truth: str, extracted: str) -> tuple[int, int, int]:
    """TP, FP, FN shingle counts of one page."""
    want, got = shingles(truth), shingles(extracted)
    tp = sum((want & got).values())
    return tp, sum((got - want).values()), sum((want - got).values())


def score(pairs: list[tuple[str, str]]) -> tuple[float, float, float]:
    """(precision, recall, F1) over (truth, extracted) pairs, as METRIC.md defines them."""
    return _macro_scores((page_counts(t, e) for t, e in pairs), empty_is_perfect=True)


def _macro_scores(counts: Iterable[tuple[int, int, int]], empty_is_perfect: bool = False
                  ) -> tuple[float, float, float]:
    """(precision, recall, F1) from per-page (TP, FP, FN): P and R are means over the pages
    where they are defined, F1 comes from the two means. With `empty_is_perfect`, a page
    with nothing to find and nothing found scores 1 on both."""
    precisions, recalls = [], []
    for tp, fp, fn in counts:
        if empty_is_perfect and tp + fp == 0 and tp + fn == 0:
            precisions.append(1.0)
            recalls.append(1.0)
            continue
        if tp + fp:
            precisions.append(tp / (tp + fp))
        if tp + fn:
            recalls.append(tp / (tp + fn))
    precision = statistics.fmean(precisions) if precisions else 0.0
    recall = statistics.fmean(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _words_and_breaks(text: str) -> tuple[list[str], list[bool]]:
    """The \\w+ tokens of `text`, and for each whether a line break comes before it."""
    words, breaks, done = [], [], 0
    for m in _WORD.finditer(text):
        words.append(m.group())
        breaks.append(bool(words[:-1]) and _BREAK.search(text, done, m.start()) is not None)
        done = m.end()
    return words, breaks


def boundary_counts(truth: str, extracted: str) -> tuple[int, int, int]:
    """TP, FP, FN paragraph breaks of one page.

    The two word sequences are aligned (difflib, no junk heuristic); every gap between two
    consecutive truth words that sit, aligned, next to each other in the extraction too is
    a place both texts share, and counts once: a break (one or more line breaks) in both
    is a TP, only in the extraction an FP, only in the truth an FN. Gaps next to missing
    or extra text are not counted, so this scores structure, not selection.
    """
    want_words, want_breaks = _words_and_breaks(truth)
    got_words, got_breaks = _words_and_breaks(extracted)
    matcher = difflib.SequenceMatcher(None, want_words, got_words, autojunk=False)
    tp = fp = fn = 0
    for i, j, size in matcher.get_matching_blocks():
        for k in range(1, size):
            want, got = want_breaks[i + k], got_breaks[j + k]
            tp += want and got
            fp += got and not want
            fn += want and not got
    return tp, fp, fn


def boundary_score(pairs: list[tuple[str, str]]) -> tuple[float, float, float]:
    """(precision, recall, F1) of paragraph breaks over (truth, extracted) pairs, averaged
    per page like `score`: P over pages where the extraction breaks a shared gap, R over
    pages where the truth does; F1 from the two means."""
    return _macro_scores(boundary_counts(t, e) for t, e in pairs)


# --- extractors ----------------------------------------------------------------------------

def ours(html: str, url: str) -> str:
    from monitor.errors import ExtractError
    from monitor.extract import extract_article

    try:
        return extract_article(html, url).body
    except ExtractError:
        return ""


def trafilatura_body(html: str, url: str) -> str:
    import trafilatura

    return trafilatura.extract(html, url=url) or ""


def run(name: str, extract: Extractor, pages: list[Page]) -> tuple[Result, list[str]]:
    # One untimed warm-up call: lazy imports and regex compilation are not per-page costs.
    extract(pages[0].html, pages[0].url)
    times, bodies = [], []
    for page in pages:
        start = time.perf_counter()
        body = extract(page.html, page.url)
        times.append((time.perf_counter() - start) * 1000)
        bodies.append(body)
    pairs = [(p.truth, b) for p, b in zip(pages, bodies, strict=True)]
    precision, recall, f1 = score(pairs)
    times.sort()
    p90 = times[min(len(times) - 1, int(0.9 * len(times)))]
    return Result(name, precision, recall, f1, boundary_score(pairs), statistics.median(times),
                  p90), bodies


# --- metadata (readability test pages) -------------------------------------------------------

def _norm(text: str | None) -> str:
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return " ".join(_WORD.findall(text))


def title_matches(expected: str | None, got: str | None) -> bool:
    """Equal after normalising case/punctuation, or one contains the other (a site-name
    suffix kept or dropped by either side is not a mistake)."""
    want, have = _norm(expected), _norm(got)
    return bool(want and have) and (want == have or want in have or have in want)


def author_matches(expected: str | None, got: str | None) -> bool:
    """Every word of our author appears in the expected byline ("By Jane Doe, Reuters"
    vs "Jane Doe"), or the reverse."""
    want, have = set(_norm(expected).split()), set(_norm(got).split())
    return bool(want and have) and (have <= want or want <= have)


def date_matches(expected: str | None, got: str | None) -> bool:
    """Same calendar day (UTC date of ours vs the date part of the expected string):
    readability keeps local times without offsets, so hours can legitimately differ."""
    return bool(expected and got) and got[:10] == expected[:10]


def metadata_accuracy() -> dict[str, tuple[int, int]]:
    """field -> (matches, pages where the expected value is present)."""
    from monitor.extract import decode_html, extract_article

    tallies = {"title": [0, 0], "author": [0, 0], "published": [0, 0]}
    checks = {"title": ("title", title_matches), "author": ("byline", author_matches),
              "published": ("publishedTime", date_matches)}
    for case in sorted(p for p in READABILITY.iterdir() if p.is_dir()):
        expected = json.loads((case / "expected-metadata.json").read_text(encoding="utf-8"))
        html = decode_html((case / "source.html").read_bytes())
        try:
            got = extract_article(html, "http://fakehost/test/page.html")
        except Exception:  # a page we cannot read counts as misses, not a crash
            got = None
        for field, (key, same) in checks.items():
            if expected.get(key):
                tallies[field][1] += 1
                tallies[field][0] += bool(got and same(expected[key], getattr(got, field)))
    return {k: (v[0], v[1]) for k, v in tallies.items()}


# --- report ----------------------------------------------------------------------------------

def print_table(results: list[Result]) -> None:
    print(f"{'extractor':<12} {'F1':>6} {'P':>6} {'R':>6} {'para F1':>8} {'para P':>7} "
          f"{'para R':>7} {'median ms':>10} {'p90 ms':>8}")
    for r in results:
        bp, br, bf = r.boundary
        print(f"{r.name:<12} {r.f1:6.3f} {r.precision:6.3f} {r.recall:6.3f} {bf:8.3f} "
              f"{bp:7.3f} {br:7.3f} {r.median_ms:10.2f} {r.p90_ms:8.2f}")
    print("(F1/P/R: word shingles, METRIC.md; para: paragraph breaks, boundary_score)")
    if len(results) == 2 and results[0].median_ms:
        print(f"speed ratio (trafilatura median / ours median): "
              f"{results[1].median_ms / results[0].median_ms:.1f}x")


def print_worst(pages: list[Page], bodies: list[str], n: int) -> None:
    rows = []
    for page, body in zip(pages, bodies, strict=True):
        tp, fp, fn = page_counts(page.truth, body)
        rows.append((tp / max(1, tp + fp), tp / max(1, tp + fn), page.id))
    for precision, recall, page_id in sorted(rows, key=lambda r: r[0] + r[1])[:n]:
        print(f"  {page_id}  P={precision:.2f} R={recall:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ours", action="store_true", help="skip trafilatura")
    parser.add_argument("--every", type=int, default=1, help="use every n-th page")
    parser.add_argument("--worst", type=int, default=0, help="list the n worst pages (ours)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    pages = load_benchmark(args.every)
    print(f"{len(pages)} pages from {BENCHMARK}")
    mine, bodies = run("ours", ours, pages)
    results = [mine]
    if not args.ours:
        results.append(run("trafilatura", trafilatura_body, pages)[0])
    print_table(results)
    if args.worst:
        print_worst(pages, bodies, args.worst)
    print("\nmetadata on readability test pages (ours; match rules in title_matches, "
          "author_matches, date_matches):")
    for field, (hits, total) in metadata_accuracy().items():
        print(f"  {field:<10} {hits}/{total} = {hits / max(1, total):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
