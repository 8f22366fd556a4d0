"""`monitor extract`, run as a user runs it: a subprocess, JSON lines out, no tracebacks."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
REPO = Path(__file__).resolve().parents[1]
KEYS = {"input", "title", "author", "published", "language", "url", "method", "body"}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor", "extract", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=60, check=False)


def test_one_json_line_per_file_including_gzip(tmp_path: Path) -> None:
    page = FIXTURES / "shafaq_en_article.html"
    packed = tmp_path / "page.html.gz"
    packed.write_bytes(gzip.compress(page.read_bytes()))
    result = _run(str(page), str(packed))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["input"] for line in lines] == [str(page), str(packed)]
    for line in lines:
        assert set(line) == KEYS
        assert line["title"] == "Al-Sudani, Barzani discuss oil exports and salaries in Erbil"
        assert line["body"].startswith("Shafaq News – Erbil\n\n")
        assert line["url"].startswith("https://shafaq.com/en/Kurdistan/")  # rel=canonical


def test_url_option_used_when_page_has_no_canonical() -> None:
    result = _run("--url", "https://example.com/dhi-qar", str(FIXTURES / "no_container.html"))
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stdout)
    assert line["url"] == "https://example.com/dhi-qar"
    assert line["method"] == "generic"
    assert line["language"] == "en"


def test_arabic_stays_readable_in_json() -> None:
    result = _run(str(FIXTURES / "shafaq_ar_article.html"))
    assert "هادي العامري" in result.stdout  # ensure_ascii=False
    assert json.loads(result.stdout)["language"] == "ar"


def test_errors_are_one_line_per_file_and_other_files_still_print(tmp_path: Path) -> None:
    empty = tmp_path / "empty.html"
    empty.write_text("<html><body><nav><a href='/'>Home</a></nav></body></html>")
    broken = tmp_path / "broken.html.gz"
    broken.write_bytes(b"\x1f\x8b" + b"not really gzip")
    good = FIXTURES / "newregion_article.html"
    result = _run(str(tmp_path / "missing.html"), str(empty), str(broken), str(good))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 4  # three files and the summary
    assert all(line.startswith("Error: ") for line in errors)
    assert "no article text found" in result.stderr
    assert json.loads(result.stdout)["input"] == str(good)


def test_help_shows_an_example() -> None:
    result = _run("--help")
    assert result.returncode == 0
    assert "monitor extract --url" in result.stdout
