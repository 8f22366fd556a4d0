"""The `monitor` command line. Every command's help shows an example."""

from __future__ import annotations

import csv
import json
import sqlite3
import sys
from collections.abc import Callable, Iterable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from . import __version__
from .errors import ConfigError, MonitorError
from .reading import Reading, db_option, with_reading

if TYPE_CHECKING:  # `monitor --help` must not pay for sqlite_utils, numpy and the rest
    from .config import Config
    from .store import Store

F = TypeVar("F", bound=Callable[..., Any])

config_option = click.option(
    "-c", "--config", "config_path", type=click.Path(dir_okay=False), default=None,
    help="Config file (default: $MONITOR_CONFIG, else ./config.yaml).")
format_option = click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
    show_default=True, help="Output format: a table for people, json/csv for scripts.")


def load_config(path: str | None, **options: Any) -> Config:
    """monitor.config.load_config, imported when a command runs (not for `--help`)."""
    from .config import load_config as load

    return load(path, **options)


def reports_errors(func: F) -> F:
    """Turn MonitorErrors into one-line messages: exit 2 for config errors, 1 otherwise.
    A locked, full or read-only database is one too, from wherever in a run it is met."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            try:
                return func(*args, **kwargs)
            except sqlite3.Error as exc:
                from .store.failures import translate

                failure = translate(exc)
                if failure is None:
                    raise  # not the database's state: a bug, with its traceback
                raise failure from None
        except ConfigError as exc:
            click.echo(f"Error: {exc}" if len(exc.problems) == 1 else
                       f"Error: {len(exc.problems)} problems in the configuration:\n{exc}",
                       err=True)
            sys.exit(2)
        except MonitorError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def setup_logging(level: str, fmt: str = "text") -> None:
    """Text or JSON lines on stderr; secrets-bearing loggers (httpx) kept quiet."""
    from .logs import setup_logging as configure

    configure(level, fmt)


def open_existing_store(config: Config) -> Store:
    from .store import Store

    if not config.database.exists():
        raise MonitorError(f"no database at {config.database} yet: run `monitor once` first")
    return Store(config.database)


def render(rows: list[dict[str, Any]], fmt: str, columns: list[str], title: str = "") -> None:
    """Print rows as a rich table, a JSON array or CSV."""
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title or None, show_lines=False)
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
        Console().print(table)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="news-monitor")
def cli() -> None:
    """Watch news outlets and alert when watched people and groups appear.

    \b
    Quick start:
      monitor check            # validate ./config.yaml
      monitor once             # run every source once
      monitor hits --since 24h # what was found
    """


@cli.command()
@config_option
@reports_errors
def check(config_path: str | None) -> None:
    """Validate the config and print a summary; exit non-zero on errors.

    \b
    Example:
      monitor check -c config.yaml
    """
    from .match import Matcher
    from .wording import counted

    config = load_config(config_path)
    kinds = [s.kind for s in config.sources]
    click.echo(f"config: {config.path}")
    click.echo(f"database: {config.database}")
    click.echo(f"sources: {len(config.sources)} ({kinds.count('rss')} rss, "
               f"{kinds.count('html')} html; {sum(not s.enabled for s in config.sources)} "
               "disabled)")
    for kind in ("actor", "place", "keyword"):
        entities = config.entities(kind)
        terms = sum(len(e.aliases) for e in entities)
        click.echo(f"watchlist {kind}s: {len(entities)} "
                   f"({counted(terms, 'name or term', 'names or terms')})")
    for channel in config.channels:
        from .alerts import describe

        click.echo(f"alerts: {channel.name}: {describe(channel)}")
    for line in config.disabled_channels:
        click.echo(f"alerts: {line}")
    if not config.channels:
        click.echo("alerts: no channel enabled; hits are stored but not sent")
    matcher = Matcher(config.watchlist, config.rules, cross_script=config.matching.cross_script)
    from .compiled import describe_build

    click.echo(f"matcher: {describe_build()}")
    for problem in matcher.problems:
        click.echo(f"warning: {problem}")
    if not config.matching.cross_script:
        click.echo("matching: cross-script matching is off (matching.cross_script)")
    for line in matcher.advice:
        click.echo(f"cross-script: {line}")
    click.echo("OK")


@cli.command()
@config_option
@click.option("--log-level", default="warning", show_default=True,
              type=click.Choice(["debug", "info", "warning", "error"]))
@reports_errors
def once(config_path: str | None, log_level: str) -> None:
    """Run every source once: fetch, extract, match, store, alert.

    Exits 0 when the cycle completes, even if some sources failed (each failure is
    recorded in the database and printed); 2 on a configuration error.

    \b
    Example:
      monitor once -c config.yaml
    """
    import asyncio
    import logging

    from .daemon import DatabaseLock
    from .pipeline import run_once
    from .progress import source_progress
    from .store import Store
    from .store.failures import check_free_space

    setup_logging(log_level)
    if log_level == "warning":
        # The summary printed below names every failure; the same lines as log warnings
        # would only say it twice.
        logging.getLogger("monitor.pipeline").setLevel(logging.ERROR)
    config = load_config(config_path)
    # Said once at every log level: which alerts will not be sent is not a detail.
    for line in config.disabled_channels:
        click.echo(f"note: {line}")
    # The daemon's lock: a `once` beside a running daemon could send an alert twice.
    lock = DatabaseLock(config.database)
    lock.acquire()
    try:
        # A full disk: say so before fetching pages that could not be stored.
        check_free_space(config.database)
        with Store(config.database, background_checkpoints=True) as store, \
                source_progress(sum(s.enabled for s in config.sources)) as on_source:
            report = asyncio.run(run_once(config, store, on_source))
    finally:
        lock.release()
    new = sum(s.new_articles for s in report.sources)
    hits = sum(s.hits for s in report.sources)
    from .wording import counted

    click.echo(f"cycle done: {counted(len(report.sources), 'source')} "
               f"({len(report.failed_sources)} failed), {counted(new, 'new article')}, "
               f"{counted(hits, 'hit')}, {counted(report.alerts.sent, 'alert')} sent, "
               f"{report.alerts.retrying} to retry, {report.alerts.failed} failed")
    for error in report.alerts.errors:
        click.echo(f"  alert error: {error}")


@cli.command()
@config_option
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["debug", "info", "warning", "error"]))
@click.option("--grace", default=20.0, show_default=True, type=click.FloatRange(0),
              help="Seconds running work may take to finish after SIGTERM/SIGINT.")
@reports_errors
def run(config_path: str | None, log_level: str, grace: float) -> None:
    """Run as a daemon: poll each source at its interval and send alerts.

    Stops cleanly on SIGTERM or Ctrl-C (a second signal exits at once); SIGHUP reloads
    the config (a bad one is reported and the running one kept). Only one daemon may use
    a database at a time. Logs as text, or JSON lines with `log_format: json`.

    \b
    Example:
      monitor run -c /etc/news-monitor/config.yaml
    """
    from .daemon import run_daemon

    config = load_config(config_path)
    setup_logging(log_level, config.log_format)
    run_daemon(config, grace=grace, config_arg=config_path)


def _read_inputs(paths: tuple[str, ...]) -> Iterable[tuple[str, str]]:
    for path in paths or ("-",):
        if path == "-":
            yield "-", sys.stdin.read()
            continue
        try:
            yield path, Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise MonitorError(f"{path}: no such file") from None
        except UnicodeDecodeError as exc:
            raise MonitorError(f"{path}: not UTF-8 text (byte {exc.start})") from None
        except OSError as exc:
            raise MonitorError(f"{path}: cannot read: {exc.strerror}") from None


@cli.command()
@config_option
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--explain", is_flag=True,
              help="Also say why each match happened: the normalised keys compared.")
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default=None,
              help="json: one line per input (the default); text: one block per match (the "
                   "default with --explain).")
@reports_errors
def match(config_path: str | None, paths: tuple[str, ...], explain: bool,
          fmt: str | None) -> None:
    """Match the watchlists against text files (or stdin); one JSON line per input.

    Offsets index the input text as given (Python string indices, i.e. code points).
    Each match says `how` it matched (exact, normalised, variant, transliterated, title,
    short form) and `via` which alias; --explain adds the keys that were compared.

    \b
    Examples:
      echo "Qais al-Khazali spoke in Maysan" | monitor match -c config.yaml
      monitor match -c config.yaml article1.txt article2.txt
      echo "Qays Khazali spoke in Missan" | monitor match -c config.yaml --explain
      monitor match -c config.yaml --explain --format json article1.txt
    """
    from .match import Matcher
    from .match.explain import keys_compared

    config = load_config(config_path, reading=True)  # the watchlist only: no secrets needed
    matcher = Matcher(config.watchlist, config.rules, cross_script=config.matching.cross_script)
    for path, text in _read_inputs(paths):
        matches = [{"entity": m.entity, "kind": m.kind, "text": m.text, "start": m.start,
                    "end": m.end, "how": m.how, "via": m.via,
                    **({"keys": keys_compared(m)._asdict()} if explain else {})}
                   for m in matcher.find(text)]
        if (fmt or ("text" if explain else "json")) == "json":
            click.echo(json.dumps({"input": path, "matches": matches}, ensure_ascii=False))
        else:
            click.echo(f"{path}: {len(matches)} match{'' if len(matches) == 1 else 'es'}")
            for m in matches:
                click.echo(_match_block(m))


def _match_block(m: dict[str, Any]) -> str:
    """One match as --format text shows it (repr quotes keep a line break in the text on
    one line)."""
    lines = [f"  {m['entity']} ({m['kind']}): {m['text']!r} at {m['start']}-{m['end']}",
             f"    how: {m['how']}; via: {m['via']!r}"]
    if "keys" in m:
        lines.append(f"    keys: {m['keys']['line']}")
    return "\n".join(lines)


@cli.group(invoke_without_command=True)
@config_option
@db_option
@format_option
@click.pass_context
@reports_errors
@with_reading
def sources(ctx: click.Context, reading: Reading, fmt: str) -> None:
    """Show each source's health: last check, last success, failures, last error.

    `monitor sources import FILE.opml` and `monitor sources export` move sources in and
    out as OPML, the format feed readers speak.

    \b
    Examples:
      monitor sources
      monitor sources --format json
      monitor sources --db /data/monitor.db
    """
    if ctx.invoked_subcommand is not None:
        return
    with reading.open() as store:
        health = {row["name"]: row for row in store.sources_health()}
    configured = ([(s.name, s.kind, s.url, s.enabled) for s in reading.config.sources]
                  if reading.config else
                  [(r["name"], r["kind"], r["url"], True) for r in health.values()])
    rows = []
    for name, kind, url, enabled in configured:
        row = health.get(name, {"name": name, "kind": kind, "url": url})
        row["status"] = ("disabled" if not enabled else
                         "never checked" if not row.get("last_checked") else
                         "failing" if row.get("consecutive_failures") else "ok")
        rows.append(row)
    columns = ["name", "kind", "status", "last_checked", "last_success", "consecutive_failures",
               "next_poll", "last_item_count", "articles", "failed_articles", "last_error"]
    if fmt != "table":  # exact stored values for scripts
        render(rows, fmt, [*columns, "last_warning", "skipped_pages", "url"])
        return
    _print_sources(rows)


def _print_sources(rows: list[dict[str, Any]], console: Any = None) -> None:
    """`monitor sources` for people: fits the terminal, times relative to now."""
    from .clock import now
    from .screen import Column, print_table, relative_time

    moment = now()
    shown = [{**row, **{key: relative_time(row.get(key), moment)
                        for key in ("last_checked", "last_success", "next_poll")},
              "status": (f"failing ×{row['consecutive_failures']}"
                         if row["status"] == "failing" else row["status"])}
             for row in rows]
    print_table(shown, [
        Column("name", "Source", shrink=True), Column("kind", "Kind", drop=4),
        Column("status", "Status"), Column("last_checked", "Checked"),
        Column("last_success", "Last OK", drop=2),
        Column("articles", "Articles", right=True, drop=3),
        Column("next_poll", "Next poll", drop=5),
        Column("last_error", "Last error", shrink=True)], console)


@cli.command()
@click.option("--url", default=None,
              help="The page's URL, for relative links and site names (default: none).")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
@reports_errors
def extract(url: str | None, paths: tuple[str, ...]) -> None:
    """Extract saved article pages (.html or .html.gz); one JSON line per file.

    Prints input, title, author, published, language, url (canonical, else --url),
    method and body. A file that cannot be read or holds no article is reported on
    stderr as one line and makes the exit code 1; the other files are still printed.

    \b
    Example:
      monitor extract --url https://shafaq.com/en/Iraq/x page.html saved.html.gz
    """
    import gzip
    import zlib

    from .errors import ExtractError
    from .extract import decode_html, extract_article
    from .extract.binary import binary_reason

    failed: list[str] = []
    for path in paths:
        try:
            raw = Path(path).read_bytes()
            data = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
            binary = binary_reason(data)
            if binary is not None:
                raise ExtractError(f"not HTML: {binary}")
            page = extract_article(decode_html(data), url or "")
        except (OSError, EOFError, zlib.error, ExtractError) as exc:
            click.echo(f"Error: {path}: {exc}", err=True)
            failed.append(path)
            continue
        click.echo(json.dumps({
            "input": path, "title": page.title, "author": page.author,
            "published": page.published, "language": page.language,
            "url": page.canonical_url or url, "method": page.method, "body": page.body,
        }, ensure_ascii=False))
    if failed:
        raise MonitorError(f"{len(failed)} of {len(paths)} file(s) failed")


def _register_commands() -> None:
    """Commands that live in their own modules under monitor/commands/."""
    import importlib
    import pkgutil

    from . import commands

    for info in pkgutil.iter_modules(commands.__path__):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        for command in getattr(module, "COMMANDS", ()):
            cli.add_command(command)
        for group, subcommands in getattr(module, "SUBCOMMANDS", {}).items():
            for command in subcommands:
                cli.commands[group].add_command(command)  # type: ignore[attr-defined]


_register_commands()


def main() -> None:
    cli(prog_name="monitor")


if __name__ == "__main__":
    main()
