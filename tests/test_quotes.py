"""Quote extraction and attribution on short made-up sentences, one pattern at a time."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.quotes import extract_markdown


def quotes(text: str) -> list:
    return [q for q in extract_markdown(text) if q.is_quote]


def only(text: str):
    found = quotes(text)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        # "Q," X said - with the title stripped
        ('"We will rebuild the bridge," Mayor Anna Kowalski said.', "Anna Kowalski"),
        ('"We will rebuild," city council spokeswoman Ines Moreau said on Friday.', "Ines Moreau"),
        # "Q," said X
        ('"The talks were useful," said Foreign Minister Jean Dupont.', "Jean Dupont"),
        # X said: "Q"
        ('Chancellor Maria Lindqvist said: "We are ready to help."', "Maria Lindqvist"),
        ('After the vote, Tom Baker said: "Nothing has been decided."', "Tom Baker"),
        # X told Y
        ('"Prices will fall next year," Priya Raman told the committee.', "Priya Raman"),
        ('Priya Raman told the committee: "Prices will fall."', "Priya Raman"),
        # X added
        ('"It is not over," Ali Hassan added, smiling.', "Ali Hassan"),
        # according to X
        ('"The deal is dead," according to Senator Rosa Diaz.', "Rosa Diaz"),
        # appositive: X, a description, said
        ('"We are watching," Lars Berg, a navy spokesman, said.', "Lars Berg"),
        ('"We are watching," the head of the navy, Lars Berg, said.', "Lars Berg"),
        # writing counts as speech
        ('Ana Lopes wrote in the guest book: "Thank you for everything."', "Ana Lopes"),
        (
            'Before leaving, Ana Lopes signed the register in Spanish: "Long live peace."',
            "Ana Lopes",
        ),
        # organisations and places speak too
        ('"The report is false," the Kremlin said.', "Kremlin"),
        ('"We reject the claims," Beijing said in a statement.', "Beijing"),
        # straight and curly, double and single marks; quotes inside emphasis
        ("“We will win,” Ana Lopes said.", "Ana Lopes"),
        ("‘We will win,’ Ana Lopes said.", "Ana Lopes"),
        ("'We won't stop,' Ana Lopes said.", "Ana Lopes"),
        ('Ana Lopes said: *"We will win."*', "Ana Lopes"),
        ('*"We will win,"* Ana Lopes said.', "Ana Lopes"),
        # the comma outside the marks (British style)
        ('"We will win", Ana Lopes said.', "Ana Lopes"),
        # an adverb between speaker and verb
        ('"We will win," Ana Lopes later told reporters.', "Ana Lopes"),
        # abbreviated titles; a description after the name
        (
            '"It is a disaster," Dr. Emily Chen, an epidemiologist at a university, said.',
            "Emily Chen",
        ),
        ("“There will be no peace,” Ms. Ana Lopes insisted.", "Ana Lopes"),
        ('"We will not back down," said Jane Smith, the company\'s chief executive.', "Jane Smith"),
        # other speech verbs and writing on social media
        ('Asked whether he would resign, Tom Baker replied: "Absolutely not."', "Tom Baker"),
        ('Ana Lopes wrote on social media: "The vote was rigged!"', "Ana Lopes"),
    ],
)
def test_speaker_patterns(text, speaker):
    quote = only(text)
    assert quote.kind == "full"
    assert quote.speaker_name == speaker


def test_surname_resolves_to_the_full_name_given_earlier():
    text = 'Prime Minister Lena Ortiz arrived in Oslo. "We came to listen," Ortiz said.'
    assert only(text).speaker_name == "Lena Ortiz"


def test_family_name_first_resolves_too():
    text = 'President Lee Min Ho arrived. "Peace matters," Lee said.'
    assert only(text).speaker_name == "Lee Min Ho"


def test_pronoun_resolves_to_the_most_recent_person():
    text = (
        "Environment Minister Clara Stein met Mayor Paul Weber.\n\n"
        'Weber left early. Stein visited the dam. "The water is rising," she said.'
    )
    quote = only(text)
    assert (quote.speaker_name, quote.rule) == ("Clara Stein", "pronoun")


def test_pronoun_skips_places_and_organisations():
    text = (
        "Aid director Omar Farouk spoke to Radio Free Europe about North Korea. "
        '"We need more trucks," he said.'
    )
    assert only(text).speaker_name == "Omar Farouk"


def test_pronoun_it_is_an_organisation():
    text = 'The Defence Ministry issued a statement. "No troops crossed," it said.'
    assert only(text).speaker_name == "Defence Ministry"


def test_continuation_paragraph_is_the_same_speakers():
    text = '"The first thing," Jane Roe said.\n\n"The second thing."'
    found = quotes(text)
    assert [q.speaker_name for q in found] == ["Jane Roe", "Jane Roe"]
    assert found[1].rule == "continuation"


def test_continuation_in_the_same_paragraph_and_interrupted_quotes():
    found = quotes('"One," Jane Roe said. "Two." "Three," she said, "and four."')
    assert [q.speaker_name for q in found] == ["Jane Roe"] * 4


def test_partial_quotes_take_the_speaker_of_their_sentence():
    cases = {
        'Senator Bo Chen called the plan "a disaster" for farmers.': "Bo Chen",
        'Beijing warned it would respond, and said the move was "reckless".': "Beijing",
        'The minister, Ana Lopes, told reporters it was "a good day" for all.': "Ana Lopes",
        'Ana Lopes arrived late, calling the delay "regrettable".': "Ana Lopes",
        'The result was "a shock to everyone", Ana Lopes said.': "Ana Lopes",
    }
    for text, speaker in cases.items():
        quote = only(text)
        assert (quote.kind, quote.speaker_name) == ("partial", speaker), text


def test_participle_after_a_told_clause_keeps_the_speaker():
    text = (
        '"This is a historic day," President Joe Biden told a news conference on Tuesday, '
        'adding: "We will not forget."'
    )
    assert [q.speaker_name for q in quotes(text)] == ["Joe Biden", "Joe Biden"]


def test_partial_with_a_pronoun():
    text = 'Governor Kay Ito spoke next. She called it "unacceptable" that funds were late.'
    quote = only(text)
    assert (quote.kind, quote.speaker_name) == ("partial", "Kay Ito")


@pytest.mark.parametrize(
    "text",
    [
        # nobody decidable: these stay unattributed, never a guess
        '"We will see," he said.',
        'The ship reached North Korea. "It was calm," he said.',
        '"Prices will rise," analysts said.',
        '"It will pass," a government spokesman said.',
        'In a statement, the ministry said: "All troops have returned."',
        '"We agree," Ana Lopes and Ben Okri said.',
        'The hall was quiet. "Nobody came."',
        '"The first thing," Jane Roe said. The meeting ended.\n\n"The second thing."',
        '"The first thing," Jane Roe said.\n\n## Later\n\n"The second thing."',
    ],
)
def test_stays_unattributed(text):
    last = quotes(text)[-1]
    assert last.speaker_name is None, last
    assert last.kind == "full"


@pytest.mark.parametrize(
    "text",
    [
        'They ate "borscht" soup after the talks.',
        'The rivals called each other "brothers" at dinner.',
        'The so-called "peace plan" was dropped.',
        'They stayed in a village known as "Little Paris" for a week.',
        'He was dubbed "the bulldozer" by the press.',
        "## 'Brothers'\n\nText.",
        '## "HOPE"\n\nText.',
        "## ‘Comrades’\n\nText.",
    ],
)
def test_terms_and_headings_are_not_quotes(text):
    assert quotes(text) == []


def test_apostrophes_are_not_quote_marks():
    text = (
        "Putin's aide said the U.S. won't change course; the countries' leaders met. "
        "Russia’s plan is Kim’s, and rock 'n' roll is from the '50s."
    )
    assert extract_markdown(text) == []


def test_multi_sentence_quote_with_an_ellipsis_is_one_quote():
    text = '"We tried.... It did not work. We will try again," Ana Lopes said.'
    quote = only(text)
    assert quote.text == "We tried.... It did not work. We will try again,"
    assert quote.speaker_name == "Ana Lopes"


def test_quote_across_a_paragraph_break():
    text = 'Ana Lopes said: "The first part.\n\n"The second part," she added.'
    quote = only(text)
    assert quote.text == "The first part. The second part,"
    assert quote.speaker_name == "Ana Lopes"
    assert len(quote.pieces) == 2
    assert quote.paragraph == 1


def test_an_unclosed_mark_is_not_a_quote():
    assert quotes('He measured 12" and said: "We will\n\nnot go.') == []


def test_speech_verbs_are_lowercase_words():
    # "State" in "State Department" is not the verb "state".
    text = '"No comment," U.S. State Department spokesman Ned Price said.'
    assert only(text).speaker_name == "Ned Price"


def _abbreviation_by_search(text: str, i: int) -> bool:
    """The rule as it was first written (a search over the whole text before `i`)."""
    import re

    from generator.quote_sentences import ABBREVIATIONS

    word = re.search(r"(\S+)$", text[: i + 1])
    if not word:
        return False
    w = word.group(1).strip("([\"'“‘")
    if re.fullmatch(r"(?:[A-Za-z]\.){2,}", w) or re.fullmatch(r"[A-Z]\.", w):
        return True
    return w[:-1].lower() in ABBREVIATIONS


@given(
    st.lists(
        st.sampled_from(
            [
                "U.S.",
                "Gen.",
                "gen.",
                "J.",
                "a.",
                "(Dr.",
                "“Mr.",
                "etc.",
                "word.",
                "x",
                ".",
                " ",
                "\n",
                "\u00a0",
                "\u2003",
                "Kim",
                "said.",
                "A.B.C.",
                "ab.",
                "(",
                "“",
            ]
        ),
        max_size=30,
    )
)
def test_abbreviations_are_found_as_before_without_searching_the_whole_text(parts):
    from generator.quote_sentences import _abbreviation

    text = "".join(parts)
    if not text:
        return
    for i in range(len(text)):
        if text[i] == ".":  # what split_sentences asks about
            assert _abbreviation(text, i) == _abbreviation_by_search(text, i), (text, i)
