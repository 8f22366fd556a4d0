"""Slack Block Kit limits, and a check of a payload against them.

Slack rejects a message that breaks one of these (HTTP 400 `invalid_blocks`), and the
alert is then lost to that channel until someone looks. The limits are Slack's documented
ones (Block Kit reference: blocks, composition objects); the builders stay far inside them
and `monitor alert-preview` and the tests check every payload with `block_kit_problems`.
"""

from __future__ import annotations

from typing import Any

MAX_BLOCKS = 50  # blocks in one message
MAX_TEXT = 40_000  # the top-level `text` (Slack truncates longer ones)
MAX_SECTION_TEXT = 3000  # a section's text object
MAX_FIELDS = 10  # a section's fields
MAX_FIELD_TEXT = 2000  # each field
MAX_HEADER_TEXT = 150  # a header's plain_text
MAX_CONTEXT_ELEMENTS = 10  # elements of a context block
MAX_CONTEXT_TEXT = 3000  # a text element of a context block (a text object)
TEXT_TYPES = ("mrkdwn", "plain_text")


def _text(obj: Any, where: str, limit: int, types: tuple[str, ...] = TEXT_TYPES
          ) -> list[str]:
    if not isinstance(obj, dict) or obj.get("type") not in types:
        return [f"{where}: not a text object of type {' or '.join(types)}"]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return [f"{where}: empty text"]
    if len(text) > limit:
        return [f"{where}: {len(text)} characters, limit {limit}"]
    return []


def _block(block: Any, where: str) -> list[str]:
    kind = block.get("type") if isinstance(block, dict) else None
    if kind == "section":
        problems = _text(block["text"], f"{where}.text", MAX_SECTION_TEXT) \
            if "text" in block else []
        fields = block.get("fields", [])
        if "text" not in block and not fields:
            problems.append(f"{where}: a section needs text or fields")
        if len(fields) > MAX_FIELDS:
            problems.append(f"{where}: {len(fields)} fields, limit {MAX_FIELDS}")
        for i, item in enumerate(fields):
            problems += _text(item, f"{where}.fields[{i}]", MAX_FIELD_TEXT)
        return problems
    if kind == "header":
        return _text(block.get("text"), f"{where}.text", MAX_HEADER_TEXT, ("plain_text",))
    if kind == "context":
        elements = block.get("elements") or []
        problems = [] if 0 < len(elements) <= MAX_CONTEXT_ELEMENTS else [
            f"{where}: {len(elements)} elements, allowed 1 to {MAX_CONTEXT_ELEMENTS}"]
        for i, item in enumerate(elements):
            problems += _text(item, f"{where}.elements[{i}]", MAX_CONTEXT_TEXT)
        return problems
    if kind == "divider":
        return []
    return [f"{where}: block type {kind!r} is not one news-monitor sends"]


def block_kit_problems(payload: dict[str, Any]) -> list[str]:
    """Every way `payload` breaks Slack's limits (empty: Slack accepts it)."""
    problems: list[str] = []
    text = payload.get("text")
    if not isinstance(text, str) or not text:
        problems.append("text: the notification text is missing")
    elif len(text) > MAX_TEXT:
        problems.append(f"text: {len(text)} characters, limit {MAX_TEXT}")
    blocks = payload.get("blocks", [])
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"blocks: {len(blocks)}, limit {MAX_BLOCKS}")
    for i, block in enumerate(blocks):
        problems += _block(block, f"blocks[{i}]")
    return problems
