"""Finding entity mentions in text: a word-level trie, one left-to-right pass.

Text is cut into word tokens (runs of letters and digits) and single punctuation marks
("U.S." is `U . S .`, "Russia’s" is `Russia ' s`). Every surface form of the registry
is a path in a trie keyed by those tokens. The scan starts a walk at each token and
follows the trie as far as the text allows, keeping the longest complete surface seen
("North Korean leader Kim Jong Un" is one mention of Kim Jong Un, "U.N. Security
Council" is not "U.N."); after a match it jumps past it. Each step is one dict lookup,
so the cost is linear in the text (times the longest surface in words, a small
constant) and does not grow with the number of entities. Matching whole tokens means
matching whole words; matching is case-sensitive, so "US" is not "us".

This module knows nothing about Markdown; `entity_rule.py` runs it over text tokens.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import NamedTuple

NAME, ALIAS, SHORT, ADJECTIVE = "name", "alias", "short", "adjective"

_TOKEN = re.compile(r"[^\W_]+|[^\w\s]")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "‐": "-", "‑": "-"})
_TERMINAL = ""  # a key no token can have: where a trie node keeps its surfaces


def normalise(token: str) -> str:
    return token.translate(_QUOTES)


def tokens(text: str) -> list[tuple[int, int, str]]:
    """(start, end, normalised token) of every word and punctuation mark."""
    # Normalising maps one character to one, so the whole text is normalised once and
    # the offsets still point into `text`.
    return [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(normalise(text))]


def surface_key(text: str) -> tuple[str, ...]:
    return tuple(t for _, _, t in tokens(text))


@dataclass(frozen=True, slots=True)
class Surface:
    entity: str
    kind: str  # NAME, ALIAS, SHORT or ADJECTIVE


@dataclass
class Terminal:
    """The surfaces that end at one trie node, split so resolving one match costs the
    same however many entities share a surname: `strong` (names, aliases, adjectives;
    one owner each) and `short` (entity id -> short form; any number of owners)."""

    strong: tuple[Surface, ...] = ()
    short: dict[str, Surface] = field(default_factory=dict)

    @property
    def surfaces(self) -> tuple[Surface, ...]:
        return self.strong + tuple(self.short[k] for k in sorted(self.short))


@dataclass
class Trie:
    """Nested dicts keyed by token; a node's `_TERMINAL` entry is a `Terminal`."""

    root: dict = field(default_factory=dict)
    longest: int = 0

    def add(self, text: str, surface: Surface) -> None:
        key = surface_key(text)
        if not key:
            return
        node = self.root
        for token in key:
            node = node.setdefault(token, {})
        terminal = node.setdefault(_TERMINAL, Terminal())
        if surface.kind == SHORT:
            terminal.short.setdefault(surface.entity, surface)
        elif surface not in terminal.strong:
            terminal.strong = (*terminal.strong, surface)
        self.longest = max(self.longest, len(key))

    def __len__(self) -> int:
        count, stack = 0, [self.root]
        while stack:
            node = stack.pop()
            for key, value in node.items():
                if key == _TERMINAL:
                    count += len(value.strong) + len(value.short)
                else:
                    stack.append(value)
        return count


class Match(NamedTuple):  # a tuple: made once per match, so cheap to build
    start: int  # character offsets in the scanned text
    end: int  # end of the surface form, without a possessive
    terminal: Terminal
    possessive: bool = False

    @property
    def surfaces(self) -> tuple[Surface, ...]:
        return self.terminal.surfaces


def scan(trie: Trie, text: str, toks: list[tuple[int, int, str]] | None = None) -> list[Match]:
    """Leftmost-longest matches of the trie's surfaces in `text`, in order (`toks`: its
    `tokens()`, when the caller has them)."""
    toks = tokens(text) if toks is None else toks
    root = trie.root
    found: list[Match] = []
    n = len(toks)
    i = 0
    while i < n:
        node = root.get(toks[i][2])
        if node is None:
            i += 1
            continue
        best_end, best = -1, None
        j = i
        while True:
            terminal = node.get(_TERMINAL)
            if terminal is not None:
                best_end, best = j, terminal
            j += 1
            if j >= n:
                break
            node = node.get(toks[j][2])
            if node is None:
                break
        if best is None:
            i += 1
            continue
        end = toks[best_end][1]
        # "Kim's", "Russia’s": the apostrophe and s glued to the name.
        possessive = (
            best_end + 2 < n
            and toks[best_end + 1][2] == "'"
            and toks[best_end + 2][2] == "s"
            and toks[best_end + 1][0] == end
            and toks[best_end + 2][0] == toks[best_end + 1][1]
        )
        found.append(Match(toks[i][0], end, best, possessive))
        i = best_end + 1
    return found


def resolve(matches: list[Match]) -> tuple[list[tuple[Match, Surface | None]], set[str]]:
    """Pick one surface per match using what the whole article names.

    Returns each match with its chosen surface (None when ambiguous or unnamed) and the
    set of entity ids the article names by name or alias.
    """
    named = {s.entity for m in matches for s in m.terminal.strong if s.kind in (NAME, ALIAS)}
    chosen: list[tuple[Match, Surface | None]] = []
    for match in matches:
        pick: Surface | None = None
        strong = match.terminal.strong
        if strong:
            pick = strong[0]
        else:
            short = match.terminal.short
            # Look up the (few) named entities, not the (many) owners of a surname.
            fitting = [short[e] for e in named if e in short]
            if len(fitting) == 1:
                pick = fitting[0]
        chosen.append((match, pick))
    return chosen, named


_SENTENCE_END = re.compile(r"[.!?…][”\"’')\]]*\s+(?=[“\"‘'(\[]?[A-Z0-9])")


_ABBREVIATIONS = {"Mr", "Mrs", "Ms", "Dr", "St", "Gen", "Lt", "Col", "Sen", "Rep", "No", "Prof"}


def _abbreviation(text: str, dot: int) -> bool:
    """Is the full stop at `dot` part of "U.S." or "Mr." rather than a sentence end?"""
    if text[dot] != ".":
        return False
    word = text[:dot].rsplit(None, 1)[-1] if text[:dot].strip() else ""
    word = word.lstrip("“\"‘'(")
    if len(word) == 1 and word.isupper():
        return True
    if len(word) >= 3 and word[-2] == "." and word[-1].isupper():  # U.S, U.N
        return True
    return word in _ABBREVIATIONS


def sentence_breaks(text: str) -> tuple[list[int], list[int]]:
    """Where each sentence break of `text` starts and ends (a full stop of "U.S." or
    "Mr." is none): what `sentence_at` looks up, found once for all of a block's spans."""
    starts: list[int] = []
    ends: list[int] = []
    for m in _SENTENCE_END.finditer(text):
        if not _abbreviation(text, m.start()):
            starts.append(m.start())
            ends.append(m.end())
    return starts, ends


def sentence_at(
    text: str, start: int, end: int, breaks: tuple[list[int], list[int]] | None = None
) -> tuple[str, int]:
    """The sentence of `text` holding [start, end), and where the span starts in it.
    `breaks` are `sentence_breaks(text)`, when the caller has them."""
    starts, ends = breaks if breaks is not None else sentence_breaks(text)
    before = bisect.bisect_right(ends, start)  # the breaks that end before the span
    begin = ends[before - 1] if before else 0
    after = bisect.bisect_left(starts, end)  # the first break that starts after it
    finish = ends[after] if after < len(starts) else len(text)
    sentence = text[begin:finish]
    stripped = sentence.lstrip()
    offset = start - begin - (len(sentence) - len(stripped))
    return stripped.rstrip(), offset


@dataclass(frozen=True, slots=True)
class Mention:
    """One mention of a registered entity in one article (a stable, exported record)."""

    entity: str
    article: str
    paragraph: str  # the anchor id of its block ("p-3", or a heading's id)
    text: str  # the surface form as written, without a possessive "'s"
    kind: str  # NAME, ALIAS, SHORT or ADJECTIVE
    sentence: str  # the sentence it stands in, for context
    offset: int  # where `text` starts in `sentence`
    linked: bool  # rendered as a link to the entity page
    index: int  # its order in the article, from 0


@dataclass(frozen=True, slots=True)
class NameCandidate:
    """A capitalised name no registry entry matched (see `discovery`)."""

    name: str
    article: str
    paragraph: str
    sentence: str
    offset: int
    type_guess: str
    cue: str  # "title", "said" or "capitals"
