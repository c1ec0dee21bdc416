"""Editor notes as pages and data: view dicts, the `notes/` page, `data/notes.json` and
`data/annotations.jsonld` (W3C Web Annotation Data Model).

Views are plain dicts (DESIGN.md: templates get view data, not model objects). Other
pages include notes with:

* article pages: `article_notes_view(...)` -> `article.notes` and
  `partials/article-notes.html` (the "Notes whose passage is gone" section);
* entity and story pages: `target_notes_view(site, "entity", id, urls)` -> `notes` and
  `{% include "partials/notes-section.html" %}`.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from markupsafe import Markup

from generator.data_files import json_output, json_rows
from generator.model import Article, Output, Site
from generator.notes import LinkedNote, notes_on
from generator.notes_markup import NOTE_LABEL
from generator.urls import Urls

ANNOTATION_CONTEXT = "http://www.w3.org/ns/anno.jsonld"


def _page_path(note: LinkedNote, urls: Urls) -> str:
    return urls.path(note.note.target_kind, note.note.target)


def note_view(linked: LinkedNote, site: Site, urls: Urls) -> dict[str, Any]:
    note, result = linked.note, linked.anchor
    number = result.number if result is not None else 0
    if note.target_kind == "article":
        try:
            title = site.article(note.target).title
        except KeyError:
            title = note.target
    else:
        title = note.target
    status = result.match.status if result is not None else "page"
    return {
        "id": note.id,
        "anchor": f"note-{note.id}",
        "number": number,
        "label": f"{NOTE_LABEL} {number}" if number else NOTE_LABEL,
        "status": status,
        "anchored": linked.anchored,
        "orphaned": status == "orphaned",
        "reanchored": status == "reanchored",
        "passage": result.exact if result is not None else "",
        "body": Markup(note.body_html),  # rendered from Markdown by our escaping renderer
        "author": note.author,
        "date": note.date,
        "byline": note.byline,
        "target": {
            "kind": note.target_kind,
            "id": note.target,
            "title": title,
            "url": urls.href(_page_path(linked, urls)),
        },
        "url": urls.href(_page_path(linked, urls), f"note-{note.id}"),
    }


def article_notes_view(site: Site, article: Article, urls: Urls) -> dict[str, Any]:
    mine = notes_on(site.notes, "article", article.id)
    views = [note_view(n, site, urls) for n in mine]
    return {
        "count": len(views),
        "anchored": sorted((v for v in views if v["anchored"]), key=lambda v: v["number"]),
        "orphaned": [v for v in views if v["orphaned"]],
    }


def target_notes_view(site: Site, kind: str, key: str, urls: Urls) -> list[dict[str, Any]]:
    """Notes on an entity or story page (`kind` "entity" or "story"), newest first."""
    return [note_view(n, site, urls) for n in notes_on(site.notes, kind, key)]


def _kept_view(linked: LinkedNote, site: Site, renderer: Any) -> dict[str, Any]:
    """`note_view`, kept between rebuilds (`Renderer.view`) while the note, its anchoring
    and its article are unchanged: the listing then keeps its entry (`entries`)."""
    note = linked.note
    article = site.articles_by_id().get(note.target) if note.target_kind == "article" else None
    make = partial(note_view, linked, site, renderer.urls)
    return renderer.view("note", note.id, (linked, article), make)


def _data_row(linked: LinkedNote, urls: Urls) -> dict[str, Any]:
    """A note's row in `data/notes.json`: made of the note and its anchoring alone."""
    note, result = linked.note, linked.anchor
    return {
        "id": note.id,
        "target": note.target,
        "target_type": note.target_kind,
        "anchored": linked.anchored,
        "status": result.match.status if result is not None else None,
        "exact": result.exact if result is not None else None,
        "url": urls.href(_page_path(linked, urls), f"note-{note.id}"),
        "date": note.date.isoformat() if note.date else None,
        "author": note.author or None,
    }


def annotation(linked: LinkedNote, site: Site, urls: Urls) -> dict[str, Any]:
    """One note as a W3C Web Annotation (https://www.w3.org/TR/annotation-model/)."""
    note, result = linked.note, linked.anchor
    page = urls.absolute(_page_path(linked, urls))
    item: dict[str, Any] = {
        "id": urls.absolute("notes/") + f"#note-{note.id}",
        "type": "Annotation",
        "motivation": "commenting",
    }
    if note.date:
        item["created"] = f"{note.date.isoformat()}T00:00:00Z"
    if note.author:
        item["creator"] = {"type": "Person", "name": note.author}
    item["body"] = {
        "type": "TextualBody",
        "value": note.body_html,
        "format": "text/html",
        "language": site.config.language,
        "purpose": "commenting",
    }
    if result is None:
        item["target"] = page
    elif linked.anchored:
        item["target"] = {
            "type": "SpecificResource",
            "source": page,
            "selector": [
                {
                    "type": "TextQuoteSelector",
                    "exact": result.exact,
                    "prefix": result.prefix,
                    "suffix": result.suffix,
                },
                {
                    "type": "TextPositionSelector",
                    "start": result.match.start,
                    "end": result.match.end,
                },
            ],
        }
    else:
        # Orphaned: keep the editor's selector, as Hypothesis keeps orphaned annotations.
        assert note.selector is not None
        selector = {"type": "TextQuoteSelector", "exact": note.selector.exact}
        selector.update({k: v for k in ("prefix", "suffix") if (v := getattr(note.selector, k))})
        item["target"] = {"type": "SpecificResource", "source": page, "selector": selector}
    return item


def annotations_data(site: Site, urls: Urls) -> dict[str, Any]:
    items = [annotation(n, site, urls) for n in site.notes]
    return {
        "@context": ANNOTATION_CONTEXT,
        "id": urls.absolute("data/annotations.jsonld"),
        "type": "AnnotationCollection",
        "label": f"Editor's notes · {site.config.title}",
        "total": len(items),
        "first": {
            "id": urls.absolute("data/annotations.jsonld") + "#page-1",
            "type": "AnnotationPage",
            "startIndex": 0,
            "items": items,
        },
    }


def notes_pages(site: Site, renderer: Any) -> Iterable[Output]:
    urls = renderer.urls
    if renderer.claim():
        views = [_kept_view(n, site, renderer) for n in site.notes]
        yield renderer.listing(Urls.path("page", "notes"), "notes.html", notes=views)
    if renderer.claim():
        rows = tuple((n.note.id, n, partial(_data_row, n, urls)) for n in site.notes)
        yield json_rows("data/notes.json", rows, renderer.rows)
    if renderer.claim():
        yield json_output("data/annotations.jsonld", annotations_data(site, urls))
