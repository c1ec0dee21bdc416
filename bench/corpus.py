"""Make the benchmark corpus and turn it into a news-digest project.

`make_corpus.py` (in the shared folder beside the repository) writes the same articles as
a Hugo site, a Pelican project and plain Markdown with YAML front matter, plus the entity
pool. This module runs it once per size and converts

* `OUT/plain/*.md`      -> `project/content/articles/*.md` (front matter fixed up to ours),
* `OUT/entities.yaml`   -> `project/content/entities/<id>.md` (the registry),
* a few sentences       -> `project/content/notes/<id>.md` (so the note stages have work).

Everything is deterministic: the same size and seed give the same bytes.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

# The front matter keys `generator/articles.py` knows. Imported when the project is
# importable (it is, from the project's venv); the copy is the foundation's list.
try:
    from generator.articles import KNOWN_FIELDS as _KNOWN
except ImportError:  # pragma: no cover - bench run outside the project venv
    _KNOWN = {"title", "source", "date", "dateline", "standfirst", "byline", "url", "story"}
KNOWN_FIELDS = frozenset(_KNOWN) | {"tags"}

KIND_TO_TYPE = {"person": "person", "place": "place", "org": "organization"}
NOTE_EVERY = 50  # one note per this many articles (at least 3 in any corpus)
MIN_NOTES = 3
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def slugify(text: str) -> str:
    text = text.lower().replace("'", "")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def make_corpus(script: Path, n: int, seed: int, out: Path) -> None:
    """Run the shared corpus generator (it replaces `out`)."""
    subprocess.run(
        [sys.executable, str(script), "--n", str(n), "--seed", str(seed), "--out", str(out)],
        check=True,
        stderr=subprocess.DEVNULL,
    )


# Articles -------------------------------------------------------------------------------


def convert_front_matter(text: str) -> tuple[str, list[str]]:
    """Drop top-level front matter keys our loader does not know (they would warn).

    Returns the new text and the dropped keys. The corpus writes `topic:`, which is not
    one of our fields; everything else (title, date, source, story, tags) maps 1:1.
    """
    if not text.startswith("---\n"):
        return text, []
    end = text.index("\n---\n", 3)
    head, rest = text[4:end].split("\n"), text[end:]
    kept: list[str] = []
    dropped: list[str] = []
    skipping = False
    for line in head:
        if line and not line[0].isspace():
            key = line.split(":", 1)[0].strip()
            skipping = key not in KNOWN_FIELDS
            if skipping:
                dropped.append(key)
        if not skipping:
            kept.append(line)
    return "---\n" + "\n".join(kept) + rest, dropped


def convert_articles(plain: Path, articles_dir: Path) -> tuple[list[Path], set[str]]:
    articles_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    dropped_all: set[str] = set()
    for source in sorted(plain.glob("*.md")):
        text, dropped = convert_front_matter(source.read_text(encoding="utf-8"))
        dropped_all.update(dropped)
        target = articles_dir / source.name
        target.write_text(text, encoding="utf-8", newline="\n")
        written.append(target)
    return written, dropped_all


# Entities -------------------------------------------------------------------------------


def read_pool(path: Path) -> list[tuple[str, str]]:
    """`entities.yaml` is a flat list of `- name: "..."` / `  kind: ...` pairs."""
    pool: list[tuple[str, str]] = []
    name = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("- name:"):
            name = json.loads(line.split(":", 1)[1].strip())
        elif line.strip().startswith("kind:") and name is not None:
            pool.append((name, line.split(":", 1)[1].strip()))
            name = None
    return pool


def _aliases(pool: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Plausible aliases that stay unambiguous: a surname used by one person only, and
    the initials of a multi-word organisation when no other entity has them."""
    surnames: dict[str, int] = {}
    for name, kind in pool:
        if kind == "person":
            last = name.split()[-1]
            surnames[last] = surnames.get(last, 0) + 1
    names = {name for name, _ in pool}
    initials: dict[str, int] = {}
    for name, kind in pool:
        if kind == "org" and len(name.split()) >= 3:
            abbr = "".join(w[0] for w in name.split() if w[0].isupper())
            initials[abbr] = initials.get(abbr, 0) + 1
    aliases: dict[str, list[str]] = {}
    for name, kind in pool:
        found: list[str] = []
        if kind == "person":
            last = name.split()[-1]
            if surnames[last] == 1 and last not in names:
                found.append(last)
        elif kind == "org" and len(name.split()) >= 3:
            abbr = "".join(w[0] for w in name.split() if w[0].isupper())
            if initials[abbr] == 1 and abbr not in names and len(abbr) >= 3:
                found.append(abbr)
        aliases[name] = found
    return aliases


def convert_entities(pool_file: Path, entities_dir: Path) -> list[Path]:
    entities_dir.mkdir(parents=True, exist_ok=True)
    pool = read_pool(pool_file)
    aliases = _aliases(pool)
    written: list[Path] = []
    for name, kind in pool:
        entity_type = KIND_TO_TYPE.get(kind, "thing")
        lines = ["---", f"name: {json.dumps(name, ensure_ascii=False)}", f"type: {entity_type}"]
        if aliases[name]:
            lines.append("aliases:")
            lines += [f"  - {json.dumps(a, ensure_ascii=False)}" for a in aliases[name]]
        else:
            lines.append("aliases: []")
        lines.append("---")
        article = "an" if entity_type[0] in "aeiou" else "a"
        body = f"{name} is {article} {entity_type} in the benchmark corpus (a made-up name)."
        path = entities_dir / f"{slugify(name)}.md"
        path.write_text("\n".join([*lines, "", body, ""]), encoding="utf-8", newline="\n")
        written.append(path)
    return written


# Notes ----------------------------------------------------------------------------------


def article_body(text: str) -> str:
    end = text.index("\n---\n", 3)
    return text[end + 5 :]


def pick_passage(body: str) -> str | None:
    """A sentence copied exactly from a body paragraph (not a heading), 6+ words, that
    occurs once in the article (a repeated one would need a prefix/suffix)."""
    paragraphs = [p for p in body.split("\n\n") if p.strip() and not p.startswith("#")]
    for paragraph in paragraphs[1:] + paragraphs[:1]:
        for sentence in SENTENCE_END.split(paragraph.strip()):
            if (
                len(sentence.split()) >= 6
                and "“" not in sentence
                and "”" not in sentence
                and body.count(sentence) == 1
            ):
                return sentence
    return None


def make_notes(articles: list[Path], notes_dir: Path) -> list[Path]:
    notes_dir.mkdir(parents=True, exist_ok=True)
    count = max(MIN_NOTES, len(articles) // NOTE_EVERY)
    step = max(1, len(articles) // count)
    written: list[Path] = []
    for number, index in enumerate(range(0, len(articles), step)[:count], start=1):
        path = articles[index]
        passage = pick_passage(article_body(path.read_text(encoding="utf-8")))
        if passage is None:
            continue
        note_id = f"bench-note-{number:04d}"
        text = (
            "---\n"
            f"target: {path.stem}\n"
            f"anchor: {json.dumps(passage, ensure_ascii=False)}\n"
            "---\n\n"
            f"Editor's note {number}: this passage is checked against the other outlets' "
            "reports of the same story.\n"
        )
        note = notes_dir / f"{note_id}.md"
        note.write_text(text, encoding="utf-8", newline="\n")
        written.append(note)
    return written


# The whole project ----------------------------------------------------------------------

DIGEST_YAML = """\
title: "Benchmark digest ({n} articles)"
description: "A made-up corpus for `python -m bench`."
"""


def make_project(corpus: Path, project: Path, n: int) -> dict:
    """Build `project` (replaced) from the corpus in `corpus`; returns a summary."""
    if project.exists():
        shutil.rmtree(project)
    content = project / "content"
    articles, dropped = convert_articles(corpus / "plain", content / "articles")
    entities = convert_entities(corpus / "entities.yaml", content / "entities")
    notes = make_notes(articles, content / "notes")
    (project / "digest.yaml").write_text(DIGEST_YAML.format(n=n), encoding="utf-8")
    return {
        "articles": len(articles),
        "entities": len(entities),
        "notes": len(notes),
        "dropped_front_matter_keys": sorted(dropped),
    }
