"""Incremental builds never trade correctness for speed (DESIGN.md convention 10).

A property test applies random sequences of edits to a project (articles, notes,
entities, stories, templates, static files, config; broken front matter; the cache
reopened from disk or corrupted) and after every edit compares the cached, incremental
`site/` with a clean build from scratch: byte for byte, file for file.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import article, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.cache import Cache
from generator.data_files import OutputMemo, json_rows
from generator.errors import DigestError
from generator.incremental import Memory
from generator.load import read_config
from generator.model import Output
from generator.pipeline import build
from generator.positions import remade
from generator.writer import NotPublished, SiteWriter

NAMES = ["alpha", "beta", "gamma", "delta"]
TITLES = ["Summit in Vostochny", "Kim visits Putin", "Talks: <b>arms</b> & rockets", "Putin"]
BODIES = [
    "Plain text.",
    "## A heading\n\nA *paragraph* with [a link](https://example.org).",
    "First.\n\nSecond paragraph with `code` and **strong** words.\n\n## A heading\n\nThird.",
    "> A quote from “Putin”.\n\n- one\n- two",
    "“We will win,” Putin said on Wednesday in Vostochny.\n\n"
    "Kim agreed. “The talks went well,” he said.",
]
DATES = ["2023-09-13", "2023-09-14", "2022-01-01", ""]
TEMPLATES = [
    None,  # no override: the theme's own
    "{% extends 'base.html' %}{% block main %}<h1>{{ article.title }}</h1>"
    "{{ article.body }}<p>{{ article.word_count }}</p>{% endblock %}",
    "{% extends 'base.html' %}{% block main %}<h2>{{ article.title | upper }}</h2>{% endblock %}",
]
CONFIGS = [
    None,
    "title: Digest One\n",
    "title: Digest Two\nbase_url: /repo/\n",
    "description: Something else\npage_size: 3\n",
]

name = st.sampled_from(NAMES)
operation = st.one_of(
    st.tuples(
        st.just("article"),
        name,
        st.sampled_from(TITLES),
        st.sampled_from(BODIES),
        st.sampled_from(DATES),
    ),
    st.tuples(st.just("delete_article"), name),
    st.tuples(st.just("rename_article"), name, name),
    st.tuples(st.just("break_article"), name),
    st.tuples(st.just("note"), name, st.sampled_from(BODIES)),
    st.tuples(st.just("delete_note"), name),
    st.tuples(st.just("entity"), name, st.sampled_from(TITLES)),
    st.tuples(st.just("delete_entity"), name),
    st.tuples(st.just("template"), st.sampled_from(range(len(TEMPLATES)))),
    st.tuples(st.just("static"), st.sampled_from(["", "body{color:red}", "p{margin:0}"])),
    st.tuples(st.just("config"), st.sampled_from(range(len(CONFIGS)))),
    st.tuples(st.just("reopen_cache")),
    st.tuples(st.just("corrupt_cache")),
)


def apply(root: Path, op: tuple) -> None:
    kind = op[0]
    articles = root / "content" / "articles"
    if kind == "article":
        _, slug, title, body, date = op
        text = article(title=f'"{title}"', date=date, body=body)
        write(root, f"content/articles/{slug}.md", text)
    elif kind == "delete_article":
        (articles / f"{op[1]}.md").unlink(missing_ok=True)
    elif kind == "rename_article":
        source = articles / f"{op[1]}.md"
        if source.exists():
            source.replace(articles / f"{op[2]}.md")
    elif kind == "break_article":
        write(root, f"content/articles/{op[1]}.md", "---\ntitle: [unclosed\n---\n\nBody.\n")
    elif kind == "note":
        write(root, f"content/notes/{op[1]}.md", f"---\ntarget: {op[1]}\n---\n\n{op[2]}\n")
    elif kind == "delete_note":
        (root / "content/notes" / f"{op[1]}.md").unlink(missing_ok=True)
    elif kind == "entity":
        write(root, f"content/entities/{op[1]}.md", f'---\nname: "{op[2]}"\ntype: person\n---\n')
    elif kind == "delete_entity":
        (root / "content/entities" / f"{op[1]}.md").unlink(missing_ok=True)
    elif kind == "template":
        path = root / "overrides/templates/article.html"
        text = TEMPLATES[op[1]]
        if text is None:
            path.unlink(missing_ok=True)
        else:
            write(root, "overrides/templates/article.html", text)
    elif kind == "static":
        path = root / "overrides/static/extra.css"
        if op[1]:
            write(root, "overrides/static/extra.css", op[1])
        else:
            path.unlink(missing_ok=True)
    elif kind == "config":
        text = CONFIGS[op[1]]
        if text is None:
            (root / "digest.yaml").unlink(missing_ok=True)
        else:
            write(root, "digest.yaml", text)


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def outcome(root: Path, cache: Cache | None, output_dir: str, memory: Memory | None = None):
    try:
        config = replace(read_config(root), output_dir=output_dir)
        build(config, cache, memory=memory)
    except DigestError as exc:
        return [str(d) for d in exc.diagnostics]
    return None


@pytest.mark.parametrize("serve", [False, True], ids=["build", "serve"])
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(ops=st.lists(operation, min_size=1, max_size=8))
def test_incremental_site_is_byte_identical_to_a_clean_build(serve, ops):
    """`serve`: the builds share one `incremental.Memory`, as `digest serve`'s do, so
    content edits render only the pages they touch and update site/ in place."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write(root, "content/articles/alpha.md", article(title="Alpha", body=BODIES[2]))
        write(root, "content/articles/beta.md", article(title="Beta", body=BODIES[4]))
        cache = Cache(root / ".digest-cache")
        memory = Memory() if serve else None
        assert outcome(root, cache, "site", memory) is None
        for op in ops:
            apply(root, op)
            if op[0] == "reopen_cache":
                cache.save()
                cache = Cache(root / ".digest-cache")
            elif op[0] == "corrupt_cache":
                cache.save()
                entries = sorted((root / ".digest-cache").rglob("*/*"))
                for entry in entries[::3]:
                    if entry.is_file() and entry.name != "manifest.json":
                        entry.write_bytes(entry.read_bytes()[:-1] + b"!")
                cache = Cache(root / ".digest-cache")
            incremental = outcome(root, cache, "site", memory)
            shutil.rmtree(root / "clean", ignore_errors=True)
            clean = outcome(root, None, "clean")
            assert incremental == clean, op
            if clean is None:
                assert tree(root / "site") == tree(root / "clean"), op


def test_story_summaries_follow_an_article_moved(bundled):
    """The stories index and the home page link each story's articles (here, with a
    story card that links each outlet). The story summaries are kept whole while the
    stories, comparisons and articles are the very objects they were; an article given
    another slug (its id and address) is linked at its new address."""
    shutil.rmtree(bundled / "content/notes")  # they name the article by its slug
    card = '<li>{% for o in story.outlets %}<a href="{{ o.url }}">{{ o.source }}</a>{% endfor %}'
    write(bundled, "overrides/templates/partials/story-card.html", card)  # links each outlet
    memory = Memory()
    config = read_config(bundled)
    build(config, memory=memory)
    dawn = next((bundled / "content/articles").glob("dawn-*.md"))
    dawn.write_text(dawn.read_text().replace("source: Dawn\n", "source: Dawn\nslug: dawn-moved\n"))
    assert build(config, memory=memory, changed={str(dawn)}).incremental
    build(replace(config, output_dir="clean"))
    for page in ("index.html", "stories/index.html"):
        published = (bundled / "site" / page).read_text(encoding="utf-8")
        assert "/articles/dawn-moved/" in published
        assert published == (bundled / "clean" / page).read_text(encoding="utf-8")


def test_an_edited_article_is_rebuilt_and_the_rest_reused(project):
    write(project, "content/articles/one.md", article(title="One", body="First."))
    write(project, "content/articles/two.md", article(title="Two", body="Second."))
    cache = Cache(project / ".digest-cache")
    config = read_config(project)
    build(config, cache)
    write(project, "content/articles/one.md", article(title="One", body="Changed."))
    result = build(config, cache)
    assert cache.misses["parse"] == 1 and cache.hits["parse"] == 1
    assert "articles/one/index.html" in result.written
    assert "articles/two/index.html" not in result.written
    assert "Changed." in (project / "site/articles/one/index.html").read_text()
    # A note changes how its own article parses (the notes plugin marks its passage);
    # the other article is reused.
    write(project, "content/notes/n.md", "---\ntarget: one\nanchor: Changed\n---\n\nA note.\n")
    result = build(config, cache)
    assert cache.misses["parse"] == 1 and cache.hits["parse"] == 1
    assert "articles/one/index.html" in result.written
    assert "articles/two/index.html" not in result.written
    assert "A note." in (project / "site/articles/one/index.html").read_text()


def _patched(published: bytes, patch) -> bytes:
    assert len(published) == patch.old_size
    return b"".join(published[p[0] : p[1]] if isinstance(p, tuple) else p for p in patch.pieces)


def test_data_file_rows_say_what_changed():
    """`json_rows` with the dev server's memo: kept as published when every row has its
    bytes (the same inputs, or other inputs that make the same bytes); else
    a patch of the published file that copies each row whose bytes are unchanged (and no
    bytes of its own); else the whole bytes, marked as differing (written without reading
    the old file) only when a row that was published has other bytes now."""
    memo = OutputMemo()
    published = b""

    def build(*rows: tuple[str, str, int]):  # (name, inputs, value)
        nonlocal published
        memo.start(full=False)
        made = [(name, inputs, lambda value=value: {"v": value}) for name, inputs, value in rows]
        output = json_rows("data/x.json", made, memo)
        memo.commit()
        if output.patch is not None:
            assert output.data == b""
            published = _patched(published, output.patch)
        elif not output.kept:
            published = output.data
        return output

    first = build(("a", "1", 1), ("b", "2", 2))
    assert first.data == b'[{"v":1},{"v":2}]\n' and not first.kept and not first.differs
    assert build(("a", "1", 1), ("b", "2", 2)).kept
    changed = build(("a", "1", 1), ("b", "3", 3))
    assert changed.patch is not None and published == b'[{"v":1},{"v":3}]\n'
    # Other inputs, the same bytes: kept as published (no patch to make).
    assert build(("a", "1", 1), ("b", "three", 3)).kept
    # No row the same: the whole bytes, known to differ when the rows are the same ones.
    other = build(("a", "2", 2), ("b", "4", 4))
    assert other.patch is None and other.differs and published == b'[{"v":2},{"v":4}]\n'
    moved = build(("c", "5", 5), ("d", "6", 6))
    assert moved.patch is None and not moved.differs  # the writer compares the bytes itself


ROWS = st.lists(st.tuples(st.sampled_from("abcdefgh"), st.integers(0, 3)), max_size=8).map(
    lambda rows: list(dict(rows).items())  # unique names, in a random order
)


def _rows(pairs: list[tuple[str, int]]) -> list:
    return [(name, value, lambda n=name, v=value: {"n": n, "v": "é" * v}) for name, value in pairs]


@settings(max_examples=200, deadline=None)
@given(before=ROWS, after=ROWS)
def test_a_data_file_patch_makes_the_new_bytes_from_the_published_file(before, after):
    """Between two builds rows are edited, added, removed and moved: the patch applied
    to the published bytes gives the new file, and it copies every unchanged row."""
    memo = OutputMemo()
    memo.start(full=True)
    published = json_rows("data/x.json", _rows(before), memo).data
    memo.commit()
    memo.start(full=False)
    output = json_rows("data/x.json", _rows(after), memo)
    expected = json_rows("data/x.json", _rows(after)).data  # no memo: the whole bytes
    unchanged = set(before) & set(after)
    if output.kept:
        assert before == after
    elif not unchanged:
        assert output.patch is None and output.data == expected
    else:
        assert _patched(published, output.patch) == expected
        new_bytes = sum(len(p) for p in output.patch.pieces if isinstance(p, bytes))
        copied = sum(len(json_rows("r", _rows([pair])).data) - 3 for pair in unchanged)
        assert new_bytes <= len(expected) - copied


@settings(max_examples=200, deadline=None)
@given(
    before=ROWS,
    edits=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 3), st.booleans()), max_size=5),
)
def test_rows_kept_by_place_make_the_new_bytes_from_the_published_file(before, edits):
    """Rows given as a tuple that keeps the very Row objects of the last build where
    nothing changed (`positions.remade`): after each build, in which one row is another
    object (the same name with another value or the same one, or a row renamed), the
    published file, kept or patched or written whole, is the new one."""
    memo = OutputMemo()
    memo.start(full=True)
    rows = tuple(_rows(before))
    published = json_rows("data/x.json", rows, memo).data
    memo.commit()
    for place, value, rename in edits:
        if not rows:
            break
        name = rows[place % len(rows)][0]
        made = list(rows)
        made[place % len(rows)] = _rows([(name.upper() if rename else name, value)])[0]
        rows = tuple(made)
        memo.start(full=False)
        output = json_rows("data/x.json", rows, memo)
        memo.commit()
        if output.patch is not None:
            published = _patched(published, output.patch)
        elif not output.kept:
            published = output.data
        assert published == json_rows("data/x.json", list(rows)).data


def test_rows_kept_by_place_are_not_compared():
    """Only the places where the tuple holds another Row object are looked at: the
    inputs of the others are never compared (10,000 of them after an article edit)."""

    class Uncomparable:
        def __eq__(self, other):
            if other is self:  # a kept row, compared with itself
                raise AssertionError("a kept row's inputs were compared")
            return NotImplemented

        __hash__ = object.__hash__

    memo = OutputMemo()
    memo.start(full=True)
    rows = tuple((name, Uncomparable(), lambda n=name: {"n": n}) for name in "abc")
    published = json_rows("data/x.json", rows, memo).data
    memo.commit()
    memo.start(full=False)
    edited = (rows[0], ("b", "new", lambda: {"n": "B"}), rows[2])
    output = json_rows("data/x.json", edited, memo)
    assert _patched(published, output.patch) == b'[{"n":"a"},{"n":"B"},{"n":"c"}]\n'


def test_the_writer_splices_a_patch_into_the_published_file(tmp_path):
    """`SiteWriter.update` writes a patched data file from its published version, and
    writes nothing when the published file is not the one the patch refers to."""
    memo = OutputMemo()
    site = tmp_path / "site"
    (site / "data").mkdir(parents=True)

    def rows(values: list[int]) -> list:
        return [(str(i), v, lambda v=v: {"v": v, "pad": "x" * 5000}) for i, v in enumerate(values)]

    def publish(values: list[int]):
        memo.start(full=False)
        output = json_rows("data/x.json", rows(values), memo)
        memo.commit()
        return output

    (site / "data/x.json").write_bytes(publish([1, 2, 3, 4]).data)
    files = frozenset({"data/x.json"})
    second = publish([1, 2, 30, 4])
    assert second.patch is not None and len(second.patch.pieces) == 3
    writer = SiteWriter(site)
    assert writer.update([second], files) == [] and writer.changed == ["data/x.json"]
    assert (site / "data/x.json").read_bytes() == json_rows("x", rows([1, 2, 30, 4])).data
    # Edited by hand since (another size): the patch's ranges mean nothing there.
    edited = b" " + json_rows("x", rows([1, 2, 30, 4])).data
    (site / "data/x.json").write_bytes(edited)
    third = publish([1, 2, 300, 4])
    assert third.patch is not None
    (site / "index.html").write_bytes(b"old")
    page = Output("index.html", b"new", differs=True)
    with pytest.raises(NotPublished):  # before anything is written
        SiteWriter(site).update([page, third], files | {"index.html"})
    assert (site / "data/x.json").read_bytes() == edited
    assert (site / "index.html").read_bytes() == b"old"


def test_a_patch_made_ahead_is_put_in_place_by_the_update_or_left_nowhere(tmp_path):
    """`splice_ahead` makes a patched file's new bytes in a thread while the rebuild
    goes on: `update` puts that file in place and deletes the old one in another;
    discarded (a failed rebuild), or made from a published file edited meanwhile, it
    leaves nothing behind and the published file as it was."""
    memo = OutputMemo()
    site = tmp_path / "site"
    (site / "data").mkdir(parents=True)

    def rows(values: list[int]) -> list:
        return [
            (str(i), v, lambda v=v: {"v": v, "pad": "x" * 50_000}) for i, v in enumerate(values)
        ]

    def publish(values: list[int]):
        memo.start(full=False)
        output = json_rows("data/x.json", rows(values), memo)
        memo.commit()
        return output

    def leftovers() -> list[str]:
        return sorted(p.name for p in (site / "data").iterdir() if p.name != "x.json")

    first = publish([1, 2, 3, 4]).data
    (site / "data/x.json").write_bytes(first)
    files = frozenset({"data/x.json"})
    second = publish([1, 2, 30, 4])
    assert second.patch is not None
    writer = SiteWriter(site)
    writer.splice_ahead(second)
    deadline = time.monotonic() + 10
    while not leftovers() and time.monotonic() < deadline:
        time.sleep(0.001)
    assert len(leftovers()) == 1  # made before the update, beside the published file
    assert writer.update([second], files) == [] and writer.changed == ["data/x.json"]
    writer.discard_ahead()
    assert (site / "data/x.json").read_bytes() == json_rows("x", rows([1, 2, 30, 4])).data
    # The file it replaced is deleted in a thread (the dev server joins it once browsers
    # are told), not on the way to the next file.
    (removing,) = writer.removing
    removing.join()
    assert leftovers() == []

    third = publish([1, 2, 30, 40])
    writer = SiteWriter(site)
    writer.splice_ahead(third)
    writer.discard_ahead()  # the rebuild failed before its update
    assert (site / "data/x.json").read_bytes() == json_rows("x", rows([1, 2, 30, 4])).data
    assert leftovers() == []

    (site / "data/x.json").write_bytes(first + b"\n\n\n")  # edited by hand: another size
    writer = SiteWriter(site)
    writer.splice_ahead(third)
    with pytest.raises(NotPublished):
        writer.update([third], files)
    writer.discard_ahead()
    assert (site / "data/x.json").read_bytes() == first + b"\n\n\n"
    assert leftovers() == []


def test_the_writer_replaces_files_and_leaves_what_is_not_a_file(tmp_path):
    """A changed file takes the old one's place; a folder where a file should go is an
    error that names it, and the folder stays where it is (also once no page wants that
    path any more)."""
    site = tmp_path / "site"
    (site / "data").mkdir(parents=True)
    (site / "data/a.json").write_bytes(b"old\n")
    (site / "data/b.json").mkdir()
    (site / "data/b.json/keep.txt").write_text("mine")
    SiteWriter(site).update([Output("data/a.json", b"new\n", differs=True)], {"data/a.json"})
    assert (site / "data/a.json").read_bytes() == b"new\n"
    outputs = [Output("data/a.json", b"", kept=True), Output("data/b.json", b"[]\n", differs=True)]
    with pytest.raises(DigestError) as failure:
        SiteWriter(site).update(outputs, frozenset({"data/a.json", "data/b.json"}))
    assert "data/b.json" in str(failure.value)
    assert (site / "data/b.json/keep.txt").read_text() == "mine"
    assert sorted(p.name for p in (site / "data").iterdir()) == ["a.json", "b.json"]
    # The build no longer makes it: the folder is someone's, left as it is.
    assert SiteWriter(site).update([outputs[0]], frozenset({"data/a.json", "data/b.json"}))
    assert (site / "data/b.json/keep.txt").read_text() == "mine"


def test_kept_pages_must_still_be_published(tmp_path):
    """A `KeptPages` keeps its published files (and removes none of them); one that was
    never published makes the rebuild a full one before anything is written; two that
    keep one path are an error. One that is gone is found after the update (the dev
    server looks, then builds everything)."""
    site = tmp_path / "site"
    for name in ("a", "b", "c"):
        (site / name).mkdir(parents=True)
        (site / name / "index.html").write_bytes(name.encode())
    published = frozenset({"a/index.html", "b/index.html", "c/index.html"})
    writer = SiteWriter(site)
    page = Output("c/index.html", b"new c", differs=True)
    kept = [frozenset({"a/index.html"}), frozenset({"b/index.html"})]
    assert writer.update([page], published, kept) == []
    assert writer.written == published and writer.changed == ["c/index.html"]
    assert (site / "a/index.html").read_bytes() == b"a"
    with pytest.raises(NotPublished):
        SiteWriter(site).update([], published - {"b/index.html"}, kept)
    assert writer.first_missing(published) is None
    (site / "b/index.html").unlink()
    assert writer.first_missing(published) == "b/index.html"
    (site / "b").rmdir()
    (site / "b").symlink_to("nowhere")
    assert writer.first_missing(["a/index.html", "b/index.html"]) == "b/index.html"
    (site / "b").unlink()
    (site / "b").mkdir()
    (site / "b/index.html").write_bytes(b"b")
    with pytest.raises(DigestError) as twice:
        SiteWriter(site).update([], published, [kept[0], kept[0]])
    assert "a/index.html" in str(twice.value)


@given(
    st.lists(st.integers(0, 5), max_size=6),
    st.lists(st.tuples(st.integers(0, 7), st.integers(0, 5), st.booleans()), max_size=6),
)
def test_remade_lists_equal_lists_made_anew(first, edits):
    """`positions.remade` after edits (an item or its `also` replaced by a new object, or
    an item added): the same list as made from scratch, with `make` called only where
    something at that place is not the very object it was."""

    calls: list[int] = []

    def make(box: Box) -> int:
        calls.append(box.value)
        return box.value * 10

    store: dict = {}
    items = [Box(v) for v in first]
    also = [object() for _ in items]
    assert remade(store, "x", items, make, also) == tuple(v * 10 for v in first)
    for position, value, in_also in edits:
        calls.clear()
        if position >= len(items):
            items.append(Box(value))
            also.append(object())
        elif in_also:
            also[position] = object()
        else:
            items[position] = Box(value)
        before = store["x"]
        assert remade(store, "x", items, make, also) == tuple(b.value * 10 for b in items)
        if len(before[0]) == len(items):
            assert len(calls) == 1


def test_remade_lists_keep_entries_by_key_when_items_come_and_go():
    calls: list[str] = []

    def make(box: Box) -> str:
        calls.append(box.value)
        return box.value.upper()

    def key(box: Box) -> str:
        return box.value

    store: dict = {}
    a, b, c = Box("a"), Box("b"), Box("c")
    assert remade(store, "x", [a, b], make, key=key) == ("A", "B")
    calls.clear()
    b2 = Box("b")  # the same key, another object: made again
    assert remade(store, "x", [c, a, b2], make, key=key) == ("C", "A", "B")
    assert calls == ["c", "b"]


class Box:
    """An item of `remade`'s tests: another Box is another object, whatever its value."""

    def __init__(self, value):
        self.value = value


def test_a_data_file_made_from_the_very_view_it_was_published_from_is_kept(bundled):
    """`Renderer.data` (data/entity-cards.json): kept while its view is the very object
    the published file was made from; an equal view that is another object, or a full
    build, makes it again."""
    from generator.render import Renderer

    renderer = Renderer(read_config(bundled))
    renderer.pages = memo = OutputMemo()
    view = {"kremlin": {"name": "Kremlin"}}
    memo.start(full=True)
    first = renderer.data("data/x.json", view)
    assert not first.kept and first.data == b'{"kremlin":{"name":"Kremlin"}}\n'
    memo.commit()
    memo.start(full=False)
    assert renderer.data("data/x.json", view).kept
    memo.commit()
    memo.start(full=False)
    assert renderer.data("data/x.json", {**view}).data == first.data
    memo.commit()
    memo.start(full=True)
    assert renderer.data("data/x.json", view).data == first.data
