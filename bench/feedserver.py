"""Shared by the benchmarks: synthetic RSS feeds and a fast asyncio server for many hosts.

Entry text is drawn from 4,000 pseudo-words plus common function words, so that, as in real
feeds, unrelated entries share few words: identical template text would make every entry a
near-duplicate of every other (one giant story), which no real outlet produces.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import random
from collections.abc import Callable

NAMES = ["Qais al-Khazali", "Muqtada al-Sadr", "Asaib Ahl al-Haq", "Maysan", "Basra",
         "Kataib Hezbollah", "Hadi al-Amiri", "the PMF", "Erbil", "Baghdad"]
_SYLLABLES = ["ka", "ri", "mo", "sa", "lu", "te", "na", "bi", "do", "fe", "gu", "ha", "ji",
              "lo", "me", "pu", "qa", "ro", "si", "tu", "wa", "ye", "zo", "ar", "en", "il"]
_COMMON = ["the", "of", "and", "in", "to", "a", "said", "on", "for", "with", "by", "that"]
VOCABULARY = ["".join(random.Random(i).choices(_SYLLABLES, k=3)) for i in range(4000)]


def entry_text(rng: random.Random, name: str) -> str:
    words = [rng.choice(_COMMON if rng.random() < 0.4 else VOCABULARY)
             for _ in range(rng.randint(25, 45))]
    words.insert(rng.randrange(len(words)), name)
    return " ".join(words).capitalize() + "."


def item(host: int, feed: int, entry: int,
         published: str = "Sat, 03 Jan 2026 12:00:00 +0000") -> str:
    """One RSS item; the same (feed, entry) always gives the same text."""
    rng = random.Random(feed * 100_003 + entry)
    name = NAMES[(feed + entry) % len(NAMES)]
    title = " ".join(rng.choice(VOCABULARY) for _ in range(6)).capitalize()
    return (f"<item><title>{title} {name}</title>"
            f"<link>http://127.0.0.{host + 1}/a/{feed}/{entry}</link>"
            f"<guid>f{feed}e{entry}</guid><pubDate>{published}</pubDate>"
            f"<description>{entry_text(rng, name)}</description></item>")


def rss(feed: int, items: list[str]) -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Feed {feed}</title>{''.join(items)}</channel></rss>").encode()


def response(status: str, body: bytes = b"", etag: bytes | None = None) -> bytes:
    head = f"HTTP/1.1 {status}\r\n".encode()
    if etag:
        head += b"ETag: " + etag + b"\r\n"
    if body:
        head += b"Content-Type: application/rss+xml\r\n"
    return head + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body


def serve_hosts(hosts: int, answer: Callable[[str, bytes], bytes], ports: mp.Queue) -> None:
    """Listen on 127.0.0.1..N (port 0 each), answer every request with `answer(path, head)`
    on keep-alive connections; put the list of ports on `ports`. Runs until terminated."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                writer.write(answer(head.split(b" ", 2)[1].decode(), head))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError, IndexError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        servers = [await asyncio.start_server(handle, f"127.0.0.{h + 1}", 0)
                   for h in range(hosts)]
        ports.put([s.sockets[0].getsockname()[1] for s in servers])
        await asyncio.Event().wait()

    asyncio.run(main())
