"""Story grouping (generator/grouping.py) and the stories stage, through real builds."""

from __future__ import annotations

import datetime as dt
import math
import shutil
from pathlib import Path
from unittest.mock import patch

from conftest import article, write
from hypothesis import example, given, settings
from hypothesis import strategies as st

from generator import grouping
from generator.grouping import JOIN_MIN, GroupInput, group, pair_scores
from generator.load import read_config
from generator.pipeline import build_site

REPO = Path(__file__).resolve().parent.parent
REUTERS = "reuters-putin-and-north-koreas-kim-discuss"
DAWN = "dawn-2023-09-14-russian-president-vladimir-putin"

SUMMIT_2019 = """\
North Korean leader Kim Jong Un and Russian President Vladimir Putin met for the first time
on Thursday in Vladivostok, where they discussed the stalled nuclear talks with the United
States.

Putin said Kim needed international security guarantees if he were to give up his nuclear
programme, and that Russia and China supported a return to the six-party talks.

Kim arrived by armoured train from Pyongyang on Wednesday and was greeted with a brass band.
He told Putin he hoped the summit would be a turning point for relations between North Korea
and Russia.

The two leaders held talks one-on-one for about two hours on Russky Island before their
delegations joined them, and then shared a lunch of borscht and crab.

Kim had met U.S. President Donald Trump in Hanoi in February, a summit that ended without
agreement. Putin said he would brief Washington and Beijing on the talks.
"""

GRAIN = """\
Russian President Vladimir Putin told Turkish President Tayyip Erdogan in a phone call on
Wednesday that Moscow was ready to return to the Black Sea grain deal once the West met its
demands on Russian agricultural exports.

Erdogan said Ankara would keep working with the United Nations to reopen the corridor for
Ukrainian grain, which Russia quit in July.

Wheat prices in Chicago fell after the call, traders said.
"""

FOOTBALL = """\
Manchester City beat Arsenal 2-1 on Wednesday evening to go top of the Premier League, with
Erling Haaland scoring twice in the second half.

Arsenal manager Mikel Arteta said his side had been unlucky with two disallowed goals.
"""


def _seeds(root: Path, dawn_meta: dict | None = None, reuters_meta: dict | None = None) -> None:
    shutil.copytree(
        REPO / "content" / "articles", root / "content" / "articles", dirs_exist_ok=True
    )
    for name, extra in ((DAWN, dawn_meta), (REUTERS, reuters_meta)):
        if extra:
            path = root / "content" / "articles" / f"{name}.md"
            text = path.read_text(encoding="utf-8")
            lines = "".join(f"{k}: {v}\n" for k, v in extra.items())
            path.write_text(text.replace("---\n", "---\n" + lines, 1), encoding="utf-8")


def _stories(root: Path):
    site, _outputs, _timings = build_site(read_config(root))
    return site, {s.id: set(s.articles) for s in site.stories}


def test_the_two_seeds_form_one_story(tmp_path):
    _seeds(tmp_path)
    site, stories = _stories(tmp_path)
    assert list(stories.values()) == [{REUTERS, DAWN}]
    story = site.stories[0]
    assert not story.explicit
    # Named after the article with an outlet headline, oldest first.
    assert (
        story.title
        == "Putin and North Korea's Kim discuss military matters, Ukraine war and satellites"
    )
    assert story.articles == (REUTERS, DAWN)


def test_a_2019_summit_and_unrelated_news_never_join(tmp_path):
    _seeds(tmp_path)
    articles = tmp_path / "content" / "articles"
    write(
        articles,
        "summit-2019.md",
        article("Putin and Kim meet in Vladivostok", "Wire", "2019-04-25", SUMMIT_2019),
    )
    write(
        articles,
        "grain.md",
        article("Putin tells Erdogan grain deal can return", "Wire", "2023-09-13", GRAIN),
    )
    write(articles, "football.md", article("City go top", "Sport Daily", "2023-09-13", FOOTBALL))
    _site, stories = _stories(tmp_path)
    assert list(stories.values()) == [{REUTERS, DAWN}]


def test_the_2019_summit_joins_nothing_even_beside_its_own_retelling(tmp_path):
    articles = tmp_path / "content" / "articles"
    write(
        articles,
        "a.md",
        article("Putin and Kim meet in Vladivostok", "Wire", "2019-04-25", SUMMIT_2019),
    )
    retold = SUMMIT_2019.replace("on Thursday", "on Thursday, April 25,")
    write(
        articles, "b.md", article("Kim and Putin hold first summit", "Post", "2019-04-26", retold)
    )
    _seeds(tmp_path)
    _site, stories = _stories(tmp_path)
    assert sorted(map(sorted, stories.values())) == [["a", "b"], sorted([DAWN, REUTERS])]


def test_explicit_story_wins_over_similarity(tmp_path):
    _seeds(tmp_path, dawn_meta={"story": "dawn-view"}, reuters_meta={"story": "reuters-view"})
    _site, stories = _stories(tmp_path)
    assert stories == {"dawn-view": {DAWN}, "reuters-view": {REUTERS}}


def test_explicit_story_groups_dissimilar_articles(tmp_path):
    articles = tmp_path / "content" / "articles"
    write(articles, "grain.md", article("Grain", "Wire", "2023-09-13", GRAIN, story="odd-pair"))
    write(
        articles, "football.md", article("City", "Sport", "2022-01-01", FOOTBALL, story="odd-pair")
    )
    _site, stories = _stories(tmp_path)
    assert stories == {"odd-pair": {"grain", "football"}}


def test_an_article_without_story_joins_the_explicit_story_it_matches(tmp_path):
    _seeds(tmp_path, reuters_meta={"story": "summit-2023"})
    _site, stories = _stories(tmp_path)
    assert stories == {"summit-2023": {REUTERS, DAWN}}


def test_story_file_gives_title_and_summary(tmp_path):
    _seeds(tmp_path, reuters_meta={"story": "summit-2023"})
    write(
        tmp_path,
        "content/stories/summit-2023.md",
        "---\ntitle: Putin and Kim at Vostochny\n---\n\nThe first summit since **2019**.\n",
    )
    write(tmp_path, "content/stories/nowhere.md", "---\ntitle: Lost\n---\n")
    site, _stories_found = _stories(tmp_path)
    story = site.stories[0]
    assert story.title == "Putin and Kim at Vostochny"
    assert "<strong>2019</strong>" in story.summary_html
    messages = [str(d) for d in site.diagnostics]
    assert any("nowhere.md" in m and "no articles belong to story 'nowhere'" in m for m in messages)


def _item(article_id: str, day: int, text: str) -> GroupInput:
    return GroupInput(article_id, dt.date(2023, 9, day), "", text)


def _two_stories_and_one_more() -> list[GroupInput]:
    return [
        _item("a", 13, SUMMIT_2019),
        _item("b", 14, SUMMIT_2019.replace("two hours", "three hours")),
        _item("c", 13, GRAIN),
        _item("d", 14, GRAIN.replace("July", "the summer")),
        _item("e", 13, FOOTBALL),
    ]


def test_articles_further_apart_than_the_window_are_never_candidates():
    text = SUMMIT_2019
    entities = {"a": frozenset({"putin", "kim"}), "b": frozenset({"putin", "kim"})}
    assert group([_item("a", 1, text), _item("b", 3, text)], entities)
    assert group([_item("a", 1, text), _item("b", 9, text)], entities) == {}


def test_grouping_does_not_depend_on_input_order():
    items = _two_stories_and_one_more()
    entities = {i.id: frozenset() for i in items}
    forward = group(items, entities)
    backward = group(list(reversed(items)), entities)
    assert forward == backward
    assert sorted(forward.values()) == [["a", "b"], ["c", "d"]]


_TEXTS = (SUMMIT_2019, GRAIN, FOOTBALL, SUMMIT_2019 + GRAIN, GRAIN.replace("July", "June"))


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.sampled_from(["", "", "x", "y"]), min_size=6, max_size=6),
    st.lists(
        st.lists(st.tuples(st.integers(0, 4), st.integers(13, 14)), min_size=6, max_size=6),
        min_size=1,
        max_size=4,
    ),
)
def test_groups_kept_between_builds_are_those_of_a_fresh_run(stories, builds):
    """Each build's groups with the memo `digest serve` keeps (edits to the texts and
    dates) equal a fresh run's, and a fresh run's equal the union of every ranked pair
    (the pairs of two articles with explicit stories, which `group` passes over, join
    nothing)."""
    memo: dict = {}
    for build in builds:
        items = [
            GroupInput(f"a{i}", dt.date(2023, 9, day), story, _TEXTS[text])
            for i, ((text, day), story) in enumerate(zip(build, stories, strict=True))
        ]
        found = {item.id: frozenset({"putin"}) for item in items}
        fresh = group(items, found)
        every_pair = [(a, b) for _score, a, b in pair_scores(items, found, {}, JOIN_MIN)]
        assert fresh == grouping._joined(items, every_pair)
        assert group(items, found, memo) == fresh


def test_scores_kept_between_builds_are_those_of_a_fresh_run():
    """`digest serve` keeps a grouping memo between builds: after each edit (text, date,
    entities), the scores must be exactly those of a run without it."""
    items = _two_stories_and_one_more()
    entities = {i.id: frozenset({"putin"}) for i in items[:4]}
    memo: dict = {}
    edits = [
        (items, entities),
        (items, entities),  # no change: the kept scores
        ([*items[:4], _item("e", 13, GRAIN)], entities),  # e now reads like c
        ([*items[:4], _item("e", 9, GRAIN)], entities),  # ... outside the window
        ([*items[:4], _item("e", 13, GRAIN)], {**entities, "e": frozenset({"putin"})}),
        (items[1:], entities),  # a removed
    ]
    for edited, found in edits:
        assert pair_scores(edited, found, memo) == pair_scores(edited, found)
    assert any(a == "c" and b == "e" for _s, a, b in pair_scores(*edits[2]))


def test_kept_features_follow_a_changed_entity_set_of_the_same_input():
    """The dev server keeps each article's features while its input is the very same
    object: an entity set that changes under the same input (an alias added to the
    registry makes an unchanged article mention someone) still changes the scores."""
    items = _two_stories_and_one_more()
    found = {i.id: frozenset({"putin"}) for i in items}
    memo: dict = {}
    assert pair_scores(items, found, memo) == pair_scores(items, found)
    for changed in ({**found, "e": frozenset({"kim", "erdogan"})}, {**found, "a": frozenset()}):
        assert pair_scores(items, changed, memo) == pair_scores(items, changed)
    assert pair_scores(items, changed, memo) != pair_scores(items, found)


def test_an_edit_keeps_the_pairs_found_through_another_articles_key():
    """t holds a feature that is o's blocking key but not one of t's own (t shares rarer
    ones with u): the pair (o, t) is found only through o's key. After an edit to t that
    touches nothing o holds, the pair must still be there."""
    long_text = SUMMIT_2019 + GRAIN
    items = [
        _item("u", 13, long_text),
        _item("t", 13, long_text + FOOTBALL),
        _item("o", 13, FOOTBALL),
        _item("w", 13, FOOTBALL),
    ]
    memo: dict = {}
    before = pair_scores(items, {}, memo)
    assert any((a, b) == ("o", "t") for _s, a, b in before)
    items[1] = _item("t", 13, long_text + FOOTBALL + " Rain delayed the second half by an hour.")
    assert pair_scores(items, {}, memo) == pair_scores(items, {})


def test_a_different_summit_with_the_same_people_does_not_join_even_in_the_same_week(tmp_path):
    # Dates alone keep the 2019 summit out; this checks the text and names do too.
    _seeds(tmp_path)
    articles = tmp_path / "content" / "articles"
    write(articles, "other.md", article("Putin and Kim meet", "Wire", "2023-09-12", SUMMIT_2019))
    _site, stories = _stories(tmp_path)
    assert list(stories.values()) == [{REUTERS, DAWN}]


def test_a_story_id_that_is_not_a_slug_is_normalised_with_a_warning(tmp_path):
    _seeds(tmp_path, reuters_meta={"story": "'Putin Kim Summit'"})
    site, stories = _stories(tmp_path)
    assert stories == {"putin-kim-summit": {REUTERS, DAWN}}
    assert any("write `story: putin-kim-summit`" in str(d) for d in site.diagnostics)


# Sentences of the three texts above: articles made of several share many features, more
# than an article's blocking keys, so some of the features they hold are only others' keys.
PHRASES = [
    p.strip() for text in (SUMMIT_2019, GRAIN, FOOTBALL) for p in text.split(".") if p.strip()
]


def _edit_lists(articles: int, longest: int, most: int, *more):
    """Lists of edits: (article number, the phrases of its new text, its entities, *more)."""
    return st.lists(
        st.tuples(
            st.integers(0, articles - 1),
            st.lists(st.sampled_from(PHRASES), min_size=1, max_size=longest),
            st.frozensets(st.sampled_from(["putin", "kim", "erdogan"])),
            *more,
        ),
        max_size=most,
    )


_MET = PHRASES[0]  # a found case: the same sums in another order differed in the last bit


@settings(max_examples=60, deadline=None)
@given(_edit_lists(6, 10, 8))
@example(
    [(0, [_MET], frozenset({"putin", "kim", "erdogan"}))] * 2
    + [(2, [_MET], frozenset()), (1, [_MET], frozenset({"kim"}))]
)
def test_scores_updated_after_edits_equal_a_fresh_scoring(edits):
    texts = {f"a{n}": ". ".join(PHRASES[n : n + 10]) for n in range(6)}
    found = {f"a{n}": frozenset({"putin"}) for n in range(6)}
    memo: dict = {}

    def items():
        return [_item(a, 13 + int(a[1:]) % 3, text) for a, text in sorted(texts.items())]

    def check():  # every ranking the memo keeps (all pairs, and above two minimums)
        for minimum in (-math.inf, 0.3, JOIN_MIN):
            fresh = pair_scores(items(), found, None, minimum)
            assert pair_scores(items(), found, memo, minimum) == fresh
            assert all(score >= minimum for score, _a, _b in fresh)
        _same_pairs_as_fresh(memo, items(), found)

    check()
    for n, phrases, ids in edits:
        texts[f"a{n}"], found[f"a{n}"] = " ".join(phrases), ids
        check()


def test_stories_kept_between_builds_follow_each_edit(tmp_path):
    """The dev server's kept grouping inputs and comparison inputs: after each edit the
    stories and comparisons equal those of a build without them. The third article is
    in lower case, so it has no capitalised names (the stand-in entities): its text
    alone decides whether it joins."""
    from generator.incremental import Memory
    from generator.pipeline import link_site

    _seeds(tmp_path)
    articles = tmp_path / "content" / "articles"
    memory = Memory()

    def check(body: str, source="Wire", date="2023-09-13", derived=False) -> set:
        extra = {"title_derived": "true"} if derived else {}  # ingest made the title up
        write(articles, "other.md", article("wire report", source, date, body.lower(), **extra))
        return _groups_kept_as_fresh(tmp_path, memory)

    assert check(GRAIN) == {frozenset({REUTERS, DAWN})}
    # The third article now tells the same story: it joins.
    text = (articles / f"{REUTERS}.md").read_text(encoding="utf-8").split("---\n", 2)[2]
    assert check(text) == {frozenset({REUTERS, DAWN, "other"})}
    # A paragraph only one outlet has: the same story, another comparison.
    assert check(text + FOOTBALL) == {frozenset({REUTERS, DAWN, "other"})}
    # Another outlet name: the same groups, the articles in another order.
    assert check(text + FOOTBALL, source="AAA Wire") == {frozenset({REUTERS, DAWN, "other"})}
    # A story file titles the story: the same groups, another title.
    (site, *_rest) = link_site(read_config(tmp_path), memory=memory)
    write(tmp_path / "content" / "stories", f"{site.stories[0].id}.md", "---\ntitle: Titled\n---\n")
    assert check(text + FOOTBALL, source="AAA Wire") == {frozenset({REUTERS, DAWN, "other"})}
    # Other dates, then a title ingest made up: the same groups, the articles in another
    # order or another one's title for the story (the earliest leads, unless made up).
    for date, derived in (("2023-09-15", False), ("2023-09-12", False), ("2023-09-12", True)):
        groups = check(text + FOOTBALL, "AAA Wire", date, derived)
        assert groups == {frozenset({REUTERS, DAWN, "other"})}
    # ... and it leaves again.
    assert check(GRAIN) == {frozenset({REUTERS, DAWN})}


def test_a_story_an_unchanged_article_joins_is_compared_again(bundled):
    """With registered entities, unchanged articles keep their entity sets, sentences
    and comparison inputs between the dev server's builds. An article edited into the
    bundled story (and out again) changes the story, not the inputs of its other
    articles (it adds no quote): its comparison must still be made again."""
    from generator.incremental import Memory

    articles = bundled / "content" / "articles"
    reuters = (articles / f"{REUTERS}.md").read_text(encoding="utf-8").split("---\n", 2)[2]
    # Its paragraphs without a quote: its quotes (all articles' rows) stay as they were.
    unquoted = "\n\n".join(
        p for p in reuters.split("\n\n") if not any(c in p for c in '"“”') and " said" not in p
    )
    memory = Memory()

    def check(body: str) -> set:
        write(articles, "wire.md", article("Wire report", "Wire", "2023-09-13", body))
        return _groups_kept_as_fresh(bundled, memory)

    assert check(FOOTBALL) == {frozenset({REUTERS, DAWN})}
    assert check(unquoted) == {frozenset({REUTERS, DAWN, "wire"})}
    assert check(FOOTBALL) == {frozenset({REUTERS, DAWN})}


def _groups_kept_as_fresh(root: Path, memory) -> set[frozenset[str]]:
    """A build with the dev server's `memory` has the stories and comparisons of a build
    without it; its groups of articles."""
    from generator.pipeline import link_site

    kept, _renderer, _timings = link_site(read_config(root), memory=memory)
    fresh, _renderer, _timings = link_site(read_config(root))
    assert kept.stories == fresh.stories
    assert kept.comparisons == fresh.comparisons
    return {frozenset(s.articles) for s in kept.stories}


@settings(max_examples=40, deadline=None)
@given(_edit_lists(48, 6, 6, st.booleans()))  # True: only a sentence of its own added
def test_updates_near_in_time_equal_a_fresh_scoring(edits):
    """48 articles over 8 weeks, several a day: an edit to one article rescores only the
    articles within two date windows of it, and words only it has search no others.
    With a key crowded at 2 articles in a window (200 in the digest), crowded windows
    near the edited article are judged as in a fresh scoring too."""
    with patch.object(grouping, "CROWDED", 2):
        _edit_and_compare(edits)


def _edit_and_compare(edits) -> None:
    texts = {f"a{n:02}": ". ".join(PHRASES[n % 9 : n % 9 + 4]) for n in range(48)}
    found = {f"a{n:02}": frozenset({"putin"} if n % 3 else {"kim"}) for n in range(48)}
    memo: dict = {}

    def items():
        return [
            GroupInput(a, dt.date(2023, 9, 1) + dt.timedelta(days=int(a[1:]) * 7 // 6), "", t)
            for a, t in sorted(texts.items())
        ]

    def check():
        for minimum in (-math.inf, JOIN_MIN):
            assert pair_scores(items(), found, memo, minimum) == pair_scores(
                items(), found, None, minimum
            )
        _same_pairs_as_fresh(memo, items(), found)

    check()
    for number, (n, phrases, ids, own_sentence) in enumerate(edits):
        a = f"a{n:02}"
        if own_sentence:
            texts[a] += f" Correction {number} by the desk of article {a} at noon today."
        else:
            texts[a], found[a] = " ".join(phrases), ids
        check()


def _same_pairs_as_fresh(memo: dict, items, found) -> None:
    """The kept scoring's candidate pairs and scores are a fresh scoring's: the rankings
    above are cached by minimum, so a stale pair would show only at a new minimum."""
    fresh: dict = {}
    pair_scores(items, found, fresh)
    assert memo["scoring"].pairs == fresh["scoring"].pairs
