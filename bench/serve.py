#!/usr/bin/env python3
"""Benchmark: edit -> rebuilt pages latency under `digest serve`, and warm vs cold builds.

    python bench/serve.py --n 1000            # corpus of 1,000 articles (10,000: --n 10000)

Makes a corpus with the shared `make_corpus.py` (default: ../shared/bench/ beside the
repository; `--corpus-script` to point elsewhere) into bench/corpus/<n>/ (git-ignored),
then measures, each in a fresh process:

* cold build: `digest build --no-cache` with no site/ and no cache;
* cold build that fills the cache: `digest build` with no site/ and no cache;
* warm no-change build: `digest build` again (cache and site/ in place);
* under `digest serve`: 10 edits of one article's text and 10 edits of a note, each
  timed from the write to the `reload` event (pages written; includes the 100 ms
  debounce) and by the server's own "built in N ms" line (the rebuild alone).

Prints medians and maxima. Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def make_project(n: int, script: Path) -> Path:
    root = REPO / "bench" / "corpus" / str(n)
    articles = root / "content" / "articles"
    if not articles.is_dir() or len(list(articles.glob("*.md"))) != n:
        shutil.rmtree(root, ignore_errors=True)
        raw = root.parent / f"raw-{n}"
        cmd = [sys.executable, str(script), "--n", str(n), "--out", str(raw)]
        subprocess.run([*cmd, "--formats", "plain"], check=True)
        articles.mkdir(parents=True)
        for path in sorted((raw / "plain").glob("*.md")):
            path.replace(articles / path.name)
        shutil.rmtree(raw)
    notes = root / "content" / "notes"
    notes.mkdir(exist_ok=True)
    first = sorted(articles.glob("*.md"))[0].stem
    (notes / "bench-note.md").write_text(
        f"---\ntarget: {first}\nanchor: the\n---\n\nA note.\n", encoding="utf-8"
    )
    return root


def digest(*args: str) -> list[str]:
    return [sys.executable, "-m", "generator", *args]


def timed(cmd: list[str], root: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=root, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def build_figures(root: Path) -> dict[str, float]:
    def clean() -> None:
        shutil.rmtree(root / "site", ignore_errors=True)
        shutil.rmtree(root / ".digest-cache", ignore_errors=True)

    clean()
    cold = timed(digest("build", "--no-cache"), root)
    clean()
    cold_filling = timed(digest("build"), root)
    warm = min(timed(digest("build"), root) for _ in range(3))
    return {"cold (--no-cache)": cold, "cold, filling the cache": cold_filling, "warm": warm}


class Server:
    def __init__(self, root: Path):
        self.proc = subprocess.Popen(
            digest("serve", "--port", "0", "--root", str(root)),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: list[str] = []
        self.url = ""
        ready = threading.Event()

        def read() -> None:
            for line in self.proc.stdout:
                self.lines.append(line.rstrip())
                if line.startswith("serving "):
                    self.url = line.split()[1]
                if line.startswith("watching "):
                    ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(600):
            raise SystemExit("digest serve did not start")

    def generation(self) -> int:
        import json

        with urllib.request.urlopen(self.url + "__digest/status") as r:
            return json.load(r)["generation"]

    def edit_and_wait(self, path: Path, text: str) -> tuple[float, float]:
        since = self.generation()
        stream = urllib.request.urlopen(f"{self.url}__digest/events?since={since}", timeout=600)
        stream.readline()  # "retry:" line: the stream is open before the edit
        count = len(self.lines)
        start = time.perf_counter()
        path.write_text(text, encoding="utf-8")
        for raw in stream:
            if raw.startswith(b"event: reload"):
                break
        total = time.perf_counter() - start
        stream.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            built = [line for line in self.lines[count:] if line.startswith("built in ")]
            if built:
                return total, float(re.match(r"built in (\d+) ms", built[-1]).group(1)) / 1000
            time.sleep(0.01)
        return total, float("nan")

    def stop(self) -> None:
        self.proc.send_signal(2)
        self.proc.wait(60)


def serve_figures(root: Path, edits: int) -> dict[str, tuple[list[float], list[float]]]:
    server = Server(root)
    try:
        articles = sorted((root / "content" / "articles").glob("*.md"))
        article = articles[len(articles) // 2]
        original = article.read_text(encoding="utf-8")
        note = root / "content" / "notes" / "bench-note.md"
        note_text = note.read_text(encoding="utf-8")
        results: dict[str, tuple[list[float], list[float]]] = {
            "article": ([], []),
            "note": ([], []),
        }
        for i in range(edits):
            total, built = server.edit_and_wait(article, original + f"\nEdit number {i}.\n")
            results["article"][0].append(total)
            results["article"][1].append(built)
        for i in range(edits):
            total, built = server.edit_and_wait(note, note_text + f"\nNote edit {i}.\n")
            results["note"][0].append(total)
            results["note"][1].append(built)
        article.write_text(original, encoding="utf-8")
        note.write_text(note_text, encoding="utf-8")
    finally:
        server.stop()
    return results


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="articles in the corpus")
    parser.add_argument("--edits", type=int, default=10)
    parser.add_argument(
        "--corpus-script",
        type=Path,
        default=REPO.parent / "shared" / "bench" / "make_corpus.py",
        help="the shared corpus generator (make_corpus.py)",
    )
    args = parser.parse_args()
    os.environ["PYTHONPATH"] = str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")
    root = make_project(args.n, args.corpus_script)
    print(f"corpus: {args.n} articles in {root.relative_to(REPO)}")
    builds = build_figures(root)
    for name, seconds in builds.items():
        print(f"build {name}: {seconds:.2f} s")
    ratio = builds["warm"] / builds["cold (--no-cache)"]
    print(f"warm / cold: {ratio:.0%}")
    for name, (totals, builts) in serve_figures(root, args.edits).items():
        print(
            f"serve, {name} edit -> reload event: median {ms(statistics.median(totals))}, "
            f"max {ms(max(totals))}; rebuild alone: median {ms(statistics.median(builts))}, "
            f"max {ms(max(builts))} ({len(totals)} edits)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
