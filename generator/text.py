"""Small pure text helpers shared by stages: slugs, word counts, normalisation."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")
_WORD = re.compile(r"\w+(?:[’'.-]\w+)*")


def ascii_fold(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("—", "-").replace("–", "-")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def slugify(text: str, max_words: int | None = None) -> str:
    """Stable ASCII slug: lowercase words joined by hyphens ("North Korea's" -> north-koreas)."""
    folded = ascii_fold(text).lower().replace("'", "")
    words = [w for w in _NON_WORD.split(folded) if w]
    if max_words is not None:
        words = words[:max_words]
    return "-".join(words)


def word_count(text: str) -> int:
    return len(_WORD.findall(text))
