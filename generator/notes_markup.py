"""Token-level parts of editor notes (DESIGN.md convention 5: tokens, never HTML regexes).

* `rendered_text(tokens)`: the text a reader sees in a parsed article body, with a map
  from every character back to the `text`/`code_inline` token it comes from. Blocks are
  separated by a newline, soft and hard breaks are a newline; code blocks, raw HTML and
  image alt text are not part of it.
* `notes_rule`: a core rule that anchors the notes passed in `env.extra["notes"]`,
  highlights each passage with `<mark>` (one piece per text run, so a passage may cross
  emphasis, links and entity mentions and the HTML stays well nested), adds a numbered
  marker after it and the note itself after the top-level block that holds it. Results go
  to `env.extra["note_results"]`. It must run after every rule that changes text tokens
  (entity mentions, quote spans): `notes_plugin` pushes it last.
* `wikilinks_plugin(resolver, href)`: `[[Entity Name]]` / `[[Entity Name|shown text]]` in
  note bodies, resolved through `resolver(name) -> (entity id, display name) | None`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from generator import anchoring
from generator.anchoring import Selector

NOTE_LABEL = "Editor's note"


@dataclass(frozen=True, slots=True)
class NoteInput:
    """What the core rule needs of one note: already validated and its body rendered."""

    id: str
    selector: Selector
    body_html: str
    byline: str = ""  # "Author, 14 September 2023" or ""
    date_iso: str = ""


@dataclass(frozen=True, slots=True)
class NoteAnchor:
    """Where one note landed in its article's rendered text."""

    note_id: str
    match: anchoring.Match
    number: int = 0  # 1.. in reading order for anchored notes, 0 for the others
    exact: str = ""  # the passage as the page shows it (the note's own text if orphaned)
    prefix: str = ""
    suffix: str = ""


@dataclass(frozen=True, slots=True)
class Run:
    """One `text`/`code_inline`/break child token and its span in the rendered text."""

    block: int  # index of the inline token in state.tokens
    child: int
    start: int
    end: int


def rendered_text(tokens: list[Token]) -> tuple[str, list[Run]]:
    parts: list[str] = []
    runs: list[Run] = []
    pos = 0
    for index, token in enumerate(tokens):
        if token.type != "inline":
            continue
        if parts:
            parts.append("\n")
            pos += 1
        for number, child in enumerate(token.children or ()):
            if child.type in ("text", "code_inline") and child.content:
                runs.append(Run(index, number, pos, pos + len(child.content)))
                parts.append(child.content)
                pos += len(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                runs.append(Run(index, number, pos, pos + 1))
                parts.append("\n")
                pos += 1
    return "".join(parts), runs


def _token(kind: str, tag: str, nesting: int, content: str = "", **attrs: str) -> Token:
    token = Token(kind, tag, nesting, content=content)  # type: ignore[arg-type]
    for key, value in attrs.items():
        token.attrSet(key.rstrip("_").replace("_", "-"), value)
    return token


def marker_tokens(note_id: str, number: int) -> list[Token]:
    return [
        _token("note_ref_open", "sup", 1, class_="note-ref"),
        _token(
            "note_ref_link_open",
            "a",
            1,
            href=f"#note-{note_id}",
            id=f"ref-note-{note_id}",
            aria_label=f"{NOTE_LABEL} {number}",
        ),
        _token("text", "", 0, str(number)),
        _token("note_ref_link_close", "a", -1),
        _token("note_ref_close", "sup", -1),
    ]


def _inline(children: list[Token]) -> Token:
    token = Token("inline", "", 0, children=children)
    return token


def _block(kind: str, tag: str, nesting: int, **attrs: str) -> Token:
    token = _token(kind, tag, nesting, **attrs)
    token.block = True
    return token


def aside_tokens(note: NoteInput, number: int) -> list[Token]:
    """<aside role="note"> with a label that links back to the marker, the body, a byline."""
    label_id = f"note-{note.id}-label"
    tokens = [
        _block(
            "note_open",
            "aside",
            1,
            class_="note",
            id=f"note-{note.id}",
            role="note",
            aria_labelledby=label_id,
        ),
        _block("note_label_open", "p", 1, class_="note-label"),
        _inline(
            [
                _token("note_label_name_open", "span", 1, id=label_id),
                _token("text", "", 0, f"{NOTE_LABEL} {number}"),
                _token("note_label_name_close", "span", -1),
                _token("text", "", 0, " "),
                _token(
                    "note_back_open",
                    "a",
                    1,
                    class_="note-back",
                    href=f"#ref-note-{note.id}",
                    aria_label=f"Back to the passage of note {number}",
                ),
                _token("text", "", 0, "↩"),
                _token("note_back_close", "a", -1),
            ]
        ),
        _block("note_label_close", "p", -1),
        _block("note_body_open", "div", 1, class_="note-body"),
        Token("html_block", "", 0, content=note.body_html, block=True),
        _block("note_body_close", "div", -1),
    ]
    if note.byline:
        time = [_token("text", "", 0, note.byline)]
        tokens += [
            _block("note_meta_open", "p", 1, class_="note-meta"),
            _inline(time),
            _block("note_meta_close", "p", -1),
        ]
    tokens.append(_block("note_close", "aside", -1))
    return tokens


def _top_block(tokens: list[Token], index: int) -> tuple[int, int]:
    """[open, close] indexes of the top-level block that contains tokens[index]."""
    start = index
    while start > 0 and not (tokens[start].level == 0 and tokens[start].nesting != -1):
        start -= 1
    if tokens[start].nesting == 0:
        return start, start
    depth, end = 0, start
    for end in range(start, len(tokens)):
        depth += tokens[end].nesting if tokens[end].level == 0 else 0
        if depth == 0:
            break
    return start, end


def _split_children(
    children: list[Token], runs: dict[int, Run], spans: list[tuple[int, int, str, int]]
) -> list[Token]:
    """New children with <mark> pieces and markers; markers never go inside a link."""
    out: list[Token] = []
    pending: list[Token] = []  # markers waiting for the enclosing link to close
    link_depth = 0

    def place(markers: list[Token]) -> None:
        if link_depth:
            pending.extend(markers)
        else:
            out.extend(markers)

    for number, child in enumerate(children):
        run = runs.get(number)
        if child.tag == "a" and child.nesting == 1:
            link_depth += 1
        if run is None:
            out.append(child)
            if child.tag == "a" and child.nesting == -1:
                link_depth -= 1
                if not link_depth and pending:
                    out.extend(pending)
                    pending.clear()
            continue
        cuts = {run.start, run.end}
        if child.type == "text":
            cuts.update(p for s, e, _, _ in spans for p in (s, e) if run.start < p < run.end)
        edges = sorted(cuts)
        for a, b in itertools.pairwise(edges):
            covered = any(s <= a and b <= e for s, e, _, _ in spans) or (
                child.type != "text" and any(s < b and a < e for s, e, _, _ in spans)
            )
            if child.type == "text":
                piece = Token("text", "", 0, content=child.content[a - run.start : b - run.start])
            else:
                piece = child
            if covered:
                if out and out[-1].type == "note_mark_close":
                    out.pop()  # continue the <mark> just closed: one piece per text run
                else:
                    out.append(_token("note_mark_open", "mark", 1, class_="note-mark"))
                out += [piece, _token("note_mark_close", "mark", -1)]
            else:
                out.append(piece)
            ending = [
                (num, note_id) for s, e, note_id, num in spans if a < e <= b and e > run.start
            ]
            for num, note_id in sorted(ending):
                place(marker_tokens(note_id, num))
    out.extend(pending)
    return out


def notes_rule(state: StateCore) -> None:
    env = state.env.get("digest")
    notes: tuple[NoteInput, ...] = env.extra.get("notes", ()) if env is not None else ()
    if not notes:
        return
    tokens = state.tokens
    text, runs = rendered_text(tokens)
    matches = {note.id: anchoring.anchor(text, note.selector) for note in notes}
    anchored = sorted(
        (n for n in notes if matches[n.id].anchored),
        key=lambda n: (matches[n.id].start, matches[n.id].end, n.id),
    )
    numbers = {note.id: number for number, note in enumerate(anchored, 1)}
    results = []
    for note in notes:
        match = matches[note.id]
        if match.anchored:
            prefix, suffix = anchoring.context_of(text, match.start, match.end)
            exact = text[match.start : match.end]
            results.append(NoteAnchor(note.id, match, numbers[note.id], exact, prefix, suffix))
        else:
            results.append(NoteAnchor(note.id, match, 0, note.selector.exact))
    env.extra["note_results"] = tuple(results)
    if not anchored:
        return
    # Which inline tokens each passage touches, and which top-level block gets the note.
    spans_by_block: dict[int, list[tuple[int, int, str, int]]] = {}
    asides_after: dict[int, list[NoteInput]] = {}
    opens: dict[int, int] = {}
    for note in anchored:
        match = matches[note.id]
        touched = [r for r in runs if r.start < match.end and match.start < r.end]
        for block in sorted({r.block for r in touched}):
            spans_by_block.setdefault(block, []).append(
                (match.start, match.end, note.id, numbers[note.id])
            )
        start, end = _top_block(tokens, touched[-1].block)
        opens[end] = start
        asides_after.setdefault(end, []).append(note)
    for block, spans in spans_by_block.items():
        inline = tokens[block]
        block_runs = {r.child: r for r in runs if r.block == block}
        inline.children = _split_children(inline.children or [], block_runs, spans)
    # Insert from the end so earlier indexes stay valid.
    for end in sorted(asides_after, reverse=True):
        start = opens[end]
        margin = [_block("note_margin_open", "div", 1, class_="note-margin")]
        for note in asides_after[end]:
            margin += aside_tokens(note, numbers[note.id])
        margin.append(_block("note_margin_close", "div", -1))
        margin.append(_block("note_group_close", "div", -1))
        tokens[end + 1 : end + 1] = margin
        tokens.insert(start, _block("note_group_open", "div", 1, class_="noted"))


def notes_plugin(md: MarkdownIt) -> None:
    md.core.ruler.push("digest_notes", notes_rule)


# [[Entity Name]] ------------------------------------------------------------------------

Resolver = Callable[[str], "tuple[str, str] | None"]


def no_entities(name: str) -> tuple[str, str] | None:
    """The resolver until an entity registry is plugged in: every name is unknown."""
    return None


def wikilinks_plugin(resolver: Resolver, href: Callable[[str], str]) -> Callable:
    """`[[Name]]` -> a link to the entity page, or plain text (recorded as unknown).

    Unknown names are appended to `env["unknown_entities"]` (a list) when the caller
    passes one in the env, so the caller can turn them into warnings with a line.
    """

    def rule(state: StateInline, silent: bool) -> bool:
        src, pos = state.src, state.pos
        if not src.startswith("[[", pos):
            return False
        close = src.find("]]", pos + 2)
        if close == -1:
            return False
        inner = src[pos + 2 : close]
        if not inner.strip() or "[" in inner or "]" in inner or "\n" in inner:
            return False
        name, _, shown = inner.partition("|")
        name, shown = " ".join(name.split()), " ".join(shown.split())
        if not silent:
            found = resolver(name)
            if found is None or state.linkLevel > 0:
                if found is None and isinstance(state.env.get("unknown_entities"), list):
                    state.env["unknown_entities"].append(name)
                token = state.push("text", "", 0)
                token.content = shown or name
            else:
                entity_id, display = found
                token = state.push("link_open", "a", 1)
                token.attrSet("href", href(entity_id))
                token.attrSet("class", "entity")
                token.meta["entity"] = entity_id
                text = state.push("text", "", 0)
                text.content = shown or display
                state.push("link_close", "a", -1)
        state.pos = close + 2
        return True

    def plugin(md: MarkdownIt) -> None:
        md.inline.ruler.before("link", "digest_wikilink", rule)

    return plugin
