"""`monitor once` as it runs: each source's line when it finishes, and on a terminal a
progress bar under them (a cycle with one hanging source used to print nothing for 25 s)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from rich.console import Console

    from .pipeline import SourceReport


def source_lines(report: SourceReport) -> list[str]:
    """What `monitor once` prints for one finished source. Names, URLs and reasons can
    carry newlines or terminal escapes: each line is escaped to stay one line."""
    from .logs import escape_controls

    lines = [report.summary(),
             *(f"  article failed: {url}: {reason}" for url, reason in report.failed_articles),
             *(f"  skipped: {url}: {reason}" for url, reason in report.skipped)]
    return [escape_controls(line) for line in lines]


@contextmanager
def source_progress(total: int, console: Console | None = None
                    ) -> Iterator[Callable[[SourceReport], None]]:
    """A callback that prints each finished source at once; on a terminal it also moves
    a progress bar (cleared at the end) that names how many sources are left."""
    from rich.console import Console

    console = console or Console()
    if not console.is_terminal:
        def echo(report: SourceReport) -> None:
            for line in source_lines(report):
                click.echo(line)

        yield echo
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.text import Text

    with Progress(TextColumn("polling sources"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("sources", total=total)

        def show(report: SourceReport) -> None:
            for line in source_lines(report):
                bar.console.print(Text(line), soft_wrap=True)
            bar.advance(task)

        yield show
