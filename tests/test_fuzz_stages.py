"""Fuzzing the text stages merged after the first hardening pass: note anchoring,
sentence splitting and cross-outlet alignment. Arbitrary text (control characters, RTL
marks, combining characters, emoji, CR/CRLF line ends, long lines) never raises.

Examples per property follow the Hypothesis profile in conftest.py (`ci` by default,
`HYPOTHESIS_PROFILE=long` for a campaign).
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from generator.anchoring import AMBIGUOUS, Selector, anchor
from generator.compare import compare
from generator.sentences import article_sentences, split_sentences

ALPHABET = st.characters(blacklist_categories=("Cs",))  # text, as files decode to
TRICKY = st.sampled_from(
    ["\u202e", "\u200f", "e\u0301", "\U0001f600", "\r\n", "\r", "\x00", "\x1b", "....",
     "U.S.", "Mr.", "42.7-metre", "“", "”", "’", '"', " - ", "\t"]
)  # fmt: skip
TEXT = st.lists(st.one_of(st.text(ALPHABET, max_size=40), TRICKY), max_size=30).map("".join)


@given(TEXT, TEXT, TEXT, TEXT)
def test_anchoring_never_raises_and_positions_are_in_the_text(text, exact, prefix, suffix):
    match = anchor(text, Selector(exact=exact, prefix=prefix, suffix=suffix))
    if match.anchored:
        assert 0 <= match.start <= match.end <= len(text)
    else:
        assert (match.start, match.end) == (-1, -1)


@given(TEXT)
def test_an_exact_passage_of_the_text_is_found(text):
    words = text.split()
    if len(words) < 3:
        return
    exact = " ".join(words[1:3])
    text = " ".join(words)
    match = anchor(text, Selector(exact=exact))
    # Found exactly, or refused as ambiguous when the pair repeats: never orphaned.
    assert match.anchored or match.status == AMBIGUOUS or text.count(exact) != 1, match


@given(TEXT)
def test_sentence_splitting_never_raises_and_loses_no_words(text):
    sentences = split_sentences(text)
    assert "".join("".join(s.split()) for s in sentences) == "".join(text.split())


@given(st.lists(st.lists(TEXT, max_size=6), min_size=2, max_size=4))
def test_alignment_of_any_outlets_never_raises(outlets):
    order = [f"a{n}" for n in range(len(outlets))]
    sentences = {
        article: article_sentences(article, list(enumerate(paragraphs, start=1)))
        for article, paragraphs in zip(order, outlets, strict=True)
    }
    comparison = compare("story", sentences, order)
    for unit in comparison.units:
        assert set(unit.articles) <= set(order)
