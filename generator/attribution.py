"""Who said it: speaker names from the words around a quote (pure functions, no IO).

Works on `Tok` lists of one sentence in which every quote is a single token, so words
inside quotes never count as speakers or antecedents. News conventions covered:

- `"Q," X said` / `"Q," said X` / `"Q," X told Y` / `X added` (speaker after the quote);
- `X said: "Q"` / `X told Y: "Q"` / `X signed the visitor book: "Q"` (before the quote);
- `according to X`;
- titles stripped ("U.S. State Department spokesman Matthew Miller" -> "Matthew Miller");
- surnames expanded to the full name the article gave ("Kim" -> "Kim Jong Un");
- pronouns ("he said") resolved to the most recent fitting person mentioned before;
- organisations and places as speakers ("Washington said", "the Kremlin said").

A speaker that is only described ("officials said", "a spokesman said"), a joint
subject ("Putin and Kim said") or an unresolvable pronoun gives `None`: never a guess.
Without an entity registry, "is this a person?" is decided by evidence in the text (a
title before the name, an age after it, a multi-word name speaking); an optional
`kind_of(name)` (e.g. backed by the entity registry) overrides that evidence.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from generator.quote_words import (
    ADVERBS,
    CONNECTORS,
    DETERMINERS,
    NAMING_CUES,
    NON_PERSON,
    ORG_WORDS,
    PARTICIPLES,
    PERSON_PRONOUNS,
    RECIPROCAL,
    SPEECH_VERBS,
    STOP_CAPS,
    TITLES,
    WEEKDAYS,
)

KindOf = Callable[[str], str | None]  # name -> "person" | "place" | "organization" | ...


TOKEN_RE = re.compile(
    r"(?:Dr|Mr|Mrs|Ms|St|Gen|Sen|Rep|Gov|Lt|Col|Capt|Maj|Sgt|Prof|Jr|Sr)\.(?=\s)"
    r"|(?:[A-Z]\.){2,}(?:-\w+)?|\w+(?:[’'.\-]\w+)*(?:[’']s?)?|[^\w\s]"
)


class Tok(NamedTuple):
    """A word, a punctuation mark, or (quote >= 0) a whole quote, in one text block;
    `low`, its lowercase form without a full stop, is what the word lists are matched
    against. Made by `make_tok()`. A tuple rather than a frozen dataclass, and `low` made
    once rather than at each look: an article's words are read a million times."""

    text: str
    block: int
    start: int
    quote: int
    low: str

    @property
    def pos(self) -> tuple[int, int]:
        return (self.block, self.start)


_new_tok = tuple.__new__  # without NamedTuple's Python-level __new__


def make_tok(text: str, block: int, start: int, quote: int = -1) -> Tok:
    return _new_tok(Tok, (text, block, start, quote, text.lower().rstrip(".")))


def word_toks(block: int, text: str, start: int, end: int) -> list[Tok]:
    """The words and marks of `text[start:end]`, as `make_tok` makes them (written out:
    one call per word was a fifth of the quote stage)."""
    return [
        _new_tok(Tok, (w, block, m.start(), -1, w.lower().rstrip(".")))
        for m in TOKEN_RE.finditer(text, start, end)
        for w in (m.group(),)
    ]


def bare(word: str) -> str:
    """A word without its possessive ending: "Russia's" -> "Russia"."""
    for suffix in ("'s", "’s", "'", "’"):
        if word.endswith(suffix) and len(word) > len(suffix):
            return word[: -len(suffix)]
    return word


def is_possessive(word: str) -> bool:
    return bare(word) != word


def is_cap(tok: Tok) -> bool:
    return (
        tok.quote < 0
        and tok.text[:1].isupper()
        and tok.low not in STOP_CAPS
        and bare(tok.text).lower() not in STOP_CAPS
    )


def is_title(tok: Tok) -> bool:
    return tok.quote < 0 and tok.low in TITLES


def is_verb(tok: Tok) -> bool:
    """A speech verb ("State" in "State Department" is not one: verbs are lowercase)."""
    return tok.quote < 0 and tok.text.islower() and tok.low in SPEECH_VERBS


# Names -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Name:
    text: str  # the name without titles: "Matthew Miller"
    titled: bool  # a personal title stood before it (evidence of a person)


def name_from(words: list[str]) -> Name | None:
    """A name phrase -> the name without determiners and titles, or None if only described.

    "U.S. State Department spokesman Matthew Miller" -> Matthew Miller (titled);
    "the Kremlin" -> Kremlin; "a State Department spokesman" -> None; "officials" -> None.
    """
    words = [w for w in words if w]
    while words and words[0].lower() in DETERMINERS:
        words = words[1:]
    last_title = max(
        (i for i, w in enumerate(words) if w.lower().rstrip(".") in TITLES), default=-1
    )
    rest = words[last_title + 1 :]
    if not rest:
        return None
    for w in rest:
        if not (w[:1].isupper() or w.lower() in CONNECTORS):
            return None
    if rest[0].lower() in STOP_CAPS or rest[-1].lower() in CONNECTORS:
        return None
    rest[-1] = bare(rest[-1])
    return Name(" ".join(rest), last_title >= 0)


def _segments(toks: list[Tok]) -> list[list[Tok]]:
    out: list[list[Tok]] = [[]]
    for tok in toks:
        if tok.text == ",":
            out.append([])
        else:
            out[-1].append(tok)
    return [s for s in out if s]


def _name_ish(tok: Tok) -> bool:
    return tok.quote < 0 and (
        is_cap(tok) or is_title(tok) or tok.low in DETERMINERS or tok.low in CONNECTORS
    )


# The article context: mentions, persons, antecedents ----------------------------------


@dataclass
class Mention:
    name: str
    pos: tuple[int, int]
    person: bool  # evidence in the text that this is a person


@dataclass
class Context:
    """Every proper name mentioned outside quotes, in document order."""

    mentions: list[Mention] = field(default_factory=list)
    persons: set[str] = field(default_factory=set)
    kind_of: KindOf | None = None
    full_names: dict[str, list[tuple[tuple[int, int], str]]] = field(default_factory=dict)

    def is_person(self, name: str) -> bool:
        if self.kind_of is not None:
            kind = self.kind_of(name)
            if kind is not None:
                return kind == "person"
        return name in self.persons

    def is_org(self, name: str) -> bool:
        if self.kind_of is not None:
            kind = self.kind_of(name)
            if kind is not None:
                return kind == "organization"
        return any(w.lower() in ORG_WORDS for w in name.split())

    def index_full_names(self) -> None:
        """Index persons' multi-word names by first and last word (for `expand`)."""
        self.full_names = {}
        for mention in self.mentions:
            words = mention.name.split()
            if len(words) > 1 and self.is_person(mention.name):
                for word in {words[0], words[-1]}:
                    self.full_names.setdefault(word, []).append((mention.pos, mention.name))

    def expand(self, name: str, pos: tuple[int, int]) -> str:
        """A surname or family name -> the full name of the person the article introduced:
        the one mentioned most recently before `pos`, else the first one after it."""
        if " " in name:
            return name
        entries = self.full_names.get(name)
        if not entries:
            return name
        at = bisect.bisect_right([p for p, _ in entries], pos)
        return entries[at - 1][1] if at else entries[0][1]

    def antecedent(self, pronoun: str, pos: tuple[int, int]) -> str | None:
        """The most recent fitting name before `pos` for he/she (a person) or it (an org)."""
        for mention in reversed(self.mentions):
            if mention.pos >= pos:
                continue
            full = self.expand(mention.name, mention.pos)
            if pronoun in PERSON_PRONOUNS and self.is_person(full):
                return full
            if pronoun == "it" and self.is_org(full):
                return full
        return None


def _looks_like_person(name: str) -> bool:
    words = name.split()
    return len(words) >= 2 and not any(w.lower() in NON_PERSON for w in words)


def build_context(sentences: list[list[Tok]], kind_of: KindOf | None = None) -> Context:
    """Collect mentions (capitalised runs outside quotes) and evidence of persons."""
    ctx = Context(kind_of=kind_of)
    for toks in sentences:
        # Each word's tests, once (the scan below asks them several times of each word).
        cap = list(map(is_cap, toks))
        title = list(map(is_title, toks))
        i = 0
        while i < len(toks):
            if not (cap[i] or (title[i] and i + 1 < len(toks) and cap[i + 1])):
                i += 1
                continue
            j = i
            while j < len(toks) and (cap[j] or title[j] or toks[j].low in CONNECTORS):
                j += 1
                if is_possessive(toks[j - 1].text):
                    break
            run = toks[i:j]
            titles = [k for k in range(j - i) if title[i + k]]
            cut = titles[-1] + 1 if titles else 0
            if cut and any(cap[k] and not title[k] for k in range(i, i + titles[0])):
                prefix = name_from([t.text for t in run[: titles[0]]])
                if prefix:
                    ctx.mentions.append(Mention(prefix.text, run[0].pos, False))
            name = name_from([t.text for t in run[cut:]]) if run[cut:] else None
            if name is not None:
                tail = toks[j : j + 4]
                aged = (
                    len(tail) >= 3
                    and tail[0].text == ","
                    and tail[1].text.isdigit()
                    and tail[2].text == ","
                )
                speaks = _speaks_next(toks, j)
                person = bool(titles) or aged or (speaks and _looks_like_person(name.text))
                ctx.mentions.append(Mention(name.text, run[cut].pos, person))
                if person:
                    ctx.persons.add(name.text)
            i = max(j, i + 1)
    ctx.index_full_names()
    # A short name is a person when it expands to a person's full name.
    for mention in ctx.mentions:
        if not mention.person and ctx.expand(mention.name, mention.pos) in ctx.persons:
            mention.person = True
    return ctx


def _speaks_next(toks: list[Tok], j: int) -> bool:
    k = j
    if k < len(toks) and toks[k].text == ",":
        k += 1
    while k < len(toks) and toks[k].low in ADVERBS:
        k += 1
    return k < len(toks) and is_verb(toks[k])


# Subjects of speech verbs -------------------------------------------------------------


@dataclass(frozen=True)
class Speaker:
    """What the words say about who spoke: a name, a pronoun, or nobody decidable."""

    name: str | None = None
    pronoun: str | None = None
    pos: tuple[int, int] | None = None  # where the pronoun stands

    @property
    def found(self) -> bool:
        return self.name is not None or self.pronoun is not None


NOBODY = Speaker()


def _from_tokens(toks: list[Tok]) -> Speaker:
    """A subject phrase (maybe with appositives) -> the speaker it names."""
    segments = _segments(toks)
    for seg in segments:
        if len(seg) == 1 and seg[0].low in PERSON_PRONOUNS | {"it"}:
            return Speaker(pronoun=seg[0].low, pos=seg[0].pos)
    for seg in segments:
        if not all(_name_ish(t) for t in seg):
            # "city council spokeswoman Ines Moreau": the name after the last title.
            titles = [k for k, t in enumerate(seg) if is_title(t)]
            seg = seg[titles[-1] :] if titles else []
        name = name_from([t.text for t in seg]) if seg else None
        if name is not None:
            return Speaker(name=name.text)
    return NOBODY


def subject_before(toks: list[Tok], v: int) -> Speaker | str:
    """The subject of the verb at `v`, read backwards; "coord" for `..., and said`."""
    i = v - 1
    while i >= 0 and toks[i].quote < 0 and (toks[i].low in ADVERBS or toks[i].low.endswith("ly")):
        i -= 1
    if i >= 1 and toks[i].low in WEEKDAYS and toks[i - 1].low in ("on", "last"):
        i -= 2
    if i >= 2 and toks[i].text == "," and toks[i - 1].text.isdigit() and toks[i - 2].text == ",":
        i -= 3
    if i >= 0 and toks[i].low in ("and", "but"):
        return "coord"  # "..., and said": the subject of the clause before
    if i >= 0 and toks[i].low in PERSON_PRONOUNS | {"it"}:
        return Speaker(pronoun=toks[i].low, pos=toks[i].pos)
    j = i
    while j >= 0 and (_name_ish(toks[j]) or toks[j].text == ","):
        j -= 1
    phrase = toks[j + 1 : i + 1]
    while phrase and phrase[0].text == ",":
        phrase = phrase[1:]
    while phrase and phrase[-1].text == ",":  # "X, a spokesman, said"
        phrase = phrase[:-1]
    if not phrase:
        return NOBODY
    # "Putin and Kim said": a joint subject is nobody in particular.
    if j >= 1 and toks[j].low == "and" and is_cap(toks[j - 1]):
        return NOBODY
    segments = _segments(phrase)
    for seg in reversed(segments):
        name = name_from([t.text for t in seg])
        if name is not None:
            return Speaker(name=name.text)
    return NOBODY


def subject_after(toks: list[Tok], v: int) -> Speaker:
    """`said X`: the name phrase right after the verb, up to a comma or a full stop."""
    phrase = []
    for tok in toks[v + 1 :]:
        if not _name_ish(tok):
            break
        phrase.append(tok)
    if len(phrase) == 1 and phrase[0].low in PERSON_PRONOUNS:
        return Speaker(pronoun=phrase[0].low, pos=phrase[0].pos)
    name = name_from([t.text for t in phrase])
    return Speaker(name=name.text) if name else NOBODY


def main_subject(toks: list[Tok]) -> Speaker:
    """The subject of a sentence, after an introductory clause ("After the tour, ...")."""
    start = 0
    while start < len(toks) and (toks[start].quote >= 0 or toks[start].text == ","):
        start += 1
    if (
        start < len(toks)
        and toks[start].low in STOP_CAPS
        and toks[start].low
        not in {
            "he",
            "she",
            "it",
        }
    ):
        for k in range(start, len(toks)):
            if toks[k].text == ",":
                start = k + 1
                break
    if start < len(toks) and toks[start].low in PERSON_PRONOUNS:
        return Speaker(pronoun=toks[start].low, pos=toks[start].pos)
    phrase = []
    for tok in toks[start:]:
        if not _name_ish(tok):
            break
        phrase.append(tok)
        if is_possessive(tok.text):
            return NOBODY
    return _from_tokens(phrase) if phrase else NOBODY


def verb_speaker(toks: list[Tok], v: int, depth: int = 0) -> Speaker:
    """Who is the subject of the speech verb at `v`."""
    if toks[v].low in PARTICIPLES or depth > 3:
        # "..., adding that", "predicting victory": the subject of the clause before.
        for k in range(v - 1, -1, -1):
            if is_verb(toks[k]):
                return verb_speaker(toks, k, depth + 1)
        return main_subject(toks)
    found = subject_before(toks, v)
    if found == "coord":
        # "Washington warned it would ..., and said": the subject of the sentence.
        subject = main_subject(toks)
        if subject.found:
            return subject
        for k in range(v - 1, -1, -1):
            if is_verb(toks[k]) and toks[k].low not in PARTICIPLES:
                return verb_speaker(toks, k, depth + 1)
        return NOBODY
    assert isinstance(found, Speaker)
    after_quote = v >= 1 and (
        toks[v - 1].quote >= 0 or (v >= 2 and toks[v - 1].text == "," and toks[v - 2].quote >= 0)
    )
    if not found.found and after_quote:
        return subject_after(toks, v)
    return found


def according_to(toks: list[Tok]) -> Speaker:
    for k in range(len(toks) - 1):
        if toks[k].low == "according" and toks[k + 1].low == "to":
            phrase = []
            for tok in toks[k + 2 :]:
                if not _name_ish(tok):
                    break
                phrase.append(tok)
            return _from_tokens(phrase) if phrase else NOBODY
    return NOBODY


def is_naming(before: list[Tok]) -> bool:
    """`called each other "comrades"`, `the so-called "x"`, `known as "x"`: a term, not speech."""
    words = [t.low for t in before[-3:] if t.quote < 0]
    if not words:
        return False
    if words[-1] in NAMING_CUES or words[-2:] == ["known", "as"]:
        return True
    low = [t.low for t in before]
    for k in range(len(low) - 1, max(-1, len(low) - 4), -1):
        if low[k] in ("called", "call", "calls", "calling") and k + 1 < len(low):
            return low[k + 1] in RECIPROCAL
    return False
