"""Bytes of an HTML page -> str, honouring the charset however the page declares it.

Arabic outlets still serve windows-1256 pages and the odd UTF-16 one, and headers and
meta tags disagree, so the order follows browsers: byte-order mark, then the HTTP
Content-Type charset, then <meta charset> / http-equiv in the first bytes, then UTF-8.
Decoding never fails: bad bytes become U+FFFD.
"""

from __future__ import annotations

import codecs
import re

__all__ = ["charset_from_content_type", "decode_html", "sniff_charset"]

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    # UTF-32 before UTF-16: the UTF-32-LE BOM starts with the UTF-16-LE one.
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE
)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([\w.:-]+)""", re.IGNORECASE)
# Browsers treat these labels as windows-1252 (WHATWG Encoding), and pages rely on it.
_ALIASES = {"iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252",
            "us-ascii": "cp1252", "ascii": "cp1252", "iso8859-1": "cp1252",
            "windows-874": "cp874", "x-user-defined": "cp1252"}
_SNIFF_BYTES = 4096


def charset_from_content_type(content_type: str | None) -> str | None:
    """The codec named by `charset=` in a Content-Type header, if Python knows it."""
    if not content_type:
        return None
    found = _HEADER_CHARSET.search(content_type)
    return _codec(found.group(1)) if found else None


def sniff_charset(data: bytes) -> str | None:
    """Charset declared inside the document: BOM, <meta>, XML declaration; else a UTF-16 guess."""
    head = data[:_SNIFF_BYTES]
    guess = _bom_codec(head) or _utf16_without_bom(head)
    if guess:
        return guess
    for regex in (_META_CHARSET, _XML_ENCODING):
        found = regex.search(head)
        if found:
            codec = _codec(found.group(1).decode("ascii", "replace"))
            # A page we could read this far as ASCII is not UTF-16, whatever its meta says.
            if codec and not codec.startswith("utf-16"):
                return codec
    return None


def decode_html(data: bytes, content_type: str | None = None) -> str:
    """Decode page bytes to text; never raises on undecodable bytes."""
    codec = _bom_codec(data) or charset_from_content_type(content_type) or sniff_charset(data)
    codec = codec or "utf-8"
    if codec == "utf-16-le":
        # A header's bare "utf-16" says nothing about byte order; the bytes do.
        codec = _utf16_without_bom(data[:4]) or codec
    text = data.decode(codec, errors="replace")
    # The BOM survives decoding with explicit -le/-be and utf-8 codecs; drop it.
    return text.removeprefix("\ufeff")


def _bom_codec(data: bytes) -> str | None:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 markup without a BOM shows as '<' next to a NUL byte."""
    if head.startswith(b"<\x00") and head[2:4] != b"\x00\x00":
        return "utf-16-le"
    if head.startswith(b"\x00<") and head[:2] != b"\x00\x00":
        return "utf-16-be"
    return None


def _codec(label: str) -> str | None:
    """Normalise a charset label to a Python codec name; None when unknown."""
    label = label.strip().strip("\"'").lower()
    label = _ALIASES.get(label, label)
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    # "utf-16" without endianness needs a BOM to decode; without one, HTML is LE in practice.
    return "utf-16-le" if name == "utf-16" else name
