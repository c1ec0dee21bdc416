"""Incremental rebuilds for `digest serve`: after an edit, only the pages it touched.

`digest serve` keeps one `Memory` across its rebuilds. A rebuild still loads and links
the whole digest (every link stage reads every article), but:

* only the files the file watcher reported are read again (`load.load_content`); every
  other one keeps its earlier `Document`, and an unchanged Document its `Article`.
  content/ is listed again only when a reported path is not a listed file any more (a
  file added or removed, a folder). With a symlink anywhere in content/ (the watcher
  reports the target, not the link), or when the reported paths are not known, every
  file is read, and one whose bytes are unchanged keeps its Document;
* a parse, sentence split or story comparison whose input is equal to the last one
  keeps its earlier result (`stages.memo_map`), with no key to hash;
* a link stage whose inputs all equal the last build's keeps its result (`reuse`): an
  edit that changes no quote does not merge every quote again;
* a data file row (a story in stories.json, an entity in entities.json) whose inputs
  are unchanged keeps its encoded bytes, and a data file with every row unchanged is
  kept as published (`data_files.json_rows`);
* the new Site is compared with the last one, and the article, story, entity and quote
  pages whose inputs are all unchanged are not rendered again (`dirty_pages` names the
  others): their published files stay as they are, with no output made for each
  (`render.KeptPages`). Every other output (home, listings, archive, feeds, data files,
  sitemap) is rendered as in a full build.

This holds only while nothing global changed: the config, the theme (templates and
static files), entity and story documents. When any of them changed, or there is no
earlier build, the rebuild is a full one (`eligible`). A dependency missed here would
be a stale page, so the rules in `dirty_pages` are conservative (a page is rendered
again when anything it reads might have changed; DESIGN.md convention 10), and
`tests/test_incremental_serve.py` compares every incremental site with a full build.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from generator import grouping
from generator.cache import config_fingerprint, tree_fingerprint
from generator.config import Config
from generator.data_files import OutputMemo
from generator.load import Listing
from generator.model import Article, Document, Site, same
from generator.pages_quotes import quotes_by_speaker
from generator.positions import ID, changed_places, remade
from generator.story_views import stories_by_article

T = TypeVar("T")

# Page kinds that can be kept; the producers ask `Renderer.split` or `Renderer.reusable`.
ARTICLE, STORY, ENTITY, QUOTE = "article", "story", "entity", "quote"
QUOTES = "quotes"  # the quote listings, with the key ""


@dataclass
class Memory:
    """What one build leaves for the next in the same process."""

    documents: dict[str, Document] = field(default_factory=dict)  # by path name
    listing: Listing | None = None  # the last scan of content/
    # The last load (of `listing`): its documents by kind, whether it found no problem
    # (then the next load from that listing starts from them: load.load_content's `last`).
    contents: tuple[dict[str, list[Document]], bool] | None = None
    # Paths the watcher reported since the last load (None: unknown, read every file);
    # `heard_since_load`: a build reported them (a load nobody reported to reads every file).
    unread: set[str] | None = None
    heard_since_load: bool = False
    articles: Any = None  # the last build's articles: see stages.load_articles
    results: dict[str, dict[str, Any]] = field(default_factory=dict)  # see _memo_map
    stages: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # see `reuse`
    by_article: dict[str, tuple] = field(default_factory=dict)  # see `per_article`
    grouping: dict[str, Any] = field(default_factory=dict)  # see grouping.pair_scores
    entity_sets: dict[str, tuple] = field(default_factory=dict)  # see entity_index.link
    note_documents: tuple[Any, dict] = field(default_factory=lambda: (None, {}))  # load_notes
    rows: OutputMemo = field(default_factory=OutputMemo)  # see data_files.json_rows
    pages: OutputMemo = field(default_factory=OutputMemo)  # see Renderer.listing
    views: dict[str, dict] = field(default_factory=dict)  # see Renderer.view
    theme: tuple[str, str] = ("", "")  # this build's `theme_key`
    # The last build that reached site/: its Site, global inputs, files and sitemap.
    site: Site | None = None
    inputs: str = ""
    files: frozenset[str] = frozenset()
    sitemap: frozenset[str] = frozenset()

    def heard(self, changed: Iterable[str] | None) -> None:
        """The paths a file watcher reported before this build (None: not known, so the
        next load reads every file). They add up until a load has read them."""
        if changed is None:
            self.unread = None
        elif self.unread is not None:
            self.unread.update(changed)
        self.heard_since_load = True

    def reported(self) -> set[str] | None:
        """The paths changed since the last load, when every build since reported them."""
        return self.unread if self.heard_since_load else None

    def loaded(self) -> None:
        self.unread, self.heard_since_load = set(), False

    def remember(self, site: Site, inputs: str, files: Iterable[str], sitemap: Iterable[str]):
        """The build that just reached site/ (a full build records its global inputs;
        an incremental one keeps those it was checked against)."""
        self.site, self.files, self.sitemap = site, frozenset(files), frozenset(sitemap)
        self.inputs = inputs or self.inputs
        self.rows.commit()
        self.pages.commit()

    def warm(self) -> None:
        """Make what the first incremental rebuild would otherwise make on its way: the
        dev server calls this once its first build is published and before it serves,
        so that the first edit is as quick as the next ones."""
        if self.listing is not None:
            self.listing.warm()
        grouping.warm(self.grouping)

    def forget_site(self) -> None:
        """site/ may not match `site` any more (a failed write): next build is full."""
        self.site, self.inputs, self.files, self.sitemap = None, "", frozenset(), frozenset()
        self.rows.start(full=True)
        self.pages.start(full=True)


def reuse(memory: Memory | None, stage: str, inputs: Any, compute: Callable[[], T]) -> T:
    """`compute()`, or the stage's last result when `inputs` (everything the stage reads)
    equal the last build's. Unchanged articles keep their parse objects, so comparing
    inputs is mostly comparing an object with itself; only edited articles' parts are
    compared field by field."""
    if memory is None:
        return compute()
    last = memory.stages.get(stage)
    if last is not None and last[0] == inputs:
        return last[1]
    result = compute()
    memory.stages[stage] = (inputs, result)
    return result


def per_article(
    memory: Memory | None,
    name: str,
    articles: Sequence[Article],
    make: Callable[[Article], T],
    parses: Sequence[Any] = (),
) -> tuple[T, ...]:
    """`tuple(make(a) for a in articles)`, where `make` reads nothing but the article
    and, with `parses` (each article's, in order), its parse. With a `memory`, an article
    that is the very object in the same place in the last build's list, with the very
    same parse, keeps its last row without a call (`positions.remade`): an edit makes
    one row again, not 10,000."""
    store = memory.by_article if memory is not None else None
    return remade(store, name, articles, make, parses)


def theme_key(config: Config, theme_dirs: Iterable) -> tuple[str, str]:
    """The config and the theme folders (templates and static files), by content."""
    return config_fingerprint(config), tree_fingerprint(list(theme_dirs))


def global_inputs(theme: tuple[str, str], documents: dict[str, list[Document]]) -> str:
    """A fingerprint of everything whose change makes the next build a full one: the
    config and theme (`theme_key`), entity and story documents (`documents` by kind)."""
    others = sorted(
        (str(doc.path), doc.sha256) for kind in ("entities", "stories") for doc in documents[kind]
    )
    return repr((theme, others))


def eligible(memory: Memory | None, inputs: str) -> bool:
    return memory is not None and memory.site is not None and memory.inputs == inputs


def _notes_by_target(site: Site) -> dict[tuple[str, str], list]:
    found: dict[tuple[str, str], list] = {}
    for linked in site.notes:
        found.setdefault((linked.note.target_kind, linked.note.target), []).append(linked)
    return found


def _front(article: Article) -> tuple:
    """Everything of an article but its text: what other pages show of it."""
    return tuple(
        getattr(article, f.name)
        for f in dataclasses.fields(article)
        if f.name not in ("body", "body_line", "sha256")
    )


def changed_articles(old: Site, new: Site) -> tuple[set[str], set[str]]:
    """(articles whose page may differ, articles whose front matter or entity set
    changed: what other pages show of them). Added and removed articles are in both.
    An article whose Article and parse are the very objects of the last build is
    neither (its entity set is made from its parse alone); such articles in the same
    places of both lists are passed over without a Python loop."""
    before = old.articles_by_id()
    old_parsed, new_parsed = old.parsed, new.parsed
    moved = set(before).difference(map(ID, new.articles))
    changed = set(moved)
    candidates: Iterable[Article] = new.articles
    if len(old.articles) == len(new.articles):
        places = changed_places(new.articles, old.articles, new.parses(), old.parses())
        candidates = [new.articles[i] for i in places]
    for article in candidates:
        key = article.id
        earlier = before.get(key)
        if earlier is article and old_parsed.get(key) is new_parsed[key]:
            continue
        if (
            earlier is None
            or (earlier is not article and _front(earlier) != _front(article))
            or _ids_in(old, key) != _ids_in(new, key)
        ):
            moved.add(key)
            changed.add(key)
        elif not same(earlier, article) or not same(old_parsed.get(key), new_parsed[key]):
            changed.add(key)
    return changed, moved


def _ids_in(site: Site, article_id: str) -> frozenset[str]:
    return site.entities.ids_in(article_id) if site.entities is not None else frozenset()


def dirty_pages(old: Site, new: Site) -> dict[str, frozenset[str]]:
    """The ids of the article, story, entity and quote pages of `new` to render again,
    by kind (`QUOTES`: {""} when the quote listings are): every page whose view might
    not be the same as in `old`, as it reads something that changed. Each kind's other
    pages are kept as published."""
    changed, moved = changed_articles(old, new)
    notes = _ChangedNotes(old, new)
    stories, changed_stories = _dirty_stories(old, new, moved, notes)
    return {
        ARTICLE: _dirty_articles(old, new, changed, changed_stories, notes),
        STORY: stories,
        ENTITY: _dirty_entities(old, new, moved, notes),
        **_dirty_quotes(old, new, moved),
    }


class _ChangedNotes:
    """The pages whose notes are not those of the last build."""

    def __init__(self, old: Site, new: Site):
        if old.notes is new.notes:  # the note stage kept its result
            self.changed: set[tuple[str, str]] = set()
            return
        before, after = _notes_by_target(old), _notes_by_target(new)
        self.changed = {t for t in before.keys() | after.keys() if before.get(t) != after.get(t)}

    def of(self, kind: str) -> set[str]:
        return {key for target_kind, key in self.changed if target_kind == kind}


def _dirty_stories(old: Site, new: Site, moved, notes) -> tuple[frozenset[str], set[str]]:
    """Stories read the story, its comparison and its articles' front matter. Returns
    (the stories to render, the stories that changed)."""
    changed_stories: set[str] = set()
    if old.stories is new.stories and not moved and old.comparisons is not new.comparisons:
        # The very stories: those whose comparison is another object, found by place.
        before, after = old.story_comparisons(), new.story_comparisons()  # the same order
        changed_stories = {
            new.stories[i].id for i in changed_places(after, before) if after[i] != before[i]
        }
    elif old.stories is not new.stories or old.comparisons is not new.comparisons or moved:
        old_stories = {s.id: s for s in old.stories}
        for story in new.stories:
            if (
                not same(old_stories.get(story.id), story)
                or not same(old.comparisons.get(story.id), new.comparisons.get(story.id))
                or not moved.isdisjoint(story.articles)
            ):
                changed_stories.add(story.id)
    return frozenset(changed_stories | notes.of(STORY)), changed_stories


def _dirty_articles(old: Site, new: Site, changed, changed_stories, notes) -> frozenset[str]:
    """Articles read the article, its notes, its story and that story's other articles."""
    dirty = set(changed) | notes.of(ARTICLE)
    by_id = {s.id: s for s in new.stories} if changed_stories else {}
    for story_id in changed_stories:
        dirty.update(by_id[story_id].articles)
    if old.stories is not new.stories:  # an article may be in another story now
        stories_old, stories_new = stories_by_article(old), stories_by_article(new)
        for article in new.articles:
            if not same(stories_old.get(article.id), stories_new.get(article.id)):
                dirty.add(article.id)
    return frozenset(dirty)


def _dirty_entities(old: Site, new: Site, moved, notes) -> frozenset[str]:
    """Entities read the entity, its mentions, the front matter and entity sets (related
    entities) of the articles they are in, the quotes it said and their articles'
    titles, its notes."""
    if old.entities is None or new.entities is None:
        return frozenset()
    dirty = notes.of(ENTITY)
    if old.entities is new.entities and old.quotes is new.quotes and not moved:
        return frozenset(dirty)
    before = {e.id: e for e in old.entities.entities}
    said_old, said_new = quotes_by_speaker(old), quotes_by_speaker(new)
    for entity in new.entities.entities:
        key = entity.id
        mentions = (
            (old.entities.mentions.get(key), old.entities.discovered.get(key)),
            (new.entities.mentions.get(key), new.entities.discovered.get(key)),
        )
        said = said_old.get(key, []), said_new.get(key, [])
        if not same(before.get(key), entity) or mentions[0] != mentions[1] or said[0] != said[1]:
            dirty.add(key)
            continue
        if moved:  # what the page shows of the articles it lists
            articles = {m.article for group in mentions[1] for m in group or ()}
            articles.update(a.article for q in said[1] for a in q.appearances)
            if not moved.isdisjoint(articles):
                dirty.add(key)
    return frozenset(dirty)


def _dirty_quotes(old: Site, new: Site, moved) -> dict[str, frozenset[str]]:
    """Quotes read the quote and the titles of the articles that carry it. The listings
    (`quotes/`, by outlet, data/quotes.json): all quotes and all their articles."""
    if old.quotes is new.quotes and not moved:  # the quote stage kept its result
        return {QUOTE: frozenset(), QUOTES: frozenset()}
    old_quotes = {q.id: q for q in old.quotes}
    dirty = {
        quote.id
        for quote in new.quotes
        if not same(old_quotes.get(quote.id), quote)
        or (moved and not moved.isdisjoint(a.article for a in quote.appearances))
    }
    listings = dirty or old.quotes != new.quotes
    return {QUOTE: frozenset(dirty), QUOTES: frozenset({""}) if listings else frozenset()}
