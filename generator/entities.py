"""The entity registry: `content/entities/<id>.md` -> a validated, frozen `Registry`.

A registry file's front matter has `name`, `type` (person, place, organization, thing),
optional `aliases`, `short_aliases`, `adjectives` and `wikidata`; the body is the
editor's description. Every surface form (name, alias, adjective) is compiled into one
word-level trie (`mentions.Trie`), so finding mentions costs the same whatever the
registry's size.

Kinds of surface form, and how `mentions` resolves them:

- `name` and `aliases`: unconditional. Two entities may not share one (an *alias
  clash*, an error naming both files).
- short forms: an alias that is a single word of the entity's name (the surname rule:
  "Putin" of "Vladimir Putin", "Kim" of "Kim Jong Un") and every `short_aliases` entry
  ("the North", "Security Council"). A short form links only in an article that also
  names the entity by name or alias. Short forms may be shared; an article that names
  both owners (or neither) leaves the short form unlinked and reports it.
- `adjectives` ("Russian"): recorded as mentions, linked only with `link_adjectives`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from generator.errors import Diagnostic, error
from generator.mentions import ADJECTIVE, ALIAS, NAME, SHORT, Surface, Trie, surface_key
from generator.model import Document

ENTITY_TYPES = ("person", "place", "organization", "thing")
KNOWN_FIELDS = {"name", "type", "aliases", "short_aliases", "adjectives", "wikidata"}
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
QID_RE = re.compile(r"^Q[1-9][0-9]*$")


@dataclass(frozen=True, slots=True)
class Entity:
    id: str
    name: str
    type: str
    aliases: tuple[str, ...] = ()
    short_aliases: tuple[str, ...] = ()
    adjectives: tuple[str, ...] = ()
    wikidata: str = ""
    description: str = ""  # Markdown, the editor's words
    path: str = ""
    reviewed: bool = True  # False for names found by discovery

    def surfaces(self) -> list[tuple[str, str]]:
        """Every (surface form, kind) of this entity, the surname rule applied."""
        name_words = set(surface_key(self.name))
        found = [(self.name, NAME)]
        for alias in self.aliases:
            key = surface_key(alias)
            single_word_of_name = len(key) == 1 and key[0] in name_words
            found.append((alias, SHORT if single_word_of_name else ALIAS))
        found += [(alias, SHORT) for alias in self.short_aliases]
        found += [(adjective, ADJECTIVE) for adjective in self.adjectives]
        return found


@dataclass(frozen=True)
class Registry:
    """All registered entities (sorted by id) and the trie of their surface forms."""

    entities: tuple[Entity, ...] = ()
    trie: Trie = field(default_factory=Trie)
    by_id: dict[str, Entity] = field(default_factory=dict)
    # Lower-cased surface words -> kind -> owner ids, for `resolve`.
    by_surface: dict[tuple[str, ...], dict[str, set[str]]] = field(default_factory=dict)

    @classmethod
    def build(cls, entities: list[Entity]) -> Registry:
        ordered = sorted(entities, key=lambda e: e.id)
        trie = Trie()
        by_surface: dict[tuple[str, ...], dict[str, set[str]]] = {}
        for entity in ordered:
            for text, kind in entity.surfaces():
                trie.add(text, Surface(entity.id, kind))
                key = tuple(w.lower() for w in surface_key(text))
                by_surface.setdefault(key, {}).setdefault(kind, set()).add(entity.id)
        return cls(tuple(ordered), trie, {e.id: e for e in ordered}, by_surface)

    def get(self, entity_id: str) -> Entity | None:
        return self.by_id.get(entity_id)

    def resolve(self, text: str) -> str | None:
        """The id of the entity called `text` (id, name or alias; `[[Name]]` links).

        Case-insensitive on the name and aliases; short forms only when one entity owns
        them. None when nothing or more than one entity fits.
        """
        text = text.strip()
        if text in self.by_id:
            return text
        owners = self.by_surface.get(tuple(w.lower() for w in surface_key(text)), {})
        for kind in (NAME, ALIAS, SHORT, ADJECTIVE):
            ids = owners.get(kind, set())
            if len(ids) == 1:
                return next(iter(ids))
            if ids:
                return None
        return None


def _string_list(doc: Document, key: str, problems: list[Diagnostic]) -> tuple[str, ...]:
    value = doc.meta.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.append(
            error(doc.path, doc.line_of(key), f"'{key}' must be a list of names, one per line")
        )
        return ()
    return tuple(v.strip() for v in value)


def from_document(doc: Document) -> tuple[Entity | None, list[Diagnostic]]:
    meta: dict[str, Any] = doc.meta
    problems: list[Diagnostic] = []
    if not ID_RE.match(doc.id):
        problems.append(
            error(doc.path, 1, "entity file names must be lowercase-words-with-hyphens.md")
        )
    name = meta.get("name")
    if not isinstance(name, str) or not name.strip():
        line = doc.line_of("name") if "name" in meta else 1
        problems.append(error(doc.path, line, "missing 'name': add `name: Full Name`"))
        name = ""
    elif not surface_key(name):
        problems.append(error(doc.path, doc.line_of("name"), "'name' has no letters or digits"))
    kind = meta.get("type")
    if kind not in ENTITY_TYPES:
        line = doc.line_of("type") if "type" in meta else 1
        problems.append(
            error(
                doc.path,
                line,
                f"unknown type {kind!r}: write `type:` as one of {', '.join(ENTITY_TYPES)}",
            )
        )
    wikidata = meta.get("wikidata") or ""
    if wikidata and (not isinstance(wikidata, str) or not QID_RE.match(wikidata)):
        problems.append(
            error(doc.path, doc.line_of("wikidata"), "'wikidata' must be a Q-id such as Q7747")
        )
    lists = {key: _string_list(doc, key, problems) for key in KNOWN_FIELDS - {"name", "type"}}
    lists.pop("wikidata")
    for key in sorted(set(meta) - KNOWN_FIELDS, key=str):
        problems.append(
            error(
                doc.path,
                doc.line_of(str(key)),
                f"unknown field '{key}' (entity fields: {', '.join(sorted(KNOWN_FIELDS))})",
            )
        )
    if problems:
        return None, problems
    return (
        Entity(
            id=doc.id,
            name=name.strip(),
            type=kind,
            wikidata=wikidata,
            description=doc.body.strip(),
            path=str(doc.path),
            **lists,
        ),
        problems,
    )


def load_registry(documents: list[Document]) -> tuple[Registry, list[Diagnostic]]:
    """Validate every registry file; duplicate ids and alias clashes are errors."""
    problems: list[Diagnostic] = []
    entities: list[Entity] = []
    lines: dict[str, Document] = {}
    for doc in documents:
        entity, found = from_document(doc)
        problems.extend(found)
        if entity is None:
            continue
        if entity.id in lines:
            first = lines[entity.id].path
            problems.append(error(doc.path, 1, f"duplicate entity id '{entity.id}' (also {first})"))
            continue
        lines[entity.id] = doc
        entities.append(entity)
    # Unconditional surfaces (names, aliases, adjectives) must each have one owner.
    owners: dict[tuple[str, ...], tuple[Entity, str]] = {}
    for entity in sorted(entities, key=lambda e: e.id):
        doc = lines[entity.id]
        for text, kind in entity.surfaces():
            if kind == SHORT:
                continue
            key = surface_key(text)
            other = owners.get(key)
            if other is not None and other[0].id != entity.id:
                field_name = {NAME: "name", ALIAS: "aliases", ADJECTIVE: "adjectives"}[kind]
                problems.append(
                    error(
                        doc.path,
                        doc.line_of(field_name),
                        f"alias clash: '{text}' already names '{other[0].id}' "
                        f"({other[0].path}); remove it from one file or make it a "
                        "`short_aliases` entry of both",
                    )
                )
            elif other is None:
                owners[key] = (entity, text)
    return Registry.build(entities), problems
