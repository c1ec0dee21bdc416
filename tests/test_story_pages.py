"""Story pages, the stories index, article links and data/stories.json, from real builds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import Page, page

from generator.config import with_overrides
from generator.load import read_config
from generator.pipeline import build

REPO = Path(__file__).resolve().parent.parent
REUTERS = "reuters-putin-and-north-koreas-kim-discuss"
DAWN = "dawn-2023-09-14-russian-president-vladimir-putin"


def _stories(site: Path) -> list[dict]:
    return json.loads((site / "data" / "stories.json").read_text(encoding="utf-8"))


def _story_page(site: Path) -> tuple[dict, Page, str]:
    story = _stories(site)[0]
    rel = f"stories/{story['id']}/index.html"
    return story, page(site, rel), (site / rel).read_text(encoding="utf-8")


def test_stories_json_shape(bundled_site):
    stories = _stories(bundled_site)
    assert len(stories) == 1
    story = stories[0]
    assert {"id", "title", "url", "articles", "units", "discrepancies"} <= set(story)
    assert story["url"] == f"/stories/{story['id']}/"
    assert story["articles"] == [REUTERS, DAWN]
    kinds = {u["kind"] for u in story["units"]}
    assert kinds == {"same", "variant", "only"}
    for unit in story["units"]:
        assert set(unit["texts"]) <= {REUTERS, DAWN} and unit["texts"]
        assert (unit["kind"] == "only") == (len(unit["texts"]) == 1)
    hours = [d for d in story["discrepancies"] if "several hours" in d["texts"].get(REUTERS, "")]
    assert hours and hours[0]["kind"] == "number" and "two hours" in hours[0]["texts"][DAWN]


def test_story_page_puts_discrepancies_first(bundled_site):
    _story, doc, html = _story_page(bundled_site)
    # The title comes from the bundled content/stories/ file.
    assert "Putin and Kim meet at the Vostochny Cosmodrome" in doc.title
    assert "Editor's notes" in doc.text
    differ = html.index('id="discrepancies-title"')
    coverage = html.index('id="coverage-title"')
    passages = html.index('id="comparison-title"')
    assert differ < coverage < passages
    text = doc.text
    for needle in (
        "several hours",
        "two hours",
        "could provide",
        "would provide",
        "private matter",
    ):
        assert needle in text
    # The outlets with their dates, linked to their articles.
    assert f"/articles/{REUTERS}/" in doc.links and f"/articles/{DAWN}/" in doc.links
    assert "13 September 2023" in text and "14 September 2023" in text


def test_story_page_coverage_matrix_and_only_in(bundled_site):
    _story, doc, html = _story_page(bundled_site)
    captions = [c for c in ("Names mentioned, by outlet", "Quotations carried, by outlet")]
    for caption in captions:
        assert caption in doc.text
    assert "Only in Reuters" in doc.text and "Only in Dawn" in doc.text
    only_reuters = html[html.index("Only in Reuters") : html.index("Only in Dawn")]
    for name in ("Miller", "Guterres", "Budanov", "Lavrov", "KCNA", "Britain", "China"):
        assert name in only_reuters
    assert doc.find_all("th", scope="row")


def test_story_page_rows_side_by_side_with_similarity_and_inline_diff(bundled_site):
    story, doc, html = _story_page(bundled_site)
    units = story["units"]
    for unit in units:
        assert f"u-{unit['index']}" in doc.ids
    meters = doc.find_all("meter")
    assert len(meters) == sum(1 for u in units if u["kind"] != "only")
    assert all(0 <= float(m["value"]) <= 1 for m in meters)
    details = doc.find_all("details")
    assert len(details) == sum(1 for u in units if u["kind"] == "variant")
    assert "<del>" in html and "<ins>" in html and "<mark>" in html
    # One column per outlet on wide screens; complete without JavaScript.
    cells = [
        a for t, a in doc.elements if t == "div" and a.get("class", "").split()[:1] == ["cell"]
    ]
    assert len(cells) == len(units) * 2
    # Complete without JavaScript: the only scripts are deferred enhancements.
    assert all("defer" in s and s.get("src") for s in doc.find_all("script"))
    # Every discrepancy links to its row.
    for link in (a for a in doc.links if a.startswith("#u-")):
        assert link[1:] in doc.ids


def test_article_pages_link_to_story_and_sibling_passages(bundled_site):
    story = _stories(bundled_site)[0]
    pages = {aid: page(bundled_site, f"articles/{aid}/index.html") for aid in (REUTERS, DAWN)}
    for aid, doc in pages.items():
        assert story["url"] in doc.links
        other = DAWN if aid == REUTERS else REUTERS
        sibling_links = [a for a in doc.links if a.startswith(f"/articles/{other}/#p-")]
        assert sibling_links, aid
        for link in sibling_links:  # every sibling passage link lands on a paragraph
            assert link.split("#")[1] in pages[other].ids
        story_rows = [a for a in doc.links if a.startswith(story["url"] + "#u-")]
        assert story_rows
    # Reuters' paragraph on the "several hours" talks points at Dawn's "two hours" one.
    reuters_unit = next(u for u in story["units"] if "several hours" in u["texts"].get(REUTERS, ""))
    dawn_paragraph = reuters_unit["paragraphs"][DAWN][0]
    assert f"/articles/{DAWN}/#p-{dawn_paragraph}" in pages[REUTERS].links


def test_home_and_stories_index_list_the_story(bundled_site):
    story = _stories(bundled_site)[0]
    home = page(bundled_site, "index.html")
    index = page(bundled_site, "stories/index.html")
    assert story["url"] in home.links and story["url"] in index.links
    assert "/stories/" in home.links  # the navigation


def test_story_pages_work_under_a_sub_path(tmp_path):
    root = tmp_path / "proj"
    shutil.copytree(REPO / "content", root / "content")
    config = with_overrides(read_config(root), base_url="https://example.org/repo/")
    build(config)
    site = root / "site"
    story = _stories(site)[0]
    assert story["url"].startswith("/repo/stories/")
    doc = page(site, f"stories/{story['id']}/index.html")
    internal = [a for a in doc.links if not a.startswith(("#", "http"))]
    assert internal and all(a.startswith("/repo/") for a in internal)
    article = page(site, f"articles/{REUTERS}/index.html")
    assert story["url"] in article.links


def test_three_outlet_story_page(tmp_path):
    root = tmp_path / "proj"
    shutil.copytree(REPO / "content", root / "content")
    reuters = (root / "content" / "articles" / f"{REUTERS}.md").read_text(encoding="utf-8")
    third = (
        reuters.replace("source: Reuters", "source: Wire Three")
        .replace("for several hours", "for three hours")
        .replace("title: Putin and North Korea's Kim", "title: Kim and Putin")
    )
    (root / "content" / "articles" / "wire-three.md").write_text(third, encoding="utf-8")
    build(read_config(root))
    site = root / "site"
    story, doc, _html = _story_page(site)
    assert len(story["articles"]) == 3
    hours = next(d for d in story["discrepancies"] if "several hours" in d["texts"][REUTERS])
    assert "two hours" in hours["texts"][DAWN] and "three hours" in hours["texts"]["wire-three"]
    cells = [
        a for t, a in doc.elements if t == "div" and a.get("class", "").split()[:1] == ["cell"]
    ]
    assert len(cells) == 3 * len(story["units"])
    assert "Wire Three" in doc.text
