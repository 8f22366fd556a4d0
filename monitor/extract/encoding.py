"""Bytes of an HTML page -> str, honouring the charset however the page declares it.

Arabic outlets still serve windows-1256 pages and the odd UTF-16 one, and headers and
meta tags disagree, so the order follows browsers: byte-order mark, then the HTTP
Content-Type charset, then <meta charset> / http-equiv in the first bytes, then UTF-8.
Decoding never fails: bad bytes become U+FFFD.

When the declared (or default) charset turns the page into replacement characters (an
Arabic windows-1256 page that declares nothing, read as UTF-8), the encoding is detected
from the bytes (charset-normalizer) and `decode_page` says so: `how` is "detected". A
UTF-8 page with a few damaged bytes is not one of those: it keeps its UTF-8 text.
"""

from __future__ import annotations

import codecs
import re
from typing import NamedTuple

__all__ = ["Decoded", "charset_from_content_type", "decode_html", "decode_page",
           "sniff_charset"]

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
# A UTF-8 page whose well-formed non-ASCII characters outnumber its damaged bytes this many
# times over is UTF-8 with some damage; a page in another encoding read as UTF-8 has
# almost none well-formed (Arabic in windows-1256 has no valid UTF-8 sequences by chance).
_DAMAGED_UTF8_RATIO = 4
_DETECT_BYTES = 256 * 1024  # enough to decide; a page larger still is decoded whole
# Fewer non-ASCII bytes than this are too little evidence: a detector shown "caf\xe9"
# picks any of a dozen single-byte codepages. Such text keeps its U+FFFD.
_MIN_EVIDENCE = 16
# The encodings the outlets we read (Arabic, English, Kurdish, Turkish) have been seen to
# use undeclared. Letting the detector choose among all ~100 it knows, it takes short
# Arabic for Urdu cp1006 or Farsi for cp720 now and then; these are the ones worth a guess.
_CANDIDATES = ["utf_8", "cp1256", "iso8859_6", "cp1252", "cp1254", "utf_16"]


class Decoded(NamedTuple):
    text: str
    encoding: str  # the Python codec name used, e.g. "utf-8", "cp1256"
    how: str  # bom | header | meta | default | detected


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
    return decode_page(data, content_type).text


def decode_page(data: bytes, content_type: str | None = None) -> Decoded:
    """Decode page bytes, saying which encoding was used and how it was chosen."""
    codec, how = _declared(data, content_type)
    if codec == "utf-16-le":
        # A header's bare "utf-16" says nothing about byte order; the bytes do.
        codec = _utf16_without_bom(data[:4]) or codec
    # The BOM survives decoding with explicit -le/-be and utf-8 codecs; drop it.
    text = data.decode(codec, errors="replace").removeprefix("\ufeff")
    if how != "bom" and "\ufffd" in text and not _damaged_utf8(codec, text):
        detected = _detect(data)
        if detected is not None and detected != codec:
            try:
                return Decoded(data.decode(detected).removeprefix("\ufeff"), detected,
                               "detected")
            except (UnicodeDecodeError, LookupError):
                pass  # the detector judged a sample; the whole page is not in it
    return Decoded(text, codec, how)


def _declared(data: bytes, content_type: str | None) -> tuple[str, str]:
    bom = _bom_codec(data)
    if bom:
        return bom, "bom"
    header = charset_from_content_type(content_type)
    if header:
        return header, "header"
    sniffed = sniff_charset(data)
    return (sniffed, "meta") if sniffed else ("utf-8", "default")


def _damaged_utf8(codec: str, text: str) -> bool:
    """UTF-8 text with a few bad bytes (a truncated page, one broken character)."""
    if codec != "utf-8":
        return False
    bad = text.count("\ufffd")
    well_formed = len(text) - len(text.encode("ascii", "ignore")) - bad
    return well_formed > _DAMAGED_UTF8_RATIO * bad


def _detect(data: bytes) -> str | None:
    from charset_normalizer import from_bytes

    sample = data[:_DETECT_BYTES]
    if len(sample) - len(sample.decode("ascii", "ignore")) < _MIN_EVIDENCE:
        return None
    best = from_bytes(sample, cp_isolation=_CANDIDATES).best()
    return _codec(best.encoding) if best is not None else None


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
