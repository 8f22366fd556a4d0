"""Benchmark the watchlist matcher against a regex alternation and flashtext.

Not a test. Run:  python bench/matching.py [--mb 50] [--entities 5000] [--repeat 5]
(flashtext comes with `pip install -e .[bench]`; it is skipped if missing.)

Cross-script matching (match/crossscript.py) is on by default; the run also times the same
matcher with it off (`matching: {cross_script: false}`) on the same corpus, and times both
on a name-dense corpus: news-like English and Arabic paragraphs built from the shipped
watchlist and sentence templates, where most sentences name people, places and groups (as
conflict reporting does), in their own script and in the other one.

Deterministic (seeded) synthetic data: 5,000 entities with Arabic-name-like multi-word Latin
names and Arabic-script names, plus the shipped config's watchlist; articles of ~5 KB of
English and Arabic filler with mentions sprinkled in varied spellings (article forms,
doubled letters, vowel changes, proclitics). Ours is timed end to end (`Matcher.find` per
article: normalise + scan + resolve); the peers get the same articles and the same alias
strings, and do only their own (simpler) job: regex = one compiled alternation with
re.IGNORECASE and \\b; flashtext = KeywordProcessor (case-insensitive, exact words).

The matcher's hot modules are compiled by mypyc at install (monitor/compiled.py). When they
are, the run also times the same sources as plain Python (MONITOR_PURE_PYTHON=1, in a child
process on the same corpora) and prints compiled / interpreted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.compiled import compiled_modules, describe_build  # noqa: E402
from monitor.config import Entity, load_config  # noqa: E402
from monitor.match import Matcher  # noqa: E402

GIVEN = ["Mohammed", "Ali", "Hussein", "Ahmed", "Hassan", "Abbas", "Qais", "Hadi", "Akram",
         "Falih", "Jawad", "Karim", "Haider", "Mustafa", "Salim", "Yasir", "Nabil", "Adnan",
         "Sattar", "Jabbar", "Kadhim", "Ghazi", "Wissam", "Laith", "Hamid", "Basim"]
FAMILY_SYL = ["ka", "zi", "mu", "ha", "da", "wi", "ra", "ja", "sa", "ti", "ba", "ri", "la",
              "qa", "fa", "ya", "na", "shi", "kha", "dh", "ma", "bi"]
AR_GIVEN = ["محمد", "علي", "حسين", "احمد", "حسن", "عباس", "قيس", "هادي", "اكرم", "فالح", "جواد",
            "كريم", "حيدر", "مصطفى", "سالم", "ياسر"]
AR_SYL = ["كا", "زي", "مو", "حا", "دا", "وي", "را", "جا", "سا", "تي", "با", "ري", "لا", "قا",
          "فا", "يا", "نا"]
EN_FILLER = re.findall(
    r"\S+", "the security forces said on Monday that officials in the province had deployed "
             "additional police units after a night of tension while residents waited for "
             "statements from the government and local council members who met in the "
             "capital to discuss the situation according to sources")
AR_FILLER = re.findall(
    r"\S+", "قال مصدر أمني إن القوات انتشرت في المحافظة بعد ليلة من التوتر بينما انتظر "
             "السكان بيانات الحكومة وأعضاء المجلس المحلي الذين اجتمعوا في العاصمة لمناقشة "
             "الأوضاع وفقاً لمصادر مطلعة")


def family(rng: random.Random) -> str:
    return "".join(rng.choice(FAMILY_SYL) for _ in range(rng.randint(2, 3))).capitalize()


def synthetic_entities(rng: random.Random, count: int) -> list[Entity]:
    entities = []
    for i in range(count):
        surname = family(rng)
        latin = f"{rng.choice(GIVEN)} {family(rng)} al-{surname}"
        arabic = f"{rng.choice(AR_GIVEN)} " + "ال" + "".join(
            rng.choice(AR_SYL) for _ in range(3))
        aliases = (latin, f"{latin.split()[0]} al-{surname}", arabic)
        entities.append(Entity(f"Person {i} {latin}", "actor", aliases))
    return entities


def respell(name: str, rng: random.Random) -> str:
    """A variant spelling as news writes it: article forms, doubling, vowel swaps."""
    name = name.replace("al-", rng.choice(["al-", "Al-", "al ", "el-", "", "Al "]))
    if rng.random() < 0.3:
        name = re.sub("a", "e", name, count=1)
    if rng.random() < 0.3:
        name = re.sub(r"([lmnrs])", r"\1\1", name, count=1)
    return name


def article(rng: random.Random, arabic: bool, mentions: list[str], size: int,
            density: float) -> str:
    filler = AR_FILLER if arabic else EN_FILLER
    words: list[str] = []
    length = 0
    while length < size:
        if rng.random() < density and mentions:
            word = rng.choice(mentions)
        else:
            word = rng.choice(filler)
            if not arabic and rng.random() < 0.05:
                word = word.capitalize() + rng.choice([".", ",", "’s", ""])
        words.append(word)
        length += len(word) + 1
        if len(words) % 70 == 69:
            words.append("\n\n")
    return " ".join(words)


def corpus(rng: random.Random, entities: list[Entity], megabytes: float,
           density: float = 0.01) -> list[str]:
    latin = [respell(e.aliases[rng.randint(0, 1)], rng) for e in entities[:2000]]
    latin += ["Moqtada as-Sadr", "Qays al-Khazali", "Kataeb Hizballah", "Hussein Al-Allaq",
              "Asa’ib Ahl al-Haq", "PMF", "AAH"]
    arabic = [rng.choice(["", "و", "ل"]) + e.aliases[2] for e in entities[:2000]]
    arabic += ["مُقتدى الصدر", "لعصائب أهل الحق", "أبا فدك", "قيس الخزعلي"]
    texts = []
    total = 0
    while total < megabytes * 1_000_000:
        is_arabic = len(texts) % 2 == 1
        text = article(rng, is_arabic, arabic if is_arabic else latin, rng.randint(3000, 8000),
                       density)
        texts.append(text)
        total += len(text.encode())
    return texts


EN_TEMPLATES = [
    "{actor} said on Monday that the talks on the new government would resume next week.",
    "Sources in {place} told reporters that security forces had been reinforced overnight.",
    "{group} denied any role in the attack, according to a statement issued on Sunday.",
    "Residents said {group} had set up checkpoints on the main road to the city.",
    "The statement by {actor} came hours after clashes in {place} left three people dead.",
    "Officials said the meeting was postponed until the security situation improves.",
]
AR_TEMPLATES = [
    "قال {actor} يوم الاثنين إن المحادثات بشأن الحكومة الجديدة ستستأنف الأسبوع المقبل.",
    "وأفادت مصادر في {place} بأن القوات الأمنية عززت انتشارها خلال الليل.",
    "ونفت {group} أي دور لها في الهجوم، بحسب بيان صدر يوم الأحد.",
    "وقال سكان إن {group} أقامت نقاط تفتيش على الطريق الرئيسي المؤدي إلى المدينة.",
    "وجاء بيان {actor} بعد ساعات من اشتباكات في {place} أسفرت عن ثلاثة قتلى.",
    "وقال مسؤولون إن الاجتماع أُجّل إلى حين تحسن الوضع الأمني.",
]


def name_dense_corpus(rng: random.Random, entities: list[Entity], megabytes: float
                      ) -> list[str]:
    """News-like paragraphs, half English half Arabic, where most sentences name watched
    actors, groups and places: English sentences take Latin and Arabic names, Arabic ones
    Arabic and Latin names (the cross-script hits)."""
    def split(kind: str) -> tuple[list[str], list[str]]:
        latin, arabic = [], []
        for e in entities:
            if e.kind != kind:
                continue
            for alias in e.aliases:
                if "\u0600" <= alias[:1] <= "\u06ff":
                    arabic.append(alias)
                elif not alias.isupper():
                    latin.append(alias)
        return latin, arabic

    people_en, people_ar = split("actor")
    places_en, places_ar = split("place")
    groups_en = [a for a in people_en if len(a.split()) >= 2]
    groups_ar = [a for a in people_ar if len(a.split()) >= 2]
    texts: list[str] = []
    total = 0
    while total < megabytes * 1_000_000:
        arabic = len(texts) % 2 == 1
        templates = AR_TEMPLATES if arabic else EN_TEMPLATES
        own = (people_ar, groups_ar, places_ar) if arabic else (people_en, groups_en, places_en)
        other = (people_en, groups_en, places_en) if arabic else (people_ar, groups_ar, places_ar)
        sentences = []
        for _ in range(rng.randint(20, 50)):
            pools = other if rng.random() < 0.2 else own
            people, groups, places = pools
            sentences.append(rng.choice(templates).format(
                actor=rng.choice(people), group=rng.choice(groups), place=rng.choice(places)))
        text = " ".join(sentences)
        texts.append(text)
        total += len(text.encode())
    return texts


def timed(label: str, fn, texts: list[str], size_mb: float, repeat: int = 1) -> float:
    """Time `fn` over `texts` `repeat` times; print and return the best run's MB/s. On a
    shared or throttled machine a run is only ever slowed down, so the best of several is
    the figure to compare (as timeit does); the median says how noisy the runs were."""
    runs = []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        found = 0
        for text in texts:
            found += fn(text)
        runs.append((time.perf_counter() - start, time.process_time() - cpu))
    seconds, cpu = min(runs)
    speed = size_mb / seconds
    spread = ""
    if repeat > 1:
        median = statistics.median(wall for wall, _ in runs)
        spread = f", median of {repeat} runs {size_mb / median:.3g} MB/s"
    print(f"{label:44s} {speed:8.3g} MB/s  ({seconds:6.2f} s wall, {cpu:6.2f} s CPU, "
          f"{found} matches{spread})")
    return speed


def built(entities: list[Entity], rules, cross_script: bool) -> tuple[Matcher, float, float]:
    start, cpu = time.perf_counter(), time.process_time()
    matcher = Matcher(entities, rules, cross_script=cross_script)
    return matcher, time.perf_counter() - start, time.process_time() - cpu


def positive(value: str) -> int:
    """argparse type: a whole number of at least 1."""
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


def interpreted(args: argparse.Namespace, mixed: float, dense: float) -> None:
    """The cross-script-on figures of the same sources as plain Python, from a child process
    on the same corpora, beside the compiled ones."""
    env = {**os.environ, "MONITOR_PURE_PYTHON": "1"}
    child = subprocess.run(
        [sys.executable, __file__, "--cross-script-only", "--mb", str(args.mb), "--entities",
         str(args.entities), "--density", str(args.density), "--repeat", str(args.repeat)],
        env=env, capture_output=True, text=True, check=True)
    figures = json.loads(child.stdout.splitlines()[-1])
    print(f"interpreted (MONITOR_PURE_PYTHON=1, same corpora): mixed {figures['mixed']:.3g} "
          f"MB/s, name-dense {figures['dense']:.3g} MB/s")
    print(f"compiled / interpreted: mixed {mixed / figures['mixed']:.2f}x, name-dense "
          f"{dense / figures['dense']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=50.0)
    parser.add_argument("--entities", type=int, default=5000)
    parser.add_argument("--density", type=float, default=0.01,
                        help="share of words that are watched names (0.01 = 1 in 100)")
    parser.add_argument("--repeat", type=positive, default=1,
                        help="time each of our runs this many times and report the best "
                             "(5 on a noisy machine)")
    parser.add_argument("--cross-script-only", action="store_true",
                        help="time only the cross-script-on runs and print them as JSON "
                             "(what the interpreted comparison runs)")
    args = parser.parse_args()
    rng = random.Random(20260103)
    shipped = load_config(ROOT / "config.yaml", env={})
    entities = synthetic_entities(rng, args.entities) + list(shipped.watchlist)
    texts = corpus(rng, entities, args.mb, args.density)
    size_mb = sum(len(t.encode()) for t in texts) / 1_000_000
    dense = name_dense_corpus(random.Random(20260104), entities[-len(shipped.watchlist):],
                              args.mb / 5)
    dense_mb = sum(len(t.encode()) for t in dense) / 1_000_000
    if args.cross_script_only:
        matcher = Matcher(entities, shipped.rules, cross_script=True)
        figures = {"mixed": timed("ours (Matcher.find, end to end)",
                                  lambda t: len(matcher.find(t)), texts, size_mb, args.repeat),
                   "dense": timed(f"ours, name-dense ({dense_mb:.0f} MB)",
                                  lambda t: len(matcher.find(t)), dense, dense_mb,
                                  args.repeat)}
        print(json.dumps(figures))
        return
    print(f"{len(entities)} entities, {len(texts)} articles, {size_mb:.1f} MB UTF-8 "
          f"(half English, half Arabic), {args.density:.1%} of words are names")
    print(f"matcher: {describe_build()}")

    off, build_off, cpu_off = built(entities, shipped.rules, cross_script=False)
    print(f"index build, cross-script off: {build_off:.2f} s wall, {cpu_off:.2f} s CPU")
    ours_off = timed("ours, cross-script off", lambda t: len(off.find(t)), texts, size_mb,
                     args.repeat)
    dense_off = timed(f"ours, cross-script off, name-dense ({dense_mb:.0f} MB)",
                      lambda t: len(off.find(t)), dense, dense_mb, args.repeat)

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    matcher, build, cpu = built(entities, shipped.rules, cross_script=True)
    print(f"index build, cross-script on:  {build:.2f} s wall, {cpu:.2f} s CPU "
          f"({len(matcher.problems)} build problems reported: synthetic names collide)")
    ours = timed("ours (Matcher.find, end to end)", lambda t: len(matcher.find(t)), texts,
                 size_mb, args.repeat)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"max RSS growth during build + matching: {(rss_after - rss_before) / 1024:.0f} MB")
    print(f"cross-script on / off: {ours / ours_off:.2f}x")
    dense_on = timed(f"ours, name-dense ({dense_mb:.0f} MB)", lambda t: len(matcher.find(t)),
                     dense, dense_mb, args.repeat)
    print(f"name-dense, cross-script on / off: {dense_on / dense_off:.2f}x")
    if compiled_modules():
        interpreted(args, ours, dense_on)
    del matcher
    tracemalloc.start()
    matcher = Matcher(entities, shipped.rules)
    for text in texts[:500]:
        matcher.find(text)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"peak traced memory, build + 500 articles: {peak / 1e6:.0f} MB")

    terms = sorted({a for e in entities for a in e.aliases}, key=len, reverse=True)
    start = time.perf_counter()
    alternation = re.compile(r"\b(?:" + "|".join(map(re.escape, terms)) + r")\b", re.IGNORECASE)
    print(f"regex compile: {time.perf_counter() - start:.2f} s")
    sample = texts[: max(2, len(texts) // 25)]  # the alternation is slow: time a sample
    sample_mb = sum(len(t.encode()) for t in sample) / 1_000_000
    regex = timed(f"regex alternation ({sample_mb:.0f} MB sample)",
                  lambda t: len(alternation.findall(t)), sample, sample_mb)
    print(f"ours / regex: {ours / regex:.1f}x")
    try:
        from flashtext import KeywordProcessor
    except ImportError:
        print("flashtext: not installed (pip install flashtext)")
        return
    processor = KeywordProcessor(case_sensitive=False)
    for term in terms:
        processor.add_keyword(term)
    flash = timed("flashtext", lambda t: len(processor.extract_keywords(t)), texts, size_mb,
                  args.repeat)
    print(f"ours / flashtext: {ours / flash:.1f}x")


if __name__ == "__main__":
    main()
