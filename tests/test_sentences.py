"""Sentence splitting, normalisation and stand-in names (generator/sentences.py)."""

from __future__ import annotations

import pytest

from generator.sentences import (
    capitalised_names,
    content_stems,
    fold,
    quoted_spans,
    split_sentences,
    tokens,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "U.S. and South Korean officials have expressed concern. Moscow denied it.",
            ["U.S. and South Korean officials have expressed concern.", "Moscow denied it."],
        ),
        (
            "It would violate U.N. Security Council resolutions. U.N. Secretary-General "
            "Antonio Guterres spoke.",
            [
                "It would violate U.N. Security Council resolutions.",
                "U.N. Secretary-General Antonio Guterres spoke.",
            ],
        ),
        ("Mr. Smith met Dr. Jones. They talked.", ["Mr. Smith met Dr. Jones.", "They talked."]),
        (
            "The Angara, Russia's new 42.7-metre space launch rocket, is assembled. Kim looked.",
            [
                "The Angara, Russia's new 42.7-metre space launch rocket, is assembled.",
                "Kim looked.",
            ],
        ),
        ("He paused.... Then he left.", ["He paused....", "Then he left."]),
        (
            "“There are certain limitations.... Within the framework of existing rules, there "
            "are possibilities,” he said in an interview.",
            [
                "“There are certain limitations.... Within the framework of existing rules, "
                "there are possibilities,” he said in an interview."
            ],
        ),
        (
            'Putin said: "That\'s why we came here." Washington warned.',
            ['Putin said: "That\'s why we came here."', "Washington warned."],
        ),
        (
            "Putin said: *“That’s why we came here.”* Washington warned.",
            ["Putin said: *“That’s why we came here.”*", "Washington warned."],
        ),
        ("Aid from the U.S. The talks ended.", ["Aid from the U.S.", "The talks ended."]),
        ("Is it over? Yes! It is.", ["Is it over?", "Yes!", "It is."]),
        ("Director Jo C. Ryong attended.", ["Director Jo C. Ryong attended."]),
        ("", []),
    ],
)
def test_split_sentences(text, expected):
    assert split_sentences(text) == expected


def test_quotation_with_two_sentences_stays_one_unit():
    text = (
        '"In Korea, there is a proverb: old friends are best friends. And our people say: '
        'an old friend is better than two new ones," Putin told Kim. "This folk wisdom applies."'
    )
    parts = split_sentences(text)
    assert len(parts) == 2
    assert parts[0].endswith("Putin told Kim.")


def test_unbalanced_quotes_do_not_swallow_the_paragraph():
    parts = split_sentences('He said "it is over. They left. Nobody stayed.')
    assert len(parts) == 3


def test_fold_normalises_typography_only():
    assert fold("U.S. officials’ “view” — now") == fold('US officials\' "view" - now')
    assert fold("could provide") != fold("would provide")


def test_tokens_keep_numbers_initialisms_and_hyphenated_words():
    words = [w.text for w in tokens("U.S. rocket, 42.7-metre long, one-on-one; state's")]
    assert words == ["U.S.", "rocket", "42.7-metre", "long", "one-on-one", "state's"]
    assert tokens("U.S.")[0].norm == tokens("US")[0].norm == "us"


def test_content_stems_ignore_stopwords_and_meet_across_forms():
    assert content_stems("the discussions") == content_stems("discuss")
    assert "the" not in content_stems("the Kremlin said")


def test_capitalised_names_skip_common_sentence_starters():
    names = capitalised_names(
        [
            "Britain urged North Korea to end arms talks.",
            "Ahead of his meeting with Putin, Kim signed the book.",
            "U.N. Secretary-General Antonio Guterres signalled Moscow had to tread carefully.",
            "After the tour, the talks went on after lunch on Wednesday.",
        ]
    )
    labels = set(names.values())
    assert {"Britain", "North Korea", "Putin", "Kim", "Moscow"} <= labels
    assert "U.N. Secretary-General Antonio Guterres" in labels
    assert not labels & {"Ahead", "After", "Wednesday"}


def test_quoted_spans_need_four_words():
    text = 'He called it "troubling" and said: "We will not hesitate to act," adding “fine”.'
    assert quoted_spans(text) == ["We will not hesitate to act,"]
