"""`digest note new`: writes a note that anchors where asked, never overwrites, clear errors."""

from __future__ import annotations

import json

from conftest import article, page, run_cli, write

from generator.cli import main
from generator.frontmatter import split


def note_new(root, *args: str) -> int:
    return main(["note", "new", "--root", str(root), *args])


BODY = """\
Putin said the talks went well.

Later, Putin said nothing more. In the end, Putin said nothing more either.
"""


def project_with_article(project):
    write(project, "content/articles/summit.md", article(title="Summit", body=BODY))
    return project


def test_round_trip_of_a_repeated_passage(project, capsys):
    project_with_article(project)
    code = note_new(project, "summit", "Putin said nothing more", "--occurrence", "2")
    out = capsys.readouterr()
    assert code == 0
    path = project / out.out.strip()
    assert path == project / "content/notes/putin-said-nothing-more.md"
    assert "occurs 2 times" in out.err
    meta, _, body, _ = split(path.read_text("utf-8"))
    assert meta["target"] == "summit" and meta["anchor"] == "Putin said nothing more"
    assert meta["prefix"] == "In the end," and "suffix" not in meta
    assert body.strip()
    path.write_text(path.read_text("utf-8").replace(body.strip(), "Checked."), "utf-8")
    assert run_cli(project, "build", "--strict") == 0
    html = (project / "site/articles/summit/index.html").read_text("utf-8")
    assert 'In the end, <mark class="note-mark">Putin said nothing more</mark>' in html
    data = json.loads((project / "site/data/notes.json").read_text())
    assert data[0]["anchored"] and data[0]["exact"] == "Putin said nothing more"


def test_unique_passage_gets_no_context_and_a_second_note_a_new_id(project, capsys):
    project_with_article(project)
    assert note_new(project, "summit", "the talks  went well", "--date", "2023-09-14") == 0
    first = project / capsys.readouterr().out.strip()
    meta, *_ = split(first.read_text("utf-8"))
    assert meta == {
        "target": "summit",
        "anchor": "the talks went well",
        "date": __import__("datetime").date(2023, 9, 14),
    }
    original = first.read_bytes()
    assert note_new(project, "summit", "the talks went well") == 0
    second = project / capsys.readouterr().out.strip()
    assert second.name == "the-talks-went-well-2.md" and first.read_bytes() == original
    # An explicit id that exists is refused; nothing is overwritten.
    assert note_new(project, "summit", "went well", "--id", "the-talks-went-well") == 1
    assert "exists" in capsys.readouterr().err and first.read_bytes() == original
    assert run_cli(project, "build") == 0
    assert len(page(project / "site", "notes/index.html").find_all("article")) == 2


def test_unknown_article_or_passage_is_a_clear_error(project, capsys):
    project_with_article(project)
    assert note_new(project, "nope", "Putin said") == 1
    err = capsys.readouterr().err
    assert "nope: no such article; the articles are: summit" in err and "Traceback" not in err
    assert note_new(project, "summit", "Kim said") == 1
    assert "the passage is not in the article" in capsys.readouterr().err
    assert note_new(project, "summit", "Putin sayd the talks went well") == 1
    assert "did you mean “Putin said the talks went well”" in capsys.readouterr().err
    assert not (project / "content/notes").exists()
