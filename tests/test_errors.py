"""Bad input: one `path:line: message` line per problem, exit 1, no traceback, site/ intact."""

from __future__ import annotations

import pytest
from conftest import article, write

from generator.cli import main

GOOD = article(title="Good", body="Fine text.")


def site_snapshot(root):
    site = root / "site"
    return {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}


@pytest.fixture
def built(project):
    write(project, "content/articles/good.md", GOOD)
    assert main(["build", "--root", str(project)]) == 0
    return project


CASES = {
    "invalid-yaml": (
        "content/articles/bad.md",
        "---\ntitle: [unclosed\nsource: X\n---\nBody\n",
        "content/articles/bad.md:3: invalid YAML",
    ),
    "not-a-mapping": (
        "content/articles/bad.md",
        "---\n- just\n- a list\n---\nBody\n",
        "content/articles/bad.md:2: front matter must be a mapping",
    ),
    "missing-title": (
        "content/articles/bad.md",
        "---\nsource: X\ndate: 2023-01-01\n---\nBody\n",
        "content/articles/bad.md:1: missing 'title'",
    ),
    "bad-date": (
        "content/articles/bad.md",
        "---\ntitle: T\nsource: X\ndate: last Tuesday\n---\nBody\n",
        "content/articles/bad.md:4: 'date' is not a date: 'last Tuesday'",
    ),
    "impossible-date": (
        "content/articles/bad.md",
        "---\ntitle: T\nsource: X\ndate: 2023-02-30\n---\nBody\n",
        "content/articles/bad.md:4: 'date' is not a date",
    ),
    "empty-file": ("content/articles/bad.md", "", "content/articles/bad.md:1: file is empty"),
    "unclosed-front-matter": (
        "content/articles/bad.md",
        "---\ntitle: T\nBody\n",
        "content/articles/bad.md:1: front matter starts with '---' but has no closing",
    ),
    "duplicate-slug": (
        "content/articles/sub/good.md",
        article(title="Another"),
        "content/articles/sub/good.md:1: slug 'good' is already used by content/articles/good.md",
    ),
    "template-syntax": (
        "overrides/templates/article.html",
        "{% extends 'base.html' %}\n{% block main %}\n{% if %}\n{% endblock %}\n",
        "overrides/templates/article.html:3:",
    ),
    "template-undefined": (
        "overrides/templates/404.html",
        "{% extends 'base.html' %}\n{% block main %}\n{{ no_such_variable }}\n{% endblock %}\n",
        "overrides/templates/404.html:3: template error: 'no_such_variable' is undefined",
    ),
    "unknown-config-key": (
        "digest.yaml",
        "titel: My digest\n",
        "digest.yaml:1: unknown key 'titel'; did you mean 'title'?",
    ),
    "config-not-mapping": (
        "digest.yaml",
        "- a\n",
        "digest.yaml:1: the configuration must be a mapping",
    ),
    "config-wrong-type": (
        "digest.yaml",
        "page_size: many\n",
        "digest.yaml:1: 'page_size' must be a whole number",
    ),
    "yaml-alias-bomb": (
        "content/articles/bad.md",
        "---\n"
        + "a: &a [x,x,x,x,x,x,x,x,x]\n"
        + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n"
            for i in range(20)
        )
        + "title: T\n---\nBody\n",
        "content/articles/bad.md:",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_one_line_exit_1_site_kept(built, capsys, name):
    rel, text, expected = CASES[name]
    before = site_snapshot(built)
    write(built, rel, text) if text else (built / rel).write_text("")
    code = main(["build", "--root", str(built)])
    captured = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in captured.err
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert any(line.startswith(expected) for line in lines), captured.err
    assert len([line for line in lines if not line.startswith(("warning", "error: warnings"))]) >= 1
    assert site_snapshot(built) == before


def test_not_utf8(built, capsys):
    (built / "content/articles/bad.md").write_bytes(b"---\ntitle: Caf\xe9\n---\nBody\n")
    before = site_snapshot(built)
    assert main(["build", "--root", str(built)]) == 1
    err = capsys.readouterr().err
    assert "content/articles/bad.md:2: not valid UTF-8 text" in err
    assert site_snapshot(built) == before


def test_every_problem_is_reported_not_just_the_first(built, capsys):
    write(built, "content/articles/a.md", "---\ntitle: [x\n---\n")
    write(built, "content/articles/b.md", "---\nsource: X\n---\nBody\n")
    assert main(["build", "--root", str(built)]) == 1
    err = capsys.readouterr().err
    assert "content/articles/a.md:2:" in err and "content/articles/b.md:1: missing 'title'" in err


def test_warnings_pass_but_fail_under_strict(project, capsys):
    write(project, "content/articles/undated.md", "---\ntitle: T\nsource: X\n---\nBody\n")
    assert main(["build", "--root", str(project)]) == 0
    assert "undated.md:1: warning: missing 'date'" in capsys.readouterr().err
    assert main(["build", "--root", str(project), "--strict"]) == 1


def test_output_folder_that_is_a_file_is_a_clear_error(project, capsys):
    write(project, "content/articles/a.md", GOOD)
    (project / "site").write_text("not a folder")
    code = main(["build", "--root", str(project)])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "cannot write to site/" in err
