"""The anchoring rules on plain text: exact, disambiguated, fuzzy, orphaned, ambiguous."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.anchoring import (
    AMBIGUOUS,
    EXACT,
    ORPHANED,
    REANCHORED,
    Selector,
    anchor,
    fold,
    levenshtein,
    myers_distances,
)

TEXT = (
    "After the tour, Putin, 70, and Kim, 39, held talks for several hours with their "
    "ministers and then discussed world affairs one-on-one.\n"
    "Putin said the talks went well. Later, Putin said nothing more about the talks."
)


def span(match):
    return TEXT[match.start : match.end]


def test_exact_passage_is_found_with_positions_in_the_original_text():
    match = anchor(TEXT, Selector("held talks for several hours"))
    assert match.status == EXACT
    assert span(match) == "held talks for several hours"


def test_whitespace_line_breaks_and_quote_style_do_not_matter():
    text = "He said: “That’s why we\ncame here.” Then he left."
    match = anchor(text, Selector('"That\'s why we came  here."'))
    assert match.status == EXACT
    assert text[match.start : match.end] == "“That’s why we\ncame here.”"


def test_several_occurrences_without_context_are_ambiguous():
    match = anchor(TEXT, Selector("Putin said"))
    assert match.status == AMBIGUOUS
    assert match.places == 2


def test_prefix_or_suffix_picks_one_occurrence():
    by_prefix = anchor(TEXT, Selector("Putin said", prefix="Later,"))
    assert by_prefix.status == EXACT
    assert TEXT[by_prefix.start - 7 : by_prefix.start] == "Later, "
    by_suffix = anchor(TEXT, Selector("Putin said", suffix="the talks went"))
    assert by_suffix.status == EXACT
    assert by_suffix.start < by_prefix.start


def test_context_that_still_matches_several_places_is_ambiguous():
    match = anchor(TEXT, Selector("the talks", prefix="about"))
    assert match.status == EXACT  # only one "about the talks"
    match = anchor("a b x c. a b x d.", Selector("x", prefix="a b"))
    assert match.status == AMBIGUOUS


def test_small_edit_in_a_long_passage_is_reanchored():
    edited = TEXT.replace("with their ministers", "with the ministers")
    match = anchor(edited, Selector("held talks for several hours with their ministers"))
    assert match.status == REANCHORED
    assert edited[match.start : match.end] == "held talks for several hours with the ministers"
    assert 0.9 <= match.similarity < 1.0
    assert "similar" in match.reason


def test_changed_passage_below_the_threshold_is_orphaned():
    edited = TEXT.replace("several hours", "two hours")
    match = anchor(edited, Selector("held talks for several hours"))
    assert match.status == ORPHANED
    assert match.start == -1


def test_short_passage_is_never_matched_approximately():
    match = anchor("They met for two hour.", Selector("two hours"))
    assert match.status == ORPHANED


def test_a_lookalike_in_other_surroundings_is_not_used():
    # The note was about "two hours" after "held talks for"; that passage was edited away
    # and "two hours" now occurs only somewhere else.
    text = "They held talks for several hours. The train stopped for two hours in Khasan."
    match = anchor(text, Selector("two hours", prefix="held talks for"))
    assert match.status == ORPHANED
    assert "other surroundings" in match.reason


def test_unchanged_passage_with_slightly_changed_surroundings_is_reanchored():
    text = TEXT.replace("Putin, 70, and Kim, 39,", "Putin, 71, and Kim, 40,")
    match = anchor(text, Selector("held talks for", prefix="Putin, 70, and Kim, 39,"))
    assert match.status == REANCHORED
    assert "around the passage" in match.reason


def test_two_equally_good_approximate_places_orphan_the_note():
    text = "The envoy flew to Moscow on Monday. The envoy flew to Moscow on Sunday."
    match = anchor(text, Selector("The envoy flew to Moscow on Friday."))
    assert match.status == ORPHANED
    assert match.places == 2


def test_fold_maps_back_to_the_original():
    folded = fold("  a \n\n b’c ")
    assert folded.text == "a b'c"
    assert folded.span(2, 5) == (7, 10)  # "b’c"


@settings(max_examples=200, deadline=None)
@given(st.text("abc ", min_size=1, max_size=8), st.text("abc ", max_size=20))
def test_myers_matches_brute_force(pattern, text):
    expected = [
        min(levenshtein(pattern, text[i : j + 1]) for i in range(j + 2)) for j in range(len(text))
    ]
    assert myers_distances(pattern, text) == expected
