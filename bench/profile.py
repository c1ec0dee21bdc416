"""Profile one cold `digest build` with cProfile (standard library) and list the top costs."""

from __future__ import annotations

import io
import pstats
import sys
from pathlib import Path

from bench.measure import clean, run_measured

TOP = 25


def _shown(path: Path) -> str:
    """The path relative to the repository (results are committed: no machine paths)."""
    repo = Path(__file__).resolve().parent.parent
    try:
        return str(path.resolve().relative_to(repo))
    except ValueError:
        return path.name


def profile_build(project: Path, logs: Path) -> dict:
    clean(project / "site", project / ".digest-cache")
    stats_file = logs / "cold-build.prof"
    cmd = [sys.executable, "-m", "cProfile", "-o", str(stats_file)]
    cmd += ["-m", "generator", "build", "--root", str(project)]
    run = run_measured(cmd, project, logs / "profile.log")
    stats = pstats.Stats(str(stats_file))
    total = stats.total_tt  # type: ignore[attr-defined]
    rows = []
    for (filename, line, func), (_cc, calls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append(
            {
                "function": f"{Path(filename).name}:{line}({func})",
                "calls": calls,
                "own_seconds": round(tottime, 4),
                "cumulative_seconds": round(cumtime, 4),
            }
        )
    by_own = sorted(rows, key=lambda r: -r["own_seconds"])[:TOP]
    by_cum = sorted(rows, key=lambda r: -r["cumulative_seconds"])[:TOP]
    text = io.StringIO()
    pstats.Stats(str(stats_file), stream=text).sort_stats("cumulative").print_stats(40)
    (logs / "profile-cumulative.txt").write_text(text.getvalue(), encoding="utf-8")
    print(f"  profile: {run.seconds:.2f}s under cProfile; {_shown(stats_file)}", file=sys.stderr)
    for r in by_own[:15]:
        print(
            f"    {r['own_seconds']:8.3f}s own {r['cumulative_seconds']:8.3f}s cum "
            f"{r['calls']:>9} calls  {r['function']}",
            file=sys.stderr,
        )
    return {
        "profiled_seconds": round(run.seconds, 3),
        "profiled_total_seconds": round(total, 3),
        "top_own": by_own,
        "top_cumulative": by_cum,
        "stats_file": _shown(stats_file),
    }
