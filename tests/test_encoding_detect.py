"""Undeclared encodings (issue 16, item 8): an Arabic windows-1256 page without a declared
charset was decoded as UTF-8 full of U+FFFD, silently. When the declared or default
decoding produces replacement characters the encoding is detected, and which one was used
is recorded (decode_page's `encoding` and `how`; the article's `encoding` columns)."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import Source
from monitor.extract.encoding import decode_html, decode_page
from monitor.models import FeedEntry
from monitor.prepare import Prepared, prepare_page

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
ARABIC = ("اعتقلت القوات الأمنية في بغداد ثلاثة مشتبه بهم يوم الثلاثاء، وقالت مصادر إن "
          "العملية جرت في حي الكرادة بعد معلومات استخبارية دقيقة. ")
PAGE = (f"<html><head><title>اعتقال مشتبه بهم في بغداد</title></head><body><article>"
        f"<h1>اعتقال مشتبه بهم في بغداد</h1><p>{ARABIC * 3}</p><p>{ARABIC * 2}</p>"
        f"</article></body></html>")
META_PAGE = PAGE.replace("<head>", '<head><meta charset="windows-1256">')


def test_undeclared_windows_1256_arabic_is_detected() -> None:
    data = PAGE.encode("cp1256")
    assert "\ufffd" in data.decode("utf-8", "replace")  # what used to be stored
    decoded = decode_page(data)
    assert decoded.text == PAGE
    assert (decoded.encoding, decoded.how) == ("cp1256", "detected")


def test_a_wrong_declaration_is_overruled_when_it_breaks_the_text() -> None:
    data = PAGE.encode("cp1256")
    decoded = decode_page(data, "text/html; charset=utf-8")
    assert decoded.text == PAGE and decoded.how == "detected"


def test_the_shafaq_cp1256_fixture_without_its_meta() -> None:
    data = (FIXTURES / "shafaq_ar_article_cp1256.html").read_bytes()
    stripped = data.replace(b"charset=windows-1256", b"")
    decoded = decode_page(stripped)
    assert "هادي العامري" in decoded.text and "\ufffd" not in decoded.text
    assert decoded.encoding == "cp1256"


@pytest.mark.parametrize(("data", "content_type", "encoding", "how"), [
    (PAGE.encode("utf-8"), None, "utf-8", "default"),
    (PAGE.encode("cp1256"), "text/html; charset=windows-1256", "cp1256", "header"),
    (META_PAGE.encode("cp1256"), None, "cp1256", "meta"),
    (b"\xef\xbb\xbf" + PAGE.encode("utf-8"), None, "utf-8", "bom"),
])
def test_declared_encodings_are_used_and_named(data: bytes, content_type: str | None,
                                                encoding: str, how: str) -> None:
    decoded = decode_page(data, content_type)
    assert decoded.text in (PAGE, META_PAGE)
    assert (decoded.encoding, decoded.how) == (encoding, how)


@pytest.mark.parametrize("data", [b"<p>ok \xff\xfe\xfa</p>", b"<p>caf\xe9</p>"])
def test_too_little_evidence_keeps_the_replacement_characters(data: bytes) -> None:
    decoded = decode_page(data, "text/html; charset=utf-8")
    assert "\ufffd" in decoded.text and decoded.how == "header"


def test_utf8_with_one_damaged_byte_stays_utf8() -> None:
    # A truncated or once-mangled UTF-8 page: detection would turn its Arabic to mojibake.
    data = PAGE.encode("utf-8").replace("بغداد".encode(), b"\xff", 1)
    decoded = decode_page(data)
    assert (decoded.encoding, decoded.how) == ("utf-8", "default")
    assert decoded.text.count("\ufffd") == 1 and ARABIC in decoded.text


def test_undeclared_windows_1252_english_is_detected() -> None:
    text = ("<p>The minister said \u201cwe will act\u201d \u2014 it\u2019s final. "
            "Caf\u00e9 owners in Erbil agreed.</p>") * 4
    decoded = decode_page(text.encode("cp1252"))
    assert decoded.text == text and decoded.how == "detected"


def test_the_article_records_the_encoding_used() -> None:
    source = Source(name="Shafaq (AR)", kind="html", url="https://shafaq.com/ar/news",
                    every=600, links="a")
    entry = FeedEntry(url="https://shafaq.com/ar/x")
    result = prepare_page(source, entry, PAGE.encode("cp1256"), entry.url, "text/html",
                          matcher=_matcher())
    assert isinstance(result, Prepared)
    assert "بغداد" in result.article.body and "\ufffd" not in result.article.body
    assert (result.article.encoding, result.article.encoding_source) == ("cp1256", "detected")


def test_decode_html_is_the_text_of_decode_page() -> None:
    data = PAGE.encode("cp1256")
    assert decode_html(data) == decode_page(data).text


def _matcher():  # type: ignore[no-untyped-def]
    from monitor.match import Matcher

    return Matcher([], [])
