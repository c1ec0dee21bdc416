#!/usr/bin/env python3
"""Benchmark: group a generated corpus into stories and align every story.

    python bench/stories.py --corpus CORPUS/plain [--entities tags|stand-in] [--limit N]

CORPUS is a folder of Markdown articles with YAML front matter, e.g. the `plain/` output of
the shared corpus generator (`make_corpus.py --n 10000 --seed 42 --out CORPUS --formats
plain`). Each article's `story:` is removed before grouping and kept as the truth, so the
benchmark measures automatic grouping and reports its pairwise precision and recall.
`--entities tags` gives the grouping the corpus's `tags` (the entities each article
mentions) as entity ids, the way the entity stage will; `stand-in` uses the capitalised
names the stage extracts itself until then.

It then compares every story (time per story) and a synthetic 5-outlet, 60-sentence story
built from variants of one text (reordered, reworded, with numbers and modals changed).
Timings are wall-clock on this machine; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator import compare, grouping, markup, stories
from generator.config import Config
from generator.frontmatter import split
from generator.model import Article
from generator.sentences import article_sentences


def load(folder: Path, limit: int | None) -> tuple[list[Article], dict[str, str], dict]:
    articles, truth, tags = [], {}, {}
    for path in sorted(folder.glob("*.md"))[:limit]:
        meta, _lines, body, _line = split(path.read_text(encoding="utf-8"))
        date = meta.get("date")
        if isinstance(date, str):
            date = dt.datetime.fromisoformat(date.replace("Z", "+00:00"))
        if isinstance(date, dt.datetime):
            date = date.date()
        article_id = path.stem
        truth[article_id] = str(meta.get("story", ""))
        tags[article_id] = frozenset(str(t).lower() for t in meta.get("tags") or ())
        articles.append(
            Article(
                id=article_id,
                slug=article_id,
                title=str(meta.get("title", "")),
                source=str(meta.get("source", "")),
                date=date,
                body=body,
                path=path,
                body_line=1,
                sha256="",
            )
        )
    return articles, truth, tags


def pair_scores(groups: dict[str, list[str]], truth: dict[str, str]) -> tuple[float, float]:
    predicted = set()
    for members in groups.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                predicted.add((a, b) if a < b else (b, a))
    by_story = defaultdict(list)
    for article_id, story in truth.items():
        by_story[story].append(article_id)
    actual = set()
    for members in by_story.values():
        members.sort()
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                actual.add((a, b))
    hit = len(predicted & actual)
    return hit / max(len(predicted), 1), hit / max(len(actual), 1)


MODAL_SWAPS = {" could ": " would ", " would ": " could ", " will ": " may "}


def variant_story(text_sentences: list[str], outlets: int, rng: random.Random):
    """`outlets` versions of one text: reordered paragraphs, dropped, reworded sentences."""
    by_article = {}
    for o in range(outlets):
        article_id = f"outlet-{o + 1}"
        chosen = []
        for s in text_sentences:
            r = rng.random()
            if o and r < 0.08:
                continue  # this outlet leaves the sentence out
            if o and r < 0.25:
                for old, new in MODAL_SWAPS.items():
                    if old in s:
                        s = s.replace(old, new, 1)
                        break
                else:
                    s = s.replace(" the ", " a ", 1)
            if o and r > 0.9:
                s = s.replace(" said", " added", 1).replace("1", "2", 1)
            chosen.append(s)
        if o:
            chosen.append(f"Outlet {o + 1} alone adds this closing sentence about its own sources.")
        paras = [chosen[i : i + 4] for i in range(0, len(chosen), 4)]
        if o:
            rng.shuffle(paras)
        by_article[article_id] = article_sentences(
            article_id, [(n + 1, " ".join(p)) for n, p in enumerate(paras)]
        )
    return by_article


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--entities", choices=("tags", "stand-in"), default="tags")
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    articles, truth, tags = load(args.corpus, args.limit)
    t1 = time.perf_counter()
    md = markup.make_markdown(Config(root=Path(".")))
    sentences = {a.id: stories.sentences_of(md, a) for a in articles}
    t2 = time.perf_counter()
    if args.entities == "tags":
        entity_sets = tags
    else:
        entity_sets = {a.id: grouping.stand_in_entities(sentences[a.id]) for a in articles}
    t3 = time.perf_counter()
    items = [
        grouping.GroupInput(
            a.id, a.date, "", a.title + "\n" + " ".join(s.text for s in sentences[a.id])
        )
        for a in articles
    ]
    groups = grouping.group(items, entity_sets)
    t4 = time.perf_counter()
    precision, recall = pair_scores(groups, truth)
    print(f"articles: {len(articles)} (read in {t1 - t0:.2f}s)")
    print(f"sentences: {sum(map(len, sentences.values()))} (split in {t2 - t1:.2f}s)")
    print(f"entities: {args.entities} ({t3 - t2:.2f}s)")
    true_stories = len(set(truth.values()))
    print(f"grouping: {len(groups)} stories in {t4 - t3:.2f}s; true stories: {true_stories}")
    print(f"pairwise precision {precision:.3f}, recall {recall:.3f}")

    times = []
    by_id = {a.id: a for a in articles}
    for members in groups.values():
        order = sorted(members, key=lambda i: (by_id[i].date, i))
        start = time.perf_counter()
        compare.compare(
            "s", {i: sentences[i] for i in order}, order, entities_by_article=entity_sets
        )
        times.append(time.perf_counter() - start)
    t5 = time.perf_counter()
    times.sort()
    print(
        f"aligning {len(times)} stories: {t5 - t4:.2f}s total; per story mean "
        f"{statistics.mean(times) * 1000:.1f} ms, median {statistics.median(times) * 1000:.1f} ms, "
        f"p95 {times[int(len(times) * 0.95)] * 1000:.1f} ms, max {times[-1] * 1000:.1f} ms"
    )

    rng = random.Random(5)
    text = [s.text for s in sentences[articles[0].id]]
    pool = [s for a in articles[:40] for s in (x.text for x in sentences[a.id])]
    text = (text + pool)[:60]
    by_article = variant_story(text, 5, rng)
    runs = []
    result = None
    for _ in range(5):
        start = time.perf_counter()
        result = compare.compare("bench", by_article, list(by_article))
        runs.append(time.perf_counter() - start)
    assert result is not None
    n = sum(len(v) for v in by_article.values())
    print(
        f"5-outlet story, {len(text)} sentences per outlet ({n} in all): median "
        f"{statistics.median(runs) * 1000:.1f} ms over {len(runs)} runs; units {result.stats}, "
        f"{len(result.discrepancies)} discrepancies"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
