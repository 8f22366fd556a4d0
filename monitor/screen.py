"""Tables for people: fit the terminal, human headers, relative times; plain aligned text
when the output is piped (no box drawing to strip, nothing cut, one line per row).

Scripts use `--format json|csv`, which keep the stored values (exact ISO times); this
module is only for the table format.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console

_UNITS = ((86400 * 365, "y"), (86400 * 30, "mo"), (86400 * 7, "w"), (86400, "d"),
          (3600, "h"), (60, "min"))


def relative_time(stamp: str | None, reference: datetime) -> str:
    """'3 min ago', '2 h ago', 'in 5 min', 'just now'; '-' when there is no time."""
    if not stamp:
        return "-"
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    # The store keeps whole seconds: compare like with like.
    seconds = (reference.replace(microsecond=0) - moment).total_seconds()
    size = abs(seconds)
    if size < 60:
        return "just now"
    count, unit = next((int(size // span), name) for span, name in _UNITS if size >= span)
    return f"{count} {unit} ago" if seconds > 0 else f"in {count} {unit}"


@dataclass(frozen=True)
class Column:
    """One column of a screen table: the row key, its header, and how it may give way."""

    key: str
    header: str
    shrink: bool = False  # long free text (names, errors): cut with … to fit the screen
    right: bool = False  # numbers
    drop: int = 0  # on a narrow screen, columns with the highest `drop` go first (0: never)


_GAP = 3  # between columns: a space of padding each side and the (blank) rule
_MIN_SHRUNK = 20  # narrowest a shrinkable column is cut to (before optional columns go)


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[Column],
                console: Console | None = None, title: str = "") -> None:
    """On a terminal, a table that fits its width: optional columns dropped first, then
    free-text columns cut with …, never letter-by-letter wrapping. Piped, aligned plain
    text with every column and nothing cut."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = console or Console()
    cells = [[_text(row.get(c.key)) for c in columns] for row in rows]
    if not console.is_terminal:
        click.echo(_plain(cells, columns), nl=False)
        return
    natural = _widths(cells, columns)
    keep = _fitting(columns, natural, console.width)
    spare = console.width - _GAP * (len(keep) - 1) - sum(
        natural[i] for i in keep if not columns[i].shrink)
    widths = _share(spare, {i: natural[i] for i in keep if columns[i].shrink})
    table = Table(title=title or None, header_style="bold", box=box.SIMPLE_HEAD,
                  pad_edge=False, padding=(0, 1), show_edge=False)
    for i in keep:
        column = columns[i]
        table.add_column(column.header, justify="right" if column.right else "left",
                         no_wrap=True, overflow="ellipsis", width=widths.get(i, natural[i]))
    for line in cells:
        table.add_row(*(Text(line[i]) for i in keep))
    console.print(table)


def _widths(cells: list[list[str]], columns: Sequence[Column]) -> list[int]:
    return [max([len(c.header), *(len(line[i]) for line in cells)])
            for i, c in enumerate(columns)]


def _fitting(columns: Sequence[Column], natural: list[int], width: int) -> list[int]:
    """The columns that fit `width`, dropping the most droppable first."""
    keep = list(range(len(columns)))

    def needed() -> int:
        return _GAP * (len(keep) - 1) + sum(
            min(natural[i], _MIN_SHRUNK) if columns[i].shrink else natural[i] for i in keep)

    for i in sorted((i for i in keep if columns[i].drop), key=lambda i: -columns[i].drop):
        if needed() <= width:
            break
        keep.remove(i)
    return keep


def _share(spare: int, wanted: dict[int, int]) -> dict[int, int]:
    """Split `spare` characters among shrinkable columns: none gets more than it needs,
    the narrow ones are served whole first."""
    out: dict[int, int] = {}
    left = dict(sorted(wanted.items(), key=lambda item: item[1]))
    while left:
        fair = max(spare // len(left), 1)
        i, need = next(iter(left.items()))
        out[i] = min(need, max(fair, min(need, _MIN_SHRUNK)))
        spare -= out[i]
        del left[i]
    return out


def _text(value: Any) -> str:
    return "-" if value is None or value == "" else " ".join(str(value).split())


def _plain(cells: list[list[str]], columns: Sequence[Column]) -> str:
    widths = _widths(cells, columns)

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if c.right else v.ljust(w)
                 for v, w, c in zip(values, widths, columns, strict=True)]
        return "  ".join(parts).rstrip() + "\n"

    return line([c.header for c in columns]) + "".join(line(values) for values in cells)
