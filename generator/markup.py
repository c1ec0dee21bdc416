"""The one configured MarkdownIt and our token-level plugins.

Every transformation happens on tokens (DESIGN.md convention 5): paragraph anchors and
heading anchors are core rules, so they never touch code or nest inside links. Later
stages (entity links, quote spans, note marks) add their own core rules here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from generator.config import Config
from generator.model import Heading, Parsed
from generator.text import slugify, word_count


@dataclass
class RenderEnv:
    """Per-document state our core rules fill in while a document renders."""

    headings: list[Heading] = field(default_factory=list)
    anchors: set[str] = field(default_factory=set)
    paragraphs: int = 0
    words: int = 0
    extra: dict = field(default_factory=dict)


def _inline_text(token: Token) -> str:
    return "".join(
        child.content for child in token.children or () if child.type in ("text", "code_inline")
    )


def anchors_rule(state: StateCore) -> None:
    """Give each top-level paragraph `id="p-N"` and each heading a unique slug id."""
    env = state.env.get("digest")
    if env is None:
        return
    used: set[str] = set(env.anchors)
    tokens = state.tokens
    for index, token in enumerate(tokens):
        if token.type == "paragraph_open" and token.level == 0:
            env.paragraphs += 1
            anchor = f"p-{env.paragraphs}"
            token.attrSet("id", anchor)
            used.add(anchor)
        elif token.type == "heading_open":
            text = _inline_text(tokens[index + 1])
            base = slugify(text) or "section"
            if base.startswith("p-") or base in used:
                base = f"h-{base}"
            anchor, n = base, 1
            while anchor in used:
                n += 1
                anchor = f"{base}-{n}"
            used.add(anchor)
            token.attrSet("id", anchor)
            env.headings.append(Heading(int(token.tag[1]), text, anchor))
        elif token.type == "inline":
            env.words += word_count(_inline_text(token))
    env.anchors = used


Plugin = Callable[[MarkdownIt], None]


def make_markdown(config: Config, plugins: tuple[Plugin, ...] = ()) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": config.allow_raw_html, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.validateLink = _validate_link
    md.core.ruler.push("digest_anchors", anchors_rule)
    for plugin in plugins:
        md.use(plugin)
    return md


_SAFE_SCHEMES = ("http:", "https:", "mailto:", "#", "/", "./", "../")


def _validate_link(url: str) -> bool:
    """Allow web, mail and relative links; refuse javascript:, data:, vbscript: and the like."""
    lowered = url.strip().lower()
    if ":" not in lowered.split("/", 1)[0]:
        return True
    return lowered.startswith(_SAFE_SCHEMES)


def render(md: MarkdownIt, text: str, extra: dict | None = None) -> Parsed:
    """Render `text`; `extra` carries inputs for plugins (e.g. the article id, its notes);
    what plugins found comes back in `Parsed.extra`, `Parsed.notes`, `Parsed.quotes`."""
    env = RenderEnv(extra=dict(extra or {}))
    html = md.render(text, {"digest": env})
    return Parsed(
        html=html,
        headings=tuple(env.headings),
        paragraphs=env.paragraphs,
        word_count=env.words,
        anchors=frozenset(env.anchors),
        notes=tuple(env.extra.get("note_results", ())),
        quotes=tuple(env.extra.get("quotes", ())),
        extra=dict(env.extra),
    )
