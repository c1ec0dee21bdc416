"""`SiteWriter`: the only code that touches `site/` (DESIGN.md convention 8).

* refuses paths that would land outside the output folder, and a second write to a path;
* never publishes half a site: a build is written into a staging folder beside `site/`
  (`.site.staging`) and swapped in as a whole by `finish()`;
* leaves files whose bytes are unchanged alone: they are hard links to the old site's
  files, so they keep their inode and mtime;
* files the new build does not produce are not in the staging folder, so they are gone
  after the swap (the old "prune" semantics); files under `KEEP` (put into `site/` by
  other tools on purpose) are carried over.

The swap, and what a reader of `site/` (the dev server, a deploy step) sees:

1. Linux: `renameat2(RENAME_EXCHANGE)` exchanges `.site.staging` and `site` in one step.
   At every instant `site/` is a complete directory, the old one or the new one; a
   request resolving a path sees one or the other, and a file opened in the old tree
   stays readable until it is closed. The old tree (now at `.site.staging`) is deleted.
2. Elsewhere (or a filesystem without RENAME_EXCHANGE): `site` -> `.site.old`, then
   `.site.staging` -> `site`. Between the two renames `site/` is briefly missing; a build
   killed right there leaves `.site.old`, which the next build moves back first.
3. `site/` a mount point (rename gives EBUSY/EXDEV): the staged files are copied in one by
   one, each atomically (temp file + `os.replace`), then stale files are pruned. Only
   this case is not atomic as a whole; it is the old writer's behaviour.

A build killed at any point therefore leaves `site/` either the old site or the new one;
a leftover `.site.staging` is removed by the next build. Hold `buildlock.build_lock`
around a build so two builds never share the staging folder.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from generator import fileops
from generator.errors import DigestError, error
from generator.paths import unsafe_output_path

# Files the writer never prunes: put there by other tools on purpose.
KEEP = {".git", "pagefind"}


def _disk_hint(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return "; free some disk space and build again"
    return ""


class SiteWriter:
    def __init__(self, root: Path):
        self.root = root
        self.written: set[str] = set()
        self.changed: list[str] = []
        self._staging_ready = False
        self._pid = os.getpid()
        self._ahead: dict[str, _Spliced] = {}  # see `splice_ahead`
        self.removing: list[threading.Thread] = []  # see `_splice`

    # Paths -------------------------------------------------------------------------------
    @property
    def staging(self) -> Path:
        return self.root.with_name(f".{self.root.name}.staging")

    @property
    def old(self) -> Path:
        return self.root.with_name(f".{self.root.name}.old")

    def _target(self, path: str) -> PurePosixPath:
        problem = unsafe_output_path(path)
        if problem:
            raise DigestError(
                [
                    error(
                        path or "<empty>",
                        None,
                        f"refusing to write outside {self.root.name}/ ({problem}): "
                        "this output path comes from a slug or id; change it",
                    )
                ]
            )
        return PurePosixPath(path)

    def _fail(self, path: str, exc: OSError) -> DigestError:
        if os.getpid() == self._pid:  # a build worker leaves the staging folder to its parent
            self.abort()
        return DigestError(
            [
                error(
                    path,
                    None,
                    f"cannot write to {self.root.name}/: {exc.strerror or exc}"
                    f"{_disk_hint(exc)}; the previous {self.root.name}/ is unchanged",
                )
            ]
        )

    def _prepare(self) -> None:
        """Recover from a killed build, then start an empty staging folder."""
        if self._staging_ready:
            return
        if self.root.exists() and not self.root.is_dir():
            raise DigestError(
                [
                    error(
                        self.root.name,
                        None,
                        f"cannot write to {self.root.name}/: it exists and is not a folder; "
                        "move it away or set `output_dir`",
                    )
                ]
            )
        if not self.root.exists() and self.old.is_dir():
            os.rename(self.old, self.root)  # a swap was killed between its two renames
        shutil.rmtree(self.old, ignore_errors=True)
        shutil.rmtree(self.staging, ignore_errors=True)
        self.staging.mkdir(parents=True)
        self._staging_ready = True

    # Writing -----------------------------------------------------------------------------
    def write(self, path: str, data: bytes) -> bool:
        """Stage one output; returns True when it differs from the published file."""
        pure = self._target(path)
        if path in self.written:
            self._twice([path])
        self.written.add(path)
        try:
            self._prepare()
            old = self.root.joinpath(*pure.parts)
            staged = self.staging.joinpath(*pure.parts)
            staged.parent.mkdir(parents=True, exist_ok=True)
            if fileops.same_bytes(old, data):
                fileops.link_or_copy(old, staged)
                return False
            fileops.create_file(staged, data)
        except OSError as exc:
            raise self._fail(path, exc) from None
        self.changed.append(path)
        return True

    def adopt(self, written: list[str], changed: list[str]) -> None:
        """Take over what a build worker process staged with its copy of this writer."""
        twice = sorted(self.written.intersection(written))
        if twice:
            self.abort()
            self._twice(twice)
        self.written.update(written)
        self.changed.extend(changed)

    def update(
        self, outputs: list, previous: frozenset[str], kept: Iterable[frozenset[str]] = ()
    ) -> list[str]:
        """Bring the published site up to date in place, for `digest serve`'s incremental
        rebuilds (`pipeline.build` with a `Memory`): every output is rendered before this
        is called, and the dev server holds requests while it runs.

        `outputs` are `model.Output`s; a `kept` one must have been published by the last
        build (in `previous`), as must every path in `kept` (`model.KeptPages`), and a
        patched one must find the published file its patch was made from (else
        `NotPublished` is raised before anything is written: build in full instead).
        That the kept files are still there is not looked up here (25,950 at 10,000
        articles, 48 ms): `digest serve` does it once the changed pages are written
        (`first_missing`), and builds everything when one is gone.
        Changed files are replaced atomically; files in `previous` (the last build's
        outputs) that are no longer produced are removed. Returns the removed paths.
        """
        root = os.fspath(self.root)
        kept_pages: set[str] = set()
        for paths in kept:
            if not kept_pages.isdisjoint(paths):
                self._twice(sorted(kept_pages.intersection(paths)))
            kept_pages.update(paths)
        unpublished = kept_pages.difference(previous)
        if unpublished:
            raise NotPublished(min(unpublished))
        for output in outputs:
            if output.kept and output.path in previous:
                continue
            self._target(output.path)
            if output.kept:
                raise NotPublished(output.path)
            if output.patch is not None and not fileops.patchable(
                os.path.join(root, output.path), output.patch
            ):
                raise NotPublished(output.path)
        self.written.update(kept_pages)
        for output in outputs:
            if output.path in self.written:
                self._twice([output.path])
            self.written.add(output.path)
            if output.kept:
                continue
            target = self.root.joinpath(*PurePosixPath(output.path).parts)
            try:
                if output.patch is not None:
                    if output.patch.unchanged:
                        continue
                    if not self._splice(target, output):  # changed since checked
                        raise NotPublished(output.path)
                    self.changed.append(output.path)
                    continue
                if not output.differs and fileops.same_bytes(target, output.data):
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                fileops.replace_file(target, output.data)
            except OSError as exc:
                raise self._update_failed(output.path, exc) from None
            self.changed.append(output.path)
        removed = sorted(previous - self.written)
        for path in removed:
            target = self.root.joinpath(*PurePosixPath(path).parts)
            try:
                target.unlink(missing_ok=True)
            except IsADirectoryError:  # a folder put in its place by hand: not ours
                continue
            except OSError as exc:
                raise self._update_failed(path, exc) from None
            folder = target.parent
            while folder != self.root and folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
                folder = folder.parent
        return removed

    def splice_ahead(self, output) -> None:
        """Start making the new file of a patched `output` (`fileops.spliced_copy`) in a
        thread, for `update` to put in place: the kernel copies the unchanged ranges
        without holding the interpreter, so the copy runs while the rest of the rebuild
        renders (data/stories.json at 10,000 articles: 210 MB, 70-110 ms to copy). Call
        `discard_ahead` once `update` is done or was not reached."""
        patch = output.patch
        if patch is None or patch.unchanged or output.path in self._ahead:
            return
        self._target(output.path)
        target = self.root.joinpath(*PurePosixPath(output.path).parts)
        self._ahead[output.path] = _Spliced(target, patch)

    def discard_ahead(self) -> None:
        """Wait for the copies `splice_ahead` started and remove those not put in place."""
        ahead, self._ahead = self._ahead, {}
        for spliced in ahead.values():
            spliced.discard()

    def _splice(self, target: Path, output) -> bool:
        """`fileops.splice`, with the copy `splice_ahead` made when there is one."""
        spliced = self._ahead.pop(output.path, None)
        if spliced is None:
            return fileops.splice(target, output.patch)
        tmp = spliced.result()
        if tmp is None:
            return False
        replaced: list[str] = []
        fileops.place(tmp, target, replaced)
        if replaced:  # deleted while the rest is written and browsers are told
            self.removing.append(fileops.remove_in_thread(replaced))
        return True

    def first_missing(self, paths: Iterable[str]) -> str | None:
        """The first of `paths` (output paths) that is not in the published site."""
        return fileops.first_missing(os.fspath(self.root), list(paths))

    def _twice(self, paths: list[str]) -> None:
        raise DigestError(
            [
                error(p, None, "two pages want this output path: give one another slug")
                for p in paths
            ]
        )

    def _update_failed(self, path: str, exc: OSError) -> DigestError:
        return DigestError(
            [
                error(
                    path,
                    None,
                    f"cannot write to {self.root.name}/: {exc.strerror or exc}"
                    f"{_disk_hint(exc)}; the next rebuild writes every page again",
                )
            ]
        )

    def copy(self, path: str, source: Path) -> bool:
        return self.write(path, source.read_bytes())

    def staged_site(self) -> Path:
        """The staging folder holding every file written so far (for post-processors such
        as the search indexer, which must run before `finish` publishes the site)."""
        try:
            self._prepare()
        except OSError as exc:
            raise self._fail(self.root.name, exc) from None
        return self.staging

    def finish(self) -> list[str]:
        """Publish the staged site as a whole; returns the paths that are gone."""
        try:
            self._prepare()
            removed = self._carry_over_and_list_removed()
            self._swap()
        except OSError as exc:
            raise self._fail(self.root.name, exc) from None
        return removed

    def abort(self) -> None:
        """Drop the staged build; `site/` stays as it was."""
        shutil.rmtree(self.staging, ignore_errors=True)
        self._staging_ready = False

    def reset(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    # Internals ---------------------------------------------------------------------------
    def _carry_over_and_list_removed(self) -> list[str]:
        removed: list[str] = []
        if not self.root.is_dir():
            return removed
        for name in sorted(KEEP):
            source = self.root / name
            if (self.staging / name).exists():
                continue  # produced by this build (e.g. a fresh search index)
            if source.exists() or source.is_symlink():
                fileops.link_tree(source, self.staging / name)
        for dirpath, dirnames, filenames in os.walk(self.root):
            rel_dir = Path(dirpath).relative_to(self.root)
            if not rel_dir.parts:
                dirnames[:] = [d for d in dirnames if d not in KEEP]
                filenames = [f for f in filenames if f not in KEEP]
            for name in filenames:
                rel = (rel_dir / name).as_posix()
                if rel not in self.written:
                    removed.append(rel)
        return sorted(removed)

    def _swap(self) -> None:
        staging, root = self.staging, self.root
        if not root.exists():
            os.rename(staging, root)
        else:
            try:
                exchanged = fileops.exchange(staging, root)
            except OSError as exc:
                if exc.errno not in (errno.EBUSY, errno.EXDEV):
                    raise
                self._copy_into_place()
                return
            if not exchanged:
                try:
                    os.rename(root, self.old)
                except OSError as exc:
                    if exc.errno not in (errno.EBUSY, errno.EXDEV):
                        raise
                    self._copy_into_place()
                    return
                os.rename(staging, root)
                staging = self.old
            shutil.rmtree(staging, ignore_errors=True)
        self._staging_ready = False

    def _copy_into_place(self) -> None:
        """`site/` cannot be renamed (a mount point): update it file by file."""
        for dirpath, _dirnames, filenames in os.walk(self.staging):
            rel_dir = Path(dirpath).relative_to(self.staging)
            target_dir = self.root / rel_dir
            if target_dir.exists() and not target_dir.is_dir():
                target_dir.unlink()
            target_dir.mkdir(parents=True, exist_ok=True)
            for name in filenames:
                source, target = Path(dirpath) / name, target_dir / name
                if target.is_file() and os.path.samefile(source, target):
                    continue
                fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target_dir)
                os.close(fd)
                shutil.copy2(source, tmp)
                os.replace(tmp, target)
        for dirpath, dirnames, filenames in os.walk(self.root, topdown=False):
            rel_dir = Path(dirpath).relative_to(self.root)
            if rel_dir.parts and rel_dir.parts[0] in KEEP:
                continue
            for name in filenames:
                if not (self.staging / rel_dir / name).exists():
                    (Path(dirpath) / name).unlink()
            for name in dirnames:
                sub = Path(dirpath) / name
                if not (self.staging / rel_dir / name).exists() and sub.is_dir():
                    shutil.rmtree(sub, ignore_errors=True)
        self.abort()


class _Spliced(threading.Thread):
    """`fileops.spliced_copy(target, patch)`, running in its own thread."""

    def __init__(self, target: Path, patch) -> None:
        super().__init__(name="digest-splice", daemon=True)
        self.target, self.patch = target, patch
        self.tmp: str | None = None
        self.error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            self.tmp = fileops.spliced_copy(self.target, self.patch)
        except BaseException as exc:  # raised where the result is taken
            self.error = exc

    def result(self) -> str | None:
        """The new file's name (now the caller's to put in place or remove)."""
        self.join()
        if self.error is not None:
            raise self.error
        tmp, self.tmp = self.tmp, None
        return tmp

    def discard(self) -> None:
        self.join()
        if self.tmp is not None:
            Path(self.tmp).unlink(missing_ok=True)
            self.tmp = None


class NotPublished(Exception):
    """A kept output (`SiteWriter.update`) is not in the published site any more."""
