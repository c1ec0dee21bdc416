"""Article documents -> validated `Article`s (front matter fields per DESIGN.md)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import quote, urlsplit

from generator.errors import Diagnostic, error, warning
from generator.model import Article, Document
from generator.paths import reserved_name

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG = 120
URL_SAFE = ":/?#[]@!$&'()*+,;=%~"
KNOWN_FIELDS = {
    "title",
    "source",
    "date",
    "dateline",
    "standfirst",
    "byline",
    "url",
    "story",
    "seed",
    "seed_sha256",
    "tags",
    "title_derived",
    "slug",
    "ingested_sha256",
}
TEXT_FIELDS = ("title", "source", "dateline", "standfirst", "byline", "url", "story", "seed")


def parse_date(value: Any) -> dt.date | None:
    """A YAML date, datetime or ISO 8601 string -> date. Raises ValueError otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
        except ValueError:
            return dt.date.fromisoformat(text)
    raise ValueError(value)


def _quoted(value: Any, limit: int = 60) -> str:
    """User text quoted in a message: repr'd (control characters visible), cut short.

    Only strings and short scalars are shown; a list or mapping (perhaps an alias bomb)
    is named by its type, never walked.
    """
    if isinstance(value, str):
        shown = value if len(value) <= limit else value[:limit] + "…"
        return repr(shown)
    if isinstance(value, (int, float, bool, dt.date)) or value is None:
        return repr(value)[:limit]
    return f"a {type(value).__name__}"


def _web_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. a malformed IPv6 host
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc) and url == url.strip()


def from_document(doc: Document) -> tuple[Article | None, list[Diagnostic]]:
    meta = doc.meta
    problems: list[Diagnostic] = []

    def text(key: str) -> str:
        value = meta.get(key)
        if value is None:
            return ""
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value).strip()
        problems.append(error(doc.path, doc.line_of(key), f"'{key}' must be text"))
        return ""

    values = {key: text(key) for key in TEXT_FIELDS}
    if not values["title"]:
        problems.append(
            error(
                doc.path,
                doc.line_of("title") if "title" in meta else 1,
                "missing 'title': add `title: ...` to the front matter",
            )
        )
    if not values["source"]:
        problems.append(
            warning(
                doc.path,
                doc.line_of("source") if "source" in meta else 1,
                "missing 'source': name the outlet that published the article",
            )
        )
    date = None
    try:
        date = parse_date(meta.get("date"))
    except (ValueError, TypeError):
        problems.append(
            error(
                doc.path,
                doc.line_of("date"),
                f"'date' is not a date: {_quoted(meta.get('date'))}; write it as YYYY-MM-DD",
            )
        )
    else:
        if date is None:
            problems.append(
                warning(
                    doc.path,
                    doc.line_of("date") if "date" in meta else 1,
                    "missing 'date': fill in the publication date as YYYY-MM-DD",
                )
            )
    slug = text("slug") or doc.id.lower()
    slug_line = doc.line_of("slug") if "slug" in meta else 1
    if not SLUG_RE.fullmatch(slug):
        problems.append(
            error(
                doc.path,
                slug_line,
                f"slug {_quoted(slug)} must be lowercase letters, digits and single hyphens: "
                "rename the file or set `slug:`",
            )
        )
    elif len(slug) > MAX_SLUG:
        problems.append(
            error(doc.path, slug_line, f"slug is longer than {MAX_SLUG} characters: shorten it")
        )
    elif reserved_name(slug):
        problems.append(
            error(
                doc.path,
                slug_line,
                f"slug '{slug}' is a reserved file name on Windows: set another `slug:`",
            )
        )
    if values["url"]:
        # Characters a URL may not hold (quotes, spaces, <>) are percent-encoded.
        values["url"] = quote(values["url"], safe=URL_SAFE)
    if values["url"] and not _web_url(values["url"]):
        problems.append(
            error(
                doc.path,
                doc.line_of("url"),
                f"'url' must be a web address starting with https:// or http://, "
                f"not {_quoted(values['url'])}",
            )
        )
    tags = meta.get("tags") or []
    if isinstance(tags, str):
        tags = [tags]
    if not isinstance(tags, list) or not all(isinstance(t, (str, int)) for t in tags):
        problems.append(error(doc.path, doc.line_of("tags"), "'tags' must be a list of words"))
        tags = []
    for key in sorted(set(meta) - KNOWN_FIELDS, key=str):
        problems.append(
            warning(doc.path, doc.line_of(str(key)), f"unknown field {_quoted(str(key))}")
        )
    if any(p.level == "error" for p in problems):
        return None, problems
    return (
        Article(
            id=slug,
            slug=slug,
            date=date,
            body=doc.body,
            path=doc.path,
            body_line=doc.body_line,
            sha256=doc.sha256,
            seed_sha256=text("seed_sha256"),
            title_derived=meta.get("title_derived") is True,
            tags=tuple(str(t) for t in tags),
            **values,
        ),
        problems,
    )


def check_unique(articles: list[Article]) -> list[Diagnostic]:
    seen: dict[str, Article] = {}
    problems = []
    for article in articles:
        if article.slug in seen:
            first = seen[article.slug]
            problems.append(
                error(
                    article.path,
                    1,
                    f"slug '{article.slug}' is already used by {first.path}: "
                    "rename one file or set a different `slug:`",
                )
            )
        else:
            seen[article.slug] = article
    return problems
