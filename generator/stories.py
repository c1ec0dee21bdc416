"""Stories: which articles report the same event.

An explicit `story:` in an article's front matter wins. Every other article is grouped
automatically when it is close in date (within `WINDOW_DAYS`) and shares enough rare
features with another: entities (ids from the entity stage, or capitalised names as a
stand-in until it runs) and sampled word shingles. Grouping is sub-quadratic: every
feature keeps a posting list sorted by date and only articles within the date window of
each other in one list become candidate pairs (blocking); features shared by very many
articles in one window are skipped as uninformative. Candidate pairs are scored by the
IDF-weighted share of their features and joined best first with a union-find that never
joins two different explicit stories.

`link` is the pipeline stage: it parses each article's paragraphs into sentences,
groups the articles, reads `content/stories/<id>.md` (title and summary), and compares
the articles of every story (see `compare.py`).
"""

from __future__ import annotations

import bisect
import copy
import datetime as dt
import math
import re
import zlib
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from generator import compare as compare_mod
from generator import markup
from generator.articles import SLUG_RE
from generator.config import Config
from generator.errors import Diagnostic, warning
from generator.model import Article, Document
from generator.sentences import (
    STOPWORDS,
    Sentence,
    article_sentences,
    capitalised_names,
    paragraphs,
)
from generator.text import slugify

# mapper(name, fn, items, ident) -> [fn(x) for x in items]; ident(x) names an item
# across builds (the pipeline's mapper reuses an equal item's earlier result).
Mapper = Callable[[str, Callable[[Any], Any], Sequence[Any], Callable[[Any], str]], list[Any]]

WINDOW_DAYS = 3  # articles further apart than this never join automatically
JOIN_MIN = 0.55  # entity overlap + text overlap (each 0..1) for two articles to join
SHINGLE = 4  # words per shingle
SAMPLE = 4  # keep shingles starting at about one word in SAMPLE (chosen by the word)
BLOCK_ENTITIES = 16  # an article's rarest entities and
BLOCK_SHINGLES = 24  # rarest shingles are the keys that find candidate pairs
CROWDED = 200  # a key shared by more articles than this in one window is skipped
STORY_FIELDS = {"title"}
_WORDS = re.compile(r"\w+(?:'\w+)*")


@dataclass(frozen=True)
class Story:
    id: str
    title: str
    articles: tuple[str, ...]  # article ids, oldest first: the comparison's outlet order
    explicit: bool  # formed by `story:` in front matter
    summary_html: str = ""
    path: str = ""  # content/stories/<id>.md when there is one


# Features -------------------------------------------------------------------------------


def shingles(text: str, cache: dict[str, bool]) -> set[str]:
    """Word shingles that start at a sampled content word (the same in every article).

    `cache` remembers each word's sampling decision for one grouping run.
    """
    words = _WORDS.findall(text.lower().replace("’", "'"))
    for word in set(words).difference(cache):
        cache[word] = zlib.crc32(word.encode("utf-8")) % SAMPLE == 0 and word not in STOPWORDS
    last = len(words) - SHINGLE + 1
    return {" ".join(words[i : i + SHINGLE]) for i in range(max(last, 0)) if cache[words[i]]}


def stand_in_entities(sentences: Sequence[Sentence]) -> frozenset[str]:
    """Capitalised names as entity ids, until the entity stage provides real ones."""
    return frozenset(capitalised_names(s.text for s in sentences))


# Grouping -------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupInput:
    id: str
    date: dt.date | None
    story: str  # explicit story id or ""
    text: str  # title and body as plain text


def _candidates(
    keys: Mapping[str, list[str]],
    features: Mapping[str, frozenset[str]],
    ordinal: Mapping[str, int],
) -> set[tuple[str, str]]:
    """Pairs of articles within the date window where one has the other's blocking key.

    A key is one of an article's rarest features; the pair is found through any article
    that has that feature at all, so the two need not share their rarest features.
    """
    owners: dict[str, list[str]] = defaultdict(list)
    for article_id in sorted(keys):
        for key in keys[article_id]:
            owners[key].append(article_id)
    key_features = frozenset(owners)
    holders: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for article_id in sorted(features):
        for feature in features[article_id] & key_features:
            holders[feature].append((ordinal[article_id], article_id))
    pairs: set[tuple[str, str]] = set()
    for feature, found in holders.items():
        if len(found) < 2:
            continue
        found.sort()
        days = [day for day, _ in found]
        for owner in owners[feature]:
            day = ordinal[owner]
            low = bisect.bisect_left(days, day - WINDOW_DAYS)
            high = bisect.bisect_right(days, day + WINDOW_DAYS)
            if high - low > CROWDED:
                continue
            for _day, other in found[low:high]:
                if other != owner:
                    pairs.add((owner, other) if owner < other else (other, owner))
    return pairs


def pair_scores(
    items: Sequence[GroupInput],
    entities_by_article: Mapping[str, frozenset[str]],
    memo: dict | None = None,
) -> list[tuple[float, str, str]]:
    """(score, a, b) for every candidate pair, best first.

    The score adds entity overlap and text overlap, each the IDF-weighted shared features
    over the geometric mean of the two articles' totals (0..1 each). Candidates share one
    of each other's rarest entities or shingles (prefix filtering): common features such
    as boilerplate phrases never make a pair, and a pair that shares nothing rare cannot
    reach the threshold anyway.

    `memo` (a dict the caller keeps between builds) holds each article's features and
    the last scoring: when only some articles' features changed, only the pairs that
    can have changed are scored again (see `_Scoring.update`).
    """
    memo = {} if memo is None else memo
    ordinal, texts, entities = _features(items, entities_by_article, memo)
    last = memo.get("scoring")
    if last is not None and last.ordinal == ordinal:
        scoring = last.update(texts, entities)
    else:
        scoring = _Scoring(ordinal, texts, entities)
    memo["scoring"] = scoring
    return scoring.ranked()


def _features(items: Sequence[GroupInput], entities_by_article, memo: dict):
    """(date ordinal, shingles, entity features) of each dated article; an article whose
    text (or entity set) is unchanged keeps its earlier set, the very same object."""
    sampled = memo.setdefault("sampled", {})  # word -> whether shingles start at it
    earlier = memo.get("features", {})  # article id -> (text, shingles, ids, entities)
    kept: dict[str, tuple] = {}
    entities: dict[str, frozenset[str]] = {}
    texts: dict[str, frozenset[str]] = {}
    ordinal: dict[str, int] = {}
    for item in items:
        if item.date is None:
            continue
        ordinal[item.id] = item.date.toordinal()
        ids = entities_by_article.get(item.id, frozenset())
        last = earlier.get(item.id)
        if last is not None and last[0] == item.text:
            texts[item.id] = last[1]
        else:
            texts[item.id] = frozenset(shingles(item.text, sampled))
        if last is not None and last[2] == ids:
            entities[item.id] = last[3]
        else:
            entities[item.id] = frozenset("\0" + e for e in ids)
        kept[item.id] = (item.text, texts[item.id], ids, entities[item.id])
    memo["features"] = kept
    return ordinal, texts, entities


class _Scoring:
    """Document frequencies, weights, blocking keys, totals and scored candidate pairs
    of one set of dated articles."""

    def __init__(self, ordinal, texts, entities):
        self.ordinal, self.texts, self.entities = ordinal, texts, entities
        self.df: dict[str, int] = defaultdict(int)
        for article_id in ordinal:
            for f in texts[article_id]:
                self.df[f] += 1
            for f in entities[article_id]:
                self.df[f] += 1
        n = max(len(ordinal), 1)
        self.weight = {f: math.log(1.0 + n / count) for f, count in self.df.items()}
        self.keys = {a: self._keys(a) for a in ordinal}
        self.totals = {a: self._total(a) for a in ordinal}
        features = {a: texts[a] | entities[a] for a in ordinal}
        self.pairs = {
            pair: self._score(*pair) for pair in _candidates(self.keys, features, ordinal)
        }

    def _keys(self, article_id: str) -> list[str]:
        article_keys = []
        for sets, limit in ((self.entities, BLOCK_ENTITIES), (self.texts, BLOCK_SHINGLES)):
            shared = [f for f in sets[article_id] if self.df[f] > 1]
            shared.sort(key=lambda f: (self.df[f], f))
            article_keys.extend(shared[:limit])
        return article_keys

    def _total(self, a: str) -> tuple[float, float]:
        weight = self.weight
        return sum(weight[f] for f in self.entities[a]), sum(weight[f] for f in self.texts[a])

    def _score(self, a: str, b: str) -> float:
        score = 0.0
        for index, sets in enumerate((self.entities, self.texts)):
            norm = math.sqrt(self.totals[a][index] * self.totals[b][index])
            if norm > 0:
                score += sum(self.weight[f] for f in sets[a] & sets[b]) / norm
        return score

    def ranked(self) -> list[tuple[float, str, str]]:
        scored = [(score, a, b) for (a, b), score in self.pairs.items()]
        scored.sort(key=lambda t: (-t[0], t[1], t[2]))
        return scored

    def update(self, texts, entities) -> _Scoring:
        """The scoring of the same dated articles with some articles' features changed.

        Only features an edit added or removed change their frequency and weight, so only
        the articles holding one (`touched`) change their keys and totals, and only pairs
        with a touched article can change: whether they are candidates, and their score.
        Every other pair keeps its score, and the result equals a fresh `_Scoring`.
        """
        edited = [
            a
            for a in self.ordinal
            if texts[a] is not self.texts[a] or entities[a] is not self.entities[a]
        ]
        if not edited:
            return self
        new = copy.copy(self)
        new.texts, new.entities = texts, entities
        new.df, new.weight = defaultdict(int, self.df), dict(self.weight)
        changed: set[str] = set()
        for a in edited:
            before, after = self.texts[a] | self.entities[a], texts[a] | entities[a]
            for f in before - after:
                new.df[f] -= 1
            for f in after - before:
                new.df[f] += 1
            changed.update(before ^ after)
        n = max(len(self.ordinal), 1)
        for f in changed:
            if new.df.get(f, 0) > 0:
                new.weight[f] = math.log(1.0 + n / new.df[f])
            else:
                new.df.pop(f, None)
                new.weight.pop(f, None)
        touched = set(edited)
        touched.update(
            a
            for a in self.ordinal
            if not (texts[a].isdisjoint(changed) and entities[a].isdisjoint(changed))
        )
        new.keys, new.totals = dict(self.keys), dict(self.totals)
        for a in touched:
            new.keys[a], new.totals[a] = new._keys(a), new._total(a)
        pairs = {p: s for p, s in self.pairs.items() if touched.isdisjoint(p)}
        for pair in new._candidates_with(touched):
            pairs[pair] = new._score(*pair)
        new.pairs = pairs
        return new

    def _candidates_with(self, touched: set[str]) -> set[tuple[str, str]]:
        """The candidate pairs with a touched article: `_candidates` over the features
        that can make one (a touched article's keys, and the keys of others it holds)."""
        key_features = {f for keys in self.keys.values() for f in keys}
        own = {f for a in touched for f in self.keys[a]}
        held = {f for a in touched for f in (self.texts[a] | self.entities[a]) if f in key_features}
        wanted = own | held
        keys = {a: [f for f in found if f in wanted] for a, found in self.keys.items()}
        keys = {a: found for a, found in keys.items() if found}
        features = {
            a: (self.texts[a] | self.entities[a]) & wanted
            for a in self.ordinal
            if not (self.texts[a].isdisjoint(wanted) and self.entities[a].isdisjoint(wanted))
        }
        return {
            pair
            for pair in _candidates(keys, features, self.ordinal)
            if not touched.isdisjoint(pair)
        }


def group(
    items: Sequence[GroupInput],
    entities_by_article: Mapping[str, frozenset[str]],
    memo: dict | None = None,
) -> dict[str, list[str]]:
    """{story id: [article ids]} for explicit stories and automatic groups of 2 or more.

    Automatic groups are keyed by "\0" + one member's id; `link` names them.
    """
    scored = [t for t in pair_scores(items, entities_by_article, memo) if t[0] >= JOIN_MIN]

    parent = {item.id: item.id for item in items}
    label = {item.id: item.story for item in items}
    size = {item.id: 1 for item in items}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra == rb or (label[ra] and label[rb] and label[ra] != label[rb]):
            return
        if (size[ra], rb) < (size[rb], ra):
            ra, rb = rb, ra
        parent[rb] = ra
        size[ra] += size[rb]
        label[ra] = label[ra] or label[rb]

    by_story: dict[str, str] = {}
    for item in items:  # explicit stories first: one root per story id
        if item.story:
            if item.story in by_story:
                union(by_story[item.story], item.id)
            by_story.setdefault(item.story, item.id)
    for _score, a, b in scored:
        union(a, b)
    groups: dict[str, list[str]] = defaultdict(list)
    for item in items:
        groups[find(item.id)].append(item.id)
    result: dict[str, list[str]] = {}
    for root, members in groups.items():
        if label[root]:
            result[label[root]] = sorted(members)
        elif len(members) > 1:
            result["\0" + root] = sorted(members)  # named below
    return result


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
    sentences = dict(
        zip(
            (a.id for a in articles),
            mapper("sentences", lambda a: sentences_of(md, a), articles, _article_id),
            strict=True,
        )
    )
    names = dict(entity_names or {})
    if entities_by_article is None:  # stand-in until the entity stage provides ids
        found = {a.id: capitalised_names(s.text for s in sentences[a.id]) for a in articles}
        entities_by_article = {a: frozenset(ids) for a, ids in found.items()}
        for article_id in sorted(found):
            for key, name in found[article_id].items():
                names.setdefault(key, name)
    entity_sets = entities_by_article
    problems: list[Diagnostic] = []
    story_ids = {}
    for a in articles:
        story_ids[a.id] = a.story
        if a.story and not SLUG_RE.match(a.story):
            story_ids[a.id] = slugify(a.story) or "story"
            problems.append(
                warning(
                    a.path,
                    None,
                    f"story id '{a.story}' is not lowercase letters, digits and hyphens: "
                    f"using '{story_ids[a.id]}'; write `story: {story_ids[a.id]}`",
                )
            )
    items = [
        GroupInput(
            a.id,
            a.date,
            story_ids[a.id],
            a.title + "\n" + " ".join(s.text for s in sentences[a.id]),
        )
        for a in articles
    ]
    grouped = group(items, entity_sets, memo)
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

    inputs = [_compare_input(s, sentences, entity_sets, names, quotes_by_article) for s in stories]
    found_comparisons = mapper("compare", _compare, inputs, _story_id)
    comparisons = dict(zip((s.id for s in stories), found_comparisons, strict=True))
    return tuple(stories), comparisons, problems


@dataclass(frozen=True)
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


def _article_id(article: Article) -> str:
    return article.id


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
