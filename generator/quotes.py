"""Quote extraction and classification over an article's markdown-it tokens (pure).

    tokens -> blocks (paragraph/heading text, emphasis markers removed)
           -> quote spans (straight and curly marks, across a paragraph break)
           -> sentences and words, quotes atomic (quote_sentences.py)
           -> kind + speaker (see attribution.py)

Kinds: `full` (reported speech or writing), `partial` (a fragment quoted inside the
reporter's sentence), `term` (a word or nickname in quote marks: "pelmeni", called each
other "comrades"; not a quote, never listed). Headings are never quotes. Apostrophes
(Putin's, won't, Russia’s) are not quote marks: a single mark only opens at a word start
and only closes at a word end.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from markdown_it.token import Token

from generator import attribution as attr
from generator.attribution import Context, KindOf, Speaker, Tok
from generator.quote_sentences import TERMINAL, split_sentences, tokenize
from generator.quote_words import words

OPENERS = "“„«"
CLOSERS = "”»"
OPEN_BEFORE = "([{—–-/“‘\"'"
CLOSE_AFTER = ".,;:!?)]}—–-/…\"'”’"
FUNCTION_WORDS = words(
    """of to in for that and or with on at from by as is was were are be been has had have
    will would but than into over about against during after before than which who
    while"""
)
_DOUBLE_MARKS = re.compile("[" + re.escape(OPENERS + CLOSERS + '"') + "]")
_SINGLE_MARKS = re.compile("[‘’']")
ELISIONS = re.compile(r"(?:em|n|til|cause|tis|twas|\d\ds)\b", re.IGNORECASE)


@dataclass
class Block:
    """The text of one paragraph or heading, and which inline child each character is in."""

    kind: str  # "paragraph" | "heading"
    text: str
    paragraph: int  # the p-N number of the top-level paragraph it is in
    token: int  # index of the inline token in the token stream
    segments: list[tuple[int, int, int]] = field(default_factory=list)  # start, end, child


@dataclass(frozen=True, slots=True)
class Piece:
    """The part of a quote inside one block: marks at `open`/`close` (close None: goes on)."""

    block: int
    open: int
    close: int | None

    def inner(self, blocks: Sequence[Block]) -> tuple[int, int]:
        text = blocks[self.block].text
        end = self.close if self.close is not None else len(text.rstrip())
        return self.open + 1, end


@dataclass(frozen=True, slots=True)
class ArticleQuote:
    """One quote as it appears in one article."""

    anchor: str  # element id in the article page: quote-N
    text: str  # the words inside the marks (paragraphs joined by a space)
    kind: str  # full | partial | term
    speaker_name: str | None
    paragraph: int  # p-N of the paragraph where it starts
    rule: str  # how the speaker was found: after, before, according-to, pronoun, ...
    pieces: tuple[Piece, ...] = ()

    @property
    def is_quote(self) -> bool:
        return self.kind in ("full", "partial")


# Blocks ------------------------------------------------------------------------------


def blocks_from_tokens(tokens: Sequence[Token]) -> list[Block]:
    blocks: list[Block] = []
    paragraph = 0
    for index, token in enumerate(tokens):
        if token.type == "paragraph_open" and token.level == 0:
            paragraph += 1
        if token.type != "inline" or index == 0:
            continue
        opener = tokens[index - 1].type
        if opener not in ("paragraph_open", "heading_open"):
            continue
        block = Block(
            "paragraph" if opener == "paragraph_open" else "heading", "", paragraph, index
        )
        parts: list[str] = []
        offset = 0
        for child_index, child in enumerate(token.children or ()):
            if child.type in ("text", "code_inline"):
                piece = child.content
            elif child.type in ("softbreak", "hardbreak"):
                piece = " "
            else:
                continue
            if piece:
                block.segments.append((offset, offset + len(piece), child_index))
                parts.append(piece)
                offset += len(piece)
        block.text = "".join(parts)
        blocks.append(block)
    return blocks


# Quote marks ---------------------------------------------------------------------------


def _opens(text: str, i: int) -> bool:
    prev = text[i - 1] if i > 0 else " "
    nxt = text[i + 1] if i + 1 < len(text) else " "
    return (prev.isspace() or prev in OPEN_BEFORE) and not nxt.isspace()


def _closes(text: str, i: int) -> bool:
    prev = text[i - 1] if i > 0 else " "
    nxt = text[i + 1] if i + 1 < len(text) else " "
    return not prev.isspace() and (nxt.isspace() or nxt in CLOSE_AFTER)


def double_spans(text: str) -> list[tuple[int, int | None]]:
    """(open, close) of every double-quoted span; close None if it runs past the end."""
    spans: list[tuple[int, int | None]] = []
    inside: int | None = None
    for mark in _DOUBLE_MARKS.finditer(text):  # no other character opens or closes
        i, ch = mark.start(), mark.group()
        if inside is None:
            if (ch in OPENERS or ch in '"”') and _opens(text, i):
                inside = i
        elif ch in CLOSERS or (ch == '"' and _closes(text, i)):
            spans.append((inside, i))
            inside = None
    if inside is not None:
        spans.append((inside, None))
    return spans


def single_spans(text: str, taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Single-quoted spans outside `taken`; apostrophes and elisions are not marks."""
    spans: list[tuple[int, int]] = []
    inside: int | None = None
    for mark in _SINGLE_MARKS.finditer(text):  # no other character opens or closes
        i, ch = mark.start(), mark.group()
        if any(s <= i < e for s, e in taken):
            continue
        if inside is None:
            if (
                ch in "‘'"
                and _opens(text, i)
                and text[i + 1 : i + 2].isalnum()
                and not ELISIONS.match(text, i + 1)
            ):
                inside = i
        elif ch in "’'" and _closes(text, i) and not text[i + 1 : i + 2].isalnum():
            spans.append((inside, i))
            inside = None
    return spans


def find_pieces(blocks: Sequence[Block]) -> list[list[Piece]]:
    """Every quote in the paragraphs as a list of pieces (several: across paragraphs)."""
    quotes: list[list[Piece]] = []
    pending: list[Piece] | None = None
    for b, block in enumerate(blocks):
        if block.kind != "paragraph":
            pending = None
            continue
        text = block.text
        doubles = double_spans(text)
        closed = [(s, e + 1) for s, e in doubles if e is not None]
        found: list[tuple[int, int | None]] = list(doubles)
        found += single_spans(text, closed + [(s, len(text)) for s, e in doubles if e is None])
        found.sort()
        start = len(text) - len(text.lstrip())
        for s, e in found:
            piece = Piece(b, s, e)
            if pending is not None and s == start:
                pending.append(piece)
            else:
                pending = None
                if e is None:
                    pending = [piece]  # dropped unless the next paragraph continues it
                    quotes.append(pending)
                    continue
                quotes.append([piece])
            if e is not None:
                pending = None
        if pending is not None and pending[-1].block != b:
            pending = None
    # A quote still open at its last paragraph's end had no continuation: not a quote.
    return [q for q in quotes if q[-1].close is not None]


# Extraction ----------------------------------------------------------------------------


@dataclass
class _Sentence:
    toks: list[Tok]
    heading: bool = False


def _find_verb_after(toks: list[Tok]) -> tuple[int, Speaker] | None:
    """`"Q," X said` / `"Q," said X` / `"Q," according to X`: the attribution after a quote."""
    k = 0
    while k < len(toks) and toks[k].text in ",)—–-":
        k += 1
    rest = toks[k:]
    if len(rest) >= 2 and rest[0].low == "according" and rest[1].low == "to":
        return k, attr.according_to(rest)
    for v, tok in enumerate(rest[:14]):
        if tok.quote >= 0 or tok.text in ".;:!?":
            return None
        if attr.is_verb(tok):
            subject = [
                t
                for t in rest[:v]
                if t.low not in attr.ADVERBS
                and not (t.low.endswith("ly") and t.text.islower())
                and t.low not in attr.WEEKDAYS
                and t.low != "on"
            ]
            if subject:
                return k + v, attr._from_tokens(subject)
            return k + v, attr.subject_after(rest, v)
    return None


def _is_upper_start(text: str) -> bool:
    stripped = text.lstrip(" .…'\"‘“")
    return bool(stripped) and (stripped[0].isupper() or stripped[0].isdigit())


def _classify_full(left: list[Tok], right: list[Tok], inner: str) -> bool:
    if not left:
        if not right or right[0].text == "," or _find_verb_after(right):
            return True
        return inner.rstrip()[-1:] in TERMINAL + ","
    last = left[-1]
    if last.text == ":":
        return _is_upper_start(inner)
    recent = [t.low for t in left[-3:]]
    if (last.text == "," or last.low in attr.SPEECH_VERBS) and any(
        w in attr.SPEECH_VERBS for w in recent
    ):
        return _is_upper_start(inner)
    return False


def _speaker_before(toks: list[Tok], q: int) -> Speaker | None:
    """For a full quote introduced by `X said:` - the last speech verb before the quote."""
    for v in range(q - 1, max(-1, q - 14), -1):
        if toks[v].quote >= 0:
            return None
        if attr.is_verb(toks[v]):
            return attr.verb_speaker(toks, v)
    return None


def _speaker_partial(toks: list[Tok], q: int) -> tuple[bool, Speaker]:
    """(a speech verb was found, who) for a fragment quoted inside a sentence."""
    found = attr.according_to(toks)
    if found.found:
        return True, found
    for v in range(q - 1, -1, -1):
        if attr.is_verb(toks[v]):
            return True, attr.verb_speaker(toks, v)
    for v in range(q + 1, len(toks)):
        if attr.is_verb(toks[v]):
            return True, attr.verb_speaker(toks, v)
    return False, attr.NOBODY


def _resolve(speaker: Speaker, ctx: Context, pos: tuple[int, int]) -> str | None:
    if speaker.pronoun:
        return ctx.antecedent(speaker.pronoun, speaker.pos or pos)
    if speaker.name:
        return ctx.expand(speaker.name, pos)
    return None


def extract(blocks: Sequence[Block], kind_of: KindOf | None = None) -> list[ArticleQuote]:
    """Every quote-marked span of the article's paragraphs, classified and attributed."""
    quotes = find_pieces(blocks)
    spans_by_block: dict[int, dict[int, tuple[int, int]]] = {}
    for qi, pieces in enumerate(quotes):
        for piece in pieces:
            end = piece.close + 1 if piece.close is not None else len(blocks[piece.block].text)
            spans_by_block.setdefault(piece.block, {})[piece.open] = (end, qi)
    sentences: list[_Sentence] = []
    where: dict[tuple[int, int], tuple[int, int]] = {}  # (quote, block) -> (sentence, token)
    for b, block in enumerate(blocks):
        if block.kind != "paragraph":
            sentences.append(_Sentence([], heading=True))
            continue
        spans = spans_by_block.get(b, {})
        for s, e in split_sentences(block.text, [(o, end) for o, (end, _) in spans.items()]):
            toks = tokenize(b, block.text, s, e, spans)
            for t_index, tok in enumerate(toks):
                if tok.quote >= 0:
                    where[(tok.quote, b)] = (len(sentences), t_index)
            sentences.append(_Sentence(toks))
    ctx = attr.build_context([s.toks for s in sentences if not s.heading], kind_of)

    results: list[dict] = []
    for qi, pieces in enumerate(quotes):
        first_s, first_t = where[(qi, pieces[0].block)]
        last_s, last_t = where[(qi, pieces[-1].block)]
        toks = sentences[first_s].toks
        left = toks[:first_t]
        right = sentences[last_s].toks[last_t + 1 :]
        inner_parts = []
        for piece in pieces:
            s, e = piece.inner(blocks)
            inner_parts.append(blocks[piece.block].text[s:e].strip())
        inner = " ".join(inner_parts)
        text = " ".join(inner.split())
        pos = (pieces[0].block, pieces[0].open)
        kind, speaker, rule = "partial", attr.NOBODY, ""
        if _classify_full(left, right, inner):
            kind = "full"
            after = _find_verb_after(right) if right else None
            if after is not None:
                speaker, rule = after[1], "after"
            else:
                before = _speaker_before(toks, first_t)
                if before is not None:
                    speaker, rule = before, "before"
                else:
                    speaker, rule = attr.according_to(toks), "according-to"
        elif attr.is_naming(left):
            kind = "term"
        else:
            words = text.split()
            nxt = right[0] if right else None
            modifier = (
                len(words) == 1
                and nxt is not None
                and nxt.text.isalpha()
                and nxt.text.islower()
                and nxt.low not in FUNCTION_WORDS
                and nxt.low not in attr.SPEECH_VERBS
            )
            had_verb, speaker = _speaker_partial(toks, first_t)
            rule = "partial"
            if modifier or (not had_verb and len(words) <= 4):
                kind, speaker = "term", attr.NOBODY
        if speaker.pronoun:
            rule = "pronoun"
        name = _resolve(speaker, ctx, pos)
        only_quote = not [t for t in left if t.text[:1].isalnum() or t.quote >= 0] and not [
            t for t in right if t.text[:1].isalnum() or t.quote >= 0
        ]
        results.append(
            {
                "text": text,
                "kind": kind,
                "name": name,
                "rule": rule if name else "",
                "pieces": tuple(pieces),
                "sentence": first_s,
                "only": only_quote and kind == "full",
            }
        )
    _continuations(results, sentences)
    out: list[ArticleQuote] = []
    n = 0
    for r in results:
        n += r["kind"] != "term"
        out.append(
            ArticleQuote(
                anchor=f"quote-{n}" if r["kind"] != "term" else "",
                text=r["text"],
                kind=r["kind"],
                speaker_name=r["name"],
                paragraph=blocks[r["pieces"][0].block].paragraph,
                rule=r["rule"],
                pieces=r["pieces"],
            )
        )
    return out


def _continuations(results: list[dict], sentences: list[_Sentence]) -> None:
    """A sentence that is only a quote, right after a quote by X, is X's."""
    last_full: dict[int, dict] = {}
    for r in results:
        if r["kind"] == "full":
            last_full[r["sentence"]] = r  # the last full quote of each sentence
    for r in results:
        if not r["only"] or r["name"]:
            continue
        prev = r["sentence"] - 1
        if prev < 0 or sentences[prev].heading:
            continue
        before = last_full.get(prev)
        if before is not None and before["name"]:
            r["name"], r["rule"] = before["name"], "continuation"


def extract_markdown(text: str, kind_of: KindOf | None = None) -> list[ArticleQuote]:
    """Convenience for tools and tests: Markdown text -> every quote-marked span."""
    from markdown_it import MarkdownIt

    return extract(blocks_from_tokens(MarkdownIt("commonmark").parse(text)), kind_of)
