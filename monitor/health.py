"""Source health: when a poll should raise an operator notice. Pure: state in, decision out.

Notices are raised once per outage: "down" after a source has failed for longer than
`down_after`, "recovered" at its first success after that; "links_broken" when a listing
page that used to yield article links yields none (its markup changed), and
"links_recovered" when it yields some again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .clock import iso
from .store import SourceState


@dataclass(frozen=True)
class HealthChange:
    notices: list[tuple[str, str]] = field(default_factory=list)  # (kind, message)
    down_notified: bool | None = None  # None: unchanged
    links_notified: bool | None = None


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.0f} min"


def assess(name: str, state: SourceState, *, error: str | None, links: int | None,
           now: datetime, down_after: float) -> HealthChange:
    """`links`: article links found on a listing page this poll (None: not applicable)."""
    notices: list[tuple[str, str]] = []
    down = links_flag = None
    if error is not None:
        since = datetime.fromisoformat(state.failing_since) if state.failing_since else now
        failing_for = (now - since).total_seconds()
        if failing_for >= down_after and not state.down_notified:
            notices.append(("down", f"Source down: {name} has failed every poll for "
                                    f"{_hours(failing_for)} (since {iso(since)}); "
                                    f"last error: {error}"))
            down = True
    else:
        if state.down_notified:
            notices.append(("recovered", f"Source recovered: {name} answers again "
                                         f"(it had been failing since {state.failing_since})"))
            down = False
        if links == 0 and state.links_seen > 0 and not state.links_notified:
            notices.append(("links_broken", f"Selectors broken? {name}: the listing page "
                                            "yielded no article links (it used to yield up to "
                                            f"{state.links_seen}); check its links/link_pattern"))
            links_flag = True
        elif links and state.links_notified:
            notices.append(("links_recovered", f"{name}: the listing page yields article "
                                               f"links again ({links})"))
            links_flag = False
    return HealthChange(notices, down, links_flag)
