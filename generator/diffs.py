"""Word-level differences between two versions of a passage, and which of them matter.

`word_diff` compares the words of two texts (after normalising typography, so "U.S." and
"US", curly and straight quotes are equal) and returns operations whose texts are exact
slices of the originals: joining one side's slices gives that side's text back, so a view
can mark changes without losing a character.

`discrepancies` singles out the differences that change facts. Neighbouring changes
separated by at most one unchanged word form one region; a region is classified, in this
order, as a difference of numbers or quantities, modality, named actors, attribution, a
paraphrase of the same claim (long, reworded, sharing content words), or other wording.
Pure insertions and deletions are not discrepancies: they are what one outlet adds, and
the comparison shows them as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from generator.sentences import MODALS, STOPWORDS, Word, stem, tokens, wordset

NUMBER_WORDS = wordset(
    """zero one two three four five six seven eight nine ten eleven twelve thirteen
    fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty
    seventy eighty ninety hundred hundreds thousand thousands million millions billion
    billions trillion dozen dozens several few many numerous half twice thrice once
    double triple quarter percent per cent most all some"""
)
SPEECH_VERBS = wordset(
    """said says say told tells added adds stated states claimed claims declared declares
    announced announces reported reports warned warns insisted insists noted notes argued
    argues asserted asserts according confirmed confirms denied denies suggested suggests
    quoted quotes cited cites acknowledged"""
)
KINDS = ("number", "modality", "actor", "attribution", "paraphrase", "wording")
CONTEXT_WORDS = 3


@dataclass(frozen=True, slots=True)
class Op:
    """One step of a word diff: `tag` is equal, insert, delete or replace.

    `i1:i2` and `j1:j2` are word ranges of the two texts; `a` and `b` their text slices
    (with the spacing and punctuation that follow each word).
    """

    tag: str
    i1: int
    i2: int
    j1: int
    j2: int
    a: str
    b: str


@dataclass(frozen=True, slots=True)
class Difference:
    """A fact-changing difference between two texts, with a little context each side."""

    kind: str
    a: str
    b: str


def _slice(text: str, words: list[Word], start: int, end: int) -> str:
    """The text of words[start:end] with what follows each word up to the next word."""
    if start >= end:
        return ""
    left = 0 if start == 0 else words[start].start
    right = len(text) if end >= len(words) else words[end].start
    return text[left:right]


def word_diff(
    a_text: str,
    b_text: str,
    a_words: list[Word] | None = None,
    b_words: list[Word] | None = None,
) -> tuple[tuple[Op, ...], float]:
    """Operations turning `a_text` into `b_text`, and the similarity ratio (0..1).

    `a_words` / `b_words` are the texts' `tokens()` when the caller already has them.
    """
    a_words = tokens(a_text) if a_words is None else a_words
    b_words = tokens(b_text) if b_words is None else b_words
    matcher = SequenceMatcher(
        None, [w.norm for w in a_words], [w.norm for w in b_words], autojunk=False
    )
    ops = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        ops.append(
            Op(
                tag,
                i1,
                i2,
                j1,
                j2,
                _slice(a_text, a_words, i1, i2),
                _slice(b_text, b_words, j1, j2),
            )
        )
    if not a_words and not b_words:
        return tuple(ops), 1.0
    return tuple(ops), matcher.ratio()


def _regions(ops: tuple[Op, ...]) -> list[tuple[int, int, int, int, bool]]:
    """Change regions (i1, i2, j1, j2, has a replacement): changes at most a word apart."""
    regions: list[list] = []
    for op in ops:
        if op.tag == "equal":
            continue
        replaced = op.tag == "replace"
        if regions:
            last = regions[-1]
            if op.i1 - last[1] <= 1 and op.j1 - last[3] <= 1:
                last[1], last[3] = op.i2, op.j2
                last[4] = last[4] or replaced
                continue
        regions.append([op.i1, op.i2, op.j1, op.j2, replaced])
    return [(r[0], r[1], r[2], r[3], r[4]) for r in regions]


def _content(words: list[Word]) -> set[str]:
    return {stem(w.norm) for w in words if w.norm not in STOPWORDS}


def _names(words: list[Word], offset: int) -> set[str]:
    """Normalised capitalised words, not counting the first word of the sentence."""
    return {
        w.norm for index, w in enumerate(words, start=offset) if index > 0 and w.text[:1].isupper()
    }


def classify(a_words: list[Word], b_words: list[Word], i1: int, j1: int) -> str | None:
    """The kind of a change region, or None when it does not count as a discrepancy."""
    if not a_words or not b_words:
        return None
    a_norms = {w.norm for w in a_words}
    b_norms = {w.norm for w in b_words}
    if a_norms == b_norms:
        return None  # only the order changed
    long = len(a_words) >= 5 and len(b_words) >= 5
    if long:
        shared = _content(a_words) & _content(b_words)
        return "paraphrase" if len(shared) >= 2 else None
    changed = a_norms ^ b_norms

    def is_number(norm: str) -> bool:
        return norm[:1].isdigit() or norm in NUMBER_WORDS

    if any(is_number(n) for n in changed):
        return "number"
    if changed & MODALS:
        return "modality"
    if _names(a_words, i1) ^ _names(b_words, j1):
        return "actor"
    if changed & SPEECH_VERBS:
        return "attribution"
    if len(a_words) >= 3 and len(b_words) >= 3 and len(_content(a_words) & _content(b_words)) >= 2:
        return "paraphrase"
    return "wording"


def _trim(snippet: str) -> str:
    """A snippet without the quote marks and commas cut off at its edges."""
    return snippet.strip().strip("\"“”‘’'«»,;:—–- ").strip()


def discrepancies(
    a_text: str,
    b_text: str,
    ops: tuple[Op, ...],
    a_words: list[Word] | None = None,
    b_words: list[Word] | None = None,
) -> list[Difference]:
    a_words = tokens(a_text) if a_words is None else a_words
    b_words = tokens(b_text) if b_words is None else b_words
    found: list[Difference] = []
    for i1, i2, j1, j2, replaced in _regions(ops):
        kind = classify(a_words[i1:i2], b_words[j1:j2], i1, j1)
        if kind is None or not replaced:
            continue
        context = CONTEXT_WORDS + (1 if kind == "paraphrase" else 0)
        left = min(context, i1, j1)
        right = min(context, len(a_words) - i2, len(b_words) - j2)
        a_snippet = _slice(a_text, a_words, i1 - left, i2 + right)
        b_snippet = _slice(b_text, b_words, j1 - left, j2 + right)
        found.append(Difference(kind, _trim(a_snippet), _trim(b_snippet)))
    return found
