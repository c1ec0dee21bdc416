"""Grouping articles into stories automatically: which articles report the same event.

An article is grouped with another when it is close in date (within `WINDOW_DAYS`) and
shares enough rare features with it: entities (ids from the entity stage, or capitalised
names as a stand-in until it runs) and sampled word shingles. Grouping is sub-quadratic:
every feature keeps a posting list sorted by date and only articles within the date
window of each other in one list become candidate pairs (blocking); features shared by
very many articles in one window are skipped as uninformative. Candidate pairs are
scored by the IDF-weighted share of their features and joined best first with a
union-find that never joins two different explicit stories (`story:` in front matter).

`stories.link`, the pipeline stage, calls `group`.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import re
import zlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import compress, repeat
from operator import attrgetter, is_not, itemgetter, not_, or_

from generator.positions import ID, remade
from generator.sentences import STOPWORDS, Sentence, capitalised_names

WINDOW_DAYS = 3  # articles further apart than this never join automatically
JOIN_MIN = 0.55  # entity overlap + text overlap (each 0..1) for two articles to join
SHINGLE = 4  # words per shingle
SAMPLE = 4  # keep shingles starting at about one word in SAMPLE (chosen by the word)
BLOCK_ENTITIES = 16  # an article's rarest entities and
BLOCK_SHINGLES = 24  # rarest shingles are the keys that find candidate pairs
CROWDED = 200  # a key shared by more articles than this in one window is skipped
_WORDS = re.compile(r"\w+(?:'\w+)*")


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


@dataclass(frozen=True, slots=True)
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
    minimum: float = -math.inf,
) -> list[tuple[float, str, str]]:
    """(score, a, b) for every candidate pair scoring at least `minimum`, best first.

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
    last = memo.pop("scoring", None)  # updated in place: gone if the update fails
    if last is not None and last.ordinal == ordinal:
        scoring = last.update(texts, entities)
    else:
        scoring = _Scoring(ordinal, texts, entities)
    memo["scoring"] = scoring
    return scoring.ranked(minimum)


def _features(items: Sequence[GroupInput], entities_by_article, memo: dict):
    """(date ordinal, shingles, entity features) of each dated article. With the `memo`
    of the last build, an article whose input (and entity set) is the very object it was
    keeps its features, the very same objects (`positions.remade`)."""
    sampled = memo.setdefault("sampled", {})  # word -> whether shingles start at it
    sets = tuple(map(entities_by_article.get, map(ID, items)))

    def entity_features(item: GroupInput) -> frozenset[str]:
        return frozenset("\0" + e for e in entities_by_article.get(item.id, ()))

    def text_features(item: GroupInput) -> frozenset[str]:
        return frozenset(shingles(item.text, sampled)) if item.date else frozenset()

    def ordinal_of(item: GroupInput) -> int:
        return item.date.toordinal() if item.date else 0

    dated = tuple(map(is_not, map(_DATE, items), repeat(None)))
    ids = tuple(compress(map(ID, items), dated))
    ordinals = remade(memo, "ordinals", items, ordinal_of, key=ID)
    texts = remade(memo, "shingles", items, text_features, key=ID)
    entities = remade(memo, "entity features", items, entity_features, sets, key=ID)
    return tuple(
        dict(zip(ids, compress(made, dated), strict=True)) for made in (ordinals, texts, entities)
    )


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
        self._ranked: dict[float, list[tuple[float, str, str]]] = {}  # by minimum
        self._pairs_of: dict[str, set[tuple[str, str]]] | None = None  # see `update`
        self.by_day = sorted((day, a) for a, day in ordinal.items())
        self.days = [day for day, _a in self.by_day]

    def _keys(self, article_id: str) -> list[str]:
        article_keys = []
        for sets, limit in ((self.entities, BLOCK_ENTITIES), (self.texts, BLOCK_SHINGLES)):
            shared = [f for f in sets[article_id] if self.df[f] > 1]
            shared.sort(key=lambda f: (self.df[f], f))
            article_keys.extend(shared[:limit])
        return article_keys

    # Sums over sets use math.fsum: a set's order depends on the hash seed and on how the
    # set was made, and an ordinary float sum on the order (DESIGN.md convention 11).
    def _total(self, a: str) -> tuple[float, float]:
        weight = self.weight
        entities, texts = self.entities[a], self.texts[a]
        return math.fsum(weight[f] for f in entities), math.fsum(weight[f] for f in texts)

    def _score(self, a: str, b: str) -> float:
        score = 0.0
        for index, sets in enumerate((self.entities, self.texts)):
            norm = math.sqrt(self.totals[a][index] * self.totals[b][index])
            if norm > 0:
                score += math.fsum(self.weight[f] for f in sets[a] & sets[b]) / norm
        return score

    def ranked(self, minimum: float) -> list[tuple[float, str, str]]:
        """The pairs scoring at least `minimum`, best first (kept: do not change it)."""
        found = self._ranked.get(minimum)
        if found is None:
            found = [(score, a, b) for (a, b), score in self.pairs.items() if score >= minimum]
            found.sort(key=_rank)
            self._ranked[minimum] = found
        return found

    def update(self, texts, entities) -> _Scoring:
        """This scoring, updated in place for the same dated articles with some articles'
        features changed.

        Only features an edit added or removed change their frequency and weight, so only
        the articles holding one (`touched`) change their keys and totals, and only pairs
        with a touched article can change: whether they are candidates, and their score.
        Every other pair keeps its score, and the result equals a fresh `_Scoring`.
        """
        ids = tuple(self.ordinal)
        differ = map(
            or_,
            map(is_not, map(texts.__getitem__, ids), map(self.texts.__getitem__, ids)),
            map(is_not, map(entities.__getitem__, ids), map(self.entities.__getitem__, ids)),
        )
        edited = list(compress(ids, differ))
        if not edited:
            return self
        before = {a: self.texts[a] | self.entities[a] for a in edited}
        self.texts, self.entities = texts, entities
        df, weight = self.df, self.weight
        changed: set[str] = set()
        for a in edited:
            after = texts[a] | entities[a]
            for f in before[a] - after:
                df[f] -= 1
            for f in after - before[a]:
                df[f] += 1
            changed.update(before[a] ^ after)
        n = max(len(self.ordinal), 1)
        for f in changed:
            if df.get(f, 0) > 0:
                weight[f] = math.log(1.0 + n / df[f])
            else:
                df.pop(f, None)
                weight.pop(f, None)
        touched = set(edited) | self._holders(changed, edited)
        for a in touched:
            self.keys[a], self.totals[a] = self._keys(a), self._total(a)
        pairs, pairs_of = self.pairs, self._pairs_with()
        for a in touched:  # their pairs go; the untouched keep their order
            for pair in pairs_of.pop(a, ()):
                if pairs.pop(pair, None) is not None:
                    other = pair[1] if pair[0] == a else pair[0]
                    pairs_of.get(other, set()).discard(pair)
        rescored = [(self._score(*pair), *pair) for pair in self._candidates_with(touched)]
        for score, a, b in rescored:
            pairs[(a, b)] = score
            pairs_of.setdefault(a, set()).add((a, b))
            pairs_of.setdefault(b, set()).add((a, b))
        # Each ranking kept: the untouched pairs in their order (found without a Python
        # loop), and each rescored pair put in its place.
        rescored.sort(key=_rank)
        for minimum, found in self._ranked.items():
            hit = touched.__contains__
            held = map(or_, map(hit, map(_FIRST, found)), map(hit, map(_SECOND, found)))
            kept = list(compress(found, map(not_, held)))
            for scored in rescored:
                if scored[0] >= minimum:
                    bisect.insort(kept, scored, key=_rank)
            self._ranked[minimum] = kept
        return self

    def _pairs_with(self) -> dict[str, set[tuple[str, str]]]:
        """Each article's candidate pairs, made at the first update (a build that never
        updates does without): an edit then drops its pairs without copying the others
        (a copy of every pair was 56 ms of an article edit at 10,000 articles)."""
        if self._pairs_of is None:
            self._pairs_of = defaultdict(set)
            for pair in self.pairs:
                self._pairs_of[pair[0]].add(pair)
                self._pairs_of[pair[1]].add(pair)
        return self._pairs_of

    def _holders(self, changed: set[str], edited: list[str]) -> set[str]:
        """The articles that hold a changed feature. None but the edited ones can when
        each changed feature's frequency is the number of edited articles holding it
        (an edit's new or dropped words are mostly its own): then nothing is searched."""
        held = defaultdict(int)
        for a in edited:
            for f in changed & (self.texts[a] | self.entities[a]):
                held[f] += 1
        if all(self.df.get(f, 0) <= held[f] for f in changed):
            return set()
        texts, entities = self.texts, self.entities
        return {
            a
            for a in self.ordinal
            if not (texts[a].isdisjoint(changed) and entities[a].isdisjoint(changed))
        }

    def _near(self, touched: set[str]) -> set[str] | dict[str, int]:
        """The articles within two date windows of a touched article: every candidate
        pair with a touched article, and every window such a pair is judged by (an owner
        of a key is within one window of the touched article; its window within two)."""
        if len(touched) * 16 > len(self.ordinal):
            return self.ordinal
        span, found = 2 * WINDOW_DAYS, set()
        for a in touched:
            day = self.ordinal[a]
            low = bisect.bisect_left(self.days, day - span)
            high = bisect.bisect_right(self.days, day + span)
            found.update(other for _day, other in self.by_day[low:high])
        return found

    def _candidates_with(self, touched: set[str]) -> set[tuple[str, str]]:
        """The candidate pairs with a touched article: `_candidates` over the articles
        near one (`_near`) and the features that can make one (a touched article's keys,
        and the keys of others it holds)."""
        near = self._near(touched)
        key_features = {f for a in near for f in self.keys[a]}
        own = {f for a in touched for f in self.keys[a]}
        held = {f for a in touched for f in (self.texts[a] | self.entities[a]) if f in key_features}
        wanted = own | held
        keys = {a: [f for f in self.keys[a] if f in wanted] for a in near}
        keys = {a: found for a, found in keys.items() if found}
        features = {
            a: (self.texts[a] | self.entities[a]) & wanted
            for a in near
            if not (self.texts[a].isdisjoint(wanted) and self.entities[a].isdisjoint(wanted))
        }
        return {
            pair
            for pair in _candidates(keys, features, self.ordinal)
            if not touched.isdisjoint(pair)
        }


_ID_STORY, _PAIR, _DATE = attrgetter("id", "story"), itemgetter(1, 2), attrgetter("date")
_FIRST, _SECOND = itemgetter(1), itemgetter(2)  # of a scored pair (score, a, b)


def _rank(scored: tuple[float, str, str]) -> tuple[float, str, str]:
    return -scored[0], scored[1], scored[2]


def warm(memo: dict) -> None:
    """Make now what the first update of the kept scoring (`pair_scores` with the `memo`
    of the last build) makes: each article's pairs, 60-100 ms at 10,000 articles."""
    scoring = memo.get("scoring")
    if scoring is not None:
        scoring._pairs_with()


def group(
    items: Sequence[GroupInput],
    entities_by_article: Mapping[str, frozenset[str]],
    memo: dict | None = None,
) -> dict[str, list[str]]:
    """{story id: [article ids]} for explicit stories and automatic groups of 2 or more.

    Automatic groups are keyed by "\0" + one member's id; `link` names them.
    """
    memo = {} if memo is None else memo
    scored = pair_scores(items, entities_by_article, memo, JOIN_MIN)
    # The same pairs in the same order (only their scores may differ: an article's text
    # edited) and the same explicit stories: the same groups as the last build. So too
    # when only pairs that join nothing moved (`_joining`).
    explicit = tuple(map(_ID_STORY, items))
    pairs = tuple(map(_PAIR, scored))
    last = memo.get("grouped")
    if last is not None and last[1] == explicit:
        if last[0] is scored or last[3] == pairs:
            return last[2]
        joining = _joining(pairs, explicit)
        grouped = last[2] if joining == last[4] else _joined(items, joining)
    else:
        joining = _joining(pairs, explicit)
        grouped = _joined(items, joining)
    memo["grouped"] = (scored, explicit, grouped, pairs, joining)
    return grouped


def _joining(pairs: tuple[tuple[str, str], ...], explicit) -> tuple[tuple[str, str], ...]:
    """The pairs that may join two articles: not those of two articles with explicit
    stories (of one story, they are joined already; of two, they never are)."""
    labelled = {key for key, story in explicit if story}
    return tuple(p for p in pairs if p[0] not in labelled or p[1] not in labelled)


def _joined(items: Sequence[GroupInput], pairs) -> dict[str, list[str]]:
    """`group`'s union-find over the ranked pairs (id, id)."""

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
    for a, b in pairs:
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
