"""The link stages' building blocks, in the order `pipeline.link_site` runs them: load the
articles, key and parse them (with the memoising, process-sharing mapper every per-item
stage uses), load the notes, group the quotes by article."""

from __future__ import annotations

from itertools import repeat

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
from generator.positions import ID, changed_places, remade
from generator.quote_markup import quotes_plugin


def load_articles(
    config: Config, cache=None, memory=None
) -> tuple[list[Article], dict, list[Diagnostic]]:
    """Every document, and the articles made of them. With a `memory` (`digest serve`),
    only files the watcher reported (or new ones) are read again, and an article whose
    Document is unchanged is the same Article object as before (`_articles`)."""
    if memory is None:
        documents, problems = load.load_content(config, cache)
        articles, found = _articles(tuple(documents["articles"]), None).result()
        return articles, documents, [*problems, *found]
    listing, unread = memory.listing, memory.reported()
    if listing is None or unread is None or not listing.still_valid(config.content_path, unread):
        listing = load.list_content(config)
    last = None
    if memory.contents is not None and memory.listing is listing and memory.contents[1]:
        last = memory.contents[0]
    documents, problems = load.load_content(config, cache, memory.documents, listing, unread, last)
    memory.listing = listing
    memory.loaded()
    memory.contents = (documents, not problems)
    if last is None:
        memory.documents = {str(d.path): d for kind in documents.values() for d in kind}
    else:  # only the files read again can be new
        for kind, docs in documents.items():
            for i in changed_places(docs, last[kind]):
                memory.documents[str(docs[i].path)] = docs[i]
    memory.articles = _articles(tuple(documents["articles"]), memory.articles)
    articles, found = memory.articles.result()
    return articles, documents, [*problems, *found]


class _Articles:
    """The articles made of a build's article documents (`docs`): `made[i]` is
    (Article or None, problems) of `docs[i]`; `ordered` the articles, newest first."""

    def __init__(self, docs: tuple, made: list[tuple], last=None, changed: list[int] = ()):
        """`last`: the articles of the last build, when `made` differs from its only at
        the positions `changed`, in articles with no problems, each with the id, path,
        slug and place in the order of the one it replaces (see `_articles`)."""
        self.docs, self.made = docs, made
        self._where: dict[str, int] | None = None
        if last is not None:
            self.ordered = list(last.ordered)
            for i in changed:
                self.ordered[last.where(last.made[i][0].id)] = made[i][0]
            self.problems, self._where = last.problems, last._where
            return
        articles = [a for a, _ in made if a is not None]  # in the documents' order
        self.problems = [p for _, found in made for p in found]
        self.problems.extend(articles_mod.check_unique(articles))
        self.ordered = sorted(articles, key=lambda a: a.sort_key)

    def result(self) -> tuple[list[Article], list[Diagnostic]]:
        return self.ordered, self.problems

    def where(self, article_id: str) -> int:
        if self._where is None:
            self._where = {a.id: i for i, a in enumerate(self.ordered)}
        return self._where[article_id]


def _articles(docs: tuple, last: _Articles | None) -> _Articles:
    """The articles of `docs`. Those of the documents of the `last` build are kept; when
    only some documents are new, each in an old one's place, and their articles keep the
    old ones' id, slug and place in the order, the order is patched, not sorted again."""
    if last is None or len(last.docs) != len(docs):
        # The last build's documents are alive in `last`, so their ids are theirs.
        known = (
            {id(d): m for d, m in zip(last.docs, last.made, strict=True)}
            if last is not None
            else {}
        )
        return _Articles(docs, [known.get(id(d)) or articles_mod.from_document(d) for d in docs])
    changed = list(changed_places(docs, last.docs))
    if not changed:
        return last
    made = list(last.made)
    in_place = True
    for i in changed:
        made[i] = articles_mod.from_document(docs[i])
        (old, old_found), (new, found) = last.made[i], made[i]
        in_place = in_place and not (old_found or found or old is None or new is None)
        in_place = in_place and _place(old) == _place(new)
    return _Articles(docs, made, last, changed) if in_place else _Articles(docs, made)


def _place(article: Article) -> tuple:
    """What an article's place in the order, and the checks on all of them, read."""
    return article.id, article.path, article.slug, article.sort_key


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
    # notes a parse reads are its own article's, so they are part of its item. Made
    # again only where the article or its notes are not the last build's objects, so
    # the mapper compares none of the others (`positions.remade`).
    ids = tuple(map(ID, articles))
    own = tuple(map(by_article.get, ids, repeat(())))
    items = remade(recent, "\0parse items", articles, lambda a: (a, by_article.get(a.id, ())), own)
    mapper = memo_map(cache, workers or Workers(1), context, recent)
    found = mapper("parse", parse, items, lambda item: item[0].id)
    return dict(zip(ids, found, strict=True))


def load_notes(
    config: Config, documents: dict, articles: list[Article], registry=None, memory=None
):
    """Note documents -> Notes, with targets checked against the articles and entities
    (stories: None, not yet known to this build) and `[[Entity]]` resolved by the registry.
    With a `memory`, the last build's Notes while all of that is unchanged (an article
    edit renders no note again), and while all but the note documents are, each note
    whose document is unchanged (a note edit renders that note again)."""
    articles_ids = frozenset(map(ID, articles))
    read = (config, tuple(documents["notes"]), articles_ids, registry)
    memo = None
    if memory is not None:
        context, memo = memory.note_documents
        if context != (config, articles_ids, registry):
            memo = {}
            memory.note_documents = ((config, articles_ids, registry), memo)

    def make():
        ids = {
            "article": articles_ids,
            "entity": set(registry.by_id) if registry is not None else None,
            "story": None,
        }
        resolver = _note_resolver(registry)
        return notes_mod.from_documents(config, documents["notes"], ids, resolver, memo)

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
    each mapping's last (context, idents, items, results) by name: an item equal to the
    last one of its `ident(item)` in the same context takes that result as it is, with
    no key to hash and nothing to unpickle. When the idents are those of the last build,
    in order (an edit), the items that are the very same objects are not even compared.
    """

    def mapper(name: str, fn, items, ident):
        idents = tuple(map(ident, items))
        last = recent.get(name) if recent is not None else None
        if last is not None and last[0] != context:
            last = None
        if last is not None and last[1] == idents:
            old = last[2]
            results = list(last[3])
            todo = [i for i in changed_places(items, old) if old[i] != items[i]]
        else:
            results = [None] * len(items)
            earlier = {}
            if last is not None:
                earlier = dict(zip(last[1], zip(last[2], last[3], strict=True), strict=True))
            todo = []
            for position, (key, item) in enumerate(zip(idents, items, strict=True)):
                found = earlier.get(key)
                if found is not None and same(found[0], item):
                    results[position] = found[1]
                else:
                    todo.append(position)
        missing: list[tuple[int, str | None]] = []
        for position in todo:
            if cache is None:
                missing.append((position, None))
                continue
            key, value = cache.lookup(name, (context, items[position]))
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
            recent[name] = (context, idents, list(items), results)
        return results

    return mapper


def quotes_by_article(quotes) -> dict[str, list[str]]:
    """Each article's quotes by their merged text, so one quote is one row across outlets."""
    found: dict[str, list[str]] = {}
    for quote in quotes:
        for appearance in quote.appearances:
            found.setdefault(appearance.article, []).append(quote.text)
    return found


def context_inputs(
    config: Config, documents: dict[str, list], articles: list, memory=None
) -> tuple:
    """What an article's parse may depend on besides the article itself and the notes
    anchored on it (which the parse key names separately: `parse_articles`).

    Markdown plugins added by later stages (entity links, links to other articles) may
    read any other non-article document and the set of articles: so all of those are in
    the key. Editing an entity re-parses every article (a false positive, never a stale
    page); editing an article's text, or a note on it, re-parses that article.
    `memory`: see `incremental.per_article`.
    """
    others = tuple(
        (kind, str(doc.path), doc.sha256)
        for kind, docs in documents.items()
        if kind not in ("articles", "notes")
        for doc in docs
    )
    own = incremental.per_article(
        memory, "context", articles, lambda a: (str(a.path), a.id, a.slug)
    )
    return config, others, own


def context_key(inputs: tuple) -> str:
    """The key of `context_inputs`, whatever their order."""
    config, others, paths = inputs
    return fingerprint(config_fingerprint(config), sorted(others), sorted(paths))
