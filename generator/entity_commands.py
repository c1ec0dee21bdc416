"""`digest entities` (list registered and discovered entities) and `digest entities add`.

CLI-level commands: they build the site in memory, and `add` writes one registry file.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from generator.config import Config
from generator.entities import ENTITY_TYPES
from generator.errors import DigestError, error
from generator.frontmatter import dump
from generator.pipeline import build_site


def _index(config: Config):
    site, _outputs, _timings = build_site(config)
    return site


def list_entities(config: Config) -> tuple[list[str], list]:
    """Lines of the table (mentions, status, type, id, name) and the build's diagnostics."""
    site = _index(config)
    index = site.entities
    rows = sorted(index.entities, key=lambda e: (not e.reviewed, -index.count(e.id), e.type, e.id))
    lines = [f"{'mentions':>8}  {'status':<10}  {'type':<12}  {'id':<32}  name"]
    for entity in rows:
        status = "registered" if entity.reviewed else "discovered"
        lines.append(
            f"{index.count(entity.id):>8}  {status:<10}  {entity.type:<12}  "
            f"{entity.id:<32}  {entity.name}"
        )
    registered = sum(1 for e in index.entities if e.reviewed)
    lines.append(f"{registered} registered, {len(index.entities) - registered} discovered")
    return lines, list(site.diagnostics)


def add_entity(config: Config, name: str, kind: str | None = None) -> Path:
    """Write `content/entities/<id>.md` for a discovered name; return its path."""
    site = _index(config)
    index = site.entities
    wanted = " ".join(name.split()).lower()
    registered = index.registry.resolve(name)
    if registered:
        path = index.registry.by_id[registered].path
        raise DigestError([error(path, 1, f"'{name}' is already registered as '{registered}'")])
    found = [
        e for e in index.entities if not e.reviewed and wanted in (e.name.lower(), e.id.lower())
    ]
    if not found:
        names = [e.name for e in index.entities if not e.reviewed]
        close = difflib.get_close_matches(name, names, n=3)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise DigestError(
            [
                error(
                    "content/entities",
                    None,
                    f"'{name}' is not a discovered name{hint} (`digest entities` lists them)",
                )
            ]
        )
    entity = found[0]
    kind = kind or entity.type
    if kind not in ENTITY_TYPES:
        raise DigestError(
            [error("content/entities", None, f"--type must be one of {', '.join(ENTITY_TYPES)}")]
        )
    path = config.content_path / "entities" / f"{entity.id}.md"
    if path.exists():
        raise DigestError([error(str(path), 1, "a registry file with this id already exists")])
    count = index.count(entity.id)
    articles = len({c.article for c in index.discovered[entity.id]})
    body = (
        f"Describe {entity.name} here in a sentence or two. (Added from discovery: "
        f"{count} mention{'s' if count != 1 else ''} in {articles} article"
        f"{'s' if articles != 1 else ''}; check the type and add aliases.)\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump({"name": entity.name, "type": kind}) + "\n" + body, encoding="utf-8")
    return path
