"""Config validation: each kind of mistake gives a message naming the file and key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import expand_env, load_config, parse_duration, parse_size, resolve_path
from monitor.errors import ConfigError

VALID = """
database: data/monitor.db
fetch:
  user_agent: "news-monitor/test (+https://example.org)"
  timeout: 20s
  allow_private_addresses: false
defaults:
  every: 15m
sources:
  - name: Shafaq News (EN)
    kind: rss
    url: https://shafaq.com/rss/en
    every: 10m
    language: en
  - name: The New Region
    kind: html
    url: https://thenewregion.com/
    links: 'a[href*="/posts/"]'
    link_pattern: '/posts/\\d+'
watchlists:
  actors:
    - name: Asa'ib Ahl al-Haq
      aliases: [AAH, Asaib Ahl al-Haq, عصائب أهل الحق]
  places:
    - name: Maysan
      aliases: [Missan, ميسان]
  keywords:
    - name: assassination
      terms: [assassination, assassinated, shot dead]
alerts:
  - kind: slack
    webhook: ${SLACK_WEBHOOK_URL}
  - kind: email
    host: smtp.example.org
    port: 587
    security: starttls
    username: ${SMTP_USER}
    password: ${SMTP_PASSWORD}
    from: monitor@example.org
    to: [analyst@example.org]
"""

ENV = {"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/TOKEN42",
       "SMTP_USER": "u", "SMTP_PASSWORD": "p"}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text), env=ENV if env is None else env)
    return info.value.problems


def test_valid_config_loads_every_section(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, VALID), env=ENV)
    assert config.database == tmp_path / "data" / "monitor.db"  # relative to the config file
    assert [s.name for s in config.sources] == ["Shafaq News (EN)", "The New Region"]
    assert config.sources[0].every == 600 and config.sources[1].every == 900
    assert config.sources[1].links == 'a[href*="/posts/"]'
    assert config.fetch.timeout == 20 and config.fetch.allow_private_addresses is False
    actor = config.entities("actor")[0]
    assert actor.aliases == ("Asa'ib Ahl al-Haq", "AAH", "Asaib Ahl al-Haq", "عصائب أهل الحق")
    assert config.entities("keyword")[0].aliases == ("assassination", "assassinated", "shot dead")
    slack, email = config.channels
    assert slack.webhook == ENV["SLACK_WEBHOOK_URL"]
    assert email.to == ("analyst@example.org",) and email.password == "p"


def test_secrets_do_not_appear_in_repr(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, VALID), env=ENV)
    text = repr(config)
    assert "TOKEN42" not in text and "password='p'" not in text


def test_bad_duration_names_key_path(tmp_path: Path) -> None:
    text = VALID.replace("every: 10m", "every: 5 minutes")
    assert problems(tmp_path, text) == [
        f"{tmp_path / 'config.yaml'}: sources[0].every: '5 minutes' is not a duration "
        "(use 15m, 30s, 6h or 1d)"]


def test_unknown_key_is_an_error_with_suggestion(tmp_path: Path) -> None:
    text = VALID.replace("    every: 10m", "    evry: 10m")
    (problem,) = problems(tmp_path, text)
    assert "sources[0].evry: unknown key (did you mean 'every'?)" in problem


def test_unknown_top_level_key(tmp_path: Path) -> None:
    (problem,) = problems(tmp_path, VALID + "\nwatchlist: []\n")
    assert "watchlist: unknown key (did you mean 'watchlists'?)" in problem


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    text = VALID.replace("kind: rss", "kind: atom").replace("url: https://thenewregion.com/",
                                                             "url: ftp://x")
    found = problems(tmp_path, text)
    assert len(found) == 2
    assert "sources[0].kind: 'atom' is not one of: rss, html" in found[0]
    assert "sources[1].url: 'ftp://x' is not an http(s) URL" in found[1]


def test_missing_required_and_duplicate_names(tmp_path: Path) -> None:
    text = VALID.replace("name: The New Region", "name: Shafaq News (EN)").replace(
        "    url: https://shafaq.com/rss/en\n", "")
    found = problems(tmp_path, text)
    assert any("sources[0].url: is required" in p for p in found)
    assert any("sources[1].name: 'Shafaq News (EN)' is already used by sources[0]" in p
               for p in found)


def test_html_source_needs_links(tmp_path: Path) -> None:
    text = VALID.replace("    links: 'a[href*=\"/posts/\"]'\n", "").replace(
        "    link_pattern: '/posts/\\d+'\n", "")
    (problem,) = problems(tmp_path, text)
    assert "sources[1]: an html source needs 'links'" in problem


def test_bad_regex_and_selector(tmp_path: Path) -> None:
    text = VALID.replace("'/posts/\\d+'", "'/posts/(\\d+'").replace(
        'a[href*="/posts/"]', 'a[href*=')
    found = problems(tmp_path, text)
    assert any("sources[1].link_pattern:" in p and "not a valid regular expression" in p
               for p in found)
    assert any("sources[1].links:" in p and "invalid CSS selector" in p for p in found)


def test_missing_environment_variable_is_named(tmp_path: Path) -> None:
    env = {k: v for k, v in ENV.items() if k != "SMTP_PASSWORD"}
    found = problems(tmp_path, VALID, env)
    assert any("alerts[1].password: environment variable SMTP_PASSWORD is not set" in p
               for p in found)


def test_env_default_and_disabled_channel(tmp_path: Path) -> None:
    text = VALID.replace("${SLACK_WEBHOOK_URL}", "${SLACK_WEBHOOK_URL:-}")
    config = load_config(write(tmp_path, text), env={"SMTP_USER": "u", "SMTP_PASSWORD": "p"})
    assert [c.kind for c in config.channels] == ["email"]
    assert len(config.disabled_channels) == 1
    assert "'slack' (slack) is disabled" in config.disabled_channels[0]


def test_email_checks(tmp_path: Path) -> None:
    text = VALID.replace("from: monitor@example.org", "from: nobody").replace(
        "security: starttls", "security: ssl")
    found = problems(tmp_path, text)
    assert any("alerts[1].security: 'ssl' is not one of: none, starttls, tls" in p
               for p in found)
    assert any("alerts[1].from: 'nobody' is not an email address" in p for p in found)


def test_duplicate_watchlist_entity(tmp_path: Path) -> None:
    text = VALID.replace("    - name: Maysan\n      aliases: [Missan, ميسان]",
                         "    - name: Maysan\n    - name: maysan")
    (problem,) = problems(tmp_path, text)
    assert "watchlists.places[1].name: 'maysan' is already listed at watchlists.places[0]" \
        in problem


def test_wrong_types(tmp_path: Path) -> None:
    found = problems(tmp_path, VALID.replace("sources:\n", "sources: 3\nx:\n", 1))
    assert any("sources: must be a list, got int 3" in p for p in found)
    assert any("x: unknown key" in p for p in found)


def test_yaml_syntax_error_has_position(tmp_path: Path) -> None:
    (problem,) = problems(tmp_path, "sources: [\n  - a: b\n")
    assert "not valid YAML at line" in problem


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.yaml", env={})


def test_default_path_resolution() -> None:
    assert resolve_path(None, {}) == Path("config.yaml")
    assert resolve_path(None, {"MONITOR_CONFIG": "/etc/m.yaml"}) == Path("/etc/m.yaml")
    assert resolve_path("x.yaml", {"MONITOR_CONFIG": "/etc/m.yaml"}) == Path("x.yaml")


@pytest.mark.parametrize(("text", "env", "expected"), [
    ("${A}", {"A": "1"}, "1"),
    ("x${A}y${B}", {"A": "1", "B": "2"}, "x1y2"),
    ("${A:-dflt}", {}, "dflt"),
    ("${A:-dflt}", {"A": ""}, "dflt"),
    ("${A:-}", {}, ""),
    ("$${A}", {"A": "1"}, "${A}"),
    ("cost $5", {}, "cost $5"),
])
def test_expand_env(text: str, env: dict[str, str], expected: str) -> None:
    assert expand_env(text, env) == expected


def test_expand_env_missing_raises_with_name() -> None:
    with pytest.raises(KeyError, match="MISSING"):
        expand_env("${MISSING}", {})


@pytest.mark.parametrize(("value", "seconds"), [
    ("15m", 900), ("30s", 30), ("6h", 21600), ("1d", 86400), ("250ms", 0.25), (90, 90)])
def test_parse_duration(value: object, seconds: float) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["5 minutes", "0s", "-1m", True, "m"])
def test_parse_duration_rejects(value: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)


def test_parse_size() -> None:
    assert parse_size("10MB") == 10 * 1024 * 1024
    assert parse_size(1000) == 1000
    with pytest.raises(ValueError):
        parse_size("ten")
