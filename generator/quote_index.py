"""Quotes across outlets: one `Quote` per thing said, with every article that carries it.

Two appearances are the same quote when their words match after normalising quote marks,
apostrophes, ellipses, case and spacing, or (for quotes of five words or more) when they
are near-identical (word-level similarity >= 0.85) - and their speakers do not disagree.

Speaker keys: `resolve(speaker_name)` gives the entity id when an entity registry is
plugged in (`link_quotes(..., resolve=registry_lookup)`); without one, or when it does
not know the name, the key is the slug of the name ("Kim Jong Un" -> kim-jong-un).
`speaker` is None only for unattributed quotes.
"""

from __future__ import annotations

import bisect
import difflib
import hashlib
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from generator.model import Article, Parsed, Quote, QuoteAppearance
from generator.text import slugify

Resolve = Callable[[str], str | None]  # speaker name -> entity id, or None if unknown

NEAR = 0.85
NEAR_MIN_WORDS = 5
_MARKS = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "`": "'", "´": "'"})
_WORD = re.compile(r"\w+(?:'\w+)*")


def normal_words(text: str) -> list[str]:
    """Words of a quote for comparison: quote marks, apostrophes, case, spacing folded."""
    folded = unicodedata.normalize("NFKC", text).translate(_MARKS).lower()
    return _WORD.findall(folded)


def same_wording(a: str, b: str) -> bool:
    return normal_words(a) == normal_words(b)


def similar(a: Sequence[str], b: Sequence[str]) -> bool:
    if a == b:
        return True
    if min(len(a), len(b)) < NEAR_MIN_WORDS:
        return False
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= NEAR


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    changed: bool


def diff_words(a: str, b: str) -> tuple[list[Segment], list[Segment]]:
    """Word-level difference of two wordings: segments of each, changed words flagged.

    Words are compared normalised (so ’ and ' or a capital letter are not differences),
    but shown as each outlet wrote them.
    """
    wa, wb = a.split(), b.split()
    na = [" ".join(normal_words(w)) for w in wa]
    nb = [" ".join(normal_words(w)) for w in wb]
    left: list[Segment] = []
    right: list[Segment] = []
    matcher = difflib.SequenceMatcher(None, na, nb, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        changed = op != "equal"
        if i2 > i1:
            left.append(Segment(" ".join(wa[i1:i2]), changed))
        if j2 > j1:
            right.append(Segment(" ".join(wb[j1:j2]), changed))
    return left, right


def display_text(text: str) -> str:
    """The quote as listed: a comma that stood for the full stop before `X said` dropped."""
    return text[:-1].rstrip() if text.endswith(",") else text


def speaker_key(name: str | None, resolve: Resolve | None) -> tuple[str | None, bool]:
    """(speaker key, whether it is a registered entity id) for a speaker name."""
    if not name:
        return None, False
    if resolve is not None:
        entity = resolve(name)
        if entity:
            return entity, True
    return slugify(name) or None, False


def same_speaker(words: list[str], key: str | None, group: dict) -> bool:
    """Speakers agree: the same key, one unknown, or one name a surname of the other
    (`words`: the speaker's name split into words; the group keeps its own)."""
    if key is None or group["key"] is None or key == group["key"]:
        return True
    a, b = words, group["name_words"]
    short, full = (a, b) if len(a) < len(b) else (b, a)
    return len(short) == 1 and short[0] in (full[0], full[-1])


# Speaker tags: a group is filed under the tags of its speaker, and a quote looks under
# the tags that agree with its own speaker, so that `same_speaker` holds exactly for the
# groups filed under a tag the quote looks under. Unknown speakers agree with everyone.
_UNKNOWN = ("unknown",)
_ALL = ("all",)  # not a speaker tag: every group of the same words


def _filed_under(key: str | None, name_words: list[str]) -> frozenset:
    if key is None:
        return frozenset((_UNKNOWN,))
    tags = {("key", key)}
    if len(name_words) == 1:  # a one-word name: the surname of a longer one
        tags.add(("one", name_words[0]))
    elif name_words:  # a longer name: the surname may be its first or last word
        tags.update((("ends", name_words[0]), ("ends", name_words[-1])))
    return frozenset(tags)


def _agreeing(key: str, name_words: list[str]) -> list[tuple]:
    tags = [_UNKNOWN, ("key", key)]
    if name_words:
        tags += [("one", name_words[0]), ("one", name_words[-1])]
    if len(name_words) == 1:
        tags.append(("ends", name_words[0]))
    return tags


def _quote_id(text: str, used: set[str]) -> str:
    words = normal_words(text)
    digest = hashlib.sha1(" ".join(words).encode("utf-8")).hexdigest()[:6]
    base = f"{slugify(text, max_words=6) or 'quote'}-{digest}"
    qid, n = base, 1
    while qid in used:
        n += 1
        qid = f"{base}-{n}"
    used.add(qid)
    return qid


def _order(article: Article) -> tuple:
    return (article.date.toordinal() if article.date else 0, article.id)


# A word pair shared by more quotes than this says nothing about which quote is which.
COMMON_PAIR = 64


class _Groups:
    """Quotes merged so far, one group per quote, in creation order, indexed two ways.

    Exact wording: groups with the same words, filed by speaker tag, so that the first
    group a quote may join is found without comparing it with every speaker who said the
    same words (in a large archive many did). Near wording: groups sharing a fifth of the
    quote's less common word pairs. `similar` needs a 0.85 match ratio, so a
    near-identical wording shares most of its word pairs with the group's; blocking on
    them keeps merging linear in the number of quotes.
    """

    def __init__(self) -> None:
        self.groups: list[dict] = []
        self.exact: dict[tuple[str, ...], dict[tuple, list[int]]] = {}
        self.by_pair: dict[tuple[str, str], list[int]] = {}

    def find(self, words: list[str], key: str | None, name_words: list[str]) -> int | None:
        """The first group (in creation order) with the same speaker and wording."""
        best = None
        filed = self.exact.get(tuple(words))
        if filed is not None:
            if key is None:
                best = filed[_ALL][0]
            else:
                firsts = (self._first(filed, tag) for tag in _agreeing(key, name_words))
                best = min((i for i in firsts if i is not None), default=None)
        for index in self._near(words):
            if best is not None and index >= best:
                break
            group = self.groups[index]
            if same_speaker(name_words, key, group) and similar(words, group["words"]):
                return index
        return best

    def _first(self, filed: dict[tuple, list[int]], tag: tuple) -> int | None:
        indices = filed.get(tag)
        while indices:
            if tag in self.groups[indices[0]]["tags"]:
                return indices[0]
            del indices[0]  # the group's speaker changed since it was filed here
        return None

    def _near(self, words: list[str]) -> list[int]:
        if len(words) < NEAR_MIN_WORDS:
            return []
        counts: dict[int, int] = {}
        pairs = set(itertools.pairwise(words))
        for pair in pairs:
            owners = self.by_pair.get(pair, ())
            if len(owners) <= COMMON_PAIR:
                for index in owners:
                    counts[index] = counts.get(index, 0) + 1
        needed = max(1, len(pairs) // 5)
        return sorted(i for i, n in counts.items() if n >= needed)

    def add(self, words: list[str], key, is_entity: bool, name, name_words, appearance) -> None:
        index = len(self.groups)
        tags = _filed_under(key, name_words)
        self.groups.append(
            {
                "words": words,
                "key": key,
                "entity": is_entity,
                "name": name,
                "name_words": name_words,
                "tags": tags,
                "appearances": [appearance],
            }
        )
        filed = self.exact.setdefault(tuple(words), {})
        filed.setdefault(_ALL, []).append(index)
        for tag in tags:
            filed.setdefault(tag, []).append(index)
        if len(words) >= NEAR_MIN_WORDS:
            for pair in set(itertools.pairwise(words)):
                self.by_pair.setdefault(pair, []).append(index)

    def join(self, index: int, key, is_entity: bool, name, name_words, appearance) -> None:
        """Add an appearance; a known or longer speaker name becomes the group's."""
        group = self.groups[index]
        group["appearances"].append(appearance)
        longer = len(name_words) > len(group["name_words"])
        if key is None or not (group["key"] is None or longer):
            return
        group["key"], group["entity"] = key, is_entity
        group["name"], group["name_words"] = name, name_words
        tags = _filed_under(key, name_words)
        filed = self.exact[tuple(group["words"])]
        for tag in tags - group["tags"]:
            indices = filed.setdefault(tag, [])
            at = bisect.bisect_left(indices, index)
            if at == len(indices) or indices[at] != index:
                indices.insert(at, index)
        group["tags"] = tags


def link_quotes(
    articles: Iterable[Article], parsed: Mapping[str, Parsed], resolve: Resolve | None = None
) -> tuple[Quote, ...]:
    """Every quote of every article, merged across articles (oldest article first)."""
    merged = _Groups()
    speakers: dict[str | None, tuple[str | None, bool]] = {}  # name -> speaker_key(name)
    for article in sorted(articles, key=_order):
        for found in parsed[article.id].quotes:
            name = found.speaker_name
            if name not in speakers:  # resolving a name is slow, and speakers recur
                speakers[name] = speaker_key(name, resolve)
            key, is_entity = speakers[name]
            name_words = (name or "").split()
            appearance = QuoteAppearance(
                article=article.id,
                source=article.source,
                paragraph=found.paragraph,
                anchor=found.anchor,
                text=found.text,
                kind=found.kind,
                speaker_name=found.speaker_name,
            )
            words = normal_words(found.text)
            index = merged.find(words, key, name_words)
            if index is None:
                merged.add(words, key, is_entity, name, name_words, appearance)
            else:
                merged.join(index, key, is_entity, name, name_words, appearance)
    used: set[str] = set()
    quotes = []
    for group in merged.groups:
        appearances = tuple(group["appearances"])
        first = appearances[0]
        kind = "full" if any(a.kind == "full" for a in appearances) else "partial"
        quotes.append(
            Quote(
                id=_quote_id(first.text, used),
                text=display_text(first.text),
                kind=kind,
                speaker=group["key"],
                speaker_name=group["name"],
                speaker_is_entity=group["entity"],
                appearances=appearances,
            )
        )
    return tuple(quotes)


def quotes_by(quotes: Iterable[Quote], speaker: str) -> list[Quote]:
    """What one speaker said (for entity pages: `quotes_by(site.quotes, entity.id)`)."""
    return [q for q in quotes if q.speaker == speaker]


def has_page(quote: Quote) -> bool:
    """A quote gets its own page (`quotes/<id>/`) when several articles carry it: the page
    compares their wording. A quote only one article carries is its passage there, and an
    anchor (`#<id>`) in the `quotes/` listing."""
    return len(quote.appearances) > 1


def quote_url(quote: Quote, url_for: Callable[..., str]) -> str:
    """The quote's page, or (carried once) the passage in its article."""
    if has_page(quote):
        return url_for("quote", quote.id)
    first = quote.appearances[0]
    return url_for("article", first.article, first.anchor)


def quotes_data(quotes: Iterable[Quote], url_for: Callable[..., str]) -> list[dict]:
    """`site/data/quotes.json`."""
    return [
        {
            "id": q.id,
            "url": quote_url(q, url_for),
            "text": q.text,
            "kind": q.kind,
            "speaker": q.speaker,
            "speaker_name": q.speaker_name,
            "appearances": [
                {
                    "article": a.article,
                    "source": a.source,
                    "paragraph": a.paragraph,
                    "anchor": a.anchor,
                    "url": url_for("article", a.article, a.anchor),
                    "text": a.text,
                }
                for a in q.appearances
            ],
        }
        for q in quotes
    ]
