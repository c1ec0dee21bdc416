"""Helpers for tests that run the real `digest serve` in a subprocess and talk HTTP to it."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
WAIT = 60.0  # a safety net against hanging, not a speed requirement


class Served:
    """A running `digest serve`: its URL, its output, and helpers to talk to it."""

    def __init__(self, root: Path, *args: str):
        self.root = root
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(REPO)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "generator", "serve", "--root", str(root), "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.lines: list[str] = []
        self.errors: list[str] = []
        self._ready = threading.Event()
        self.url = ""
        threading.Thread(
            target=self._read, args=(self.proc.stdout, self.lines), daemon=True
        ).start()
        threading.Thread(
            target=self._read, args=(self.proc.stderr, self.errors), daemon=True
        ).start()
        if not self._ready.wait(WAIT):
            self.stop()
            raise AssertionError(f"server did not start: {self.lines} {self.errors}")
        parts = urlsplit(self.url)
        self.host, self.port, self.base = parts.hostname, parts.port, parts.path

    def _read(self, stream, into: list[str]) -> None:
        for line in stream:
            into.append(line.rstrip("\n"))
            if line.startswith("serving "):
                self.url = line.split()[1]
            if line.startswith("watching "):
                self._ready.set()

    def get(self, path: str = "", raw: bool = False) -> tuple[int, dict, bytes]:
        """GET a path below the base path (`raw`: the path as given, not normalised)."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=WAIT)
        try:
            conn.request("GET", path if raw else self.base + path)
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def text(self, path: str = "") -> str:
        status, _headers, body = self.get(path)
        assert status == 200, (path, status)
        return body.decode("utf-8")

    def status(self) -> dict:
        return json.loads(self.get("__digest/status")[2])

    def generation(self) -> int:
        return self.status()["generation"]

    def wait_reload(self, since: int) -> int:
        """Block until the events stream sends `reload` for a build newer than `since`."""
        url = f"{self.url}__digest/events?since={since}"
        # The server's keepalive lines arrive well within the socket timeout, so only
        # this deadline ends the wait for a reload that never comes.
        deadline = time.monotonic() + WAIT
        with urllib.request.urlopen(url, timeout=WAIT) as stream:
            assert stream.headers["Content-Type"] == "text/event-stream"
            event = None
            for raw in stream:
                if time.monotonic() > deadline:
                    raise AssertionError(f"no reload after build {since} within {WAIT} s")
                line = raw.decode("utf-8").rstrip("\n")
                if line.startswith("event: "):
                    event = line[len("event: ") :]
                elif line.startswith("data: ") and event == "reload":
                    return int(line[len("data: ") :])
        raise AssertionError("events stream closed without a reload")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("server did not stop on SIGINT") from None
        time.sleep(0.05)  # let the reader threads drain the pipes
        return self.proc.returncode


def edit(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def atomic_save(path: Path, text: str) -> None:
    """What vim/VS Code/JetBrains do: write a temp file beside it, then rename over it."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
