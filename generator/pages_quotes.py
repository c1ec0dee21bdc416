"""Quote pages: `quotes/` grouped by speaker, one page per outlet filter, and one per
quote that several articles carry (`quote_index.has_page`).

The outlet filter works without JavaScript: `quotes/outlets/<outlet>/` lists only the
quotes that outlet carries (links at the top of every quotes page). Views are plain
dicts; every URL comes from `Urls`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from generator.data_files import json_output
from generator.model import Output, Quote, Site
from generator.positions import ID
from generator.quote_index import diff_words, has_page, normal_words, quotes_data
from generator.render import Renderer
from generator.text import slugify
from generator.urls import Urls

UNATTRIBUTED = "Unattributed"


def outlet_path(source: str) -> str:
    return f"quotes/outlets/{slugify(source) or 'outlet'}/"


def quote_view(site: Site, quote: Quote, urls: Urls) -> dict[str, Any]:
    titles = site.derived(
        "article_titles", lambda: {a.id: a.title for a in site.articles}, "articles"
    )
    appearances = [
        {
            "source": a.source,
            "article_title": titles.get(a.article, a.article),
            "url": urls.url_for("article", a.article, a.anchor),
            "paragraph": a.paragraph,
            "text": a.text,
        }
        for a in quote.appearances
    ]
    base = quote.appearances[0]
    diffs = []
    for other in quote.appearances[1:]:
        if normal_words(other.text) != normal_words(base.text):
            left, right = diff_words(base.text, other.text)
            diffs.append(
                {
                    "base_source": base.source,
                    "other_source": other.source,
                    "base": [{"text": s.text, "changed": s.changed} for s in left],
                    "other": [{"text": s.text, "changed": s.changed} for s in right],
                }
            )
    return {
        "id": quote.id,
        "url": urls.url_for("quote", quote.id) if has_page(quote) else None,
        "text": quote.text,
        "kind": quote.kind,
        "speaker_name": quote.speaker_name,
        "speaker_url": urls.url_for("entity", quote.speaker) if quote.speaker_is_entity else None,
        "appearances": appearances,
        "outlets": sorted({a.source for a in quote.appearances if a.source}),
        "diffs": diffs,
    }


def speaker_groups(site: Site, quotes: Iterable[Quote], urls: Urls) -> list[dict[str, Any]]:
    """Quotes grouped by speaker (by name), the unattributed last."""
    groups: dict[str | None, dict[str, Any]] = {}
    for quote in quotes:
        group = groups.setdefault(
            quote.speaker,
            {
                "name": quote.speaker_name or UNATTRIBUTED,
                "anchor": "speaker-" + (quote.speaker or "unattributed"),
                "url": urls.url_for("entity", quote.speaker) if quote.speaker_is_entity else None,
                "quotes": [],
            },
        )
        group["quotes"].append(quote_view(site, quote, urls))
    return sorted(groups.values(), key=lambda g: (g["name"] == UNATTRIBUTED, g["name"].lower()))


def entity_quotes(site: Site, entity_id: str, urls: Urls) -> list[dict[str, Any]]:
    """What an entity said, as quote views: for entity pages, with
    `{% for quote in quotes %}{% include "partials/quote-item.html" %}{% endfor %}`
    inside a `<ul class="quote-list">`."""
    return [quote_view(site, q, urls) for q in quotes_by_speaker(site).get(entity_id, ())]


def quotes_by_speaker(site: Site) -> dict[str | None, list[Quote]]:
    """The site's quotes by speaker key, in site order (computed once per Site)."""

    def group() -> dict[str | None, list[Quote]]:
        found: dict[str | None, list[Quote]] = {}
        for quote in site.quotes:
            found.setdefault(quote.speaker, []).append(quote)
        return found

    return site.derived("quotes_by_speaker", group, "quotes")


def quote_pages(site: Site, renderer: Renderer) -> Iterable[Output]:
    urls = renderer.urls
    outlets = renderer.view(
        "quote outlets",
        "",
        site.quotes,
        lambda: sorted({a.source for q in site.quotes for a in q.appearances if a.source}),
    )
    filters = [{"name": "All outlets", "path": "quotes/"}] + [
        {"name": source, "path": outlet_path(source)} for source in outlets
    ]
    # The listings and data/quotes.json read only the quotes and their articles' titles.
    listings_kept = renderer.reusable("quotes", "")
    if renderer.claim():
        if listings_kept:
            yield renderer.kept("quotes/")
        else:
            yield renderer.listing(
                "quotes/",
                "quotes.html",
                groups=speaker_groups(site, site.quotes, urls),
                filters=filters,
                outlet=None,
                count=len(site.quotes),
            )
    for source in renderer.each(outlets):
        if listings_kept:
            yield renderer.kept(outlet_path(source))
            continue
        chosen = [q for q in site.quotes if any(a.source == source for a in q.appearances)]
        yield renderer.listing(
            outlet_path(source),
            "quotes.html",
            groups=speaker_groups(site, chosen, urls),
            filters=filters,
            outlet=source,
            count=len(chosen),
        )
    with_pages = renderer.view(
        "quote pages", "", site.quotes, lambda: tuple(filter(has_page, site.quotes))
    )
    fresh, kept = renderer.split("quote", with_pages, ID, ID, lambda q: urls.path("quote", q.id))
    if kept is not None:
        yield kept
    for quote in fresh:
        yield renderer.page(
            urls.path("quote", quote.id), "quote.html", quote=quote_view(site, quote, urls)
        )
    if renderer.claim():
        if listings_kept:
            yield renderer.kept("data/quotes.json")
        else:
            yield json_output("data/quotes.json", quotes_data(site.quotes, urls.url_for))
