"""The results as one Markdown table, and the issue's targets checked against them."""

from __future__ import annotations

import re
from typing import Any

TARGET_N = 10_000


def _get(data: dict, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _s(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    return f"{value:.2f} s"


def _mib(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} MiB"


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def derived(size: dict) -> dict:
    """Ratios and per-article cost for one size."""
    n = size["n"]
    ours = _get(size, "digest", "cold", "seconds_median")
    ours_rss = _get(size, "digest", "cold", "peak_rss_mib_median")
    hugo = _get(size, "hugo", "seconds_median")
    pelican = _get(size, "pelican", "seconds_median")
    return {
        "vs_hugo": _ratio(ours, hugo),
        "vs_pelican": _ratio(ours, pelican),
        "rss_vs_hugo": _ratio(ours_rss, _get(size, "hugo", "peak_rss_mib_median")),
        "per_article_ms": ours * 1000 / n if ours is not None else None,
    }


def _serve_cell(entry: dict | None) -> str:
    if not entry:
        return "n/a"
    if "status" in entry:
        return entry["status"]
    return f"{_s(entry['median_seconds'])} / {_s(entry['max_seconds'])}"


def _status(value: float | None, limit: float, why: str = "") -> str:
    if value is None:
        if why.startswith(("n/a", "skipped")):
            return why
        return f"n/a ({why})" if why else "n/a"
    return "met" if value <= limit else "not met"


def targets(data: dict) -> list[dict]:
    """The issue's targets, judged at the largest size measured."""
    sizes = sorted(data["sizes"].values(), key=lambda s: s["n"])
    big = sizes[-1]
    d = derived(big)
    warm = _get(big, "digest", "warm", "seconds_median")
    article = _get(big, "serve", "article", "median_seconds")
    note = _get(big, "serve", "note", "median_seconds")
    linear = None
    if len(sizes) >= 2:
        small = derived(sizes[0])["per_article_ms"]
        large = d["per_article_ms"]
        linear = _ratio(large, small)
    serve_why = _get(big, "serve", "article", "status") or "not measured"
    note_why = _get(big, "serve", "note", "status") or "not measured"
    rows = [
        ("cold build <= 2x Hugo's wall time", _x(d["vs_hugo"]), d["vs_hugo"], 2.0, "no Hugo"),
        ("no-change rebuild (warm cache) <= 1 s", _s(warm), warm, 1.0, ""),
        ("article edit -> pages written <= 100 ms (median)", _s(article), article, 0.1, serve_why),
        ("note edit -> pages written <= 50 ms (median)", _s(note), note, 0.05, note_why),
        ("peak RSS <= half of Hugo's", _x(d["rss_vs_hugo"]), d["rss_vs_hugo"], 0.5, "no Hugo"),
        (
            "per-article cost at the largest N within 1.3x of the smallest",
            _x(linear),
            linear,
            1.3,
            "needs two sizes",
        ),
    ]
    return [
        {
            "target": name,
            "n": big["n"],
            "measured": shown,
            "status": _status(value, limit, why),
        }
        for name, shown, value, limit, why in rows
    ]


def markdown(data: dict) -> str:
    sizes = sorted(data["sizes"].values(), key=lambda s: s["n"])
    runs = data["settings"]["runs"]
    head = "| measurement | " + " | ".join(f"N = {s['n']:,}" for s in sizes) + " |"
    rule = "| --- |" + " --- |" * len(sizes)
    rows: list[tuple[str, list[str]]] = []

    def row(label: str, cell) -> None:
        rows.append((label, [cell(s) for s in sizes]))

    row(
        "pages built (ours / Hugo / Pelican)",
        lambda s: "{} / {} / {}".format(
            _get(s, "digest", "pages") or "n/a",
            _get(s, "hugo", "pages") or "n/a",
            _get(s, "pelican", "pages") or "n/a",
        ),
    )
    row(
        f"cold `digest build` (median of {runs})",
        lambda s: _s(_get(s, "digest", "cold", "seconds_median")),
    )
    row(
        "cold build: CPU time (user + system)",
        lambda s: _s(_get(s, "digest", "cold", "cpu_seconds_median")),
    )
    row("cold build: peak RSS", lambda s: _mib(_get(s, "digest", "cold", "peak_rss_mib_median")))
    row("cold build: per article", lambda s: f"{derived(s)['per_article_ms']:.2f} ms")
    row("no-change rebuild, warm cache", lambda s: _s(_get(s, "digest", "warm", "seconds_median")))
    row(
        "no-change rebuild: peak RSS",
        lambda s: _mib(_get(s, "digest", "warm", "peak_rss_mib_median")),
    )
    stage_names: list[str] = []
    for s in sizes:
        stage_names += [k for k in _get(s, "digest", "stages_cold") or {} if k not in stage_names]
    for name in stage_names:
        row(f"cold stage: {name}", lambda s, name=name: _s(_get(s, "digest", "stages_cold", name)))
    row(
        "serve: article edit -> last page written (median / max)",
        lambda s: _serve_cell(_get(s, "serve", "article")),
    )
    row(
        "serve: note edit -> last page written (median / max)",
        lambda s: _serve_cell(_get(s, "serve", "note")),
    )
    row(
        "Hugo cold build",
        lambda s: _get(s, "hugo", "status") or _s(_get(s, "hugo", "seconds_median")),
    )
    row("Hugo: CPU time (user + system)", lambda s: _s(_get(s, "hugo", "cpu_seconds_median")))
    row("Hugo: peak RSS", lambda s: _mib(_get(s, "hugo", "peak_rss_mib_median")))
    row(
        "Pelican cold build",
        lambda s: _get(s, "pelican", "status") or _s(_get(s, "pelican", "seconds_median")),
    )
    row("Pelican: CPU time (user + system)", lambda s: _s(_get(s, "pelican", "cpu_seconds_median")))
    row("Pelican: peak RSS", lambda s: _mib(_get(s, "pelican", "peak_rss_mib_median")))
    row("us / Hugo (cold wall time)", lambda s: _x(derived(s)["vs_hugo"]))
    row("us / Pelican (cold wall time)", lambda s: _x(derived(s)["vs_pelican"]))
    row("our peak RSS / Hugo's", lambda s: _x(derived(s)["rss_vs_hugo"]))

    lines = [head, rule]
    lines += [f"| {label} | " + " | ".join(cells) + " |" for label, cells in rows]
    big = sizes[-1]["n"]
    lines += [
        "",
        f"Targets (performance issue; defined at N = {TARGET_N:,}, judged here at N = {big:,}):",
        "",
        "| target | measured | status |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {t['target']} | {t['measured']} | {t['status']} |" for t in data["targets"]]
    machine = data["machine"]
    tools = []
    for s in sizes[-1:]:
        for tool in ("hugo", "pelican"):
            version = _get(s, tool, "version")
            if version:
                number = re.search(r"\d+\.\d+(?:\.\d+)?", version)
                tools.append(f"{tool.capitalize()} {number.group(0) if number else version}")
    lines += [
        "",
        f"{data['date']}, commit {data['commit']}, {machine['cpus']} CPUs, "
        f"Python {machine['python']}"
        + (f"; {'; '.join(tools)}" if tools else "")
        + f"; load average {machine.get('load_average_before', '?')} before the run, "
        f"{machine.get('load_average_after', '?')} after.",
    ]
    return "\n".join(lines)
