"""`monitor alert-preview`: render an alert exactly as the channels would send it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..cli import config_option, load_config, open_existing_store, reports_errors
from ..errors import MonitorError

if TYPE_CHECKING:
    from ..alerts import AlertMessage

FORMATS = ("slack", "subject", "text", "html", "eml")
FILES = {"slack": "slack.json", "subject": "subject.txt", "text": "email.txt",
         "html": "email.html", "eml": "email.eml"}
PREVIEW_SENDER = "news-monitor <alerts@news-monitor.invalid>"


def _stored_alert(config_path: str | None, article_id: int) -> AlertMessage:
    """A stored article as its alert: its hits, and the other reports of its story."""
    from ..alerts import AlertMessage, Report
    from ..alerts.routing import as_hit

    config = load_config(config_path)
    with open_existing_store(config) as store:
        row = store.article(article_id)
        if row is None:
            raise MonitorError(f"no article with id {article_id} in {config.database}")
        hits = tuple(as_hit(h) for h in store.hits_for(article_id))
        story = row.get("story_id")
        others = store.story_articles([story]).get(story, []) if story is not None else []
    reports = [Report(r["source"], r["title"] or r["url"], r["url"], r["published"])
               for r in others if r["id"] != article_id]
    position = next((i for i, r in enumerate(others) if r["id"] == article_id), 0)
    return AlertMessage(title=row["title"] or row["url"], url=row["url"], source=row["source"],
                        published=row["published"], hits=hits, language=row["language"],
                        earlier=tuple(reports[:position]), also=tuple(reports[position:]),
                        people=config.people())


def render_preview(message: AlertMessage, fmt: str) -> str:
    """`message` in one of FORMATS, as the channel would send it."""
    from ..alerts import build_email, build_payload
    from ..alerts.blockkit import block_kit_problems
    from ..alerts.email import build_html, build_subject, build_text
    from ..config import EmailChannel

    if fmt == "slack":
        payload: dict[str, Any] = build_payload(message)
        problems = block_kit_problems(payload)
        if problems:
            raise MonitorError("the Slack payload breaks Block Kit limits: " + "; ".join(problems))
        return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
    if fmt == "subject":
        return build_subject(message) + "\n"
    if fmt == "text":
        return build_text(message)
    if fmt == "html":
        return build_html(message)
    channel = EmailChannel("preview", "localhost", 25, "none", PREVIEW_SENDER,
                           ("analyst@news-monitor.invalid",))
    return build_email(channel, message).as_string()


@click.command("alert-preview")
@config_option
@click.option("--article", "article_id", type=int, default=None,
              help="Render this stored article (id from `monitor hits`/`articles`) with its "
                   "hits and the other reports of its story. Default: the built-in example.")
@click.option("--example", type=click.Choice(("en", "ar")), default="en", show_default=True,
              help="Built-in example: the English report of a two-language event (also "
                   "reported by an Arabic outlet), or the Arabic report.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="slack",
              show_default=True,
              help="slack: the webhook JSON; subject, text, html: the email's parts; eml: "
                   "the whole email.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Write every format to files in this directory "
                                 "(slack.json, subject.txt, email.txt, email.html, email.eml).")
@reports_errors
def alert_preview(config_path: str | None, article_id: int | None, example: str, fmt: str,
                  out_dir: Path | None) -> None:
    """Render an alert as Slack JSON, email subject, text or HTML, exactly as it would be
    sent (nothing is sent, nothing is written to the database). The Slack payload is
    checked against Block Kit's limits.

    \b
    Examples:
      monitor alert-preview
      monitor alert-preview --example ar --format html > alert.html
      monitor alert-preview --article 1234 --format text
      monitor alert-preview --out preview/
    """
    from ..alerts.example import example_alert

    message = (_stored_alert(config_path, article_id) if article_id is not None
               else example_alert(example))
    if out_dir is None:
        click.echo(render_preview(message, fmt), nl=False)
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, filename in FILES.items():
        (out_dir / filename).write_text(render_preview(message, name), encoding="utf-8")
    click.echo(f"wrote {', '.join(FILES.values())} to {out_dir}")


COMMANDS = [alert_preview]
