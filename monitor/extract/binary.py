"""Is a fetched body text at all? Servers send images, PDFs, archives and plain garbage as
text/html (a misconfigured CDN, a file behind a page URL); parsed as HTML, such a body is
a page without links or text, and a listing source would look healthy with 0 items.

Judged on the bytes before decoding, like browsers' "binary data" sniffing (WHATWG MIME
Sniffing): a known file signature, or a share of bytes no text file contains (NUL, other
C0 controls) in the first few kilobytes. UTF-16 and UTF-32 text, full of NUL bytes, is
recognised by its BOM or its "<" next to a NUL and is text.
"""

from __future__ import annotations

from monitor.extract.encoding import sniff_charset

__all__ = ["binary_reason"]

_HEAD = 8192
# C0 controls text never holds (NUL included): all but TAB, LF, VT, FF, CR and ESC
# (ISO-2022 escapes).
_CONTROL = bytes(set(range(0x20)) - {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1B})
# A stray control byte or NUL in a page is damage (some CMSs leave one); this share of them
# is not text. Random bytes hold about 10% (26 of 256 values).
_CONTROL_SHARE = 0.01
# Signatures that plain text cannot start with (those of a few ASCII letters, such as "MZ",
# are left to the control-byte test).
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "gzip data"),
    (b"\xfd7zXZ\x00", "xz data"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"OggS", "Ogg media"),
    (b"\x00asm", "WebAssembly"),
    (b"\x7fELF", "an executable"),
)


def binary_reason(data: bytes) -> str | None:
    """"binary content" (naming the format when known) when `data` is not text; None when
    it is."""
    head = data[:_HEAD]
    for signature, name in _SIGNATURES:
        if head.startswith(signature):
            return f"binary content ({name})"
    if head[4:8] in (b"ftyp", b"moov") or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "binary content (a media file)"
    codec = sniff_charset(head) or ""
    if codec.startswith(("utf-16", "utf-32")):
        return None
    controls = len(head) - len(head.translate(None, _CONTROL))
    if controls > _CONTROL_SHARE * len(head):
        return "binary content"
    return None
