"""Value parsers (durations, sizes, ${VAR} expansion) and the checker that reports
every problem with its file and key path."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

T = TypeVar("T")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}


def parse_duration(value: Any) -> float:
    """'90s', '15m', '6h', '1d', '250ms' -> seconds. Raises ValueError with a hint."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration (use 15m, 30s, 6h or 1d)")
    if isinstance(value, int | float):
        if value <= 0:
            raise ValueError(f"{value!r} is not a positive duration")
        return float(value)
    m = _DURATION.match(str(value))
    if not m:
        raise ValueError(f"{value!r} is not a duration (use 15m, 30s, 6h or 1d)")
    seconds = float(m.group(1)) * _DURATION_UNITS[m.group(2)]
    if seconds <= 0:
        raise ValueError(f"{value!r} is not a positive duration")
    return seconds


def parse_pause(value: Any) -> float:
    """Like parse_duration, but 0 is allowed ('0s': no pause)."""
    zero = re.fullmatch(r"\s*0+(\.0*)?\s*(ms|s|m|h|d)?\s*", str(value))
    if zero and not isinstance(value, bool):
        return 0.0
    return parse_duration(value)


def parse_size(value: Any) -> int:
    """'10MB', '512kb', 1048576 -> bytes."""
    m = None if isinstance(value, bool) else _SIZE.match(str(value))
    if not m or float(m.group(1)) <= 0:
        raise ValueError(f"{value!r} is not a size (use 10MB, 512KB or a number of bytes)")
    return int(float(m.group(1)) * _SIZE_UNITS[(m.group(2) or "b").lower()])


_ENV = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand_env(text: str, env: Mapping[str, str]) -> str:
    """Expand ${VAR} and ${VAR:-default}; '$$' is a literal '$'. Raises KeyError(VAR)."""

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name, default = m.group(1), m.group(2)
        value = env.get(name)
        if value is None or (value == "" and default is not None):
            if default is None:
                raise KeyError(name)
            return default
        return value

    return _ENV.sub(sub, text)


# ---------------------------------------------------------------- validation helpers


class _Checker:
    """Collects problems, each prefixed with the file and key path."""

    def __init__(self, file_label: str, env: Mapping[str, str], *, lenient_env: bool = False):
        self.file_label = file_label
        self.env = env
        # Reading the database must not need the daemon's secrets: leniently, an unset
        # ${VAR} leaves the key at its default instead of being a problem.
        self.lenient_env = lenient_env
        self.problems: list[str] = []

    def error(self, path: str, message: str) -> None:
        where = f"{path}: " if path else ""
        self.problems.append(f"{self.file_label}: {where}{message}")

    def mapping(self, value: Any, path: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        """Check `value` is a mapping whose keys are all in `allowed`."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(path, f"must be a mapping of keys, got {_describe(value)}")
            return {}
        for key in value:
            if key not in allowed:
                hint = difflib.get_close_matches(str(key), allowed, n=1)
                did_you_mean = f" (did you mean '{hint[0]}'?)" if hint else ""
                known = ", ".join(allowed)
                self.error(_join(path, str(key)),
                           f"unknown key{did_you_mean}; known keys here: {known}")
        return value

    def get(self, raw: dict[str, Any], key: str, path: str, convert: Callable[[Any], T],
            default: T, required: bool = False) -> T:
        where = _join(path, key)
        if key not in raw or raw[key] is None:
            if required:
                self.error(where, "is required")
            return default
        value = raw[key]
        if isinstance(value, str):
            try:
                value = expand_env(value, self.env)
            except KeyError as missing:
                if self.lenient_env:
                    return default
                self.error(where, f"environment variable {missing.args[0]} is not set "
                                  f"(write ${{{missing.args[0]}:-}} to make it optional)")
                return default
        try:
            return convert(value)
        except (ValueError, TypeError) as exc:
            self.error(where, str(exc))
            return default

    def items(self, raw: dict[str, Any], key: str, path: str) -> list[tuple[str, Any]]:
        """The elements of a list value, each with its path."""
        value = raw.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(_join(path, key), f"must be a list, got {_describe(value)}")
            return []
        return [(f"{_join(path, key)}[{i}]", item) for i, item in enumerate(value)]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def _text(value: Any) -> str:
    if isinstance(value, bool | dict | list):
        raise ValueError(f"must be text, got {_describe(value)}")
    return str(value).strip()


def _nonempty_text(value: Any) -> str:
    text = _text(value)
    if not text:
        raise ValueError("must not be empty")
    return text


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "on", "1"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "no", "off", "0", ""):
        return False
    raise ValueError(f"{value!r} is not true or false")


def _whole_number(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a whole number")
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a whole number") from None


def _positive_int(value: Any) -> int:
    number = _whole_number(value)
    if number <= 0:
        raise ValueError(f"{value!r} must be greater than 0")
    return number


def _count(value: Any) -> int:
    number = _whole_number(value)
    if number < 0:
        raise ValueError(f"{value!r} must not be negative")
    return number


def _port(value: Any) -> int:
    number = _positive_int(value)
    if number > 65535:
        raise ValueError(f"{value!r} is not a port number (1-65535)")
    return number


def _http_url(value: Any) -> str:
    text = _nonempty_text(value)
    if not re.match(r"^https?://[^/\s]+", text, re.IGNORECASE):
        raise ValueError(f"{text!r} is not an http(s) URL")
    return text


def _one_of(*choices: str) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        text = _text(value).lower()
        if text not in choices:
            raise ValueError(f"{value!r} is not one of: {', '.join(choices)}")
        return text

    return convert


# The default of an optional text list (typed: a bare () would be read as tuple[()]).
_NO_TEXTS: tuple[str, ...] = ()


def _text_list(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    out = []
    for i, item in enumerate(items):
        text = _text(item)
        if not text:
            raise ValueError(f"item {i} is empty")
        out.append(text)
    return tuple(out)


def _regex(value: Any) -> str:
    text = _nonempty_text(value)
    try:
        re.compile(text)
    except re.error as exc:
        raise ValueError(f"{text!r} is not a valid regular expression: {exc}") from None
    return text


def _css_selector(value: Any) -> str:
    """A selector both a strict CSS parser (cssselect) and lexbor (which runs it) accept.

    Lexbor alone reads some broken selectors leniently: 'a[href' (an unclosed bracket)
    matches as 'a[href]', every link on the page. cssselect follows the CSS grammar;
    lexbor then refuses what it cannot run (an unknown pseudo-class)."""
    import cssselect
    from selectolax.lexbor import LexborHTMLParser

    text = _nonempty_text(value)
    try:
        cssselect.parse(text)
    except cssselect.SelectorError as exc:
        raise ValueError(f"invalid CSS selector {text!r}: {exc}") from None
    try:
        LexborHTMLParser("<p></p>").css(text)
    except Exception as exc:  # selectolax raises plain exceptions for bad selectors
        raise ValueError(f"invalid CSS selector {text!r}: {exc}") from None
    return text
