"""Editor notes in real builds: anchoring, rendering, diagnostics, pages and data files."""

from __future__ import annotations

import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import REPO, Page, article, page, run_cli, write

from generator.errors import DigestError
from generator.ingest import ingest
from generator.load import read_config
from generator.notes import from_documents, resolve_target
from generator.notes_pages import target_notes_view
from generator.pipeline import build
from generator.render import Renderer

BODY = """\
North Korean leader Kim Jong Un and Russian President Vladimir Putin met for a rare summit.

After the tour, Putin, 70, and Kim, 39, held talks for **several hours** with their
ministers and then discussed [world affairs](https://example.org/) one-on-one.

Putin said the talks went well. Later, Putin said nothing more about the talks.

## Comrades

The head of Ukraine's military intelligence said that **North Korea had already been
supplying Russia** with weapons *for more than a month.*
"""


def note(target="summit", anchor=None, body="A note.", **fields) -> str:
    lines = ["---", f"target: {target}"]
    if anchor is not None:
        lines.append(f"anchor: {json.dumps(anchor)}")
    lines += [f"{k}: {json.dumps(v) if isinstance(v, str) else v}" for k, v in fields.items()]
    return "\n".join([*lines, "---", "", body, ""])


@pytest.fixture
def summit(project: Path) -> Path:
    write(project, "content/articles/summit.md", article(title="Summit", body=BODY))
    return project


def built(root: Path):
    result = build(read_config(root))
    return result, root / "site"


def summit_page(site: Path) -> str:
    return (site / "articles/summit/index.html").read_text("utf-8")


class Marks(HTMLParser):
    """Text inside <mark>s, markers, and a check that every element closes in order."""

    VOID = frozenset({"meta", "link", "br", "img", "hr", "input"})

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.marked: list[str] = []
        self.bad: list[str] = []
        self.in_mark = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        if tag == "mark" and self.in_mark:
            self.bad.append("mark inside mark")
        if tag == "a" and "a" in self.stack:
            self.bad.append("link inside link")
        if tag == "mark":
            self.in_mark += 1
            self.marked.append("")
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.bad.append(f"</{tag}> closes {self.stack[-1:]}")
            return
        self.stack.pop()
        if tag == "mark":
            self.in_mark -= 1

    def handle_data(self, data):
        if self.in_mark:
            self.marked[-1] += data


def test_exact_note_is_marked_numbered_and_linked_both_ways(summit):
    write(summit, "content/notes/hours.md", note(anchor="with their ministers", body="Dawn: two."))
    result, site = built(summit)
    assert result.diagnostics == []
    html = summit_page(site)
    doc = Page(html)
    assert Marks(html).marked == ["with their\nministers"]
    assert "#note-hours" in doc.links and "#ref-note-hours" in doc.links
    assert {"note-hours", "ref-note-hours"} <= doc.ids
    marker = doc.find_all("a", href="#note-hours")[0]
    assert marker["aria-label"] == "Editor's note 1"
    aside = doc.find_all("aside", id="note-hours")[0]
    assert aside["role"] == "note" and aside["aria-labelledby"] == "note-hours-label"
    assert "Dawn: two." in doc.text
    # The note follows the paragraph it belongs to, inside the sidenote group.
    assert html.index('id="ref-note-hours"') < html.index('<aside class="note" id="note-hours"')
    assert html.index('<div class="noted">') < html.index('id="p-2"')


def test_passage_across_bold_link_and_emphasis_is_split_into_valid_marks(summit):
    write(
        summit,
        "content/notes/cross.md",
        note(anchor="held talks for several hours with their ministers and then discussed world"),
    )
    write(
        summit,
        "content/notes/budanov.md",
        note(anchor="North Korea had already been supplying Russia with weapons for more"),
    )
    result, site = built(summit)
    assert result.diagnostics == []
    html = summit_page(site)
    marks = Marks(html)
    assert marks.bad == []
    assert marks.marked[:4] == [
        "held talks for ",
        "several hours",
        " with their\nministers and then discussed ",
        "world",
    ]
    assert (
        "".join(marks.marked[4:])
        == "North Korea had already been\nsupplying Russia with weapons for more"
    )
    # A passage ending inside a link gets its marker after the link, never inside it.
    assert '<mark class="note-mark">world</mark> affairs</a><sup class="note-ref">' in html


def test_prefix_disambiguates_between_occurrences(summit):
    write(summit, "content/notes/later.md", note(anchor="Putin said", prefix="Later,"))
    result, site = built(summit)
    assert result.diagnostics == []
    html = summit_page(site)
    assert 'Later, <mark class="note-mark">Putin said</mark><sup' in html
    assert html.count('class="note-mark"') == 1


def test_ambiguous_passage_is_an_error_with_file_and_line(summit, capsys):
    write(summit, "content/notes/twice.md", note(anchor="Putin said"))
    with pytest.raises(DigestError) as caught:
        build(read_config(summit))
    [problem] = caught.value.diagnostics
    assert (problem.path, problem.line) == ("content/notes/twice.md", 3)
    assert "occurs 2 times" in problem.message and "prefix" in problem.message
    assert run_cli(summit, "build") == 1
    assert "content/notes/twice.md:3: the passage “Putin said” occurs 2 times" in (
        capsys.readouterr().err
    )


def test_edited_passage_is_reanchored_with_a_warning(summit):
    write(
        summit,
        "content/notes/fuzzy.md",
        note(anchor="and then discussed the world affairs one-on-one"),
    )
    result, site = built(summit)
    [problem] = result.diagnostics
    assert problem.level == "warning" and problem.path == "content/notes/fuzzy.md"
    assert "re-anchored" in problem.message and "similar" in problem.message
    assert "".join(Marks(summit_page(site)).marked) == "and then discussed world affairs one-on-one"
    data = json.loads((site / "data/notes.json").read_text())
    assert data[0]["status"] == "reanchored"
    assert data[0]["exact"] == "and then discussed world affairs one-on-one"


def test_orphaned_note_is_kept_listed_and_warned_about(summit, capsys):
    write(summit, "content/notes/gone.md", note(anchor="held talks for two hours", body="Gone."))
    result, site = built(summit)
    [problem] = result.diagnostics
    assert (problem.level, problem.path, problem.line) == ("warning", "content/notes/gone.md", 3)
    assert "Notes whose passage is gone" in problem.message
    doc = page(site, "articles/summit/index.html")
    assert "Notes whose passage is gone" in doc.text
    assert "held talks for two hours" in doc.text and "Gone." in doc.text
    assert "note-gone" in doc.ids and not Marks(summit_page(site)).marked
    data = json.loads((site / "data/notes.json").read_text())
    assert data == [
        {
            "id": "gone",
            "target": "summit",
            "target_type": "article",
            "anchored": False,
            "status": "orphaned",
            "exact": "held talks for two hours",
            "url": "/articles/summit/#note-gone",
            "date": None,
            "author": None,
        }
    ]
    assert run_cli(summit, "build", "--strict") == 1
    assert "content/notes/gone.md:3: warning:" in capsys.readouterr().err


def test_note_front_matter_errors(summit):
    write(summit, "content/notes/nowhere.md", note(target="no-such-article", anchor="Putin"))
    write(summit, "content/notes/bare.md", note(target="summit"))
    with pytest.raises(DigestError) as caught:
        build(read_config(summit))
    messages = {d.path: d.message for d in caught.value.diagnostics}
    assert "there is no article 'no-such-article'" in messages["content/notes/nowhere.md"]
    assert "needs `anchor:`" in messages["content/notes/bare.md"]


def test_unknown_entity_is_a_warning_and_plain_text(summit):
    write(
        summit,
        "content/notes/who.md",
        note(anchor="met for a rare summit", body="See [[Kim Jong Un]]\nand [[Moscow|the city]]."),
    )
    result, site = built(summit)
    assert [(d.path, d.line) for d in result.diagnostics] == [
        ("content/notes/who.md", 6),
        ("content/notes/who.md", 7),
    ]
    assert all("unknown entity" in d.message for d in result.diagnostics)
    doc = page(site, "articles/summit/index.html")
    assert "Kim Jong Un and the city." in doc.text and "[[" not in doc.text


def test_entity_names_resolve_through_the_resolver(summit):
    documents = [
        _doc(summit, "a.md", note(target="entity:kim-jong-un", body="[[Kim]] met [[Putin]]."))
    ]
    names = {"Kim": ("kim-jong-un", "Kim Jong Un")}
    config = read_config(summit)
    notes, problems = from_documents(config, documents, _ids(), names.get)
    assert '<a href="/entities/kim-jong-un/" class="entity">Kim Jong Un</a> met Putin.' in (
        notes[0].body_html
    )
    assert [d.message.split(":")[0] for d in problems] == ["unknown entity '[[Putin]]'"]


def _doc(root, name, text):
    from generator.load import load_document

    path = write(root, f"content/notes/{name}", text)
    return load_document(path, "notes", root)


def _ids(entities=None, stories=None):
    return {"article": {"summit"}, "entity": entities, "story": stories}


def test_targets_of_each_kind():
    assert resolve_target("summit", True, _ids()) == ("article", "summit")
    assert resolve_target("entity:kim", False, _ids()) == ("entity", "kim")
    assert resolve_target("kim", False, _ids({"kim"})) == ("entity", "kim")
    assert resolve_target("s1", False, _ids(set(), {"s1"})) == ("story", "s1")
    assert "no entity 'kim'" in resolve_target("entity:kim", False, _ids(set()))
    assert "both" in resolve_target("x", False, _ids({"x"}, {"x"}))
    assert "article notes only" in resolve_target("entity:kim", True, _ids())
    assert "entity:ID" in resolve_target("kim", False, _ids())


def test_notes_on_entities_render_through_the_partial(summit):
    write(summit, "content/notes/on-kim.md", note(target="entity:kim-jong-un", body="About Kim."))
    write(summit, "content/entities/kim-jong-un.md", "---\nname: Kim Jong Un\ntype: person\n---\n")
    result, site = built(summit)
    assert result.diagnostics == []
    renderer = Renderer(read_config(summit))
    views = target_notes_view(result.site, "entity", "kim-jong-un", renderer.urls)
    html = renderer.env.get_template("partials/notes-section.html").render(notes=views)
    doc = Page(html)
    assert doc.find_all("aside", id="note-on-kim", role="note")
    assert "Editor's notes" in doc.text and "About Kim." in doc.text
    data = json.loads((site / "data/notes.json").read_text())
    assert data[0]["url"] == "/entities/kim-jong-un/#note-on-kim"


def test_notes_page_lists_notes_newest_first(summit):
    write(summit, "content/notes/old.md", note(anchor="rare summit", date="2023-09-13"))
    write(summit, "content/notes/new.md", note(anchor="Comrades", date="2023-09-15"))
    write(summit, "content/notes/undated.md", note(anchor="went well"))
    result, site = built(summit)
    assert result.diagnostics == []
    doc = page(site, "notes/index.html")
    entries = [a["id"] for a in doc.find_all("article")]
    assert entries == ["note-new", "note-old", "note-undated"]
    assert "/articles/summit/#note-new" in doc.links
    assert "/notes/" in page(site, "index.html").links


def test_site_under_a_sub_path(summit):
    write(summit, "digest.yaml", "base_url: https://example.org/repo/\n")
    write(summit, "content/notes/n.md", note(anchor="rare summit"))
    _, site = built(summit)
    assert "/repo/articles/summit/#note-n" in page(site, "notes/index.html").links
    jsonld = json.loads((site / "data/annotations.jsonld").read_text())
    target = jsonld["first"]["items"][0]["target"]
    assert target["source"] == "https://example.org/repo/articles/summit/"


def check_annotation(item: dict) -> None:
    """The W3C Web Annotation Data Model's MUSTs for what we produce."""
    assert isinstance(item["id"], str) and item["id"]
    assert item["type"] == "Annotation"
    assert item["motivation"] in ("commenting", "editing", "describing")
    body = item["body"]
    assert body["type"] == "TextualBody" and isinstance(body["value"], str)
    assert body["format"] == "text/html"
    if "created" in item:
        assert item["created"].endswith("Z") and "T" in item["created"]
    target = item["target"]
    if isinstance(target, str):
        return
    assert isinstance(target["source"], str) and target["source"]
    selectors = target["selector"]
    selectors = selectors if isinstance(selectors, list) else [selectors]
    for selector in selectors:
        if selector["type"] == "TextQuoteSelector":
            assert isinstance(selector["exact"], str) and selector["exact"]
            assert set(selector) <= {"type", "exact", "prefix", "suffix"}
        else:
            assert selector["type"] == "TextPositionSelector"
            assert 0 <= selector["start"] < selector["end"]
            assert set(selector) == {"type", "start", "end"}


def test_annotations_follow_the_w3c_model(summit):
    write(summit, "content/notes/a.md", note(anchor="with their ministers", date="2023-09-14"))
    write(summit, "content/notes/b.md", note(anchor="gone passage of text"))
    write(summit, "content/notes/c.md", note(target="story:summit-2023", author="Ed"))
    _, site = built(summit)
    data = json.loads((site / "data/annotations.jsonld").read_text())
    assert data["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert data["type"] == "AnnotationCollection" and data["total"] == 3
    assert data["first"]["type"] == "AnnotationPage"
    items = data["first"]["items"]
    for item in items:
        check_annotation(item)
    by_id = {i["id"].rsplit("#", 1)[1]: i for i in items}
    quote, position = by_id["note-a"]["target"]["selector"]
    assert quote["exact"] == "with their\nministers"
    assert quote["prefix"].endswith("several hours ") and quote["suffix"].startswith(" and then")
    assert by_id["note-a"]["created"] == "2023-09-14T00:00:00Z"
    assert position["end"] - position["start"] == len(quote["exact"])
    assert by_id["note-b"]["target"]["selector"] == {
        "type": "TextQuoteSelector",
        "exact": "gone passage of text",
    }
    assert by_id["note-c"]["target"] == "/stories/summit-2023/"
    assert by_id["note-c"]["creator"] == {"type": "Person", "name": "Ed"}


def test_positions_index_the_rendered_text(summit):
    from generator.notes_new import article_text

    write(summit, "content/notes/a.md", note(anchor="supplying Russia with weapons"))
    _, site = built(summit)
    item = json.loads((site / "data/annotations.jsonld").read_text())["first"]["items"][0]
    quote, position = item["target"]["selector"]
    text = article_text(read_config(summit), BODY)
    assert text[position["start"] : position["end"]] == quote["exact"]


# The bundled digest ------------------------------------------------------------------


def test_bundled_notes_are_all_anchored(bundled_site):
    data = json.loads((bundled_site / "data/notes.json").read_text())
    assert len(data) >= 3
    assert all(n["anchored"] for n in data if n["target_type"] == "article")
    assert {n["target_type"] for n in data} == {"article", "story"}
    ids = {n["id"] for n in data}
    assert {"talks-duration", "budanov-claim", "security-council-split"} <= ids
    html = bundled_site / "articles/reuters-putin-and-north-koreas-kim-discuss/index.html"
    doc = Page(html.read_text("utf-8"))
    assert len(doc.find_all("aside", role="note")) == 3
    assert Marks(html.read_text("utf-8")).bad == []


def test_reingesting_the_seeds_keeps_every_note_anchored(bundled):
    config = read_config(bundled)
    before = {n["id"]: n["exact"] for n in _notes_after_build(bundled) if n["anchored"]}
    assert {"talks-duration", "budanov-claim", "security-council-split"} <= set(before)
    # An editor changed an article by hand; re-ingest with --force restores the seed text.
    path = next((bundled / "content/articles").glob("reuters-*.md"))
    path.write_text(path.read_text("utf-8").replace("several hours", "a few hours"), "utf-8")
    edited = {n["id"]: n for n in _notes_after_build(bundled)}
    assert not edited["talks-duration"]["anchored"]  # orphaned, not lost
    result = ingest([config.seeds_path], config.content_path / "articles", force=True)
    assert path in result.written and result.backups
    assert {n["id"]: n["exact"] for n in _notes_after_build(bundled) if n["anchored"]} == before
    # From scratch: no articles at all, ingest every seed again.
    shutil.rmtree(bundled / "content/articles")
    ingest([config.seeds_path], config.content_path / "articles")
    assert {n["id"]: n["exact"] for n in _notes_after_build(bundled) if n["anchored"]} == before


def _notes_after_build(root: Path) -> list[dict]:
    build(read_config(root))
    return json.loads((root / "site/data/notes.json").read_text())


def test_margin_and_inline_layout_in_the_stylesheet():
    css = (REPO / "themes/default/static/style.css").read_text("utf-8")
    notes_css = css[css.index("/* Editor notes") :]
    # Narrow screens: notes are ordinary blocks after their paragraph (never hidden).
    assert "display: none" not in notes_css.split("@media")[0]
    assert ".note-margin {" in notes_css.split("@media")[0]
    # Wide screens: a two-column grid puts the notes in the margin beside the paragraph.
    wide = notes_css[notes_css.index("@media (min-width:") :]
    assert ".noted {" in wide and "grid-template-columns" in wide
    assert ".noted > .note-margin { grid-column: 2;" in wide
    assert ".note:target" in notes_css
