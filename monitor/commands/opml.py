"""OPML import and export of sources: the format every feed reader speaks.

Import reads the feeds (`<outline xmlUrl=...>`, nested folders included) of an OPML file,
turns each new one into a `sources:` entry, validates the config as it would be with them,
and shows the change as a diff; only `--write` changes the config file. The entries are
inserted as text at the end of the `sources:` list, so the file's comments and layout stay
as they are. Export writes every source as an outline: feeds (kind rss) with `xmlUrl`,
listing pages and sitemaps with `htmlUrl` and `type="link"` (readers skip those; they are
there so an export lists every outlet).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import click

from ..cli import config_option, reports_errors
from ..errors import ConfigError

if TYPE_CHECKING:  # `monitor --help` loads this module: it must stay light
    from ..config import Config, Source

__all__ = ["Feed", "export_opml", "insert_sources", "parse_opml", "plan_import"]

MAX_OPML_BYTES = 5_000_000  # a reader's export of thousands of feeds is well under this


@dataclass(frozen=True)
class Feed:
    """One feed of an OPML file."""

    name: str
    url: str
    language: str | None = None


def parse_opml(data: bytes, label: str) -> list[Feed]:
    """The feeds of an OPML document, in document order. Raises ConfigError naming `label`."""
    import xml.etree.ElementTree as ET

    if len(data) > MAX_OPML_BYTES:
        raise ConfigError(f"{label}: larger than {MAX_OPML_BYTES // 1_000_000} MB; "
                          "not an OPML subscription list")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ConfigError(f"{label}: OPML with a DOCTYPE or entities is not accepted")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ConfigError(f"{label}: not valid XML: {exc}") from None
    if root.tag != "opml" or root.find("body") is None:
        raise ConfigError(f"{label}: not OPML (expected <opml> with a <body>)")
    feeds = []
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or "").strip()
        if not url:
            continue  # a folder, or a link without a feed
        name = (outline.get("title") or outline.get("text") or "").strip() or \
            (urlsplit(url).hostname or url)
        language = (outline.get("language") or "").strip() or None
        feeds.append(Feed(name=" ".join(name.split()), url=url, language=language))
    return feeds


@dataclass
class ImportPlan:
    added: list[Feed]
    skipped: list[tuple[Feed, str]]  # (feed, why)


def plan_import(feeds: Iterable[Feed], existing: Iterable[Source]) -> ImportPlan:
    """Which feeds become sources: not a URL or a name the config (or an earlier feed of the
    file) already has."""
    sources = list(existing)
    by_url = {s.url.rstrip("/"): repr(s.name) for s in sources}
    names = {s.name.casefold() for s in sources}
    plan = ImportPlan([], [])
    for feed in feeds:
        url = feed.url.rstrip("/")
        if url in by_url:
            plan.skipped.append((feed, f"already watched as {by_url[url]}"))
        elif feed.name.casefold() in names:
            plan.skipped.append((feed, f"the name {feed.name!r} is taken; rename it in the "
                                 "OPML file or add it by hand"))
        else:
            by_url[url] = f"{feed.name!r} (earlier in the file)"
            names.add(feed.name.casefold())
            plan.added.append(feed)
    return plan


_TOP_KEY = re.compile(r"^[A-Za-z_][\w-]*\s*:")
_LIST_ITEM = re.compile(r"^(\s*)- ")


def insert_sources(text: str, feeds: list[Feed], label: str) -> str:
    """`text` (a config file) with `feeds` appended to its `sources:` list as YAML text."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if re.match(r"^sources\s*:", line)), None)
    if start is None:
        raise ConfigError(f"{label}: has no top-level `sources:` list to add feeds to")
    if lines[start].split(":", 1)[1].strip() not in ("", "[]"):
        raise ConfigError(f"{label}: `sources:` is written inline; make it a block list "
                          "(one `- name: ...` per source) to import into it")
    end = next((i for i in range(start + 1, len(lines)) if _TOP_KEY.match(lines[i])),
               len(lines))
    indent = next((m.group(1) for line in lines[start + 1:end]
                   if (m := _LIST_ITEM.match(line))), "  ")
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
        end -= 1  # the blank lines and top-level comments introduce the next section
    block = [f"\n{indent}# imported from OPML\n"]
    for feed in feeds:
        entry = {"name": feed.name, "kind": "rss", "url": feed.url}
        if feed.language:
            entry["language"] = feed.language
        dumped = _yaml().safe_dump([entry], allow_unicode=True, sort_keys=False, width=1000)
        block.extend(indent + line + "\n" for line in dumped.splitlines())
    if lines[start].strip().endswith("[]"):
        lines[start] = lines[start].replace("[]", "", 1)
    if end and not lines[end - 1].endswith("\n"):
        lines[end - 1] += "\n"
    return "".join(lines[:end] + block + lines[end:])


def validate_config_text(text: str, path: Path, env: dict[str, str]) -> Config:
    """Validate a config's text as `load_config` would read it from `path`."""
    from ..config import parse_config

    return parse_config(_yaml().safe_load(text), path, str(path), env)


def _yaml() -> Any:
    import yaml

    return yaml


def config_diff(old: str, new: str, path: Path) -> str:
    return "".join(difflib.unified_diff(old.splitlines(keepends=True),
                                        new.splitlines(keepends=True),
                                        fromfile=str(path), tofile=f"{path} (with imports)"))


def export_opml(sources: Iterable[Source], title: str = "news-monitor sources") -> str:
    """An OPML 2.0 document listing `sources`."""
    import xml.etree.ElementTree as ET

    opml = ET.Element("opml", version="2.0")
    head = ET.SubElement(opml, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(opml, "body")
    for source in sources:
        attributes = {"text": source.name, "title": source.name}
        if source.kind == "rss":
            attributes.update(type="rss", xmlUrl=source.url)
        else:
            attributes.update(type="link", htmlUrl=source.url)
        if source.language:
            attributes["language"] = source.language
        ET.SubElement(body, "outline", attributes)
    ET.indent(opml)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(opml, "unicode") + "\n"


# ---------------------------------------------------------------- commands

@click.command("import")
@config_option
@click.option("--write", is_flag=True, help="Write the new sources into the config file.")
@click.argument("opml_file", type=click.Path(dir_okay=False, exists=True))
@reports_errors
def import_sources(config_path: str | None, write: bool, opml_file: str) -> None:
    """Add the feeds of an OPML file (a feed reader's export) as sources.

    Shows the change to the config file as a diff; writes it only with --write, after
    checking the whole config as `monitor check` would. Feeds already watched (same URL)
    or whose name is taken are listed and left out.

    \b
    Example:
      monitor sources import subscriptions.opml          # show what would change
      monitor sources import subscriptions.opml --write  # then write it
    """
    import os

    from ..config import load_config, resolve_path

    config = load_config(config_path)
    path = resolve_path(config_path)
    feeds = parse_opml(Path(opml_file).read_bytes(), opml_file)
    plan = plan_import(feeds, config.sources)
    for feed, why in plan.skipped:
        click.echo(f"skipped {feed.url}: {why}", err=True)
    if not plan.added:
        click.echo(f"nothing to import: {len(feeds)} feed(s) in {opml_file}, "
                   f"{len(plan.skipped)} skipped")
        return
    old = path.read_text(encoding="utf-8")
    new = insert_sources(old, plan.added, str(path))
    validate_config_text(new, path, dict(os.environ))
    click.echo(config_diff(old, new, path), nl=False)
    count = f"{len(plan.added)} source{'s' if len(plan.added) != 1 else ''}"
    if not write:
        click.echo(f"dry run: {count} would be added; run again with --write to save them")
        return
    partial = path.with_name(f".{path.name}.import")
    partial.write_text(new, encoding="utf-8")
    partial.replace(path)
    click.echo(f"added {count} to {path}; `monitor run` picks them up on reload (SIGHUP)")


@click.command("export")
@config_option
@reports_errors
def export_sources(config_path: str | None) -> None:
    """Print every source as OPML 2.0, for a feed reader or another monitor.

    \b
    Example:
      monitor sources export > sources.opml
    """
    from ..config import load_config

    click.echo(export_opml(load_config(config_path).sources), nl=False)


COMMANDS: list[click.Command] = []
SUBCOMMANDS = {"sources": [import_sources, export_sources]}
