"""The digest's timeline: articles a day per watched actor over the last weeks, as a PNG.

A spike (an actor suddenly in ten reports a day after two) is what an analyst should see at
a glance in the morning digest; a table of numbers hides it, a small line chart shows it.
The counts come from the database (`daily_actor_counts`); the picture is drawn with
matplotlib's Agg backend (no display needed), imported only when a digest is rendered, so
the daemon pays for it once a day, not at start.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["Timeline", "daily_actor_counts", "render_png"]

DAYS = 28
TOP_ACTORS = 5  # more lines than this are a tangle in a 600-pixel-wide email


@dataclass(frozen=True)
class Timeline:
    """Articles a day per actor; `days` are consecutive, every series has one value a day."""

    days: tuple[date, ...]
    series: tuple[tuple[str, tuple[int, ...]], ...]  # (actor, counts), busiest first

    def __bool__(self) -> bool:
        return any(sum(counts) for _, counts in self.series)

    def summary(self) -> str:
        """One line for the plain-text part and the image's alt text: each actor's total
        and its last day."""
        last = self.days[-1].strftime("%d %b") if self.days else ""
        return "; ".join(f"{name} {sum(counts)} ({counts[-1]} on {last})"
                         for name, counts in self.series)


def daily_actor_counts(store: Store, until: datetime, days: int = DAYS,
                       top: int = TOP_ACTORS) -> Timeline:
    """The `top` actors by articles over the `days` days up to `until` (UTC, by fetched
    time), with their article counts per day."""
    end = until.date()
    first = end - timedelta(days=days - 1)
    rows = store.query(  # the triggers' daily counts (m019), not four weeks of hits
        "SELECT day, entity, articles AS n FROM mentions_daily "
        "WHERE kind = 'actor' AND day >= :first AND day < :after",
        {"first": first.isoformat(), "after": (end + timedelta(days=1)).isoformat()})
    axis = tuple(first + timedelta(days=k) for k in range(days))
    position = {d.isoformat(): k for k, d in enumerate(axis)}
    counts: dict[str, list[int]] = {}
    for row in rows:
        k = position.get(row["day"])
        if k is not None:
            counts.setdefault(row["entity"], [0] * days)[k] = row["n"]
    busiest = sorted(counts.items(), key=lambda item: (-sum(item[1]), item[0]))[:top]
    return Timeline(axis, tuple((name, tuple(values)) for name, values in busiest))


def render_png(timeline: Timeline, *, width_px: int = 600, height_px: int = 220) -> bytes:
    """The timeline as a PNG, `width_px` by `height_px` (at 100 dpi)."""
    import matplotlib

    matplotlib.use("Agg")  # no display; a no-op when already Agg
    from matplotlib.figure import Figure  # not pyplot: no global state between digests

    figure = Figure(figsize=(width_px / 100, height_px / 100), dpi=100)
    axes = figure.add_subplot()
    for name, counts in timeline.series:
        axes.plot(timeline.days, counts, linewidth=1.6, label=name)
    axes.set_ylabel("articles a day", fontsize=8)
    axes.set_ylim(bottom=0)
    axes.tick_params(labelsize=7)
    axes.grid(axis="y", linewidth=0.4, alpha=0.5)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    from matplotlib.dates import DateFormatter, DayLocator

    axes.xaxis.set_major_locator(DayLocator(interval=7))  # the same weekday, week by week
    axes.xaxis.set_major_formatter(DateFormatter("%d %b"))
    axes.legend(fontsize=7, frameon=False, loc="upper left")
    figure.tight_layout(pad=0.4)
    out = io.BytesIO()
    figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()
