"""Stories: which articles report the same event.

An explicit `story:` in an article's front matter wins. Every other article is grouped
automatically with the articles it shares enough rare features with (see `grouping.py`).

`link` is the pipeline stage: it parses each article's paragraphs into sentences,
groups the articles, reads `content/stories/<id>.md` (title and summary), and compares
the articles of every story (see `compare.py`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from generator import compare as compare_mod
from generator import markup
from generator.articles import SLUG_RE
from generator.config import Config
from generator.errors import Diagnostic, warning
from generator.grouping import GroupInput, group
from generator.model import Article, Document, same
from generator.positions import ID, changed_places, remade, same_objects
from generator.sentences import (
    Sentence,
    article_sentences,
    capitalised_names,
    paragraphs,
)
from generator.text import slugify

# mapper(name, fn, items, ident) -> [fn(x) for x in items]; ident(x) names an item
# across builds (the pipeline's mapper reuses an equal item's earlier result).
Mapper = Callable[[str, Callable[[Any], Any], Sequence[Any], Callable[[Any], str]], list[Any]]

STORY_FIELDS = {"title"}


@dataclass(frozen=True, slots=True)
class Story:
    id: str
    title: str
    articles: tuple[str, ...]  # article ids, oldest first: the comparison's outlet order
    explicit: bool  # formed by `story:` in front matter
    summary_html: str = ""
    path: str = ""  # content/stories/<id>.md when there is one


# The pipeline stage ----------------------------------------------------------------------


def sentences_of(md, article: Article) -> tuple[Sentence, ...]:
    env = {"digest": markup.RenderEnv()}
    return article_sentences(article.id, paragraphs(md.parse(article.body, env)))


def _auto_id(articles: Sequence[Article], taken: set[str]) -> str:
    lead = min(articles, key=lambda a: (a.title_derived, a.date or dt.date.min, a.id))
    base = slugify(lead.title, max_words=8) or "story"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _story_title(articles: Sequence[Article]) -> str:
    lead = min(articles, key=lambda a: (a.title_derived, a.date or dt.date.min, a.id))
    return lead.title


def link(
    config: Config,
    articles: Sequence[Article],
    story_docs: Sequence[Document],
    *,
    entities_by_article: Mapping[str, frozenset[str]] | None = None,
    entity_names: Mapping[str, str] | None = None,
    quotes_by_article: Mapping[str, Sequence[object]] | None = None,
    mapper: Mapper | None = None,
    memo: dict | None = None,
) -> tuple[tuple[Story, ...], dict[str, compare_mod.Comparison], list[Diagnostic]]:
    """Group articles into stories and compare each story's articles.

    `mapper(name, fn, items)` is `[fn(x) for x in items]` by another route: the pipeline's
    shares the work between processes and reuses results cached under `name` (so each
    item must be everything `fn` reads: "sentences" maps articles, "compare" maps
    `CompareInput`s). `memo` is grouping's, kept by the caller between builds.
    """
    mapper = mapper or (lambda _name, fn, items, _ident: [fn(x) for x in items])
    md = markup.make_markdown(config)
    ids = tuple(map(ID, articles))
    split = mapper("sentences", lambda a: sentences_of(md, a), articles, ID)
    sentences = dict(zip(ids, split, strict=True))
    names = dict(entity_names or {})
    if entities_by_article is None:  # stand-in until the entity stage provides ids
        found = {a.id: capitalised_names(s.text for s in sentences[a.id]) for a in articles}
        entities_by_article = {a: frozenset(ids) for a, ids in found.items()}
        for article_id in sorted(found):
            for key, name in found[article_id].items():
                names.setdefault(key, name)
    entity_sets = entities_by_article
    problems: list[Diagnostic] = []
    story_ids = dict(zip(ids, map(_STORY, articles), strict=True))
    # Each story id named once is checked once (no Python loop over the articles).
    wrong = {
        n: slugify(n) or "story" for n in set(story_ids.values()) if n and not SLUG_RE.match(n)
    }
    for a in articles if wrong else ():
        if a.story in wrong:
            story_ids[a.id] = wrong[a.story]
            problems.append(
                warning(
                    a.path,
                    None,
                    f"story id '{a.story}' is not lowercase letters, digits and hyphens: "
                    f"using '{story_ids[a.id]}'; write `story: {story_ids[a.id]}`",
                )
            )
    memo = {} if memo is None else memo
    items = _group_inputs(articles, story_ids, sentences, memo)
    grouped = group(items, entity_sets, memo)
    # The same groups, story files and config, and the same of each article what naming
    # and ordering the stories read (not its text): the same stories.
    titles = remade(memo, "naming", articles, _NAMING)
    read = (titles, tuple(story_docs), config)
    last = memo.get("stories")
    if last is not None and last[0] == grouped and last[1] == read:
        stories, found = last[2]
    else:
        stories, found = _stories(grouped, articles, story_docs, md)
        memo["stories"] = (grouped, read, (stories, found))
    problems.extend(found)

    inputs = _compare_inputs(stories, sentences, entity_sets, names, quotes_by_article, memo)
    found_comparisons = mapper("compare", _compare, inputs, _story_id)
    comparisons = dict(zip((s.id for s in stories), found_comparisons, strict=True))
    return stories, comparisons, problems  # kept stories: the very tuple of the last build


def _stories(grouped, articles, story_docs, md) -> tuple[tuple[Story, ...], list[Diagnostic]]:
    """The stories of `group`'s groups, named and titled, newest first; and the warnings
    about story files."""
    problems: list[Diagnostic] = []
    by_id = {a.id: a for a in articles}
    taken = {key for key in grouped if not key.startswith("\0")}
    docs = {doc.id: doc for doc in story_docs}
    stories: list[Story] = []
    for key in sorted(grouped, key=lambda k: (k.startswith("\0"), k)):
        members = sorted(
            (by_id[i] for i in grouped[key]), key=lambda a: (a.date or dt.date.min, a.source, a.id)
        )
        explicit = not key.startswith("\0")
        story_id = key if explicit else _auto_id(members, taken)
        taken.add(story_id)
        doc = docs.get(story_id)
        title = _story_title(members)
        summary = ""
        if doc is not None:
            value = doc.meta.get("title")
            if isinstance(value, str) and value.strip():
                title = value.strip()
            elif value is not None:
                problems.append(warning(doc.path, doc.line_of("title"), "'title' must be text"))
            for unknown in sorted(set(doc.meta) - STORY_FIELDS, key=str):
                problems.append(
                    warning(doc.path, doc.line_of(str(unknown)), f"unknown field '{unknown}'")
                )
            if doc.body.strip():
                summary = markup.render(md, doc.body).html
        stories.append(
            Story(
                story_id,
                title,
                tuple(a.id for a in members),
                explicit,
                summary,
                str(doc.path) if doc else "",
            )
        )
    known = {s.id for s in stories}
    for doc_id in sorted(set(docs) - known):
        doc = docs[doc_id]
        problems.append(
            warning(
                doc.path,
                1,
                f"no articles belong to story '{doc_id}': add `story: {doc_id}` to their "
                "front matter, or rename this file to a story id listed in data/stories.json",
            )
        )
    stories.sort(
        key=lambda s: (-max(_ordinal(by_id[a]) for a in s.articles), s.title.lower(), s.id)
    )
    return tuple(stories), problems


def _group_inputs(articles, story_ids, sentences, memo: dict) -> list[GroupInput]:
    """Each article's `GroupInput`. One whose article and sentences (the very same
    tuple, kept by the mapper) are the very objects of the last build is kept
    (`positions.remade`, by id when articles were added or removed), so its text is
    not joined again."""

    def make(a: Article) -> GroupInput:
        text = a.title + "\n" + " ".join(s.text for s in sentences[a.id])
        return GroupInput(a.id, a.date, story_ids[a.id], text)

    own = tuple(map(sentences.__getitem__, map(ID, articles)))
    return list(remade(memo, "group_inputs", articles, make, own, key=ID))


def _compare_inputs(stories, sentences, entity_sets, names, quotes_by_article, memo: dict):
    """Each story's `CompareInput`. While the entity names are those of the last build,
    a story equal to the last build's whose articles' sentences, entity sets and quotes
    are too (mostly the very same objects) keeps its input. When the articles and the
    stories are those of the last build, in order, only the stories of the articles
    whose parts are not the very objects they were are looked at (`_changed_inputs`)."""
    quotes = {} if quotes_by_article is None else quotes_by_article
    context = (names, quotes_by_article is None)
    order = tuple(sentences)  # the articles' ids, in order
    parts = (
        tuple(sentences.values()),
        tuple(map(entity_sets.get, order)),
        tuple(map(quotes.get, order)),
    )
    stories = tuple(stories)
    last = memo.get("compare_positions")
    if last is not None and last[0] == context and last[1] == order:
        inputs = _changed_inputs(
            last, parts, stories, sentences, entity_sets, names, quotes_by_article
        )
        if inputs is not None:
            memo["compare_positions"] = (context, order, parts, stories, last[4], inputs)
            return list(inputs)
    earlier = memo.get("compare_inputs", {}) if memo.get("compare_context") == context else {}
    made: dict[str, tuple] = {}
    inputs: list[CompareInput] = []
    story_of: dict[str, int] = {}
    for index, story in enumerate(stories):
        story_parts = tuple(
            (sentences[a], entity_sets.get(a), quotes.get(a)) for a in story.articles
        )
        old = earlier.get(story.id)
        if old is not None and old[0] == story and _same_parts(old[1], story_parts):
            given = old[2]
        else:
            given = _compare_input(story, sentences, entity_sets, names, quotes_by_article)
        inputs.append(given)
        made[story.id] = (story, story_parts, given)
        story_of.update(dict.fromkeys(story.articles, index))
    memo["compare_inputs"], memo["compare_context"] = made, context
    memo["compare_positions"] = (context, order, parts, stories, story_of, tuple(inputs))
    return inputs


def _changed_inputs(last, parts, stories, sentences, entity_sets, names, quotes_by_article):
    """The last build's inputs, made again for the stories of the articles whose
    sentences, entity set or quotes are not the very objects they were; None when the
    stories are not the very objects of the last build."""
    _, order, old_parts, old_stories, story_of, old_inputs = last
    if not same_objects(stories, old_stories):
        return None
    changed = set().union(*map(changed_places, parts, old_parts))
    inputs = list(old_inputs)
    for place in {story_of[order[i]] for i in changed if order[i] in story_of}:
        given = _compare_input(stories[place], sentences, entity_sets, names, quotes_by_article)
        inputs[place] = given
    return tuple(inputs)


def _same_parts(old: tuple, new: tuple) -> bool:
    return len(old) == len(new) and all(
        same(x, y) for a, b in zip(old, new, strict=True) for x, y in zip(a, b, strict=True)
    )


@dataclass(frozen=True, slots=True)
class CompareInput:
    """Everything comparing one story reads: its articles' sentences, entities and quotes."""

    story: str
    order: tuple[str, ...]
    sentences: tuple[tuple[str, tuple[Sentence, ...]], ...]
    entities: tuple[tuple[str, tuple[str, ...]], ...]  # sorted: a set's pickle would vary
    names: tuple[tuple[str, str], ...]
    quotes: tuple[tuple[str, tuple[Any, ...]], ...] | None


def _compare_input(
    story: Story,
    sentences: Mapping[str, tuple[Sentence, ...]],
    entity_sets: Mapping[str, frozenset[str]],
    names: Mapping[str, str],
    quotes_by_article: Mapping[str, Sequence[object]] | None,
) -> CompareInput:
    members = story.articles
    # Sorted tuples, not sets: the cache key is a pickle, and a set pickles in its hash
    # order, which changes from one process to the next (every comparison would miss).
    entities = tuple((a, tuple(sorted(entity_sets.get(a, ())))) for a in members)
    ids = sorted(set().union(*(ids for _a, ids in entities)))
    quotes = None
    if quotes_by_article is not None:
        quotes = tuple((a, tuple(quotes_by_article.get(a, ()))) for a in members)
    return CompareInput(
        story.id,
        tuple(members),
        tuple((a, tuple(sentences[a])) for a in members),
        entities,
        tuple((i, names[i]) for i in ids if i in names),
        quotes,
    )


_NAMING = attrgetter("id", "date", "source", "title", "title_derived")  # see `link`
_STORY = attrgetter("story")


def _story_id(given: CompareInput) -> str:
    return given.story


def _compare(given: CompareInput) -> compare_mod.Comparison:
    quotes = dict(given.quotes) if given.quotes is not None else None
    return compare_mod.compare(
        given.story,
        dict(given.sentences),
        given.order,
        entities_by_article={a: frozenset(ids) for a, ids in given.entities},
        entity_names=dict(given.names),
        quotes_by_article=quotes,
    )


def _ordinal(article: Article) -> int:
    return article.date.toordinal() if article.date else 0
