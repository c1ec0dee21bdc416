"""The link stages' building blocks, in the order `pipeline.link_site` runs them: load the
articles, key and parse them (with the memoising, process-sharing mapper every per-item
stage uses), load the notes, group the quotes by article."""

from __future__ import annotations

from generator import articles as articles_mod
from generator import cache as cache_mod
from generator import entities as entities_mod
from generator import entity_index, incremental, load, markup
from generator import notes as notes_mod
from generator.cache import config_fingerprint, fingerprint
from generator.config import Config
from generator.errors import Diagnostic
from generator.model import Article, Parsed, same
from generator.notes_markup import notes_plugin
from generator.parallel import Workers
from generator.quote_markup import quotes_plugin


def load_articles(
    config: Config, cache=None, memory=None
) -> tuple[list[Article], dict, list[Diagnostic]]:
    """Every document, and the articles made of them. With a `memory` (`digest serve`),
    only files the watcher reported (or new ones) are read again, and an article whose
    Document is unchanged is the same Article object as before."""
    if memory is None:
        documents, problems = load.load_content(config, cache)
        made: dict = {}
    else:
        listing, unread = memory.listing, memory.reported()
        if (
            listing is None
            or unread is None
            or not listing.still_valid(config.content_path, unread)
        ):
            listing = load.list_content(config)
        documents, problems = load.load_content(config, cache, memory.documents, listing, unread)
        memory.listing = listing
        memory.loaded()
        memory.documents = {str(d.path): d for kind in documents.values() for d in kind}
        made = memory.articles
    articles: list[Article] = []
    fresh: dict = {}
    for doc in documents["articles"]:
        earlier = made.get(doc.path)
        if earlier is not None and earlier[0] is doc:
            article, found = earlier[1], earlier[2]
        else:
            article, found = articles_mod.from_document(doc)
        fresh[doc.path] = (doc, article, found)
        problems.extend(found)
        if article is not None:
            articles.append(article)
    problems.extend(articles_mod.check_unique(articles))
    articles.sort(key=lambda a: a.sort_key)
    if memory is not None:
        memory.articles = fresh
    return articles, documents, problems


def parse_articles(
    config: Config,
    articles: list[Article],
    notes: list[notes_mod.Note] = (),
    registry: entities_mod.Registry | None = None,
    cache=None,
    context: str = "",
    workers: Workers | None = None,
    recent: dict | None = None,
) -> dict[str, Parsed]:
    # Order matters: entity links and quote spans first; notes_plugin must stay the last
    # plugin, as it anchors on the text the other rules leave in text tokens.
    plugins = (entity_index.plugin_for(config, registry),) if registry is not None else ()
    md = markup.make_markdown(config, (*plugins, quotes_plugin, notes_plugin))
    by_article = notes_mod.for_articles(notes)

    def parse(item: tuple[Article, tuple]) -> Parsed:
        article, own_notes = item
        return markup.render(md, article.body, {"article": article.id, "notes": own_notes})

    # `context` (context_inputs) covers the registry and the other documents; the
    # notes a parse reads are its own article's, so they are part of its item.
    items = [(a, by_article.get(a.id, ())) for a in articles]
    mapper = memo_map(cache, workers or Workers(1), context, recent)
    found = mapper("parse", parse, items, lambda item: item[0].id)
    return dict(zip((a.id for a in articles), found, strict=True))


def load_notes(
    config: Config, documents: dict, articles: list[Article], registry=None, memory=None
):
    """Note documents -> Notes, with targets checked against the articles and entities
    (stories: None, not yet known to this build) and `[[Entity]]` resolved by the registry.
    With a `memory`, the last build's Notes while all of that is unchanged (an article
    edit renders no note again)."""
    articles_ids = frozenset(a.id for a in articles)
    read = (config, tuple(documents["notes"]), articles_ids, registry)

    def make():
        ids = {
            "article": articles_ids,
            "entity": set(registry.by_id) if registry is not None else None,
            "story": None,
        }
        return notes_mod.from_documents(config, documents["notes"], ids, _note_resolver(registry))

    return incremental.reuse(memory, "notes", read, make)


def _note_resolver(registry: entities_mod.Registry | None):
    """`[[Name]]` in a note -> (entity id, entity name), through the registry."""

    def resolve(name: str) -> tuple[str, str] | None:
        entity_id = registry.resolve(name) if registry is not None else None
        return (entity_id, registry.by_id[entity_id].name) if entity_id else None

    return resolve


def memo_map(cache, workers: Workers, context: str, recent: dict | None = None):
    """A `stories.Mapper`: results cached by (name, context, item) are reused, the rest
    are computed together (in parallel) and stored. Each item is all its result reads.

    `recent` (`incremental.Memory.results`, kept by `digest serve` between builds) holds
    each item's last (context, item, result) by `ident(item)`: an equal item in the same
    context takes that result as it is, with no key to hash and nothing to unpickle.
    """

    def mapper(name: str, fn, items, ident):
        results: list = [None] * len(items)
        earlier = recent.get(name, {}) if recent is not None else {}
        missing: list[tuple[int, str | None]] = []
        for position, item in enumerate(items):
            last = earlier.get(ident(item))
            if last is not None and last[0] == context and same(last[1], item):
                results[position] = last[2]
                continue
            if cache is None:
                missing.append((position, None))
                continue
            key, value = cache.lookup(name, (context, item))
            if value is cache_mod.MISSING:
                missing.append((position, key))
            else:
                results[position] = value
        fresh = workers.map(fn, [items[position] for position, _key in missing])
        for (position, key), value in zip(missing, fresh, strict=True):
            if key is not None and cache is not None:
                cache.store(key, value)
            results[position] = value
        if recent is not None:
            recent[name] = {
                ident(item): (context, item, value)
                for item, value in zip(items, results, strict=True)
            }
        return results

    return mapper


def quotes_by_article(quotes) -> dict[str, list[str]]:
    """Each article's quotes by their merged text, so one quote is one row across outlets."""
    found: dict[str, list[str]] = {}
    for quote in quotes:
        for appearance in quote.appearances:
            found.setdefault(appearance.article, []).append(quote.text)
    return found


def context_inputs(config: Config, documents: dict[str, list], articles: list) -> tuple:
    """What an article's parse may depend on besides the article itself and the notes
    anchored on it (which the parse key names separately: `parse_articles`).

    Markdown plugins added by later stages (entity links, links to other articles) may
    read any other non-article document and the set of articles: so all of those are in
    the key. Editing an entity re-parses every article (a false positive, never a stale
    page); editing an article's text, or a note on it, re-parses that article.
    """
    others = tuple(
        (kind, str(doc.path), doc.sha256)
        for kind, docs in documents.items()
        if kind not in ("articles", "notes")
        for doc in docs
    )
    return config, others, tuple((str(a.path), a.id, a.slug) for a in articles)


def context_key(inputs: tuple) -> str:
    """The key of `context_inputs`, whatever their order."""
    config, others, paths = inputs
    return fingerprint(config_fingerprint(config), sorted(others), sorted(paths))
