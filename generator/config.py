"""`digest.yaml` -> a frozen `Config`. Every key has a default; unknown keys are errors.

The file itself is read by `load.read_config`; this module only validates a mapping.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from generator.errors import DigestError, error

CONFIG_FILE = "digest.yaml"


@dataclass(frozen=True)
class Config:
    root: Path
    title: str = "News Digest"
    description: str = "An annotated digest of the news, compared across outlets."
    language: str = "en"
    base_url: str = "/"
    theme: str = "default"
    content_dir: str = "content"
    output_dir: str = "site"
    seeds_dir: str = "seeds"
    themes_dir: str = "themes"
    overrides_dir: str = "overrides"
    cache_dir: str = ".digest-cache"
    page_size: int = 20
    # Link every mention of an entity (True) or only the first in each paragraph.
    link_all_mentions: bool = False
    # Link adjectival mentions ("Russian") as well as names.
    link_adjectives: bool = False
    # Raw HTML in Markdown: escaped unless editors are trusted with it.
    allow_raw_html: bool = False
    # Publishing (generator/feeds.py, publish.py, search.py, check.py):
    # a custom domain for GitHub Pages, written to site/CNAME when set.
    cname: str = ""
    # Feeds carry each article's full text ("full") or only its summary ("summary").
    feed_content: str = "full"
    # How many of the newest articles a feed lists.
    feed_size: int = 50
    # Build the Pagefind search index after `digest build` writes site/.
    search: bool = True
    # Pagefind indexes at most this many articles in one run: a bigger digest gets several
    # indexes (run on every core, searched together by the search page). Pagefind holds
    # ~350 KB per 1,000-word article while it indexes, so this bounds its memory.
    search_shard_size: int = 1000
    # `digest check` warns about pages whose HTML + CSS + JS exceed this many kB.
    page_budget_kb: int = 100
    extra: dict[str, Any] = field(default_factory=dict)

    # Derived paths -------------------------------------------------------------
    @property
    def content_path(self) -> Path:
        return self.root / self.content_dir

    @property
    def output_path(self) -> Path:
        return self.root / self.output_dir

    @property
    def seeds_path(self) -> Path:
        return self.root / self.seeds_dir

    @property
    def overrides_path(self) -> Path:
        return self.root / self.overrides_dir

    @property
    def base_path(self) -> str:
        """The path part of `base_url`, always starting and ending with '/'."""
        path = urlsplit(self.base_url).path or "/"
        return path if path.endswith("/") else path + "/"

    @property
    def absolute_base(self) -> str | None:
        """`base_url` when it is absolute (scheme and host), else None."""
        parts = urlsplit(self.base_url)
        if parts.scheme and parts.netloc:
            return f"{parts.scheme}://{parts.netloc}{self.base_path}"
        return None


_FIELDS = {f.name: f for f in dataclasses.fields(Config) if f.name not in ("root", "extra")}


def _expected_type(name: str) -> type:
    default = _FIELDS[name].default
    return type(default)


def from_mapping(root: Path, data: Any, path: str = CONFIG_FILE, lines: dict | None = None):
    """Validate `data` (the parsed YAML) into a Config, or raise DigestError."""
    lines = lines or {}
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise DigestError([error(path, 1, "the configuration must be a mapping of keys to values")])
    problems = []
    values: dict[str, Any] = {}
    for key, value in data.items():
        line = lines.get(key)
        if key not in _FIELDS:
            close = difflib.get_close_matches(str(key), list(_FIELDS), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            valid = ", ".join(sorted(_FIELDS))
            problems.append(error(path, line, f"unknown key '{key}'{hint} (valid keys: {valid})"))
            continue
        expected = _expected_type(key)
        if expected is int and (isinstance(value, bool) or not isinstance(value, int)):
            problems.append(error(path, line, f"'{key}' must be a whole number"))
        elif expected is bool and not isinstance(value, bool):
            problems.append(error(path, line, f"'{key}' must be true or false"))
        elif expected is str and not isinstance(value, str):
            problems.append(error(path, line, f"'{key}' must be a string"))
        else:
            values[key] = value
    if "page_size" in values and values["page_size"] < 1:
        problems.append(error(path, lines.get("page_size"), "'page_size' must be at least 1"))
    problems.extend(_check_publishing(values, path, lines))
    problems.extend(_check_places(root, values, path, lines))
    if problems:
        raise DigestError(problems)
    return Config(root=root, **values)


def _check_publishing(values: dict[str, Any], path: str, lines: dict) -> list:
    problems = []
    if values.get("feed_content", "full") not in ("full", "summary"):
        problems.append(
            error(path, lines.get("feed_content"), "'feed_content' must be full or summary")
        )
    for key in ("feed_size", "page_budget_kb", "search_shard_size"):
        if key in values and values[key] < 1:
            problems.append(error(path, lines.get(key), f"'{key}' must be at least 1"))
    cname = values.get("cname", "")
    if cname and ("/" in cname or ":" in cname or " " in cname.strip()):
        problems.append(
            error(path, lines.get("cname"), "'cname' is a bare domain such as news.example.org")
        )
    return problems


def _check_places(root: Path, values: dict[str, Any], path: str, lines: dict) -> list:
    """`base_url` is a web address or a path; `output_dir` never overlaps the sources.

    The writer replaces the output folder as a whole, so an output folder that is the
    project itself, or holds or sits in content/, seeds/ or the themes, would delete them.
    """
    problems = []
    base_url = values.get("base_url", "/")
    parts = urlsplit(base_url)
    if not (
        (parts.scheme in ("http", "https") and parts.netloc)
        or (not parts.scheme and not parts.netloc and base_url.startswith("/"))
    ):
        problems.append(
            error(
                path,
                lines.get("base_url"),
                "'base_url' must start with / or be an http:// or https:// address",
            )
        )
    defaults = {name: f.default for name, f in _FIELDS.items()}
    folder = {key: values.get(key, defaults[key]) for key in _FOLDERS}
    out = (root / folder["output_dir"]).resolve()
    real_root = root.resolve()
    for key in _FOLDERS[1:]:
        other = (root / folder[key]).resolve()
        if out == other or out in other.parents or other in out.parents:
            problems.append(
                error(
                    path,
                    lines.get("output_dir") or lines.get(key),
                    f"'output_dir' ({folder['output_dir']}) overlaps '{key}' "
                    f"({folder[key]}): the build replaces the output folder as a whole; "
                    "use a folder of its own such as `site`",
                )
            )
    if out == real_root or out in real_root.parents:
        problems.append(
            error(
                path,
                lines.get("output_dir"),
                "'output_dir' is the project folder or contains it: use a folder of its "
                "own such as `site`",
            )
        )
    return problems


_FOLDERS = ("output_dir", "content_dir", "seeds_dir", "themes_dir", "overrides_dir", "cache_dir")


def with_overrides(config: Config, **changes: Any) -> Config:
    return dataclasses.replace(config, **{k: v for k, v in changes.items() if v is not None})
