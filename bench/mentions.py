#!/usr/bin/env python3
"""Benchmark: mention detection is flat in registry size.

Generates N synthetic news-like articles (seeded, deterministic) that name people,
places and organisations from a pool of 10,000 entities (names built like those of
/work/shared-style corpora: first + last names, cities, "<Prefix> <Sector>" companies,
"<Field> <Kind>" agencies), then times the same articles against a registry of all
10,000 entities and against one of the 100 most popular.

Two timings per registry (CPU time, best of --repeat runs; the machine may be shared):
  detect  the matcher alone: `mentions.scan` + `mentions.resolve` over each paragraph;
  render  the whole Markdown pass with the entity core rule (what a build does).

Usage: python bench/mentions.py [--articles 10000] [--words 300] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator import markup
from generator.config import Config
from generator.entities import Entity, Registry
from generator.entity_index import plugin_for
from generator.mentions import resolve, scan

FIRST = [
    "Elena",
    "Viktor",
    "Amara",
    "Jonas",
    "Mariam",
    "Tomas",
    "Sofia",
    "Daniel",
    "Leila",
    "Pavel",
    "Ingrid",
    "Rafael",
    "Nadia",
    "Oskar",
    "Priya",
    "Mateo",
    "Hana",
    "Felix",
    "Yara",
    "Anton",
    "Chiara",
    "Samuel",
    "Irina",
    "Kwame",
    "Lucia",
    "Henrik",
    "Aisha",
    "Dmitri",
    "Rosa",
    "Malik",
    "Freya",
    "Julien",
    "Zainab",
    "Stefan",
    "Carmen",
    "Idris",
    "Marta",
    "Nikolai",
    "Ayumi",
    "Bruno",
    "Olga",
    "Tariq",
    "Greta",
    "Andres",
    "Noor",
    "Emil",
    "Ines",
    "Kofi",
    "Vera",
    "Luca",
    "Selin",
    "Marek",
    "Teresa",
    "Omar",
    "Astrid",
    "Diego",
    "Farah",
]
LAST = [
    "Marchetti",
    "Sokolov",
    "Okafor",
    "Lindqvist",
    "Haddad",
    "Novak",
    "Ferreira",
    "Brandt",
    "Kowalski",
    "Moreau",
    "Nakamura",
    "Petrov",
    "Castillo",
    "Okonkwo",
    "Halvorsen",
    "Rahman",
    "Dumitru",
    "Vasquez",
    "Adeyemi",
    "Bergstrom",
    "Kaur",
    "Romano",
    "Fischer",
    "Mendes",
    "Ivanova",
    "Tanaka",
    "Schultz",
    "Abara",
    "Delgado",
    "Kovacs",
    "Osei",
    "Laurent",
    "Yilmaz",
    "Horvath",
    "Benali",
    "Andersen",
    "Rossi",
    "Mbeki",
    "Silva",
    "Jansen",
    "Popescu",
    "Otieno",
    "Keller",
    "Alvarez",
    "Sato",
    "Weber",
    "Nowak",
    "Diallo",
    "Carvalho",
    "Hansen",
    "Murphy",
    "Sharma",
    "Lopez",
    "Volkov",
    "Mensah",
    "Dubois",
    "Costa",
    "Eriksen",
    "Farouk",
    "Gallagher",
    "Ibrahim",
]
PREFIX = [
    "Northbridge",
    "Helios",
    "Atlas",
    "Meridian",
    "Crescent",
    "Summit",
    "Bluewater",
    "Ironwood",
    "Silverline",
    "Redfern",
    "Lakeshore",
    "Granite",
    "Horizon",
    "Vantage",
    "Keystone",
    "Pinecrest",
    "Oakmont",
    "Sterling",
]
SECTOR = ["Energy", "Capital", "Logistics", "Telecom", "Mining", "Shipping", "Motors", "Bank"]
PLACE_A = ["Port", "New", "North", "South", "East", "West", "Upper", "Lower", "Saint", "Fort"]
PLACE_B = [
    "Ashford",
    "Brindle",
    "Calder",
    "Dunmore",
    "Elmsworth",
    "Fairhaven",
    "Glenrock",
    "Harlow",
    "Inverly",
    "Jarrow",
    "Kestrel",
    "Larkspur",
    "Merrow",
    "Norwick",
    "Orwell",
    "Penrith",
    "Quarry",
    "Ravensworth",
    "Stanmore",
    "Thornbury",
]
WORDS = [
    "the",
    "a",
    "of",
    "to",
    "in",
    "and",
    "on",
    "for",
    "with",
    "that",
    "said",
    "by",
    "was",
    "as",
    "at",
    "from",
    "officials",
    "government",
    "minister",
    "talks",
    "plan",
    "deal",
    "week",
    "on",
    "Tuesday",
    "on",
    "Wednesday",
    "meeting",
    "new",
    "report",
    "would",
    "could",
    "after",
    "before",
    "while",
    "during",
    "support",
    "against",
    "spending",
    "budget",
    "reform",
    "election",
    "security",
    "trade",
    "energy",
    "prices",
    "workers",
    "company",
    "market",
    "agreement",
    "statement",
    "told",
    "reporters",
    "added",
    "warned",
    "questions",
    "analysts",
    "expected",
    "decision",
    "vote",
    "court",
    "ruling",
    "sanctions",
    "border",
    "troops",
    "aid",
    "funding",
]


def make_entities(n: int, rng: random.Random) -> list[Entity]:
    seen: set[str] = set()
    entities: list[Entity] = []
    makers = [
        lambda: (f"{rng.choice(FIRST)} {rng.choice(LAST)} {rng.choice(LAST)}", "person"),
        lambda: (f"{rng.choice(FIRST)} {rng.choice(LAST)}", "person"),
        lambda: (
            f"{rng.choice(PREFIX)} {rng.choice(SECTOR)} {rng.choice(PLACE_B)}",
            "organization",
        ),
        lambda: (f"{rng.choice(PLACE_A)} {rng.choice(PLACE_B)} {rng.choice(PLACE_B)}", "place"),
    ]
    while len(entities) < n:
        name, kind = rng.choice(makers)()
        if name in seen:
            continue
        seen.add(name)
        surname = name.split()[-1]
        aliases = (surname,) if kind == "person" else ()
        entities.append(Entity(id=f"e{len(entities)}", name=name, type=kind, aliases=aliases))
    return entities


def make_articles(count: int, words: int, pool: list[Entity], rng: random.Random) -> list[str]:
    weights = [1.0 / (rank + 1) ** 0.6 for rank in range(len(pool))]  # Zipf-like popularity
    articles = []
    for _ in range(count):
        cast = rng.choices(pool, weights=weights, k=6)
        paragraphs, size = [], 0
        while size < words:
            sentence = []
            for _ in range(rng.randint(2, 4)):
                sentence += rng.choices(WORDS, k=rng.randint(3, 8))
                entity = rng.choice(cast)
                sentence.append(entity.name if rng.random() < 0.5 else entity.name.split()[-1])
            text = " ".join(sentence)
            paragraphs.append(text[0].upper() + text[1:] + ".")
            size += len(sentence)
        articles.append("\n\n".join(paragraphs))
    return articles


def time_detect(registry: Registry, articles: list[str]) -> tuple[float, int]:
    start = time.process_time()
    found = 0
    for text in articles:
        matches = []
        for paragraph in text.split("\n\n"):
            matches += scan(registry.trie, paragraph)
        chosen, _ = resolve(matches)
        found += sum(1 for _, s in chosen if s is not None)
    return time.process_time() - start, found


def time_render(registry: Registry, articles: list[str]) -> tuple[float, int]:
    config = Config(root=Path("."))
    md = markup.make_markdown(config, (plugin_for(config, registry),))
    start = time.process_time()
    found = 0
    for text in articles:
        found += len(markup.render(md, text).extra["entities"].mentions)
    return time.process_time() - start, found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--words", type=int, default=300, help="words per article")
    parser.add_argument("--entities", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-render", action="store_true", help="time the matcher only")
    args = parser.parse_args()
    rng = random.Random(42)
    pool = make_entities(args.entities, rng)
    start = time.process_time()
    big = Registry.build(pool)
    build_big = time.process_time() - start
    small = Registry.build(pool[: args.small])
    print(f"registry build ({args.entities} entities): {build_big:.2f}s CPU")
    kinds = [("detect", time_detect)] + ([] if args.no_render else [("render", time_render)])
    # A: the articles name entities from the whole pool, so the big registry finds more.
    # B: the articles name only the small registry's entities (both registries find the
    #    same mentions): the cost of registry size alone.
    for scenario, names in (("A", pool), ("B", pool[: args.small])):
        articles = make_articles(args.articles, args.words, names, random.Random(7))
        words = sum(len(a.split()) for a in articles)
        print(f"scenario {scenario}: {len(articles)} articles, {words} words")
        for label, func in kinds:
            results = {}
            for name, registry in (("small", small), ("big", big)):
                runs = [func(registry, articles) for _ in range(args.repeat)]
                results[name] = (min(r[0] for r in runs), runs[0][1])
            (t_small, n_small), (t_big, n_big) = results["small"], results["big"]
            print(
                f"  {label}: {args.small} entities {t_small:.2f}s ({n_small} mentions) | "
                f"{args.entities} entities {t_big:.2f}s ({n_big} mentions) | "
                f"ratio {t_big / t_small:.2f}x"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
