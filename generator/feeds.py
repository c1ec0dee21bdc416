"""Atom 1.0 feeds (RFC 4287): one generic writer, used for the digest and for any list of
articles (a story's, an entity's).

* Every URL in a feed is absolute, so feeds are only made when `base_url` is absolute
  (`Urls.absolute_base`); `publish.py` decides and `digest check` warns otherwise.
* Ids are the absolute URLs of the pages: stable as long as `base_url` is.
* `feed_content: full` puts each article's HTML in `<content type="html">` with an
  `xml:base` of the article's URL, so its root-relative links resolve; `summary` gives
  only the standfirst (or the first paragraph).
* Output is deterministic: the newest entries first, no build timestamp (`<updated>` is
  the newest entry's date).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from xml.sax.saxutils import escape, quoteattr

from generator.model import Article, Output, Site
from generator.urls import Urls

ATOM_NS = "http://www.w3.org/2005/Atom"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    url: str  # absolute
    updated: dt.datetime
    author: str
    published: dt.datetime | None = None
    summary: str = ""
    content_html: str = ""  # empty: no <content>
    categories: tuple[str, ...] = ()


def timestamp(value: dt.date | dt.datetime | None) -> dt.datetime | None:
    """A date becomes midnight UTC; naive datetimes are taken as UTC."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)


def _rfc3339(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(tag: str, value: str, indent: str = "  ") -> str:
    return f"{indent}<{tag}>{escape(value)}</{tag}>\n"


def _xml_text(value: str) -> str:
    """Drop characters XML 1.0 cannot carry (control characters from pasted text)."""
    return "".join(
        ch
        for ch in value
        if ch in "\t\n\r"
        or (" " <= ch <= "\ud7ff")
        or ("\ue000" <= ch <= "\ufffd")
        or ch > "\uffff"
    )


def atom(
    title: str,
    feed_id: str,
    self_url: str,
    entries: Sequence[Entry],
    *,
    alternate_url: str = "",
    subtitle: str = "",
    author: str = "",
    language: str = "",
    generator: str = "news-digest",
) -> bytes:
    """An Atom 1.0 feed document. `feed_id`, `self_url` and URLs in entries are absolute."""
    updated = max((e.updated for e in entries), default=EPOCH)
    lang = f" xml:lang={quoteattr(language)}" if language else ""
    out = [f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="{ATOM_NS}"{lang}>\n']
    out.append(_text("id", feed_id))
    out.append(_text("title", title))
    if subtitle:
        out.append(_text("subtitle", subtitle))
    out.append(_text("updated", _rfc3339(updated)))
    out.append(f'  <link rel="self" type="application/atom+xml" href={quoteattr(self_url)}/>\n')
    if alternate_url:
        out.append(f'  <link rel="alternate" type="text/html" href={quoteattr(alternate_url)}/>\n')
    out.append(f"  <author>\n{_text('name', author or title, '    ')}  </author>\n")
    out.append(_text("generator", generator))
    for entry in entries:
        out.append("  <entry>\n")
        out.append(_text("id", entry.id, "    "))
        out.append(_text("title", entry.title, "    "))
        out.append(f'    <link rel="alternate" type="text/html" href={quoteattr(entry.url)}/>\n')
        if entry.published:
            out.append(_text("published", _rfc3339(entry.published), "    "))
        out.append(_text("updated", _rfc3339(entry.updated), "    "))
        out.append(f"    <author>\n{_text('name', entry.author or title, '      ')}    </author>\n")
        for term in entry.categories:
            out.append(f"    <category term={quoteattr(term)}/>\n")
        if entry.summary:
            out.append(_text("summary", entry.summary, "    "))
        if entry.content_html:
            out.append(
                f'    <content type="html" xml:base={quoteattr(entry.url)}>'
                f"{escape(entry.content_html)}</content>\n"
            )
        out.append("  </entry>\n")
    out.append("</feed>\n")
    return _xml_text("".join(out)).encode("utf-8")


class _FirstParagraph(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.parts: list[str] = []
        self.done = False

    def handle_starttag(self, tag, attrs):
        if tag == "p" and not self.done:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag == "p" and self.depth:
            self.depth -= 1
            self.done = self.done or bool("".join(self.parts).strip())

    def handle_data(self, data):
        if self.depth and not self.done:
            self.parts.append(data)


def first_paragraph(html: str) -> str:
    parser = _FirstParagraph()
    parser.feed(html)
    return " ".join("".join(parser.parts).split())


def article_entry(site: Site, article: Article, urls: Urls, full: bool) -> Entry:
    parsed = site.parsed.get(article.id)
    html = parsed.html if parsed else ""
    url = urls.absolute(urls.path("article", article.slug))
    when = timestamp(article.date) or EPOCH
    return Entry(
        id=url,
        title=article.title,
        url=url,
        updated=when,
        published=timestamp(article.date),
        author=article.byline or article.source,
        summary=article.standfirst or first_paragraph(html),
        content_html=html if full else "",
        categories=tuple(t for t in (article.source, *article.tags) if t),
    )


def article_feed(
    site: Site,
    urls: Urls,
    articles: Iterable[Article],
    *,
    path: str,
    title: str,
    page_path: str = "",
    subtitle: str = "",
) -> Output:
    """A feed of `articles` (newest first, `feed_size` of them) written at site path
    `path`, whose HTML page is `page_path`. For the digest, a story or an entity."""
    config = site.config
    chosen = sorted(articles, key=lambda a: a.sort_key)[: config.feed_size]
    full = config.feed_content == "full"
    entries = [article_entry(site, a, urls, full) for a in chosen]
    data = atom(
        title,
        urls.absolute(path),
        urls.absolute(path),
        entries,
        alternate_url=urls.absolute(page_path),
        subtitle=subtitle,
        author=config.title,
        language=config.language,
    )
    return Output(path, data)
