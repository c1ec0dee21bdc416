"""A block's sentences and words, as the quote rule (`quotes.extract`) reads them.

A quotation is atomic: a full stop inside it never ends the sentence around it, and in
`tokenize` the whole quotation is one token, so words inside quotes never count as
speakers or antecedents (see `attribution`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from generator import attribution as attr
from generator.attribution import Tok, make_tok
from generator.quote_words import words

TERMINAL = ".!?…"
_TERMINAL_RE = re.compile("[" + TERMINAL + "]")
ABBREVIATIONS = words(
    """mr mrs ms dr st gen sen rep gov lt col capt maj sgt prof jan feb aug sept sep oct nov
    dec no vs jr sr"""
)
_INITIALS_RE = re.compile(r"(?:[A-Za-z]\.){2,}|[A-Z]\.")


def _abbreviation(text: str, i: int) -> bool:
    """The word that ends with the period at `i` is an abbreviation ("U.S.", "J.", "Gen.").

    The word is found by walking back to the space before it, not by searching the whole
    text before `i`: that made splitting a paragraph quadratic in its length."""
    k = i
    while k > 0 and not text[k - 1].isspace():
        k -= 1
    w = text[k : i + 1].strip("([\"'“‘")
    if _INITIALS_RE.fullmatch(w):
        return True
    return w[:-1].lower() in ABBREVIATIONS


def _starts_sentence(text: str, j: int) -> bool:
    if j >= len(text) or not text[j].isspace():
        return False
    rest = text[j:].lstrip()
    return bool(rest) and (rest[0].isupper() or rest[0].isdigit() or rest[0] in "“„«\"‘'")


def split_sentences(text: str, spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sentence ranges of a block; quote spans are atomic (their full stops don't split)."""
    span_at = dict(spans)
    opens = sorted(span_at)
    k = 0  # opens[k] is the next quote at or after i
    out: list[tuple[int, int]] = []
    start, i, n = 0, 0, len(text)
    while i < n:
        # Only a quote and terminal punctuation change anything: jump to the next of them.
        while k < len(opens) and opens[k] < i:
            k += 1
        next_open = opens[k] if k < len(opens) else n
        found = _TERMINAL_RE.search(text, i, next_open)
        i = found.start() if found is not None else next_open
        if i >= n:
            break
        if i in span_at:
            e = span_at[i]
            inner = text[i + 1 : e - 1].rstrip()
            if inner and inner[-1] in TERMINAL and _starts_sentence(text, e):
                out.append((start, e))
                start = e
            i = e
            continue
        # Not a quote: the jump stopped at terminal punctuation.
        j = i
        while j < n and text[j] in TERMINAL + ")]":
            j += 1
        if _starts_sentence(text, j) and not (text[i] == "." and _abbreviation(text, i)):
            out.append((start, j))
            start = j
        i = j
    if text[start:].strip():
        out.append((start, n))
    return [(s + len(text[s:e]) - len(text[s:e].lstrip()), e) for s, e in out]


def tokenize(block: int, text: str, start: int, end: int, spans: dict[int, tuple[int, int]]):
    """Tokens of text[start:end]; spans: open offset -> (end offset, quote index)."""
    toks: list[Tok] = []
    i = start
    while i < end:
        if i in spans:
            e, q = spans[i]
            toks.append(make_tok("«quote»", block, i, q))
            i = e
            continue
        nxt = min([s for s in spans if i < s < end], default=end)
        toks.extend(attr.word_toks(block, text, i, nxt))
        i = nxt
    return toks
