"""Work shared between processes: results in input order, errors carried back, and a
build with two worker processes byte-identical to a build with one."""

from __future__ import annotations

import filecmp
import gc
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, article, write
from hypothesis import given
from hypothesis import strategies as st

from generator.errors import DigestError, error
from generator.load import read_config
from generator.parallel import MAX_CHUNKS, MIN_ITEMS, WorkerFailed, Workers
from generator.pipeline import build


def _forking() -> Workers:
    workers = Workers(2)
    if not workers.forking:
        pytest.skip("this process has other threads: Workers stays serial here")
    return workers


def test_map_keeps_input_order_and_uses_a_second_process():
    workers = _forking()
    items = list(range(MIN_ITEMS * 3 + 1))
    assert workers.map(lambda x: x * x, items) == [x * x for x in items]

    def slow_pid(_x):
        time.sleep(0.002)  # long enough that the parent cannot take every item first
        return os.getpid()

    pids = set(workers.map(slow_pid, items))
    assert len(pids) == 2 and os.getpid() in pids
    big = list(range(MAX_CHUNKS * 2 + 5))  # more items than runs: several to a run
    assert workers.map(lambda x: -x, big) == [-x for x in big]


def test_a_worker_process_does_not_collect_garbage():
    """A worker exits without cleaning up and its young collections freed nothing: it
    runs with the collector off; the parent's stays as it was."""
    workers = _forking()
    assert gc.isenabled()
    assert workers.run(lambda k, n: (k, gc.isenabled())) == [(0, True), (1, False)]
    assert gc.isenabled()


def test_a_slow_process_takes_fewer_items():
    """Items are handed out as each process is ready, not split in fixed shares."""
    workers = _forking()
    parent = os.getpid()

    def where(_x):
        time.sleep(0.001 if os.getpid() == parent else 0.02)
        return os.getpid()

    pids = workers.map(where, range(400))
    assert 0 < sum(pid != parent for pid in pids) < 100


def test_small_inputs_stay_in_this_process():
    workers = _forking()
    assert set(workers.map(lambda _x: os.getpid(), range(MIN_ITEMS - 1))) == {os.getpid()}


def test_a_user_error_in_a_worker_reaches_the_parent_as_is():
    workers = _forking()

    def job(index: int, _count: int):
        if index == 1:
            raise DigestError([error("content/articles/x.md", 3, "bad date")])
        return index

    with pytest.raises(DigestError) as caught:
        workers.run(job)
    assert [str(d) for d in caught.value.diagnostics] == ["content/articles/x.md:3: bad date"]


def test_a_bug_in_a_worker_is_an_internal_error_with_its_traceback():
    workers = _forking()

    def job(index: int, _count: int):
        if index == 1:
            raise KeyError("missing-id")
        return index

    with pytest.raises(WorkerFailed) as caught:
        workers.run(job)
    assert "KeyError" in str(caught.value) and "Traceback" in caught.value.detail


def test_a_worker_that_dies_is_reported():
    workers = _forking()

    def job(index: int, _count: int):
        if index == 1:
            os._exit(7)
        return index

    with pytest.raises(WorkerFailed, match="status 7"):
        workers.run(job)


# A build whose worker runs on after the build itself is killed.
_KILLED_PARENT = """
import os, sys, time
from generator.parallel import Workers

def job(index, _count):
    if index == 1:
        with open(sys.argv[1] + ".tmp", "w") as out:
            out.write(str(os.getpid()))
        os.replace(sys.argv[1] + ".tmp", sys.argv[1])
        time.sleep(20)
        return "done"
    time.sleep(60)  # killed before this ends

Workers(2).run(job)
"""


def _gone(pid: int) -> bool:
    """Exited (a zombie waiting for a reaper counts: it runs no more)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the kernel's part is Linux's")
def test_a_killed_build_leaves_no_worker_running_and_no_file_behind(tmp_path):
    temp = tmp_path / "temp"
    temp.mkdir()
    pid_file = tmp_path / "worker.pid"
    env = {**os.environ, "TMPDIR": str(temp), "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_PARENT, str(pid_file)], env=env)
    try:
        deadline = time.monotonic() + 30
        while not pid_file.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "no worker started"
            time.sleep(0.01)
        worker = int(pid_file.read_text())
        assert not _gone(worker)
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 5
    while not _gone(worker) and time.monotonic() < deadline:
        time.sleep(0.01)
    if not _gone(worker):
        os.kill(worker, 9)
        pytest.fail("the worker outlived the killed build")
    assert list(temp.iterdir()) == []


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _build(project: Path, workers: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DIGEST_WORKERS": workers}
    cmd = [sys.executable, "-m", "generator", "build", "--root", str(project), "--no-search"]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=REPO, check=False)


def test_two_workers_build_the_same_bytes_as_one(tmp_path, bundled):
    # Enough articles that parsing and comparing are shared too (MIN_ITEMS), in stories.
    for i in range(MIN_ITEMS + 6):
        body = (
            f"Vladimir Putin met Kim Jong Un in Vostochny, day {i % 7}. "
            f'"We will talk about everything," Putin said. Officials number {i} attended.'
        )
        text = article(title=f"Summit day {i}", source=("Alpha", "Beta")[i % 2], body=body)
        write(
            bundled,
            f"content/articles/gen-{i:03d}.md",
            text.replace("2023-09-13", "2023-09-1" + str(i % 3)),
        )
    one, two = tmp_path / "one", tmp_path / "two"
    shutil.copytree(bundled, one)
    shutil.copytree(bundled, two)
    first, second = _build(one, "1"), _build(two, "2")
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert first.stdout.split(" in ")[0] == second.stdout.split(" in ")[0]  # not the time
    assert first.stderr == second.stderr
    left, right = _tree(one / "site"), _tree(two / "site")
    assert len(left) > 100 and left.keys() == right.keys()
    assert [p for p in left if left[p] != right[p]] == []
    assert not filecmp.dircmp(one / "site", two / "site").diff_files
    stories = json.loads(right["data/stories.json"])
    assert (
        max(len(s["articles"]) for s in stories) >= MIN_ITEMS // 2
    )  # grouped from sentences split in both processes


def test_a_template_error_in_a_worker_keeps_the_last_good_site(bundled):
    assert _build(bundled, "2").returncode == 0
    before = _tree(bundled / "site")
    # Only article pages use this partial; half of them are rendered by the child.
    write(bundled, "overrides/templates/partials/article-meta.html", "{{ article.nope.deeper }}")
    failed = _build(bundled, "2")
    assert failed.returncode == 1
    assert "article-meta.html" in failed.stderr and "Traceback" not in failed.stderr
    assert _tree(bundled / "site") == before


def test_a_build_makes_no_collection_and_turns_the_collector_back_on(bundled):
    """Collections during a build walk objects that live to its end (24.8 s of a 128 s
    build at 10,000 articles for the full ones, 3.8 s for the young ones) and free
    almost nothing: a build makes none, and leaves the collector as it found it, even
    when it fails."""
    seen: list[int] = []  # the generation of each collection

    def watch(phase: str, info: dict) -> None:
        if phase == "start":
            seen.append(info["generation"])

    assert gc.isenabled()
    config = read_config(bundled)
    gc.callbacks.append(watch)
    try:
        gc.collect()
        seen.clear()
        # At most one: the first allocation once it is back on may start a collection.
        build(config, workers=Workers(1))
        assert len(seen) <= 1 and gc.isenabled()
        seen.clear()
        write(bundled, "overrides/templates/partials/article-meta.html", "{{ article.nope.x }}")
        with pytest.raises(DigestError):
            build(read_config(bundled), workers=Workers(1))
        assert len(seen) <= 1 and gc.isenabled()
        gc.disable()  # a caller that had it off (`digest build`) finds it off
        with pytest.raises(DigestError):
            build(read_config(bundled), workers=Workers(1))
        assert not gc.isenabled()
    finally:
        gc.callbacks.remove(watch)
        gc.enable()


@given(st.lists(st.integers(0, 2), max_size=300), st.integers(1, 60), st.integers(0, 80))
def test_render_units_claimed_with_tickets_are_each_made_once(order, units, tickets_made):
    """Processes walking the same units at their own pace (`order`: who steps next) make
    each unit exactly once, whoever is ahead, and with fewer tickets than units."""
    from types import SimpleNamespace

    from generator.parallel import Tickets
    from generator.render import Renderer

    with Tickets(tickets_made) as tickets:
        walkers = [
            SimpleNamespace(share=(k, 3), _slot=0, _tickets=tickets, _ticket=-1) for k in range(3)
        ]
        made: list[int] = []
        steps = [*order, *(k for k in range(3) for _ in range(units))]
        for k in steps:
            walker = walkers[k]
            if walker._slot < units:
                slot = walker._slot
                if Renderer.claim(walker):
                    made.append(slot)
    assert sorted(made) == list(range(units))


def test_the_process_that_is_ahead_takes_the_units_no_one_has_reached():
    from types import SimpleNamespace

    from generator.parallel import Tickets
    from generator.render import Renderer

    with Tickets(100) as tickets:
        fast, slow = (
            SimpleNamespace(share=(k, 2), _slot=0, _tickets=tickets, _ticket=-1) for k in (0, 1)
        )
        assert [Renderer.claim(slow) for _ in range(2)] == [True, True]
        assert [Renderer.claim(fast) for _ in range(10)] == [False, False] + [True] * 8
        assert [Renderer.claim(slow) for _ in range(8)] == [False] * 8


def test_tickets_are_taken_in_order_until_none_is_left():
    from generator.parallel import Tickets

    with Tickets(3000) as tickets:
        assert tickets.count == 3000
        assert [tickets.take() for _ in range(3002)] == [*range(3000), 3000, 3000]
    # more than any pipe takes: as many as fit, then `count`
    with Tickets(10**6) as tickets:
        assert 1024 <= tickets.count < 10**6
        assert [tickets.take() for _ in range(tickets.count + 1)] == [
            *range(tickets.count),
            tickets.count,
        ]
