"""Frozen dataclasses that every stage passes along. No behaviour beyond small helpers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.config import Config
from generator.errors import Diagnostic
from generator.positions import ID

if TYPE_CHECKING:
    from generator.compare import Comparison
    from generator.stories import Story


@dataclass(frozen=True, slots=True)
class Document:
    """One file under content/: front matter, body and where each came from."""

    path: Path  # relative to the project root, for messages
    kind: str  # "articles", "entities", "notes", "stories"
    id: str  # file stem
    meta: dict[str, Any]
    meta_lines: dict[str, int]  # top-level key -> line in the file (1-based)
    body: str
    body_line: int  # line of the file where the body starts (1-based)
    sha256: str

    def line_of(self, key: str) -> int:
        return self.meta_lines.get(key, 1)


@dataclass(frozen=True, slots=True)
class Article:
    id: str
    slug: str
    title: str
    source: str
    date: dt.date | None
    body: str
    path: Path
    body_line: int
    sha256: str
    dateline: str = ""
    standfirst: str = ""
    byline: str = ""
    url: str = ""
    story: str = ""
    seed: str = ""
    seed_sha256: str = ""
    title_derived: bool = False
    tags: tuple[str, ...] = ()

    @property
    def sort_key(self) -> tuple:
        # Newest first, then by title and id for a stable order.
        return (-(self.date.toordinal() if self.date else 0), self.title.lower(), self.id)


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    text: str
    anchor: str


@dataclass(frozen=True, slots=True)
class Parsed:
    """What parsing one article's Markdown yields (cached by content hash)."""

    html: str
    headings: tuple[Heading, ...]
    paragraphs: int
    word_count: int
    anchors: frozenset[str]
    # Editor notes: where each note on this article landed (notes_markup.NoteAnchor).
    notes: tuple[Any, ...] = ()
    quotes: tuple[Any, ...] = ()  # quotes.ArticleQuote, found by the quotes core rule
    # What plugins found while rendering (e.g. "entities": entity_rule.EntityResults).
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class QuoteAppearance:
    """One quote in one article (see quote_index.py)."""

    article: str  # article id
    source: str  # outlet
    paragraph: int  # p-N of the paragraph where it starts
    anchor: str  # element id of the quote in the article page
    text: str  # the words as this outlet has them
    kind: str  # full | partial
    speaker_name: str | None


@dataclass(frozen=True, slots=True)
class Quote:
    """A quote with every article that carries it (merged across outlets)."""

    id: str
    text: str
    kind: str  # full | partial
    speaker: str | None  # entity id (or slug of speaker_name); None: unattributed
    speaker_name: str | None
    speaker_is_entity: bool  # True when an entity resolver knew the speaker
    appearances: tuple[QuoteAppearance, ...]


@dataclass(frozen=True)
class Site:
    """The whole linked digest: everything rendering needs, nothing it must compute."""

    config: Config
    articles: tuple[Article, ...]
    parsed: dict[str, Parsed]  # article id -> parsed body
    diagnostics: tuple[Diagnostic, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    # Editor notes, newest first (notes.LinkedNote).
    notes: tuple[Any, ...] = ()
    quotes: tuple[Quote, ...] = ()  # quote_index.link_quotes: every quote, merged
    # Entities (issue 3): registry + discovered names, mentions by entity
    # (`entity_index.EntityIndex`), and every article's mentions in order.
    entities: Any = None
    mentions: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    # Stories (generator/stories.py) and each story's comparison (generator/compare.py).
    stories: tuple[Story, ...] = ()
    comparisons: dict[str, Comparison] = field(default_factory=dict)

    def derived(self, name: str, factory: Callable[[], Any], *reads: str) -> Any:
        """A lookup derived from this Site (e.g. articles by id), computed once per build.

        Views call this instead of rebuilding the same index for every page; the memo
        lives and dies with this Site object, so nothing leaks between builds. `reads`:
        the fields `factory` reads, if it reads nothing else: see `inherit`.
        """
        memo = self.extra.setdefault("_derived", {})
        found = memo.get(name)
        if found is None:
            found = memo[name] = (reads, factory())
        return found[1]

    def inherit(self, last: Site) -> None:
        """Take the derived lookups of `last` (the build before this one, in `digest
        serve`) whose fields read are the very objects here: an edit to one note leaves
        the articles and stories as they were, and their indexes (1-2 ms each at 10,000
        articles) need not be made again. A lookup made with no `reads` is never taken."""
        mine = self.extra.setdefault("_derived", {})
        for name, (reads, value) in last.extra.get("_derived", {}).items():
            same = all(getattr(self, f) is getattr(last, f) for f in reads)
            if reads and same and name not in mine:
                mine[name] = (reads, value)

    def parses(self) -> tuple[Parsed, ...]:
        """Each article's parse, in the order of `articles`."""
        by_order = self.parsed.__getitem__
        return self.derived(
            "parses", lambda: tuple(map(by_order, map(ID, self.articles))), "articles", "parsed"
        )

    def story_comparisons(self) -> tuple[Comparison | None, ...]:
        """Each story's comparison, in the order of `stories`."""
        by_story = self.comparisons.get
        return self.derived(
            "comparisons",
            lambda: tuple(map(by_story, map(ID, self.stories))),
            "stories",
            "comparisons",
        )

    def articles_by_id(self) -> dict[str, Article]:
        return self.derived(
            "articles_by_id",
            lambda: dict(zip(map(ID, self.articles), self.articles, strict=True)),
            "articles",
        )

    def article(self, article_id: str) -> Article:
        return self.articles_by_id()[article_id]


@dataclass(frozen=True, slots=True)
class Output:
    """One file of the built site: its path relative to `site/` and its bytes.

    `kept`: not rendered again, the published file stays (a listing, `Renderer.listing`).
    `differs`: known to differ from the published file, so written without reading that
    first (`data_files.json_rows`).
    `patch`: the bytes as pieces of the published file and new bytes, with `data` empty
    (`data_files.json_rows` in `digest serve`'s in-place rebuilds, whose writer,
    `SiteWriter.update`, copies the unchanged rows inside the kernel instead of writing
    every byte again: `data/stories.json` is 200 MB at 10,000 articles)."""

    path: str
    data: bytes
    kept: bool = False
    differs: bool = False
    patch: Patch | None = None


@dataclass(frozen=True, slots=True)
class KeptPages:
    """Pages of an incremental rebuild that are not rendered again: their published
    files stay (`Renderer.split`). One stands for every kept page of a kind, so a
    rebuild makes no output for each of the 10,000 pages it keeps."""

    paths: frozenset[str]


@dataclass(frozen=True, slots=True)
class Patch:
    """A file's new bytes made from its published version: each piece is a byte range
    `(start, end)` of the published file or new bytes, in order. `old_size` is the size
    of the published file the ranges refer to: the writer checks it before copying."""

    old_size: int
    pieces: tuple[tuple[int, int] | bytes, ...]

    @property
    def unchanged(self) -> bool:
        """Every byte where it was: nothing to write."""
        return self.pieces == ((0, self.old_size),)


# A row of a data file: (name, inputs, make). `make()` gives the row; `inputs` is
# everything it reads that can change between two builds with the same config and theme
# (`data_files.json_rows` keeps a row's bytes while its inputs are equal).
Row = tuple[str, Any, Callable[[], Any]]


def same(old: Any, new: Any) -> bool:
    """Equal. Results `digest serve` keeps are mostly the very same objects in the next
    build, and those are not compared field by field."""
    return old is new or old == new
