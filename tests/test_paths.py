"""Paths: slugs and ids cannot leave their folder; symlinks cannot pull files in from
outside the project; symlink loops end."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import article, write

from generator.cli import main
from generator.errors import DigestError
from generator.ingest import plaintext, render_article
from generator.paths import unsafe_output_path
from generator.urls import Urls, output_file
from generator.writer import SiteWriter


def files_outside(tmp_path: Path, project: Path) -> list[Path]:
    """Every file under tmp_path that is not in the project's own folders."""
    allowed = [project / d for d in ("content", "site", "overrides", ".digest-cache")]
    return [
        p
        for p in tmp_path.rglob("*")
        if p.is_file() and not any(p.is_relative_to(a) for a in allowed)
    ]


BAD_SLUGS = {
    "dot-dot": '"../../escaped"',
    "absolute": '"/tmp/escaped"',
    "windows-drive": '"C:\\\\escaped"',
    "drive-relative": '"c:escaped"',
    "backslash": '"..\\\\escaped"',
    "nul-byte": '"esc\\0aped"',
    "reserved-con": "con",
    "reserved-nul-upper": "NUL",
    "reserved-com1": "com1",
    "reserved-lpt9": "lpt9",
    "sub-folder": "a/b",
    "too-long": "a" * 300,
    "trailing-newline": '"escaped\\n"',
    "unicode-dot-dot": '"\u2025/escaped"',
}


@pytest.mark.parametrize("name", sorted(BAD_SLUGS))
def test_bad_slug_in_front_matter_is_refused(project, tmp_path, capsys, name):
    write(project, "content/articles/ok.md", article(title="OK"))
    assert main(["build", "--root", str(project)]) == 0
    capsys.readouterr()
    write(project, "content/articles/bad.md", article(title="Bad", slug=BAD_SLUGS[name]))
    code = main(["build", "--root", str(project)])
    err = capsys.readouterr().err
    if name == "trailing-newline":  # YAML text is stripped: a valid slug `escaped`
        assert code == 0 and (project / "site/articles/escaped/index.html").is_file()
        return
    assert code == 1 and "Traceback" not in err
    # line 5: the `slug:` line (a NUL is refused by the YAML reader already)
    expected = "invalid YAML: the escape for U+0000" if name == "nul-byte" else "slug"
    assert f"content/articles/bad.md:5: {expected}" in err
    assert files_outside(tmp_path, project) == []
    assert not (project / "site/articles/escaped").exists()


@pytest.mark.parametrize("stem", ["CON", "nul", "Com1", "a b", "caf\u00e9", "x" * 130])
def test_bad_file_names_are_refused(project, capsys, stem):
    write(project, f"content/articles/{stem}.md", article(title="T"))
    code = main(["build", "--root", str(project)])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert f"content/articles/{stem}.md:1: slug" in err
    assert not (project / "site").exists()


@pytest.mark.parametrize(
    "path",
    [
        "../x.html",
        "/etc/x.html",
        "a/../../x.html",
        "C:/x.html",
        "c:x.html",
        "a\\..\\x.html",
        "a\x00.html",
        "con/index.html",
        "articles/NUL.html",
        "articles/aux.txt/index.html",
        "a/./b.html",
        "a//b.html",
        "",
        "a /b.html",
        "a./b.html",
        "articles/stream:name/index.html",
        "a\nb.html",
        "x" * 300 + ".html",
    ],
)
def test_writer_refuses_paths_outside_or_unportable(tmp_path, path):
    site = tmp_path / "site"
    writer = SiteWriter(site)
    with pytest.raises(DigestError, match="refusing to write outside site/"):
        writer.write(path, b"x")
    writer.abort()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_safe_paths_pass():
    for path in ("index.html", "articles/a-b/index.html", ".nojekyll", "static/style.css"):
        assert unsafe_output_path(path) is None, path


def test_url_keys_cannot_climb_out():
    for key in ("../../etc", "/abs", "a/b", "C:\\x"):
        site_path = Urls.path("article", key)
        assert unsafe_output_path(output_file(site_path)) is None
        assert site_path.count("/") == 2  # articles/<one component>/


def test_ingest_never_makes_a_reserved_or_unsafe_slug():
    for text in ("Con.\n", "Nul.\n", "../../etc/passwd.\n", "C:\\Windows.\n", "\x00.\n"):
        parsed = plaintext.parse(text)
        _, slug = render_article("seed.txt", text.encode(), parsed)
        assert unsafe_output_path(f"articles/{slug}/index.html") is None, (text, slug)


# Symlinks ------------------------------------------------------------------------------

symlinks = pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="POSIX")


@pytest.fixture
def outside(tmp_path) -> Path:
    folder = tmp_path / "outside"
    write(folder, "secret.md", article(title="Secret", body="TOP-SECRET text"))
    return folder


@symlinks
def test_symlinked_file_outside_the_project_is_refused(project, outside, capsys):
    write(project, "content/articles/ok.md", article(title="OK"))
    (project / "content/articles/evil.md").symlink_to(outside / "secret.md")
    code = main(["build", "--root", str(project)])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "content/articles/evil.md: symlink points outside the project" in err
    site = project / "site"
    assert not site.exists() or "TOP-SECRET" not in "".join(
        p.read_text() for p in site.rglob("*.html")
    )


@symlinks
def test_symlinked_folder_outside_the_project_is_refused(project, outside, capsys):
    (project / "content/articles/ext").symlink_to(outside, target_is_directory=True)
    code = main(["build", "--root", str(project)])
    err = capsys.readouterr().err
    assert code == 1
    assert "content/articles/ext: symlink points outside the project" in err


@symlinks
def test_symlink_inside_the_project_is_followed(project):
    write(project, "drafts/inside.md", article(title="Inside"))
    (project / "content/articles/inside.md").symlink_to(project / "drafts/inside.md")
    assert main(["build", "--root", str(project)]) == 0
    assert (project / "site/articles/inside/index.html").is_file()


@symlinks
def test_symlink_loops_end_with_a_clear_error_or_are_walked_once(project, capsys):
    write(project, "content/articles/one.md", article(title="One"))
    articles = project / "content/articles"
    (articles / "loop").symlink_to(articles, target_is_directory=True)  # a folder loop
    (articles / "a").mkdir()
    (articles / "a" / "back").symlink_to(articles / "a", target_is_directory=True)
    (articles / "self.md").symlink_to(articles / "self.md")  # a link to itself
    (articles / "ping.md").symlink_to(articles / "pong.md")
    (articles / "pong.md").symlink_to(articles / "ping.md")
    code = main(["build", "--root", str(project)])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    for name in ("self.md", "ping.md", "pong.md"):
        assert f"content/articles/{name}: symlink loop" in err
    assert "already used" not in err  # one.md was not read twice through the loop
    (articles / "self.md").unlink()
    (articles / "ping.md").unlink()
    (articles / "pong.md").unlink()
    assert main(["build", "--root", str(project)]) == 0
    assert (project / "site/articles/one/index.html").is_file()
