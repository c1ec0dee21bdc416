"""Text units for comparison: paragraphs from Markdown tokens, sentences, word tokens.

Pure functions over strings and markdown-it tokens. Sentence splitting is a small
scanner rather than one regular expression, because the cases that matter in news copy
need state: abbreviations ("U.S.", "U.N.", "Mr."), decimals ("42.7-metre"), ellipses
("limitations.... Within", inside a quote), and quotes that end a sentence
(`said: "That's why we came here." Then ...`). A quotation is never split: a speaker's
words stay one unit, as outlets quote them whole.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from markdown_it.token import Token


def wordset(text: str) -> frozenset[str]:
    """A set of words written as one string (the word lists below)."""
    return frozenset(text.split())


# Words after which a full stop does not end a sentence.
ABBREVIATIONS = wordset(
    """mr mrs ms dr prof gen col lt sgt capt cmdr adm gov sen rep st jr sr rev hon fr
    no nos vs etc inc ltd co corp bros dept est approx fig jan feb mar apr jun jul aug sep
    sept oct nov dec mt ft"""
)
# Capitalised words that usually start a sentence after an ambiguous "U.S." or "Inc.".
SENTENCE_STARTERS = wordset(
    """the a an he she it they we i this that these those there but and yet so
    however meanwhile his her its their our in on at after before when while"""
)
OPEN_QUOTES = "“«"
CLOSE_QUOTES = "”»"
CLOSERS = "”»’)]'\"*_"

_TOKEN = re.compile(
    r"(?:[A-Za-z]\.){2,}"  # U.S., U.N., e.g.
    r"|\d+(?:[.,]\d+)*(?:-\w+)*"  # 42.7-metre, 1,000, 18
    r"|\w+(?:['’]\w+)*(?:-\w+(?:['’]\w+)*)*",  # state's, co-operation, one-on-one
)
_INITIALISM = re.compile(r"^(?:[A-Za-z]\.){2,}$")
_SPACE = re.compile(r"\s+")
_TYPOGRAPHY = str.maketrans(
    {
        "“": '"',
        "”": '"',
        "„": '"',
        "«": '"',
        "»": '"',
        "‘": "'",
        "’": "'",
        "—": "-",
        "–": "-",
        "\u00a0": " ",
        "…": "...",
    }
)
STOPWORDS = wordset(
    """a an the and or but of to in on at for by with from as into about over after
    before than then that this these those there their its it is are was were be been
    being has have had do does did not no he she they we i you his her him them our us
    who whom which what when where while if so such also just any all each other more
    most very can could would will shall should may might must"""
)
MODALS = wordset("can could would will shall should may might must")


class Word(NamedTuple):
    """A word of a sentence: its text, its normal form and where it is in the sentence."""

    text: str
    norm: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of an article, with the paragraph (`#p-N`) it comes from."""

    article: str
    index: int  # position in the article, 0-based
    paragraph: int  # 1-based, the article page's `p-N` anchor
    text: str


# Normalisation ------------------------------------------------------------------------


_DOTTED = re.compile(r"\b((?:[A-Za-z]\.){2,})")  # U.S., U.N.


def _undotted(match: re.Match[str]) -> str:
    return match.group(1).replace(".", "")


def fold(text: str) -> str:
    """Typography only: quote marks, apostrophes, dashes, spaces, ellipsis, initialisms.

    ASCII text skips what cannot change it (normalisation and the typography map, which
    only maps characters outside ASCII), as text without a full stop skips the
    initialisms: most sentences of a story are both, and every one is folded."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text).translate(_TYPOGRAPHY)
    if "." in text:
        text = _DOTTED.sub(_undotted, text)
    return _SPACE.sub(" ", text).strip()


def normal_word(word: str) -> str:
    """A word's comparison form: lowercase, folded apostrophes, initialisms undotted."""
    # Every character _TYPOGRAPHY maps is outside ASCII: most words skip the translation.
    word = word.lower() if word.isascii() else word.translate(_TYPOGRAPHY).lower()
    if "." in word and _INITIALISM.match(word):
        word = word.replace(".", "")
    return word


def stem(norm: str) -> str:
    """A crude truncation stem: "discussions"/"discuss", "Korean"/"Korea" meet."""
    if norm.endswith("'s"):
        norm = norm[:-2]
    return norm[:5]


_new_word = tuple.__new__  # Word(...) without NamedTuple's Python-level __new__


def tokens(text: str) -> list[Word]:
    """The words of `text` with their `normal_word` forms. Each Word is made straight
    from its tuple, without NamedTuple's Python-level `__new__`: this runs for every
    sentence of every story, and that call was a fifth of its cost."""
    return [
        _new_word(Word, (m.group(), normal_word(m.group()), m.start(), m.end()))
        for m in _TOKEN.finditer(text)
    ]


def word_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each of `tokens(text)`, without their comparison forms."""
    return [m.span() for m in _TOKEN.finditer(text)]


def content_stems(text: str) -> frozenset[str]:
    """Stems of the words that carry meaning (no stopwords); what similarity compares."""
    norms = (normal_word(w) for w in _TOKEN.findall(text))
    return frozenset(stem(n) for n in norms if n not in STOPWORDS)


# Paragraphs from Markdown tokens -------------------------------------------------------


def inline_text(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return _SPACE.sub(" ", "".join(parts)).strip()


def paragraphs(md_tokens: Sequence[Token]) -> list[tuple[int, str]]:
    """(N, plain text) of each top-level paragraph, numbered as the `p-N` anchors are."""
    found: list[tuple[int, str]] = []
    number = 0
    for index, token in enumerate(md_tokens):
        if token.type == "paragraph_open" and token.level == 0:
            number += 1
            inline = md_tokens[index + 1]
            text = inline_text(inline) if inline.type == "inline" else ""
            if text:
                found.append((number, text))
    return found


# Sentence splitting --------------------------------------------------------------------


def _quotes_balanced(text: str) -> bool:
    curly = sum(text.count(c) for c in OPEN_QUOTES) == sum(text.count(c) for c in CLOSE_QUOTES)
    return curly and text.count('"') % 2 == 0


def _word_before(text: str, end: int) -> str:
    start = end
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in '(“"':
        start -= 1
    return text[start:end]


def _is_boundary(text: str, dot: int, stop: int, next_start: int) -> bool:
    """May the sentence end at `text[dot:stop]` (terminal punctuation plus closers)?"""
    if next_start >= len(text):
        return True
    following = text[next_start]
    if not (following.isupper() or following.isdigit() or following in "“\"‘'(*_«"):
        return False
    mark = text[dot]
    if mark != ".":
        return True
    run = text[dot:stop].rstrip(CLOSERS)
    if run.startswith("..."):
        # "...." ends a sentence; a bare ellipsis only before a new capitalised sentence.
        return len(run) >= 4 or following.isupper()
    word = _word_before(text, dot).strip("*_")
    bare = word.lower().rstrip(".")
    if bare in ABBREVIATIONS:
        return False
    if len(word) == 1 and word.isupper():  # an initial: "Jo C. Ryong"
        return False
    if _INITIALISM.match(word + "."):  # "U.S." ends a sentence only before "The", "He"...
        next_word = re.match(r"[\w']+", text[next_start:].lstrip("“\"‘'(*_«"))
        return bool(next_word and next_word.group().lower() in SENTENCE_STARTERS)
    return True


_TERMINALS = re.compile("[.!?…]")
_MARKS = re.compile("[.!?…" + OPEN_QUOTES + CLOSE_QUOTES + '"]')


def split_sentences(text: str) -> list[str]:
    """Split one paragraph's plain text into sentences."""
    text = _SPACE.sub(" ", text).strip()
    if not text:
        return []
    track_quotes = _quotes_balanced(text)
    # Only quotation marks and terminal punctuation change anything below: jump to each.
    marks = _MARKS if track_quotes else _TERMINALS
    sentences: list[str] = []
    start = 0
    depth = 0  # open quotation marks
    i = 0
    n = len(text)
    while (found := marks.search(text, i)) is not None:
        i = found.start()
        ch = text[i]
        if track_quotes:
            if ch in OPEN_QUOTES:
                depth += 1
            elif ch in CLOSE_QUOTES:
                depth = max(0, depth - 1)
            elif ch == '"':
                opening = i == 0 or text[i - 1].isspace() or text[i - 1] in "([*_—–-"
                depth = depth + 1 if opening else max(0, depth - 1)
        if ch in ".!?…":
            stop = i + 1
            while stop < n and text[stop] in ".!?…":
                stop += 1
            closers_start = stop
            while stop < n and text[stop] in CLOSERS:
                stop += 1
            after_depth = depth
            if track_quotes:
                for c in text[closers_start:stop]:
                    if c in CLOSE_QUOTES or c == '"':
                        after_depth = max(0, after_depth - 1)
            if stop >= n or text[stop].isspace():
                next_start = stop
                while next_start < n and text[next_start].isspace():
                    next_start += 1
                if after_depth == 0 and _is_boundary(text, i, stop, next_start):
                    sentences.append(text[start:stop].strip())
                    start = next_start
            depth = after_depth
            i = stop
            continue
        i += 1
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def article_sentences(article_id: str, paras: Iterable[tuple[int, str]]) -> tuple[Sentence, ...]:
    out: list[Sentence] = []
    for number, text in paras:
        for sentence in split_sentences(text):
            out.append(Sentence(article_id, len(out), number, sentence))
    return tuple(out)


# Names and quotations: stand-ins until the entity and quote stages provide them ----------

_CAP_WORD = re.compile(
    r"(?:[A-Z]\.){2,}|[A-Z][\w'’]*(?:-[A-Z]?[\w'’]+)*",
)
_NAME_JOINERS = frozenset({"of", "de", "al", "bin", "von", "van", "la", "del"})
_NOT_NAMES = wordset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december i ahead amid within asked
    despite during according amongst among"""
)


def name_key(name: str) -> str:
    """The id of a stand-in name: lowercase, undotted, no possessive."""
    key = fold(name).lower()
    key = re.sub(r"['’]s$", "", key)
    return re.sub(r"[^a-z0-9]+", "-", key).strip("-")


def capitalised_names(sentences: Iterable[str]) -> dict[str, str]:
    """Capitalised word runs ("Antonio Guterres", "KCNA", "U.S.") as {key: name}.

    A capitalised word that starts a sentence or a quotation is dropped when it is a
    common word: one that also appears in lower case somewhere in the text ("After",
    "For", "Asked"), so "Britain urged..." keeps Britain and "Ahead of his..." loses Ahead.
    """
    texts = list(sentences)
    lower_words = {
        w.lower() for text in texts for w in re.findall(r"[\w'’]+", text) if w[:1].islower()
    }
    runs: list[tuple[list[str], bool]] = []  # (words, starts a sentence or quote)
    for sentence in texts:
        words = list(re.finditer(r"\S+", sentence))
        current: list[str] = []
        current_initial = False
        after_stop = True
        for position, match in enumerate(words):
            raw = match.group()
            word = raw.strip("“”\"‘'()[]*_,;:.!?—–")
            dotted = raw.strip("“”\"‘'()[]*_,;:!?—–")
            if _INITIALISM.match(dotted):
                word = dotted
            core = word[:-2] if word.endswith(("'s", "’s")) else word
            initial = after_stop or raw[:1] in "“\"‘'(*_"
            if core and _CAP_WORD.fullmatch(core) and core.lower() not in _NOT_NAMES:
                if not current:
                    current_initial = initial
                current.append(core)
            elif current and word in _NAME_JOINERS and position + 1 < len(words):
                current.append(word)
            elif current:
                runs.append((current, current_initial))
                current = []
            ends = raw[-1:] in ',;:!?”"' or (raw[-1:] == "." and word != dotted)
            if current and (ends or raw.endswith(("'s", "’s"))):
                runs.append((current, current_initial))
                current = []
            after_stop = raw[-1:] in ".!?:" and word != dotted
        if current:
            runs.append((current, current_initial))
    names: dict[str, str] = {}
    for words, initial in runs:
        common = words and (words[0].lower() in lower_words or words[0].lower() in STOPWORDS)
        if initial and common and not words[0].isupper():
            words = words[1:]
        while words and words[-1] in _NAME_JOINERS:
            words = words[:-1]
        name = " ".join(words)
        key = name_key(name)
        if len(key) > 1 and key not in names:
            names[key] = name
    return names


_QUOTED = re.compile(r"“([^“”]+)”|\"([^\"]+)\"")


def quoted_spans(text: str, min_words: int = 4) -> list[str]:
    """Direct quotations of at least `min_words` words in `text`."""
    found = []
    for match in _QUOTED.finditer(text):
        quote = (match.group(1) or match.group(2) or "").strip()
        if len(quote.split()) >= min_words:
            found.append(quote)
    return found
