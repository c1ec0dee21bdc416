"""The dev server's watcher with a real watchdog observer on a real project folder: which
events end a burst after `SETTLE` (a finished save) and which after the whole
`DEBOUNCE` (the file may be about to come back). How long a rebuild waits is measured by
the benchmark (`bench/`), not here."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import article, write

from generator.load import read_config
from generator.watch import DEBOUNCE, SETTLE, Watcher


@pytest.fixture
def watcher(project: Path):
    write(project, "content/articles/a.md", article())
    watching = Watcher(read_config(project))
    watching.start()
    yield watching
    watching.stop()


def settled(watcher: Watcher, expected: Path) -> float:
    """Wait for the batch that reports `expected`; how long a quiet spell ended it."""
    for _ in range(20):
        batch = watcher.wait(timeout=5)
        assert batch is not None, "no event arrived"
        if str(expected) in batch:
            return watcher.quiet
    raise AssertionError(f"{expected} was never reported")


def test_a_file_written_in_place_is_finished_when_closed(watcher, project):
    path = write(project, "content/articles/a.md", article(title="Edited"))
    assert settled(watcher, path) == SETTLE


def test_a_file_renamed_into_place_is_finished(watcher, project):
    temp = write(project, "content/articles/.a.md.tmp", article(title="Saved atomically"))
    os.replace(temp, project / "content/articles/a.md")
    assert settled(watcher, project / "content/articles/a.md") == SETTLE


def test_a_new_file_is_finished_when_closed(watcher, project):
    path = write(project, "content/articles/b.md", article(title="New"))
    assert settled(watcher, path) == SETTLE


def test_a_file_moved_away_may_come_back_so_the_burst_waits(watcher, project):
    # vim's save: the file goes to its backup name first, the new one is written after
    path = project / "content/articles/a.md"
    os.replace(path, project / "content/articles/a.md~")
    assert settled(watcher, path) == DEBOUNCE


def test_a_deleted_file_may_come_back_so_the_burst_waits(watcher, project):
    path = project / "content/articles/a.md"
    path.unlink()
    assert settled(watcher, path) == DEBOUNCE


def test_a_new_folder_is_not_a_finished_save(watcher, project):
    folder = project / "content/notes"
    folder.mkdir()
    assert settled(watcher, folder) == DEBOUNCE
