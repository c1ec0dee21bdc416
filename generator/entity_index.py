"""The link stage for entities: per-article results -> one `EntityIndex` for the Site.

Also the pure entry points other stages use: `find_mentions(registry, markdown)` for one
text, `ids_in(article)` for the entity set of an article (stories), `registry.resolve`
for `[[Entity Name]]` (notes).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from generator.config import Config
from generator.entities import Entity, Registry
from generator.entity_rule import EntityResults, make_plugin
from generator.errors import Diagnostic, warning
from generator.mentions import ADJECTIVE, Mention, NameCandidate
from generator.model import Article, Parsed
from generator.text import slugify
from generator.urls import Urls


@dataclass(frozen=True)
class EntityIndex:
    registry: Registry
    entities: tuple[Entity, ...]  # registered and discovered, sorted by id
    mentions: dict[str, tuple[Mention, ...]]  # entity id -> its mentions, article order
    discovered: dict[str, tuple[NameCandidate, ...]] = field(default_factory=dict)
    by_article: dict[str, frozenset[str]] = field(default_factory=dict)

    def get(self, entity_id: str) -> Entity | None:
        found = self.registry.get(entity_id)
        if found is None and entity_id in self.discovered:
            found = next(e for e in self.entities if e.id == entity_id)
        return found

    def names(self, entity_id: str) -> list[Mention]:
        """Mentions by name, alias or short form (not adjectives)."""
        return [m for m in self.mentions.get(entity_id, ()) if m.kind != ADJECTIVE]

    def count(self, entity_id: str) -> int:
        if entity_id in self.discovered:
            return len(self.discovered[entity_id])
        return self._counts.get(entity_id, 0)

    @cached_property
    def _counts(self) -> dict[str, int]:
        """Mentions by name of each entity (pages ask for every entity's count)."""
        return {entity_id: len(self.names(entity_id)) for entity_id in self.mentions}

    def ids_in(self, article_id: str) -> frozenset[str]:
        """Registered entities an article mentions by name (for story grouping)."""
        return self.by_article.get(article_id, frozenset())


def plugin_for(config: Config, registry: Registry, article: str = ""):
    urls = Urls.from_config(config)
    return make_plugin(
        registry,
        lambda entity_id: urls.url_for("entity", entity_id),
        article=article,
        link_all=config.link_all_mentions,
        link_adjectives=config.link_adjectives,
    )


def find_mentions(
    registry: Registry, markdown: str, config: Config | None = None, article: str = ""
) -> tuple[Mention, ...]:
    """Every mention of a registered entity in one Markdown text (pure; no IO)."""
    from pathlib import Path

    from generator import markup

    config = config or Config(root=Path("."))
    md = markup.make_markdown(config, (plugin_for(config, registry, article),))
    results = markup.render(md, markdown).extra["entities"]
    return tuple(results.mentions)


def found_in(parsed: Parsed) -> EntityResults:
    """What the entity rule found in one article: all that `link` reads of its parse."""
    return parsed.extra.get("entities") or EntityResults()


def link(
    registry: Registry,
    articles: Iterable[Article],
    parsed: dict[str, Parsed],
    memo: dict[str, tuple] | None = None,
) -> tuple[EntityIndex, dict[str, tuple[Mention, ...]], list[Diagnostic]]:
    """Gather every article's mentions and candidates into one index.

    `memo` (a dict `digest serve` keeps between builds): an article whose entity results
    are the very object of the last build keeps its mentions and entity set, the very
    same objects, so the stages that read them (story grouping and comparison) see at
    once which articles' sets changed."""
    problems: list[Diagnostic] = []
    by_entity: dict[str, list[Mention]] = defaultdict(list)
    by_article: dict[str, tuple[Mention, ...]] = {}
    sets: dict[str, frozenset[str]] = {}
    candidates: dict[str, list[NameCandidate]] = defaultdict(list)
    earlier = memo if memo is not None else {}
    kept: dict[str, tuple] = {}
    for article in articles:
        results = found_in(parsed[article.id])
        last = earlier.get(article.id)
        if last is not None and last[0] is results:
            _, mentions, ids = last
        else:
            mentions = tuple(results.mentions)
            ids = frozenset(m.entity for m in mentions if m.kind != ADJECTIVE)
        kept[article.id] = (results, mentions, ids)
        by_article[article.id], sets[article.id] = mentions, ids
        for mention in mentions:
            by_entity[mention.entity].append(mention)
        for line, message in results.problems:
            problems.append(warning(article.path, article.body_line + line - 1, message))
        for candidate in results.candidates:
            candidates[candidate.name].append(candidate)
    discovered: dict[str, tuple[NameCandidate, ...]] = {}
    entities = list(registry.entities)
    taken = set(registry.by_id)
    for name in sorted(candidates):
        entity_id = slugify(name)
        if not entity_id or entity_id in taken or registry.resolve(name):
            continue
        found = candidates[name]
        guesses = Counter(c.type_guess for c in found)
        guess = sorted(guesses.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        taken.add(entity_id)
        discovered[entity_id] = tuple(found)
        entities.append(Entity(id=entity_id, name=name, type=guess, reviewed=False))
    entities.sort(key=lambda e: e.id)
    if memo is not None:
        memo.clear()
        memo.update(kept)
    index = EntityIndex(
        registry=registry,
        entities=tuple(entities),
        mentions={k: tuple(v) for k, v in sorted(by_entity.items())},
        discovered=discovered,
        by_article=sets,
    )
    return index, by_article, problems
