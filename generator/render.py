"""The one Jinja2 environment, and the core pages (home, articles, 404, data).

Templates receive plain view data (dicts of strings, numbers and lists), never model
objects; every URL in them comes from `url()` / `url_for()` (see `urls.py`).
`CachingRenderer` memoises each page in the build cache (`cache.Cache`) by everything
its template can see.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from itertools import compress
from operator import attrgetter
from pathlib import Path
from typing import Any, TypeVar

import jinja2
from markupsafe import Markup

from generator import entries, metadata, story_views
from generator.cache import Cache, Uncacheable, config_fingerprint, fingerprint, tree_fingerprint
from generator.config import Config
from generator.data_files import OutputMemo, json_output, json_rows
from generator.errors import DigestError, error
from generator.load import theme_dirs
from generator.model import Article, KeptPages, Output, Row, Site, same
from generator.notes_pages import article_notes_view
from generator.parallel import Tickets
from generator.positions import ID, remade, same_objects
from generator.urls import Urls, output_file

T = TypeVar("T")
HOME_STORIES = 10  # stories on the home page; the rest are on stories/


def _rel(path: str | None, root: Path) -> str:
    if not path:
        return "<template>"
    try:
        return str(Path(path).resolve().relative_to(root.resolve()))
    except ValueError:
        return path


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(jinja2.Environment):
    """Jinja2's environment with a quicker `item.key` for views, which are plain dicts.

    Jinja tries `getattr(item, "key")` first and falls back to `item["key"]`; on a dict
    the first always fails for a name that is not a dict method, and raises and catches
    an AttributeError (500,000 lookups: 0.57 s, against 0.35 s with this). For exactly
    those names this goes to the key first: the same answer, without the exception.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


class Renderer:
    def __init__(self, config: Config):
        self.config = config
        self.urls = Urls.from_config(config)
        self.dirs = theme_dirs(config)
        loader = jinja2.FileSystemLoader([str(d / "templates") for d in self.dirs])
        self.env = _Environment(
            loader=loader,
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.globals.update(
            url=self.urls.href,
            url_for=self.urls.url_for,
            absolute=self.urls.absolute,
            site={
                "title": config.title,
                "description": config.description,
                "language": config.language,
                "base_path": config.base_path,
            },
        )
        self.env.filters["date"] = lambda d: d.strftime("%-d %B %Y") if d else ""
        self.env.filters["isodate"] = lambda d: d.isoformat() if d else ""
        metadata.install(self.env, config, self.urls)
        entries.install(self.env)

    # Sharing the work between processes (see pipeline.render_into) ----------------------
    # Every producer asks `claim()` before each unit of work (a page, a data file) and
    # does it only when the answer is yes. All processes walk the same producers in the
    # same order, numbering the units as they go. With `tickets` (`parallel.Tickets`) a
    # process that reaches a unit with no ticket in hand takes the next one: it does
    # the unit of that number when it gets there, and skips the ones before it, which
    # other processes took. So whoever is free takes the next unit, and each output is
    # made exactly once. Without tickets, and past the last ticket, unit i goes to
    # process i % n.
    share: tuple[int, int] = (0, 1)  # (this process, number of processes)
    _slot = 0
    _tickets: Tickets | None = None
    _ticket = -1

    def set_share(self, index: int, count: int, tickets: Tickets | None = None) -> None:
        self.share, self._slot = (index, count), 0
        self._tickets, self._ticket = (tickets if count > 1 else None), -1

    def claim(self) -> bool:
        slot, self._slot = self._slot, self._slot + 1
        if self._tickets is None or slot >= self._tickets.count:
            return slot % self.share[1] == self.share[0]
        if self._ticket < slot:
            self._ticket = self._tickets.take()
        return self._ticket == slot

    # Incremental rebuilds (`digest serve`): the ids of the pages to render again, by kind
    # (`incremental.dirty_pages`); None in a full build. The others are kept as published.
    dirty: dict[str, frozenset[str]] | None = None
    rows: OutputMemo | None = None  # data file rows kept between rebuilds: see `json_rows`
    pages: OutputMemo | None = None  # listing pages' inputs, likewise: see `listing`
    views: dict[str, dict[str, tuple[Any, Any]]] | None = None  # see `view`

    def keep_views(self, views: dict[str, dict[str, tuple[Any, Any]]]) -> None:
        """Keep views, and listings' entries (`entries`), in `views` between rebuilds."""
        self.views = views
        entries.keep(self.env, views)

    def view(self, name: str, key: str, inputs: Any, make: Callable[[], T]) -> T:
        """`make()`: a view shown on many pages (an article's or a story's summary). With
        `views` (kept by `digest serve` while the config and theme are unchanged), the
        last build's view of `key` is reused while its `inputs` (everything `make`
        reads) are the same objects or equal. A view is shared: never change one."""
        if self.views is None:
            return make()
        table = self.views.setdefault(name, {})
        last = table.get(key)
        if last is not None and same(last[0], inputs):
            return last[1]
        value = make()
        table[key] = (inputs, value)
        return value

    def view_of_all(
        self,
        name: str,
        parts: tuple[Sequence[Any], ...],
        make: Callable[[], T],
        update: Callable[[tuple, T], T | None] | None = None,
    ) -> T:
        """`make()`: a view of whole sequences (every story's summary). With `views`, the
        last build's view of `name` is reused while each of `parts` (everything `make`
        reads) holds the very objects it held, in order: no item is compared. When they
        do not, `update(last parts, last view)` may make the view from the last one
        (None: it cannot, `make()` then)."""
        if self.views is None:
            return make()
        table = self.views.setdefault("\0all", {})
        last = table.get(name)
        if last is not None and all(map(same_objects, parts, last[0])):
            return last[1]
        value = update(*last) if update is not None and last is not None else None
        if value is None:
            value = make()
        table[name] = (parts, value)
        return value

    def summary(self, article: Article) -> dict[str, Any]:
        return self.view(
            "article", article.id, article, partial(article_summary, article, self.urls)
        )

    def summaries(self, site: Site) -> tuple[dict[str, Any], ...]:
        """Every article's `summary`, in the site's order (views: never change one)."""
        return self.remade("summaries", site.articles, self.summary)

    def remade(self, name: str, items, make: Callable[[Any], T], also=()) -> tuple[T, ...]:
        """`positions.remade`, kept while the views are (`digest serve`)."""
        store = self.views.setdefault("\0remade", {}) if self.views is not None else None
        return remade(store, name, items, make, also)

    def reusable(self, kind: str, key: str) -> bool:
        return self.dirty is not None and key not in self.dirty[kind]

    def split(
        self,
        kind: str,
        items: Iterable[T],
        ident: Callable[[T], str],
        path_key: Callable[[T], str],
        site_path: Callable[[T], str],
    ) -> tuple[Iterable[T], KeptPages | None]:
        """(the `items` whose `kind` page this process renders, the pages kept as
        published). In a full build every item is rendered (`each`) and none is kept. In
        an incremental one only the `dirty` items are, and one `KeptPages` stands for
        all the others: no output is made for each. `ident(item)` is its id in `dirty`;
        its page's path, `site_path(item)`, depends on nothing but `path_key(item)`."""
        if self.dirty is None:
            return self.each(items), None
        dirty = self.dirty[kind]
        items = tuple(items)
        ids = tuple(map(ident, items))
        keys = ids if path_key is ident else tuple(map(path_key, items))
        paths, every = self.view(
            "page paths", kind, (ids, keys), lambda: _page_paths(ids, items, site_path)
        )
        fresh = list(compress(items, map(dirty.__contains__, ids)))
        kept = every.difference([paths[key] for key in dirty if key in paths])
        return fresh, KeptPages(kept) if kept else None

    def kept(self, site_path: str) -> Output:
        return Output(output_file(site_path), b"", kept=True)

    def each(self, items: Iterable[T]) -> Iterator[T]:
        """The items this process renders (all of them in a single process)."""
        return (item for item in items if self.claim())

    def template_error(self, exc: Exception) -> DigestError:
        root = self.config.root
        if isinstance(exc, jinja2.TemplateSyntaxError):
            return DigestError([error(_rel(exc.filename, root), exc.lineno, exc.message or "")])
        if isinstance(exc, jinja2.TemplateNotFound):
            return DigestError([error("themes", None, f"template not found: {exc.name}")])
        # Runtime error inside a template: find the template frame in the traceback.
        where, line = "<template>", None
        tb = exc.__traceback__
        while tb is not None:
            filename = tb.tb_frame.f_code.co_filename
            if filename.endswith(".html") or filename.endswith(".xml"):
                where, line = _rel(filename, root), tb.tb_lineno
            tb = tb.tb_next
        return DigestError([error(where, line, f"template error: {exc}")])

    def check_templates(self) -> None:
        """Compile every template up front so a syntax error fails before any output."""
        for name in self.env.list_templates(extensions=["html", "xml"]):
            try:
                self.env.get_template(name)
            except jinja2.TemplateError as exc:
                raise self.template_error(exc) from None

    def page(self, site_path: str, template: str, **context: Any) -> Output:
        try:
            html = self.env.get_template(template).render(page_path=site_path, **context)
        except jinja2.TemplateError as exc:
            raise self.template_error(exc) from None
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise self.template_error(exc) from None
        except RecursionError:  # a template that includes or extends itself
            raise DigestError(
                [error(template, None, "template includes itself without end: remove the loop")]
            ) from None
        return Output(output_file(site_path), html.encode("utf-8"))

    def listing(self, site_path: str, template: str, **context: Any) -> Output:
        """A page made of other pages' views (home, archive, indexes), rendered as by
        `page`. With `pages` (`digest serve`), one whose template and context equal those
        the published page was rendered from is kept as it is; in an incremental
        rebuild, one that changed is rendered without the build cache: its entries are
        kept (`entries`), so rendering it again costs less than the key of its whole view
        (the stories listing at 10,000 articles: 3,341 story summaries), and storing it
        would write the page again."""
        memo = self.pages
        if memo is None:
            return self.page(site_path, template, **context)
        inputs = (template, context)
        path = output_file(site_path)
        memo.pending[path] = inputs
        if path in memo.published and memo.published[path] == inputs:
            return self.kept(site_path)
        if self.dirty is None:
            return self.page(site_path, template, **context)
        return Renderer.page(self, site_path, template, **context)

    def data(self, path: str, value: Any) -> Output:
        """`json_output(path, value)`. With `pages` (`digest serve`), the published file is
        kept while `value` is the very object it was made from (a `view_of_all`)."""
        memo = self.pages
        if memo is None:
            return json_output(path, value)
        memo.pending[path] = value
        if memo.published.get(path) is value:
            return Output(path, b"", kept=True)
        return json_output(path, value)

    def static_files(self) -> Iterator[tuple[str, Path]]:
        """(site path, file) of every static asset; overrides win over the theme."""
        seen: set[str] = set()
        for folder in self.dirs:
            static = folder / "static"
            if not static.is_dir():
                continue
            for path in sorted(static.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    site_path = "static/" + path.relative_to(static).as_posix()
                    if site_path not in seen:
                        seen.add(site_path)
                        yield site_path, path


def _page_paths(ids: tuple, items: tuple, site_path: Callable) -> tuple[dict, frozenset]:
    paths = {key: output_file(site_path(item)) for key, item in zip(ids, items, strict=True)}
    return paths, frozenset(paths.values())


# Views ---------------------------------------------------------------------------------


def article_summary(article: Article, urls: Urls) -> dict[str, Any]:
    return {
        "id": article.id,
        "title": article.title,
        "source": article.source,
        "date": article.date,
        "dateline": article.dateline,
        "standfirst": article.standfirst,
        "url": urls.url_for("article", article.slug),
        "title_derived": article.title_derived,
    }


def article_view(site: Site, article: Article, urls: Urls) -> dict[str, Any]:
    parsed = site.parsed[article.id]
    view = article_summary(article, urls)
    view.update(
        {
            "byline": article.byline,
            "original_url": article.url,
            "tags": list(article.tags),
            "body": Markup(parsed.html),
            "headings": [
                {"level": h.level, "text": h.text, "anchor": h.anchor} for h in parsed.headings
            ],
            "word_count": parsed.word_count,
            "notes": article_notes_view(site, article, urls),
        }
    )
    view["entities"] = article_entities(site, article, urls)
    view["entity_types"] = sorted({e["type"] for e in view["entities"]})
    view["story_links"] = story_views.article_story(site, article, urls)
    return view


def article_entities(site: Site, article: Article, urls: Urls) -> list[dict[str, Any]]:
    """Registered entities the article names: for JSON-LD `about`/`sameAs` and search filters."""
    if site.entities is None:
        return []
    registry = site.entities.registry
    found = []
    for entity_id in sorted(site.entities.ids_in(article.id)):
        entity = registry.by_id[entity_id]
        same_as = [f"https://www.wikidata.org/wiki/{entity.wikidata}"] if entity.wikidata else []
        found.append(
            {
                "name": entity.name,
                "type": entity.type,
                "url": urls.url_for("entity", entity.id),
                "same_as": same_as,
            }
        )
    return found


def core_pages(site: Site, renderer: Renderer) -> Iterable[Output]:
    urls = renderer.urls
    articles = renderer.summaries(site)
    from generator.archive import home_pages  # paginated home (page_size per page)

    # The home page shows the latest stories (newest first) and links to all of them.
    latest = story_views.story_summaries(site, renderer, limit=HOME_STORIES)
    first = {"stories": latest, "stories_total": len(site.stories)}
    yield from home_pages(site, renderer, articles, first)
    fresh, kept = renderer.split(
        "article", site.articles, ID, attrgetter("slug"), lambda a: urls.path("article", a.slug)
    )
    if kept is not None:
        yield kept
    for article in fresh:
        path = urls.path("article", article.slug)
        yield renderer.page(path, "article.html", article=article_view(site, article, urls))
    if renderer.claim():
        yield renderer.listing("404.html", "404.html")
    if renderer.claim():
        yield json_rows("data/articles.json", articles_rows(site, renderer), renderer.rows)


def articles_rows(site: Site, renderer: Renderer) -> tuple[Row, ...]:
    """`data/articles.json`, one article at a time (see `json_rows`), made again only
    for the articles that are not the objects they were, with the parse (`remade`)."""
    urls = renderer.urls

    def row(a: Article) -> Row:
        word_count = site.parsed[a.id].word_count
        return a.id, (a, word_count), partial(_article_row, a, word_count, urls)

    return renderer.remade("articles.json", site.articles, row, site.parses())


def _article_row(a: Article, word_count: int, urls: Urls) -> dict[str, Any]:
    return {
        "id": a.id,
        "slug": a.slug,
        "url": urls.url_for("article", a.slug),
        "title": a.title,
        "source": a.source,
        "date": a.date.isoformat() if a.date else None,
        "dateline": a.dateline or None,
        "standfirst": a.standfirst or None,
        "story": a.story or None,
        "seed": a.seed or None,
        "word_count": word_count,
    }


class CachingRenderer(Renderer):
    """A `Renderer` whose pages are memoised by everything a template can see.

    The key is the template files (every theme folder, by name and bytes), the config,
    the Jinja globals, filters and tests (functions by name, closure and bound object),
    the template name, the page path and the page's view data. A page whose view data
    holds something without a canonical form is rendered every time.
    """

    def __init__(self, config: Config, cache: Cache):
        super().__init__(config)
        self.cache = cache
        self.templates = tree_fingerprint([d / "templates" for d in self.dirs])
        self.config_key = config_fingerprint(config)

    def _env_fingerprint(self) -> str:
        env = self.env
        # Recomputed whenever a global, filter or test is added or replaced; their values
        # must not be mutated in place (the renderer's `site` dict is built once). Kept
        # with the environment, which `digest serve` keeps between rebuilds (1.5 ms each).
        tables = (env.globals, env.filters, env.tests)
        snapshot = tuple(x for t in tables for x in (*t, *map(id, t.values())))
        known = getattr(env, "digest_fingerprint", None)
        if known is None or known[0] != snapshot:
            key = fingerprint(dict(env.globals), dict(env.filters), dict(env.tests))
            known = env.digest_fingerprint = (snapshot, key)
        return known[1]

    def page(self, site_path: str, template: str, **context: Any) -> Output:
        try:
            parts = (
                self.templates,
                self.config_key,
                self._env_fingerprint(),
                template,
                site_path,
                context,
            )
        except Uncacheable:
            return super().page(site_path, template, **context)
        return self.cache.memo(
            "page", parts, lambda: super(CachingRenderer, self).page(site_path, template, **context)
        )
