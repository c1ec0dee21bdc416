"""No lost work: killed builds, full disks and concurrent builds never leave a mixed site/.

The kill loop and the concurrency test run the real CLI (`python -m generator build`) in
subprocesses and kill them with SIGKILL; the disk-full tests use a real small tmpfs
(when the test can mount one) and a real per-process file size limit (RLIMIT_FSIZE).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, article, write

from generator.buildlock import build_lock
from generator.cli import main
from generator.load import read_config
from generator.pipeline import build
from generator.writer import SiteWriter

posix_only = pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals and rlimits")


def snapshot(site: Path) -> dict[str, bytes]:
    return {
        p.relative_to(site).as_posix(): p.read_bytes()
        for p in sorted(site.rglob("*"))
        if p.is_file()
    }


def set_version(root: Path, version: str, count: int = 120) -> None:
    """Two versions of a project that differ in almost every output file.

    A has articles 0..count-1, B has 30..count+29, with different text in each, so any
    mix of the two sites equals neither.
    """
    folder = root / "content" / "articles"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    start = 0 if version == "A" else 30
    for i in range(start, start + count):
        body = "\n\n".join(f"Version {version} paragraph {j} of article {i}." for j in range(8))
        write(root, f"content/articles/a{i:03}.md", article(title=f"Article {i}", body=body))
    # No search index: the kill loop compares against in-memory builds of the pages.
    write(root, "digest.yaml", f"title: Digest version {version}\nsearch: false\n")


def cli(root: Path, *extra: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "generator", "build", "--root", str(root), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        **kwargs,
    )


@pytest.fixture
def two_sites(tmp_path):
    """(project at version A with its site built, snapshot of A's site, snapshot of B's)."""
    other = tmp_path / "b"
    set_version(other, "B")
    build(read_config(other))
    site_b = snapshot(other / "site")
    root = tmp_path / "a"
    set_version(root, "A")
    build(read_config(root))
    return root, snapshot(root / "site"), site_b


@posix_only
def test_build_killed_at_any_point_leaves_old_or_new_site(two_sites):
    root, site_a, site_b = two_sites
    assert site_a != site_b and len(set(site_a) & set(site_b)) > 50
    rng = random.Random(10)
    start = time.perf_counter()
    assert cli(root).wait() == 0  # a full run, to spread kill times over; A again
    full = time.perf_counter() - start
    staging = root / ".site.staging"
    killed_while_staging = 0
    versions = ["B", "A"] * 12
    for index, version in enumerate(versions):
        set_version(root, version)
        proc = cli(root)
        if index % 2:
            time.sleep(rng.uniform(0, full * 1.1))
        else:  # aim at the write phase: kill once staging has begun
            while proc.poll() is None and not staging.exists():
                time.sleep(0.001)
            time.sleep(rng.uniform(0, 0.03))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if staging.exists():
            killed_while_staging += 1
        current = snapshot(root / "site")
        assert current in (site_a, site_b), f"iteration {index}: site/ is a mix"
    assert killed_while_staging > 0, "no kill landed in the write phase; the loop tested nothing"
    set_version(root, "B")
    done = cli(root)
    _out, err = done.communicate()
    assert done.returncode == 0, err
    assert snapshot(root / "site") == site_b
    assert not staging.exists()


def test_unchanged_files_keep_inode_and_mtime_across_the_swap(project):
    write(project, "content/articles/one.md", article(title="One"))
    write(project, "content/articles/two.md", article(title="Two"))
    build(read_config(project))
    page = project / "site/articles/one/index.html"
    before = page.stat()
    write(project, "content/articles/two.md", article(title="Two, edited"))
    result = build(read_config(project))
    after = page.stat()
    assert "articles/two/index.html" in result.written
    assert "articles/one/index.html" not in result.written
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_every_file_written_is_readable_by_a_web_server_whatever_the_umask(project):
    write(project, "content/articles/one.md", article(title="One"))
    old = os.umask(0o077)
    try:
        build(read_config(project), search_index=False)
    finally:
        os.umask(old)
    site = project / "site"
    files = [p for p in site.rglob("*") if p.is_file()]
    assert len(files) > 20
    assert {oct(p.stat().st_mode & 0o777) for p in files} == {oct(0o644)}
    assert not [p for p in files if p.name.startswith(".tmp-")]


def test_files_other_tools_keep_are_carried_over(project):
    write(project, "content/articles/one.md", article(title="One"))
    build(read_config(project))
    write(project, "site/pagefind/index.json", "{}")
    write(project, "site/stale.html", "old")
    result = build(read_config(project))
    assert (project / "site/pagefind/index.json").read_text() == "{}"
    assert not (project / "site/stale.html").exists()
    assert "stale.html" in result.removed


def test_leftovers_of_a_killed_build_are_cleaned_up(project):
    write(project, "content/articles/one.md", article(title="One"))
    build(read_config(project))
    good = snapshot(project / "site")
    # A swap killed between its two renames (the non-Linux path): site/ is at .site.old.
    os.rename(project / "site", project / ".site.old")
    write(project, ".site.staging/half.html", "half a site")
    assert main(["build", "--root", str(project), "--no-search"]) == 0
    assert snapshot(project / "site") == good
    assert not (project / ".site.staging").exists() and not (project / ".site.old").exists()


def test_a_failed_write_drops_the_staging_folder(project):
    write(project, "content/articles/one.md", article(title="One"))
    build(read_config(project))
    before = snapshot(project / "site")
    writer = SiteWriter(project / "site")
    writer.write("index.html", b"new")
    with pytest.raises(Exception, match="refusing to write outside site/"):
        writer.write("../escape.html", b"x")
    writer.abort()
    assert not (project / ".site.staging").exists()
    assert snapshot(project / "site") == before


# Full disk -------------------------------------------------------------------------------


def _big_article(root: Path, size: int) -> None:
    paragraph = "A long paragraph of reporting that fills the disk. " * 20
    body = "\n\n".join([paragraph] * (size // len(paragraph) + 1))
    write(root, "content/articles/big.md", article(title="Big", body=body))


@pytest.fixture
def small_tmpfs(tmp_path):
    if os.name != "posix" or os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root on Linux")
    mount = tmp_path / "mnt"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_full_disk_fails_clearly_and_keeps_the_old_site(small_tmpfs, capsys):
    root = small_tmpfs / "proj"
    write(root, "content/articles/one.md", article(title="One"))
    assert main(["build", "--root", str(root), "--no-search"]) == 0
    before = snapshot(root / "site")
    capsys.readouterr()
    _big_article(root, 600_000)  # content 600 KB + its page 600 KB > the 1 MB disk
    code = main(["build", "--root", str(root), "--no-search"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "No space left on device; free some disk space and build again" in err
    assert "the previous site/ is unchanged" in err
    assert snapshot(root / "site") == before
    assert not (root / ".site.staging").exists()
    (root / "content/articles/big.md").unlink()
    assert main(["build", "--root", str(root), "--no-search"]) == 0  # and the next build succeeds


@posix_only
def test_file_size_limit_fails_clearly_and_keeps_the_old_site(project):
    """A real write failure without root: the kernel's per-process file size limit."""
    import resource

    write(project, "content/articles/one.md", article(title="One"))
    build(read_config(project))
    before = snapshot(project / "site")
    _big_article(project, 100_000)

    def limit_file_size():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of a signal
        resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, 50_000))

    proc = cli(project, preexec_fn=limit_file_size)
    _out, err = proc.communicate()
    assert proc.returncode == 1, err
    assert "Traceback" not in err
    assert "articles/big/index.html: cannot write to site/: File too large" in err
    assert "the previous site/ is unchanged" in err
    assert snapshot(project / "site") == before
    assert not (project / ".site.staging").exists()


# Two builds at once ------------------------------------------------------------------------


def test_second_build_is_refused_while_one_runs(project, capsys):
    write(project, "content/articles/one.md", article(title="One"))
    build(read_config(project))
    before = snapshot(project / "site")
    write(project, "content/articles/two.md", article(title="Two"))
    with build_lock(read_config(project)):
        code = main(["build", "--root", str(project)])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert f"another build is running (pid {os.getpid()})" in err
    assert snapshot(project / "site") == before
    assert main(["build", "--root", str(project)]) == 0  # the lock is gone with its holder


@posix_only
def test_concurrent_builds_never_corrupt_the_site(two_sites):
    root, _site_a, site_b = two_sites
    set_version(root, "B")
    for _round in range(3):
        procs = [cli(root) for _ in range(4)]
        results = [(p.wait(), p.communicate()[1]) for p in procs]
        for code, err in results:
            assert code == 0 or (code == 1 and "another build is running (pid" in err), err
        assert any(code == 0 for code, _ in results)
        assert snapshot(root / "site") == site_b
        assert not (root / ".site.staging").exists()


# Ingest never loses an edit ----------------------------------------------------------------


def test_forced_reingest_keeps_every_edited_version(tmp_path, capsys):
    seed = write(
        tmp_path,
        "seeds/s.txt",
        "Leaders meet for talks in the far east\n\nOutlet\n\nThey talked for hours.\n",
    )
    assert main(["ingest", "--root", str(tmp_path)]) == 0
    (target,) = (tmp_path / "content/articles").glob("*.md")
    versions = []
    for n in range(3):
        edited = target.read_text().replace("They talked", f"Edit {n}: they talked")
        target.write_text(edited)
        versions.append(edited)
        seed.write_text(seed.read_text() + f"\nMore text {n}.\n")
        assert main(["ingest", "--root", str(tmp_path)]) == 1  # refused without --force
        assert target.read_text() == edited
        assert main(["ingest", "--root", str(tmp_path), "--force"]) == 0
    backups = sorted(target.parent.glob(target.name + ".bak*"))
    assert [b.name for b in backups] == [
        f"{target.name}.bak",
        f"{target.name}.bak2",
        f"{target.name}.bak3",
    ]
    assert sorted(b.read_text() for b in backups) == sorted(versions)


def test_forced_reingest_under_a_new_slug_keeps_the_edit(tmp_path):
    seed = write(tmp_path, "seeds/s.txt", "Old headline for the talks today\n\nOutlet\n\nText.\n")
    assert main(["ingest", "--root", str(tmp_path)]) == 0
    (old,) = (tmp_path / "content/articles").glob("*.md")
    old.write_text(old.read_text().replace("Text.", "Edited text."))
    seed.write_text(seed.read_text().replace("Old headline", "New headline"))
    assert main(["ingest", "--root", str(tmp_path), "--force"]) == 0
    assert not old.exists()
    assert "Edited text." in old.with_name(old.name + ".bak").read_text()
    (new,) = (tmp_path / "content/articles").glob("*new-headline*.md")
    assert "Text." in new.read_text()
