"""extract_article, decode_html and parse_date on pages shaped like the real outlets."""

from __future__ import annotations

import json
import re
from datetime import timedelta, timezone
from pathlib import Path

import pytest

from monitor.config import ArticleSelectors
from monitor.errors import ExtractError
from monitor.extract import decode_html, extract_article, parse_date
from monitor.extract.datelines import DEFAULT_DATELINES, find_dateline
from monitor.models import ExtractedArticle

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
SHAFAQ_EN_URL = "https://shafaq.com/en/Kurdistan/Al-Sudani-Barzani-discuss-oil-exports"
SHAFAQ_AR_URL = "https://shafaq.com/ar/سياسة/العامري-يلتقي-السوداني"
NEW_REGION_URL = "https://thenewregion.com/posts/1482/pmf-commanders-meet-in-baghdad"


def _page(name: str, content_type: str | None = None) -> str:
    return decode_html((FIXTURES / name).read_bytes(), content_type)


@pytest.fixture(scope="module")
def shafaq_en() -> ExtractedArticle:
    return extract_article(_page("shafaq_en_article.html"), SHAFAQ_EN_URL)


@pytest.fixture(scope="module")
def new_region() -> ExtractedArticle:
    return extract_article(_page("newregion_article.html"), NEW_REGION_URL)


# --- Shafaq, English: JSON-LD metadata, body from <article> ---------------------------------

def test_shafaq_en_body_keeps_article_paragraphs_in_order(shafaq_en: ExtractedArticle) -> None:
    assert shafaq_en.method == "generic"
    paragraphs = shafaq_en.body.split("\n\n")
    assert paragraphs[0] == "Shafaq News – Erbil"
    assert paragraphs[1].startswith("Iraqi Prime Minister Mohammed Shia al-Sudani met on Saturday")
    assert "Budget dispute" in paragraphs  # h2 kept as its own block
    assert '"We agreed on a mechanism for the salaries," Barzani\'s office said.' in paragraphs
    assert "Oil exports through the Ceyhan pipeline" in paragraphs  # <li> inside the body
    assert paragraphs[-1] == "Al-Sudani later met Kurdistan Region President Nechirvan Barzani."
    # The blockquote wraps a <p>: read once, not twice.
    assert shafaq_en.body.count("We agreed on a mechanism") == 1


@pytest.mark.parametrize("boilerplate", [
    "Hadi al-Amiri",          # most-read sidebar, tags, figure caption, newsletter box
    "Kata'ib Hezbollah",      # related-news box inside the body, most-read, comments
    "Muqtada al-Sadr",        # most-read list in <aside>
    "Qais al-Khazali",        # most-read <section> in <main>, outside <aside>
    "Subscribe",              # newsletter
    "Share on Facebook",      # share bar inside <article>
    "All rights reserved",    # footer
    "cookies",                # cookie banner
    "Kurdistan\n\nSecurity",  # nav menu
])
def test_shafaq_en_boilerplate_names_stay_out_of_body(shafaq_en: ExtractedArticle,
                                                      boilerplate: str) -> None:
    assert boilerplate not in shafaq_en.body


def test_shafaq_en_metadata(shafaq_en: ExtractedArticle) -> None:
    assert shafaq_en.title == "Al-Sudani, Barzani discuss oil exports and salaries in Erbil"
    assert shafaq_en.published == "2026-01-03T14:05:00+00:00"  # +03:00 in JSON-LD
    assert shafaq_en.author == "Shafaq News Staff"
    assert shafaq_en.language == "en"
    assert shafaq_en.canonical_url == SHAFAQ_EN_URL  # relative rel=canonical resolved


# --- Shafaq, Arabic: utf-8 and windows-1256 -------------------------------------------------

@pytest.mark.parametrize("name", ["shafaq_ar_article.html", "shafaq_ar_article_cp1256.html"])
def test_shafaq_ar_from_jsonld(name: str) -> None:
    article = extract_article(_page(name), SHAFAQ_AR_URL)
    assert article.method == "jsonld"
    assert article.title == "العامري يلتقي السوداني لبحث الأوضاع الأمنية في ديالى"
    assert article.body.startswith("شفق نيوز – بغداد\n\nبحث رئيس منظمة بدر هادي العامري")
    assert article.body.endswith("وأكد الجانبان أهمية حصر السلاح بيد الدولة.")
    assert article.author == "علي حسين, سارة محمد"
    assert article.language == "ar"  # "ar-IQ" reduced to the base language
    assert article.published == "2026-01-03T14:05:00+00:00"
    assert article.canonical_url == SHAFAQ_AR_URL


def test_shafaq_ar_dom_fallback_drops_sidebar() -> None:
    html = _page("shafaq_ar_article.html")
    start = html.index('<script type="application/ld+json">')
    without_jsonld = html[:start] + html[html.index("</script>", start) + len("</script>"):]
    article = extract_article(without_jsonld, SHAFAQ_AR_URL)
    assert article.method == "generic"
    assert "هادي العامري" in article.body
    assert "حصر السلاح" in article.body
    for sidebar_text in ("كتائب حزب الله", "قيس الخزعلي", "الأكثر قراءة", "مشاركة"):
        assert sidebar_text not in article.body
    assert article.title == "العامري يلتقي السوداني لبحث الأوضاع الأمنية في ديالى"
    assert article.published == "2026-01-03T14:05:00+00:00"  # article:published_time
    assert article.language == "ar"


def test_cp1256_page_decodes_from_meta_and_from_header() -> None:
    data = (FIXTURES / "shafaq_ar_article_cp1256.html").read_bytes()
    expected = _page("shafaq_ar_article.html")
    assert data.decode("utf-8", errors="replace") != expected  # really not utf-8
    from_meta = decode_html(data)
    assert "هادي العامري" in from_meta and "\ufffd" not in from_meta
    no_meta = data.replace(b"charset=windows-1256", b"charset=bogus-label")
    assert "هادي العامري" in decode_html(no_meta, "text/html; charset=windows-1256")


# --- The New Region: no JSON-LD -------------------------------------------------------------

def test_new_region_body_without_related_posts(new_region: ExtractedArticle) -> None:
    assert new_region.method == "generic"
    assert new_region.body.startswith("ERBIL, Kurdistan Region – Senior commanders")
    assert "Falih al-Fayyadh, the PMF chairman" in new_region.body
    assert "Pressure from Washington" in new_region.body
    assert new_region.body.endswith("balance relations with Tehran and Washington.")
    for other in ("Hadi al-Amiri", "Kata'ib Hezbollah", "Related Posts", "Telegram",
                  "min read", "Dilan Sirwan"):
        assert other not in new_region.body


def test_new_region_metadata(new_region: ExtractedArticle) -> None:
    assert new_region.title == "PMF commanders meet in Baghdad as US drawdown looms"
    assert new_region.published == "2026-01-03T00:00:00+00:00"  # "Jan. 03, 2026 • 3 min read"
    assert new_region.author == "Dilan Sirwan"  # "By " removed
    assert new_region.language == "en"  # lang="en-US"
    assert new_region.canonical_url == NEW_REGION_URL  # fragment stripped


# --- other layers and failure modes ---------------------------------------------------------

def test_broken_jsonld_is_ignored() -> None:
    article = extract_article(_page("broken_jsonld.html"), "https://shafaq.com/en/Iraq/water")
    assert article.title == "Baghdad water crisis deepens"  # og:title, not the broken headline
    assert article.method == "generic"
    assert "Water levels in the Tigris fell" in article.body
    assert article.author == "Ahmed Karim"
    assert article.published == "2026-01-02T09:00:00+00:00"


def test_valid_jsonld_after_a_broken_block_is_used() -> None:
    html = _page("broken_jsonld.html").replace("</head>", (
        '<script type="application/ld+json">{"@type": "ReportageNewsArticle",'
        ' "headline": "Tigris at record low", "author": "Ahmed Karim",'
        ' "datePublished": "2026-01-02T12:00:00+03:00"}</script></head>'))
    article = extract_article(html, "https://shafaq.com/en/Iraq/water")
    assert article.title == "Tigris at record low"
    assert article.published == "2026-01-02T09:00:00+00:00"


def test_short_jsonld_body_loses_to_the_page() -> None:
    html = _page("broken_jsonld.html").replace("</head>", (
        '<script type="application/ld+json">{"@type": "NewsArticle",'
        ' "articleBody": "Water levels fell."}</script></head>'))
    article = extract_article(html, "https://shafaq.com/en/Iraq/water")
    assert article.method == "generic"
    assert "Ministry of Water Resources" in article.body


def test_densest_paragraph_block_when_no_container() -> None:
    article = extract_article(_page("no_container.html"), "https://example.com/dhi-qar")
    assert article.method == "generic"
    assert article.body.split("\n\n") == [
        "Hundreds of families in Dhi Qar have abandoned their farms this year as the marshes"
        " dry up, according to local officials.",
        '"There is no water left for the buffalo," one farmer said, standing beside a cracked'
        " canal bed.",
        "The provincial council has asked Baghdad for emergency support.",
    ]
    assert article.title == "Drought forces farmers off the land in Dhi Qar"
    assert article.language == "en"  # from the script: no lang attribute anywhere


def test_page_wrapped_in_a_form_keeps_its_text() -> None:
    """ASP.NET pages put everything inside one <form>; WordPress tags <article> "tag-...".

    Both look like boilerplate by name, but hold the story.
    """
    html = ('<html><body><form id="aspnetForm"><article class="post tag-iraq">'
            "<p>Shafaq News – Kirkuk</p><p>Security forces arrested three suspects in Kirkuk on"
            " Sunday, a police source said.</p></article>"
            '<div class="related-box tag-list"><p>Hadi al-Amiri visits Kirkuk</p></div>'
            "</form></body></html>")
    article = extract_article(html, "https://shafaq.com/en/Security/kirkuk")
    assert "arrested three suspects in Kirkuk" in article.body
    assert "Hadi al-Amiri" not in article.body


def test_teaser_card_article_loses_to_the_story_in_divs() -> None:
    story = "".join(f"<p>Paragraph {i} of the report on displaced families returning to"
                    " Sinjar, with figures from the ministry.</p>" for i in range(4))
    html = (f'<html><body><div id="story">{story}</div>'
            '<article class="card"><h3>Read next</h3><p>Hadi al-Amiri says Badr is ready for'
            " the provincial elections and will run its own list</p></article></body></html>")
    article = extract_article(html, "https://example.com/sinjar")
    assert article.method == "generic"
    assert article.body.startswith("Paragraph 0 of the report")
    assert "Hadi al-Amiri" not in article.body


def test_truncated_jsonld_body_loses_to_the_page() -> None:
    teaser = "Water levels in the Tigris fell to their lowest point in decades this week. " * 3
    html = _page("broken_jsonld.html").replace("</head>", (
        '<script type="application/ld+json">{"@type": "NewsArticle",'
        f' "articleBody": "{teaser}..."}}</script></head>'))
    article = extract_article(html, "https://shafaq.com/en/Iraq/water")
    assert article.method == "generic"
    assert "Ministry of Water Resources" in article.body


def test_language_detected_from_arabic_script() -> None:
    html = "<html><body><div><p>" + "بحث رئيس منظمة بدر الأوضاع الأمنية " * 5 + "</p></div>"
    assert extract_article(html, "https://example.com/a").language == "ar"


def test_page_without_text_raises() -> None:
    with pytest.raises(ExtractError):
        extract_article("<html><body><nav><a href='/'>Home</a></nav></body></html>",
                        "https://example.com/empty")


# --- decode_html ----------------------------------------------------------------------------

@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_pages(codec: str) -> None:
    html = '<html lang="ar"><body><p>كتائب حزب الله</p></body></html>'
    data = html.encode(codec)  # "utf-16" writes a BOM, the others do not
    assert decode_html(data) == html


def test_header_charset_wins_over_meta() -> None:
    data = '<meta charset="utf-8"><p>Erbil – أربيل</p>'.encode("cp1256")
    assert "أربيل" in decode_html(data, "text/html; charset=windows-1256")


def test_undecodable_bytes_are_replaced() -> None:
    assert decode_html(b"<p>ok \xff\xfe\xfa</p>", "text/html; charset=utf-8").count("\ufffd") >= 1
    unknown = decode_html(b"<p>caf\xe9</p>", "text/html; charset=no-such-charset")
    assert unknown == "<p>caf\ufffd</p>"  # unknown label: utf-8 with replacement


# --- parse_date -----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("2026-01-03T14:05:00Z", "2026-01-03T14:05:00+00:00"),
    ("2026-01-03T17:05:00+03:00", "2026-01-03T14:05:00+00:00"),
    ("2026-01-03T14:05:00.123456", "2026-01-03T14:05:00+00:00"),
    ("Sat, 03 Jan 2026 17:05:00 +0300", "2026-01-03T14:05:00+00:00"),
    ("Sat, 03 Jan 2026 14:05:00 GMT", "2026-01-03T14:05:00+00:00"),
    ("Jan. 03, 2026 • 3 min read", "2026-01-03T00:00:00+00:00"),
    ("January 3, 2026 at 2:05 PM", "2026-01-03T14:05:00+00:00"),
    ("3 January 2026", "2026-01-03T00:00:00+00:00"),
    ("Published: 3rd Sept 2026 09:30", "2026-09-03T09:30:00+00:00"),
    ("2026/01/03 14:05", "2026-01-03T14:05:00+00:00"),
    ("٣ كانون الثاني ٢٠٢٦", "2026-01-03T00:00:00+00:00"),
])
def test_parse_date(text: str, expected: str) -> None:
    assert parse_date(text) == expected


def test_naive_times_use_default_tz() -> None:
    baghdad = timezone(timedelta(hours=3))
    assert parse_date("2026/01/03 17:05", default_tz=baghdad) == "2026-01-03T14:05:00+00:00"
    assert parse_date("2026-01-03T17:05:00", default_tz=baghdad) == "2026-01-03T14:05:00+00:00"
    # An explicit offset is not overridden.
    assert parse_date("2026-01-03T17:05:00+00:00", default_tz=baghdad) == \
        "2026-01-03T17:05:00+00:00"


@pytest.mark.parametrize("text", ["", "   ", "3 min read", "yesterday", "2026-13-45", None])
def test_parse_date_rejects_non_dates(text: str | None) -> None:
    assert parse_date(text) is None


# --- layer 1: per-source selectors ----------------------------------------------------------

_SELECTOR_PAGE = (
    '<html><head><title>Site</title></head><body><div class="story-title">Badr wins seats'
    '</div><span class="when">2026-01-05 10:00</span><span class="who">By Zaid Ali</span>'
    '<div class="txt"><p>Badr won seats in Diyala, officials said on Monday.</p>'
    '<div class="inline-promo"><p>Qais al-Khazali speaks out</p></div>'
    "<p>Turnout was 41 percent across the province.</p></div>"
    '<aside><p>Muqtada al-Sadr in the most read list</p></aside></body></html>')


def test_selectors_layer_with_drop_and_local_timezone() -> None:
    chosen = ArticleSelectors(title=".story-title", body=".txt", date=".when",
                              author=".who", drop=(".inline-promo",))
    article = extract_article(_SELECTOR_PAGE, "https://example.com/badr", selectors=chosen,
                              timezone="Asia/Baghdad")
    assert article.method == "selectors"
    assert article.title == "Badr wins seats"
    assert article.author == "Zaid Ali"
    assert article.published == "2026-01-05T07:00:00+00:00"  # Baghdad is UTC+3
    assert article.body == ("Badr won seats in Diyala, officials said on Monday.\n\n"
                            "Turnout was 41 percent across the province.")


def test_selector_matching_nothing_falls_through() -> None:
    chosen = ArticleSelectors(title=".nope", body=".nope", date=".nope", author=".nope")
    article = extract_article(_page("no_container.html"), "https://example.com/dhi-qar",
                              selectors=chosen)
    assert article.method == "generic"
    assert article.title == "Drought forces farmers off the land in Dhi Qar"
    assert article.body.startswith("Hundreds of families in Dhi Qar")


def test_drop_selectors_apply_to_the_generic_layer_too() -> None:
    chosen = ArticleSelectors(drop=("blockquote",))
    article = extract_article(_page("shafaq_en_article.html"), SHAFAQ_EN_URL, selectors=chosen)
    assert "We agreed on a mechanism" not in article.body
    assert "Al-Sudani later met" in article.body


# --- layer 2: JSON-LD and metadata ----------------------------------------------------------

_LONG = "Kurdistan Region officials said oil exports resumed through Ceyhan on Monday. " * 4


def _ld_page(block: str, body: str = "<p>Short teaser.</p>") -> str:
    return (f'<html><head><script type="application/ld+json">{block}</script></head>'
            f"<body>{body}</body></html>")


@pytest.mark.parametrize("block", [
    '{"@context": "https://schema.org", "@graph": [{"@type": "WebPage"},'
    ' {"@type": "NewsArticle", "headline": "Oil resumes", "articleBody": "%s"}]}',
    '[{"@type": "Organization", "name": "X"}, {"@type": ["ReportageNewsArticle"],'
    ' "headline": "Oil resumes", "articleBody": "%s"}]',
    '{"@type": "Article", "headline": "Oil resumes", "articleBody": ["%s"]}',
])
def test_jsonld_variants(block: str) -> None:
    article = extract_article(_ld_page(block % _LONG), "https://example.com/oil")
    assert article.method == "jsonld"
    assert article.title == "Oil resumes"
    assert article.body.startswith("Kurdistan Region officials said")


def test_jsonld_dates_authors_language_and_modified() -> None:
    block = json.dumps({
        "@type": "NewsArticle", "headline": "H", "articleBody": _LONG,
        "datePublished": "2026-01-03T10:00:00", "dateModified": "2026-01-03T12:30:00+03:00",
        "author": [{"@type": "Person", "name": "A One"}, {"name": "B Two"}],
        "inLanguage": "en-GB"})
    article = extract_article(_ld_page(block), "https://example.com/x", timezone="Asia/Baghdad")
    assert article.published == "2026-01-03T07:00:00+00:00"  # naive: read in Asia/Baghdad
    assert article.modified == "2026-01-03T09:30:00+00:00"
    assert article.author == "A One, B Two"
    assert article.language == "en"


def test_modified_from_meta_and_broken_jsonld_ignored() -> None:
    html = ('<html><head><script type="application/ld+json">{"@type": "NewsArticle",'
            ' "headline": </script><meta property="article:modified_time"'
            ' content="2026-02-01T08:00:00Z"><meta property="og:title" content="Fine">'
            f"</head><body><article><p>{_LONG}</p></article></body></html>")
    article = extract_article(html, "https://example.com/x")
    assert article.modified == "2026-02-01T08:00:00+00:00"
    assert article.title == "Fine"
    assert article.method == "generic"


def test_visible_naive_date_uses_source_timezone() -> None:
    html = ("<html><body><article><h1>T</h1><div class='post-date'>Jan. 03, 2026 10:00 •"
            f" 3 min read</div><p>{_LONG}</p></article></body></html>")
    utc = extract_article(html, "https://example.com/x")
    local = extract_article(html, "https://example.com/x", timezone="Asia/Baghdad")
    assert utc.published == "2026-01-03T10:00:00+00:00"
    assert local.published == "2026-01-03T07:00:00+00:00"


def test_unknown_timezone_is_an_extract_error() -> None:
    with pytest.raises(ExtractError, match="timezone"):
        extract_article(_ld_page("{}"), "https://example.com/x", timezone="Mars/Olympus")


# --- datelines --------------------------------------------------------------------------------

@pytest.mark.parametrize(("first", "dateline"), [
    ("Shafaq News – Erbil", "Shafaq News – Erbil"),
    ("Shafaq News/ Baghdad", "Shafaq News/ Baghdad"),
    ("Shafaq News/ The Iraqi parliament met on Sunday.", "Shafaq News"),
    ("ERBIL, Kurdistan Region of Iraq - The KRG said on Sunday.",
     "ERBIL, Kurdistan Region of Iraq"),
    ("BAGHDAD (Reuters) - Iraq's parliament met.", "BAGHDAD (Reuters)"),
    ("شفق نيوز – بغداد", "شفق نيوز – بغداد"),
    ("بغداد - واع", "بغداد - واع"),
    ("The parliament met on Sunday - again.", None),
])
def test_default_datelines(first: str, dateline: str | None) -> None:
    body = f"{first}\n\nMore text follows here."
    assert find_dateline(body) == dateline


def test_dateline_kept_in_body_and_reported() -> None:
    article = extract_article(_page("newregion_article.html"), NEW_REGION_URL)
    assert article.body.startswith("ERBIL, Kurdistan Region – Senior commanders")
    assert article.dateline == "ERBIL, Kurdistan Region"
    ar = extract_article(_page("shafaq_ar_article.html"), SHAFAQ_AR_URL)
    assert ar.dateline == "شفق نيوز – بغداد"
    assert ar.body.startswith("شفق نيوز – بغداد")


def test_source_dateline_pattern_wins() -> None:
    body = "Kirkuk | NRT: Police arrested three suspects.\n\nMore."
    assert find_dateline(body) is None
    assert find_dateline(body, r"(?P<dateline>\w+ \| NRT):") == "Kirkuk | NRT"
    html = f"<html><body><article><p>{body}</p><p>{_LONG}</p></article></body></html>"
    article = extract_article(html, "https://example.com/x", dateline=r"\w+ \| NRT")
    assert article.dateline == "Kirkuk | NRT"


def test_default_datelines_are_data() -> None:
    assert all(isinstance(p, str) for p in DEFAULT_DATELINES)
    for pattern in DEFAULT_DATELINES:
        re.compile(pattern)


# --- layer 3: generic content extractor -------------------------------------------------------

def test_br_only_body_without_paragraphs() -> None:
    html = ("<html><body><div class='menu'><a href='/'>Home</a> <a href='/iraq'>Iraq</a></div>"
            "<div class='content'>Shafaq News/ Basra<br><br>Protesters gathered outside the"
            " oil company in Basra on Tuesday, demanding jobs.<br><br>Police said the protest"
            " was peaceful, and that roads were reopened by noon.<br>"
            "<div class='share-bar'>Share on Facebook</div></div></body></html>")
    article = extract_article(html, "https://example.com/basra")
    assert article.body.split("\n\n") == [
        "Shafaq News/ Basra",
        "Protesters gathered outside the oil company in Basra on Tuesday, demanding jobs.",
        "Police said the protest was peaceful, and that roads were reopened by noon.",
    ]
    assert article.dateline == "Shafaq News/ Basra"


def test_text_beside_paragraphs_is_kept_in_order() -> None:
    html = ("<html><body><div id='story'>First bare sentence about Mosul, long enough to"
            " count as text.<p>A paragraph about the Nineveh council, with a comma.</p>Last"
            " bare sentence about Sinjar, also long enough.</div></body></html>")
    body = extract_article(html, "https://example.com/x").body
    assert body.index("Mosul") < body.index("Nineveh") < body.index("Sinjar")


_WATCHLIST = ("Hadi al-Amiri", "Qais al-Khazali", "Muqtada al-Sadr", "Kata'ib Hezbollah",
              "Falih al-Fayyadh")


@pytest.mark.parametrize("wrapper", [
    '<div class="most-read">{}</div>', '<aside>{}</aside>', '<div id="related_posts">{}</div>',
    '<section class="newsletter-signup">{}</section>', '<div class="comments">{}</div>',
    '<div class="cookie-notice">{}</div>', '<footer>{}</footer>', '<nav>{}</nav>',
    '<div class="audio-player">Listen to the audio version {}</div>',
    '<figure><img src="x.jpg"><figcaption>{}</figcaption></figure>',
])
def test_sidebars_full_of_watchlist_names_stay_out(wrapper: str) -> None:
    names = "".join(f'<p><a href="/t/{i}">{n} said something today</a></p>'
                    for i, n in enumerate(_WATCHLIST))
    story = "".join(f"<p>Paragraph {i}: the council in Diyala met on Sunday, officials said,"
                    " to discuss water shares and the coming harvest.</p>" for i in range(5))
    html = (f"<html><body><div class='wrap'><article class='post'><h1>Diyala water</h1>"
            f"{wrapper.format(names)}{story}</article>{wrapper.format(names)}</div></body></html>")
    article = extract_article(html, "https://example.com/diyala")
    assert article.body.startswith("Paragraph 0:")
    assert article.body.count("Paragraph") == 5
    for name in _WATCHLIST:
        assert name not in article.body


def test_arabic_page_generic_layer() -> None:
    sentence = "قال مسؤولون في محافظة ديالى، اليوم الأحد، إن المجلس ناقش حصص المياه"
    story = "".join(f"<p>{sentence} {i}.</p>" for i in range(4))
    html = ('<html lang="ar" dir="rtl"><head><title>ديالى تناقش المياه - شفق نيوز</title></head>'
            f'<body><div class="article-body"><p>شفق نيوز – ديالى</p>{story}</div>'
            '<div class="most-read"><p><a href="/1">هادي العامري يلتقي قيس الخزعلي</a></p></div>'
            "</body></html>")
    article = extract_article(html, "https://shafaq.com/ar/x")
    assert article.title == "ديالى تناقش المياه"
    assert article.language == "ar"
    assert article.dateline == "شفق نيوز – ديالى"
    assert article.body.startswith("شفق نيوز – ديالى\n\nقال مسؤولون")
    assert "العامري" not in article.body


def test_script_detection_when_markup_has_no_language() -> None:
    html = "<html><body><div><p>" + "Iraqi officials met in Baghdad, on Sunday. " * 5
    assert extract_article(html + "</p></div></body></html>", "https://e.com/a").language == "en"
