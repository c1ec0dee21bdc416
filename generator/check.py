"""`digest check`: build in memory and report what would be broken once published.

* broken internal links and anchors (`href`/`src` of every HTML output resolved against
  the output set, fragments against the target's ids), like Zola's
  `check_internal_links_with_anchors`;
* missing required metadata (title, description, `lang`, canonical link when
  `base_url` is absolute);
* pages whose HTML plus the CSS and JS they load is over `page_budget_kb`;
* every diagnostic the build's stages put on `Site.diagnostics` (orphaned notes,
  unresolved `[[...]]` references, ... whatever the linking stages report);
* a relative `base_url` (no feeds, no sitemap).

It reads no files beyond what the build reads and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

from generator.config import Config
from generator.errors import Diagnostic, error, warning
from generator.model import Output, Site
from generator.urls import Urls

# Made after the build writes site/ (by Pagefind), so not in the in-memory output set.
GENERATED_LATER = ("pagefind/",)
_LINK_ATTRS = {
    "a": "href",
    "link": "href",
    "area": "href",
    "script": "src",
    "img": "src",
    "source": "src",
    "iframe": "src",
    "form": "action",
}


@dataclass
class PageInfo:
    path: str
    ids: set[str] = field(default_factory=set)
    links: list[tuple[str, str, int]] = field(default_factory=list)  # (tag, url, line)
    lang: str = ""
    title: str = ""
    description: bool = False
    canonical: bool = False
    stylesheets: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)


class _Scanner(HTMLParser):
    def __init__(self, info: PageInfo):
        super().__init__(convert_charrefs=True)
        self.info = info
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        info = self.info
        for key in ("id", "name") if tag == "a" else ("id",):
            if a.get(key):
                info.ids.add(a[key])
        line = self.getpos()[0]
        if tag == "html":
            info.lang = a.get("lang", "")
        elif tag == "title":
            self._in_title = True
        elif tag == "meta" and a.get("name") == "description" and a.get("content", "").strip():
            info.description = True
        rel = a.get("rel", "").split()
        if tag == "link" and "canonical" in rel:
            info.canonical = True
        attr = _LINK_ATTRS.get(tag)
        if attr and a.get(attr):
            info.links.append((tag, a[attr], line))
            if tag == "link" and "stylesheet" in rel:
                info.stylesheets.append(a[attr])
            if tag == "script":
                info.scripts.append(a[attr])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.info.title += data


def scan(path: str, data: bytes) -> PageInfo:
    info = PageInfo(path)
    scanner = _Scanner(info)
    scanner.feed(data.decode("utf-8", "replace"))
    scanner.close()
    return info


def resolve(url: str, page_path: str, urls: Urls) -> tuple[str, str] | None:
    """An href on page `page_path` -> (output path, fragment), or None if external."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        absolute = urls.absolute_base
        if not absolute or not url.startswith(absolute):
            return None
        parts = urlsplit(urls.base_path + url[len(absolute) :])
    if url.startswith(("mailto:", "tel:", "javascript:", "data:")):
        return None
    path = unquote(parts.path)
    if not path:  # "#anchor" or "?q": this page
        return page_path, parts.fragment
    if path.startswith("/"):
        if not path.startswith(urls.base_path):
            return ("\x00outside:" + path, "")
        site_path = path[len(urls.base_path) :]
    else:
        folder = page_path.rsplit("/", 1)[0] + "/" if "/" in page_path else ""
        site_path = _normalise(folder + path)
    if site_path == "" or site_path.endswith("/"):
        site_path += "index.html"
    return site_path, parts.fragment


def _normalise(path: str) -> str:
    out: list[str] = []
    for part in path.split("/"):
        if part == "..":
            if out:
                out.pop()
        elif part != ".":
            out.append(part)
    return "/".join(out)


def link_problems(pages: dict[str, PageInfo], files: set[str], urls: Urls) -> list[Diagnostic]:
    problems = []
    for path in sorted(pages):
        for tag, url, line in pages[path].links:
            target = resolve(url, path, urls)
            if target is None:
                continue
            site_path, fragment = target
            if site_path.startswith("\x00outside:"):
                problems.append(
                    error(
                        f"site/{path}",
                        line,
                        f"link {url} leaves the site's base path {urls.base_path}",
                    )
                )
            elif site_path.startswith(GENERATED_LATER):
                continue
            elif site_path not in files:
                problems.append(error(f"site/{path}", line, f"broken link: {url} (<{tag}>)"))
            elif fragment and site_path in pages and unquote(fragment) not in pages[site_path].ids:
                problems.append(error(f"site/{path}", line, f"broken anchor: {url}"))
    return problems


def metadata_problems(pages: dict[str, PageInfo], urls: Urls) -> list[Diagnostic]:
    problems = []
    for path in sorted(pages):
        info = pages[path]
        where = f"site/{path}"
        if not info.lang:
            problems.append(error(where, 1, "<html> has no lang attribute"))
        if not info.title.strip():
            problems.append(error(where, None, "page has no <title>"))
        if not info.description:
            problems.append(warning(where, None, "page has no meta description"))
        if urls.absolute_base and not info.canonical and path != "404.html":
            problems.append(warning(where, None, "page has no canonical link"))
    return problems


def page_weight(info: PageInfo, html_size: int, sizes: dict[str, int], urls: Urls) -> int:
    total = html_size
    for url in sorted(set(info.stylesheets + info.scripts)):
        target = resolve(url, info.path, urls)
        if target and target[0] in sizes:
            total += sizes[target[0]]
    return total


def size_problems(
    outputs: Sequence[Output], pages: dict[str, PageInfo], urls: Urls, budget_kb: int
) -> list[Diagnostic]:
    sizes = {o.path: len(o.data) for o in outputs}
    problems = []
    for path in sorted(pages):
        weight = page_weight(pages[path], sizes[path], sizes, urls)
        if weight > budget_kb * 1000:
            problems.append(
                warning(
                    f"site/{path}",
                    None,
                    f"page weighs {weight / 1000:.0f} kB with its CSS and JS "
                    f"(budget {budget_kb} kB: `page_budget_kb`)",
                )
            )
    return problems


def check_outputs(site: Site, outputs: Sequence[Output]) -> list[Diagnostic]:
    """Every problem with a built (in-memory) site, sorted."""
    from generator.publish import base_url_warnings

    config: Config = site.config
    urls = Urls.from_config(config)
    pages = {o.path: scan(o.path, o.data) for o in outputs if o.path.endswith(".html")}
    files = {o.path for o in outputs}
    problems: list[Diagnostic] = list(site.diagnostics)
    problems += base_url_warnings(site)
    problems += link_problems(pages, files, urls)
    problems += metadata_problems(pages, urls)
    problems += size_problems(outputs, pages, urls, config.page_budget_kb)
    return sorted(set(problems), key=lambda d: (d.path, d.line or 0, d.level, d.message))


def check(config: Config) -> tuple[list[Diagnostic], int]:
    """Build in memory and check; returns (diagnostics, pages checked)."""
    from generator.pipeline import build_site

    site, outputs, _timings = build_site(config)
    pages: Iterable[Output] = [o for o in outputs if o.path.endswith(".html")]
    return check_outputs(site, outputs), len(list(pages))
