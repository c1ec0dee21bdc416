"""Watch the project's inputs; hand the dev server one batch of changes per burst.

DESIGN.md convention 9: the watchdog callback only records the path and sets a flag;
`Watcher.wait()` runs on the build loop's thread and debounces (a burst of events, such
as a `git checkout` of 200 files or an editor's temp-file-and-rename save, gives one
batch once the project has been quiet for `DEBOUNCE` seconds since its last event).
An event that finishes a save (a file closed after writing, or renamed into place)
needs only `SETTLE` seconds of quiet: the save is complete, and anything that follows
within that time still joins the batch. Being moved away or deleted is not a finished
save (vim renames the file to its backup before writing the new one), nor is anything
on a system whose watcher reports no closing (macOS, Windows): those wait `DEBOUNCE`.

Watched: `content/`, `seeds/`, the theme folders (`overrides/` and the theme) and
`digest.yaml`; the project folder itself non-recursively, so that a folder created later
(`content/notes/`, `overrides/`) is noticed and watched. Symlinked folders are followed:
their real targets are watched too. Editor temp and swap files, the output folder, the
cache folder, `.git` and hidden files never trigger a rebuild (no rebuild loops).
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import threading
import time
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import ObservedWatch

from generator.config import CONFIG_FILE, Config
from generator.errors import DigestError
from generator.load import theme_dirs

DEBOUNCE = 0.1
SETTLE = 0.02  # after a finished save: see the module's docstring
MAX_WAIT = 2.0  # a burst that never ends still gets a rebuild this often

# Temp, swap and backup files of vim, emacs, JetBrains IDEs, VS Code, gedit, Office, macOS.
IGNORED_NAMES = (
    ".*",  # hidden: .foo.swp, .#lock, .DS_Store, .goutputstream-*, .tmp-* (our writers)
    "*~",
    "#*#",
    "4913",
    "*.swp",
    "*.swx",
    "*.swo",
    "*.tmp",
    "*.temp",
    "*.bak",
    "*.bak[0-9]*",
    "*.orig",
    "*.part",
    "*.crdownload",
    "*___jb_tmp___",
    "*___jb_old___",
    "~$*",
)


def is_temp_name(name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in IGNORED_NAMES)


def watched_folders(config: Config) -> list[Path]:
    """The folders whose contents feed a build (existing ones, symlinks resolved too)."""

    folders = [config.content_path, config.seeds_path]
    try:
        folders.extend(theme_dirs(config))
    except DigestError:  # an unknown theme: the build reports it; watch the themes folder
        folders.append(config.root / config.themes_dir)
    found: list[Path] = []
    for folder in folders:
        if folder.is_dir():
            found.append(folder)
            found.extend(_linked_dirs(folder))
    unique: list[Path] = []
    for folder in found:
        if folder not in unique:
            unique.append(folder)
    return unique


def _linked_dirs(folder: Path) -> list[Path]:
    """Real targets of symlinked folders below `folder` (inotify does not follow them)."""
    targets: list[Path] = []
    seen: set[Path] = set()
    for dirpath, dirnames, _files in os.walk(folder, followlinks=True):
        real = Path(dirpath).resolve()
        if real in seen:
            dirnames[:] = []
            continue
        seen.add(real)
        for name in dirnames:
            path = Path(dirpath) / name
            if path.is_symlink():
                targets.append(path.resolve())
    return targets


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: Watcher):
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        # Only record and flag: all work happens on the build loop's thread.
        if event.event_type in ("opened", "closed_no_write"):
            return
        if event.is_directory and event.event_type == "modified":
            return
        paths = [event.src_path, getattr(event, "dest_path", "") or ""]
        paths = [os.fsdecode(p) for p in paths if p]
        finished = event.event_type == "closed" or (
            event.event_type == "moved" and self.watcher.relevant(paths[-1])
        )
        self.watcher.notify(paths, finished=finished)


class Watcher:
    def __init__(self, config: Config):
        self.config = config
        self.lock = threading.Lock()
        self.flag = threading.Event()
        self.woken = threading.Event()  # set by each event: a waiting `wait` looks again
        self.pending: set[str] = set()
        self.last_event = 0.0  # time.monotonic() of the last relevant event
        self.quiet = DEBOUNCE  # how long a quiet spell ends the burst: SETTLE or DEBOUNCE
        self.observer = Observer()
        self.folders: list[Path] = []
        self.watches: dict[Path, ObservedWatch] = {}
        self.handler = _Handler(self)

    # Filtering -------------------------------------------------------------------------
    def relevant(self, path: str) -> bool:
        p = Path(path)
        if is_temp_name(p.name):
            return False
        root = self.config.root
        skip = (root / self.config.output_dir, root / self.config.cache_dir, root / ".git")
        if any(p == s or p.is_relative_to(s) for s in skip):
            return False
        if any(part.startswith(".") or part == "__pycache__" for part in self._rel_parts(p)):
            return False
        if p.parent == root:
            return p.name == CONFIG_FILE or p in self._roots()
        return True

    def _rel_parts(self, p: Path) -> tuple[str, ...]:
        for base in [self.config.root, *self.folders]:
            if p.is_relative_to(base):
                return p.relative_to(base).parts
        return p.parts

    def _roots(self) -> set[Path]:
        root = self.config.root
        names = {
            self.config.content_dir,
            self.config.seeds_dir,
            self.config.themes_dir,
            self.config.overrides_dir,
        }
        return {root / Path(name).parts[0] for name in names if name}

    def notify(self, paths: list[str], finished: bool = False) -> None:
        """Record an event on `paths`; `finished`: it completes a save (see the module's
        docstring), so a shorter quiet spell ends the burst."""
        wanted = [p for p in paths if self.relevant(p)]
        if wanted:
            with self.lock:
                self.pending.update(wanted)
                self.last_event = time.monotonic()
                self.quiet = SETTLE if finished else DEBOUNCE
                self.woken.set()
            self.flag.set()

    # Lifecycle -------------------------------------------------------------------------
    def start(self) -> int:
        """Start watching; returns the number of watched paths."""
        self.observer.schedule(self.handler, str(self.config.root), recursive=False)
        count = self.update(self.config)
        self.observer.start()
        return count

    def update(self, config: Config, changed: set[str] | frozenset[str] = frozenset()) -> int:
        """Watch folders created since (and stop watching removed ones).

        Call it before each build: whatever changed before a folder was watched, the
        build reads; whatever changes after, the watch reports. The project folder's
        own watch is never dropped, so no event is lost while this runs. When `changed`
        are all files in watched folders, with the same config, nothing is looked at.
        """
        if changed and config == self.config and all(map(self._in_watched_file, changed)):
            return len(self.folders) + 1  # saves of files: no folder came or went
        self.config = config
        folders = watched_folders(config)
        # A watched folder that was itself removed or replaced gets a new watch.
        stale = [f for f in self.watches if f not in folders or str(f) in changed]
        for folder in stale:
            with contextlib.suppress(KeyError, OSError):  # already gone with its folder
                self.observer.unschedule(self.watches.pop(folder))
        for folder in folders:
            if folder not in self.watches:
                try:
                    self.watches[folder] = self.observer.schedule(
                        self.handler, str(folder), recursive=True
                    )
                except OSError:  # removed meanwhile: the next batch will tell
                    continue
        self.folders = [f for f in folders if f in self.watches]
        return len(self.folders) + 1

    def _in_watched_file(self, path: str) -> bool:
        """A regular file (not a link) in a watched folder: a change to it cannot add or
        remove a folder to watch, so `update` need not look (walking content/ for linked
        folders took 6 ms of every rebuild at 10,000 articles)."""
        p = Path(path)
        in_folder = any(p.is_relative_to(folder) for folder in self.folders)
        return in_folder and p.is_file() and not p.is_symlink() and p.name != CONFIG_FILE

    def stop(self) -> None:
        self.observer.stop()
        if self.observer.is_alive():
            self.observer.join(timeout=5)

    def wait(self, timeout: float | None = None) -> set[str] | None:
        """Block until changes arrive, then until the project has been quiet since the last
        of them for `DEBOUNCE` (`SETTLE` after a finished save; `MAX_WAIT` at most); None
        on timeout. Timed from the last event itself: an editor's save is several events,
        and waiting a whole `DEBOUNCE` again whenever one came during the wait made a
        single save wait 100 or 200 ms by chance."""
        if not self.flag.wait(timeout):
            return None
        start = time.monotonic()
        while True:
            with self.lock:
                left = self.quiet - (time.monotonic() - self.last_event)
                self.woken.clear()
            if left <= 0 or time.monotonic() - start > MAX_WAIT:
                break
            self.woken.wait(left)  # the save may finish meanwhile: then SETTLE is enough
        self.flag.clear()
        with self.lock:
            changed, self.pending = self.pending, set()
        return changed
