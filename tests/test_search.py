"""Full-text search on the normalised text, English and Arabic, with highlights."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.search import parse, snippet
from monitor.store import Store
from tests.story_fixtures import REPORTS, article


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    db = Store(tmp_path_factory.mktemp("search") / "m.db")
    for key in REPORTS:
        db.add_article(article(key), [])
    return db


def found(store: Store, query: str, **filters: str) -> set[str]:
    rows = store.search(parse(query).fts, **filters)
    return {r["url"] for r in rows}


def url(key: str) -> str:
    return REPORTS[key][1]


def test_english_words_phrases_and_spellings(store: Store) -> None:
    assert found(store, "boycott elections") == {url("sadr_speech")}
    assert found(store, '"Hussein al-Alaq"') == {url("maysan_shafaq"), url("maysan_k24")}
    assert found(store, "Allaq") == {url("maysan_newregion")}
    assert found(store, "Alaq OR Allaq") == {url("maysan_shafaq"), url("maysan_k24"),
                                             url("maysan_newregion")}
    assert found(store, "assassinat*") == {url("maysan_shafaq"), url("maysan_newregion")}
    assert found(store, "motorcycle NOT Kurdistan24") >= {url("maysan_shafaq")}


def test_punctuation_is_never_a_syntax_error(store: Store) -> None:
    assert found(store, "Al-Sadr's (speech") == set()  # "al sadr s" is no phrase here
    assert found(store, "al-Sadr") >= {url("sadr_speech")}
    with pytest.raises(ValueError):
        parse(" - ' ")


@pytest.mark.parametrize("query", ["حسين العلاق", "حسين العلّاق", "حُسَين العَلّاق"])
def test_arabic_with_and_without_diacritics(store: Store, query: str) -> None:
    assert found(store, query) == {url("ar_alsumaria"), url("ar_shafaq")}


@pytest.mark.parametrize("query", ["الإثنين", "الاثنين", "أتباعه", "اتباعه"])
def test_arabic_hamza_forms(store: Store, query: str) -> None:
    hits = found(store, query)
    assert hits and hits <= {url(k) for k in REPORTS if k.startswith("ar_")}


def test_arabic_attached_article_and_conjunction(store: Store) -> None:
    # "عمارة" finds "العمارة"; "الحياة" finds "الحياة" in both reports (taa marbuta folded).
    assert found(store, "عمارة") == {url("ar_alsumaria"), url("ar_shafaq")}
    assert found(store, "مقاطعه") == {url("ar_sadr_speech")}


def test_filters(store: Store) -> None:
    assert found(store, "Amarah", source="kurdistan24") == {url("maysan_k24")}
    assert found(store, "Amarah", since="2026-01-05T20:00:00+00:00") == {url("maysan_k24")}


def test_snippet_highlights_the_original_text() -> None:
    text = "قال المصدر إن الناشط حسين العلّاق قُتل مساء الإثنين في العمارة."
    terms = parse("حسين العلاق الاثنين").terms
    marked = snippet(text, terms)
    assert "⟦حسين العلّاق⟧" not in marked  # words are separate terms, marked separately
    assert "⟦حسين⟧ ⟦العلّاق⟧" in marked and "⟦الإثنين⟧" in marked
    assert "⟦Hussein Al-Allaq⟧" in snippet("Yes, Hussein Al-Allaq was there.",
                                          parse('"hussein al allaq"').terms)


@pytest.mark.parametrize(("text", "query", "excerpt"), [
    ("Police reported calm in Basra overnight, with roads open. The activist Hussein al-Allaq"
     " was shot in Amarah on Monday evening by gunmen on a motorcycle. Funeral prayers are"
     " planned for Wednesday at the main mosque.", "Allaq",
     "The activist Hussein al-⟦Allaq⟧ was shot in Amarah on Monday evening by gunmen on a"
     " motorcycle."),
    ("أفادت الشرطة بهدوء في البصرة ليلا مع فتح الطرق. قُتل الناشط حسين العلّاق في العمارة مساء"
     " الإثنين برصاص مسلحين. ومن المقرر أداء صلاة الجنازة يوم الأربعاء في الجامع الكبير.",
     "العلاق", "قُتل الناشط حسين ⟦العلّاق⟧ في العمارة مساء الإثنين برصاص مسلحين."),
])
def test_snippet_is_the_whole_sentence(text: str, query: str, excerpt: str) -> None:
    # It used to be 90 characters each side: cut mid-sentence into both neighbours.
    assert snippet(text, parse(query).terms) == excerpt


def test_snippet_without_a_match_is_the_start_cut_at_a_word() -> None:
    text = " ".join(["Basra"] * 100)
    assert snippet(text, parse("Najaf").terms) == " ".join(["Basra"] * 50) + "…"


def test_pruned_and_deleted_articles_leave_the_index(tmp_path: Path) -> None:
    with Store(tmp_path / "m.db") as db:
        a = db.add_article(article("maysan_shafaq"), [])
        b = db.add_article(article("sadr_speech"), [])
        db.db.execute("UPDATE articles SET body = '' WHERE id = ?", [a])  # retention
        assert found(db, "motorcycle") == set()
        assert found(db, "Alaq") == {url("maysan_shafaq")}  # the title is still searchable
        db.db.execute("DELETE FROM hits WHERE article_id = ?", [b])
        db.db.execute("DELETE FROM story_signatures WHERE article_id = ?", [b])
        db.db.execute("DELETE FROM articles WHERE id = ?", [b])
        assert found(db, "boycott") == set()
        assert db.reindex_search() == 1
        assert found(db, "Alaq") == {url("maysan_shafaq")}
