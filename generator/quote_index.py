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


@dataclass(frozen=True)
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


def _candidates(
    words: list[str],
    exact: dict[tuple[str, ...], list[int]],
    by_pair: dict[tuple[str, str], list[int]],
) -> list[int]:
    """Groups this quote may join, in creation order: the same words, or (for quotes long
    enough to be near-identical) groups sharing a fifth of its less common word pairs.

    `similar` needs a 0.85 match ratio, so a near-identical wording shares most of its
    word pairs with the group's; blocking on them keeps merging linear in the number of
    quotes instead of comparing each quote with every group.
    """
    found = list(exact.get(tuple(words), ()))
    if len(words) >= NEAR_MIN_WORDS:
        counts: dict[int, int] = {}
        pairs = set(itertools.pairwise(words))
        for pair in pairs:
            owners = by_pair.get(pair, ())
            if len(owners) <= COMMON_PAIR:
                for index in owners:
                    counts[index] = counts.get(index, 0) + 1
        needed = max(1, len(pairs) // 5)
        found.extend(i for i, n in counts.items() if n >= needed and i not in found)
    return sorted(found)


def link_quotes(
    articles: Iterable[Article], parsed: Mapping[str, Parsed], resolve: Resolve | None = None
) -> tuple[Quote, ...]:
    """Every quote of every article, merged across articles (oldest article first)."""
    groups: list[dict] = []
    exact: dict[tuple[str, ...], list[int]] = {}  # normalised words -> groups
    by_pair: dict[tuple[str, str], list[int]] = {}  # word pair -> groups (blocking)
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
            for index in _candidates(words, exact, by_pair):
                group = groups[index]
                if same_speaker(name_words, key, group) and similar(words, group["words"]):
                    group["appearances"].append(appearance)
                    longer = len(name_words) > len(group["name_words"])
                    if key is not None and (group["key"] is None or longer):
                        group["key"], group["entity"] = key, is_entity
                        group["name"], group["name_words"] = name, name_words
                    break
            else:
                index = len(groups)
                groups.append(
                    {
                        "words": words,
                        "key": key,
                        "entity": is_entity,
                        "name": name,
                        "name_words": name_words,
                        "appearances": [appearance],
                    }
                )
                exact.setdefault(tuple(words), []).append(index)
                if len(words) >= NEAR_MIN_WORDS:
                    for pair in set(itertools.pairwise(words)):
                        by_pair.setdefault(pair, []).append(index)
    used: set[str] = set()
    quotes = []
    for group in groups:
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
