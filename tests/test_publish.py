"""Sitemap, robots.txt, CNAME, page metadata (canonical, OpenGraph, JSON-LD), archive
pages and home pagination, on real builds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Page, article, page, run_cli, write
from lxml import etree

FIXTURES = Path(__file__).parent / "fixtures"
BASE = "https://example.org/repo/"


@pytest.fixture(scope="module")
def sitemap_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(FIXTURES / "sitemap.xsd")))


@pytest.fixture
def published(bundled) -> Path:
    write(bundled, "digest.yaml", f"base_url: {BASE}\ncname: news.example.org\n")
    assert run_cli(bundled, "build", "--no-search") == 0
    return bundled / "site"


def test_sitemap_is_valid_and_lists_every_page(published, sitemap_schema):
    doc = etree.parse(str(published / "sitemap.xml"))
    assert sitemap_schema.validate(doc), sitemap_schema.error_log
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = doc.xpath("//s:loc/text()", namespaces=ns)
    pages = sorted(str(p.relative_to(published).parent) for p in published.rglob("index.html"))
    assert len(locs) == len(pages)
    assert f"{BASE}" in locs and f"{BASE}archive/" in locs and f"{BASE}search/" in locs
    assert all(loc.startswith(BASE) for loc in locs)
    assert not any("404" in loc for loc in locs)
    lastmods = doc.xpath(
        "//s:url[s:loc[contains(., '/articles/')]]/s:lastmod/text()", namespaces=ns
    )
    assert sorted(lastmods) == ["2023-09-13", "2023-09-14"]


def test_sitemap_schema_rejects_relative_locations(published, sitemap_schema):
    data = (published / "sitemap.xml").read_bytes().replace(BASE.encode(), b"/")
    assert not sitemap_schema.validate(etree.fromstring(data))


def test_robots_points_to_the_sitemap_and_cname_is_written(published):
    assert (published / "robots.txt").read_text().splitlines() == [
        "User-agent: *",
        "Allow: /",
        f"Sitemap: {BASE}sitemap.xml",
    ]
    assert (published / "CNAME").read_text() == "news.example.org\n"
    assert (published / ".nojekyll").exists()


def test_article_metadata_and_json_ld(published):
    html_path = next((published / "articles").glob("reuters-*/index.html"))
    doc = Page(html_path.read_text())
    url = BASE + str(html_path.parent.relative_to(published)) + "/"
    assert doc.find_all("html")[0]["lang"] == "en"
    assert doc.find_all("link", rel="canonical")[0]["href"] == url
    meta = {
        a.get("property") or a.get("name"): a.get("content") for t, a in doc.elements if t == "meta"
    }
    assert meta["og:url"] == url
    assert meta["og:type"] == "article"
    assert meta["og:title"].startswith("Putin and North Korea")
    assert meta["article:published_time"] == "2023-09-13"
    assert meta["twitter:card"] == "summary"
    text = html_path.read_text()
    start = text.index('<script type="application/ld+json">') + len(
        '<script type="application/ld+json">'
    )
    data = json.loads(text[start : text.index("</script>", start)])
    assert data["@type"] == "NewsArticle"
    assert data["url"] == url
    assert data["datePublished"] == "2023-09-13"
    assert data["publisher"]["name"] == "Reuters"


def test_json_ld_cannot_break_out_of_its_script(project):
    title = "</script><script>alert(1)</script><!-- & more"
    write(project, "digest.yaml", f"base_url: {BASE}\n")
    write(project, "content/articles/a.md", article(title=json.dumps(title)))
    assert run_cli(project, "build", "--no-search") == 0
    text = (project / "site" / "articles" / "a" / "index.html").read_text()
    start = text.index('<script type="application/ld+json">') + len(
        '<script type="application/ld+json">'
    )
    body = text[start : text.index("</script>", start)]
    assert "<" not in body and ">" not in body
    assert json.loads(body)["headline"] == title
    assert "<script>alert" not in text


def test_pages_other_than_articles_are_websites_and_404_is_noindex(published):
    home = page(published, "index.html")
    assert ("meta", {"property": "og:type", "content": "website"}) in home.elements
    assert home.find_all("link", rel="canonical")[0]["href"] == BASE
    missing = page(published, "404.html")
    assert missing.find_all("meta", name="robots")[0]["content"] == "noindex"
    assert not missing.find_all("link", rel="canonical")


def test_home_pagination_and_monthly_archive(project):
    write(project, "digest.yaml", "page_size: 2\nbase_url: /repo/\n")
    dates = ["2023-08-30", "2023-09-01", "2023-09-13", "2023-09-14", "2023-10-02"]
    for i, date in enumerate(dates):
        write(project, f"content/articles/a{i}.md", article(title=f"Article {i}", date=date))
    write(project, "content/articles/undated.md", "---\ntitle: Undated\nsource: X\n---\n\nText.\n")
    assert run_cli(project, "build", "--no-search") == 0
    site = project / "site"
    home = page(site, "index.html")
    titles = [a["href"] for a in home.find_all("a") if "/articles/" in a["href"]]
    assert titles == ["/repo/articles/a4/", "/repo/articles/a3/"]
    assert "/repo/page/2/" in home.links and "/repo/page/3/" in home.links
    assert not (site / "page" / "1").exists()
    last = page(site, "page/3/index.html")
    assert [a["href"] for a in last.find_all("a") if "/articles/" in a["href"]] == [
        "/repo/articles/a0/",
        "/repo/articles/undated/",
    ]
    assert last.find_all("a", rel="prev")[0]["href"] == "/repo/page/2/"
    assert "page 3" in last.title
    archive = page(site, "archive/index.html")
    months = [
        a["href"]
        for a in archive.find_all("a")
        if a["href"].startswith("/repo/archive/") and a["href"] != "/repo/archive/"
    ]
    assert months == [
        "/repo/archive/2023/10/",
        "/repo/archive/2023/09/",
        "/repo/archive/2023/08/",
        "/repo/archive/undated/",
    ]
    september = page(site, "archive/2023/09/index.html")
    assert "September 2023" in september.title
    assert [a["href"] for a in september.find_all("a") if "/articles/" in a["href"]] == [
        "/repo/articles/a3/",
        "/repo/articles/a2/",
        "/repo/articles/a1/",
    ]
    assert september.find_all("a", rel="prev")[0]["href"] == "/repo/archive/2023/10/"
    assert september.find_all("a", rel="next")[0]["href"] == "/repo/archive/2023/08/"


def test_one_page_home_has_no_pagination(published):
    assert "Pages of articles" not in (published / "index.html").read_text()
    assert not (published / "page").exists()


def test_search_page_without_search_built(project):
    write(project, "digest.yaml", "search: false\n")
    write(project, "content/articles/a.md", article())
    assert run_cli(project, "build") == 0
    html = (project / "site" / "search" / "index.html").read_text()
    assert "pagefind-ui.js" not in html
    assert "Search needs JavaScript" in html
    assert not (project / "site" / "pagefind").exists()


def _page_counts(bundle: Path) -> int:
    entry = json.loads((bundle / "pagefind-entry.json").read_text())
    return sum(language["page_count"] for language in entry["languages"].values())


def test_a_big_digest_is_indexed_in_parts_the_search_page_merges(project):
    """More articles than `search_shard_size`: one Pagefind run per part, each over its
    share of the article pages, bundled under pagefind/; fewer parts on the next build
    leave no stale one behind."""
    write(project, "digest.yaml", "search_shard_size: 2\n")
    for k in range(5):
        write(project, f"content/articles/a{k}.md", article(title=f"Story {k}", body="Ferries."))
    assert run_cli(project, "build") == 0
    site = project / "site"
    bundles = [site / "pagefind", site / "pagefind/part-2", site / "pagefind/part-3"]
    assert [_page_counts(b) for b in bundles] == [1, 2, 2]
    assert not (site / "pagefind/part-4").exists()
    assert not (site / ".pagefind-tmp").exists()
    assert _parts(site) == ["part-2/", "part-3/"]
    write(project, "digest.yaml", "search_shard_size: 3\n")
    assert run_cli(project, "build") == 0
    assert [_page_counts(b) for b in bundles[:2]] == [2, 3]
    assert not bundles[2].exists()
    assert _parts(site) == ["part-2/"]


def _parts(site: Path) -> list[str]:
    return json.loads((site / "pagefind/parts.json").read_text())["parts"]


def test_the_search_page_names_no_part_so_a_build_without_the_index_cannot_break_it(project):
    """The parts are listed beside the index, not on the page: after `--no-search` with
    more articles than the index on disk has parts for, the page and the list still agree
    with what is there."""
    write(project, "digest.yaml", "search_shard_size: 2\n")
    for k in range(3):
        write(project, f"content/articles/a{k}.md", article(title=f"Story {k}", body="Ferries."))
    assert run_cli(project, "build") == 0
    site = project / "site"
    assert _parts(site) == ["part-2/"]
    before = (site / "search/index.html").read_text()
    for k in range(3, 6):
        write(project, f"content/articles/a{k}.md", article(title=f"Story {k}", body="Ferries."))
    assert run_cli(project, "build", "--no-search") == 0
    assert _parts(site) == ["part-2/"]
    assert (site / "pagefind/part-2/pagefind-entry.json").is_file()
    assert (site / "search/index.html").read_text() == before
    assert "part-" not in before


def test_a_digest_within_one_part_has_one_index(project):
    write(project, "content/articles/a.md", article())
    assert run_cli(project, "build") == 0
    assert _page_counts(project / "site/pagefind") == 1
    assert not (project / "site/pagefind/part-2").exists()
    assert _parts(project / "site") == []


def test_json_ld_entities_hook_gives_same_as_links():
    # The entities stage will add `entities` to the article view; metadata maps them.
    import datetime as dt

    from generator.config import Config
    from generator.metadata import news_article
    from generator.urls import Urls

    config = Config(root=Path("."), base_url=BASE)
    view = {
        "title": "T",
        "url": "/repo/articles/t/",
        "date": dt.date(2023, 9, 13),
        "source": "Reuters",
        "entities": [
            {
                "name": "Vostochny Cosmodrome",
                "type": "place",
                "url": "/repo/entities/vostochny/",
                "same_as": ["https://www.wikidata.org/wiki/Q1136599"],
            }
        ],
    }
    data = news_article(view, config, Urls.from_config(config))
    assert data["url"] == BASE + "articles/t/"
    assert data["about"] == [
        {
            "@type": "Place",
            "name": "Vostochny Cosmodrome",
            "url": BASE + "entities/vostochny/",
            "sameAs": ["https://www.wikidata.org/wiki/Q1136599"],
        }
    ]


def test_pagination_links_a_window_not_every_page(project):
    write(project, "digest.yaml", "page_size: 1\n")
    for i in range(12):
        write(project, f"content/articles/a{i:02d}.md", article(title=f"A {i}", date="2023-09-01"))
    assert run_cli(project, "build", "--no-search") == 0
    middle = page(project / "site", "page/6/index.html")
    numbered = [a["href"] for a in middle.find_all("a") if a["href"].startswith("/page/")]
    numbered += [a["href"] for a in middle.find_all("a") if a["href"] == "/"]
    expected = {"/", "/page/4/", "/page/5/", "/page/6/", "/page/7/", "/page/8/", "/page/12/"}
    assert set(numbered) == expected
    assert middle.text.count("…") == 2  # the gaps 2-3 and 9-11
    current = [a for a in middle.find_all("a") if a.get("aria-current") == "page"]
    assert [a["href"] for a in current] == ["/page/6/"]


def test_home_lists_the_latest_stories_and_links_to_all(project):
    write(project, "digest.yaml", "page_size: 5\n")
    for i in range(14):
        date = f"2023-09-{i + 1:02d}"
        body = f"Story number {i} happened."
        text = article(title=f"T {i}", date=date, body=body, story=f"story-{i:02d}")
        write(project, f"content/articles/a{i:02d}.md", text)
    assert run_cli(project, "build", "--no-search") == 0
    home = page(project / "site", "index.html")
    stories = [a["href"] for a in home.find_all("a") if a["href"].startswith("/stories/s")]
    assert stories == [f"/stories/story-{i:02d}/" for i in range(13, 3, -1)]  # newest 10
    assert "All 14 stories" in home.text and "/stories/" in home.links
    later = page(project / "site", "page/2/index.html")
    assert not [a for a in later.find_all("a") if a["href"].startswith("/stories/s")]
