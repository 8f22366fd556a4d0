"""`monitor alert-preview`: the README's alert examples are its real output."""

from __future__ import annotations

import email
import email.policy
import json
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.alerts.blockkit import block_kit_problems
from monitor.cli import cli
from monitor.clock import now_iso
from monitor.models import Article, Hit
from monitor.store import Store

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
# <!-- monitor alert-preview ARGS --> then a fenced block with what that command prints.
EXAMPLES = re.findall(r"<!-- monitor (alert-preview[^>]*?) -->\n```\w*\n(.*?)```", README,
                      re.S)


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_readme_shows_the_slack_text_and_subject_examples() -> None:
    assert [shlex.split(command)[1:] for command, _ in EXAMPLES] == [
        ["--format", "subject"], [], ["--format", "text"]]


@pytest.mark.parametrize(("command", "shown"), EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_readme_example_is_the_commands_output(command: str, shown: str) -> None:
    assert run(*shlex.split(command)) == shown


def test_readme_screenshots_exist() -> None:
    for name in ("alert-email-en.png", "alert-email-ar.png"):
        assert f"(docs/{name})" in README
        assert (ROOT / "docs" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("example", ["en", "ar"])
def test_examples_are_short_and_within_block_kit(example: str) -> None:
    payload = json.loads(run("alert-preview", "--example", example))
    assert block_kit_problems(payload) == []
    assert len(payload["blocks"]) <= 8
    subject = run("alert-preview", "--example", example, "--format", "subject").strip()
    assert len(subject) <= 100 and subject.count(",") == 2 and " +2 — " in subject
    html = run("alert-preview", "--example", example, "--format", "html")
    assert ('dir="rtl" lang="ar"' in html.split("<h2", 1)[1].split(">", 1)[0]) == (
        example == "ar")


def test_out_writes_every_format(tmp_path: Path) -> None:
    assert run("alert-preview", "--out", str(tmp_path)).startswith("wrote slack.json, ")
    parsed = email.message_from_bytes((tmp_path / "email.eml").read_bytes(),
                                      policy=email.policy.default)
    assert parsed["Subject"] == (tmp_path / "subject.txt").read_text().strip()
    assert parsed.get_body(("plain",)).get_content().replace("\r\n", "\n") == (
        tmp_path / "email.txt").read_text()
    assert json.loads((tmp_path / "slack.json").read_text())["blocks"]


def test_stored_article_with_its_story(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"database: {tmp_path / 'monitor.db'}\nsources: []\nwatchlists:\n"
                      "  actors:\n    - name: Qais al-Khazali\n      type: person\n"
                      "    - name: Asa'ib Ahl al-Haq\n  places: [Maysan]\n",
                      encoding="utf-8")
    store = Store(tmp_path / "monitor.db")
    body = "Asa'ib Ahl al-Haq and Qais al-Khazali spoke in Maysan."
    sentence = body.replace("Asa'ib Ahl al-Haq", "⟦Asa'ib Ahl al-Haq⟧")
    store.add_article(Article(
        url="https://x.example/1", source="Shafaq News EN", title="AAH statement", body=body,
        fetched=now_iso(), published="2026-01-03T09:30:00Z", language="en", hits=[
            Hit("Asa'ib Ahl al-Haq", "actor", "Asa'ib Ahl al-Haq", 0, 17, sentence),
            Hit("Qais al-Khazali", "actor", "Qais al-Khazali", 22, 37,
                "Asa'ib Ahl al-Haq and **Qais al-Khazali** spoke in Maysan."),
            Hit("Maysan", "place", "Maysan", 47, 53,
                "Asa'ib Ahl al-Haq and Qais al-Khazali spoke in ⟦Maysan⟧.")]), [])
    (row,) = store.query("SELECT id FROM articles")
    text = run("alert-preview", "-c", str(config), "--article", str(row["id"]),
               "--format", "text")
    assert text.startswith("AAH statement\nShafaq News EN · 2026-01-03 09:30 UTC\n")
    # People first (type: person), one line for the shared sentence, both marks kept.
    assert ("Qais al-Khazali · Asa'ib Ahl al-Haq\n  ⟦Asa'ib Ahl al-Haq⟧ and ⟦Qais al-Khazali⟧"
            " spoke in ⟦Maysan⟧.\nPlaces: Maysan\n") in text
    result = CliRunner().invoke(cli, ["alert-preview", "-c", str(config), "--article", "999"])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: no article with id 999 in {tmp_path / 'monitor.db'}"
