"""Resource limits: huge, long, explosive and deep inputs end within bounded time and
memory, with a clear error where a limit is hit."""

from __future__ import annotations

import tracemalloc

import pytest
from conftest import article, write

from generator.cli import main
from generator.frontmatter import MAX_VALUES
from generator.ingest import ingest
from generator.load import MAX_FILE_BYTES, load_content, read_config


def bomb(levels: int = 8, width: int = 9) -> str:
    """A "billion laughs" document: 9**8 (43 million) values from 72 aliases."""
    lines = ["l0: &l0 [" + ",".join(["lol"] * width) + "]"]
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def test_20_mb_article_is_refused_without_reading_it(project, capsys):
    path = project / "content/articles/huge.md"
    with path.open("wb") as handle:
        handle.write(b"---\ntitle: Huge\n---\n")
        handle.write(b"All work and no play. " * (20 * 1024 * 1024 // 22))
    assert path.stat().st_size > 20_000_000
    tracemalloc.start()
    _documents, problems = load_content(read_config(project))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < MAX_FILE_BYTES // 2  # the file was never read into memory
    assert [str(p) for p in problems] == [
        "content/articles/huge.md: file is 20.0 MB, more than the 8 MB limit for one "
        "document: split it into several files"
    ]
    assert main(["build", "--root", str(project)]) == 1
    assert "huge.md: file is 20.0 MB" in capsys.readouterr().err


def test_20_mb_seed_is_refused(tmp_path):
    seed = tmp_path / "seeds" / "huge.txt"
    seed.parent.mkdir()
    seed.write_bytes(b"Words words words.\n\n" * (20 * 1024 * 1024 // 20))
    result = ingest([seed.parent], tmp_path / "content" / "articles")
    assert [str(d) for d in result.diagnostics] == [
        f"{seed}: the seed is larger than 8 MB, more than any article: split it or check "
        "it is the right file"
    ]
    assert not (tmp_path / "content").exists()


def test_200000_paragraph_article_builds(project):
    body = "\n\n".join(f"P{i}." for i in range(200_000))
    write(project, "content/articles/long.md", article(title="Long", body=body))
    assert main(["build", "--root", str(project)]) == 0
    html = (project / "site/articles/long/index.html").read_text()
    assert 'id="p-200000"' in html and "P199999." in html


def test_200000_paragraph_seed_ingests(tmp_path):
    seed = tmp_path / "seeds" / "long.txt"
    seed.parent.mkdir()
    paragraphs = "\n\n".join(f"Paragraph {i} says something." for i in range(200_000))
    seed.write_text(f"A very long article about everything\n\nOutlet\n\n{paragraphs}\n")
    result = ingest([seed.parent], tmp_path / "articles")
    assert not result.diagnostics or all(d.level == "warning" for d in result.diagnostics)
    (written,) = result.written
    assert "Paragraph 199999 says something." in written.read_text()


@pytest.mark.parametrize(
    "field",
    ["date", "title", "tags", "unknown_field"],
)
def test_alias_bomb_in_front_matter_is_refused_before_anything_walks_it(project, capsys, field):
    """The bomb is used by a field whose message would repr it: it must never be built."""
    text = "---\n" + bomb() + f"{field}: *l8\n" + "source: X\n---\nBody\n"
    write(project, "content/articles/bomb.md", text)
    code = main(["build", "--root", str(project)])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert f"expand to more than {MAX_VALUES} values" in err
    assert "content/articles/bomb.md:" in err


def test_alias_bomb_in_config_is_refused(project, capsys):
    write(project, "digest.yaml", bomb() + "title: *l8\n")
    assert main(["build", "--root", str(project)]) == 1
    err = capsys.readouterr().err
    assert (
        f"digest.yaml:6: invalid YAML: its aliases (*name) expand to more than {MAX_VALUES}" in err
    )


def test_many_aliases_are_refused(project, capsys):
    text = "---\ntitle: &t T\n" + "".join(f"k{i}: *t\n" for i in range(200)) + "---\nBody\n"
    write(project, "content/articles/aliases.md", text)
    assert main(["build", "--root", str(project)]) == 1
    assert "more than 100 YAML aliases" in capsys.readouterr().err


def test_recursive_alias_is_refused(project, capsys):
    write(project, "content/articles/r.md", "---\ntitle: T\ntags: &a [x, *a]\n---\nBody\n")
    assert main(["build", "--root", str(project)]) == 1
    assert "content/articles/r.md:3: invalid YAML: a recursive alias" in capsys.readouterr().err


@pytest.mark.parametrize(
    "nested",
    [
        "tags: " + "[" * 5000 + "]" * 5000,
        "tags: " + "{a: " * 5000 + "b" + "}" * 5000,
        "tags:\n" + "".join(" " * i + "- \n" for i in range(0, 2000, 1)),
        "tags:\n" + "".join(" " * i + f"k{i}:\n" for i in range(2000)),
    ],
    ids=["flow-lists", "flow-maps", "block-lists", "block-maps"],
)
def test_deeply_nested_yaml_is_refused(project, capsys, nested):
    write(project, "content/articles/deep.md", f"---\ntitle: T\n{nested}\n---\nBody\n")
    code = main(["build", "--root", str(project)])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "content/articles/deep.md:" in err
    assert "nested more than 50 levels deep" in err


def test_ten_thousand_entity_aliases(project):
    """Runs once the entity registry (another branch) is merged."""
    pytest.importorskip("generator.entities")
    aliases = "".join(f"  - Alias number {i}\n" for i in range(10_000))
    write(
        project,
        "content/entities/many.md",
        f"---\nname: Many Names\ntype: thing\naliases:\n{aliases}---\nA thing of many names.\n",
    )
    write(
        project,
        "content/articles/a.md",
        article(title="A", body="Alias number 9999 met Many Names and Alias number 5."),
    )
    assert main(["build", "--root", str(project)]) == 0
    assert (project / "site/entities/many/index.html").is_file()
    assert "/entities/many/" in (project / "site/articles/a/index.html").read_text()
