"""Editor notes: `content/notes/<id>.md` -> validated `Note`s -> anchored `LinkedNote`s.

Front matter (DESIGN.md "Data formats"):

    target: reuters-putin-and-north-koreas-kim-discuss   # article, entity or story id
    anchor: held talks for several hours                  # articles only: the passage
    prefix: Putin, 70, and Kim, 39,                       # optional, to pick one of several
    suffix: with their ministers                          # optional
    author: The editors                                   # optional
    date: 2023-09-14                                      # optional

`target` may name its kind (`article:ID`, `entity:ID`, `story:ID`); a bare id is looked
up among articles, entities and stories. Stages here are pure: `from_documents` checks
front matter and renders bodies, the `notes_rule` in `notes_markup` anchors them while
each article is parsed, and `link` turns the anchoring results into diagnostics and the
`LinkedNote`s that pages and data files are made from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator import anchoring
from generator.articles import SLUG_RE, parse_date
from generator.config import Config
from generator.errors import Diagnostic, error, warning
from generator.markup import make_markdown
from generator.model import Document, Parsed
from generator.notes_markup import NoteAnchor, NoteInput, Resolver, no_entities, wikilinks_plugin
from generator.urls import Urls

KINDS = ("article", "entity", "story")
KNOWN_FIELDS = {"target", "anchor", "prefix", "suffix", "author", "date"}


@dataclass(frozen=True, slots=True)
class Note:
    id: str
    target_kind: str  # "article" | "entity" | "story"
    target: str  # the target's id
    selector: anchoring.Selector | None  # articles only
    body: str
    body_html: str
    author: str
    date: dt.date | None
    path: Path
    line: int  # of `anchor` (or `target`): where anchoring problems are reported
    body_line: int

    @property
    def byline(self) -> str:
        parts = [self.author] if self.author else []
        if self.date:
            parts.append(self.date.strftime("%-d %B %Y"))
        return ", ".join(parts)

    @property
    def sort_key(self) -> tuple:
        # Newest first; undated notes last; then by id for a stable order.
        return (0 if self.date else 1, -(self.date.toordinal() if self.date else 0), self.id)

    def as_input(self) -> NoteInput:
        assert self.selector is not None
        return NoteInput(
            id=self.id,
            selector=self.selector,
            body_html=self.body_html,
            byline=self.byline,
            date_iso=self.date.isoformat() if self.date else "",
        )


@dataclass(frozen=True, slots=True)
class LinkedNote:
    """A note with where it landed (articles) - what pages and data files are made from."""

    note: Note
    anchor: NoteAnchor | None = None  # None for entity and story notes

    @property
    def anchored(self) -> bool:
        return self.anchor is not None and self.anchor.match.anchored


def resolve_target(
    value: str,
    has_anchor: bool,
    ids: Mapping[str, set[str] | None],
) -> tuple[str, str] | str:
    """(kind, id) for a `target` value, or a message saying what is wrong.

    `ids` maps each kind to the ids that exist, or None when that kind is not known to
    this build (then an explicit `kind:ID` is accepted as is).
    """
    kind, sep, key = value.partition(":")
    if sep and kind in KINDS:
        known = ids.get(kind)
        if known is not None and key not in known:
            return f"there is no {kind} '{key}'"
        if has_anchor and kind != "article":
            return "'anchor' applies to article notes only: remove it or target an article"
        return kind, key
    found = [k for k in KINDS if value in (ids.get(k) or ())]
    if len(found) > 1:
        return f"'{value}' is both an {found[0]} and a {found[1]} id: write `{found[0]}:{value}`"
    if found:
        if has_anchor and found[0] != "article":
            return "'anchor' applies to article notes only: remove it or target an article"
        return found[0], value
    if has_anchor:
        return f"there is no article '{value}': use an article's slug (its file name)"
    return (
        f"there is no article, entity or story '{value}'"
        "; write `entity:ID` or `story:ID` to name the kind"
    )


def _text(doc: Document, key: str, problems: list[Diagnostic]) -> str:
    value = doc.meta.get(key)
    if value is None:
        return ""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    problems.append(error(doc.path, doc.line_of(key), f"'{key}' must be text"))
    return ""


def _unknown_entity_warnings(doc: Document, names: list[str]) -> list[Diagnostic]:
    problems = []
    lines = doc.body.split("\n")
    for name in sorted(set(names)):
        line = next((n for n, text in enumerate(lines) if f"[[{name}" in " ".join(text.split())), 0)
        problems.append(
            warning(
                doc.path,
                doc.body_line + line,
                f"unknown entity '[[{name}]]': add it to content/entities/ or fix the name "
                "(shown as plain text)",
            )
        )
    return problems


def from_documents(
    config: Config,
    documents: Iterable[Document],
    ids: Mapping[str, set[str] | None],
    resolver: Resolver = no_entities,
    memo: dict[Path, tuple] | None = None,
) -> tuple[list[Note], list[Diagnostic]]:
    """Validate note documents and render their bodies (with `[[Entity]]` links).

    `memo` (a dict `digest serve` keeps between builds, emptied by the caller when `ids`
    or the resolver's registry change): a document that is the very object of the last
    build keeps its Note and problems, so a note edit renders one note again."""
    urls = Urls.from_config(config)
    md = None
    notes: list[Note] = []
    problems: list[Diagnostic] = []
    kept: dict[Path, tuple] = {}
    for doc in documents:
        last = memo.get(doc.path) if memo is not None else None
        if last is not None and last[0] is doc:
            note, found = last[1], last[2]
        else:
            if md is None:
                link = wikilinks_plugin(resolver, lambda e: urls.url_for("entity", e))
                md = make_markdown(config, (link,))
            note, found = _from_document(doc, ids, md)
        kept[doc.path] = (doc, note, found)
        problems.extend(found)
        if note is not None:
            notes.append(note)
    if memo is not None:
        memo.clear()
        memo.update(kept)
    return notes, problems


def _from_document(
    doc: Document, ids: Mapping[str, set[str] | None], md
) -> tuple[Note | None, list[Diagnostic]]:
    """One note document: its Note (None when it has an error) and its problems."""
    found: list[Diagnostic] = []
    if not SLUG_RE.match(doc.id):
        found.append(
            error(doc.path, 1, "a note's file name must be lowercase letters, digits, hyphens")
        )
    values = {key: _text(doc, key, found) for key in sorted(KNOWN_FIELDS - {"date"})}
    for key in sorted(set(doc.meta) - KNOWN_FIELDS):
        found.append(warning(doc.path, doc.line_of(str(key)), f"unknown field '{key}'"))
    date = None
    try:
        date = parse_date(doc.meta.get("date"))
    except (ValueError, TypeError):
        found.append(error(doc.path, doc.line_of("date"), "'date' is not a date: write YYYY-MM-DD"))
    target = values["target"].strip()
    anchor = values["anchor"]
    resolved: tuple[str, str] | str = "missing 'target': name the article, entity or story"
    if target:
        resolved = resolve_target(target, bool(anchor.strip()), ids)
    if isinstance(resolved, str):
        where = doc.line_of("target") if "target" in doc.meta else 1
        found.append(error(doc.path, where, resolved))
    elif resolved[0] == "article" and not anchor.strip():
        found.append(
            error(
                doc.path,
                doc.line_of("anchor") if "anchor" in doc.meta else doc.line_of("target"),
                "a note on an article needs `anchor:` with the exact passage it is about",
            )
        )
    if not doc.body.strip():
        found.append(warning(doc.path, doc.body_line, "the note has no text"))
    if any(p.level == "error" for p in found) or isinstance(resolved, str):
        return None, found
    env: dict[str, Any] = {"unknown_entities": []}
    body_html = md.render(doc.body, env)
    found.extend(_unknown_entity_warnings(doc, env["unknown_entities"]))
    selector = None
    if resolved[0] == "article":
        selector = anchoring.Selector(anchor, values["prefix"], values["suffix"])
    note = Note(
        id=doc.id,
        target_kind=resolved[0],
        target=resolved[1],
        selector=selector,
        body=doc.body,
        body_html=body_html,
        author=values["author"].strip(),
        date=date,
        path=doc.path,
        line=doc.line_of("anchor") if selector else doc.line_of("target"),
        body_line=doc.body_line,
    )
    return note, found


def for_articles(notes: Iterable[Note]) -> dict[str, tuple[NoteInput, ...]]:
    """What `notes_rule` gets for each article: its notes, in file order."""
    grouped: dict[str, list[NoteInput]] = {}
    for note in notes:
        if note.target_kind == "article":
            grouped.setdefault(note.target, []).append(note.as_input())
    return {key: tuple(value) for key, value in grouped.items()}


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def diagnostics_for(note: Note, result: NoteAnchor, article_path: Path) -> list[Diagnostic]:
    match = result.match
    passage = _short(note.selector.exact if note.selector else "")
    if match.status == anchoring.AMBIGUOUS:
        return [
            error(
                note.path,
                note.line,
                f"the passage “{passage}” occurs {match.places} times in {article_path}: "
                "add `prefix:` and/or `suffix:` with the text just before or after it "
                "(or run `digest note new` to compute them)",
            )
        ]
    if match.status == anchoring.REANCHORED:
        return [
            warning(
                note.path,
                note.line,
                f"re-anchored to “{_short(result.exact)}” in {article_path}: {match.reason}; "
                "check the note still fits and update `anchor:`/`prefix:`/`suffix:`",
            )
        ]
    if match.status == anchoring.ORPHANED:
        return [
            warning(
                note.path,
                note.line,
                f"the passage “{passage}” is gone from {article_path} ({match.reason}); "
                "the note is listed under “Notes whose passage is gone”: update `anchor:`",
            )
        ]
    return []


def link(
    notes: Iterable[Note], parsed: Mapping[str, Parsed], article_paths: Mapping[str, Path]
) -> tuple[tuple[LinkedNote, ...], list[Diagnostic]]:
    """Pair every note with its anchoring result; anchoring problems become diagnostics."""
    notes = tuple(notes)
    targets = {n.target for n in notes if n.target_kind == "article" and n.target in parsed}
    results = {r.note_id: r for target in targets for r in parsed[target].notes}
    linked: list[LinkedNote] = []
    problems: list[Diagnostic] = []
    for note in notes:
        result = results.get(note.id) if note.target_kind == "article" else None
        if note.target_kind == "article" and result is None:
            # Cannot happen when the pipeline passed the note to its article's parse.
            raise AssertionError(f"note {note.id} was not anchored")
        if result is not None:
            problems.extend(diagnostics_for(note, result, article_paths[note.target]))
        linked.append(LinkedNote(note, result))
    linked.sort(key=lambda n: n.note.sort_key)
    return tuple(linked), problems


def notes_on(site_notes: Iterable[LinkedNote], kind: str, key: str) -> list[LinkedNote]:
    return [n for n in site_notes if n.note.target_kind == kind and n.note.target == key]
