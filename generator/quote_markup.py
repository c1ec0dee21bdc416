"""The markdown-it core rule that finds an article's quotes and marks them up in place.

Each quote (full or partial; never a term) becomes `<q class="quote" id="quote-N">` around
the words inside its marks, with the speaker in `data-speaker` (a slug) and `title`. The
outlet's own quote marks stay in the text (the stylesheet sets `quotes: none` so they are
not doubled). Insertion happens on inline tokens: a text token is split where a quote
starts or ends; if a quote starts inside emphasis and ends outside it, the wrap widens to
the whole emphasis so elements always nest. A quote across a paragraph break is wrapped
once per paragraph; only the first part carries the id.

The rule stores the quotes in `env["digest"].extra["quotes"]`; `markup.render` copies
them into `Parsed.quotes`, so quotes are cached with the parse of the article.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from html import escape

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from generator.attribution import KindOf
from generator.quotes import ArticleQuote, Block, blocks_from_tokens, extract
from generator.text import slugify


def _child_at(block: Block, offset: int, end: bool) -> tuple[int, int] | None:
    """(child index, offset inside the child) for a character offset of the block."""
    for start, stop, child in block.segments:
        if (start <= offset < stop) if not end else (start < offset <= stop):
            return child, offset - start
    return None


def _split(children: list[Token], child: int, at: int) -> bool:
    """Split text child `child` before character `at`; False if nothing had to be split."""
    token = children[child]
    if token.type != "text" or not 0 < at < len(token.content):
        return False
    head = Token("text", "", 0)
    head.content = token.content[:at]
    tail = Token("text", "", 0)
    tail.content = token.content[at:]
    children[child : child + 1] = [head, tail]
    return True


def _matches(children: list[Token]) -> dict[int, int]:
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for index, token in enumerate(children):
        if token.nesting == 1:
            stack.append(index)
        elif token.nesting == -1 and stack:
            opened = stack.pop()
            pairs[opened], pairs[index] = index, opened
    return pairs


def balance(children: list[Token], start: int, stop: int) -> tuple[int, int]:
    """Widen [start, stop) until every open/close inside it has its partner inside."""
    pairs = _matches(children)
    changed = True
    while changed:
        changed = False
        for index in range(start, stop):
            partner = pairs.get(index)
            if partner is None:
                continue
            if partner < start:
                start, changed = partner, True
                break
            if partner >= stop:
                stop, changed = partner + 1, True
                break
    return start, stop


def _html(content: str) -> Token:
    token = Token("html_inline", "", 0)
    token.content = content
    return token


def wrap(token: Token, block: Block, start: int, stop: int, open_tag: str) -> None:
    """Put `open_tag` ... `</q>` around block characters [start, stop) of an inline token."""
    children = list(token.children or ())
    end_at = _child_at(block, stop, end=True)
    start_at = _child_at(block, start, end=False)
    if end_at is None or start_at is None:
        return
    _split(children, *end_at)
    stop_index = end_at[0] + 1  # after the end child (or its head part)
    start_index = start_at[0]
    if _split(children, *start_at):
        start_index += 1
        stop_index += 1
    start_index, stop_index = balance(children, start_index, stop_index)
    children.insert(stop_index, _html("</q>"))
    children.insert(start_index, _html(open_tag))
    token.children = children


def _open_tag(quote: ArticleQuote, first: bool) -> str:
    attrs = [f'class="quote quote-{quote.kind}"']
    if first:
        attrs.insert(0, f'id="{quote.anchor}"')
    else:
        attrs.append(f'data-quote="{quote.anchor}"')
    if quote.speaker_name:
        attrs.append(f'data-speaker="{escape(slugify(quote.speaker_name))}"')
        attrs.append(f'title="{escape(quote.speaker_name)}"')
    return "<q " + " ".join(attrs) + ">"


def make_quotes_rule(kind_of: KindOf | None = None) -> Callable[[StateCore], None]:
    def quotes_rule(state: StateCore) -> None:
        env = state.env.get("digest")
        blocks = blocks_from_tokens(state.tokens)
        found = extract(blocks, kind_of)
        used = set(env.anchors) if env is not None else set()
        renamed: list[ArticleQuote] = []
        for quote in found:
            anchor, n = quote.anchor, 1
            while anchor in used:
                n += 1
                anchor = f"{quote.anchor}-{n}"
            used.add(anchor)
            renamed.append(_with_anchor(quote, anchor))
        # Wrap from the end backwards so earlier offsets stay valid after splits.
        jobs = []
        for quote in renamed:
            if not quote.is_quote:
                continue
            for number, piece in enumerate(quote.pieces):
                start, stop = piece.inner(blocks)
                jobs.append((piece.block, start, stop, _open_tag(quote, number == 0)))
        for block_index, start, stop, tag in sorted(jobs, reverse=True):
            block = blocks[block_index]
            if stop > start:
                wrap(state.tokens[block.token], block, start, stop, tag)
        if env is not None:
            env.anchors = used
            env.extra["quotes"] = tuple(q for q in renamed if q.is_quote)

    return quotes_rule


def _with_anchor(quote: ArticleQuote, anchor: str) -> ArticleQuote:
    return replace(quote, anchor=anchor)


def quotes_plugin(md: MarkdownIt, kind_of: KindOf | None = None) -> None:
    """`make_markdown(config, (quotes_plugin,))`: runs after the paragraph anchors."""
    md.core.ruler.push("digest_quotes", make_quotes_rule(kind_of))
