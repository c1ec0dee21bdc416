"""Every URL the site uses comes from here, so the site works at `/` and under `/repo/`.

Pages live at pretty URLs (`articles/<slug>/` -> `articles/<slug>/index.html`). A "site
path" is relative to the site root with no leading slash; `href` prefixes the base path,
`absolute` the whole `base_url` (for feeds, sitemaps and canonical links).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import quote

from generator.config import Config

_SLUG = re.compile(r"[A-Za-z0-9_.~-]*", re.ASCII)  # characters `quote` never changes

SECTIONS = {
    "home": "",
    "article": "articles/{}/",
    "entity": "entities/{}/",
    "story": "stories/{}/",
    "quote": "quotes/{}/",
    "note": "notes/{}/",
    "page": "{}/",
}


@dataclass(frozen=True)
class Urls:
    base_path: str = "/"
    absolute_base: str | None = None

    @classmethod
    def from_config(cls, config: Config) -> Urls:
        return cls(config.base_path, config.absolute_base)

    @staticmethod
    def path(kind: str, key: str = "") -> str:
        """The site path of a page: `url_for`'s first half."""
        return _site_path(kind, key)

    def href(self, site_path: str, fragment: str = "") -> str:
        """Root-relative URL with the base path: what goes into `href`/`src`."""
        url = self.base_path + site_path.lstrip("/")
        return f"{url}#{fragment}" if fragment else url

    def url_for(self, kind: str, key: str = "", fragment: str = "") -> str:
        return self.href(self.path(kind, key), fragment)

    def absolute(self, site_path: str) -> str:
        """Full URL when `base_url` is absolute, else the root-relative one."""
        if self.absolute_base:
            return self.absolute_base + site_path.lstrip("/")
        return self.href(site_path)


@functools.cache  # pages are linked many times, and serve asks again on every rebuild
def _site_path(kind: str, key: str) -> str:
    # Most keys are slugs, which quoting leaves as they are: skip it for them.
    return SECTIONS[kind].format(key if _SLUG.fullmatch(key) else quote(key, safe=""))


def output_file(site_path: str) -> str:
    """Where a page's site path is written: `a/b/` -> `a/b/index.html`."""
    if site_path == "" or site_path.endswith("/"):
        return site_path + "index.html"
    return site_path
