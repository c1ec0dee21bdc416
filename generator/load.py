"""The only reader of `content/` and `digest.yaml`.

Turns files into `Document`s (front matter, body, line numbers, content hash) and
reports unreadable files as diagnostics instead of raising.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from generator import config as config_mod
from generator.errors import Diagnostic, DigestError, error
from generator.frontmatter import FrontMatterError, parse_yaml, split
from generator.model import Document

KINDS = ("articles", "entities", "notes", "stories")
MAX_FILE_BYTES = 8 * 1024 * 1024


def rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def read_config(root: Path) -> config_mod.Config:
    path = root / config_mod.CONFIG_FILE
    if not path.exists():
        return config_mod.Config(root=root)
    text = _read_text(path, root)
    try:
        data, lines = parse_yaml(text)
    except FrontMatterError as exc:
        raise DigestError([error(config_mod.CONFIG_FILE, exc.line, exc.message)]) from None
    return config_mod.from_mapping(root, data, config_mod.CONFIG_FILE, lines)


def _read_text(path: Path, root: Path) -> str:
    return _decode(_read_bytes(path, root), path, root)


def _read_bytes(path: Path, root: Path) -> bytes:
    """A regular file's bytes, at most MAX_FILE_BYTES; anything else is a DigestError."""
    name = rel(path, root)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise DigestError(
                [error(name, None, "not a regular file (a folder, pipe or device): remove it")]
            )
        if info.st_size > MAX_FILE_BYTES:
            raise DigestError([error(name, None, _too_big(info.st_size))])
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise DigestError([error(name, None, f"cannot read: {exc.strerror or exc}")]) from None
    except (RuntimeError, ValueError) as exc:  # a symlink loop; a NUL in the path
        raise DigestError([error(name, None, f"cannot read: {exc}")]) from None
    if len(data) > MAX_FILE_BYTES:  # grew while we read it
        raise DigestError([error(name, None, _too_big(len(data)))])
    return data


def _too_big(size: int) -> str:
    limit = MAX_FILE_BYTES // (1024 * 1024)
    return (
        f"file is {size / (1024 * 1024):.1f} MB, more than the {limit} MB limit for one "
        "document: split it into several files"
    )


def _decode(data: bytes, path: Path, root: Path) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DigestError(
            [error(rel(path, root), line, "not valid UTF-8 text: save the file as UTF-8")]
        ) from None


def _resolved(path: Path) -> Path | None:
    """The real path, or None for a symlink loop or an unresolvable path."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return None


OUTSIDE = "symlink points outside the project: copy the file into the project instead"
LOOP = "symlink loop (a link that points back at itself): remove the link"


def markdown_files(folder: Path, root: Path) -> tuple[list[Path], list[Diagnostic]]:
    """Every `*.md` below `folder`, sorted; symlinks leaving the project are refused.

    Symlinked folders are followed once each (a loop of links is walked once, never
    forever); links that leave the project or point at themselves are diagnostics.
    """
    found: list[Path] = []
    problems: list[Diagnostic] = []
    if not folder.is_dir():
        return found, problems
    real_root = root.resolve()
    seen_dirs: set[Path] = set()
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        real_dir = _resolved(Path(dirpath))
        if real_dir is None or real_dir in seen_dirs or not real_dir.is_relative_to(real_root):
            if real_dir is None:
                problems.append(error(rel(Path(dirpath), root), None, LOOP))
            elif not real_dir.is_relative_to(real_root):
                problems.append(error(rel(Path(dirpath), root), None, OUTSIDE))
            dirnames[:] = []
            continue
        seen_dirs.add(real_dir)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.endswith(".md") or name.startswith("."):
                continue
            path = Path(dirpath) / name
            if not os.path.islink(path):  # a file in a real folder inside the project
                found.append(path)
                continue
            real = _resolved(path)
            if real is None:
                problems.append(error(rel(path, root), None, LOOP))
            elif not real.is_relative_to(real_root):
                problems.append(error(rel(path, root), None, OUTSIDE))
            else:
                found.append(path)
    return found, problems


def load_document(path: Path, kind: str, root: Path, cache=None, known=None) -> Document:
    """Read one content file, or raise DigestError naming it.

    With a `cache.Cache`, the front matter of unchanged text is not parsed again; `known`
    (path name -> Document of an earlier load) returns the earlier Document itself when
    the file's bytes are the same (same SHA-256), without decoding anything.
    """
    name = rel(path, root)
    raw = _read_bytes(path, root)
    digest = hashlib.sha256(raw).hexdigest()
    earlier = known.get(name) if known else None
    if earlier is not None and earlier.sha256 == digest and earlier.kind == kind:
        return earlier
    text = _decode(raw, path, root)
    if not text.strip():
        raise DigestError([error(name, 1, "file is empty: add front matter and text, or delete")])
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        if cache is None:
            meta, meta_lines, body, body_line = split(text)
        else:
            meta, meta_lines, body, body_line = cache.memo("split", text, lambda: split(text))
    except FrontMatterError as exc:
        raise DigestError([error(name, exc.line, exc.message)]) from None
    return Document(
        path=Path(name),
        kind=kind,
        id=path.stem,
        meta=meta,
        meta_lines=meta_lines,
        body=body,
        body_line=body_line,
        sha256=digest,
    )


@dataclass(frozen=True)
class Listing:
    """One scan of content/: each kind's Markdown files in load order, the scan's
    problems, and whether it met no symlink at all (`plain`: then a file's path is the
    one a file watcher reports for it)."""

    content: Path
    paths: dict[str, tuple[tuple[Path, str], ...]]  # (path, its name in `rel` form)
    problems: tuple[Diagnostic, ...]

    @cached_property
    def plain(self) -> bool:  # asked only by `digest serve`: a full build never walks twice
        return not self.problems and _no_links(self.content)

    def warm(self) -> None:
        """Make now what `still_valid` asks the first time (`incremental.Memory.warm`):
        the walk for symlinks alone took 50-70 ms of a first edit at 10,000 articles."""
        if self.plain:  # else `still_valid` looks no further
            _ = self._listed, self.places

    def still_valid(self, content: Path, changed: set[str]) -> bool:
        """No file was added, removed or replaced by something else, judged by the paths
        a watcher reported (`changed`, absolute): each one under content/ is a listed
        Markdown file that is still a regular file."""
        if content != self.content or not self.plain:
            return False
        for name in changed:
            path = Path(name)
            if not path.is_relative_to(content):
                continue
            if name not in self._listed or os.path.islink(name) or not os.path.isfile(name):
                return False
        return True

    @cached_property
    def _listed(self) -> frozenset[str]:
        return frozenset(str(p) for paths in self.paths.values() for p, _name in paths)

    @cached_property
    def places(self) -> dict[str, tuple[str, int]]:
        """Each listed file's (kind, place in that kind's list), by its absolute path."""
        return {
            str(p): (kind, i)
            for kind, paths in self.paths.items()
            for i, (p, _) in enumerate(paths)
        }


def list_content(config: config_mod.Config) -> Listing:
    paths: dict[str, tuple[tuple[Path, str], ...]] = {}
    problems: list[Diagnostic] = []
    for kind in KINDS:
        found, found_problems = markdown_files(config.content_path / kind, config.root)
        paths[kind] = tuple((path, rel(path, config.root)) for path in found)
        problems.extend(found_problems)
    return Listing(config.content_path, paths, tuple(problems))


def _no_links(folder: Path) -> bool:
    """No symlink anywhere below `folder` (nor is it one)."""
    if os.path.islink(folder):
        return False
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in (*dirnames, *filenames):
            if os.path.islink(os.path.join(dirpath, name)):
                return False
    return True


def load_content(
    config: config_mod.Config,
    cache=None,
    known=None,
    listing: Listing | None = None,
    unread: set[str] | None = None,
    last: dict[str, list[Document]] | None = None,
) -> tuple[dict[str, list[Document]], list[Diagnostic]]:
    """All documents under content/, by kind, each list sorted by path. Every file is
    read; `known` (see `load_document`) spares decoding those whose bytes are the same.

    `digest serve` passes the last `listing` (see `Listing.still_valid`) and `unread`,
    the absolute paths its file watcher reported since the last load: then only those
    files and files not in `known` are read, and every other one keeps its Document.
    `last`, the documents an earlier load made of this very `listing` with no problem,
    spares even the walk over the listing: those files replace theirs in its lists.
    """
    listing = listing or list_content(config)
    if last is not None and unread is not None and known and listing.plain:
        try:
            return _reloaded(config, cache, known, listing, unread, last), []
        except DigestError:  # the walk below reports it, with every other problem
            pass
    documents: dict[str, list[Document]] = {kind: [] for kind in KINDS}
    problems: list[Diagnostic] = list(listing.problems)
    skip_unchanged = unread is not None and known and listing.plain
    for kind in KINDS:
        for path, name in listing.paths[kind]:
            if skip_unchanged and str(path) not in unread:
                earlier = known.get(name)
                if earlier is not None and earlier.kind == kind:
                    documents[kind].append(earlier)
                    continue
            try:
                documents[kind].append(load_document(path, kind, config.root, cache, known))
            except DigestError as exc:
                problems.extend(exc.diagnostics)
    return documents, problems


def _reloaded(config, cache, known, listing: Listing, unread: set[str], last: dict) -> dict:
    documents = {kind: list(docs) for kind, docs in last.items()}
    for name in unread:
        place = listing.places.get(name)
        if place is not None:
            kind, i = place
            path = listing.paths[kind][i][0]
            documents[kind][i] = load_document(path, kind, config.root, cache, known)
    return documents


def read_theme_file(path: Path) -> bytes:
    return path.read_bytes()


PACKAGE_THEMES = Path(__file__).resolve().parent.parent / "themes"


def theme_dirs(config: config_mod.Config) -> list[Path]:
    """Theme folders, highest priority first: the project's overrides, then the theme."""
    dirs = [config.overrides_path]
    project_theme = config.root / config.themes_dir / config.theme
    if project_theme.is_dir():
        dirs.append(project_theme)
    elif (PACKAGE_THEMES / config.theme).is_dir():
        dirs.append(PACKAGE_THEMES / config.theme)
    else:
        raise DigestError(
            [
                error(
                    "digest.yaml",
                    None,
                    f"theme '{config.theme}' not found in "
                    f"{config.themes_dir}/: create it or set `theme: default`",
                )
            ]
        )
    return dirs
