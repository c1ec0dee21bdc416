"""`digest build` skips all work when nothing it reads has changed (generator/uptodate.py).

Real builds of the bundled digest in temp folders through the CLI. After every edit the
incremental site must equal a clean build of the same inputs, byte for byte (DESIGN.md
convention 10); a skipped build must leave site/ untouched and report what the last
full build reported.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, article, run_cli, write

from generator import uptodate

UP_TO_DATE = "is up to date"
STAMP = ".digest-cache/uptodate.json"
ARTICLE = "content/articles/reuters-putin-and-north-koreas-kim-discuss.md"
ARTICLE_PAGE = "site/articles/reuters-putin-and-north-koreas-kim-discuss/index.html"


def build(root: Path, capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = run_cli(root, "build", *args)
    out, err = capsys.readouterr()
    return code, out, err


def tree(site: Path) -> dict[str, bytes]:
    """Every file's bytes; of Pagefind's index only pagefind.js (the names and bytes of
    its other files vary from run to run, so two clean builds differ there)."""
    found = {}
    for path in site.rglob("*"):
        rel = path.relative_to(site).as_posix()
        if path.is_file() and (not rel.startswith("pagefind/") or rel == "pagefind/pagefind.js"):
            found[rel] = path.read_bytes()
    return found


def stats(site: Path) -> dict[str, tuple[int, int]]:
    return {
        p.relative_to(site).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in site.rglob("*")
    }


def clean_build(root: Path, tmp_path: Path, *args: str) -> dict[str, bytes]:
    """The site a build from scratch makes of `root`'s inputs (no cache, no old site)."""
    fresh = tmp_path / "fresh"
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir()
    for name in ("content", "themes", "overrides"):
        if (root / name).is_dir():
            shutil.copytree(root / name, fresh / name, symlinks=True)
    if (root / "digest.yaml").exists():
        shutil.copy(root / "digest.yaml", fresh / "digest.yaml")
    assert run_cli(fresh, "build", "--no-cache", *args) == 0
    return tree(fresh / "site")


def built_and_skipped(root: Path, capsys, *args: str) -> None:
    code, out, _ = build(root, capsys, *args)
    assert code == 0 and "built" in out and UP_TO_DATE not in out
    code, out, _ = build(root, capsys, *args)
    assert code == 0 and UP_TO_DATE in out and "built" not in out


def test_a_second_build_skips_and_touches_nothing(bundled, capsys, tmp_path):
    code, out, _ = build(bundled, capsys)
    counts = out.split(" pages (")[0].removeprefix("built ") + " pages, "
    counts += out.split(" pages (")[1].split(" files,")[0] + " files"  # "68 pages, 80 files"
    before = stats(bundled / "site")
    assert "pagefind/pagefind.js" in before  # the search index is part of the listing
    timings = tmp_path / "timings.json"
    code, out, err = build(bundled, capsys, "--timings", str(timings))
    assert code == 0 and err == ""
    assert f"site/ is up to date ({counts})" in out
    assert "use --no-cache to rebuild everything" in out
    assert stats(bundled / "site") == before
    assert set(json.loads(timings.read_text())) == {"uptodate"}


def test_touching_a_file_without_changing_it_still_skips(bundled, capsys):
    """Contents, not modification times, decide (DESIGN.md convention 10)."""
    built_and_skipped(bundled, capsys, "--no-search")
    os.utime(bundled / ARTICLE, ns=(1, 1))
    write(bundled, "content/articles/.reuters.md.swp", "an editor's swap file")  # load skips it
    code, out, _ = build(bundled, capsys, "--no-search")
    assert code == 0 and UP_TO_DATE in out


def _edit_article(root: Path) -> None:
    path = root / ARTICLE
    path.write_text(path.read_text().replace("Vostochny", "Vostochny (Amur)", 1))


def _edit_note(root: Path) -> None:
    path = root / "content/notes/two-hours.md"
    path.write_text(path.read_text() + "\nOne more sentence from the editor.\n")


def _edit_entity(root: Path) -> None:
    path = root / "content/entities/kremlin.md"
    path.write_text(path.read_text() + "\nThe seat of the Russian government.\n")


def _edit_config(root: Path) -> None:
    path = root / "digest.yaml"
    path.write_text(path.read_text() + "\ndescription: Another description.\n")


def _edit_template(root: Path) -> None:
    write(root, "overrides/templates/404.html", "<!doctype html><title>Gone</title><p>Gone.\n")


def _edit_static(root: Path) -> None:
    path = root / "themes/default/static/style.css"
    path.write_text(path.read_text() + "\n/* test */ body { margin: 0; }\n")


def _new_article(root: Path) -> None:
    write(root, "content/articles/extra.md", article(title="Extra", body="Another text."))


def _delete_note(root: Path) -> None:
    (root / "content/notes/two-hours.md").unlink()


@pytest.mark.parametrize(
    "edit",
    [
        _edit_article,
        _edit_note,
        _edit_entity,
        _edit_config,
        _edit_template,
        _edit_static,
        _new_article,
        _delete_note,
    ],
)
def test_an_edit_to_any_input_gives_a_full_build_equal_to_a_clean_one(
    bundled, capsys, tmp_path, edit
):
    if not (bundled / "digest.yaml").exists():
        (bundled / "digest.yaml").write_text("title: News Digest\n")
    built_and_skipped(bundled, capsys, "--no-search")
    before = tree(bundled / "site")
    edit(bundled)
    built_and_skipped(bundled, capsys, "--no-search")
    after = tree(bundled / "site")
    assert after != before
    assert after == clean_build(bundled, tmp_path, "--no-search")


def _delete_site(site: Path) -> None:
    shutil.rmtree(site)


def _delete_page(site: Path) -> None:
    (site / ARTICLE_PAGE.removeprefix("site/")).unlink()


def _edit_page(site: Path) -> None:
    path = site / ARTICLE_PAGE.removeprefix("site/")
    path.write_bytes(path.read_bytes().replace(b"Putin", b"Pootin"))


def _add_stray_file(site: Path) -> None:
    (site / "articles" / "stray.html").write_text("not ours")


def _delete_search_chunk(site: Path) -> None:
    (site / "pagefind" / "pagefind.js").unlink()


@pytest.mark.parametrize(
    "damage", [_delete_site, _delete_page, _edit_page, _add_stray_file, _delete_search_chunk]
)
def test_a_damaged_site_is_rebuilt_and_restored(bundled, capsys, damage):
    built_and_skipped(bundled, capsys)
    expected = tree(bundled / "site")
    damage(bundled / "site")
    built_and_skipped(bundled, capsys)
    assert tree(bundled / "site") == expected


def test_a_base_url_change_rebuilds(bundled, capsys):
    built_and_skipped(bundled, capsys, "--no-search")
    built_and_skipped(bundled, capsys, "--no-search", "--base-url", "/repo/")
    assert 'href="/repo/' in (bundled / ARTICLE_PAGE).read_text()
    built_and_skipped(bundled, capsys, "--no-search")
    assert 'href="/repo/' not in (bundled / ARTICLE_PAGE).read_text()


def test_turning_search_on_rebuilds(bundled, capsys):
    built_and_skipped(bundled, capsys, "--no-search")
    assert not (bundled / "site/pagefind").exists()
    built_and_skipped(bundled, capsys)
    assert (bundled / "site/pagefind/pagefind.js").is_file()


def test_warnings_are_replayed_and_strict_fails_on_a_skipped_build(project, capsys):
    write(project, "content/articles/one.md", article(title="One", colour="blue"))
    code, out, err = build(project, capsys, "--no-search")
    assert code == 0 and "built" in out
    assert "content/articles/one.md:5: warning: unknown field" in err
    for args, expected in ((("--no-search",), 0), (("--no-search", "--strict"), 1)):
        code, out, replayed = build(project, capsys, *args)
        assert code == expected and UP_TO_DATE in out
        assert replayed.startswith(err)  # the same warnings, in the same order
    assert "warnings are errors under --strict" in replayed


def test_no_cache_always_builds_and_leaves_the_stamp_alone(bundled, capsys):
    built_and_skipped(bundled, capsys, "--no-search")
    stamp = (bundled / STAMP).read_bytes()
    for _ in range(2):
        code, out, _ = build(bundled, capsys, "--no-search", "--no-cache")
        assert code == 0 and "built" in out
    assert (bundled / STAMP).read_bytes() == stamp
    # site/ was rewritten behind the stamp's back (new folders): a full build, to be safe.
    built_and_skipped(bundled, capsys, "--no-search")


def test_a_no_cache_build_writes_no_stamp(project, capsys):
    write(project, "content/articles/one.md", article())
    assert build(project, capsys, "--no-search", "--no-cache")[0] == 0
    assert not (project / STAMP).exists()


@pytest.mark.parametrize(
    "garbage", [b"{not json", b"", b"[]", b'{"format": 1}', b"\xff\xfe", b'{"format": 2}']
)
def test_a_corrupt_stamp_gives_a_full_build(bundled, capsys, garbage):
    built_and_skipped(bundled, capsys, "--no-search")
    (bundled / STAMP).write_bytes(garbage)
    code, out, err = build(bundled, capsys, "--no-search")
    assert code == 0 and "built" in out and "Traceback" not in err and "internal" not in err
    assert uptodate.read_stamp(bundled / STAMP) is not None


def test_a_failed_build_leaves_no_stamp_and_fixing_it_rebuilds(bundled, capsys):
    built_and_skipped(bundled, capsys, "--no-search")
    good = (bundled / ARTICLE).read_text()
    (bundled / ARTICLE).write_text("---\ntitle: [unclosed\n---\n\nText.\n")
    code, _, err = build(bundled, capsys, "--no-search")
    assert code == 1 and ARTICLE in err
    assert not (bundled / STAMP).exists()
    code, _, err = build(bundled, capsys, "--no-search")  # still broken: still an error
    assert code == 1 and ARTICLE in err
    (bundled / ARTICLE).write_text(good)
    built_and_skipped(bundled, capsys, "--no-search")


def test_a_cache_of_another_version_drops_the_stamp(bundled, capsys):
    built_and_skipped(bundled, capsys, "--no-search")
    manifest = bundled / ".digest-cache/v1/manifest.json"
    manifest.write_text('{"format": 1, "generator": "0.0.1", "code": "old"}')
    code, out, err = build(bundled, capsys, "--no-search")
    assert code == 0 and "built" in out and "another version" in err


def test_an_edit_behind_a_symlinked_folder_rebuilds(project, capsys, tmp_path):
    shared = project / "shared-articles"
    write(project, "shared-articles/one.md", article(title="One"))
    (project / "content/articles/linked").symlink_to(shared, target_is_directory=True)
    built_and_skipped(project, capsys, "--no-search")
    write(project, "shared-articles/one.md", article(title="One, edited"))
    built_and_skipped(project, capsys, "--no-search")
    assert "One, edited" in (project / "site/articles/one/index.html").read_text()


def test_a_symlink_retargeted_to_identical_bytes_outside_the_project_is_seen(
    project, capsys, tmp_path
):
    text = article(title="One")
    write(project, "shared/one.md", text)
    write(tmp_path, "outside/one.md", text)
    link = project / "content/articles/one.md"
    link.symlink_to(project / "shared/one.md")
    built_and_skipped(project, capsys, "--no-search")
    link.unlink()
    link.symlink_to(tmp_path / "outside/one.md")  # same bytes, but load refuses it
    code, _, err = build(project, capsys, "--no-search")
    assert code == 1 and "symlink points outside the project" in err


@pytest.mark.parametrize(
    "size", [0, 1, 6000, uptodate._WHOLE, uptodate._WHOLE + 1, 3 * uptodate._WHOLE + 5]
)
def test_a_file_digest_is_the_sha256_of_its_bytes_whatever_its_size(tmp_path, size):
    data = os.urandom(size)
    path = tmp_path / "file.md"
    path.write_bytes(data)
    assert uptodate._file_digest(str(path)) == hashlib.sha256(data).digest()
    assert uptodate._file_digest(str(tmp_path / "missing.md")) == b"-missing-"
    fifo = tmp_path / "fifo.md"
    if hasattr(os, "mkfifo"):
        os.mkfifo(fifo)
        assert uptodate._file_digest(str(fifo)) == b"-special-"


def test_a_no_change_build_loads_neither_the_parser_nor_the_templates(bundled, capsys):
    """The no-change path stays light: what a build needs is imported only for a build."""
    built_and_skipped(bundled, capsys)
    probe = (
        "import sys\n"
        "from generator.cli import main\n"
        f"code = main(['build', '--root', {str(bundled)!r}])\n"
        "heavy = ('jinja2', 'markdown_it', 'asyncio', 'generator.render', 'generator.pipeline')\n"
        "print(code, sorted(name for name in heavy if name in sys.modules))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=False
    )
    assert UP_TO_DATE in done.stdout, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1] == "0 []"
