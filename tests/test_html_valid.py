"""Every generated page and stylesheet passes the Nu Html Checker with zero errors."""

from __future__ import annotations

from conftest import vnu_errors, write

from generator.load import read_config
from generator.pipeline import build


def test_bundled_site_is_valid_html5(bundled_site):
    files = sorted(bundled_site.rglob("*.html")) + sorted(bundled_site.rglob("*.css"))
    assert len(files) >= 4
    assert vnu_errors(files) == []


def test_the_checker_catches_invalid_html(tmp_path):
    """Guard against a checker that passes everything (a test that cannot fail)."""
    bad = write(tmp_path, "bad.html", "<!DOCTYPE html><html><head></head><body><p><div></p>")
    assert vnu_errors([bad])


def test_sub_path_site_is_valid_html5(bundled):
    write(bundled, "digest.yaml", "base_url: https://user.github.io/repo/\n")
    build(read_config(bundled))
    assert vnu_errors(sorted((bundled / "site").rglob("*.html"))) == []
