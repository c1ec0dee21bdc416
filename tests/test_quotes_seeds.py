"""The issue's expected quotes for both seed articles, and the built quote pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.frontmatter import split
from generator.quotes import extract_markdown
from tests.conftest import REPO, Page, page

REUTERS = "reuters-putin-and-north-koreas-kim-discuss"
DAWN = "dawn-2023-09-14-russian-president-vladimir-putin"
KIM, PUTIN = "Kim Jong Un", "Vladimir Putin"

SHARED = [
    ("The Russian army and people will certainly win", "full", KIM),
    ("That’s why we came here.", "full", PUTIN),
    ("In Korea, there is a proverb", "full", PUTIN),
    ("This folk wisdom is fully applicable", "full", PUTIN),
    ("The glory to Russia, which gave birth", "full", KIM),
    ("great Russia", "partial", KIM),
    ("sacred fight", "partial", KIM),
    ("great interest in rocket engineering", "partial", PUTIN),
]
EXPECTED = {
    REUTERS: [
        *SHARED,
        ("We have taken a number of actions", "full", "Matthew Miller"),
        ("Any form of cooperation", "full", "Antonio Guterres"),
        ("It was already a month and a half ago", "full", "Kyrylo Budanov"),
        ("troubling", "partial", "Matthew Miller"),
        ("extremely relevant", "partial", "Antonio Guterres"),
        ("begging", "partial", "Washington"),
    ],
    DAWN: [
        *SHARED,
        ("There are certain limitations....", "full", PUTIN),
        ("I firmly believe that the heroic Russian army", "full", KIM),
        ("possibilities", "partial", PUTIN),
    ],
}


def fold(text: str) -> str:
    return text.replace("’", "'")


def article_quotes(article_id: str):
    text = (REPO / "content" / "articles" / f"{article_id}.md").read_text(encoding="utf-8")
    return extract_markdown(split(text)[2])


def find(found, prefix):
    hits = [q for q in found if fold(q.text).startswith(fold(prefix))]
    assert len(hits) == 1, (prefix, hits)
    return hits[0]


@pytest.mark.parametrize("article_id", [REUTERS, DAWN])
def test_every_expected_quote_kind_and_speaker(article_id):
    found = [q for q in article_quotes(article_id) if q.is_quote]
    for prefix, kind, speaker in EXPECTED[article_id]:
        quote = find(found, prefix)
        assert (quote.kind, quote.speaker_name) == (kind, speaker), prefix
    # nothing else is a quote
    assert len(found) == len(EXPECTED[article_id])


def test_how_the_harder_ones_were_attributed():
    reuters = article_quotes(REUTERS)
    assert find(reuters, "It was already").rule == "pronoun"  # "he said"
    assert find(reuters, "This folk wisdom").rule == "continuation"
    assert find(reuters, "The glory to Russia").rule == "before"  # visitor book
    assert find(reuters, "troubling").rule == "pronoun"  # "He called it"
    dawn = article_quotes(DAWN)
    assert find(dawn, "There are certain").rule == "pronoun"
    assert find(dawn, "This folk wisdom").rule == "continuation"  # its own paragraph


@pytest.mark.parametrize("article_id", [REUTERS, DAWN])
def test_terms_and_headings_are_not_quotes(article_id):
    found = article_quotes(article_id)
    terms = {q.text.lower(): q.kind for q in found if not q.is_quote}
    assert terms == {"pelmeni": "term", "comrades": "term"}
    assert not any(q.text.lower() == "comrades" for q in found if q.is_quote)


def test_multi_sentence_quote_keeps_the_ellipsis():
    quote = find(article_quotes(DAWN), "There are certain limitations")
    assert "limitations.... Within the framework" in quote.text


# The built site ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def quotes_json(bundled_site: Path) -> list[dict]:
    return json.loads((bundled_site / "data" / "quotes.json").read_text(encoding="utf-8"))


def by_text(quotes_json, prefix):
    hits = [q for q in quotes_json if fold(q["text"]).startswith(fold(prefix))]
    assert len(hits) == 1, prefix
    return hits[0]


def test_quotes_json_fields(quotes_json):
    assert quotes_json
    for quote in quotes_json:
        assert {"id", "text", "kind", "speaker", "speaker_name", "appearances"} <= set(quote)
        assert quote["kind"] in ("full", "partial")
        assert (quote["speaker"] is None) == (quote["speaker_name"] is None)
        for a in quote["appearances"]:
            assert {"article", "source", "paragraph", "text"} <= set(a)
            assert isinstance(a["paragraph"], int) and a["paragraph"] >= 1
    # "Washington" is an alias of the United States in the registry.
    assert by_text(quotes_json, "begging")["speaker"] == "united-states"
    assert by_text(quotes_json, "It was already")["speaker"] == "kyrylo-budanov"


@pytest.mark.parametrize(("prefix", "kind", "speaker"), SHARED)
def test_shared_quotes_have_two_appearances(quotes_json, prefix, kind, speaker):
    quote = by_text(quotes_json, prefix)
    assert quote["speaker_name"] == speaker
    assert quote["kind"] == kind
    assert sorted(a["source"] for a in quote["appearances"]) == ["Dawn", "Reuters"]


def test_only_one_outlet_quotes(quotes_json):
    assert [a["source"] for a in by_text(quotes_json, "possibilities")["appearances"]] == ["Dawn"]
    assert [a["source"] for a in by_text(quotes_json, "begging")["appearances"]] == ["Reuters"]
    assert len(quotes_json) == len({p for p, _, _ in EXPECTED[REUTERS] + EXPECTED[DAWN]})


def test_article_page_marks_quotes_with_anchor_and_speaker(bundled_site, quotes_json):
    html = (bundled_site / "articles" / REUTERS / "index.html").read_text(encoding="utf-8")
    doc = Page(html)
    marked = doc.find_all("q")
    assert len(marked) == len(EXPECTED[REUTERS])
    assert all(q["id"].startswith("quote-") for q in marked)
    assert {q.get("title") for q in marked} >= {KIM, PUTIN, "Kyrylo Budanov"}
    # every appearance's anchor exists in its article
    for quote in quotes_json:
        for a in quote["appearances"]:
            if a["article"] == REUTERS:
                assert a["anchor"] in doc.ids
    assert "<q" not in html.split("pelmeni")[0][-40:]  # the term is not marked


def test_quotes_page_groups_by_speaker_and_links_outlets(bundled_site, quotes_json):
    doc = page(bundled_site, "quotes/index.html")
    headings = [a.get("id") for t, a in doc.elements if t == "h2"]
    assert "speaker-kim-jong-un" in headings and "speaker-vladimir-putin" in headings
    for quote in quotes_json:
        assert quote["id"] in doc.ids
        for a in quote["appearances"]:
            assert f"/articles/{a['article']}/#{a['anchor']}" in doc.links
    assert "/quotes/outlets/reuters/" in doc.links and "/quotes/outlets/dawn/" in doc.links


def test_outlet_filter_pages_list_only_that_outlet(bundled_site):
    reuters = page(bundled_site, "quotes/outlets/reuters/index.html")
    dawn = page(bundled_site, "quotes/outlets/dawn/index.html")
    assert "begging" in reuters.text and "begging" not in dawn.text
    assert "possibilities" in dawn.text and "possibilities" not in reuters.text
    assert "That's why we came here." in reuters.text


def test_each_quote_carried_by_several_articles_has_a_page(bundled_site, quotes_json):
    shared = [q for q in quotes_json if len(q["appearances"]) > 1]
    single = [q for q in quotes_json if len(q["appearances"]) == 1]
    assert shared and single
    for quote in single:  # its place is the passage itself (and its anchor in quotes/)
        assert not (bundled_site / "quotes" / quote["id"]).exists()
        first = quote["appearances"][0]
        assert quote["url"] == f"/articles/{first['article']}/#{first['anchor']}"
    for quote in shared:
        assert quote["url"] == f"/quotes/{quote['id']}/"
        doc = page(bundled_site, f"quotes/{quote['id']}/index.html")
        assert fold(quote["text"]) in fold(doc.text)
        assert len([link for link in doc.links if "/articles/" in link]) == len(
            quote["appearances"]
        )
