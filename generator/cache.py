"""The build cache: memoised stage results, kept in memory and in `.digest-cache/`.

Correctness first (DESIGN.md convention 10): a result is reused only when everything it
was computed from is part of its key, never because of a modification time. A key is a
SHA-256 over

* the *code fingerprint* (the bytes of every module of the `generator` package, so any
  change to the generator, a stage or a plugin invalidates everything),
* a namespace (`"split"`, `"parse"`, `"page"`, or a later stage's own), and
* a canonical serialisation of the inputs (`canonical()`): dataclasses, dicts, lists,
  strings, dates, `Markup` (distinct from `str`), functions with their closures and
  bound objects. An input that cannot be serialised is never cached: the work is done.

Values are stored pickled, so every hit hands out a fresh copy that no stage can share
by accident. On disk each entry is one file `<2 hex>/<62 hex>` holding a magic number,
the SHA-256 of its payload and the payload; a file that fails the check, or a cache
written by another version of the generator, is discarded with a warning.

This module does IO (the cache folder, the generator's own source and the theme
templates for their fingerprints); only pipeline/CLI edges create a `Cache`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
import io
import json
import os
import pickle
import shutil
import struct
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePath
from typing import Any, TypeVar

from markupsafe import Markup

import generator
from generator import pickling
from generator.buildlock import LOCK_NAME
from generator.config import Config
from generator.errors import Diagnostic, warning

FORMAT = 1
MAGIC = b"NDC1"
PACKAGE = Path(generator.__file__).resolve().parent
T = TypeVar("T")
MISSING = object()  # `Cache.lookup` found nothing


class Uncacheable(TypeError):
    """An input that has no canonical form: the result is computed, not cached."""


# Canonical serialisation ----------------------------------------------------------------


def _feed(update: Callable[[bytes], None], obj: Any, depth: int = 0) -> None:
    if depth > 200:
        raise Uncacheable("nested too deeply")
    kind = type(obj)
    if obj is None or kind is bool:
        update(b"N" if obj is None else (b"T" if obj else b"F"))
    elif kind is Markup:  # before str: Markup is a str subclass that renders unescaped
        data = str(obj).encode("utf-8", "surrogatepass")
        update(b"M%d:" % len(data) + data)
    elif isinstance(obj, str) and kind is str:
        data = obj.encode("utf-8", "surrogatepass")
        update(b"S%d:" % len(data) + data)
    elif kind is int:
        update(b"I%d;" % obj)
    elif kind is float:
        update(b"D" + struct.pack(">d", obj))
    elif kind in (bytes, bytearray):
        update(b"B%d:" % len(obj) + bytes(obj))
    elif kind in (list, tuple):
        update(b"L[" if kind is list else b"U[")
        for item in obj:
            _feed(update, item, depth + 1)
        update(b"]")
    elif kind is dict:
        update(b"{")
        for key, value in obj.items():  # insertion order matters to templates: keep it
            _feed(update, key, depth + 1)
            _feed(update, value, depth + 1)
        update(b"}")
    elif kind in (set, frozenset):
        parts = []
        for item in obj:
            h = hashlib.sha256()
            _feed(h.update, item, depth + 1)
            parts.append(h.digest())
        update(b"(" + b"".join(sorted(parts)) + b")")
    elif kind in (dt.date, dt.datetime, dt.time):
        update(b"t" + kind.__name__.encode() + b":" + obj.isoformat().encode())
    elif isinstance(obj, PurePath):
        update(b"P" + str(obj).encode("utf-8", "surrogatepass") + b";")
    elif isinstance(obj, enum.Enum):
        update(b"E" + _qualname(kind) + b"." + obj.name.encode() + b";")
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        update(b"C" + _qualname(kind) + b"(")
        for f in dataclasses.fields(obj):
            update(f.name.encode() + b"=")
            _feed(update, getattr(obj, f.name), depth + 1)
        update(b")")
    elif isinstance(obj, type):
        update(b"K" + _qualname(obj) + b";")
    elif callable(obj) and hasattr(obj, "__qualname__"):
        _feed_callable(update, obj, depth)
    else:
        raise Uncacheable(f"no canonical form for {kind.__qualname__}")


def _qualname(obj: Any) -> bytes:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', '?')}".encode()


def _feed_callable(update: Callable[[bytes], None], fn: Any, depth: int) -> None:
    """A function is its name, its defaults, what its closure captured and its `self`."""
    update(b"f" + _qualname(fn) + b"(")
    bound = getattr(fn, "__self__", None)
    if bound is not None and not isinstance(bound, type(generator)):
        _feed(update, bound, depth + 1)
    for cell in getattr(fn, "__closure__", None) or ():
        try:
            contents = cell.cell_contents
        except ValueError:  # an empty cell
            contents = None
        _feed(update, contents, depth + 1)
    _feed(update, getattr(fn, "__defaults__", None), depth + 1)
    _feed(update, getattr(fn, "__kwdefaults__", None), depth + 1)
    update(b")")


_PLAIN = (Markup, dt.date, dt.time, PurePath, enum.Enum, type)


class _KeyPickler(pickle.Pickler):
    """Pickles plain data only: the fast path of `fingerprint`.

    Equal pickles unpickle to equal values, so equal bytes mean equal inputs (unequal
    bytes for equal inputs only cost a cache miss). Anything but plain data and
    dataclasses of plain data is refused, so no `__reduce__` can hide state.

    `fast` mode: no memo. With it, an object met twice is written twice; without it, the
    second meeting is a back-reference, so the bytes would depend on which equal values
    happen to be one object (a page's view built from cached vs fresh data missed every
    time). A cycle is refused (ValueError), and the slow path refuses it in turn. Sets and
    frozensets are written in hash order, which varies between processes: keep them out
    of keys that should hit across runs (sort them into tuples).
    """

    def __init__(self, file: io.BytesIO) -> None:
        super().__init__(file, protocol=5)
        self.fast = True  # the C field: a class attribute would only shadow it

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, _PLAIN) or (
            dataclasses.is_dataclass(obj) and type(obj).__reduce_ex__ is object.__reduce_ex__
        ):
            return NotImplemented
        raise Uncacheable(type(obj).__qualname__)


def fingerprint(*parts: Any) -> str:
    """SHA-256 of a canonical form of `parts`; raises Uncacheable."""
    buffer = io.BytesIO()
    try:
        _KeyPickler(buffer).dump(parts)
    except (
        Uncacheable,
        pickle.PicklingError,
        TypeError,
        AttributeError,
        ValueError,
        RecursionError,
    ):
        h = hashlib.sha256(b"c")
        _feed(h.update, parts)
        return h.hexdigest()
    return hashlib.sha256(b"p" + buffer.getvalue()).hexdigest()


def code_fingerprint() -> str:
    """Hash of the generator package's source: any code change invalidates the cache."""
    h = hashlib.sha256(f"{generator.__version__}\0format{FORMAT}\0".encode())
    for path in sorted(PACKAGE.rglob("*.py")):
        h.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def config_fingerprint(config: Config) -> str:
    """Every setting but the project folder's location."""
    values = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
    values.pop("root")
    return fingerprint(values)


def tree_fingerprint(folders: list[Path]) -> str:
    """Names and bytes of every file under `folders` (theme templates, in priority order)."""
    h = hashlib.sha256()
    for index, folder in enumerate(folders):
        h.update(f"{index}:{folder.name}\0".encode())
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                h.update(path.relative_to(folder).as_posix().encode() + b"\0")
                h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


# The cache ------------------------------------------------------------------------------


class Cache:
    """Memoised results by key; `folder=None` keeps them in memory only.

    One `Cache` lives as long as a command (`digest build`) or a dev server (`digest
    serve`, across rebuilds). It is passed to the pipeline explicitly: no globals.
    """

    def __init__(self, folder: Path | None = None):
        self.folder = folder
        self.code = code_fingerprint()
        self.memory: dict[str, bytes] = {}
        self.dirty: set[str] = set()
        self.used: set[str] = set()
        self.diagnostics: list[Diagnostic] = []
        self.hits: dict[str, int] = {}
        self.misses: dict[str, int] = {}
        self._data = folder / f"v{FORMAT}" if folder is not None else None
        if self._data is not None:
            self._check_manifest()

    # Opening --------------------------------------------------------------------------
    def _warn(self, message: str) -> None:
        self.diagnostics.append(warning(self._shown(), None, message))

    def _shown(self) -> str:
        assert self.folder is not None
        return self.folder.name + "/"

    def _manifest(self) -> dict:
        return {"format": FORMAT, "generator": generator.__version__, "code": self.code}

    def _check_manifest(self) -> None:
        assert self.folder is not None and self._data is not None
        path = self._data / "manifest.json"
        if not self.folder.exists():
            return
        problem = None
        if not path.is_file():
            if any(e.name != LOCK_NAME for e in self.folder.iterdir()):  # the lock is not cache
                problem = "the cache has no readable manifest: discarded"
        else:
            try:
                found = json.loads(path.read_text("utf-8"))
            except (OSError, ValueError):
                found = None
            if not isinstance(found, dict) or found.get("format") != FORMAT:
                problem = "the cache is corrupt or of an unknown format: discarded"
            elif found != self._manifest():
                problem = "the cache was made by another version of the generator: discarded"
        if problem:
            self._warn(problem)
            self.clear()

    def clear(self) -> None:
        """Forget everything, on disk too."""
        self.memory.clear()
        self.dirty.clear()
        if self.folder is not None and self.folder.is_dir():
            # Everything but the build lock, which another build may be holding.
            for entry in self.folder.iterdir():
                if entry.name == LOCK_NAME:
                    continue
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)

    # Entries ----------------------------------------------------------------------------
    def _file(self, key: str) -> Path:
        assert self._data is not None
        return self._data / key[:2] / key[2:]

    def _read(self, key: str) -> bytes | None:
        if key in self.memory:
            return self.memory[key]
        if self._data is None:
            return None
        try:
            blob = self._file(key).read_bytes()
        except OSError:
            return None
        payload = blob[len(MAGIC) + 32 :]
        if blob[: len(MAGIC)] != MAGIC or hashlib.sha256(payload).digest() != blob[4:36]:
            self._warn(f"corrupt cache entry {key[:12]}: discarded")
            self._file(key).unlink(missing_ok=True)
            return None
        self.memory[key] = payload
        return payload

    def key(self, namespace: str, parts: Any) -> str:
        return fingerprint(self.code, namespace, parts)

    def memo(self, namespace: str, parts: Any, compute: Callable[[], T]) -> T:
        """`compute()`, or the stored result for the same namespace and inputs."""
        key, value = self.lookup(namespace, parts)
        if value is not MISSING:
            return value
        value = compute()
        if key is not None:
            self.store(key, value)
        return value

    def lookup(self, namespace: str, parts: Any) -> tuple[str | None, Any]:
        """(key, stored value) or (key, MISSING); the key is None for inputs that cannot
        be cached. For stages that compute their misses together (in parallel)."""
        try:
            key = self.key(namespace, parts)
        except Uncacheable:
            self.misses[namespace] = self.misses.get(namespace, 0) + 1
            return None, MISSING
        self.used.add(key)
        payload = self._read(key)
        if payload is not None:
            try:
                value = pickle.loads(payload)
            except Exception:  # a payload that passed its checksum but will not load
                self._warn(f"unreadable cache entry {key[:12]}: discarded")
                self.memory.pop(key, None)
            else:
                self.hits[namespace] = self.hits.get(namespace, 0) + 1
                return key, value
        self.misses[namespace] = self.misses.get(namespace, 0) + 1
        return key, MISSING

    def store(self, key: str, value: Any) -> None:
        self.memory[key] = pickling.dumps(value)
        self.dirty.add(key)

    def report(self) -> tuple[set[str], dict[str, int], dict[str, int]]:
        """What a build worker used (its new entries are saved by the worker itself)."""
        return self.used, self.hits, self.misses

    def merge_report(self, report: tuple[set[str], dict[str, int], dict[str, int]]) -> None:
        used, hits, misses = report
        self.used |= used
        for mine, theirs in ((self.hits, hits), (self.misses, misses)):
            for name, count in theirs.items():
                mine[name] = mine.get(name, 0) + count

    def start_build(self) -> None:
        self.used = set()
        self.hits = {}
        self.misses = {}

    def save(self, prune: bool = True) -> None:
        """Write new entries; with `prune`, drop those the last build did not use."""
        if self._data is None:
            self.dirty.clear()
            return
        try:
            self._data.mkdir(parents=True, exist_ok=True)
            for key in sorted(self.dirty):
                payload = self.memory.get(key)
                if payload is None:
                    continue
                _write_atomic(self._file(key), MAGIC + hashlib.sha256(payload).digest() + payload)
            self.dirty.clear()
            _write_atomic(
                self._data / "manifest.json", json.dumps(self._manifest(), indent=1).encode()
            )
            if prune:
                self._prune()
        except OSError as exc:
            self._warn(f"cannot write the cache: {exc.strerror}; builds will not reuse it")

    def _prune(self) -> None:
        assert self._data is not None
        for shard in self._data.iterdir():
            if not shard.is_dir():
                continue
            for entry in os.scandir(shard):
                key = shard.name + entry.name
                if key not in self.used:
                    os.unlink(entry.path)
                    self.memory.pop(key, None)
        for key in [k for k in self.memory if k not in self.used]:
            del self.memory[key]

    def forget_unused(self) -> None:
        """Drop entries the last (successful) build did not use, from memory only."""
        for key in [k for k in self.memory if k not in self.used]:
            del self.memory[key]
        self.dirty &= self.used

    def stats(self) -> str:
        names = sorted(set(self.hits) | set(self.misses))
        return ", ".join(
            f"{n} {self.hits.get(n, 0)}/{self.hits.get(n, 0) + self.misses.get(n, 0)}"
            for n in names
        )


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def open_cache(config: Config, enabled: bool = True) -> Cache | None:
    """The project's persistent cache (`cache_dir`), or None when disabled."""
    if not enabled:
        return None
    return Cache(config.root / config.cache_dir)
