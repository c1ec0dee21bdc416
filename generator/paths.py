"""Path safety: names taken from titles, slugs and ids must stay inside their folder.

Pure functions, no IO. `unsafe_output_path` is what `SiteWriter` checks before writing;
`reserved_name` is shared by slug validation (articles, ingest) so a site built on Linux
can still be checked out and served on Windows.
"""

from __future__ import annotations

import unicodedata
from pathlib import PurePosixPath

# Device names Windows reserves in every folder, with or without an extension.
WINDOWS_RESERVED = frozenset(
    ["con", "prn", "aux", "nul"]
    + [f"com{i}" for i in range(1, 10)]
    + [f"lpt{i}" for i in range(1, 10)]
)
MAX_COMPONENT = 200  # bytes; filesystems allow 255, leave room for suffixes


def reserved_name(name: str) -> bool:
    """True for `con`, `NUL.txt`, `com1.html` and the like."""
    stem = name.split(".", 1)[0].rstrip(" ").lower()
    return stem in WINDOWS_RESERVED


def unsafe_output_path(path: str) -> str | None:
    """Why `path` (relative to site/, '/'-separated) is not safe to write, or None."""
    if not path:
        return "empty path"
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return "not valid Unicode (a lone surrogate)"
    if any(unicodedata.category(c) == "Cc" for c in path):
        return "control character in path"
    if "\\" in path:
        return "backslash in path"
    pure = PurePosixPath(path)
    if pure.is_absolute() or path.startswith("/"):
        return "absolute path"
    raw_parts = path.split("/")
    for part in raw_parts:
        if part in ("", ".", ".."):
            return f"path part {part!r}"
        if ":" in part:
            return "':' in path (a drive letter or stream name on Windows)"
        if part.endswith((" ", ".")):
            return "path part ends with a space or a dot"
        if reserved_name(part):
            return f"'{part}' is a reserved file name on Windows"
        if len(part.encode("utf-8")) > MAX_COMPONENT:
            return f"path part longer than {MAX_COMPONENT} bytes"
    return None
