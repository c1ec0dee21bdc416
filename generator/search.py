"""Full-text search with Pagefind: the search page, and the index built after a build.

* `search_pages` (a page producer) renders `search/`: Pagefind's UI, told the site's
  base path so results link correctly under a sub-path; without JavaScript the page
  says so and points to the archive.
* `build_index(site_dir)` runs the Pagefind binary (PyPI `pagefind[bin]`) over the
  written site. It is called by the CLI after `digest build` writes `site/` (the index
  is made from the written HTML, so it cannot be part of the in-memory build). The
  index goes to a temporary folder first and then replaces `site/pagefind/`, so stale
  index chunks never pile up; `SiteWriter` leaves `site/pagefind/` alone.

Pages opt in to the index with `data-pagefind-body` (article.html does, through the
`main_attrs` block of base.html); filters come from `data-pagefind-filter` attributes
(`outlet` on every article; `type` for entity types, see partials/search-filters.html).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from generator.errors import Diagnostic, warning
from generator.model import Output, Site
from generator.render import Renderer
from generator.urls import SECTIONS

SEARCH_PATH = "search/"
INDEX_DIR = "pagefind"


def search_pages(site: Site, renderer: Renderer) -> Iterable[Output]:
    if renderer.claim():
        yield renderer.listing(SEARCH_PATH, "search.html", search_enabled=site.config.search)


def pagefind_executable() -> Path | None:
    try:
        from pagefind.service import get_executable
    except ImportError:
        found = shutil.which("pagefind_extended") or shutil.which("pagefind")
        return Path(found) if found else None
    return get_executable()


def build_index(site_dir: Path) -> tuple[int, list[Diagnostic]]:
    """Index `site_dir` into `site_dir/pagefind/`; returns (pages indexed, diagnostics)."""
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
    tmp = site_dir / ".pagefind-tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    # Only article pages opt in (`data-pagefind-body`): pointing Pagefind at them alone
    # spares it reading every entity, story and quote page just to skip it.
    glob = SECTIONS["article"].format("*") + "index.html"
    try:
        done = subprocess.run(
            [str(exe), "--site", str(site_dir), "--output-path", str(tmp), "--glob", glob],
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        return 0, [warning(site_dir.name, None, f"search index not built: {exc}")]
    if done.returncode != 0 or not (tmp / "pagefind.js").is_file():
        shutil.rmtree(tmp, ignore_errors=True)
        detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        return 0, [warning(site_dir.name, None, f"search index not built: {detail[0]}")]
    target = site_dir / INDEX_DIR
    shutil.rmtree(target, ignore_errors=True)
    tmp.replace(target)
    return _pages_indexed(done.stdout), []


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
