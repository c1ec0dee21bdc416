"""`digest ingest`: seed files -> `content/articles/<slug>.md`, never losing an edit.

Each written article records `seed`, `seed_sha256` and `ingested_sha256` (the hash of
the file as ingest wrote it, that line left out). Re-ingesting:

* the seed is unchanged -> nothing is written;
* the article was not edited since ingest -> it is replaced by the new ingest;
* the article was edited by hand -> refused, unless `force`, which first copies the
  edited file to `<name>.md.bak` (numbered if that exists).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from generator.errors import Diagnostic, error, warning
from generator.frontmatter import FrontMatterError, dump, split
from generator.ingest import plaintext
from generator.load import MAX_FILE_BYTES
from generator.paths import reserved_name
from generator.text import slugify

HASH_KEY = "ingested_sha256"
SEED_SUFFIXES = (".txt",)
MAX_SEED_BYTES = MAX_FILE_BYTES


@dataclass
class IngestResult:
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    backups: list[Path] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


@dataclass(frozen=True)
class Planned:
    seed: Path
    slug: str
    text: str
    seed_sha256: str
    warnings: tuple[str, ...]


def seed_files(paths: list[Path]) -> tuple[list[Path], list[Diagnostic]]:
    found, problems = [], []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in SEED_SUFFIXES))
        elif path.is_file():
            found.append(path)
        else:
            problems.append(error(path, None, "no such file or folder"))
    return found, problems


def render_article(seed_name: str, raw: bytes, parsed: plaintext.SeedArticle) -> tuple[str, str]:
    """The article file text and its slug."""
    meta = parsed.meta
    meta.setdefault("title", "")
    ordered = {}
    for key in ("title", "title_derived", "source", "date", "dateline", "standfirst", "byline"):
        if key in meta:
            ordered[key] = meta[key]
    if "date" not in ordered:
        ordered["date"] = None
    ordered["seed"] = seed_name
    ordered["seed_sha256"] = hashlib.sha256(raw).hexdigest()
    head = dump(ordered).replace(": null\n", ":\n")
    text = head + "\n" + "\n\n".join(parsed.blocks) + "\n"
    parts = [meta.get("source", "")]
    if meta.get("date"):
        parts.append(meta["date"].isoformat())
    slug = slugify(" ".join([*parts, meta["title"]]), max_words=8 if meta.get("date") else 7)
    slug = slug or "article"
    if reserved_name(slug):  # `con`, `nul`, ...: not a file name on Windows
        slug += "-article"
    return _stamp(text), slug


def _stamp(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    head, sep, rest = text.partition("\n---\n")
    return f"{head}\n{HASH_KEY}: {digest}{sep}{rest}"


def was_edited(text: str) -> bool:
    """True unless the file is byte-for-byte what ingest wrote (its stamp still matches)."""
    lines = text.split("\n")
    stamp = next((line for line in lines if line.startswith(HASH_KEY + ": ")), None)
    if stamp is None:
        return True
    rest = "\n".join(line for line in lines if line != stamp)
    return hashlib.sha256(rest.encode("utf-8")).hexdigest() != stamp.split(": ", 1)[1].strip()


def plan(seeds: list[Path]) -> tuple[list[Planned], list[Diagnostic]]:
    planned, problems = [], []
    by_slug: dict[str, Path] = {}
    for seed in seeds:
        try:
            if seed.stat().st_size > MAX_SEED_BYTES:
                problems.append(
                    error(
                        seed,
                        None,
                        f"the seed is larger than {MAX_SEED_BYTES // (1024 * 1024)} MB, "
                        "more than any article: split it or check it is the right file",
                    )
                )
                continue
            raw = seed.read_bytes()
            text = raw.decode("utf-8")
        except OSError as exc:
            problems.append(error(seed, None, f"cannot read: {exc.strerror}"))
            continue
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            problems.append(error(seed, line, "not valid UTF-8 text: save the seed as UTF-8"))
            continue
        if not text.strip():
            problems.append(error(seed, 1, "the seed is empty"))
            continue
        parsed = plaintext.parse(text)
        body, slug = render_article(seed.name, raw, parsed)
        if slug in by_slug:
            problems.append(
                error(
                    seed,
                    None,
                    f"wants the slug '{slug}' that {by_slug[slug]} has too: "
                    "give one of them a distinct headline or outlet",
                )
            )
            continue
        by_slug[slug] = seed
        planned.append(
            Planned(seed, slug, body, hashlib.sha256(raw).hexdigest(), tuple(parsed.warnings))
        )
    return planned, problems


def _existing_for(folder: Path, seed_name: str) -> dict[str, Path]:
    """Articles already ingested from a seed of this name (the slug may have changed)."""
    found = {}
    if folder.is_dir():
        for path in sorted(folder.glob("*.md")):
            try:
                meta, *_ = split(path.read_text("utf-8"))
            except (OSError, UnicodeDecodeError, FrontMatterError):
                continue
            if meta.get("seed") == seed_name:
                found[path.name] = path
    return found


def _shown(path: Path) -> Path:
    cwd = Path.cwd()
    return path.relative_to(cwd) if path.is_absolute() and path.is_relative_to(cwd) else path


def _backup(path: Path) -> Path:
    candidate = path.with_name(path.name + ".bak")
    n = 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.bak{n}")
    candidate.write_bytes(path.read_bytes())
    return candidate


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".ingest-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def ingest(paths: list[Path], articles_dir: Path, force: bool = False) -> IngestResult:
    result = IngestResult()
    seeds, problems = seed_files(paths)
    result.diagnostics.extend(problems)
    planned, problems = plan(seeds)
    result.diagnostics.extend(problems)
    for item in planned:
        target = articles_dir / f"{item.slug}.md"
        existing = _existing_for(articles_dir, item.seed.name)
        if target.name not in existing and target.exists():
            result.diagnostics.append(
                error(
                    target,
                    None,
                    f"exists and was not ingested from {item.seed.name}: "
                    "move it away or give the seed a distinct headline",
                )
            )
            continue
        current = existing.get(target.name) or next(iter(existing.values()), None)
        if current is not None:
            old = current.read_text("utf-8")
            meta, *_ = split(old)
            edited = was_edited(old)
            if meta.get("seed_sha256") == item.seed_sha256 and not (force and edited):
                result.unchanged.append(current)
                continue
            if edited and not force:
                result.diagnostics.append(
                    error(
                        current,
                        None,
                        f"was edited by hand since it was ingested from "
                        f"{item.seed.name}; not overwritten (use --force to replace it, "
                        "a backup is kept)",
                    )
                )
                continue
            if edited:
                result.backups.append(_backup(current))
        _write_atomic(target, item.text)  # first write the new file, then drop the old
        if current is not None and current != target:
            current.unlink()
        result.written.append(target)
        shown = _shown(target)
        for message in item.warnings:
            result.diagnostics.append(warning(item.seed, None, f"{message} in {shown}"))
    return result
