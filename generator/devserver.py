"""The build loop of `digest serve`: one build, then one rebuild per batch of changes,
each reported in the terminal and to the browsers through the server's `State`."""

from __future__ import annotations

import gc
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from generator import incremental
from generator.cache import Cache
from generator.config import Config, with_overrides
from generator.errors import Diagnostic, DigestError, Level, error
from generator.parallel import collector_off
from generator.writer import SiteWriter


class State:
    """What the request threads share with the build loop, under one condition."""

    def __init__(self, site: Path, base_path: str):
        self.cond = threading.Condition()
        self.building = False
        self.stopping = False
        self.generation = 0
        self.errors: list[str] = []
        self.site = site
        self.base_path = base_path


def format_diagnostics(diagnostics: list[Diagnostic], root: Path) -> list[str]:
    shown = []
    for d in diagnostics:
        path = Path(d.path)
        if path.is_absolute() and path.is_relative_to(root):
            d = Diagnostic(str(path.relative_to(root)), d.line, d.level, d.message)
        shown.append(str(d))
    return shown


class DevServer:
    """The build loop: initial build, then one rebuild per batch of changes."""

    def __init__(
        self,
        root: Path,
        load_config: Callable[[], Config],
        base_path: str | None,
        cache: Cache | None,
        out: Callable[[str], None] = print,
    ):
        self.root = root
        self.load_config = load_config
        self.base_path_override = base_path
        self.cache = cache
        self.out = out
        self.config = self._config_or_default()[0]
        self.state = State(self.config.output_path, self.config.base_path)
        self.memory = incremental.Memory()  # what one rebuild leaves for the next
        self.last_full = True
        self.frozen = False  # settle_memory has frozen the digest

    def _config_or_default(self) -> tuple[Config, list[Diagnostic]]:
        try:
            config = self.load_config()
        except DigestError as exc:
            config, problems = Config(root=self.root), list(exc.diagnostics)
        else:
            problems = []
        if self.base_path_override:
            config = with_overrides(config, base_url=self.base_path_override)
        return config, problems

    def current_config(self) -> Config:
        return self._config_or_default()[0]

    def settle_memory(self) -> None:
        """Exempt what the rebuild left from later garbage collections. The digest kept
        between rebuilds is millions of objects (6 million at 10,000 articles): a full
        collection of them, whenever Python's thresholds called one, cost more than the
        rebuild it fell in (5 s at 10,000 articles). Rebuilds run with the collector off
        (`rebuild`), so after each one its own new objects are collected (quick: the
        frozen ones are not looked at) and the rest are frozen. Old objects an edit
        replaces are freed by their reference counts; cyclic garbage among frozen ones
        would be kept, so after a full build (slow anyway) everything is unfrozen and
        collected once.

        The first build has nothing frozen and no older digest to free: what it made is
        frozen as it is. Collecting it first walked every object it made (5.1 s for a
        full collection at 10,000 articles, while the server answers nothing and a first
        edit waits) to find a few hundred objects of garbage (the theme's environment);
        they stay frozen until the next full build.

        `self.frozen` says whether it has frozen before: `gc.get_freeze_count()` counts
        the frozen objects one by one, 0.4 s after every rebuild at 10,000 articles,
        holding the interpreter while browsers asked for the page they were told to
        reload."""
        if self.frozen:
            if self.last_full:
                gc.unfreeze()
            gc.collect()
        gc.freeze()
        self.frozen = True

    def rebuild(self, changed: set[str] | None = None, quiet: bool = False) -> None:
        """Build (incrementally when it can) after `changed` (None: any file may have
        changed) and report it; `quiet`: only when it wrote or removed a file or failed.

        Python's own collections are off while a rebuild runs (`collector_off`): the
        young ones walked nothing but the rebuild's new objects, about 15 times per edit
        at 10,000 articles, and freed nothing, while `settle_memory` collects them once
        anyway, after browsers are told. In-process rebuilds at 10,000 articles, ten
        edits each way alternated: a note edit 106 -> 90 ms (median), an article edit
        293 -> 276 ms."""
        with collector_off():
            self._rebuild(changed, quiet)

    def _rebuild(self, changed: set[str] | None, quiet: bool) -> None:
        from generator.ingest import ingest
        from generator.pipeline import build

        state = self.state
        with state.cond:
            state.building = True
        start = time.perf_counter()
        problems: list[Diagnostic] = []
        summary = ""
        changes = 0
        kept = False  # an incremental build: it kept pages as published
        removing: list[threading.Thread] = []  # see BuildResult.removing
        try:
            config, problems = self._config_or_default()
            self.config = config
            seeds = sorted(
                Path(p)
                for p in changed or ()
                if Path(p).suffix == ".txt" and Path(p).is_relative_to(config.seeds_path)
            )
            seeds = [p for p in seeds if p.is_file()]
            if seeds and not problems:
                found = ingest(seeds, config.content_path / "articles").diagnostics
                problems.extend(found)
            # Files ingest wrote were not reported yet: read every file this time.
            reported = set(changed) if changed is not None and not seeds else None
            if not any(p.level is Level.ERROR for p in problems):
                result = build(config, self.cache, memory=self.memory, changed=reported)
                problems.extend(result.diagnostics)
                # An incremental build uses only the entries of what it rendered again:
                # the others stay, for the next full build (and `digest build`).
                self.last_full = not result.incremental
                kept = result.incremental
                removing = result.removing
                if self.cache is not None and self.last_full:
                    self.cache.forget_unused()
                changes = len(result.written) + len(result.removed)
                summary = (
                    f"{len(result.written)} written, {len(result.removed)} removed"
                    f"{', cache ' + self.cache.stats() if self.cache else ''}"
                )
        except DigestError as exc:
            problems.extend(exc.diagnostics)
        except Exception as exc:  # a bug: report it, keep serving the last good site
            traceback.print_exc()
            problems.append(error("news-digest", None, f"internal error: {exc!r}"))
        shown = format_diagnostics(problems, self.root)
        errors = [text for text, d in zip(shown, problems, strict=True) if d.level is Level.ERROR]
        with state.cond:
            state.building = False
            # Browsers reload only for something new: a rebuild that wrote nothing and
            # shows the same errors (after the files `ingest` wrote, say) is no build.
            if changes or errors != state.errors:
                state.generation += 1
            state.errors = errors
            state.site = self.config.output_path
            state.cond.notify_all()
        elapsed = (time.perf_counter() - start) * 1000
        if not quiet or errors or changes:
            self._report(shown, errors, elapsed, changed, summary)
        gone = self.kept_page_gone() if kept and not errors else None
        for thread in removing:
            thread.join()
        self.settle_memory()
        if gone is not None:
            self.out(f"{gone} is gone from {self.config.output_dir}/: building everything")
            self.memory.forget_site()
            self.rebuild(set())

    def kept_page_gone(self) -> str | None:
        """A page the last (incremental) build kept as published that is not there any
        more: someone removed it behind the server's back. Looked up once the changed
        pages are written and browsers told, so an edit's pages do not wait for it."""
        return SiteWriter(self.config.output_path).first_missing(self.memory.files)

    def _report(self, shown, errors, elapsed: float, changed, summary: str) -> None:
        """The terminal's account of a rebuild: its problems, then one line."""
        for line in shown:
            print(line, file=sys.stderr, flush=True)
        cause = ""
        if changed:
            names = sorted(_shown_path(p, self.root) for p in changed)
            cause = f" after {names[0]}" + (f" and {len(names) - 1} more" if len(names) > 1 else "")
        if errors:
            self.out(f"build failed in {elapsed:.0f} ms{cause}; serving the last good site")
        else:
            self.out(f"built in {elapsed:.0f} ms{cause} ({summary})")


def _shown_path(path: str, root: Path) -> str:
    p = Path(path)
    return str(p.relative_to(root)) if p.is_relative_to(root) else path
