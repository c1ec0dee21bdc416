"""The build cache: keys, the persistent folder, corrupt and incompatible caches."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest
from conftest import article, run_cli, write
from markupsafe import Markup

from generator import cache as cache_mod
from generator.cache import Cache, Uncacheable, fingerprint
from generator.load import read_config
from generator.model import Heading
from generator.pipeline import build


def test_fingerprints_tell_equal_inputs_from_different_ones():
    assert fingerprint({"a": [1, "x"]}) == fingerprint({"a": [1, "x"]})
    assert fingerprint("<b>") != fingerprint(Markup("<b>"))  # escaped vs not: not the same
    assert fingerprint({"a": 1, "b": 2}) != fingerprint({"b": 2, "a": 1})  # order shows
    assert fingerprint(1) != fingerprint(1.0) != fingerprint(True)
    assert fingerprint(dt.date(2023, 9, 13)) != fingerprint("2023-09-13")
    assert fingerprint(Heading(2, "A", "a")) != fingerprint(Heading(2, "A", "b"))


def test_functions_are_keyed_by_what_their_closure_captured():
    def make(value):
        return lambda: value

    assert fingerprint(make(1)) == fingerprint(make(1))
    assert fingerprint(make(1)) != fingerprint(make(2))


def test_an_input_without_canonical_form_is_computed_every_time(tmp_path):
    class Opaque:
        pass

    with pytest.raises(Uncacheable):
        fingerprint(Opaque())
    cache = Cache(None)
    calls = []
    for _ in range(2):
        cache.memo("x", Opaque(), lambda: calls.append(1) or len(calls))
    assert calls == [1, 1]


def test_hits_hand_out_fresh_copies(tmp_path):
    cache = Cache(tmp_path / "c")
    first = cache.memo("x", "key", lambda: {"list": [1]})
    first["list"].append(2)
    assert cache.memo("x", "key", lambda: None) == {"list": [1]}


def test_digest_build_reuses_the_cache_across_runs(project, capsys):
    write(project, "content/articles/one.md", article(title="One", body="## Head\n\nText."))
    assert run_cli(project, "build") == 0
    first = (project / "site/articles/one/index.html").read_bytes()
    assert (project / ".digest-cache/v1/manifest.json").is_file()
    config = read_config(project)
    cache = Cache(project / ".digest-cache")
    build(config, cache)
    assert cache.misses == {} and cache.hits["parse"] == 1 and cache.hits["page"] >= 3
    assert (project / "site/articles/one/index.html").read_bytes() == first


def test_no_cache_neither_reads_nor_writes_it(project):
    write(project, "content/articles/one.md", article())
    assert run_cli(project, "build", "--no-cache") == 0
    # Only the build lock lives there without a cache (generator/buildlock.py).
    assert not (project / ".digest-cache" / "v1").exists()


def test_a_corrupt_entry_is_discarded_with_a_warning(project, capsys):
    write(project, "content/articles/one.md", article(title="One"))
    assert run_cli(project, "build") == 0
    expected = (project / "site/articles/one/index.html").read_bytes()
    entries = [p for p in (project / ".digest-cache/v1").rglob("*") if p.parent.name != "v1"]
    for entry in entries:
        entry.write_bytes(entry.read_bytes()[:-3] + b"xyz")
    (project / "site/articles/one/index.html").unlink()
    capsys.readouterr()
    assert run_cli(project, "build") == 0
    err = capsys.readouterr().err
    assert ".digest-cache/: warning: corrupt cache entry" in err
    assert (project / "site/articles/one/index.html").read_bytes() == expected


@pytest.mark.parametrize(
    "manifest, message",
    [
        ('{"format": 1, "generator": "0.0.1", "code": "old"}', "another version"),
        ("not json at all", "corrupt or of an unknown format"),
        ('{"format": 99}', "corrupt or of an unknown format"),
        (None, "no readable manifest"),
    ],
)
def test_an_incompatible_cache_is_discarded_with_a_warning(project, capsys, manifest, message):
    write(project, "content/articles/one.md", article(title="One"))
    assert run_cli(project, "build") == 0
    path = project / ".digest-cache/v1/manifest.json"
    if manifest is None:
        path.unlink()
    else:
        path.write_text(manifest)
    capsys.readouterr()
    assert run_cli(project, "build") == 0
    err = capsys.readouterr().err
    assert f".digest-cache/: warning: the cache {message}" in err or message in err
    found = json.loads(path.read_text())
    assert found["code"] == cache_mod.code_fingerprint()  # rebuilt, now trusted again
    assert run_cli(project, "build") == 0
    assert "warning" not in capsys.readouterr().err


def test_unused_entries_are_pruned(project):
    write(project, "content/articles/one.md", article(title="One", body="First text."))
    assert run_cli(project, "build") == 0
    count = len(list((project / ".digest-cache/v1").rglob("*/*")))
    for n in range(3):
        write(project, "content/articles/one.md", article(title="One", body=f"Text {n}."))
        assert run_cli(project, "build") == 0
    assert len(list((project / ".digest-cache/v1").rglob("*/*"))) == count


def test_a_no_cache_build_leaves_nothing_the_next_build_calls_corrupt(project, capsys):
    """`--no-cache` still takes the build lock in the cache folder; that file alone is not
    a cache without a manifest."""
    write(project, "content/articles/a.md", article())
    assert run_cli(project, "build", "--no-search", "--no-cache") == 0
    capsys.readouterr()
    assert run_cli(project, "build", "--no-search") == 0
    assert "manifest" not in capsys.readouterr().err


def test_keys_do_not_depend_on_which_equal_values_are_one_object():
    shared = "a sentence long enough not to be interned by the compiler " * 2
    copy = "".join(shared)  # equal, another object
    assert copy is not shared
    assert fingerprint([shared, shared]) == fingerprint([shared, copy])
    assert fingerprint({"a": shared, "b": shared}) == fingerprint({"a": shared, "b": copy})
    cycle: list = []
    cycle.append(cycle)
    with pytest.raises(Uncacheable):
        fingerprint(cycle)


_COUNT_HITS = """
import json, sys
from pathlib import Path
from generator.cache import open_cache
from generator.load import read_config
from generator.parallel import Workers
from generator.pipeline import build
config = read_config(Path(sys.argv[1]))
cache = open_cache(config)
build(config, cache, workers=Workers(1))
cache.save()
print(json.dumps({"hits": cache.hits, "misses": cache.misses}))
"""


def test_a_second_process_reuses_every_cached_result(bundled):
    """Each run has its own hash seed (set order) and its own object sharing: neither may
    change a key, or a warm build recomputes comparisons and re-renders pages."""
    import subprocess
    import sys

    runs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", _COUNT_HITS, str(bundled)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    first, second = runs
    assert first["misses"].get("compare") and first["misses"].get("page")
    assert second["misses"] == {}, second
    assert second["hits"]["compare"] == first["misses"]["compare"]
    assert second["hits"]["page"] == first["misses"]["page"]


def test_a_replaced_template_filter_renders_a_cached_page_again(bundled, tmp_path):
    """A page's key holds the Jinja globals, filters and tests: one replaced gives
    another key, also when the environment is kept between rebuilds (`digest serve`)
    and its key with it."""
    from generator.render import CachingRenderer

    write(bundled, "overrides/templates/probe.html", "{{ when | isodate }}")
    cache = Cache(tmp_path / "cache")
    first = CachingRenderer(read_config(bundled), cache)
    when = dt.date(2023, 9, 13)
    assert first.page("probe/", "probe.html", when=when).data == b"2023-09-13"
    first.env.filters["isodate"] = lambda d: "replaced"
    assert first.page("probe/", "probe.html", when=when).data == b"replaced"
    second = CachingRenderer(read_config(bundled), cache)
    second.env = first.env  # as a rebuild takes the last one's environment
    assert second.page("probe/", "probe.html", when=when).data == b"replaced"
    assert cache.hits.get("page", 0) == 1
