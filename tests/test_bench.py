"""The benchmark harness: `digest build --timings`, the corpus converter, the serve probe.

No timing is asserted (speed is measured by `python -m bench`, not tested): these tests
check that the harness measures the right things on real builds.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

from bench import corpus as corpus_mod
from bench import serve_edit
from bench.run import REPO
from generator.cli import main
from generator.frontmatter import split
from generator.load import read_config
from generator.pipeline import build


def _shared_script() -> Path | None:
    for parent in REPO.parents:
        script = parent / "shared" / "bench" / "make_corpus.py"
        if script.is_file():
            return script
    return None


@pytest.fixture(scope="module")
def bench_project(tmp_path_factory) -> Path:
    script = _shared_script()
    if script is None:
        pytest.skip("shared/bench/make_corpus.py is not beside the repository")
    root = tmp_path_factory.mktemp("bench")
    corpus_mod.make_corpus(script, 24, 42, root / "corpus")
    corpus_mod.make_project(root / "corpus", root / "project", 24)
    return root / "project"


def test_build_timings_flag_writes_seconds_per_stage(bundled, tmp_path):
    out = tmp_path / "timings.json"
    assert main(["build", "--root", str(bundled), "--timings", str(out)]) == 0
    timings = json.loads(out.read_text())
    for stage in ("load", "parse", "render", "write"):
        assert isinstance(timings[stage], float) and timings[stage] >= 0


def test_corpus_becomes_a_project_that_builds_without_warnings(bench_project):
    articles = sorted((bench_project / "content" / "articles").glob("*.md"))
    assert len(articles) == 24
    # `topic:` is not one of our fields: the converter drops it, keeps the rest.
    meta, *_ = split(articles[0].read_text())
    assert "topic" not in meta
    assert {"title", "date", "source", "story", "tags"} <= set(meta)
    result = build(read_config(bench_project))
    assert result.diagnostics == []
    assert (bench_project / "site" / "articles" / articles[0].stem / "index.html").is_file()


def test_entity_registry_files_follow_the_design_format(bench_project):
    entities = sorted((bench_project / "content" / "entities").glob("*.md"))
    assert len(entities) == 500  # the corpus pool: 240 people, 140 places, 120 organisations
    types = set()
    for path in entities:
        meta, _, body, _ = split(path.read_text())
        assert set(meta) == {"name", "type", "aliases"}
        assert isinstance(meta["aliases"], list)
        assert corpus_mod.slugify(meta["name"]) == path.stem
        assert meta["name"] in body
        types.add(meta["type"])
    assert types == {"person", "place", "organization"}


def test_note_anchors_are_exact_passages_of_their_articles(bench_project):
    notes = sorted((bench_project / "content" / "notes").glob("*.md"))
    assert len(notes) >= corpus_mod.MIN_NOTES
    for note in notes:
        meta, *_ = split(note.read_text())
        article = bench_project / "content" / "articles" / f"{meta['target']}.md"
        _, _, body, _ = split(article.read_text())
        paragraphs = [p for p in body.split("\n\n") if not p.startswith("#")]
        assert any(meta["anchor"] in p for p in paragraphs), note.name


TOY_SERVE = """
    import sys, time
    from pathlib import Path
    from generator.load import read_config
    from generator.pipeline import build

    root = Path(sys.argv[1])
    # Optional: a log of the edited files each rebuild saw, and a delay before each
    # rebuild (a slow rebuild: it writes nothing until it ends).
    log = Path(sys.argv[2]) if len(sys.argv) > 2 else None
    delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    def snap():
        return {p: p.stat().st_mtime_ns for p in (root / "content").rglob("*.md")}
    build(read_config(root))
    last = snap()
    while True:
        time.sleep(0.01)
        if snap() != last:
            time.sleep(delay)
            last = snap()
            edited = sorted(
                p.name for p in (root / "content").rglob("*.md")
                if "Benchmark edit" in p.read_text() or "revision" in p.read_text()
            )
            build(read_config(root))
            if log is not None:
                with open(log, "a") as out:
                    out.write(",".join(edited) + "\\n")
"""


def test_serve_probe_sees_each_edit_and_restores_the_file(project, tmp_path):
    """Any process that rebuilds site/ on change stands in for `digest serve`."""
    (project / "content" / "articles" / "one.md").write_text(
        "---\ntitle: One\nsource: Outlet\ndate: 2023-09-13\n---\n\nFirst paragraph.\n"
    )
    toy = tmp_path / "toy_serve.py"
    toy.write_text(textwrap.dedent(TOY_SERVE))
    article = project / "content" / "articles" / "one.md"
    original = article.read_text()
    result = serve_edit.measure(
        project, 2, article, None, tmp_path / "serve.log", [sys.executable, str(toy), str(project)]
    )
    samples = result["article"]["samples"]
    assert len(samples) == 2
    assert all(s["files_changed"] >= 1 for s in samples)
    assert result["note"] == {"status": "n/a (no note in the corpus)"}
    assert article.read_text() == original


LATE_SERVE = """
    import http.server, sys, threading, time
    from pathlib import Path
    from generator.load import read_config
    from generator.pipeline import build

    root, port = Path(sys.argv[1]), int(sys.argv[3])
    # Listening at once, as `digest serve` is: connections wait in the socket's backlog.
    server = http.server.HTTPServer(("127.0.0.1", port), http.server.BaseHTTPRequestHandler)
    build(read_config(root))
    time.sleep(1.0)  # site/ is there, but the server is not ready yet
    def snap():
        return {p: p.stat().st_mtime_ns for p in (root / "content").rglob("*.md")}
    last = snap()  # an edit made before this is never built
    threading.Thread(target=server.serve_forever, daemon=True).start()
    while True:
        time.sleep(0.01)
        if snap() != last:
            last = snap()
            build(read_config(root))
"""


def test_serve_probe_waits_until_the_server_answers(project, tmp_path):
    """A server that listens at once but answers only once ready (as `digest serve` after
    its catch-up rebuild): the first edit waits for an answer, not for the port."""
    article = project / "content" / "articles" / "one.md"
    article.write_text(
        "---\ntitle: One\nsource: Outlet\ndate: 2023-09-13\n---\n\nFirst paragraph.\n"
    )
    toy = tmp_path / "late_serve.py"
    toy.write_text(textwrap.dedent(LATE_SERVE))
    port = serve_edit._free_port()
    command = [sys.executable, str(toy), str(project), "--port", str(port)]
    result = serve_edit.measure(project, 1, article, None, tmp_path / "serve.log", command)
    assert len(result["article"]["samples"]) == 1, result


def test_serve_probe_lets_the_undo_of_the_article_land_before_the_note_edits(project, tmp_path):
    """Undoing the article edit is a rebuild too, and it writes only when it ends: the
    first note edit must not start before it (it would be timed together with it)."""
    article = project / "content" / "articles" / "one.md"
    article.write_text(
        "---\ntitle: One\nsource: Outlet\ndate: 2023-09-13\n---\n\nFirst paragraph.\n"
    )
    note = project / "content" / "notes" / "n.md"
    note.parent.mkdir(parents=True, exist_ok=True)
    note.write_text("---\ntarget: one\nanchor: First paragraph.\n---\n\nEditor's note here.\n")
    toy = tmp_path / "slow_serve.py"
    toy.write_text(textwrap.dedent(TOY_SERVE))
    log = tmp_path / "builds.log"
    command = [sys.executable, str(toy), str(project), str(log), "1.0"]
    result = serve_edit.measure(project, 1, article, note, tmp_path / "serve.log", command)
    assert len(result["article"]["samples"]) == 1
    assert len(result["note"]["samples"]) == 1
    builds = log.read_text().splitlines()
    # The edited files each build saw: the article edit, its undo (nothing edited), the
    # note edit. Without waiting, the undo's build would already see the edited note.
    assert builds[:3] == ["one.md", "", "n.md"]


def test_a_second_run_of_the_day_keeps_the_first_runs_results(tmp_path):
    from bench.run import results_file

    first = results_file(tmp_path, "2026-11-24")
    assert first.name == "2026-11-24.json"
    first.write_text("{}")
    second = results_file(tmp_path, "2026-11-24")
    assert second.name == "2026-11-24-2.json"
    second.write_text("{}")
    assert results_file(tmp_path, "2026-11-24").name == "2026-11-24-3.json"
    assert results_file(tmp_path, "2026-11-24-quick", replace=True).name == "2026-11-24-quick.json"
