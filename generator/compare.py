"""How each outlet reported the same event: sentence alignment across 2..N articles.

`compare(...)` takes the sentences of every article of a story and returns a
`Comparison`: aligned units (`same`, `variant`, `only`), word-level differences, the
discrepancies that change facts, and what only one outlet reports (sentences, entities,
quotes), plus coverage of entities and quotes per outlet.

Alignment never assumes the outlets tell the story in the same order:

1. Candidate sentence pairs come from an inverted index of content-word stems, so only
   sentences that share a word are ever scored (no all-pairs matrix).
2. A pair's score is the Dice coefficient of the two sentences' content stems; identical
   sentences (after normalising typography) score 1.
3. Pairs are taken best first and joined into units with a union-find that keeps at most
   one part per article in a unit, so a unit gathers the same sentence across N outlets.
4. A sentence left alone next to a matched one joins that unit when it covers what the
   other outlet's version adds (one outlet's one sentence = another's two).

Units are then ordered by the first outlet's order, each outlet's own sentences slotted
after their predecessor. Pure function: same input, same output.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from generator import diffs
from generator.sentences import (
    Sentence,
    capitalised_names,
    content_stems,
    fold,
    quoted_spans,
    tokens,
)

PAIR_MIN = 0.5  # Dice of content stems for two sentences to be one unit
MERGE_MIN = 0.5  # share of a lone sentence's stems found in what the other version adds
QUOTE_MATCH = 0.8  # share of the shorter quotation's words found in the other
COMMON_MIN = 12  # a stem in more sentences than this, and than
COMMON_SHARE = 8  # one in this many sentences, is not used to find candidate pairs
# Passages whose stems, and pairs whose diff, each process keeps: `_pair_diff`, `_stems`.
PAIRS_KEPT = 1024
_stems = functools.lru_cache(maxsize=4 * PAIRS_KEPT)(content_stems)


@dataclass(frozen=True, slots=True)
class Part:
    """One outlet's version of a unit: one or more consecutive sentences."""

    article: str
    sentences: tuple[int, ...]
    paragraphs: tuple[int, ...]
    text: str


@dataclass(frozen=True, slots=True)
class Unit:
    index: int
    kind: str  # "same", "variant" or "only"
    parts: tuple[Part, ...]  # in outlet order
    similarity: float  # lowest word-level similarity to the first part (1.0 for one part)
    diffs: tuple[tuple[str, str, tuple[diffs.Op, ...]], ...] = ()  # (base, other, ops)

    def part(self, article_id: str) -> Part | None:
        for part in self.parts:
            if part.article == article_id:
                return part
        return None

    @property
    def articles(self) -> tuple[str, ...]:
        return tuple(p.article for p in self.parts)


@dataclass(frozen=True, slots=True)
class Discrepancy:
    kind: str  # one of diffs.KINDS
    unit: int
    texts: dict[str, str]  # article id -> the passage as that outlet has it


@dataclass(frozen=True, slots=True)
class Coverage:
    """An entity or a quotation and the outlets that carry it."""

    key: str
    label: str
    articles: frozenset[str]


@dataclass(frozen=True, slots=True)
class OnlyIn:
    article: str
    units: tuple[int, ...]
    entities: tuple[Coverage, ...]
    quotes: tuple[Coverage, ...]


@dataclass(frozen=True, slots=True)
class Comparison:
    story: str
    articles: tuple[str, ...]  # outlet order: the first is the base of every diff
    units: tuple[Unit, ...]
    discrepancies: tuple[Discrepancy, ...]
    only: tuple[OnlyIn, ...]
    entities: tuple[Coverage, ...]
    quotes: tuple[Coverage, ...]
    stats: dict[str, int] = field(default_factory=dict)


# Alignment -------------------------------------------------------------------------------


class _Clusters:
    """Union-find over sentences that keeps at most one part per article in a cluster."""

    def __init__(self, keys: Iterable[tuple[str, int]]):
        self.parent = {k: k for k in keys}
        self.members: dict[tuple[str, int], dict[str, list[int]]] = {
            k: {k[0]: [k[1]]} for k in self.parent
        }

    def find(self, key: tuple[str, int]) -> tuple[str, int]:
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def union(self, a: tuple[str, int], b: tuple[str, int]) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb or set(self.members[ra]) & set(self.members[rb]):
            return False
        if rb < ra:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.members[ra].update(self.members.pop(rb))
        return True


def _candidate_scores(
    sentences: Sequence[Sentence], stems: Sequence[frozenset[str]]
) -> list[tuple[float, int, int]]:
    """(score, i, j) for sentence pairs of different articles that may be one unit.

    Candidates share a stem that is not in too many sentences (a stem in most sentences,
    like "said", finds nothing); identical sentences are always candidates.
    """
    common = max(COMMON_MIN, len(sentences) // COMMON_SHARE)
    index: dict[str, list[int]] = defaultdict(list)
    for i, sentence_stems in enumerate(stems):
        for s in sentence_stems:
            index[s].append(i)
    folded = [fold(s.text) for s in sentences]
    identical: dict[str, list[int]] = defaultdict(list)
    for i, text in enumerate(folded):
        identical[text].append(i)
    pairs: set[tuple[int, int]] = set()
    for postings in (*index.values(), *identical.values()):
        if len(postings) > common and len(postings) != len(identical.get(folded[postings[0]], ())):
            continue
        for x, i in enumerate(postings):
            article = sentences[i].article
            for j in postings[x + 1 :]:
                if sentences[j].article != article:
                    pairs.add((i, j))
    scored = []
    for i, j in pairs:
        if folded[i] == folded[j]:
            score = 1.0
        else:
            size = len(stems[i]) + len(stems[j])
            score = 2.0 * len(stems[i] & stems[j]) / size if size else 0.0
        if score >= PAIR_MIN:
            scored.append((score, i, j))
    scored.sort(key=lambda t: (-t[0], t[1], t[2]))
    return scored


def _attach_neighbours(
    clusters: _Clusters,
    sentences: Sequence[Sentence],
    stems: Sequence[frozenset[str]],
    position: Mapping[tuple[str, int], int],
) -> None:
    """Let a lone sentence join its neighbour's unit when it covers the other version."""
    for sentence in sentences:
        key = (sentence.article, sentence.index)
        root = clusters.find(key)
        if len(clusters.members[root]) > 1:
            continue
        own = stems[position[key]]
        if len(own) < 2:
            continue
        best: tuple[float, tuple[str, int]] | None = None
        for neighbour in (sentence.index - 1, sentence.index + 1):
            other_key = (sentence.article, neighbour)
            if other_key not in position:
                continue
            other_root = clusters.find(other_key)
            members = clusters.members[other_root]
            if len(members) < 2:
                continue
            mine = members[sentence.article]
            covered = set().union(*(stems[position[(sentence.article, i)]] for i in mine))
            for article, indexes in members.items():
                if article == sentence.article:
                    continue
                theirs = set().union(*(stems[position[(article, i)]] for i in indexes))
                extra = theirs - covered
                score = len(own & extra) / len(own)
                if score >= MERGE_MIN and (best is None or score > best[0]):
                    best = (score, other_root)
        if best is not None:
            root_key = best[1]
            clusters.members[root_key][sentence.article].append(sentence.index)
            clusters.members[root_key][sentence.article].sort()
            clusters.parent[key] = root_key
            del clusters.members[root]


def _order_units(
    groups: list[dict[str, list[int]]], order: Sequence[str], lengths: Mapping[str, int]
) -> list[dict[str, list[int]]]:
    """Sort units by the first outlet's order; other outlets' sentences follow their
    predecessor in their own article."""
    unit_of: dict[tuple[str, int], int] = {}
    for g, group in enumerate(groups):
        for article, indexes in group.items():
            for i in indexes:
                unit_of[(article, i)] = g
    keys: dict[int, tuple[float, int, int]] = {}
    for rank, article in enumerate(order):
        previous: tuple[float, int, int] = (-1.0, 0, 0)
        step = 0
        for i in range(lengths[article]):
            g = unit_of[(article, i)]
            if g in keys:
                previous, step = keys[g], 0
            elif rank == 0:
                keys[g] = previous = (float(i), 0, 0)
            else:
                step += 1
                keys[g] = (previous[0], rank, step)
    return [groups[g] for g in sorted(range(len(groups)), key=lambda g: (keys[g], g))]


def align(
    sentences_by_article: Mapping[str, Sequence[Sentence]], order: Sequence[str]
) -> list[dict[str, list[int]]]:
    """Groups of sentence indexes, {article: [index, ...]}, in reading order."""
    sentences = [s for article in order for s in sentences_by_article[article]]
    stems = [_stems(s.text) for s in sentences]
    position = {(s.article, s.index): p for p, s in enumerate(sentences)}
    clusters = _Clusters(position)
    for _score, i, j in _candidate_scores(sentences, stems):
        a, b = sentences[i], sentences[j]
        clusters.union((a.article, a.index), (b.article, b.index))
    _attach_neighbours(clusters, sentences, stems, position)
    groups = [clusters.members[root] for root in sorted(clusters.members)]
    lengths = {article: len(sentences_by_article[article]) for article in order}
    return _order_units(groups, order, lengths)


# Units and differences -------------------------------------------------------------------


def _make_unit(
    index: int,
    group: Mapping[str, list[int]],
    order: Sequence[str],
    sentences_by_article: Mapping[str, Sequence[Sentence]],
) -> tuple[Unit, list[Discrepancy]]:
    parts = []
    for article in order:
        if article not in group:
            continue
        chosen = [sentences_by_article[article][i] for i in group[article]]
        parts.append(
            Part(
                article,
                tuple(s.index for s in chosen),
                tuple(sorted({s.paragraph for s in chosen})),
                " ".join(s.text for s in chosen),
            )
        )
    if len(parts) == 1:
        return Unit(index, "only", tuple(parts), 1.0), []
    base = parts[0]
    unit_diffs = []
    found: list[Discrepancy] = []
    similarity = 1.0
    for other in parts[1:]:
        ops, ratio, found_here = _pair_diff(base.text, other.text)
        similarity = min(similarity, ratio)
        unit_diffs.append((base.article, other.article, ops))
        for difference in found_here:
            found.append(
                Discrepancy(
                    difference.kind,
                    index,
                    {base.article: difference.a, other.article: difference.b},
                )
            )
    same = len({fold(p.text) for p in parts}) == 1
    kind = "same" if same else "variant"
    return Unit(index, kind, tuple(parts), 1.0 if same else similarity, tuple(unit_diffs)), found


@functools.lru_cache(maxsize=PAIRS_KEPT)
def _pair_diff(base: str, other: str) -> tuple[tuple[diffs.Op, ...], float, tuple]:
    """The word diff of two versions of a passage, its similarity and its discrepancies
    (`diffs.Difference`s; all immutable). The last `PAIRS_KEPT` pairs are kept: `digest
    serve` compares an edited article's story again, and every passage but the edited
    ones is a pair it diffed before (the story of an edit at 10,000 articles: about 40)."""
    base_words, other_words = tokens(base), tokens(other)
    ops, ratio = diffs.word_diff(base, other, base_words, other_words)
    return ops, ratio, tuple(diffs.discrepancies(base, other, ops, base_words, other_words))


def _merge_discrepancies(found: list[Discrepancy]) -> list[Discrepancy]:
    """One discrepancy per unit and base passage, with every outlet's version."""
    merged: dict[tuple[int, str, str], Discrepancy] = {}
    for d in found:
        base_article = next(iter(d.texts))
        key = (d.unit, d.kind, d.texts[base_article])
        if key in merged:
            merged[key].texts.update(d.texts)
        else:
            merged[key] = Discrepancy(d.kind, d.unit, dict(d.texts))
    rank = {kind: r for r, kind in enumerate(diffs.KINDS)}
    return sorted(merged.values(), key=lambda d: (rank[d.kind], d.unit))


# Entities and quotes -------------------------------------------------------------------


def _entity_coverage(
    order: Sequence[str],
    sentences_by_article: Mapping[str, Sequence[Sentence]],
    entities_by_article: Mapping[str, frozenset[str]] | None,
    entity_names: Mapping[str, str] | None,
) -> list[Coverage]:
    names: dict[str, str] = dict(entity_names or {})
    sets: dict[str, set[str]] = {}
    for article in order:
        if entities_by_article is not None:
            sets[article] = set(entities_by_article.get(article, frozenset()))
        else:
            found = capitalised_names(s.text for s in sentences_by_article[article])
            sets[article] = set(found)
            for key, name in found.items():
                names.setdefault(key, name)
    holders: dict[str, set[str]] = defaultdict(set)
    for article, ids in sets.items():
        for entity in ids:
            holders[entity].add(article)
    rows = [
        Coverage(entity, names.get(entity, entity), frozenset(holders[entity]))
        for entity in holders
    ]
    return sorted(rows, key=lambda c: (-len(c.articles), c.label.lower(), c.key))


def _quote_coverage(
    order: Sequence[str],
    sentences_by_article: Mapping[str, Sequence[Sentence]],
    quotes_by_article: Mapping[str, Sequence[object]] | None,
) -> list[Coverage]:
    found: list[tuple[str, str]] = []  # (article, quote text) in outlet order
    for article in order:
        if quotes_by_article is not None:
            texts = [str(getattr(q, "text", q)) for q in quotes_by_article.get(article, ())]
        else:
            texts = [q for s in sentences_by_article[article] for q in quoted_spans(s.text)]
        found.extend((article, t) for t in texts)
    rows: list[tuple[str, set[str], set[str]]] = []  # (label, words, articles)
    # The quote stage has already merged one quote across outlets (its texts are equal);
    # only the stand-in spans need matching by word overlap.
    merged = quotes_by_article is not None
    for article, text in found:
        words = {t.norm for t in tokens(text)}
        if not words:
            continue
        for label, row_words, row_articles in rows:
            if merged:
                if label == text:
                    row_articles.add(article)
                    break
                continue
            overlap = len(words & row_words) / min(len(words), len(row_words))
            if overlap >= QUOTE_MATCH:
                row_articles.add(article)
                break
        else:
            rows.append((text, words, {article}))
    return [
        Coverage(f"q-{n + 1}", label, frozenset(articles))
        for n, (label, _words, articles) in enumerate(rows)
    ]


# The whole comparison ------------------------------------------------------------------


def compare(
    story: str,
    sentences_by_article: Mapping[str, Sequence[Sentence]],
    order: Sequence[str],
    *,
    entities_by_article: Mapping[str, frozenset[str]] | None = None,
    entity_names: Mapping[str, str] | None = None,
    quotes_by_article: Mapping[str, Sequence[object]] | None = None,
) -> Comparison:
    """Align the articles of one story (ids in `order`, the first is the diff base).

    `entities_by_article` (entity ids per article) and `quotes_by_article` (quotations per
    article: strings or objects with `.text`) come from the entity and quote stages; when
    None, capitalised names and quoted passages found in the text stand in for them.
    """
    groups = align(sentences_by_article, order)
    units: list[Unit] = []
    found: list[Discrepancy] = []
    for index, group in enumerate(groups, start=1):
        unit, unit_found = _make_unit(index, group, order, sentences_by_article)
        units.append(unit)
        found.extend(unit_found)
    entities = _entity_coverage(order, sentences_by_article, entities_by_article, entity_names)
    quotes = _quote_coverage(order, sentences_by_article, quotes_by_article)
    only = []
    if len(order) > 1:
        for article in order:
            only.append(
                OnlyIn(
                    article,
                    tuple(u.index for u in units if u.kind == "only" and u.articles == (article,)),
                    tuple(e for e in entities if e.articles == {article}),
                    tuple(q for q in quotes if q.articles == {article}),
                )
            )
    kinds = [u.kind for u in units]
    stats = {kind: kinds.count(kind) for kind in ("same", "variant", "only")}
    return Comparison(
        story,
        tuple(order),
        tuple(units),
        tuple(_merge_discrepancies(found)),
        tuple(only),
        tuple(entities),
        tuple(quotes),
        stats,
    )
