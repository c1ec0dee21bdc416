"""`digest note new ARTICLE "passage"`: write a note file with its selector filled in.

`selector_for` is pure: given an article's rendered text and a passage it returns the
TextQuoteSelector that anchors exactly that occurrence, with the shortest prefix/suffix
(whole words) that the anchoring rules accept as unambiguous. `new_note` is the command:
it reads the project, refuses unknown articles and passages with a clear message, and
creates `content/notes/<id>.md` without ever replacing an existing file.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from generator import anchoring, frontmatter, load
from generator.anchoring import Selector
from generator.config import Config
from generator.errors import DigestError, error
from generator.markup import RenderEnv, make_markdown
from generator.notes_markup import notes_plugin, rendered_text
from generator.pipeline import load_articles
from generator.text import slugify

# Context is whole words: at least a few (a one-word prefix says little when the text is
# later edited and the note must be re-anchored), at most a dozen.
MIN_CONTEXT_WORDS = 3
MAX_CONTEXT_WORDS = 12
PLACEHOLDER = "Write the note here, in Markdown.\n"


@dataclass(frozen=True)
class Proposal:
    selector: Selector
    occurrences: int  # how many times the passage occurs in the article


def _words_before(text: str, start: int, count: int) -> str:
    words = list(re.finditer(r"\S+", text[:start]))[-count:]
    return " ".join(text[words[0].start() : start].split()) if words else ""


def _words_after(text: str, end: int, count: int) -> str:
    words = list(re.finditer(r"\S+", text[end:]))[:count]
    return " ".join(text[end : end + words[-1].end()].split()) if words else ""


def selector_for(text: str, passage: str, occurrence: int = 1) -> Proposal | str:
    """The selector for the `occurrence`-th place of `passage` in `text`, or a message."""
    folded = anchoring.fold(text)
    quote = anchoring.folded(passage)
    if not quote:
        return "the passage is empty"
    places = anchoring.occurrences(folded.text, quote)
    if not places:
        near = anchoring.anchor(text, Selector(passage))
        if near.anchored:
            return (
                f"the passage is not in the article; did you mean “{text[near.start : near.end]}”?"
            )
        return "the passage is not in the article (copy it from the article's page)"
    if not 1 <= occurrence <= len(places):
        return f"the passage occurs {len(places)} times: --occurrence must be 1 to {len(places)}"
    start, end = folded.span(places[occurrence - 1], places[occurrence - 1] + len(quote))
    exact = " ".join(text[start:end].split())
    if len(places) == 1:
        return Proposal(Selector(exact), 1)
    for count in range(MIN_CONTEXT_WORDS, MAX_CONTEXT_WORDS + 1):
        prefix, suffix = _words_before(text, start, count), _words_after(text, end, count)
        for candidate in (
            Selector(exact, prefix, ""),
            Selector(exact, "", suffix),
            Selector(exact, prefix, suffix),
        ):
            if not (candidate.prefix or candidate.suffix):
                continue
            found = anchoring.anchor(text, candidate)
            if found.status == anchoring.EXACT and found.start == start:
                return Proposal(candidate, len(places))
    return "the passage occurs several times in identical surroundings: choose a longer passage"


def article_text(config: Config, article_body: str) -> str:
    """The rendered text that notes are anchored on (same parser as the build)."""
    md = make_markdown(config, (notes_plugin,))
    tokens = md.parse(article_body, {"digest": RenderEnv()})
    return rendered_text(tokens)[0]


def _note_id(folder: Path, passage: str, wanted: str | None) -> str:
    if wanted:
        if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", wanted):
            raise DigestError(
                [error(wanted, None, "a note id must be lowercase letters, digits and hyphens")]
            )
        return wanted
    base = slugify(passage, max_words=6) or "note"
    note_id, n = base, 1
    while (folder / f"{note_id}.md").exists():
        n += 1
        note_id = f"{base}-{n}"
    return note_id


def new_note(
    config: Config,
    article_key: str,
    passage: str,
    *,
    note_id: str | None = None,
    author: str = "",
    date: dt.date | None = None,
    occurrence: int = 1,
) -> tuple[Path, Proposal]:
    """Create the note file; return its path. Raises DigestError for user errors."""
    articles, _documents, problems = load_articles(config)
    key = Path(article_key).stem if article_key.endswith(".md") else article_key
    article = next((a for a in articles if a.id == key), None)
    if article is None:
        known = ", ".join(a.id for a in articles) or "none"
        unreadable = [p for p in problems if p.level == "error"]
        raise DigestError(
            [
                *unreadable,
                error(article_key, None, f"no such article; the articles are: {known}"),
            ]
        )
    proposal = selector_for(article_text(config, article.body), passage, occurrence)
    if isinstance(proposal, str):
        raise DigestError([error(article.path, None, proposal)])
    folder = config.content_path / "notes"
    note_id = _note_id(folder, proposal.selector.exact, note_id)
    meta: dict = {"target": article.id, "anchor": proposal.selector.exact}
    if proposal.selector.prefix:
        meta["prefix"] = proposal.selector.prefix
    if proposal.selector.suffix:
        meta["suffix"] = proposal.selector.suffix
    if author:
        meta["author"] = author
    meta["date"] = date or dt.date.today()
    text = frontmatter.dump(meta) + "\n" + PLACEHOLDER
    path = folder / f"{note_id}.md"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except FileExistsError:
        raise DigestError(
            [error(load.rel(path, config.root), None, "a note with this id exists: pick --id")]
        ) from None
    return path, proposal
