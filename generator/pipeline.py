"""The one place where stage order is written down.

    load -> articles -> parse -> link -> render -> write

Nothing is rendered until the whole Site is linked, and nothing reaches `site/` until
every output is rendered (DESIGN.md convention 1): `build` streams each output into a
staging folder as it is rendered (so pages are never all in memory) and publishes the
folder whole. `build_site` keeps everything in memory and writes nothing, so `digest
check` and tests can inspect a build. Parsing, story comparison and rendering are shared
between processes (`parallel.Workers`), with results merged in input order.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from operator import attrgetter

from generator import archive, entity_index, incremental, load, publish, search
from generator import cache as cache_mod
from generator import entities as entities_mod
from generator import notes as notes_mod
from generator import stories as stories_mod
from generator.buildlock import build_lock
from generator.config import Config
from generator.errors import Diagnostic, DigestError, error, raise_if_errors
from generator.model import KeptPages, Output, Site
from generator.notes_pages import notes_pages
from generator.pages_entities import entity_pages
from generator.pages_quotes import quote_pages
from generator.pages_stories import story_pages
from generator.parallel import Tickets, Workers, collector_off, default_workers
from generator.positions import ID, same_objects
from generator.quote_index import link_quotes
from generator.render import CachingRenderer, Renderer, core_pages
from generator.stages import (
    context_inputs,
    context_key,
    load_articles,
    load_notes,
    memo_map,
    parse_articles,
    quotes_by_article,
)
from generator.writer import NotPublished, SiteWriter

PageProducer = Callable[[Site, Renderer], Iterable[Output | KeptPages]]
# Stories and entities first, each with its data file first: those are the largest files
# (data/stories.json: 210 MB at 10,000 articles), which an incremental rebuild patches in
# the background while the rest renders (`SiteWriter.splice_ahead`).
PAGE_PRODUCERS: tuple[PageProducer, ...] = (
    story_pages,  # data/stories.json, stories/, stories/<id>/
    entity_pages,  # data/entities.json, entities/, entities/<id>/
    core_pages,
    publish.publish_pages,  # digest feed, CNAME
    archive.archive_pages,  # archive/ by month
    search.search_pages,  # search/ (the index is built by the CLI after writing)
    notes_pages,  # notes/, data/notes.json, data/annotations.jsonld
    quote_pages,  # quotes/, quotes/<id>/, data/quotes.json
)


@dataclass
class BuildResult:
    site: Site | None  # None after a search index was built: see `build`
    files: frozenset[str]  # every output path
    diagnostics: list[Diagnostic]
    timings: dict[str, float] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    indexed: int | None = None  # pages in the search index, when it was built
    incremental: bool = False  # only what changed was rendered (`incremental.Memory`)
    # Threads deleting the files patched ones replaced (`SiteWriter.removing`): join them
    # once browsers are told, before the next build (Python waits for them at exit).
    removing: list[threading.Thread] = field(default_factory=list)


class _Timer:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._start = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + now - self._start
        self._start = now


# Units of render work handed out to whichever process is free (`parallel.Tickets`;
# 26,000 at 10,000 articles); any beyond go by position (`Renderer.claim`).
RENDER_TICKETS = 1 << 16


def link_site(config: Config, cache=None, workers: Workers | None = None, memory=None):
    """Load, parse and link everything: (Site, Renderer, stage timings). Raises
    DigestError on any error, before anything is rendered. `memory` (an
    `incremental.Memory`) reuses the last build's documents and stage results."""
    timer = _Timer()
    workers = workers or Workers(1)
    if cache is not None:
        cache.start_build()
    renderer = Renderer(config) if cache is None else CachingRenderer(config, cache)
    if memory is not None:  # templates compiled by the last build, if config and theme match
        memory.theme = incremental.theme_key(config, renderer.dirs)
        renderer.env = incremental.reuse(memory, "templates", memory.theme, lambda: renderer.env)
    renderer.check_templates()
    timer.lap("templates")
    articles, documents, problems = load_articles(config, cache, memory)
    recent = memory.results if memory is not None else None
    keyed = cache is not None or memory is not None
    registry, found = incremental.reuse(
        memory,
        "registry",
        tuple(documents["entities"]),
        lambda: entities_mod.load_registry(documents["entities"]),
    )
    problems.extend(found)
    timer.lap("load")
    notes, found = load_notes(config, documents, articles, registry, memory)
    problems.extend(found)
    raise_if_errors(problems)
    context = ""
    if keyed:  # made again only when what it reads changed (sorting 10,000 paths: 18 ms)
        read = context_inputs(config, documents, articles, memory)
        context = incremental.reuse(memory, "context", read, lambda: context_key(read))
    parsed = parse_articles(config, articles, notes, registry, cache, context, workers, recent)
    parses = tuple(map(parsed.__getitem__, map(ID, articles)))  # once: `Site.parses`
    timer.lap("parse")
    # The registry is its documents; each article, its place and what its parse found.
    entity_docs = tuple((str(d.path), d.sha256) for d in documents["entities"])
    entities, mentions, found = incremental.reuse(
        memory,
        "entities",
        (
            entity_docs,
            incremental.per_article(
                memory,
                "entities",
                articles,
                lambda a: (a.id, a.path, a.body_line, entity_index.found_in(parsed[a.id])),
                parses,
            ),
        ),
        lambda: entity_index.link(
            registry, articles, parsed, memory.entity_sets if memory is not None else None
        ),
    )
    problems.extend(found)
    paths = dict(zip(map(ID, articles), map(attrgetter("path"), articles), strict=True))
    linked_notes, found = notes_mod.link(notes, parsed, paths)
    problems.extend(found)
    raise_if_errors(problems)
    quotes = incremental.reuse(
        memory,
        "quotes",
        (
            entity_docs,
            incremental.per_article(
                memory,
                "quotes",
                articles,
                lambda a: (a.id, a.source, a.date, parsed[a.id].quotes),
                parses,
            ),
        ),
        lambda: link_quotes(articles, parsed, resolve=registry.resolve),
    )
    timer.lap("link")
    # Without a registry, story grouping falls back to capitalised names in the text.
    by_article = entities.by_article if registry.entities else None  # every article's
    names = {e.id: e.name for e in registry.entities}
    said = incremental.reuse(memory, "quotes_by_article", quotes, lambda: quotes_by_article(quotes))
    # Everything stories read: an edit that changes none of it (a note's) keeps them all.
    stories, comparisons, found = incremental.reuse(
        memory,
        "stories",
        (config, tuple(articles), tuple(documents["stories"]), by_article, names, said),
        lambda: stories_mod.link(
            config,
            articles,
            documents["stories"],
            entities_by_article=by_article,
            entity_names=names,
            quotes_by_article=said,
            mapper=memo_map(
                cache, workers, cache_mod.config_fingerprint(config) if keyed else "", recent
            ),
            memo=memory.grouping if memory is not None else None,
        ),
    )
    problems.extend(found)
    timer.lap("stories")
    last = memory.site if memory is not None else None
    if last is not None and same_objects(articles, last.articles):
        articles = last.articles  # the very tuple: see `Site.inherit`
    site = Site(
        config=config,
        articles=tuple(articles),
        parsed=parsed,
        diagnostics=tuple(problems),
        notes=linked_notes,
        quotes=quotes,
        entities=entities,
        mentions=mentions,
        stories=stories,
        comparisons=comparisons,
    )
    site.derived("parses", lambda: parses, "articles", "parsed")
    if last is not None:
        site.inherit(last)
    return site, renderer, timer.timings


def render_site(site: Site, renderer: Renderer) -> Iterator[Output | KeptPages]:
    """Every output but those made from all the others (`publish.finish_outputs`), one at
    a time: the caller writes each as it comes, so pages are never all in memory. Only the
    units this process `claim`s are made (all of them in a single process). Pages are
    kept (`KeptPages`) only in an incremental rebuild (`update_in_place`)."""
    for producer in PAGE_PRODUCERS:
        yield from producer(site, renderer)
    for site_path, source in renderer.static_files():
        if renderer.claim():
            yield Output(site_path, load.read_theme_file(source))
    if renderer.claim():
        yield Output(".nojekyll", b"")


def build_site(config: Config, cache=None) -> tuple[Site, list[Output], dict[str, float]]:
    """The whole build in memory, nothing written (for `digest check` and tests).

    `cache` (a `cache.Cache`, optional) memoises per-document and per-page results by
    their inputs; the outputs are byte-identical with and without it.
    """
    with collector_off():
        site, renderer, timings = link_site(config, cache)
        start = time.perf_counter()
        outputs = list(render_site(site, renderer))
    pages = [o.path for o in outputs if publish.in_sitemap(o)]
    outputs.extend(publish.finish_outputs(site, renderer, pages))  # sitemap, robots
    timings["render"] = time.perf_counter() - start
    paths = [o.path for o in outputs]
    if len(paths) != len(set(paths)):
        dupes = sorted({p for p in paths if paths.count(p) > 1})
        raise DigestError([error(p, None, "two pages want this output path") for p in dupes])
    return site, outputs, timings


def render_into(writer: SiteWriter, site: Site, renderer: Renderer, workers: Workers, cache=None):
    """Render every output straight into the writer's staging folder, shared between the
    worker processes; returns (every output path; sitemap pages) and adds the written
    paths to `writer`."""

    def job(index: int, count: int):
        renderer.set_share(index, count, tickets)
        if index and cache is not None:  # a child: count only its own hits and misses
            cache.hits, cache.misses = {}, {}
        written, sitemap = [], []
        for output in render_site(site, renderer):
            assert output.patch is None, output.path  # a patch is for `update_in_place`
            writer.write(output.path, output.data)
            written.append(output.path)
            if publish.in_sitemap(output):
                sitemap.append(output.path)
        if not index:
            return written, sitemap, None
        if cache is not None:  # a child's new cache entries would die with it
            cache.save(prune=False)
        changed = writer.changed
        return written, sitemap, (changed, cache.report() if cache is not None else None)

    writer.staged_site()  # one staging folder, made before any worker starts
    with Tickets(RENDER_TICKETS) if workers.forking else contextlib.nullcontext() as tickets:
        shares = workers.run(job)
    all_sitemap: list[str] = []
    for written, sitemap, child in shares:
        all_sitemap.extend(sitemap)
        if child is None:
            continue
        changed, report = child
        writer.adopt(written, changed)
        if report is not None and cache is not None:
            cache.merge_report(report)
    renderer.set_share(0, 1)
    for output in publish.finish_outputs(site, renderer, all_sitemap):  # sitemap, robots
        writer.write(output.path, output.data)
    return frozenset(writer.written), all_sitemap


def update_in_place(writer: SiteWriter, site: Site, renderer: Renderer, memory):
    """An incremental rebuild (`digest serve`): render every output but the pages kept
    from the last build (`incremental.dirty_pages` names the others) into memory, then
    update `site/` in place. Returns (every output path; sitemap pages; removed
    paths)."""
    renderer.dirty = incremental.dirty_pages(memory.site, site)
    made: list[Output | KeptPages] = []
    try:
        try:
            for output in render_site(site, renderer):
                made.append(output)
                if type(output) is Output and output.patch is not None:
                    writer.splice_ahead(output)  # copied while the rest renders
        finally:
            renderer.dirty = None
        outputs = [o for o in made if type(o) is Output]
        kept = [o.paths for o in made if type(o) is KeptPages]
        pages: list[str] = []
        if renderer.urls.absolute_base:  # else there is no sitemap (`digest serve`'s own
            # base path is one): the kept pages' paths need not be looked up (4 ms)
            pages = [
                o.path
                for o in outputs
                if (o.path in memory.sitemap if o.kept else publish.in_sitemap(o))
            ]
            for paths in kept:
                pages.extend(paths.intersection(memory.sitemap))
        outputs.extend(publish.finish_outputs(site, renderer, pages))  # sitemap, robots
        removed = writer.update(outputs, memory.files, kept)
    finally:
        writer.discard_ahead()
    return frozenset(writer.written), pages, removed


def _give_memory_back() -> None:
    """Free what was let go and return it to the system (glibc keeps freed memory for
    the process unless asked: `malloc_trim`; elsewhere the collection is all)."""
    gc.collect()
    # AttributeError: a C library without malloc_trim; TypeError: no CDLL(None) (Windows)
    with contextlib.suppress(OSError, AttributeError, TypeError):
        ctypes.CDLL(None).malloc_trim(0)


def build(
    config: Config,
    cache=None,
    search_index: bool = False,
    workers=None,
    memory=None,
    changed: set[str] | None = None,
) -> BuildResult:
    """A whole build: load, parse and link everything, then render each output straight
    into a staging folder, then publish the folder whole.

    Nothing reaches `site/` until every output is rendered (DESIGN.md convention 1, kept by
    the staged swap rather than by holding every page in memory). Holds the project's
    build lock throughout, so a second build (or `serve` rebuild) cannot interleave with
    this one. With `search_index` (and `search: true`), Pagefind indexes the staged site
    before the swap, so the published site and its search index always belong together.
    Pagefind holds about 350 KB per page it indexes (at most `search_shard_size` pages in
    each run, as many runs at a time as there are workers), so a build without `memory`
    lets the linked digest go before it runs: `BuildResult.site` is then None.
    `workers` (default: every core) share parsing, comparing and rendering.

    `memory` (an `incremental.Memory`, kept by `digest serve` across its rebuilds) makes
    the build incremental when it can be: see `incremental`. Such a build renders the
    changed pages into memory first and then updates `site/` in place (the dev server
    holds requests meanwhile), so a failed rebuild still leaves the last good site.
    `changed` (absolute paths a file watcher reported since the last build; None when
    not known) lets the load read only those files (`load_articles`).
    """
    if memory is not None:
        memory.heard(changed)
    diagnostics: list[Diagnostic] = []
    indexed = None
    workers = workers or Workers(default_workers())
    with build_lock(config), collector_off():
        site, renderer, timings = link_site(config, cache, workers, memory)
        diagnostics.extend(site.diagnostics)
        start = time.perf_counter()
        writer = SiteWriter(config.output_path)
        inputs, in_place = "", False
        if memory is not None:
            inputs = incremental.global_inputs(memory.theme, memory.contents[0])
            if incremental.eligible(memory, inputs) and not search_index:
                memory.rows.start(full=False)
                memory.pages.start(full=False)
                renderer.rows, renderer.pages = memory.rows, memory.pages
                renderer.keep_views(memory.views)
                try:
                    files, sitemap, removed = update_in_place(writer, site, renderer, memory)
                    in_place = True
                    timings["render"] = time.perf_counter() - start
                except NotPublished:  # someone removed a page from site/: build it all
                    writer = SiteWriter(config.output_path)
                except BaseException:
                    memory.forget_site()
                    raise
        if not in_place:
            if memory is not None:  # the config may have changed: every row is made again
                memory.rows.start(full=True)
                memory.pages.start(full=True)
                renderer.rows, renderer.pages = memory.rows, memory.pages
                memory.views.clear()
                renderer.keep_views(memory.views)
            try:
                files, sitemap = render_into(writer, site, renderer, workers, cache)
                timings["render"] = time.perf_counter() - start
                if search_index and config.search:
                    start = time.perf_counter()
                    if memory is None:  # nothing needs the digest any more
                        site = renderer = None
                        _give_memory_back()
                    indexed, problems = search.build_index(
                        writer.staged_site(), config.search_shard_size, workers.count
                    )
                    diagnostics.extend(problems)
                    timings["search"] = time.perf_counter() - start
                start = time.perf_counter()
                removed = writer.finish()
                timings["write"] = time.perf_counter() - start
            except BaseException:
                writer.abort()
                raise
    if memory is not None:
        memory.remember(site, inputs, files, sitemap)
    return BuildResult(
        site=site,
        files=files,
        diagnostics=diagnostics,
        timings=timings,
        written=sorted(writer.changed),
        removed=removed,
        indexed=indexed,
        incremental=in_place,
        removing=writer.removing,
    )
