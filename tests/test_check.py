"""`digest check`: in-memory build, broken links and anchors, metadata, size budget."""

from __future__ import annotations

from conftest import article, run_cli, write

from generator.check import check, resolve
from generator.errors import Level
from generator.load import read_config
from generator.urls import Urls

BASE = "https://example.org/repo/"


def test_bundled_digest_is_clean(bundled, capsys):
    assert run_cli(bundled, "check", "--base-url", BASE, "--strict") == 0
    out = capsys.readouterr()
    assert "0 errors, 0 warnings" in out.out
    assert not (bundled / "site").exists()  # in memory: nothing written


def test_relative_base_url_is_a_warning(bundled, capsys):
    assert run_cli(bundled, "check") == 0
    assert "base_url '/' is not an absolute URL" in capsys.readouterr().err
    assert run_cli(bundled, "check", "--strict") == 1


def test_broken_links_and_anchors_are_errors(project, capsys):
    write(
        project,
        "content/articles/a.md",
        article(
            body=(
                "See [b](/repo/articles/b/#it), [gone](/repo/articles/gone/), "
                "[here](#nowhere), [up](../../static/missing.css), "
                "[out](/elsewhere/) and [web](https://example.com/x)."
            )
        ),
    )
    write(project, "content/articles/b.md", article(title="B", body="## It\n\nText."))
    assert run_cli(project, "check", "--base-url", "/repo/") == 1
    err = capsys.readouterr().err
    assert "site/articles/a/index.html" in err
    assert "broken link: /repo/articles/gone/" in err
    assert "broken anchor: #nowhere" in err
    assert "broken link: ../../static/missing.css" in err
    assert "link /elsewhere/ leaves the site's base path /repo/" in err
    assert "/repo/articles/b/#it" not in err
    assert "example.com" not in err


def test_page_size_budget(project, capsys):
    write(project, "digest.yaml", f"base_url: {BASE}\npage_budget_kb: 1\n")
    write(project, "content/articles/a.md", article(body="Words. " * 400))
    assert run_cli(project, "check") == 0
    assert "(budget 1 kB: `page_budget_kb`)" in capsys.readouterr().err
    assert run_cli(project, "check", "--strict") == 1


def test_site_diagnostics_are_reported(project):
    # Whatever the stages report (here: a missing source) is part of the check.
    write(project, "digest.yaml", f"base_url: {BASE}\n")
    write(project, "content/articles/a.md", "---\ntitle: T\ndate: 2023-01-01\n---\n\nText.\n")
    diagnostics, pages = check(read_config(project))
    assert pages >= 4
    assert [d.message[:16] for d in diagnostics] == ["missing 'source'"]
    assert diagnostics[0].level is Level.WARNING


def test_missing_metadata_in_an_override_template(project, capsys):
    write(project, "digest.yaml", f"base_url: {BASE}\n")
    write(project, "content/articles/a.md", article())
    write(project, "overrides/templates/404.html", "<!DOCTYPE html><html><head></head></html>\n")
    assert run_cli(project, "check") == 1
    err = capsys.readouterr().err
    assert "site/404.html:1: <html> has no lang attribute" in err
    assert "site/404.html: page has no <title>" in err


def test_resolve_relative_and_absolute_urls():
    urls = Urls("/repo/", BASE)
    assert resolve("../b/", "articles/a/index.html", urls) == ("articles/b/index.html", "")
    assert resolve(BASE + "x/#y", "index.html", urls) == ("x/index.html", "y")
    assert resolve("https://other.org/", "index.html", urls) is None
    assert resolve("mailto:a@b.c", "index.html", urls) is None
    assert resolve("/repo/feed.xml", "index.html", urls) == ("feed.xml", "")
