"""Selectors in config.yaml are validated strictly at load time (issue 16, item 5).

Lexbor, which runs the selectors, reads some broken ones leniently: 'a[href' (unclosed
bracket) matches as 'a[href]', i.e. every link on the page. The config check must refuse
them, naming the key path, so `monitor check` fails before a poll fetches /about and
/privacy as articles.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.errors import ConfigError

CONFIG = """
database: monitor.db
sources:
  - name: A
    kind: rss
    url: https://a.example/rss
  - name: B
    kind: html
    url: https://b.example/
    links: {links}
    article:
      body: {body}
      drop: [{drop}]
watchlists:
  actors:
    - name: Asa'ib Ahl al-Haq
      aliases: [AAH]
"""
GOOD = {"links": "'a[href*=\"/posts/\"]'", "body": "'div.article-body'", "drop": "'.share'"}


def load(tmp_path: Path, **changes: str) -> list[str]:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG.format(**{**GOOD, **changes}), encoding="utf-8")
    try:
        load_config(path, env={})
    except ConfigError as exc:
        return exc.problems
    return []


@pytest.mark.parametrize(("key", "value", "path"), [
    ("links", "'a[href'", "sources[1].links"),  # lexbor alone takes it as a[href]
    ("links", "'a[href*=\"/posts/\"'", "sources[1].links"),
    ("links", "'a[href^=/news]'", "sources[1].links"),  # a value must be a string or ident
    ("links", "'div >'", "sources[1].links"),
    ("body", "'div.article-body['", "sources[1].article.body"),
    ("drop", "'.share, aside['", "sources[1].article.drop[0]"),
])
def test_broken_selector_is_refused_naming_its_path(tmp_path: Path, key: str, value: str,
                                                   path: str) -> None:
    (problem,) = load(tmp_path, **{key: value})
    assert f"{path}: invalid CSS selector {value.strip(chr(39))!r}:" in problem
    assert "\n" not in problem


@pytest.mark.parametrize("value", [
    "'a[href*=\"/posts/\"]'", "'div.card > h2 a, .latest a'", "'li:nth-child(2n+1) a'",
    "'article a:not(.tag)'", "'div:has(> a)'", "'a[href$=\".html\"]'", "'*[data-id] a'",
    "'a[href]'",
])
def test_valid_selectors_still_load(tmp_path: Path, value: str) -> None:
    assert load(tmp_path, links=value) == []


def test_unknown_pseudo_class_is_refused(tmp_path: Path) -> None:
    # cssselect parses any pseudo-class name; lexbor, which runs them, does not know this one.
    (problem,) = load(tmp_path, links="'a:nope'")
    assert "sources[1].links: invalid CSS selector 'a:nope':" in problem


def test_monitor_check_fails_on_the_selector(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from monitor.cli import cli

    path = tmp_path / "config.yaml"
    path.write_text(CONFIG.format(**{**GOOD, "links": "'a[href'"}), encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "-c", str(path)])
    assert result.exit_code == 2
    assert "sources[1].links: invalid CSS selector 'a[href':" in result.stderr
    assert "OK" not in result.stdout
