"""Datasette plugin shipped with news-monitor: ids in views and canned queries link to rows.

Datasette links a column to another table's row only through a foreign key, and views and
query results have none, so `hit_details.article_id` was a bare number. This renders
`article_id` / `first_article_id` as a link to the article's row and `story_id` to the
story's, wherever no foreign key already does it. Load it with
`datasette monitor.db -m datasette.yaml --plugins-dir datasette_plugins`.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl
from markupsafe import Markup, escape

_TARGETS = {"article_id": "articles", "first_article_id": "articles", "story_id": "stories"}
# Tables whose id columns are foreign keys: Datasette links them itself (with a label).
_LINKED_BY_DATASETTE = frozenset({"hits", "articles", "deliveries"})


@hookimpl
def render_cell(value: Any, column: str, table: str | None, database: str,
                datasette: Any) -> Markup | None:
    target = _TARGETS.get(column)
    if target is None or table in _LINKED_BY_DATASETTE or not isinstance(value, int):
        return None
    url = datasette.urls.row(database, target, str(value))
    return Markup(f'<a href="{escape(url)}">{value}</a>')
