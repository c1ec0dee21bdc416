"""Entity pages (`entities/<id>/`), the index (`entities/`) and `data/entities.json`.

Views are plain dicts; the entity description is the editor's Markdown rendered with the
site's MarkdownIt (no entity linking inside descriptions).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from functools import partial
from typing import Any

from markupsafe import Markup

from generator import markup
from generator.data_files import json_rows
from generator.entities import ENTITY_TYPES, Entity
from generator.entity_index import EntityIndex
from generator.mentions import ADJECTIVE
from generator.model import Article, Output, Row, Site
from generator.notes_pages import target_notes_view
from generator.pages_quotes import entity_quotes
from generator.positions import ID
from generator.render import Renderer
from generator.urls import Urls

TYPE_LABELS = {
    "person": "People",
    "place": "Places",
    "organization": "Organisations",
    "thing": "Things",
}
SCHEMA_TYPES = {"person": "Person", "place": "Place", "organization": "Organization"}
SUMMARY_CHARS = 160


def summary(description: str) -> str:
    """The first lines of a description as plain text, cut at a word."""
    text = " ".join(description.replace("*", "").replace("_", "").split())
    if len(text) <= SUMMARY_CHARS:
        return text
    return text[:SUMMARY_CHARS].rsplit(" ", 1)[0] + "…"


def wikidata_url(qid: str) -> str:
    return f"https://www.wikidata.org/wiki/{qid}" if qid else ""


def _mentions_of(index: EntityIndex, entity: Entity) -> list[tuple[Any, bool]]:
    """(mention or candidate, is_adjective) in article order."""
    if not entity.reviewed:
        return [(c, False) for c in index.discovered.get(entity.id, ())]
    return [(m, m.kind == ADJECTIVE) for m in index.mentions.get(entity.id, ())]


def _context(item: Any) -> dict[str, str]:
    start = item.offset
    end = start + len(getattr(item, "text", getattr(item, "name", "")))
    sentence = item.sentence
    return {"before": sentence[:start], "match": sentence[start:end], "after": sentence[end:]}


def _group(site: Site, items: list[Any], urls: Urls) -> list[dict[str, Any]]:
    """Mentions grouped by story, then article (site order: newest first)."""
    by_article: dict[str, list[Any]] = defaultdict(list)
    for item in items:
        by_article[item.article].append(item)
    stories: dict[str, list[dict[str, Any]]] = {}
    position = site.derived(
        "article_position", lambda: {a.id: i for i, a in enumerate(site.articles)}, "articles"
    )
    for article_id in sorted(by_article, key=position.__getitem__):
        article = site.articles[position[article_id]]
        entries = [
            {
                "url": urls.url_for("article", article.slug, item.paragraph),
                "paragraph": item.paragraph,
                **_context(item),
            }
            for item in by_article[article.id]
        ]
        stories.setdefault(article.story, []).append(
            {
                "title": article.title,
                "source": article.source,
                "date": article.date,
                "url": urls.url_for("article", article.slug),
                "mentions": entries,
            }
        )
    return [
        {"story": story, "articles": group}
        for story, group in sorted(stories.items(), key=lambda kv: (kv[0] == "", kv[0]))
    ]


def _related(index: EntityIndex, entity: Entity, articles: set[str]) -> list[tuple[str, int]]:
    """Registered entities named in the same articles, most shared articles first."""
    shared: Counter[str] = Counter()
    for article_id in articles:
        for other_id in index.ids_in(article_id):
            if other_id != entity.id:
                shared[other_id] += 1
    return sorted(shared.items(), key=lambda kv: (-kv[1], kv[0]))


def entity_view(site: Site, entity: Entity, urls: Urls, md) -> dict[str, Any]:
    index: EntityIndex = site.entities
    items = _mentions_of(index, entity)
    names = [item for item, adjective in items if not adjective]
    adjectives = [item for item, adjective in items if adjective]
    by_id = site.articles_by_id()
    article_ids = {item.article for item in names}
    related = _related(index, entity, article_ids) if entity.reviewed else []
    return {
        "id": entity.id,
        "name": entity.name,
        "type": entity.type,
        "type_label": TYPE_LABELS[entity.type],
        "reviewed": entity.reviewed,
        "aliases": list(entity.aliases) + list(entity.short_aliases),
        "adjectives": list(entity.adjectives),
        "description": Markup(markup.render(md, entity.description).html)
        if entity.description
        else "",
        "wikidata": entity.wikidata,
        "wikidata_url": wikidata_url(entity.wikidata),
        "count": len(names),
        "article_count": len(article_ids),
        "groups": _group(site, names, urls),
        "adjective_groups": _group(site, adjectives, urls),
        "adjective_count": len(adjectives),
        "outlets": sorted({by_id[a].source for a in article_ids if by_id[a].source}),
        "related": [
            {
                "name": index.registry.by_id[other].name,
                "url": urls.url_for("entity", other),
                "shared": shared,
            }
            for other, shared in related[:20]
        ],
        # What it said: quote views (pages_quotes.quote_view) of quotes by this entity.
        "quotes": entity_quotes(site, entity.id, urls),
        "notes": target_notes_view(site, "entity", entity.id, urls),
        "json_ld": _json_ld(entity, urls),
    }


def _json_ld(entity: Entity, urls: Urls) -> Markup:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": SCHEMA_TYPES.get(entity.type, "Thing"),
        "name": entity.name,
        "url": urls.absolute(urls.path("entity", entity.id)),
    }
    if entity.wikidata:
        data["sameAs"] = wikidata_url(entity.wikidata)
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    # Safe inside <script>: no "</" or "<!--" can survive.
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def index_view(site: Site, urls: Urls) -> list[dict[str, Any]]:
    index: EntityIndex = site.entities
    groups = []
    for kind in ENTITY_TYPES:
        members = [e for e in index.entities if e.type == kind]
        members.sort(key=lambda e: (not e.reviewed, -index.count(e.id), e.name.lower()))
        groups.append(
            {
                "type": kind,
                "label": TYPE_LABELS[kind],
                "entities": [
                    {
                        "id": e.id,
                        "name": e.name,
                        "url": urls.url_for("entity", e.id),
                        "count": index.count(e.id),
                        "reviewed": e.reviewed,
                        "aliases": " ".join([*e.aliases, *e.short_aliases]),
                    }
                    for e in members
                ],
            }
        )
    return [g for g in groups if g["entities"]]


def entities_rows(site: Site, urls: Urls) -> Iterator[Row]:
    """`data/entities.json`, one entity at a time (see `data_files.json_rows`)."""
    index: EntityIndex = site.entities
    for entity in index.entities:
        found = (index.mentions.get(entity.id), index.discovered.get(entity.id))
        yield entity.id, (entity, found), partial(_entity_row, index, entity, urls)


def _entity_row(index: EntityIndex, entity: Entity, urls: Urls) -> dict[str, Any]:
    items = _mentions_of(index, entity)
    return {
        "id": entity.id,
        "name": entity.name,
        "type": entity.type,
        "aliases": [*entity.aliases, *entity.short_aliases],
        "adjectives": list(entity.adjectives),
        "wikidata": entity.wikidata or None,
        "url": urls.url_for("entity", entity.id),
        "reviewed": entity.reviewed,
        "mentions": [
            {
                "article": item.article,
                "paragraph": item.paragraph,
                "text": getattr(item, "text", getattr(item, "name", "")),
            }
            for item, adjective in items
            if not adjective
        ],
        "adjective_mentions": [
            {"article": item.article, "paragraph": item.paragraph, "text": item.text}
            for item, adjective in items
            if adjective
        ],
    }


def cards_data(site: Site, urls: Urls) -> dict[str, dict[str, Any]]:
    """What the preview card script shows: small, keyed by id."""
    index: EntityIndex = site.entities
    return {
        e.id: {
            "name": e.name,
            "type": e.type,
            "summary": summary(e.description),
            "count": index.count(e.id),
            "url": urls.url_for("entity", e.id),
        }
        for e in index.entities
        if e.reviewed
    }


def article_entities(site: Site, article: Article) -> list[str]:
    """Ids of the registered entities an article names (for views and other stages)."""
    return sorted(site.entities.ids_in(article.id)) if site.entities else []


def entity_pages(site: Site, renderer: Renderer) -> Iterable[Output]:
    if site.entities is None:
        return
    urls = renderer.urls
    # Kept whole while the entity stage kept its very result (a note edit): the rows are
    # then the very Row objects of the published file, which `json_rows` keeps as it is.
    index = ((site.entities,),)
    if renderer.claim():  # first: see pipeline.PAGE_PRODUCERS
        rows = renderer.view_of_all("entity rows", index, lambda: tuple(entities_rows(site, urls)))
        yield json_rows("data/entities.json", rows, renderer.rows)
    md = markup.make_markdown(site.config)
    fresh, kept = renderer.split(
        "entity", site.entities.entities, ID, ID, lambda e: urls.path("entity", e.id)
    )
    if kept is not None:
        yield kept
    for entity in fresh:
        yield renderer.page(
            urls.path("entity", entity.id),
            "entity.html",
            entity=entity_view(site, entity, urls, md),
        )
    if renderer.claim():
        groups = renderer.view_of_all("entity groups", index, lambda: index_view(site, urls))
        yield renderer.listing("entities/", "entities.html", groups=groups)
    if renderer.claim():
        cards = renderer.view_of_all("entity cards", index, lambda: cards_data(site, urls))
        yield renderer.data("data/entity-cards.json", cards)
