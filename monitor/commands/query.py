"""Analyst commands over the SQLite file: hits, search, stories, show, rematch, export."""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import click

from ..cli import (
    config_option,
    format_option,
    load_config,
    open_existing_store,
    render,
    reports_errors,
)
from ..clock import since_to_iso
from ..errors import MonitorError
from ..reading import Reading, db_option, resolve_entity, resolve_source, with_reading
from ..wording import counted

if TYPE_CHECKING:
    from ..store import Store
    from ..store.queries import Page

_KIND_STYLE = {"actor": "bold red", "place": "bold cyan", "keyword": "bold yellow",
               "rule": "bold magenta"}


def _since(value: str | None, option: str = "--since") -> str | None:
    if value is None:
        return None
    try:
        return since_to_iso(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


# One meaning of --since everywhere: when the monitor fetched the article (what is new to
# me since yesterday); --published-since filters on when the outlet says it published it.
published_option = click.option(
    "--published-since", "published_since", default=None,
    help="Also only articles the outlet published since (24h, 7d, ISO date); an article "
         "without a published date counts by its fetched time.")


def _cell(value: Any) -> Any:
    """A table cell: ⟦marked⟧ words also in bold, everything else literal (no rich markup).
    The marks stay, so a match still shows without colour (piped, NO_COLOR)."""
    from rich.text import Text

    from ..match.snippet import MARK_CLOSE, MARK_OPEN, marked_segments

    if value is None:
        return ""
    out = Text()
    for piece, marked in marked_segments(str(value)):
        if marked:
            out.append(f"{MARK_OPEN}{piece}{MARK_CLOSE}", style="bold yellow")
        else:
            out.append(piece)
    return out


def _table(rows: list[dict[str, Any]], columns: list[str], title: str = "") -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title or None)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(row.get(c)) for c in columns))
    Console().print(table)


def _output(rows: list[dict[str, Any]], fmt: str, columns: list[str], title: str = "") -> None:
    if fmt == "table":
        _table(rows, columns, title)
    else:
        render(rows, fmt, columns, title)


def _say_if_cut(rows: list[Any], total: int, fmt: str, what: str) -> None:
    """Never cut silently: "showing N of M" after the table, or on stderr for json/csv so
    the output stays clean for scripts."""
    if total > len(rows):
        click.echo(f"showing {len(rows):,} of {total:,} {what} (raise --limit to see more)",
                   err=fmt != "table")


# ---------------------------------------------------------------- hits

@click.command()
@config_option
@db_option
@click.option("--since", default="24h", show_default=True,
              help="Hits of articles fetched since (30m, 24h, 7d, 2w, ISO date).")
@published_option
@click.option("--entity", help="Only hits of this watched name (any alias, any case).")
@click.option("--kind", type=click.Choice(["actor", "place", "keyword", "rule"]),
              help="Only hits of this kind.")
@click.option("--source", help="Only hits from this source (any case).")
@click.option("--group-by", "group_by", type=click.Choice(["entity", "story"]),
              help="Count hits per entity or per story instead of listing them.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1),
              help="At most this many rows; \'showing N of M\' says when more matched.")
@format_option
@reports_errors
@with_reading
def hits(reading: Reading, since: str, published_since: str | None, entity: str | None,
         kind: str | None, source: str | None, group_by: str | None, limit: int, fmt: str) -> None:
    """List recent hits, newest first, or count them per entity or story.

    \b
    Examples:
      monitor hits --since 24h
      monitor hits --since 7d --entity "Qais al-Khazali" --format csv > khazali.csv
      monitor hits --since 7d --kind actor --group-by entity
      monitor hits --db /data/monitor.db --entity "qais khazali" --published-since 2d
    """
    since_iso = _since(since)
    published_iso = _since(published_since, "--published-since")
    with reading.open() as store:
        entity = resolve_entity(store, reading.config, entity)
        source = resolve_source(store, reading.config, source)
        if group_by:
            rows = store.hits_grouped(group_by, since=since_iso, entity=entity, kind=kind,
                                      source=source, limit=limit,
                                      published_since=published_iso)
        else:
            rows = store.recent_hits(since=since_iso, entity=entity, kind=kind, source=source,
                                     limit=limit, published_since=published_iso)
    if group_by == "entity":
        columns = ["entity", "kind", "hits", "articles", "outlets", "first", "last"]
    elif group_by == "story":
        columns = ["story_id", "story_title", "entities", "hits", "articles", "outlets",
                   "first", "last"]
    else:
        columns = ["fetched", "source", "entity", "kind", "how", "via", "matched_text", "title",
                   "url"]
        if fmt != "table":
            columns += ["published", "snippet", "article_id", "story_id", "id"]
    _output(rows, fmt, columns, title=f"Hits since {since_iso}")
    _say_if_cut(rows, rows.total, fmt, {"entity": "entities", "story": "stories"}.get(
        group_by or "", "hits"))


# ---------------------------------------------------------------- search

@click.command()
@config_option
@db_option
@click.argument("query")
@click.option("--since", default=None, help="Only articles fetched since (7d, 24h, ISO date).")
@published_option
@click.option("--source", help="Only articles from this source (any case).")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1),
              help="At most this many rows; \'showing N of M\' says when more matched.")
@format_option
@reports_errors
@with_reading
def search(reading: Reading, query: str, since: str | None, published_since: str | None,
           source: str | None,
           limit: int, fmt: str) -> None:
    """Full-text search of titles and bodies, best matches first, with highlighted snippets.

    Case, diacritics and Arabic letter forms do not matter (احمد finds أحمد and أَحْمَد);
    words are ANDed, "double quotes" make a phrase, OR / NOT and a trailing * work as in
    SQLite FTS5.

    \b
    Examples:
      monitor search 'Khazali Maysan' --since 7d
      monitor search '"Asa'"'"'ib Ahl al-Haq"' --format json
      monitor search 'عصائب أهل الحق' --source Alsumaria
    """
    from ..search import parse, snippet

    try:
        parsed = parse(query)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="QUERY") from None
    with reading.open() as store:
        source = resolve_source(store, reading.config, source)
        rows = store.search(parsed.fts, since=_since(since), source=source, limit=limit,
                            published_since=_since(published_since, "--published-since"))
    for row in rows:
        row["excerpt"] = snippet(row.pop("body") or "", parsed.terms)
        row["rank"] = round(row["rank"], 3)
    columns = ["id", "source", "published", "title", "excerpt"]
    if fmt != "table":
        columns += ["url", "fetched", "story_id", "rank"]
    _output(rows, fmt, columns, title=f"{rows.total} articles matching {query!r}")
    _say_if_cut(rows, rows.total, fmt, "articles")


# ---------------------------------------------------------------- stories

def _story_rows(store: Store, since: str | None, entity: str | None, min_sources: int,
                limit: int, published_since: str | None) -> Page:
    stories = store.story_list(since=since, entity=entity, min_sources=min_sources,
                               limit=limit, published_since=published_since)
    articles = store.story_articles([s["id"] for s in stories])
    for story in stories:
        story["sources"] = json.loads(story["sources"] or "[]")
        story["languages"] = json.loads(story["languages"] or "[]")
        story["articles"] = articles[story["id"]]
    return stories


def _report_line(article: dict[str, Any]) -> str:
    """"2026-01-05 18:40  Alsumaria (ar)": when, who, in which language."""
    when = (article["published"] or article["fetched"])[:16].replace("T", " ")
    language = f" ({article['language']})" if article.get("language") else ""
    return f"{when}  {article['source']}{language}"


@click.command()
@config_option
@db_option
@click.option("--since", default="7d", show_default=True,
              help="Stories with a report fetched since (24h, 7d, ISO date).")
@published_option
@click.option("--entity", help="Only stories with a hit on this watched name (any alias, "
                                "any case).")
@click.option("--min-outlets", "min_sources", default=1, show_default=True,
              type=click.IntRange(1), help="Only stories reported by at least this many.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1),
              help="At most this many rows; \'showing N of M\' says when more matched.")
@format_option
@reports_errors
@with_reading
def stories(reading: Reading, since: str, published_since: str | None, entity: str | None,
            min_sources: int, limit: int, fmt: str) -> None:
    """Stories (one event, every outlet's report of it), latest first, with each report.

    \b
    Examples:
      monitor stories --since 7d
      monitor stories --entity "Asa'ib Ahl al-Haq" --min-outlets 2 --format json
    """
    with reading.open() as store:
        entity = resolve_entity(store, reading.config, entity)
        rows = _story_rows(store, _since(since), entity, min_sources, limit,
                           _since(published_since, "--published-since"))
    if fmt != "table":
        _say_if_cut(rows, rows.total, fmt, "stories")
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if fmt == "csv":  # one line per report, the story repeated: what spreadsheets want
        flat = [{"story_id": s["id"], "story_title": s["title"], "first_seen": s["first_seen"],
                 "last_seen": s["last_seen"], "languages": " ".join(s["languages"]),
                 "article_id": a["id"], "source": a["source"], "language": a["language"],
                 "published": a["published"], "fetched": a["fetched"], "title": a["title"],
                 "url": a["url"]} for s in rows for a in s["articles"]]
        render(flat, "csv", ["story_id", "story_title", "first_seen", "last_seen", "languages",
                             "article_id", "source", "language", "published", "fetched",
                             "title", "url"])
        return
    for line in _story_blocks(rows, _since(since)):
        click.echo(line)
    _say_if_cut(rows, rows.total, fmt, "stories")


def _story_blocks(rows: list[dict[str, Any]], since: str | None) -> Iterator[str]:
    """`monitor stories` for people: a few lines per story (a table of stories with their
    reports wrapped letter by letter at 80 columns). On a terminal each line is cut with …
    to its width; piped, nothing is cut."""
    import shutil

    width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None

    def fit(line: str) -> str:
        return line if width is None or len(line) <= width else line[:width - 1] + "…"

    yield fit(f"Stories since {(since or '')[:16].replace('T', ' ')} UTC, latest first")
    for story in rows:
        first, last = ((story[k] or "")[:16].replace("T", " ") for k in ("first_seen",
                                                                           "last_seen"))
        end = last[11:] if last[:10] == first[:10] else last  # the same day: the time
        span = first if first == last else f"{first} → {end}"
        yield ""
        yield fit(f"#{story['id']}  {story['title'] or '(untitled)'}")
        yield fit(f"     {counted(story['article_count'] or 0, 'report')} in "
                  f"{' '.join(story['languages']) or '?'} · {span} UTC")
        yield fit(f"     outlets {len(story['sources'])}: {', '.join(story['sources'])}")
        for article in story["articles"]:
            yield fit(f"     {_report_line(article)}  {article['title'] or ''}".rstrip())


# ---------------------------------------------------------------- show

def _marked_text(text: str, hits: list[dict[str, Any]]) -> Any:
    """`text` with each hit as ⟦matched text⟧, coloured by kind: the marks show the hits
    without colour too (piped, NO_COLOR). A hit inside an earlier one is not marked again."""
    from rich.text import Text

    from ..match.snippet import MARK_CLOSE, MARK_OPEN

    out, done = Text(), 0
    for h in sorted(hits, key=lambda h: (h["start"], -h["end"])):
        if h["start"] < done:
            continue
        out.append(text[done:h["start"]])
        out.append(f"{MARK_OPEN}{text[h['start']:h['end']]}{MARK_CLOSE}",
                   style=_KIND_STYLE.get(h["kind"], "bold"))
        done = h["end"]
    out.append(text[done:])
    return out


def _marked_plain(text: str, hits: list[dict[str, Any]]) -> str:
    """`text` with each hit as [matched text](entity), for JSON readers."""
    out, done = [], 0
    for h in sorted(hits, key=lambda h: h["start"]):
        if h["start"] < done:
            continue
        out += [text[done:h["start"]], "[", text[h["start"]:h["end"]], "](", h["entity"], ")"]
        done = h["end"]
    out.append(text[done:])
    return "".join(out)


@click.command()
@config_option
@db_option
@click.argument("ref", metavar="ARTICLE_ID|URL")
@format_option
@reports_errors
@with_reading
def show(reading: Reading, ref: str, fmt: str) -> None:
    """Show one stored article: metadata, its story's other reports, text with hits marked.

    \b
    Examples:
      monitor show 1234
      monitor show https://shafaq.com/en/Security/some-article --format json
    """
    with reading.open() as store:
        article = store.find_article(ref)
        if article is None:
            raise MonitorError(f"no stored article with id or url {ref!r}")
        hits = store.hits_for(article["id"])
        story = store.story(article["story_id"]) if article["story_id"] else None
        reports = store.story_articles([story["id"]])[story["id"]] if story else []
    by_field = {f: [h for h in hits if h["field"] == f] for f in ("title", "body")}
    if fmt == "csv":
        render([{**h, "url": article["url"], "title": article["title"]} for h in hits], "csv",
               ["article_id", "entity", "kind", "field", "matched_text", "start", "end", "how",
                "via", "snippet", "title", "url"])
        return
    if fmt == "json":
        article["marked_title"] = _marked_plain(article["title"] or "", by_field["title"])
        article["marked_body"] = _marked_plain(article["body"] or "", by_field["body"])
        click.echo(json.dumps({"article": article, "hits": hits, "story": story,
                               "story_articles": reports}, ensure_ascii=False, indent=2))
        return
    _print_article(article, hits, by_field, story, reports)


def _print_article(article: dict[str, Any], hits: list[dict[str, Any]],
                   by_field: dict[str, list[dict[str, Any]]], story: dict[str, Any] | None,
                   reports: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console()
    console.print(_marked_text(article["title"] or "(no title)", by_field["title"]),
                  style="bold")
    console.print(Text(f"{article['source']} · published {article['published'] or '?'} · "
                       f"fetched {article['fetched']} · id {article['id']}\n{article['url']}",
                       style="dim"))
    if story and len(reports) > 1:
        console.print(Text(f"Story {story['id']}: {len(reports)} reports", style="bold"))
        for a in reports:
            here = "  ← this" if a["id"] == article["id"] else ""
            console.print(Text(f"  {(a['published'] or a['fetched'])[:16]}  {a['source']}: "
                               f"{a['title']}{here}"))
    console.print(Text("Hits:" + ("" if hits else " none")))
    for line, count in Counter(_hit_line(h) for h in hits).items():
        console.print(Text(f"  {line}" + (f" ×{count}" if count > 1 else "")))
    console.print()
    console.print(_marked_text(article["body"] or "(body not kept)", by_field["body"]))


def _hit_line(h: dict[str, Any]) -> str:
    """A stored hit as `show` lists it: what matched, how, and through which alias (hits
    stored before `via` was recorded have none)."""
    via = f" via {h['via']!r}" if h.get("via") else ""
    return f"{h['entity']} ({h['kind']}) in {h['field']}: {h['matched_text']!r} {h['how']}{via}"


# ---------------------------------------------------------------- rematch (backtest)

@click.command()
@config_option
@click.option("--since", default="30d", show_default=True,
              help="Articles fetched since (30d, 2w, ISO date).")
@click.option("--dry-run/--apply", "dry_run", default=True, show_default=True,
              help="Only report (default), or write the new hits.")
@click.option("--alert", is_flag=True,
              help="With --apply: queue alerts for articles that alert now and did not.")
@format_option
@reports_errors
def rematch(config_path: str | None, since: str, dry_run: bool, alert: bool,
            fmt: str) -> None:
    """Backtest the current watchlist on stored articles: what would be added or removed.

    A dry run (the default) changes nothing. --apply rewrites the hits of changed articles
    and sends nothing, unless --alert also queues alerts for articles that newly alert; it
    also records `via` (the alias) on hits found again that were stored before it was kept.

    \b
    Examples:
      monitor rematch --since 30d
      monitor rematch --since 90d --apply
      monitor rematch --since 7d --apply --alert
    """
    from .. import rematch as backtest
    from ..match import Matcher

    if alert and dry_run:
        raise click.UsageError("--alert needs --apply")
    # Only queuing alerts (--alert) needs the channels, and so the alert secrets.
    config = load_config(config_path, reading=not alert)
    matcher = Matcher(config.watchlist, config.rules, cross_script=config.matching.cross_script)
    with open_existing_store(config) as store:
        report = backtest.plan(store, matcher, _since(since))
        if not dry_run:
            channels = [c.name for c in config.channels] if alert else []
            backtest.apply(store, report, channels)
    rows = report.per_entity()
    _output(rows, fmt, ["entity", "kind", "added_hits", "added_articles", "removed_hits",
                        "removed_articles"],
            title=f"Rematch since {_since(since)} ({'dry run' if dry_run else 'applied'})")
    verb = "would change" if dry_run else "changed"
    recorded = "would get" if dry_run else "got"
    click.echo(f"{report.articles} articles rematched ({report.skipped} without body skipped); "
               f"{len(report.changes)} {verb}; {len(report.newly_alerting)} newly alerting; "
               f"{report.deliveries} alerts queued; {len(report.unrecorded_via)} older hits "
               f"{recorded} their via", err=fmt != "table")


# ---------------------------------------------------------------- export

EXPORT_COLUMNS = ["hit_id", "entity", "kind", "field", "matched_text", "snippet", "how", "via",
                  "article_id", "title", "url", "source", "published", "fetched", "language",
                  "story_id", "story_title"]


@click.command()
@config_option
@db_option
@click.option("--since", default="7d", show_default=True,
              help="Hits of articles fetched since (24h, 7d, ISO date).")
@published_option
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "ndjson"]), default="csv",
              show_default=True, help="csv, a JSON array, or one JSON object per line.")
@reports_errors
@with_reading
def export(reading: Reading, since: str, published_since: str | None, fmt: str) -> None:
    """Export hits with their article's metadata, oldest first, to stdout (streamed).

    \b
    Examples:
      monitor export --since 7d > hits.csv
      monitor export --since 30d --format ndjson | jq .entity
    """
    with reading.open() as store:
        rows = store.iter_hit_rows(_since(since), _since(published_since, "--published-since"))
        if fmt == "csv":
            writer = csv.DictWriter(sys.stdout, fieldnames=EXPORT_COLUMNS,
                                    extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
        elif fmt == "ndjson":
            for row in rows:
                sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write("[")
            for i, row in enumerate(rows):
                sys.stdout.write(("," if i else "") + "\n" + json.dumps(row, ensure_ascii=False))
            sys.stdout.write("\n]\n")


COMMANDS = [hits, search, stories, show, rematch, export]
