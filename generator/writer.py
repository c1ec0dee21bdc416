"""`SiteWriter`: the only code that touches `site/` (DESIGN.md convention 8).

* refuses paths that would land outside the output folder, and a second write to a path;
* writes atomically (temporary file in the same folder, then `os.replace`);
* leaves files whose bytes are unchanged alone (their mtime too);
* `finish()` prunes files and empty folders that this build did not produce.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from generator.errors import DigestError, error

# Files the writer never prunes: put there by other tools on purpose.
KEEP = {".git", "pagefind"}


class SiteWriter:
    def __init__(self, root: Path):
        self.root = root
        self.written: set[str] = set()
        self.changed: list[str] = []

    def _target(self, path: str) -> Path:
        pure = PurePosixPath(path)
        if (
            not path
            or "\x00" in path
            or "\\" in path
            or pure.is_absolute()
            or any(part in ("..", ".", "") for part in pure.parts)
            or (pure.parts and ":" in pure.parts[0])
        ):
            raise DigestError([error(path or "<empty>", None, "refusing to write outside site/")])
        return self.root.joinpath(*pure.parts)

    def write(self, path: str, data: bytes) -> bool:
        """Write one output; returns True when the file changed."""
        target = self._target(path)
        if path in self.written:
            raise DigestError([error(path, None, "two pages want this output path")])
        self.written.add(path)
        try:
            if (
                target.is_file()
                and target.stat().st_size == len(data)
                and target.read_bytes() == data
            ):
                return False
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.chmod(tmp, 0o644)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise DigestError(
                [error(path, None, f"cannot write to {self.root.name}/: {exc.strerror}")]
            ) from None
        self.changed.append(path)
        return True

    def copy(self, path: str, source: Path) -> bool:
        return self.write(path, source.read_bytes())

    def finish(self) -> list[str]:
        """Prune what this build did not write; returns the removed paths."""
        removed: list[str] = []
        if not self.root.is_dir():
            return removed
        for dirpath, dirnames, filenames in os.walk(self.root, topdown=False):
            folder = Path(dirpath)
            rel_dir = folder.relative_to(self.root)
            if rel_dir.parts and rel_dir.parts[0] in KEEP:
                continue
            for name in filenames:
                rel = (rel_dir / name).as_posix()
                if rel not in self.written and not (not rel_dir.parts and name in KEEP):
                    (folder / name).unlink()
                    removed.append(rel)
            for name in dirnames:
                sub = folder / name
                if name in KEEP and not rel_dir.parts:
                    continue
                if sub.is_symlink():
                    sub.unlink()
                elif sub.is_dir() and not any(sub.iterdir()):
                    sub.rmdir()
        return sorted(removed)

    def reset(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
