"""The one Jinja2 environment, and the core pages (home, articles, 404, data).

Templates receive plain view data (dicts of strings, numbers and lists), never model
objects; every URL in them comes from `url()` / `url_for()` (see `urls.py`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import jinja2
from markupsafe import Markup

from generator import metadata, story_views
from generator.config import Config
from generator.errors import DigestError, error
from generator.model import Article, Output, Patch, Row, Site, same
from generator.notes_pages import article_notes_view
from generator.parallel import Tickets
from generator.urls import Urls, output_file

T = TypeVar("T")
EVERY = "\0every"  # `Renderer.clean` holding (kind, EVERY): every page of that kind
HOME_STORIES = 10  # stories on the home page; the rest are on stories/
PACKAGE_THEMES = Path(__file__).resolve().parent.parent / "themes"


def theme_dirs(config: Config) -> list[Path]:
    """Theme folders, highest priority first: the project's overrides, then the theme."""
    dirs = [config.overrides_path]
    project_theme = config.root / config.themes_dir / config.theme
    if project_theme.is_dir():
        dirs.append(project_theme)
    elif (PACKAGE_THEMES / config.theme).is_dir():
        dirs.append(PACKAGE_THEMES / config.theme)
    else:
        raise DigestError(
            [
                error(
                    "digest.yaml",
                    None,
                    f"theme '{config.theme}' not found in "
                    f"{config.themes_dir}/: create it or set `theme: default`",
                )
            ]
        )
    return dirs


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

    # Incremental rebuilds (`digest serve`): pages whose inputs did not change since the
    # last build, as (kind, id); their producer yields `kept(path)` instead of rendering.
    clean: frozenset[tuple[str, str]] = frozenset()
    rows: OutputMemo | None = None  # data file rows kept between rebuilds: see `json_rows`
    pages: OutputMemo | None = None  # listing pages' inputs, likewise: see `listing`
    views: dict[str, dict[str, tuple[Any, Any]]] | None = None  # see `view`

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

    def summary(self, article: Article) -> dict[str, Any]:
        return self.view(
            "article", article.id, article, partial(article_summary, article, self.urls)
        )

    def reusable(self, kind: str, key: str) -> bool:
        return (kind, key) in self.clean or (kind, EVERY) in self.clean

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
        the published page was rendered from is kept as it is."""
        memo = self.pages
        if memo is None:
            return self.page(site_path, template, **context)
        inputs = (template, context)
        path = output_file(site_path)
        memo.pending[path] = inputs
        if path in memo.published and memo.published[path] == inputs:
            return self.kept(site_path)
        return self.page(site_path, template, **context)

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


def json_output(path: str, data: Any) -> Output:
    """`data` as compact UTF-8 JSON. A list, tuple or iterator is encoded one item at a
    time, so a generator of rows never has every row alive at once:
    the bytes are the same as `json.dumps` of the whole list."""
    # Compact: the data files grow with the corpus (stories.json holds every comparison),
    # and without `indent` the json module uses its C encoder.
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    if isinstance(data, dict | str) or not isinstance(data, Iterable):
        return Output(path, (encode(data) + "\n").encode("utf-8"))
    return Output(path, _array([encode(item).encode("utf-8") for item in data]))


def _array(encoded: list[bytes]) -> bytes:
    """A JSON array of encoded items, and a newline, copied once: `b"[" + b",".join(...)`
    copied the whole array twice more (stories.json is 200 MB at 10,000 articles)."""
    if not encoded:
        return b"[]\n"
    parts = [b","] * (2 * len(encoded) + 1)
    parts[1::2] = encoded
    parts[0], parts[-1] = b"[", b"]\n"
    return b"".join(parts)


def _patch(
    last: dict[str, tuple[Any, bytes]], names: list[str], encoded: list[bytes]
) -> Patch | None:
    """The array of `encoded` rows (named `names`) as pieces of the published array of
    `last`'s rows where a row's bytes are unchanged; None when no row is."""
    offsets: dict[str, int] = {}
    position = 1  # after "["
    for name, (_, data) in last.items():
        offsets[name] = position
        position += len(data) + 1  # the row and the "," or "]" after it
    old_size = position + 1  # and the final newline
    pieces: list = []
    copied = False

    def add(piece: tuple[int, int] | bytes) -> None:
        last_piece = pieces[-1] if pieces else None
        # A range that goes on where the last one ended extends it.
        if isinstance(piece, tuple) and isinstance(last_piece, tuple) and last_piece[1] == piece[0]:
            pieces[-1] = (last_piece[0], piece[1])
        else:
            pieces.append(piece)

    for index, (name, data) in enumerate(zip(names, encoded, strict=True)):
        start = offsets.get(name)
        if start is None or last[name][1] != data:
            add(b"," if index else b"[")
            add(data)
            continue
        copied = True
        if (index == 0) == (start == 1):  # the byte before it there is the one wanted here
            add((start - 1, start + len(data)))
        else:
            add(b"," if index else b"[")
            add((start, start + len(data)))
    if not copied:
        return None
    add((old_size - 2, old_size))  # "]\n"
    return Patch(old_size, _joined_bytes(pieces))


def _joined_bytes(pieces: list) -> tuple:
    """`pieces` with each run of new bytes joined into one."""
    out: list = []
    run: list[bytes] = []
    for piece in pieces:
        if isinstance(piece, bytes):
            run.append(piece)
            continue
        if run:
            out.append(b"".join(run))
            run = []
        out.append(piece)
    if run:
        out.append(b"".join(run))
    return tuple(out)


class OutputMemo:
    """What `digest serve` keeps of outputs between rebuilds with the same config and
    theme, by output path: a data file's rows (`json_rows`: each row's name -> (inputs,
    bytes)) or a listing page's inputs (`Renderer.listing`). `published` is what the last
    build that reached site/ made; a build's own entries become that only when it does."""

    def __init__(self) -> None:
        self.published: dict[str, Any] = {}
        self.pending: dict[str, Any] = {}

    def start(self, full: bool) -> None:
        """A build begins; a full one (the config or theme may have changed) keeps none."""
        self.pending = {}
        if full:
            self.published = {}

    def commit(self) -> None:
        """The build reached site/."""
        self.published.update(self.pending)
        self.pending = {}


def json_rows(path: str, rows: Iterable[Row], memo: OutputMemo | None = None) -> Output:
    """`json_output(path, [make() for each row])`. With a `memo`, a row whose inputs equal
    those the published file was written from keeps its encoded bytes, and when every
    row is kept, in the same order, the published file is kept as it is."""
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    last = memo.published.get(path) if memo is not None else None
    kept: dict[str, tuple[Any, bytes]] = {}
    names: list[str] = []
    encoded: list[bytes] = []
    same = last is not None
    other_bytes = False  # a row that was in the published file has other bytes now
    for name, inputs, make in rows:
        earlier = last.get(name) if last is not None else None
        if earlier is not None and earlier[0] == inputs:
            data = earlier[1]
        else:
            data, same = encode(make()).encode("utf-8"), False
            other_bytes = other_bytes or (earlier is not None and data != earlier[1])
        if memo is not None:
            kept[name] = (inputs, data)
        names.append(name)
        encoded.append(data)
    if memo is not None:
        memo.pending[path] = kept
    same_rows = last is not None and list(kept) == list(last)
    if same and same_rows:
        return Output(path, b"", kept=True)
    patch = _patch(last, names, encoded) if last else None
    if patch is not None:  # not joined: 0.08 s for the 200 MB of data/stories.json at 10k
        return Output(path, b"", patch=patch)
    # The same rows in the same order, one with other bytes: the file's bytes differ.
    return Output(path, _array(encoded), differs=same_rows and other_bytes)


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
    articles = [renderer.summary(a) for a in site.articles]
    from generator.archive import home_pages  # paginated home (page_size per page)

    # The home page shows the latest stories (newest first) and links to all of them.
    latest = story_views.story_summaries(site, renderer, limit=HOME_STORIES)
    first = {"stories": latest, "stories_total": len(site.stories)}
    yield from home_pages(site, renderer, articles, first)
    for article in renderer.each(site.articles):
        path = urls.path("article", article.slug)
        if renderer.reusable("article", article.id):
            yield renderer.kept(path)
            continue
        yield renderer.page(path, "article.html", article=article_view(site, article, urls))
    if renderer.claim():
        yield renderer.listing("404.html", "404.html")
    if renderer.claim():
        yield json_rows("data/articles.json", articles_rows(site, urls), renderer.rows)


def articles_rows(site: Site, urls: Urls) -> Iterator[Row]:
    """`data/articles.json`, one article at a time (see `json_rows`)."""
    for a in site.articles:
        word_count = site.parsed[a.id].word_count
        yield a.id, (a, word_count), partial(_article_row, a, word_count, urls)


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
