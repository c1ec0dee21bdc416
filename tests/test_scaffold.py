"""`digest init DIR`: a new digest that builds at once, with the Pages workflow."""

from __future__ import annotations

import yaml
from conftest import REPO, run_cli

from generator.cli import main
from generator.scaffold import workflow


def test_init_makes_a_digest_that_builds_and_checks_clean(tmp_path, capsys):
    target = tmp_path / "new-digest"
    assert main(["init", str(target), "--title", 'A "quoted" digest']) == 0
    for rel in (
        "digest.yaml",
        "README.md",
        "requirements.txt",
        ".gitignore",
        ".github/workflows/pages.yml",
        "seeds/example.txt",
        "content/entities",
        "content/notes",
        "content/stories",
    ):
        assert (target / rel).exists(), rel
    # the example seed was ingested, so the digest has an article from the start
    articles = list((target / "content" / "articles").glob("*.md"))
    assert len(articles) == 1
    assert "source: Example Outlet" in articles[0].read_text()
    capsys.readouterr()
    assert run_cli(target, "build", "--strict", "--base-url", "https://u.github.io/r/") == 0
    site = target / "site"
    assert (site / "index.html").exists() and (site / ".nojekyll").exists()
    assert 'A "quoted" digest' in (site / "feed.xml").read_text()
    assert (site / "pagefind" / "pagefind.js").exists()
    assert run_cli(target, "check", "--strict", "--base-url", "https://u.github.io/r/") == 0


def test_init_refuses_a_folder_with_files(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["init", str(tmp_path)]) == 1
    assert "folder is not empty" in capsys.readouterr().err
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_pages_workflow_uses_the_official_actions_and_the_pages_url():
    for text in (
        workflow("pip install -r requirements.txt"),
        (REPO / ".github/workflows/pages.yml").read_text(),
    ):
        flow = yaml.safe_load(text)
        build_steps = flow["jobs"]["build"]["steps"]
        uses = [s.get("uses", "").split("@")[0] for s in build_steps]
        assert uses[:4] == [
            "actions/checkout",
            "actions/setup-python",
            "actions/configure-pages",
            "",
        ]
        assert "actions/upload-pages-artifact" in uses
        run = " ".join(s.get("run", "") for s in build_steps)
        assert '--base-url "${{ steps.pages.outputs.base_url }}/"' in run
        deploy = flow["jobs"]["deploy"]["steps"]
        assert deploy[0]["uses"].startswith("actions/deploy-pages@")
        assert flow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}


def test_repository_workflow_is_the_scaffold_one():
    assert (REPO / ".github/workflows/pages.yml").read_text() == workflow("pip install .")
