"""The markdown-it core rule that finds entity mentions and links them, on tokens.

It runs after the anchor rule, over the inline tokens of the whole document:

1. each inline token's children are joined into one string: text as is, emphasis
   markers as nothing (so "**Kim**'s" reads "Kim's"), line breaks as spaces, and links,
   code, images and raw HTML as a hard break, so nothing inside a link or code is
   ever matched;
2. `mentions.scan` finds surfaces in every string; `mentions.resolve` picks one entity
   per match using what the whole article names (the surname rule);
3. each resolved match that lies inside one text token is wrapped: a link to the entity
   page (the first mention of the entity in each paragraph, or every one with
   `link_all_mentions`; adjectives only with `link_adjectives`), otherwise a
   `<span class="mention">`. Every wrapper carries `data-entity`. A match that crosses
   an emphasis boundary ("**North** Korea") is counted but not wrapped: a link cannot
   straddle `<strong>`.

Results go into the render env (`env.extra["entities"]`), so one Markdown pass gives
both the HTML and the mentions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from generator import discovery
from generator.entities import Registry
from generator.mentions import (
    ADJECTIVE,
    Match,
    Mention,
    NameCandidate,
    Surface,
    resolve,
    scan,
    sentence_at,
    sentence_breaks,
    tokens,
)

BREAK = "\x00"
_INVISIBLE = {"em_open", "em_close", "strong_open", "strong_close", "s_open", "s_close"}


@dataclass
class EntityResults:
    """What the rule found in one document."""

    mentions: list[Mention] = field(default_factory=list)
    candidates: list[NameCandidate] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (body line, message)


@dataclass
class _Block:
    token: Token
    text: str
    segments: list[tuple[int, int, int]]  # (child index, start, end) of text children
    excluded: list[tuple[int, int]]  # link text and code: in sentences, never matched
    anchor: str
    line: int
    heading: bool
    matches: list[Match] = field(default_factory=list)
    words: list[tuple[int, int, str]] = field(default_factory=list)  # tokens(text)


def _collect(state: StateCore) -> list[_Block]:
    blocks: list[_Block] = []
    anchor, heading = "", False
    for token in state.tokens:
        if token.nesting == 1 and token.attrGet("id") and token.type != "inline":
            anchor = str(token.attrGet("id"))
        if token.type == "heading_open":
            heading = True
        elif token.type == "heading_close":
            heading = False
        if token.type != "inline" or not token.children:
            continue
        parts: list[str] = []
        segments: list[tuple[int, int, int]] = []
        excluded: list[tuple[int, int]] = []
        size, in_link = 0, 0
        for index, child in enumerate(token.children):
            piece = BREAK
            if child.type == "link_open":
                in_link += 1
            elif child.type == "link_close":
                in_link -= 1
            elif in_link or child.type == "code_inline":
                # Kept for sentences, never matched: fenced by breaks, then excluded.
                piece = BREAK + child.content + BREAK
                excluded.append((size, size + len(piece)))
            elif child.type == "text":
                piece = child.content
                segments.append((index, size, size + len(piece)))
            elif child.type in ("softbreak", "hardbreak"):
                piece = " "
            elif child.type in _INVISIBLE:
                piece = ""
            parts.append(piece)
            size += len(piece)
        line = token.map[0] + 1 if token.map else 1
        blocks.append(_Block(token, "".join(parts), segments, excluded, anchor, line, heading))
    return blocks


def _segment_of(block: _Block, start: int, end: int) -> tuple[int, int] | None:
    for child, seg_start, seg_end in block.segments:
        if seg_start <= start and end <= seg_end:
            return child, seg_start
    return None


def _wrap(children: list[Token], wraps: dict[int, list[tuple[int, int, list[Token]]]]):
    """Split text children around (start, end, [open, close]) wraps; new child list."""
    result: list[Token] = []
    for index, child in enumerate(children):
        pieces = wraps.get(index)
        if not pieces:
            result.append(child)
            continue
        position = 0
        for start, end, (open_token, close_token) in sorted(pieces, key=lambda p: p[0]):
            if start > position:
                result.append(_text(child, child.content[position:start]))
            result += [open_token, _text(child, child.content[start:end]), close_token]
            position = end
        if position < len(child.content):
            result.append(_text(child, child.content[position:]))
    return result


def _text(like: Token, content: str) -> Token:
    token = Token("text", "", 0, content=content)
    token.level = like.level
    return token


def _wrapper(surface: Surface, href: str | None, level: int) -> list[Token]:
    if href is not None:
        open_token = Token("link_open", "a", 1)
        open_token.attrs = {"href": href, "class": "entity", "data-entity": surface.entity}
        close_token = Token("link_close", "a", -1)
    else:
        open_token = Token("entity_mention_open", "span", 1)
        kind = " adjective" if surface.kind == ADJECTIVE else ""
        open_token.attrs = {"class": f"mention{kind}", "data-entity": surface.entity}
        close_token = Token("entity_mention_close", "span", -1)
    open_token.level = close_token.level = level
    return [open_token, close_token]


def _context(text: str, start: int, end: int, breaks) -> tuple[str, int]:
    """The sentence around [start, end) without break marks, and the span's offset in it
    (`breaks`: the text's `sentence_breaks`)."""
    sentence, offset = sentence_at(text, start, end, breaks)
    return sentence.replace(BREAK, ""), offset - sentence[:offset].count(BREAK)


def _problem(match: Match, text: str, registry: Registry) -> str:
    surface = text[match.start : match.end]
    owners = sorted({s.entity for s in match.surfaces})
    names = " or ".join(f"'{registry.by_id[o].name}'" for o in owners if o in registry.by_id)
    if len(owners) > 1:
        return (
            f"'{surface}' is ambiguous ({names}) and left unlinked: name the one you mean "
            "in full once in this article"
        )
    return (
        f"'{surface}' may mean {names} but the article never names it in full, so it is "
        "left unlinked: write the full name once"
    )


def make_plugin(
    registry: Registry,
    href_for: Callable[[str], str],
    *,
    article: str = "",
    link_all: bool = False,
    link_adjectives: bool = False,
    discover: bool = True,
) -> Callable[[MarkdownIt], None]:
    """A markdown-it plugin: `md.use(make_plugin(...))` adds the `digest_entities` rule."""

    def rule(state: StateCore) -> None:
        env = state.env.get("digest")
        if env is None:
            return
        results = EntityResults()
        env.extra["entities"] = results
        article_id = env.extra.get("article", article)
        blocks = _collect(state)
        flat: list[Match] = []
        for block in blocks:
            block.words = tokens(block.text)  # once: matching and discovery both read them
            block.matches = [
                m
                for m in scan(registry.trie, block.text, block.words)
                if not any(s < m.end and m.start < e for s, e in block.excluded)
            ]
            flat.extend(block.matches)
        chosen, _named = resolve(flat)
        picks = iter(chosen)
        lower_words = {t for b in blocks if not b.heading for _, _, t in b.words if t.islower()}
        # Mentions in one sentence share its text: one string, not one per mention (a
        # third of the mentions' sentence text, which the linked digest holds to the end)
        sentences: dict[str, str] = {}
        index = 0
        for block in blocks:
            breaks = sentence_breaks(block.text)
            linked_here: set[str] = set()
            wraps: dict[int, list[tuple[int, int, list[Token]]]] = {}
            for match in block.matches:
                _, surface = next(picks)
                if surface is None:
                    results.problems.append((block.line, _problem(match, block.text, registry)))
                    continue
                segment = _segment_of(block, match.start, match.end)
                wants_link = (surface.kind != ADJECTIVE or link_adjectives) and (
                    link_all or surface.entity not in linked_here
                )
                linked = segment is not None and wants_link
                if segment is not None:
                    child, seg_start = segment
                    href = href_for(surface.entity) if linked else None
                    wraps.setdefault(child, []).append(
                        (
                            match.start - seg_start,
                            match.end - seg_start,
                            _wrapper(surface, href, block.token.level),
                        )
                    )
                if linked:
                    linked_here.add(surface.entity)
                sentence, offset = _context(block.text, match.start, match.end, breaks)
                sentence = sentences.setdefault(sentence, sentence)
                results.mentions.append(
                    Mention(
                        entity=surface.entity,
                        article=article_id,
                        paragraph=block.anchor,
                        text=block.text[match.start : match.end],
                        kind=surface.kind,
                        sentence=sentence,
                        offset=offset,
                        linked=linked,
                        index=index,
                    )
                )
                index += 1
            if wraps:
                block.token.children = _wrap(block.token.children or [], wraps)
            if discover and not block.heading:
                covered = [(m.start, m.end) for m in block.matches] + block.excluded
                for found in discovery.find_names(block.text, block.words, covered, lower_words):
                    sentence, offset = _context(block.text, found.start, found.end, breaks)
                    sentence = sentences.setdefault(sentence, sentence)
                    results.candidates.append(
                        NameCandidate(
                            name=found.name,
                            article=article_id,
                            paragraph=block.anchor,
                            sentence=sentence,
                            offset=offset,
                            type_guess=found.type_guess,
                            cue=found.cue,
                        )
                    )

    def plugin(md: MarkdownIt) -> None:
        md.core.ruler.push("digest_entities", rule)

    return plugin
