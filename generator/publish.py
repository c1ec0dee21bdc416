"""What publishing needs besides pages: the digest feed, CNAME, robots.txt and sitemap.xml.

`publish_pages` is a page producer (`pipeline.PAGE_PRODUCERS`); `finish_outputs` runs
after every producer, because the sitemap lists every HTML page the build makes,
whoever made it (articles, entities, stories, quotes, archive, ...).

Feeds and the sitemap need absolute URLs (RFC 4287 ids, sitemaps.org `<loc>`), so they
are made only when `base_url` is absolute; `digest check` warns when it is not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from xml.sax.saxutils import escape

from generator.errors import Diagnostic, warning
from generator.feeds import article_feed
from generator.model import Output, Site
from generator.render import Renderer
from generator.urls import Urls

FEED_PATH = "feed.xml"
SITEMAP_PATH = "sitemap.xml"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
# Pages that must not be listed in the sitemap.
_NOINDEX = re.compile(rb"<meta\s+name=\"robots\"\s+content=\"[^\"]*noindex", re.IGNORECASE)


def feed_url(urls: Urls) -> str | None:
    """The digest feed's absolute URL, or None when feeds are not made."""
    return urls.absolute(FEED_PATH) if urls.absolute_base else None


def publish_pages(site: Site, renderer: Renderer) -> Iterable[Output]:
    config = site.config
    urls = renderer.urls
    if config.cname and renderer.claim():
        yield Output("CNAME", (config.cname.strip() + "\n").encode("ascii", "ignore"))
    if urls.absolute_base and renderer.claim():
        yield article_feed(
            site,
            urls,
            site.articles,
            path=FEED_PATH,
            title=config.title,
            page_path=urls.path("home"),
            subtitle=config.description,
        )


def base_url_warnings(site: Site) -> list[Diagnostic]:
    if Urls.from_config(site.config).absolute_base:
        return []
    return [
        warning(
            "digest.yaml",
            None,
            f"base_url '{site.config.base_url}' is not an absolute URL, so the feeds, "
            "sitemap and canonical links are left out: set `base_url: "
            "https://user.github.io/repo/` or build with --base-url",
        )
    ]


def _page_url(output_path: str) -> str:
    """`a/b/index.html` -> site path `a/b/`; other files keep their path."""
    if output_path == "index.html":
        return ""
    if output_path.endswith("/index.html"):
        return output_path[: -len("index.html")]
    return output_path


def in_sitemap(output: Output) -> bool:
    """An indexable HTML page: not the 404 page, not marked `noindex`. Decided as each
    output is written, so the sitemap needs only the paths, not every page in memory."""
    path = output.path
    return path.endswith(".html") and path != "404.html" and not _NOINDEX.search(output.data[:4096])


def sitemap(site: Site, urls: Urls, pages: Iterable[str]) -> Output:
    """`pages`: the output paths of the pages `in_sitemap`."""
    lastmod = {urls.path("article", a.slug): a.date.isoformat() for a in site.articles if a.date}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<urlset xmlns="{SITEMAP_NS}">']
    for path in sorted(_page_url(p) for p in pages):
        extra = f"<lastmod>{lastmod[path]}</lastmod>" if path in lastmod else ""
        lines.append(f"  <url><loc>{escape(urls.absolute(path))}</loc>{extra}</url>")
    lines.append("</urlset>")
    return Output(SITEMAP_PATH, ("\n".join(lines) + "\n").encode("utf-8"))


def robots(urls: Urls) -> Output:
    lines = ["User-agent: *", "Allow: /"]
    if urls.absolute_base:
        lines.append(f"Sitemap: {urls.absolute(SITEMAP_PATH)}")
    return Output("robots.txt", ("\n".join(lines) + "\n").encode("utf-8"))


def finish_outputs(site: Site, renderer: Renderer, pages: Iterable[str]) -> list[Output]:
    """Outputs made from all the others: sitemap.xml (from the paths of the pages
    `in_sitemap`) and robots.txt."""
    urls = renderer.urls
    made = [robots(urls)]
    if urls.absolute_base:
        made.append(sitemap(site, urls, pages))
    return made
