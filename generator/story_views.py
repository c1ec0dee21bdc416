"""Plain view data for story pages, the stories index, article pages and stories.json.

Templates get dicts of strings, numbers and lists (never model objects); every URL comes
from `Urls`. Texts are untrusted: they stay plain strings and the templates escape them.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from markupsafe import Markup

from generator.compare import Comparison, Unit
from generator.model import Article, Row, Site
from generator.positions import changed_places
from generator.sentences import word_spans
from generator.stories import Story
from generator.urls import Urls

KIND_LABELS = {
    "number": "Numbers and quantities",
    "modality": "Modality",
    "actor": "Named actors",
    "attribution": "Attribution",
    "paraphrase": "Paraphrase of the same claim",
    "wording": "Wording",
}
UNIT_LABELS = {"same": "same", "variant": "reworded", "only": "one outlet only"}


def unit_anchor(unit_index: int) -> str:
    return f"u-{unit_index}"


def story_of(site: Site, article_id: str) -> Story | None:
    return stories_by_article(site).get(article_id)


def stories_by_article(site: Site) -> dict[str, Story]:
    """{article id: its story}, made once per Site."""
    return site.derived(
        "story_by_article",
        lambda: {a: s for s in reversed(site.stories) for a in s.articles},
        "stories",
    )


def _outlet(article: Article, urls: Urls) -> dict[str, Any]:
    return {
        "id": article.id,
        "source": article.source or article.id,
        "title": article.title,
        "date": article.date,
        "url": urls.url_for("article", article.slug),
    }


def story_summary(site: Site, story: Story, urls: Urls) -> dict[str, Any]:
    by_id = site.articles_by_id()
    comparison = site.comparisons.get(story.id)
    dates = [by_id[a].date for a in story.articles if by_id[a].date]
    return {
        "id": story.id,
        "title": story.title,
        "url": urls.url_for("story", story.id),
        "outlets": [_outlet(by_id[a], urls) for a in story.articles],
        "first_date": min(dates) if dates else None,
        "last_date": max(dates) if dates else None,
        "discrepancies": len(comparison.discrepancies) if comparison else 0,
        "stats": dict(comparison.stats) if comparison else {},
    }


def story_summaries(site: Site, renderer, limit: int | None = None) -> list[dict[str, Any]]:
    """The first `limit` stories' summaries (each a `Renderer.view` of what it reads: the
    story, its articles and its comparison); kept whole while the stories, comparisons
    and articles are the very objects they were (a note edit)."""
    stories = site.stories[:limit]
    comparisons = site.story_comparisons()[:limit]
    by_id = site.articles_by_id()

    def summary(s: Story, comparison) -> dict[str, Any]:
        inputs = (s, tuple(by_id[a] for a in s.articles), comparison)
        return renderer.view("story", s.id, inputs, partial(story_summary, site, s, renderer.urls))

    def make() -> list[dict[str, Any]]:
        return list(map(summary, stories, comparisons))

    def update(last: tuple, summaries: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        """The last summaries, made again where the story or its comparison is not the
        very object it was, or one of its articles is not (an edit: 3,342 stories at
        10,000 articles, each looked up was about 10 ms)."""
        old_stories, old_comparisons, old_articles = last
        if len(old_stories) != len(stories) or len(old_articles) != len(site.articles):
            return None
        places = set(changed_places(stories, old_stories, comparisons, old_comparisons))
        owner, position = stories_by_article(site), None
        for i in changed_places(site.articles, old_articles):
            story = owner.get(site.articles[i].id)
            if story is not None:
                position = position or {id(s): place for place, s in enumerate(stories)}
                if id(story) in position:  # not beyond `limit`
                    places.add(position[id(story)])
        made = list(summaries)
        for i in places:
            made[i] = summary(stories[i], comparisons[i])
        return made

    parts = (stories, comparisons, site.articles)
    return renderer.view_of_all(f"story summaries {limit}", parts, make, update)


# Story page ------------------------------------------------------------------------------


def _segments(text: str, changed: set[int]) -> list[dict[str, Any]]:
    """`text` cut into runs of unchanged and changed words (word indexes in `changed`).

    A changed run starts at its first word and ends at its last, so the spaces and
    punctuation around it stay unmarked. Only the changed words are walked (a story page
    has thousands of words, most of them unchanged).
    """
    spans = word_spans(text) if changed else ()
    segments: list[dict[str, Any]] = []
    end = 0  # where the text not yet in a segment starts
    run_start = run_stop = -2  # the changed run being gathered, as word indexes
    for index in sorted(i for i in changed if i < len(spans)):
        if index != run_stop + 1:
            end = _mark(text, spans, run_start, run_stop, end, segments)
            run_start = index
        run_stop = index
    end = _mark(text, spans, run_start, run_stop, end, segments)
    if end < len(text) or not segments:
        segments.append({"text": text[end:], "changed": False})
    return segments


def _mark(text: str, spans, first: int, last: int, end: int, segments: list) -> int:
    """Add the unchanged text from `end` and the changed words `first..last` (none when
    `first` < 0); where the text not in a segment now starts."""
    if first < 0:
        return end
    start, stop = spans[first][0], spans[last][1]
    if start > end:
        segments.append({"text": text[end:start], "changed": False})
    segments.append({"text": text[start:stop], "changed": True})
    return stop


def _changed_words(unit: Unit) -> dict[str, set[int]]:
    changed: dict[str, set[int]] = {p.article: set() for p in unit.parts}
    for base, other, ops in unit.diffs:
        for op in ops:
            if op.tag == "equal":
                continue
            changed[base].update(range(op.i1, op.i2))
            changed[other].update(range(op.j1, op.j2))
    return changed


def unit_view(
    unit: Unit, order: tuple[str, ...], by_id: dict[str, Article], urls: Urls
) -> dict[str, Any]:
    changed = _changed_words(unit)
    cells = []
    for article_id in order:
        article = by_id[article_id]
        part = unit.part(article_id)
        cell: dict[str, Any] = {"source": article.source or article.id, "present": part is not None}
        if part is not None:
            cell["segments"] = _segments(part.text, changed[article_id])
            cell["paragraphs"] = [
                {"number": n, "url": urls.url_for("article", article.slug, f"p-{n}")}
                for n in part.paragraphs
            ]
        cells.append(cell)
    inline = []
    for base, other, ops in unit.diffs:
        inline.append(
            {
                "base": by_id[base].source or base,
                "other": by_id[other].source or other,
                "ops": [{"tag": op.tag, "a": op.a, "b": op.b} for op in ops],
            }
        )
    return {
        "index": unit.index,
        "anchor": unit_anchor(unit.index),
        "kind": unit.kind,
        "kind_label": UNIT_LABELS[unit.kind],
        "similarity": round(unit.similarity, 2),
        "percent": round(unit.similarity * 100),
        "cells": cells,
        "inline": inline if unit.kind == "variant" else [],
    }


def story_view(site: Site, story: Story, urls: Urls) -> dict[str, Any]:
    by_id = site.articles_by_id()
    comparison: Comparison = site.comparisons[story.id]
    order = comparison.articles
    source = {a: by_id[a].source or a for a in order}
    units = {u.index: u for u in comparison.units}
    view = story_summary(site, story, urls)
    view["summary"] = Markup(story.summary_html) if story.summary_html else ""
    view["columns"] = len(order)
    view["discrepancy_list"] = [
        {
            "kind": d.kind,
            "label": KIND_LABELS[d.kind],
            "anchor": unit_anchor(d.unit),
            "texts": [{"source": source[a], "text": d.texts[a]} for a in order if a in d.texts],
        }
        for d in comparison.discrepancies
    ]
    view["only"] = [
        {
            "source": source[o.article],
            "sentences": [
                {
                    "text": units[i].parts[0].text,
                    "anchor": unit_anchor(i),
                    "url": urls.url_for(
                        "article", by_id[o.article].slug, f"p-{units[i].parts[0].paragraphs[0]}"
                    ),
                }
                for i in o.units
            ],
            "entities": [e.label for e in o.entities],
            "quotes": [q.label for q in o.quotes],
        }
        for o in comparison.only
    ]
    view["entity_rows"] = [
        {"label": e.label, "cells": [a in e.articles for a in order]} for e in comparison.entities
    ]
    view["quote_rows"] = [
        {"label": q.label, "cells": [a in q.articles for a in order]} for q in comparison.quotes
    ]
    view["units"] = [unit_view(u, order, by_id, urls) for u in comparison.units]
    view["summary_path"] = story.path
    return view


# Article page ----------------------------------------------------------------------------


def article_story(site: Site, article: Article, urls: Urls) -> dict[str, Any] | None:
    """The article's story, its sibling articles and, per paragraph, the other versions."""
    story = story_of(site, article.id)
    if story is None or story.id not in site.comparisons:
        return None
    by_id = site.articles_by_id()
    comparison = site.comparisons[story.id]
    passages: dict[int, dict[str, Any]] = {}
    for unit in comparison.units:
        own = unit.part(article.id)
        if own is None:
            continue
        for number in own.paragraphs:
            passage = passages.setdefault(
                number,
                {
                    "number": number,
                    "anchor": f"p-{number}",
                    "units": [],
                    "versions": [],
                    "seen": set(),
                },
            )
            passage["units"].append(
                {
                    "index": unit.index,
                    "url": urls.url_for("story", story.id, unit_anchor(unit.index)),
                }
            )
            for part in unit.parts:
                if part.article == article.id:
                    continue
                other = by_id[part.article]
                for n in part.paragraphs:
                    if (part.article, n) in passage["seen"]:
                        continue
                    passage["seen"].add((part.article, n))
                    passage["versions"].append(
                        {
                            "source": other.source or other.id,
                            "number": n,
                            "url": urls.url_for("article", other.slug, f"p-{n}"),
                            "kind": UNIT_LABELS[unit.kind],
                        }
                    )
    for passage in passages.values():
        del passage["seen"]
    return {
        "id": story.id,
        "title": story.title,
        "url": urls.url_for("story", story.id),
        "siblings": [_outlet(by_id[a], urls) for a in story.articles if a != article.id],
        "passages": [passages[n] for n in sorted(passages)],
    }


# Data export -----------------------------------------------------------------------------


def stories_rows(site: Site, renderer) -> tuple[Row, ...]:
    """`data/stories.json`, one story at a time (see `data_files.json_rows`), made again
    only for the stories that are not the objects they were, with their comparisons."""
    urls = renderer.urls

    def row(story: Story) -> Row:
        comparison = site.comparisons[story.id]
        return story.id, (story, comparison), partial(_story_row, story, comparison, urls)

    return renderer.remade("stories.json", site.stories, row, site.story_comparisons())


def _story_row(story: Story, comparison, urls: Urls) -> dict[str, Any]:
    return {
        "id": story.id,
        "title": story.title,
        "url": urls.url_for("story", story.id),
        "explicit": story.explicit,
        "articles": list(story.articles),
        "units": [
            {
                "index": u.index,
                "kind": u.kind,
                "similarity": round(u.similarity, 3),
                "texts": {p.article: p.text for p in u.parts},
                "paragraphs": {p.article: list(p.paragraphs) for p in u.parts},
            }
            for u in comparison.units
        ],
        "discrepancies": [
            {"kind": d.kind, "unit": d.unit, "texts": dict(d.texts)}
            for d in comparison.discrepancies
        ],
        "only": {
            o.article: {
                "units": list(o.units),
                "entities": [e.label for e in o.entities],
                "quotes": [q.label for q in o.quotes],
            }
            for o in comparison.only
        },
    }
