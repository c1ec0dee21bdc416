"""Atom feeds: valid (feedparser and the RFC 4287 RELAX NG schema), absolute, stable."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest
from conftest import article, run_cli, write
from lxml import etree

from generator.feeds import article_feed
from generator.load import read_config
from generator.pipeline import build, build_site
from generator.urls import Urls

FIXTURES = Path(__file__).parent / "fixtures"
BASE = "https://example.org/repo/"


@pytest.fixture(scope="module")
def atom_schema() -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(FIXTURES / "atom.rng")))


def assert_valid(data: bytes, schema: etree.RelaxNG) -> feedparser.FeedParserDict:
    parsed = feedparser.parse(data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    doc = etree.fromstring(data)
    assert schema.validate(doc), schema.error_log
    return parsed


def test_schema_rejects_an_invalid_feed(atom_schema):
    # The fixture schema is not vacuous: a feed without id/updated is refused.
    bad = b'<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>'
    assert not atom_schema.validate(etree.fromstring(bad))


def test_digest_feed_of_the_bundled_digest(bundled, atom_schema):
    assert run_cli(bundled, "build", "--base-url", BASE, "--no-search") == 0
    data = (bundled / "site" / "feed.xml").read_bytes()
    parsed = assert_valid(data, atom_schema)
    assert parsed.feed.id == BASE + "feed.xml"
    links = {link.rel: link.href for link in parsed.feed.links}
    assert links == {"self": BASE + "feed.xml", "alternate": BASE}
    assert len(parsed.entries) == 2
    sources = set()
    for entry in parsed.entries:
        assert entry.link.startswith(BASE + "articles/")
        assert entry.id == entry.link
        assert entry.updated.endswith("Z")
        sources.add(entry.author)
        # full content by default; its root-relative links resolve against xml:base
        assert entry.content[0].type == "text/html"
        assert "<p" in entry.content[0].value
        assert entry.summary
    assert sources == {"Reuters", "Dawn"}
    # newest first
    assert parsed.entries[0].published >= parsed.entries[1].published
    # the pages announce the feed
    home = (bundled / "site" / "index.html").read_text()
    title = read_config(bundled).title
    assert f'type="application/atom+xml" title="{title}" href="{BASE}feed.xml"' in home


def test_feed_ids_are_stable_and_output_deterministic(bundled):
    config = read_config(bundled)
    config = type(config)(**{**config.__dict__, "base_url": BASE})
    first = {o.path: o.data for o in build_site(config)[1]}
    second = {o.path: o.data for o in build_site(config)[1]}
    assert first["feed.xml"] == second["feed.xml"]
    assert first["sitemap.xml"] == second["sitemap.xml"]


def test_summary_only_feed_and_escaping(project, atom_schema):
    write(project, "digest.yaml", f"base_url: {BASE}\nfeed_content: summary\nfeed_size: 1\n")
    write(
        project,
        "content/articles/a.md",
        article(title='"Ampersands & <tags>"', date="2024-01-02", body="First *para* & more."),
    )
    write(project, "content/articles/b.md", article(title="Older", date="2024-01-01"))
    assert run_cli(project, "build", "--no-search") == 0
    data = (project / "site" / "feed.xml").read_bytes()
    parsed = assert_valid(data, atom_schema)
    assert len(parsed.entries) == 1  # feed_size
    entry = parsed.entries[0]
    assert entry.title == "Ampersands & <tags>"
    assert "content" not in entry
    assert entry.summary == "First para & more."


def test_generic_feed_for_any_list_of_articles(bundled, atom_schema):
    # What a story or entity page will use: the same function over a subset.
    config = read_config(bundled)
    config = type(config)(**{**config.__dict__, "base_url": BASE})
    site, _outputs, _ = build_site(config)
    urls = Urls.from_config(config)
    reuters = [a for a in site.articles if a.source == "Reuters"]
    output = article_feed(
        site,
        urls,
        reuters,
        path="stories/summit/feed.xml",
        title="Summit",
        page_path="stories/summit/",
    )
    parsed = assert_valid(output.data, atom_schema)
    assert parsed.feed.id == BASE + "stories/summit/feed.xml"
    assert [e.author for e in parsed.entries] == ["Reuters"]


def test_undated_articles_and_control_characters(project, atom_schema):
    write(project, "digest.yaml", f"base_url: {BASE}\n")
    write(
        project,
        "content/articles/a.md",
        "---\ntitle: No date\nsource: X\n---\n\nText with a \x0b control character.\n",
    )
    assert run_cli(project, "build", "--no-search") == 0
    parsed = assert_valid((project / "site" / "feed.xml").read_bytes(), atom_schema)
    assert parsed.entries[0].updated == "1970-01-01T00:00:00Z"


def test_relative_base_url_makes_no_feed_or_sitemap(project):
    write(project, "content/articles/a.md", article())
    result = build(read_config(project))
    paths = set(result.files)
    assert "feed.xml" not in paths
    assert "sitemap.xml" not in paths
    robots = (project / "site" / "robots.txt").read_text()
    assert "Sitemap:" not in robots
    html = (project / "site" / "index.html").read_text()
    assert "application/atom+xml" not in html
    assert 'rel="canonical"' not in html


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("feed_content: everything", "'feed_content' must be full or summary"),
        ("feed_size: 0", "'feed_size' must be at least 1"),
        ("cname: https://example.org/", "'cname' is a bare domain"),
    ],
)
def test_bad_publishing_config(project, capsys, line, message):
    write(project, "digest.yaml", line + "\n")
    assert run_cli(project, "build", "--no-search") == 1
    assert message in capsys.readouterr().err
