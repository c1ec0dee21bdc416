"""`digest serve`: build, serve `site/` under the base path, rebuild on change, reload tabs.

The design is MkDocs' livereload plus Zola's error overlay (DESIGN.md convention 9):

* the build loop (`devserver.DevServer`) runs on the main thread; HTTP requests run on
  their own threads and wait while a build runs, so a half-written site is never served;
* the reload script and the error overlay are injected into HTML responses at serve
  time only: the files in `site/` are exactly what `digest build` writes;
* `<base>__digest/events?since=N` is a Server-Sent Events stream that sends one
  `reload` event once a build newer than N has completed, then closes;
* a failed build leaves the last good site in place; its diagnostics are printed and
  shown over every page until the next good build clears them. Nothing in the content
  can stop the server.
"""

from __future__ import annotations

import html
import json
import mimetypes
import signal
import sys
import threading
import webbrowser
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from generator.cache import Cache
from generator.config import Config
from generator.devserver import DevServer, State
from generator.watch import Watcher

EVENTS = "__digest/events"
STATUS = "__digest/status"
KEEPALIVE = 2.0  # seconds between SSE comments: how fast a closed tab's thread ends

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
    ".webmanifest": "application/manifest+json",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".wasm": "application/wasm",
}

RELOAD_SCRIPT = """<script>(function () {
  if (!window.EventSource) return;
  var source = new EventSource(%s);
  source.addEventListener("reload", function () { source.close(); location.reload(); });
})();</script>
"""

OVERLAY = """<div id="digest-error-overlay" role="alert" style="position:fixed;inset:0;\
z-index:2147483647;overflow:auto;background:rgba(40,0,0,.94);color:#fff;padding:2rem;\
font:15px/1.5 ui-monospace,monospace">
<p style="font-size:1.3em;margin:0 0 1em">The last build failed: this is the last good \
site. Fix the problem below and save; this message goes away by itself.</p>
<pre style="white-space:pre-wrap;margin:0">%s</pre>
<button type="button" style="margin-top:1.5em" \
onclick="this.parentNode.remove()">Hide this message</button>
</div>
"""


def content_type(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in TYPES:
        return TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def inject(page: bytes, snippet: str) -> bytes:
    """Insert `snippet` before the last `</body>` (or at the end)."""
    data = snippet.encode("utf-8")
    index = page.lower().rfind(b"</body>")
    if index < 0:
        return page + data
    return page[:index] + data + page[index:]


def safe_target(site: Path, rel: str) -> Path | None:
    """The file for a decoded URL path below the base, or None if it would leave `site`."""
    if "\x00" in rel or "\\" in rel:
        return None
    parts = [p for p in rel.split("/") if p]
    if any(p in (".", "..") for p in parts):
        return None
    target = site.joinpath(*parts) if parts else site
    try:
        real = target.resolve()
        if not real.is_relative_to(site.resolve()):
            return None  # a symlink out of the site
    except (OSError, RuntimeError):
        return None
    return target


class Handler(BaseHTTPRequestHandler):
    server_version = "digest-serve"
    state: State  # set on the subclass made by `make_server`

    def log_message(self, format: str, *args) -> None:  # quiet: the terminal is for builds
        return

    def do_HEAD(self) -> None:
        self.do_GET(head=True)

    def do_GET(self, head: bool = False) -> None:
        state = self.state
        base = state.base_path
        raw = urlsplit(self.path)
        path = raw.path
        if path == base + EVENTS:
            return self.events(parse_qs(raw.query))
        if path == base + STATUS:
            with state.cond:
                body = {
                    "generation": state.generation,
                    "building": state.building,
                    "errors": state.errors,
                    "threads": threading.active_count(),
                }
            return self.send(200, json.dumps(body).encode(), "application/json", head)
        if not path.startswith(base):
            if path + "/" == base:
                return self.redirect(base)
            return self.not_found(head)
        try:
            rel = unquote(path[len(base) :], errors="strict")
        except UnicodeDecodeError:
            return self.not_found(head)
        with state.cond:
            while state.building and not state.stopping:
                state.cond.wait()
            target = safe_target(state.site, rel)
            if target is not None and target.is_dir():
                if not path.endswith("/"):
                    query = f"?{raw.query}" if raw.query else ""
                    return self.redirect(path + "/" + query)
                target = target / "index.html"
            data = None
            if target is not None and target.is_file():
                try:
                    data = target.read_bytes()
                except OSError:
                    data = None
            generation, errors = state.generation, list(state.errors)
        if data is None:
            return self.not_found(head)
        kind = content_type(target)
        if kind.startswith("text/html"):
            data = inject(data, self.snippet(generation, errors))
        self.send(200, data, kind, head)

    def snippet(self, generation: int, errors: list[str]) -> str:
        url = f"{self.state.base_path}{EVENTS}?since={generation}"
        text = RELOAD_SCRIPT % json.dumps(url).replace("<", "\\u003c")
        if errors:
            text = OVERLAY % html.escape("\n".join(errors)) + text
        return text

    def not_found(self, head: bool) -> None:
        state = self.state
        with state.cond:
            page = state.site / "404.html"
            data = page.read_bytes() if page.is_file() else b""
            generation, errors = state.generation, list(state.errors)
        if not data:
            data = b"<!DOCTYPE html><title>Not found</title><body><h1>Not found</h1></body>"
        data = inject(data, self.snippet(generation, errors))
        self.send(404, data, "text/html; charset=utf-8", head)

    def redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def send(self, status: int, data: bytes, kind: str, head: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def events(self, query: dict[str, list[str]]) -> None:
        """One `reload` event once a build newer than `since` has completed."""
        state = self.state
        with state.cond:
            current = state.generation
        try:
            since = int(query.get("since", [current])[0])
        except ValueError:
            since = current
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        try:
            self.wfile.write(b"retry: 1000\n\n")
            self.wfile.flush()
            while True:
                with state.cond:
                    if state.generation <= since and not state.stopping:
                        state.cond.wait(KEEPALIVE)
                    generation, stopping = state.generation, state.stopping
                if generation > since:
                    self.wfile.write(b"event: reload\ndata: %d\n\n" % generation)
                    self.wfile.flush()
                    return
                if stopping:
                    return
                self.wfile.write(b": keepalive\n\n")  # fails once the tab has gone
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            return


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address) -> None:
        """A browser that went away mid-answer (a tab closed, a reload, a client that
        gave up waiting for a rebuild) is no error: nothing to print. Anything else is a
        bug, reported as the standard library does."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def make_server(host: str, port: int, state: State) -> Server:
    handler = type("BoundHandler", (Handler,), {"state": state})
    return Server((host, port), handler)


def run(
    root: Path,
    load_config: Callable[[], Config],
    host: str,
    port: int,
    base_path: str | None,
    cache: Cache | None,
    open_browser: bool = False,
) -> int:
    def out(text: str) -> None:
        print(text, flush=True)

    # Ctrl-C and SIGTERM ask the build loop to stop once the current build is done (so
    # no exception lands inside a lock or the watcher); a second Ctrl-C stops at once.
    # Installed first, so that they work even when SIGINT was inherited as ignored.
    stop = threading.Event()
    watcher: Watcher | None = None

    def request_stop(signum, frame) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        if watcher is not None:
            watcher.flag.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    server = http_thread = None
    dev = DevServer(root, load_config, base_path, cache, out)
    state = dev.state
    try:
        try:
            server = make_server(host, port, state)
        except OSError as exc:
            print(f"error: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr)
            return 1
        # The first build runs before any other thread starts, so that its stages can
        # fork worker processes (`parallel.Workers`): 130 s instead of 173 s at 10,000
        # articles. Edits made meanwhile were not watched: a rebuild that reads every
        # file once the watcher runs catches them (incremental, so quick without any).
        dev.rebuild()
        watcher = Watcher(dev.config)
        count = watcher.start()
        dev.rebuild(quiet=True)
        dev.memory.warm()
        shown_host = f"[{host}]" if ":" in host else host
        url = f"http://{shown_host}:{server.server_address[1]}{state.base_path}"
        http_thread = threading.Thread(target=server.serve_forever, name="http", daemon=True)
        http_thread.start()
        out(f"serving {url}")
        out(f"watching {count} paths (Ctrl-C to stop)")
        if open_browser:
            threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
        while not stop.is_set():
            changed = watcher.wait(timeout=1.0)
            if stop.is_set():
                break
            if not changed:
                continue
            # New folders are watched before the build reads them (see Watcher.update).
            new_count = watcher.update(dev.current_config(), changed)
            dev.rebuild(changed)
            if new_count != count:
                count = new_count
                out(f"watching {count} paths")
        out("stopping")
    finally:
        with state.cond:
            state.stopping = True
            state.cond.notify_all()
        if watcher is not None:
            watcher.stop()
        if http_thread is not None:
            server.shutdown()
        if server is not None:
            server.server_close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if cache is not None:
            # A failed or incremental build used only part of it: prune after full ones.
            cache.save(prune=not state.errors and dev.last_full)
            for d in cache.diagnostics:
                print(d, file=sys.stderr)
    return 0
