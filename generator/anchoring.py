"""Find a passage in a text: the W3C TextQuoteSelector, applied strictly.

`anchor(text, selector)` is a pure function. Matching is done on a *folded* copy of the
text (runs of whitespace are one space, curly quotes and dashes are plain) so that an
editor's typing does not have to match the typography; positions are reported in the
original text. The order of attempts is:

1. exact occurrences of the passage; several are told apart by `prefix`/`suffix`; if
   that still leaves several, the result is "ambiguous" (an error for the caller);
2. when the passage occurs exactly but its surroundings changed, it is kept only if the
   surroundings are still similar (`CONTEXT_THRESHOLD`) and only one place qualifies;
3. otherwise an approximate search (Myers' bit-parallel edit distance) re-anchors the
   passage only when the best place is at least `FUZZY_THRESHOLD` similar, the passage is
   long enough for similarity to mean something, the surroundings agree (when given) and
   no second place qualifies;
4. anything else is "orphaned": never dropped, never attached to a lookalike.
"""

from __future__ import annotations

from dataclasses import dataclass

FUZZY_THRESHOLD = 0.9
CONTEXT_THRESHOLD = 0.7
FUZZY_MIN_LENGTH = 12
CONTEXT_CHARS = 32

_FOLD = {
    "’": "'",
    "‘": "'",
    "‚": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "–": "-",
    "—": "-",
    "‑": "-",
}

EXACT = "exact"
REANCHORED = "reanchored"
ORPHANED = "orphaned"
AMBIGUOUS = "ambiguous"


@dataclass(frozen=True, slots=True)
class Selector:
    """A W3C TextQuoteSelector: the passage and, optionally, the text just around it."""

    exact: str
    prefix: str = ""
    suffix: str = ""


@dataclass(frozen=True, slots=True)
class Match:
    status: str  # EXACT | REANCHORED | ORPHANED | AMBIGUOUS
    start: int = -1  # in the original text; -1 unless anchored
    end: int = -1
    places: int = 0  # how many places matched (for AMBIGUOUS / ORPHANED messages)
    similarity: float = 1.0
    reason: str = ""

    @property
    def anchored(self) -> bool:
        return self.status in (EXACT, REANCHORED)


@dataclass(frozen=True, slots=True)
class Folded:
    text: str
    index: tuple[int, ...]  # folded position -> original position; one extra at the end

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of folded [start, end) (end > start)."""
        return self.index[start], self.index[end - 1] + 1


def fold(raw: str) -> Folded:
    """Collapse whitespace to single spaces, strip the ends, plain quotes and dashes."""
    out: list[str] = []
    index: list[int] = []
    space = True
    for i, ch in enumerate(raw):
        if ch.isspace():
            if space:
                continue
            out.append(" ")
            space = True
        else:
            out.append(_FOLD.get(ch, ch))
            space = False
        index.append(i)
    if out and out[-1] == " ":
        out.pop()
        index.pop()
    index.append(len(raw))
    return Folded("".join(out), tuple(index))


def folded(text: str) -> str:
    return fold(text).text


def occurrences(text: str, needle: str) -> list[int]:
    found, at = [], text.find(needle)
    while at != -1:
        found.append(at)
        at = text.find(needle, at + 1)
    return found


def levenshtein(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def similarity(a: str, b: str) -> float:
    longest = max(len(a), len(b))
    return 1.0 if longest == 0 else 1.0 - levenshtein(a, b) / longest


def myers_distances(pattern: str, text: str) -> list[int]:
    """For each end position j of `text`, the least edit distance between `pattern` and
    any substring of `text` ending at j (Myers 1999, bit-parallel; Python ints are as wide
    as the pattern needs)."""
    m = len(pattern)
    mask = (1 << m) - 1
    high = 1 << (m - 1)
    peq: dict[str, int] = {}
    for i, ch in enumerate(pattern):
        peq[ch] = peq.get(ch, 0) | (1 << i)
    pv, mv, score = mask, 0, m
    scores = []
    for ch in text:
        eq = peq.get(ch, 0)
        xv = eq | mv
        xh = ((((eq & pv) + pv) & mask) ^ pv) | eq
        ph = (mv | ~(xh | pv)) & mask
        mh = pv & xh
        if ph & high:
            score += 1
        elif mh & high:
            score -= 1
        ph = (ph << 1) & mask
        mh = (mh << 1) & mask
        pv = (mh | ~(xv | ph)) & mask
        mv = ph & xv
        scores.append(score)
    return scores


def _best_start(pattern: str, text: str, end: int, slack: int) -> tuple[int, int]:
    """(start, distance) of the best alignment of `pattern` with text[start:end]."""
    lo = max(0, end - len(pattern) - slack)
    window = text[lo:end]
    # Columns: prefixes of the window read backwards from `end`; rows: pattern reversed.
    rev_w, rev_p = window[::-1], pattern[::-1]
    previous = list(range(len(rev_w) + 1))
    for i, cp in enumerate(rev_p, 1):
        current = [i]
        for j, cw in enumerate(rev_w, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (cp != cw)))
        previous = current
    best_len = min(range(len(previous)), key=lambda n: (previous[n], abs(n - len(pattern))))
    return end - best_len, previous[best_len]


def _approximate(text: str, pattern: str) -> list[tuple[int, int, int]]:
    """Non-overlapping places (start, end, distance) within the fuzzy threshold."""
    slack = int(len(pattern) * (1 - FUZZY_THRESHOLD))
    scores = myers_distances(pattern, text)
    places: list[tuple[int, int, int]] = []
    j = 0
    while j < len(scores):
        if scores[j] > slack:
            j += 1
            continue
        # A run of good end positions is one place: take its best end.
        k = j
        while k + 1 < len(scores) and scores[k + 1] <= slack:
            k += 1
        best = min(range(j, k + 1), key=lambda n: (scores[n], n))
        start, distance = _best_start(pattern, text, best + 1, slack)
        if not places or start >= places[-1][1]:
            places.append((start, best + 1, distance))
        elif distance < places[-1][2]:
            places[-1] = (start, best + 1, distance)
        j = k + 1
    return places


def _context_matches(text: str, start: int, end: int, prefix: str, suffix: str) -> bool:
    return text[:start].rstrip().endswith(prefix) and text[end:].lstrip().startswith(suffix)


def _context_similarity(text: str, start: int, end: int, prefix: str, suffix: str) -> float:
    scores = []
    if prefix:
        before = text[:start].rstrip()
        scores.append(similarity(prefix, before[-len(prefix) :]))
    if suffix:
        after = text[end:].lstrip()
        scores.append(similarity(suffix, after[: len(suffix)]))
    return min(scores) if scores else 1.0


def anchor(raw: str, selector: Selector) -> Match:
    """Where `selector` points in `raw`; see the module docstring for the rules."""
    text = fold(raw)
    quote, prefix, suffix = folded(selector.exact), folded(selector.prefix), folded(selector.suffix)
    if not quote:
        return Match(ORPHANED, reason="the passage is empty")
    has_context = bool(prefix or suffix)

    def hit(status: str, start: int, end: int, score: float = 1.0, reason: str = "") -> Match:
        a, b = text.span(start, end)
        return Match(status, a, b, 1, score, reason)

    exact = occurrences(text.text, quote)
    if exact:
        if not has_context:
            if len(exact) == 1:
                return hit(EXACT, exact[0], exact[0] + len(quote))
            return Match(AMBIGUOUS, places=len(exact))
        fitting = [
            s for s in exact if _context_matches(text.text, s, s + len(quote), prefix, suffix)
        ]
        if len(fitting) == 1:
            return hit(EXACT, fitting[0], fitting[0] + len(quote))
        if len(fitting) > 1:
            return Match(AMBIGUOUS, places=len(fitting))
    if len(quote) < FUZZY_MIN_LENGTH and not exact:
        return Match(ORPHANED, reason="the passage is not in the text")
    candidates = []
    for start, end, distance in _approximate(text.text, quote):
        score = 1.0 - distance / len(quote)
        if score < FUZZY_THRESHOLD or (score < 1.0 and len(quote) < FUZZY_MIN_LENGTH):
            continue
        context = _context_similarity(text.text, start, end, prefix, suffix)
        if context >= CONTEXT_THRESHOLD:
            candidates.append((start, end, score))
    if len(candidates) == 1:
        start, end, score = candidates[0]
        if score == 1.0:
            reason = "the text around the passage changed"
        else:
            reason = f"the passage changed ({score:.0%} similar)"
        return hit(REANCHORED, start, end, score, reason)
    if candidates:
        return Match(
            ORPHANED,
            places=len(candidates),
            reason=f"{len(candidates)} places are about as similar",
        )
    if exact:
        return Match(
            ORPHANED, places=len(exact), reason="the passage occurs only in other surroundings"
        )
    return Match(ORPHANED, reason="the passage is not in the text")


def context_of(raw: str, start: int, end: int, size: int = CONTEXT_CHARS) -> tuple[str, str]:
    """Up to `size` characters of original text before and after [start, end)."""
    return raw[max(0, start - size) : start], raw[end : end + size]
