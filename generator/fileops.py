"""File operations of `SiteWriter` (generator/writer.py), the only code that uses them:
atomic replacement (a temp file beside the target, then an exchange or a rename), a
data file spliced from its published version, hard links that keep a file's inode and
mtime, and looking many files up from one open folder."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import os
import shutil
import stat
import sys
import tempfile
import threading
from itertools import filterfalse
from pathlib import Path

from generator.model import Patch

_AT_FDCWD = -100
# copy_file_range cannot copy between these files (or this kernel lacks it): read and write.
_NO_COPY_RANGE = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EBADF}
_RENAME_EXCHANGE = 2


@functools.cache
def _renameat2():
    """The C library's renameat2 (Linux), or None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None


def exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths (Linux renameat2). False when not supported here."""
    call = _renameat2()
    if call is None:
        return False
    result = call(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def same_bytes(path: Path, data: bytes) -> bool:
    """`path` is a regular file (not a link) holding exactly `data`."""
    return (
        path.is_file()
        and not path.is_symlink()
        and path.stat().st_size == len(data)
        and path.read_bytes() == data
    )


def create_file(target: Path, data: bytes) -> None:
    """Write `data` to `target`, a new file: for the writer's staging folder, which no
    one else reads until it is swapped in whole, so the write need not be atomic by
    itself (a temp file and a rename each: 0.34 s for 8,000 pages on tmpfs, against
    0.20 s). An existing `target` is an error, never overwritten."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o644)  # the same mode whatever the umask, as `replace_file`
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except BaseException:
        os.close(fd)
        target.unlink(missing_ok=True)
        raise
    os.close(fd)


def replace_file(target: Path, data: bytes) -> None:
    """Write `data` to `target` atomically: a temp file beside it, then `put_in_place`."""
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        put_in_place(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def put_in_place(tmp: str, target: Path, later: list[str] | None = None) -> None:
    """`os.replace(tmp, target)`, as atomic. A regular file already at `target` is
    exchanged with `tmp` instead (Linux), then deleted: renamed over another file, ext4
    writes the new one out before the rename returns (its `auto_da_alloc` guard for
    programs that never call fsync), 0.13 s for the 200 MB data/stories.json of a
    10,000-article site; exchanged, it is written back in the background like any file.
    With `later`, the old file (now under the temp name) is added to it, for the caller
    to delete (`remove_in_thread`), instead of deleted here.
    """
    try:
        existing = stat.S_ISREG(os.lstat(target).st_mode)
        exchanged = existing and exchange(Path(tmp), target)
    except OSError:
        exchanged = False
    if not exchanged:
        os.replace(tmp, target)
    elif later is not None:
        later.append(tmp)
    else:
        os.unlink(tmp)  # the old file, now under the temp name


def remove_in_thread(paths: list[str]) -> threading.Thread:
    """Delete `paths` in a thread: freeing a 210 MB file's blocks takes ext4 13-18 ms,
    without holding the interpreter. Not a daemon: Python waits for it before it exits,
    so only a killed process can leave such a file (as it can a temp file it was
    writing), and the next full build, which replaces `site/` whole, removes it."""
    thread = threading.Thread(target=_remove, args=(paths,), name="digest-remove")
    thread.start()
    return thread


def _remove(paths: list[str]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            os.unlink(path)


def first_missing(root: str, paths: list[str]) -> str | None:
    """The first of `paths` (inside `root`) that is not there, or a link to nothing.
    Where the system can, each is looked up from `root` opened once, with `access`
    rather than `stat` (which makes an object of every answer): 25,950 kept pages per
    rebuild at 10,000 articles, 44 ms rather than 75. So a folder made where a page was
    is not seen here; the writer meets it when that page changes."""
    if os.access not in os.supports_dir_fd:
        return next((p for p in paths if not os.path.isfile(os.path.join(root, p))), None)
    try:
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return paths[0] if paths else None
    try:
        there = functools.partial(os.access, mode=os.F_OK, dir_fd=fd)
        return next(filterfalse(there, paths), None)
    finally:
        os.close(fd)


def patchable(path: str, patch: Patch) -> bool:
    """`path` is a regular file (not a link) of the size `patch`'s ranges refer to."""
    try:
        return _patch_source(os.lstat(path), patch)
    except OSError:
        return False


def _patch_source(info: os.stat_result, patch: Patch) -> bool:
    return stat.S_ISREG(info.st_mode) and info.st_size == patch.old_size


def splice(target: Path, patch: Patch) -> bool:
    """Write `patch`'s bytes to `target` atomically, copying its ranges of the published
    file inside the kernel. False, with nothing written, when that file is not the one
    they refer to (not a regular file, or not of `patch.old_size` bytes)."""
    tmp = spliced_copy(target, patch)
    if tmp is None:
        return False
    place(tmp, target)
    return True


def place(tmp: str, target: Path, later: list[str] | None = None) -> None:
    """`put_in_place`, removing `tmp` when that fails."""
    try:
        put_in_place(tmp, target, later)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def spliced_copy(target: Path, patch: Patch) -> str | None:
    """The first half of `splice`: `patch`'s bytes in a new file beside `target`, whose
    name is returned (for `put_in_place`); None, with nothing left, when the published
    file is not the one the patch refers to."""
    try:
        source = os.open(target, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        if not _patch_source(os.fstat(source), patch):
            return None
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb", buffering=0) as handle:
                for piece in patch.pieces:
                    if isinstance(piece, bytes):
                        handle.write(piece)
                    else:
                        _copy_range(source, handle.fileno(), *piece)
            os.chmod(tmp, 0o644)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    finally:
        os.close(source)
    return tmp


def _copy_range(source: int, target: int, start: int, end: int) -> None:
    """Append bytes `start:end` of `source` to `target` (at its current offset):
    `copy_file_range` where the system has it, else read and write."""
    while start < end:
        try:
            done = os.copy_file_range(source, target, end - start, start)
        except (AttributeError, OSError) as exc:  # no such call here, or not between these
            if isinstance(exc, OSError) and exc.errno not in _NO_COPY_RANGE:
                raise
            done = _write_all(target, os.pread(source, min(end - start, 1 << 24), start))
        if done <= 0:
            raise OSError(errno.EIO, "the published file got shorter while it was copied")
        start += done


def _write_all(fd: int, data: bytes) -> int:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    return len(data)


def link_or_copy(source: Path, target: Path) -> None:
    """Hard link (same inode, same mtime), or a copy with the mtime kept."""
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, target, follow_symlinks=False)


def link_tree(source: Path, target: Path) -> None:
    if source.is_symlink() or not source.is_dir():
        link_or_copy(source, target)
        return
    shutil.copytree(source, target, symlinks=True, copy_function=_copy_function)


def _copy_function(src: str, dst: str) -> None:
    link_or_copy(Path(src), Path(dst))
