"""Edit latency in `digest serve`: file write -> last changed page written.

Generic over the serve implementation: it starts `python -m generator serve` as a
subprocess on a free port, waits for the first build to fill `site/` and for the server
to answer HTTP (it is ready), then for each edit writes one content file and
polls the page that must change until it shows the edit; once `site/` has settled, the
latency is the newest mtime among the files that changed, minus the mtime of the edited
file (both stamped by the same file-system clock).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.measure import digest_help

POLL = 0.002  # seconds between polls of the expected page
SETTLE = 0.3  # seconds without a new write before a scan counts as settled
TIMEOUT = 30.0  # per edit, and for the first build (x10)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _scan(site: Path) -> dict[str, int]:
    """mtime_ns of every file under site/."""
    found: dict[str, int] = {}
    stack = [str(site)]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
            elif entry.is_file(follow_symlinks=False):
                with contextlib.suppress(FileNotFoundError):
                    found[entry.path] = entry.stat().st_mtime_ns
    return found


def _settled(site: Path, limit: float = TIMEOUT) -> dict[str, int]:
    """Scan until two scans SETTLE apart agree (nothing written in between)."""
    deadline = time.monotonic() + limit
    before = _scan(site)
    while True:
        time.sleep(SETTLE)
        after = _scan(site)
        if after == before or time.monotonic() > deadline:
            return after
        before = after


def _wait_for(pages: list[Path], marker: str, limit: float) -> bool:
    """Poll `pages` until one of them contains `marker`."""
    deadline = time.monotonic() + limit
    seen: dict[Path, int] = {}
    needle = marker.encode("utf-8")
    while time.monotonic() < deadline:
        for page in pages:
            try:
                mtime = page.stat().st_mtime_ns
            except FileNotFoundError:
                continue
            if seen.get(page) == mtime:
                continue
            seen[page] = mtime
            try:
                if needle in page.read_bytes():
                    return True
            except FileNotFoundError:
                continue
        time.sleep(POLL)
    return False


def _wait_gone(page: Path, marker: str, limit: float) -> bool:
    """Poll `page` until it no longer contains `marker` (an edit was undone)."""
    deadline = time.monotonic() + limit
    needle = marker.encode("utf-8")
    while time.monotonic() < deadline:
        with contextlib.suppress(FileNotFoundError):
            if needle not in page.read_bytes():
                return True
        time.sleep(POLL)
    return False


def _port(cmd: list[str]) -> int | None:
    """The port a server command was given (`--port N`), if any."""
    try:
        return int(cmd[cmd.index("--port") + 1])
    except (ValueError, IndexError):
        return None


def _wait_answering(port: int, limit: float) -> bool:
    """Poll until an HTTP server on 127.0.0.1:`port` answers. A dev server that builds
    before it serves (digest serve, hugo server) is ready only then; its socket may
    accept connections long before (an edit made earlier would be timed with the rest
    of its start)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=0.5)
        try:
            conn.request("GET", "/")
            conn.getresponse().read()
            return True
        except (OSError, http.client.HTTPException):
            time.sleep(POLL * 10)
        finally:
            conn.close()
    return False


def _page(site: Path, kind: str, key: str) -> Path:
    try:
        from generator.urls import Urls, output_file

        return site / output_file(Urls.path(kind, key))
    except (ImportError, KeyError):
        return site / f"{kind}s" / key / "index.html"


def _one_edit(site: Path, path: Path, text: str, pages: list[Path], marker: str) -> dict | None:
    baseline = _settled(site)
    wall = time.monotonic()
    path.write_text(text, encoding="utf-8")
    written_ns = path.stat().st_mtime_ns
    if not _wait_for(pages, marker, TIMEOUT):
        return None
    seen = time.monotonic() - wall
    after = _settled(site)
    changed = [m for p, m in after.items() if baseline.get(p) != m]
    last = max(changed) if changed else written_ns
    return {
        "last_page_seconds": max(0.0, (last - written_ns) / 1e9),
        "expected_page_seen_seconds": seen,
        "files_changed": len(changed),
    }


def _stats(samples: list[dict]) -> dict:
    values = [s["last_page_seconds"] for s in samples]
    return {
        "median_seconds": statistics.median(values),
        "max_seconds": max(values),
        "samples": samples,
    }


def serve_command(project: Path) -> list[str] | None:
    """How to start `digest serve` on a free local port; None when there is no serve."""
    help_text = digest_help("serve")
    if not help_text:
        return None
    cmd = [sys.executable, "-m", "generator", "serve", "--root", str(project)]
    if "--port" in help_text:
        cmd += ["--port", str(_free_port())]
    if "--host" in help_text:
        cmd += ["--host", "127.0.0.1"]
    if "--no-open" in help_text:
        cmd += ["--no-open"]
    return cmd


def measure(
    project: Path,
    edits: int,
    article: Path,
    note: Path | None,
    log: Path,
    command: list[str] | None = None,
) -> dict:
    """{'article': stats | status, 'note': stats | status} for `edits` edits each.

    `command` replaces `digest serve` (any process that rebuilds site/ on change).
    """
    cmd = command or serve_command(project)
    if cmd is None:
        status = {"status": "n/a (no serve command)"}
        return {"article": status, "note": status}
    site = project / "site"
    shutil.rmtree(site, ignore_errors=True)
    originals = {p: p.read_text(encoding="utf-8") for p in (article, note) if p is not None}
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=project, stdout=out, stderr=subprocess.STDOUT)
    result: dict = {}
    try:
        article_page = _page(site, "article", article.stem)
        if not _wait_for([article_page], "<", TIMEOUT * 10):
            status = {"status": "n/a (serve wrote no site/ page)"}
            return {"article": status, "note": status}
        port = _port(cmd)
        if port is not None and not _wait_answering(port, TIMEOUT * 10):
            status = {"status": "n/a (serve never answered)"}
            return {"article": status, "note": status}
        _settled(site)
        samples = []
        for i in range(edits):
            marker = f"Benchmark edit {i + 1} of the article."
            text = originals[article].rstrip("\n") + f"\n\n{marker}\n"
            sample = _one_edit(site, article, text, [article_page], marker)
            if sample is None:
                samples = []
                break
            samples.append(sample)
        result["article"] = _stats(samples) if samples else {"status": "n/a (edit not seen)"}
        article.write_text(originals[article], encoding="utf-8")
        # Wait for the rebuild that undoes the last edit: it writes only when it ends, so
        # `_settled` alone can pass before it and count its files in the first note edit.
        if samples:
            _wait_gone(article_page, f"Benchmark edit {edits} of the article.", TIMEOUT)
        if note is None:
            result["note"] = {"status": "n/a (no note in the corpus)"}
            return result
        target = _note_target(originals[note])
        pages = [_page(site, "article", target), _page(site, "note", note.stem)]
        samples = []
        for i in range(edits):
            marker = f"revision {i + 1} of this note"
            text = originals[note].replace("Editor's note", f"Editor's note ({marker})", 1)
            sample = _one_edit(site, note, text, pages, marker)
            if sample is None:
                samples = []
                break
            samples.append(sample)
        result["note"] = _stats(samples) if samples else {"status": "n/a (note edit not seen)"}
        return result
    finally:
        for path, text in originals.items():
            path.write_text(text, encoding="utf-8")
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _note_target(text: str) -> str:
    for line in text.splitlines():
        if line.startswith("target:"):
            return line.split(":", 1)[1].strip()
    return ""
