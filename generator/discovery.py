"""Discovery: capitalised names in article text that no registry entry matched.

Heuristics, news style (all on the text of paragraphs; headings are never read):

- a *name* is a run of capitalised words, joined by hyphens ("Komsomolsk-on-Amur") or
  by "of"/"de"/"bin" and the like between capitalised words ("Bank of England");
- title words before a name are not part of it ("Defence Minister Sergei Shoigu" gives
  "Sergei Shoigu") and make it a person; so does "said" or "told" right after it;
- a sentence-initial word is only the start of a name when it is not a common word
  ("The", "After", "Amid", "Asked", or any word the article also writes in lower case);
  a single capitalised word at a sentence start is never proposed;
- months, days and lone title words are not names.

Each proposal gets a guessed type: organisation words ("Department", "Agency", ...)
make an organization, a place preposition before it ("in", "near") a place, a title or
"said" a person.
"""

from __future__ import annotations

from dataclasses import dataclass

MONTHS = {
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December", "Monday", "Tuesday", "Wednesday",
    "Thursday", "Friday", "Saturday", "Sunday",
}  # fmt: skip
TITLES = {
    "President", "Minister", "Prime", "Foreign", "Defence", "Defense", "Interior", "Finance",
    "Leader", "Director", "Secretary", "General", "Chancellor", "King", "Queen", "Prince",
    "Colonel", "Ambassador", "Governor", "Mayor", "Senator", "Chairman", "Chairwoman",
    "Chief", "Head", "Deputy", "Vice", "Commander", "Premier", "Pope", "Mr", "Mrs", "Ms",
    "Dr", "Spokesman", "Spokeswoman", "Spokesperson", "Supreme", "Lieutenant",
}  # fmt: skip
LOWER_TITLES = {"leader", "spokesman", "spokeswoman", "spokesperson", "minister", "president",
                "director", "chief", "envoy", "ambassador", "secretary", "head"}  # fmt: skip
STARTERS = {
    "The", "A", "An", "After", "Amid", "Asked", "As", "At", "But", "And", "Or", "In", "On",
    "For", "From", "When", "While", "With", "Without", "Within", "This", "That", "These",
    "Those", "There", "Here", "It", "Its", "He", "She", "They", "We", "I", "You", "His",
    "Her", "Their", "Our", "Any", "Ahead", "Before", "During", "Since", "Until", "If",
    "Although", "Though", "However", "Meanwhile", "Still", "Yet", "So", "Some", "Many",
    "Most", "All", "No", "Not", "Only", "Also", "Even", "Both", "Each", "Every", "One",
    "Two", "Three", "Last", "Next", "New", "Other", "Such", "What", "Which", "Who", "Why",
    "How", "Where", "Then", "Now", "To", "Of", "By", "Under", "Over", "Among", "Despite",
}  # fmt: skip
CONNECTORS = {"of", "de", "del", "der", "van", "von", "bin", "al", "la", "le", "du"}
HYPHEN_CONNECTORS = CONNECTORS | {"on", "upon", "sur", "am", "en"}  # Komsomolsk-on-Amur
ORG_WORDS = {
    "Department", "Ministry", "Agency", "Council", "Radio", "News", "Fleet", "Party", "Bank",
    "Committee", "Commission", "Office", "Union", "Army", "Navy", "Institute", "University",
    "Company", "Corporation", "Group", "Court", "Parliament", "Assembly", "Service", "Fund",
    "Organisation", "Organization", "Association", "Bureau", "Authority", "Times", "Post",
}  # fmt: skip
PLACE_PREPOSITIONS = {"in", "near", "at", "from", "to", "across", "outside", "inside"}
SAID = {"said", "says", "told", "added", "asked", "warned"}
_SENTENCE_START = set('.!?:;“"‘(\x00')


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    name: str
    type_guess: str
    cue: str


def _capitalised(token: str) -> bool:
    return token[:1].isupper() and token.isalpha()


def _extends(toks, blocked: list[bool], j: int) -> int:
    """How many tokens from `j` continue the name that ends at `j - 1` (0: none)."""
    word = toks[j][2]
    glued = toks[j][0] == toks[j - 1][1]
    nxt = toks[j + 1][2] if j + 1 < len(toks) and not blocked[j + 1] else ""
    if _capitalised(word) and not glued and toks[j - 1][2][:1].isalpha():
        return 1  # Kim Jong Un
    if word == "." and glued and _initial(toks, j - 1):
        return 1  # U.S., U.N.
    if _capitalised(word) and toks[j - 1][2] == "." and _initial(toks, j - 2):
        return 1  # U.N. Security, U.S.A
    hyphen = word == "-" and glued and nxt and toks[j + 1][0] == toks[j][1]
    if word in MONTHS or (nxt in MONTHS and word in CONNECTORS):
        return 0
    if hyphen and (_capitalised(nxt) or nxt in HYPHEN_CONNECTORS):
        return 2  # Komsomolsk-on-Amur
    if word in CONNECTORS and not glued and _capitalised(nxt):
        return 2  # Bank of England
    return 0


def _initial(toks, k: int) -> bool:
    """A single capital letter (the U of "U.S.")."""
    return k >= 0 and len(toks[k][2]) == 1 and toks[k][2].isupper()


def _sentence_initial(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    if not before:
        return True
    if before[-1] == "'" or before[-1] == "’":
        # An opening single quote (space before it) starts a quotation.
        return len(before) == 1 or before[-2].isspace()
    return before[-1] in _SENTENCE_START


def find_names(
    text: str,
    toks: list[tuple[int, int, str]],
    covered: list[tuple[int, int]],
    lower_words: set[str],
) -> list[Found]:
    """Names in `text` (whose `tokens()` are `toks`) outside the `covered` spans (registry
    matches), in order."""
    blocked = [False] * len(toks)
    spans = sorted(covered)
    k = 0
    for index, (start, end, _) in enumerate(toks):
        while k < len(spans) and spans[k][1] <= start:
            k += 1
        if k < len(spans) and spans[k][0] < end:
            blocked[index] = True
    runs: list[tuple[int, int]] = []  # token index ranges [i, j)
    i = 0
    while i < len(toks):
        if blocked[i] or not _capitalised(toks[i][2]):
            i += 1
            continue
        j = i + 1
        while j < len(toks) and not blocked[j]:
            step = _extends(toks, blocked, j)
            if not step:
                break
            j += step
        runs.append((i, j))
        i = j
    found: list[Found] = []
    for i, j in runs:
        found.extend(_judge(text, toks, i, j, lower_words))
    return found


def _judge(text, toks, i: int, j: int, lower_words: set[str]) -> list[Found]:
    """Split a run at title words and judge each part."""
    after_title = i > 0 and toks[i - 1][2] in LOWER_TITLES
    # Drop a common first word at a sentence start.
    if _sentence_initial(text, toks[i][0]):
        first = toks[i][2]
        if j - i == 1 or first in STARTERS or first.lower() in lower_words:
            i += 1
            while i < j and not _capitalised(toks[i][2]):
                i += 1
    found: list[Found] = []
    part_start = i
    k = i
    while k <= j:
        if k == j or toks[k][2] in TITLES:
            if part_start < k:
                found.extend(_part(text, toks, part_start, k, lower_words, after_title))
            if k < j:
                after_title = True
                k += 1
                while k < j and not _capitalised(toks[k][2]):  # Secretary-General
                    k += 1
                while k < j and toks[k][2] in TITLES:
                    k += 1
                part_start = k
                continue
        k += 1
    return found


def _part(text, toks, i, j, lower_words, after_title: bool) -> list[Found]:
    while j > i and not toks[j - 1][2][:1].isalnum() and toks[j - 1][2] != ".":
        j -= 1
    words = [toks[k][2] for k in range(i, j) if toks[k][2].isalpha()]
    if not words:
        return []
    if len(words) == 1:
        word = words[0]
        if word in MONTHS or word in STARTERS or word.lower() in lower_words or len(word) < 2:
            return []
    if all(w in MONTHS for w in words):
        return []
    start, end = toks[i][0], toks[j - 1][1]
    after = toks[j][2] if j < len(toks) else ""
    if after == "," and j + 1 < len(toks):
        after = toks[j + 1][2]
    cue = "title" if after_title else "said" if after in SAID else "capitals"
    before = toks[i - 1][2] if i > 0 else ""
    if any(w in ORG_WORDS for w in words):
        guess = "organization"
    elif before == "the":
        guess = "organization" if cue == "said" else "place"
    elif cue in ("title", "said"):
        guess = "person"
    elif before in PLACE_PREPOSITIONS:
        guess = "place"
    elif 2 <= len(words) <= 3:
        guess = "person"
    else:
        guess = "thing"
    return [Found(start, end, " ".join(text[start:end].split()), guess, cue)]
