"""Every `monitor ...` command the README shows is a real command with real options, and
its examples name what the shipped config has (issue 17: README drift), in the manner of
sqlite-utils' test_docs.py."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
import yaml

from monitor.cli import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _from_bash_blocks() -> list[str]:
    lines = []
    for block in re.findall(r"```(?:bash|sh|console)\n(.*?)```", README, re.S):
        # Lines continued with a backslash are one command.
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip().removeprefix("$ ")
            line = re.sub(r"^(docker (exec|compose exec)( -\S+)* \S+ )", "", line)
            if line.startswith("monitor ") or line == "monitor":
                lines.append(line)
    return lines


def _from_backticks() -> list[str]:
    """`monitor ...` spans in the text and tables."""
    return [m.replace("\\|", "|") for m in re.findall(r"`(monitor [^`]+)`", README)]


def _words(line: str) -> list[str]:
    """The command's own words: no comment, pipe, redirection or `&&` tail."""
    line = re.sub(r"\$\([^)]*\)", "X", line)  # $(date +%F): a value
    line = re.sub(r"\[(-[^\]]+)\]", r"\1", line)  # usage notation: [--channel NAME]
    words = []
    for word in shlex.split(line, comments=True):
        if word in ("|", "||", "&&", ";") or word.startswith((">", "<", "2>")):
            break
        words.append(word)
    return words[1:]  # without "monitor"


COMMANDS = sorted(set(_from_bash_blocks()) | set(_from_backticks()))


def _resolve(words: list[str]) -> tuple[click.Command, list[str], str]:
    command: click.Command = cli
    path = "monitor"
    while isinstance(command, click.Group) and words and not words[0].startswith("-"):
        sub = command.get_command(click.Context(command), words[0])
        if sub is None:
            if command is cli:
                raise AssertionError(f"{path} has no command {words[0]!r}")
            break  # a group with its own arguments (none today) or a value
        command, path, words = sub, f"{path} {words[0]}", words[1:]
    return command, words, path


def test_the_readme_shows_commands() -> None:
    assert len(COMMANDS) > 30
    assert any(c.startswith("monitor hits") for c in COMMANDS)


@pytest.mark.parametrize("line", COMMANDS)
def test_readme_command_parses(line: str) -> None:
    words = _words(line)
    if "--help" in words or "-h" in words or "..." in words or any("…" in w for w in words):
        _resolve([w for w in words if w not in ("--help", "-h")])
        return
    if not words:
        return
    command, rest, path = _resolve(words)
    if not rest:  # the command named in prose (`monitor show`), or run bare
        if not any(p.required for p in command.params):
            command.make_context(path, [], parent=click.Context(cli))
        return
    # Options and arguments are parsed and converted as when run; the command is not run.
    try:
        command.make_context(path, list(rest), parent=click.Context(cli))
    except click.BadParameter as exc:
        if "does not exist" not in exc.format_message():  # the reader's own file
            raise AssertionError(f"README: `{line}`: {exc.format_message()}") from None
    except click.UsageError as exc:
        raise AssertionError(f"README: `{line}`: {exc.format_message()}") from None


def test_a_misspelt_command_or_option_is_caught() -> None:
    with pytest.raises(AssertionError):
        test_readme_command_parses("monitor hitz --since 24h")
    with pytest.raises(AssertionError):
        test_readme_command_parses("monitor hits --entitty Sadr")


def _shipped() -> dict[str, object]:
    return yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))


def test_routing_example_names_what_the_shipped_config_has() -> None:
    section = README.split("## Alerts", 1)[1].split("\n## ", 1)[0]
    (example,) = [b for b in re.findall(r"```yaml\n(.*?)```", section, re.S)
                  if "min_hits" in b]
    shipped = _shipped()
    sources = {s["name"] for s in shipped["sources"]}  # type: ignore[index]
    entities = {e["name"] for kind in shipped["watchlists"].values()  # type: ignore[union-attr]
                for e in kind}
    routed = yaml.safe_load(example)["alerts"]
    named = [(key, name) for channel in routed for key in ("sources", "entities")
             for name in channel.get(key, [])]
    assert named, "the routing example names no sources or entities"
    for key, name in named:
        assert name in (sources if key == "sources" else entities), \
            f"README routing example: {key}: {name!r} is not in the shipped config.yaml"
