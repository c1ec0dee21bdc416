"""Use every core for per-article and per-page work, with results in input order.

`Workers(n)` forks `n - 1` children (the parent does a share too). Each process runs the
same function over the work it takes (the next free run of items or page, whenever it
is done with one: `Tickets`), and the children send their results back pickled through an
anonymous temporary file (it has no name, so nothing is left behind whatever kills the
build); `map` returns them in the order of `items`, so output never depends on
scheduling (DESIGN.md convention 11). A `DigestError` raised in a child is raised again
in the parent; any other failure in a child becomes a `WorkerFailed` (an internal error,
exit 2), never a silent partial result.

Forking is used only when it is safe and pays: on a POSIX system, in a process with a
single thread (`digest build`; the dev server has threads, so its rebuilds stay serial,
as `fork` with other threads running can deadlock the child), and when there are enough
items. Children inherit the linked Site copy-on-write, so nothing is re-loaded. A child
whose parent dies (a build killed with SIGKILL or SIGTERM) stops with it: on Linux the
kernel kills it at once (`PR_SET_PDEATHSIG`); elsewhere it sees it before it writes its
results, and writes nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import gc
import os
import pickle
import signal
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any, TypeVar

from generator import pickling
from generator.errors import DigestError

T = TypeVar("T")
R = TypeVar("R")
MIN_ITEMS = 64  # below this, forking costs more than it saves
MAX_CHUNKS = 1024  # runs of items `map` hands out


class WorkerFailed(RuntimeError):
    """A worker process died or raised something other than a DigestError; `detail` is
    the worker's traceback (printed by `--debug`)."""

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message)
        self.detail = detail


@contextlib.contextmanager
def collector_off():
    """No automatic garbage collection while the block runs; the collector is left as
    it was found. Explicit `gc.collect()` calls still collect.

    Nearly everything a build makes lives to its end (the linked digest), and it makes
    almost no cyclic garbage (about 540 objects, the same at 2 and 1,000 articles: the
    theme's template environment), so each collection walked objects that stay. Full
    collections, at 10,000 articles: 203 of them took 24.8 s of a 128 s build. With
    those off, the young ones still took 3.8 s in the parent (and about 1 s per stage
    in a worker) and freed 437 objects. What the build made is freed by reference
    counts when let go; `DevServer.settle_memory` decides when a server collects.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def default_workers() -> int:
    """Cores to use: `DIGEST_WORKERS` when set (1 turns forking off), else every core."""
    value = os.environ.get("DIGEST_WORKERS", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    return available_cores()


class Workers:
    def __init__(self, count: int = 1):
        self.count = max(1, count)

    @property
    def forking(self) -> bool:
        return self.count > 1 and hasattr(os, "fork") and threading.active_count() == 1

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """`[fn(x) for x in items]`, shared between the processes.

        The items are cut into up to `MAX_CHUNKS` runs, handed out by `Tickets`: each
        process takes the next run when it is done with the last, so the one that also
        pickles its results, or drew the slow items, simply takes fewer (with fixed
        shares, a profiled build at 3,000 articles waited 3 s of 50 for its worker in
        the parse and stories stages)."""
        if not self.forking or len(items) < MIN_ITEMS:
            return [fn(x) for x in items]
        count = min(MAX_CHUNKS, len(items))

        def bounds(chunk: int) -> tuple[int, int]:
            return chunk * len(items) // count, (chunk + 1) * len(items) // count

        with Tickets(count) as tickets:

            def chunks(k: int, n: int) -> Iterator[int]:
                while (chunk := tickets.take()) < tickets.count:
                    yield chunk
                # runs that got no ticket (none in practice: 4 KB fit in any pipe)
                yield from range(tickets.count + k, count, n)

            def job(k: int, n: int) -> list[tuple[int, Any]]:
                done = []
                for chunk in chunks(k, n):
                    start, end = bounds(chunk)
                    values = [fn(x) for x in items[start:end]]
                    # A child pickles each run as it goes, not all at the end, while
                    # the parent would wait with nothing left to take.
                    done.append((chunk, pickling.dumps(values) if k else values))
                return done

            shares = self.run(job)
        results: list[R] = [None] * len(items)  # type: ignore[list-item]
        made = 0
        for k, share in enumerate(shares):
            for chunk, values in share:
                start, end = bounds(chunk)
                results[start:end] = pickle.loads(values) if k else values
                made += 1
        if made != count:
            raise WorkerFailed(f"build workers returned {made} of {count} runs of items")
        return results

    def run(self, job: Callable[[int, int], R]) -> list[R]:
        """`job(k, n)` in each of `n` processes (the parent is k = 0); their results."""
        n = self.count if self.forking else 1
        if n == 1:
            return [job(0, 1)]
        children: list[tuple[int, IO[bytes]]] = []
        parent = os.getpid()
        # Move every object alive now out of the collector's reach: a collection in a
        # child would otherwise write to each object's header and copy every page of the
        # inherited heap (the CPython docs' advice for fork without exec).
        gc.freeze()
        try:
            with contextlib.ExitStack() as files:
                for k in range(1, n):
                    handle = files.enter_context(tempfile.TemporaryFile(prefix="digest-worker-"))
                    pid = os.fork()
                    if pid == 0:  # the child: never returns
                        _child(job, k, n, handle, parent)
                    children.append((pid, handle))
                results = [job(0, n)]
                while children:
                    pid, handle = children.pop(0)
                    results.append(_collect(pid, handle))
                return results
        finally:
            gc.unfreeze()
            for pid, _handle in children:  # the parent failed first: stop the others
                try:
                    os.kill(pid, 9)
                    os.waitpid(pid, 0)
                except OSError:
                    pass


class Tickets:
    """The numbers 0 .. `count` - 1, each handed to exactly one process, in order: made
    before the workers fork, shared by all of them.

    They are all written into a pipe first (up to `wanted`, as many as the pipe takes),
    and the write end is closed: taking one is reading 4 bytes, which the kernel does
    for one reader at a time, so no process ever holds a lock that its death could
    leave held. `take()` returns `count` once none is left. The pipe is enlarged where
    the system allows (Linux); numbers that did not fit are for the caller to share
    another way (`Renderer.claim` does it by position)."""

    def __init__(self, wanted: int) -> None:
        self._read, write = os.pipe()
        try:
            grow = getattr(fcntl, "F_SETPIPE_SZ", None)
            if grow is not None:
                with contextlib.suppress(OSError):
                    fcntl.fcntl(write, grow, min(max(4 * wanted, 4096), 1 << 20))
            os.set_blocking(write, False)
            self.count = 0
            while self.count < wanted:
                # At most PIPE_BUF bytes (4,096 or more on every POSIX system): such a
                # write is all or nothing, so no number is ever cut in two.
                batch = range(self.count, min(wanted, self.count + 1024))
                try:
                    os.write(write, b"".join(n.to_bytes(4, "little") for n in batch))
                except BlockingIOError:
                    break
                self.count += len(batch)
        finally:
            os.close(write)

    def take(self) -> int:
        got = os.read(self._read, 4)
        return int.from_bytes(got, "little") if len(got) == 4 else self.count

    def __enter__(self) -> Tickets:
        return self

    def __exit__(self, *_exc) -> None:
        os.close(self._read)


def _die_with_parent(parent: int) -> None:
    """Linux: have the kernel kill this child when the process that forked it dies.

    The build forks only from a single-threaded process, so the thread the signal
    follows is the whole parent. Elsewhere `_child` checks before writing."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    if os.getppid() != parent:  # it died before the request took effect
        os._exit(1)


def _child(
    job: Callable[[int, int], object], k: int, n: int, handle: IO[bytes], parent: int
) -> None:
    status = 0
    # A worker's young collections freed nothing (9 objects in a build of 10,000
    # articles) and took 2.8 s of its CPU there; it ends with `os._exit`, and its
    # inherited heap is frozen: it need not collect at all.
    gc.disable()
    try:
        _die_with_parent(parent)
        try:
            payload = ("ok", job(k, n))
        except DigestError as exc:
            payload = ("digest", exc.diagnostics)
        except BaseException:  # reported to the parent, which raises WorkerFailed
            payload = ("failed", traceback.format_exc())
        if os.getppid() != parent:  # orphaned: no one will read it
            status = 1
        else:
            pickling.dump(payload, handle)
            handle.flush()
    except BaseException:
        status = 1
    finally:
        os._exit(status)


def _collect(pid: int, handle: IO[bytes]) -> object:
    """The child's result: it wrote to the file both share, from its start."""
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise WorkerFailed(f"a build worker exited with status {code}")
    handle.seek(0)
    kind, value = pickle.load(handle)
    if kind == "digest":
        raise DigestError(value)
    if kind == "failed":  # the last line names the exception; --debug shows the rest
        last = str(value).strip().splitlines()[-1:] or ["unknown error"]
        raise WorkerFailed(f"a build worker failed: {last[0]}", str(value))
    return value
