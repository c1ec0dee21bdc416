"""Plain-text seed articles (as copied from an outlet's page) -> Markdown + front matter.

The rules work on the shape of a news article, not on particular files:

* A leading token `date YYYY-MM-DD` gives the date and is removed.
* A headline block: the first block when it is short (at most 30 words) and has no final
  full stop, and the next block is short (at most 4 words) like an outlet's name; the
  second block is then the `source`.
* A trailer `Published in OUTLET, Month Dth, YYYY` gives source and date and is removed;
  a Reuters-style `(Reporting by ...; Editing by ...)` trailer becomes the `byline`.
* A dateline: an upper-case place at the start of the first paragraph, followed by a
  colon, a dash or "(Agency) -", is lifted into `dateline`.
* Subheads: a block of at most 6 words without final punctuation that is upper-case,
  wrapped in quote marks or in title case, becomes a `##` heading.
* The standfirst: the first remaining block of 6 to 40 words with no final punctuation.
* Without a headline the title is derived (`title_derived: true`): the lead paragraph's
  first sentence, cut at its last clause boundary (comma, semicolon, dash) that keeps at
  most 20 words, or at 20 words with an ellipsis.
* Text is escaped so that it renders as written (no HTML, no accidental Markdown),
  except `**strong**` and `*emphasis*` spans, which the seeds use deliberately.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from generator.text import word_count

MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}

DATE_TOKEN = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\b\s*")
TRAILER = re.compile(
    r"^Published in (?P<source>[^,]{1,60}), (?P<month>[A-Za-z]+)\.? (?P<day>\d{1,2})"
    r"(?:st|nd|rd|th)?,? (?P<year>\d{4})\.?$"
)
REPORTING = re.compile(r"^\((?P<byline>(?:Reporting|Writing|Additional reporting) by [^)]+)\)$")
DATELINE = re.compile(
    r"^(?P<place>[A-Z][A-Z.'’-]*(?:[ -][A-Z][A-Z.'’-]*){0,3})"
    r"(?:,[^:\n]{0,30}?)?(?:\s*\([A-Za-z ]{1,30}\))?\s*(?::|—|–|-)\s+"
)
QUOTED = re.compile(r"^[\"'‘“](.+)[\"'’”]$")
FINAL_PUNCT = ".!?,;:…"
EMPHASIS = re.compile(r"(\*\*(?=\S)[^*\n]+?(?<=\S)\*\*|\*(?=[^\s*])[^*\n]+?(?<=[^\s*])\*)")
ESCAPE_ANYWHERE = re.compile(r"([\\`*_\[\]<>&~|])")
CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
LINE_START = re.compile(r"^(#|>|[-+=](?=[\s-]|$)|\d+(?=[.)](?:\s|$)))")


@dataclass
class SeedArticle:
    meta: dict = field(default_factory=dict)
    blocks: list[str] = field(default_factory=list)  # Markdown blocks of the body
    warnings: list[str] = field(default_factory=list)


def clean(text: str) -> str:
    """Drop what never belongs in article text: control characters (NUL, terminal escape
    sequences, ...) except tab and line ends, BOMs, and lone surrogates (as U+FFFD)."""
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return CONTROL.sub("", text.replace("\ufeff", ""))


def _blocks(text: str) -> list[str]:
    text = clean(text).replace("\r\n", "\n").replace("\r", "\n")
    blocks, current = [], []
    for line in text.split("\n"):
        if line.strip():
            current.append(" ".join(line.split()))
        elif current:
            blocks.append(" ".join(current))
            current = []
    if current:
        blocks.append(" ".join(current))
    return blocks


def _ends_sentence(block: str) -> bool:
    stripped = block.rstrip("\"'’”*)")
    return bool(stripped) and stripped[-1] in FINAL_PUNCT


def _is_outlet(block: str) -> bool:
    words = block.split()
    return 1 <= len(words) <= 4 and not _ends_sentence(block) and block[0].isupper()


def _is_headline(block: str) -> bool:
    return 3 <= word_count(block) <= 30 and not _ends_sentence(block)


def _is_subhead(block: str) -> bool:
    if _ends_sentence(block) or not 1 <= word_count(block) <= 6:
        return False
    inner = QUOTED.match(block)
    if inner:
        return True
    letters = [c for c in block if c.isalpha()]
    if letters and all(c.isupper() for c in letters):
        return True
    words = [w for w in re.findall(r"[A-Za-z][\w’'-]*", block) if len(w) > 3]
    return bool(words) and all(w[0].isupper() for w in words)


def _is_standfirst(block: str) -> bool:
    return 6 <= word_count(block) <= 40 and not _ends_sentence(block) and not QUOTED.match(block)


def parse_month_date(month: str, day: str, year: str) -> dt.date | None:
    number = MONTHS.get(month.lower())
    if number is None:
        return None
    try:
        return dt.date(int(year), number, int(day))
    except ValueError:
        return None


def escape_text(text: str) -> str:
    """Escape Markdown and HTML in plain text, keeping `**strong**` and `*em*` spans."""
    parts = EMPHASIS.split(text)
    out = []
    for index, part in enumerate(parts):
        if index % 2:  # an emphasis span: keep the markers, escape the inside
            marker = "**" if part.startswith("**") else "*"
            inner = part[len(marker) : -len(marker)]
            out.append(marker + ESCAPE_ANYWHERE.sub(r"\\\1", inner) + marker)
        else:
            out.append(ESCAPE_ANYWHERE.sub(r"\\\1", part))
    escaped = "".join(out)
    return LINE_START.sub(lambda m: _escape_line_start(m.group(1)), escaped, count=1)


def _escape_line_start(token: str) -> str:
    if token[0].isdigit():
        return token  # the "." or ")" after it is escaped below
    return "\\" + token


def _escape_block(text: str) -> str:
    escaped = escape_text(text)
    return re.sub(r"^(\d+)([.)])(?=\s|$)", r"\1\\\2", escaped)


def _plain(text: str) -> str:
    """Front matter keeps plain text: drop emphasis markers."""
    return EMPHASIS.sub(lambda m: m.group(0).strip("*"), text)


def derive_title(lead: str) -> str:
    text = _plain(lead)
    match = re.search(r"(?<=[.!?])[\"'’”]?\s+(?=[A-Z\"“‘'])", text)
    sentence = text[: match.start()] if match else text
    sentence = sentence.rstrip(" .")
    words = sentence.split()
    if len(words) <= 20:
        return sentence
    best = None
    for boundary in re.finditer(r"\s*(?:,|;|—|–| - )\s*", sentence):
        head = sentence[: boundary.start()]
        if 6 <= len(head.split()) <= 20:
            best = head
    return best if best else " ".join(words[:20]) + "…"


def parse(text: str) -> SeedArticle:
    article = SeedArticle()
    meta = article.meta
    blocks = _blocks(text)
    if not blocks:
        article.warnings.append("the seed has no text")
        return article

    match = DATE_TOKEN.match(blocks[0])
    if match:
        meta["date"] = dt.date.fromisoformat(match.group(1))
        blocks[0] = blocks[0][match.end() :]

    if len(blocks) >= 3 and _is_headline(blocks[0]) and _is_outlet(blocks[1]):
        meta["title"], meta["source"] = _plain(blocks[0]), _plain(blocks[1])
        blocks = blocks[2:]
    elif len(blocks) >= 2 and _is_headline(blocks[0]) and not _is_subhead(blocks[0]):
        meta["title"] = _plain(blocks[0])
        blocks = blocks[1:]

    while blocks:
        trailer = TRAILER.match(blocks[-1])
        reporting = REPORTING.match(blocks[-1])
        if trailer:
            meta.setdefault("source", trailer.group("source").strip())
            date = parse_month_date(*trailer.group("month", "day", "year"))
            if date and "date" not in meta:
                meta["date"] = date
        elif reporting:
            meta["byline"] = reporting.group("byline")
        else:
            break
        blocks.pop()

    if blocks and (match := DATELINE.match(blocks[0])):
        place = match.group("place").strip()
        if len(place) >= 2 and word_count(blocks[0][match.end() :]) > 3:
            meta["dateline"] = place
            blocks[0] = blocks[0][match.end() :]

    body: list[str] = []
    lead = ""
    for block in blocks:
        if _is_subhead(block):
            body.append("## " + escape_text(block))
        elif "standfirst" not in meta and _is_standfirst(block):
            meta["standfirst"] = _plain(block)
        else:
            body.append(_escape_block(block))
            lead = lead or block
    article.blocks = body

    if "title" not in meta:
        if lead:
            meta["title"] = derive_title(lead)
            meta["title_derived"] = True
        else:
            article.warnings.append("no headline and no paragraph to derive a title from")
    for key in ("source", "date"):
        if key not in meta:
            article.warnings.append(f"the seed does not say its '{key}': fill in `{key}:` by hand")
    return article
