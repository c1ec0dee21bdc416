"""Alignment, differences and discrepancies (generator/compare.py, generator/diffs.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.compare import compare
from generator.diffs import word_diff
from generator.load import read_config
from generator.pipeline import build_site
from generator.sentences import article_sentences

REPO = Path(__file__).resolve().parent.parent
REUTERS = "reuters-putin-and-north-koreas-kim-discuss"
DAWN = "dawn-2023-09-14-russian-president-vladimir-putin"


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    """The bundled digest's one story and its comparison, built by the real pipeline."""
    root = tmp_path_factory.mktemp("seeds")
    shutil.copytree(REPO / "content", root / "content")  # the bundled articles, no story:
    site, _outputs, _timings = build_site(read_config(root))
    assert len(site.stories) == 1
    return site.comparisons[site.stories[0].id]


def find(comparison, reuters: str, dawn: str):
    """The discrepancy whose Reuters text has `reuters` and Dawn text has `dawn`."""
    for d in comparison.discrepancies:
        if reuters in d.texts.get(REUTERS, "") and dawn in d.texts.get(DAWN, ""):
            return d
    shown = [(d.kind, d.texts) for d in comparison.discrepancies]
    raise AssertionError(f"no discrepancy {reuters!r} / {dawn!r} in {shown}")


@pytest.mark.parametrize(
    ("reuters", "dawn", "kind"),
    [
        ("several hours", "two hours", "number"),
        ("could provide", "would provide", "modality"),
        ("stuffed with Kamchatka crab", "made with Kamchatka crab", None),
        ("victory for Moscow", "victory for Russia", "actor"),
        ("wish lists for technology", "wish lists of technology", None),
        ("the secretive state's satellite programme", "a satellite programme", None),
        (
            "The Kremlin said sensitive discussions between neighbours were a private matter",
            "the Kremlin said neighbours discuss sensitive issues which are not for discussing",
            "paraphrase",
        ),
    ],
)
def test_seed_discrepancies(seeds, reuters, dawn, kind):
    d = find(seeds, reuters, dawn)
    if kind is not None:
        assert d.kind == kind


def test_discrepancies_are_ordered_by_kind_with_numbers_first(seeds):
    assert seeds.discrepancies[0].kind == "number"


def test_typography_alone_is_no_difference(seeds):
    # "U.S." / "US" and curly / straight quotes: the only discrepancy is could/would.
    unit = next(u for u in seeds.units if "expended vast stocks" in u.parts[0].text)
    assert unit.kind == "variant"
    kinds = [d.kind for d in seeds.discrepancies if d.unit == unit.index]
    assert kinds == ["modality"]
    folk = next(u for u in seeds.units if "folk wisdom" in u.parts[0].text)
    assert folk.kind == "same" and len(folk.parts) == 2


def test_reordered_paragraphs_are_aligned(seeds):
    # Dawn moves the "comrades" paragraph before the delegation paragraph; Reuters does not.
    for needle in ("comrades", "Munitions Industry Department", "good clothes"):
        unit = next(u for u in seeds.units if needle in u.parts[0].text)
        assert unit.articles == (REUTERS, DAWN), needle


def test_one_sentence_against_two_joins_one_unit(seeds):
    unit = next(u for u in seeds.units if "Shoigu" in u.parts[0].text)
    reuters = unit.part(REUTERS)
    assert reuters is not None and len(reuters.sentences) == 2
    assert "private matter" in reuters.text


def test_only_in_reuters_and_only_in_dawn(seeds):
    only = {o.article: o for o in seeds.only}
    reuters_names = " | ".join(e.label for e in only[REUTERS].entities)
    # Registered entities are labelled by their registry names (KCNA, Britain).
    for name in (
        "Miller", "Guterres", "Budanov", "Lavrov", "Korean Central News Agency",
        "United Kingdom", "China",
    ):  # fmt: skip
        assert name in reuters_names
    dawn_names = " | ".join(e.label for e in only[DAWN].entities)
    for name in ("Putin", "Kim", "Shoigu", "Moscow", "Russia"):
        assert name not in reuters_names.split(" | ")
        assert name not in dawn_names.split(" | ")
    units = {u.index: u for u in seeds.units}
    reuters_only = " ".join(units[i].parts[0].text for i in only[REUTERS].units)
    for text in ("ballistic missiles", "Guterres", "Britain urged", "KCNA", "Budanov"):
        assert text in reuters_only
    dawn_only = " ".join(units[i].parts[0].text for i in only[DAWN].units)
    assert "interview with state television" in dawn_only
    assert "I firmly believe" in dawn_only
    assert "ballistic" not in dawn_only
    reuters_quotes = " ".join(q.label for q in only[REUTERS].quotes)
    assert "sanction entities" in reuters_quotes and "Any form of cooperation" in reuters_quotes
    dawn_quotes = " ".join(q.label for q in only[DAWN].quotes)
    assert "certain limitations" in dawn_quotes and "I firmly believe" in dawn_quotes
    assert "folk wisdom" not in reuters_quotes + dawn_quotes


def _sentences(article_id: str, paragraphs: list[str]):
    return article_sentences(article_id, list(enumerate(paragraphs, start=1)))


BASE = [
    "The council met on Monday and approved the budget after five hours of debate. "
    "The mayor said the plan would cut waiting lists.",
    "Opposition members walked out before the vote. They called it a disgrace.",
    "The budget includes 40 new buses for the northern districts.",
]


def three_outlets():
    a = _sentences("a", BASE)
    b = _sentences(
        "b",
        [
            # reordered, reworded: numbers and modality changed
            "The budget includes 45 new buses for the northern districts.",
            "The council met on Monday and approved the budget after several hours of debate. "
            "The mayor said the plan could cut waiting lists.",
            "Opposition members walked out before the vote.",
        ],
    )
    c = _sentences(
        "c",
        [
            "Opposition members walked out before the vote. They called it a disgrace.",
            "The council met on Monday and approved the budget after five hours of debate. "
            "The mayor said the plan would cut waiting lists.",
            "Police closed the square during the meeting.",
        ],
    )
    return {"a": a, "b": b, "c": c}


def test_three_outlet_story_from_variants():
    comparison = compare("council", three_outlets(), ["a", "b", "c"])
    debate = next(u for u in comparison.units if "hours of debate" in u.parts[0].text)
    assert debate.articles == ("a", "b", "c")
    assert debate.kind == "variant"
    number = [d for d in comparison.discrepancies if d.kind == "number" and d.unit == debate.index]
    assert number and "five hours" in number[0].texts["a"]
    assert "several hours" in number[0].texts["b"]
    modal = next(d for d in comparison.discrepancies if d.kind == "modality")
    assert "would cut" in modal.texts["a"] and "could cut" in modal.texts["b"]
    buses = next(u for u in comparison.units if "buses" in u.parts[0].text)
    assert buses.articles == ("a", "b")
    assert any(
        d.kind == "number" and "45 new buses" in d.texts["b"] for d in comparison.discrepancies
    )
    walkout = next(u for u in comparison.units if "walked out" in u.parts[0].text)
    assert walkout.kind == "same" and walkout.articles == ("a", "b", "c")
    disgrace = next(u for u in comparison.units if "disgrace" in u.parts[0].text)
    assert disgrace.articles == ("a", "c") and disgrace.kind == "same"
    police = next(u for u in comparison.units if "Police" in u.parts[0].text)
    assert police.kind == "only" and police.articles == ("c",)
    only = {o.article: o for o in comparison.only}
    assert only["c"].units == (police.index,)
    assert only["a"].units == ()
    assert comparison.stats == {"same": 2, "variant": 3, "only": 1}


def test_alignment_does_not_depend_on_outlet_order():
    texts = three_outlets()
    forward = compare("x", texts, ["a", "b", "c"])
    backward = compare("x", texts, ["c", "b", "a"])

    def groups(comparison):
        return sorted(
            tuple(sorted((p.article, p.sentences) for p in u.parts)) for u in comparison.units
        )

    assert groups(forward) == groups(backward)


def test_given_entities_and_quotes_replace_the_stand_ins():
    texts = three_outlets()
    comparison = compare(
        "x",
        texts,
        ["a", "b", "c"],
        entities_by_article={
            "a": frozenset({"q1"}),
            "b": frozenset({"q1", "q2"}),
            "c": frozenset(),
        },
        entity_names={"q1": "The Council", "q2": "The Mayor"},
        quotes_by_article={"a": ["a disgrace"], "b": [], "c": ["a disgrace", "never again"]},
    )
    only = {o.article: o for o in comparison.only}
    assert [e.label for e in only["b"].entities] == ["The Mayor"]
    assert [q.label for q in only["c"].quotes] == ["never again"]
    rows = {e.label: e.articles for e in comparison.entities}
    assert rows["The Council"] == {"a", "b"}


def test_word_diff_slices_rebuild_both_texts():
    a = "U.S. officials said Kim could provide weapons, analysts said."
    b = "US officials said on Tuesday that Kim would provide arms."
    ops, ratio = word_diff(a, b)
    assert "".join(op.a for op in ops) == a
    assert "".join(op.b for op in ops) == b
    assert 0 < ratio < 1
    assert ops[0].tag == "equal"  # U.S. == US
