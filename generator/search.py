"""Full-text search with Pagefind: the search page, and the index built after a build.

* `search_pages` (a page producer) renders `search/`: Pagefind's UI, told the site's
  base path so results link correctly under a sub-path; without JavaScript the page
  says so and points to the archive.
* `build_index(site_dir, shard_size, jobs)` runs the Pagefind binary (PyPI
  `pagefind[bin]`) over the staged site (`pipeline.build`, before the swap: the index is
  made from the written HTML, so it cannot be part of the in-memory build). A digest of
  more than `search_shard_size` articles gets several indexes, made on every core and
  merged by the search page (Pagefind's multisite search), so Pagefind's memory stays
  bounded. The index goes to a temporary folder first and then replaces `site/pagefind/`,
  so stale index chunks never pile up; `SiteWriter` leaves `site/pagefind/` alone.
* The parts are listed in `pagefind/parts.json` (`PARTS_FILE`), written with the index
  and read by search.js: the search page never names them, so a page rendered by a build
  that did not index (`--no-search`, or `digest serve`'s rebuilds) cannot ask for a part
  the index on disk lacks, which would break every search.

Pages opt in to the index with `data-pagefind-body` (article.html does, through the
`main_attrs` block of base.html); filters come from `data-pagefind-filter` attributes
(`outlet` on every article; `type` for entity types, see partials/search-filters.html).
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from generator.errors import Diagnostic, warning
from generator.urls import SECTIONS

if TYPE_CHECKING:
    from generator.model import Output, Site
    from generator.render import Renderer

SEARCH_PATH = "search/"
INDEX_DIR = "pagefind"
PARTS_FILE = "parts.json"  # in INDEX_DIR: {"parts": ["part-2/", ...]}, relative to it


def search_pages(site: Site, renderer: Renderer) -> Iterable[Output]:
    if renderer.claim():
        yield renderer.listing(SEARCH_PATH, "search.html", search_enabled=site.config.search)


def pagefind_executable() -> Path | None:
    """Pagefind's binary, looked for as its Python package's `pagefind.service` does:
    `PAGEFIND_BINARY_PATH`, the extended binary's package, the plain one, then `PATH`.
    Not through that module: it imports asyncio, 30 ms of every no-change build."""
    env = os.environ.get("PAGEFIND_BINARY_PATH")
    if env is not None:
        return Path(env)
    for package in ("pagefind_bin_extended", "pagefind_bin"):
        try:
            module = importlib.import_module(package)
        except ImportError:
            continue
        return Path(module.get_executable())
    found = shutil.which("pagefind_extended") or shutil.which("pagefind")
    return Path(found) if found else None


class _NotIndexed(Exception):
    pass


def build_index(
    site_dir: Path, shard_size: int = 1000, jobs: int = 1
) -> tuple[int, list[Diagnostic]]:
    """Index `site_dir` into `site_dir/pagefind/`; returns (pages indexed, diagnostics).

    More than `shard_size` article pages are split, in path order, into the fewest runs
    of at most that many (near-equal in size), `jobs` of them at a time; the first run's
    bundle is `pagefind/`, the others go inside it as `part-2/`, ... and are listed in
    its `PARTS_FILE`. Pagefind holds every page it indexes in memory (about 350 KB for a
    1,000-word article), so one run over a large archive needs gigabytes.
    """
    exe = pagefind_executable()
    if exe is None:
        return 0, [
            warning(
                site_dir.name,
                None,
                "search index not built: Pagefind is not installed "
                "(pip install 'pagefind[bin]'), or set `search: false`",
            )
        ]
    work = site_dir / ".pagefind-tmp"
    shutil.rmtree(work, ignore_errors=True)
    try:
        runs = _plan(site_dir.resolve(), work.resolve(), max(1, shard_size))
        indexed = _run_all(exe, runs, jobs)
        bundle = runs[0][1]
        parts = []
        for k, (_, out) in enumerate(runs[1:], start=2):
            out.replace(bundle / f"part-{k}")
            parts.append(f"part-{k}/")
        (bundle / PARTS_FILE).write_text(json.dumps({"parts": parts}), encoding="utf-8")
        target = site_dir / INDEX_DIR
        shutil.rmtree(target, ignore_errors=True)
        bundle.replace(target)
    except (_NotIndexed, OSError) as exc:
        return 0, [warning(site_dir.name, None, f"search index not built: {exc}")]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return indexed, []


# Only article pages opt in (`data-pagefind-body`): pointing Pagefind at them alone spares
# it reading every entity, story and quote page just to skip it.
_PAGES = SECTIONS["article"].format("{}") + "index.html"


def _plan(site_dir: Path, work: Path, shard_size: int) -> list[tuple[Path, Path]]:
    """(the folder a Pagefind run starts in, the folder its bundle goes to) for each run.

    A run reads its settings from `pagefind.json` in the folder it starts in (and so
    never from a project's own): its share of the pages is a glob naming their folders,
    which are slugs (`articles.SLUG_RE`), so nothing in them needs escaping."""
    names = sorted(p.parent.name for p in site_dir.glob(_PAGES.format("*")))
    count = -(-len(names) // shard_size)
    if count <= 1:
        globs = [_PAGES.format("*")]
    else:
        shares = [
            names[k * len(names) // count : (k + 1) * len(names) // count] for k in range(count)
        ]
        globs = [_PAGES.format("{" + ",".join(share) + "}") for share in shares]
    runs = []
    for k, glob in enumerate(globs):
        start, out = work / f"run-{k}", work / str(k)
        start.mkdir(parents=True)
        settings = {"site": str(site_dir), "output_path": str(out), "glob": glob}
        (start / "pagefind.json").write_text(json.dumps(settings), encoding="utf-8")
        runs.append((start, out))
    return runs


def _run_all(exe: Path, runs: list[tuple[Path, Path]], jobs: int) -> int:
    """Run Pagefind for each of `runs`, `jobs` at a time; the pages they indexed."""

    def run(paths: tuple[Path, Path]) -> int:
        start, out = paths
        try:
            done = subprocess.run(
                [str(exe)], cwd=start, capture_output=True, text=True, check=False, timeout=600
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise _NotIndexed(str(exc)) from None
        if done.returncode != 0 or not (out / "pagefind.js").is_file():
            detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise _NotIndexed(detail[0])
        return _pages_indexed(done.stdout)

    with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(runs)))) as pool:
        return sum(pool.map(run, runs))


def _pages_indexed(stdout: str) -> int:
    """Pagefind prints 'Indexed N pages'; 0 when it does not say."""
    for line in stdout.splitlines():
        words = line.split()
        if len(words) >= 3 and words[0] == "Indexed" and words[2].startswith("page"):
            try:
                return int(words[1])
            except ValueError:
                return 0
    return 0
