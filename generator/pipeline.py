"""The one place where stage order is written down.

    load -> articles -> parse -> link -> render -> write

Nothing is rendered until the whole Site is linked, nothing written until every output
is rendered (DESIGN.md convention 1). `build_site` stops before writing, so `digest
check` and tests can inspect a build in memory.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from generator import articles as articles_mod
from generator import cache as cache_mod
from generator import load, markup
from generator.config import Config
from generator.errors import Diagnostic, DigestError, error, raise_if_errors
from generator.model import Article, Output, Parsed, Site
from generator.render import Renderer, core_pages
from generator.writer import SiteWriter

PageProducer = Callable[[Site, Renderer], Iterable[Output]]
PAGE_PRODUCERS: tuple[PageProducer, ...] = (core_pages,)


@dataclass
class BuildResult:
    site: Site
    outputs: list[Output]
    diagnostics: list[Diagnostic]
    timings: dict[str, float] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


class _Timer:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._start = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + now - self._start
        self._start = now


def load_articles(config: Config, cache=None) -> tuple[list[Article], dict, list[Diagnostic]]:
    documents, problems = load.load_content(config, cache)
    articles: list[Article] = []
    for doc in documents["articles"]:
        article, found = articles_mod.from_document(doc)
        problems.extend(found)
        if article is not None:
            articles.append(article)
    problems.extend(articles_mod.check_unique(articles))
    articles.sort(key=lambda a: a.sort_key)
    return articles, documents, problems


def parse_articles(
    config: Config, articles: list[Article], cache=None, context: str = ""
) -> dict[str, Parsed]:
    md = markup.make_markdown(config)
    if cache is not None:  # `context`: cache.context_key, what a parse may depend on
        return {
            article.id: cache.memo(
                "parse",
                (context, article),
                lambda article=article: markup.render(md, article.body),
            )
            for article in articles
        }
    return {article.id: markup.render(md, article.body) for article in articles}


def build_site(config: Config, cache=None) -> tuple[Site, list[Output], dict[str, float]]:
    """Load, parse, link and render everything; raise DigestError on any error.

    `cache` (a `cache.Cache`, optional) memoises per-document and per-page results by
    their inputs; the outputs are byte-identical with and without it.
    """
    timer = _Timer()
    if cache is not None:
        cache.start_build()
    renderer = Renderer(config) if cache is None else cache_mod.CachingRenderer(config, cache)
    renderer.check_templates()
    timer.lap("templates")
    articles, _documents, problems = load_articles(config, cache)
    timer.lap("load")
    raise_if_errors(problems)
    context = cache_mod.context_key(config, _documents, articles) if cache is not None else ""
    parsed = parse_articles(config, articles, cache, context)
    timer.lap("parse")
    site = Site(config=config, articles=tuple(articles), parsed=parsed, diagnostics=tuple(problems))
    timer.lap("link")
    outputs: list[Output] = []
    for producer in PAGE_PRODUCERS:
        outputs.extend(producer(site, renderer))
    for site_path, source in renderer.static_files():
        outputs.append(Output(site_path, load.read_theme_file(source)))
    outputs.append(Output(".nojekyll", b""))
    timer.lap("render")
    paths = [o.path for o in outputs]
    if len(paths) != len(set(paths)):
        dupes = sorted({p for p in paths if paths.count(p) > 1})
        raise DigestError([error(p, None, "two pages want this output path") for p in dupes])
    return site, outputs, timer.timings


def build(config: Config, cache=None) -> BuildResult:
    """A whole build: everything in memory first, then one writer pass."""
    site, outputs, timings = build_site(config, cache)
    start = time.perf_counter()
    writer = SiteWriter(config.output_path)
    for output in outputs:
        writer.write(output.path, output.data)
    removed = writer.finish()
    timings["write"] = time.perf_counter() - start
    return BuildResult(
        site=site,
        outputs=outputs,
        diagnostics=list(site.diagnostics),
        timings=timings,
        written=writer.changed,
        removed=removed,
    )
