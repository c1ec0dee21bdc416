"""One build at a time per project: an advisory lock file holding the builder's pid.

The lock is `fcntl.flock` on `<cache_dir>/build.lock`: the kernel drops it when the
process ends, however it ends (SIGKILL included), so a killed build never leaves a stale
lock behind. A second build fails at once with a clear message instead of waiting or
interleaving its writes to `site/` and the cache with the first.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from generator.config import Config
from generator.errors import DigestError, error

try:
    import fcntl
except ImportError:  # Windows: no advisory locks here; builds are not serialised
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = "build.lock"


def lock_path(config: Config) -> Path:
    return config.root / config.cache_dir / LOCK_NAME


@contextmanager
def build_lock(config: Config) -> Iterator[None]:
    """Hold the project's build lock, or raise DigestError naming the other build."""
    path = lock_path(config)
    shown = f"{config.cache_dir}/{LOCK_NAME}"
    if fcntl is None:
        yield
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise DigestError(
            [error(shown, None, f"cannot create the build lock: {exc.strerror}")]
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            other = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise DigestError(
                [
                    error(
                        shown,
                        None,
                        f"another build is running (pid {other}): wait for it to finish "
                        "and build again",
                    )
                ]
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
