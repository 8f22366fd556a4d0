"""m014_snippet_marks: stored **match** snippets become ⟦match⟧, nothing else changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlite_utils import Database

from monitor.store import Store
from monitor.store.migrations import migrations

# (snippet as the old snippet maker stored it, its matched_text, the snippet after)
CASES = [
    ("…officials said **Qais al-Khazali** warned of sedition in Maysan.", "Qais al-Khazali",
     "…officials said ⟦Qais al-Khazali⟧ warned of sedition in Maysan."),
    ("قال **الخزعلي** إن الوضع هادئ في ميسان.", "الخزعلي",
     "قال ⟦الخزعلي⟧ إن الوضع هادئ في ميسان."),
    # The match was wrapped in the source: the old snippet collapsed its whitespace.
    ("Fighters of **Saraya al-Salam** were seen.", "Saraya\n al-Salam",
     "Fighters of ⟦Saraya al-Salam⟧ were seen."),
    # The article's own asterisks stay; only the marks around the match change.
    ("Rated **** by critics, **Basra** hosted it.", "Basra",
     "Rated **** by critics, ⟦Basra⟧ hosted it."),
    ("Footnote **1** says **Amarah** was calm.", "Amarah",
     "Footnote **1** says ⟦Amarah⟧ was calm."),
    # No matched_text (a rule hit written by another tool): the first marked span.
    ("**Maysan** council met.", None, "⟦Maysan⟧ council met."),
    # Nothing marked, or nothing at all: left as it was.
    ("No marks here.", "Najaf", "No marks here."),
    ("A lone ** in text.", "Najaf", "A lone ** in text."),
    (None, "Najaf", None),
    ("", "Najaf", ""),
]


def _old_database(path: Path) -> None:
    old = Database(path)
    migrations.apply(old, stop_before="m014_snippet_marks")  # the schema before the marks
    article = old["articles"].insert({"url": "https://x.example/1", "source": "Test",
                                      "title": "t", "body": "b",
                                      "fetched": "2026-01-03T12:00:00+00:00"}).last_pk
    old["hits"].insert_all(
        {"article_id": article, "entity": f"E{i}", "kind": "actor", "field": "body",
         "matched_text": matched, "snippet": snippet, "start": i, "end": i + 1, "how": "exact"}
        for i, (snippet, matched, _) in enumerate(CASES))
    old.close()


def test_old_marks_become_brackets_and_nothing_else_changes(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _old_database(path)
    before = list(Database(path).query("SELECT * FROM hits ORDER BY id"))
    with Store(path) as store:
        after = list(store.db.query("SELECT * FROM hits ORDER BY id"))
        assert "m014_snippet_marks" in {m.name for m in migrations.applied(store.db)}
    assert [row["snippet"] for row in after] == [expected for _, _, expected in CASES]
    for old, new in zip(before, after, strict=True):
        assert {k: v for k, v in old.items() if k != "snippet"} == {
            k: v for k, v in new.items() if k != "snippet"}


@pytest.mark.parametrize("rows", [1, 12_001])
def test_every_page_of_hits_is_migrated(tmp_path: Path, rows: int) -> None:
    # The migration reads hits 5000 at a time: rows past the first page are migrated too.
    path = tmp_path / "old.db"
    old = Database(path)
    migrations.apply(old, stop_before="m014_snippet_marks")
    article = old["articles"].insert({"url": "https://x.example/1", "source": "Test",
                                      "fetched": "2026-01-03T12:00:00+00:00"}).last_pk
    old["hits"].insert_all(
        {"article_id": article, "entity": "Basra", "kind": "place", "field": "body",
         "matched_text": "Basra", "snippet": f"In **Basra** {i}.", "start": i, "end": i + 5}
        for i in range(rows))
    old.close()
    with Store(path) as store:
        snippets = [r[0] for r in store.db.execute("SELECT snippet FROM hits ORDER BY id")]
    assert snippets == [f"In ⟦Basra⟧ {i}." for i in range(rows)]
