"""Archive pages by month and the paginated home page.

* `home_pages`: the home page lists `page_size` articles; further pages live at
  `page/2/`, `page/3/`, ... (page 1 is the home page itself, never `page/1/`).
* `archive_pages` (a page producer): `archive/` lists the months, newest first;
  `archive/YYYY/MM/` lists that month's articles; undated articles go to
  `archive/undated/`.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from functools import partial
from itertools import groupby
from typing import Any

from generator.model import Article, Output, Site
from generator.render import Renderer
from generator.urls import Urls


def page_path(number: int) -> str:
    return "" if number == 1 else f"page/{number}/"


PAGE_WINDOW = 2  # page links either side of the current one; first and last always shown


def pagination(number: int, pages: int, urls: Urls) -> dict[str, Any]:
    """Prev/next and a window of page links (1 … 4 5 [6] 7 8 … 500), so a page's size does
    not grow with the number of pages. `gap` entries stand for the pages left out."""
    shown = {1, pages, *range(number - PAGE_WINDOW, number + PAGE_WINDOW + 1)}
    links: list[dict[str, Any]] = []
    previous = 0
    for n in sorted(p for p in shown if 1 <= p <= pages):
        if n > previous + 1:
            links.append({"gap": True})
        links.append(
            {"gap": False, "number": n, "url": urls.href(page_path(n)), "current": n == number}
        )
        previous = n
    return {
        "page": number,
        "pages": pages,
        "prev": urls.href(page_path(number - 1)) if number > 1 else "",
        "next": urls.href(page_path(number + 1)) if number < pages else "",
        "links": links,
    }


def home_pages(
    site: Site,
    renderer: Renderer,
    articles: Sequence[dict[str, Any]],
    first: dict[str, Any] | None = None,
) -> Iterable[Output]:
    """The home page and its continuation pages, `page_size` articles each; `first` is
    context for the home page only (the latest stories)."""
    size = site.config.page_size
    pages = max(1, -(-len(articles) // size))
    for number in renderer.each(range(1, pages + 1)):
        chunk = list(articles[(number - 1) * size : number * size])
        links = renderer.view(
            "pagination", str(number), pages, partial(pagination, number, pages, renderer.urls)
        )
        yield renderer.listing(
            page_path(number),
            "index.html",
            articles=chunk,
            pagination=links,
            **((first or {}) if number == 1 else {}),
        )


def month_key(article: Article) -> str:
    return f"{article.date.year:04d}/{article.date.month:02d}" if article.date else "undated"


def month_label(key: str) -> str:
    if key == "undated":
        return "Undated"
    year, month = key.split("/")
    return f"{calendar.month_name[int(month)]} {year}"


def _months(site: Site, renderer: Renderer) -> dict[str, list[dict[str, Any]]]:
    """The articles' summaries by month, newest first (as the articles are). Articles
    are sorted by date, so a month's are one run of the list: taken as a slice."""
    keys = renderer.remade("month keys", site.articles, month_key)
    summaries = renderer.summaries(site)
    months: dict[str, list[dict[str, Any]]] = {}
    start = 0
    for key, run in groupby(keys):
        end = start + len(tuple(run))
        months.setdefault(key, []).extend(summaries[start:end])
        start = end
    return months


def archive_pages(site: Site, renderer: Renderer) -> Iterable[Output]:
    urls = renderer.urls
    months = renderer.view("months", "", site.articles, partial(_months, site, renderer))
    keys = sorted((k for k in months if k != "undated"), reverse=True)
    if "undated" in months:
        keys.append("undated")
    listing = [
        {
            "key": key,
            "label": month_label(key),
            "url": urls.href(f"archive/{key}/"),
            "count": len(months[key]),
        }
        for key in keys
    ]
    if renderer.claim():
        yield renderer.listing("archive/", "archive.html", months=listing)
    for position, key in renderer.each(enumerate(keys)):
        newer = listing[position - 1] if position > 0 else None
        older = listing[position + 1] if position + 1 < len(listing) else None
        yield renderer.listing(
            f"archive/{key}/",
            "archive-month.html",
            month=listing[position],
            newer=newer,
            older=older,
            articles=months[key],
        )
