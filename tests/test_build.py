"""Whole-site builds of real content, inspected through an HTML parser."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
from conftest import article, page, write

from generator.cli import main
from generator.load import read_config
from generator.pipeline import build
from generator.search import pagefind_executable

REUTERS = "reuters-putin-and-north-koreas-kim-discuss"
DAWN = "dawn-2023-09-14-russian-president-vladimir-putin"


def html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def resolve(site: Path, base_path: str, href: str) -> tuple[Path | None, str]:
    """The file an internal link points at (None for external links) and its fragment."""
    url, fragment = urldefrag(href)
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None, fragment
    assert url.startswith(base_path), f"link {href!r} is not under the base path {base_path}"
    rel = url[len(base_path) :]
    target = site / rel
    if rel == "" or rel.endswith("/"):
        target = target / "index.html"
    return target, fragment


def assert_links_resolve(site: Path, base_path: str = "/") -> int:
    checked = 0
    for path in html_pages(site):
        current = page(site, str(path.relative_to(site)))
        for href in current.links + current.sources:
            if href.startswith("#"):
                assert href[1:] in current.ids, f"{path}: missing anchor {href}"
                continue
            target, fragment = resolve(site, base_path, href)
            if target is None or href.startswith(base_path + "pagefind/"):
                continue  # external, or made by the search indexer after the build
            assert target.is_file(), f"{path}: broken link {href}"
            if fragment and target.suffix == ".html":
                ids = page(site, str(target.relative_to(site))).ids
                assert fragment in ids, f"{path}: broken anchor {href}"
            checked += 1
    return checked


def test_bundled_site_pages(bundled_site):
    for rel in (
        "index.html",
        "404.html",
        f"articles/{REUTERS}/index.html",
        f"articles/{DAWN}/index.html",
        "data/articles.json",
        "static/style.css",
        ".nojekyll",
    ):
        assert (bundled_site / rel).is_file(), rel


def test_home_lists_articles_newest_first(bundled_site):
    home = page(bundled_site, "index.html")
    links = [h for h in home.links if h.startswith("/articles/")]
    assert links[:2] == [f"/articles/{DAWN}/", f"/articles/{REUTERS}/"]
    assert "Reuters" in home.text and "Dawn" in home.text
    assert "Talks focus on military issues" in home.text  # standfirst
    assert home.find_all("time", datetime="2023-09-14")


def test_article_page_metadata_and_anchors(bundled_site):
    dawn = page(bundled_site, f"articles/{DAWN}/index.html")
    assert dawn.title.startswith("Russian President Vladimir Putin on Wednesday said")
    assert "MOSCOW" in dawn.text and "Dawn" in dawn.text and "14 September 2023" in dawn.text
    assert "Talks focus on military issues" in dawn.text
    assert "derived from the text" in dawn.text
    assert {"p-1", "p-2", "p-20", "comrades"} <= dawn.ids
    assert dawn.find_all("html", lang="en")
    assert dawn.find_all("main") and dawn.find_all("header") and dawn.find_all("footer")
    reuters = page(bundled_site, f"articles/{REUTERS}/index.html")
    assert reuters.title.startswith("Putin and North Korea's Kim discuss military matters")
    assert {"comrades", "ballistic-missiles", "p-17"} <= reuters.ids
    assert "p-18" not in reuters.ids
    html = (bundled_site / f"articles/{REUTERS}/index.html").read_text()
    strong = html.split("sensitive discussions between neighbours")[0].rsplit("<strong>", 1)[1]
    assert "The " in strong and "Kremlin" in strong and "</strong>" not in strong
    assert "<em>&quot;<q " in html and "That's why we came here.</q>&quot;</em>" in html


def test_every_internal_link_and_anchor_resolves(bundled_site):
    assert assert_links_resolve(bundled_site) > 10


def test_articles_json(bundled_site):
    data = json.loads((bundled_site / "data" / "articles.json").read_text())
    assert [a["id"] for a in data] == [DAWN, REUTERS]
    reuters = data[1]
    assert set(reuters) == {
        "id", "slug", "url", "title", "source", "date", "dateline", "standfirst", "story",
        "seed", "word_count",
    }  # fmt: skip
    assert reuters["date"] == "2023-09-13" and reuters["source"] == "Reuters"
    assert reuters["url"] == f"/articles/{REUTERS}/"
    assert reuters["seed"] == "000_fbaab18ce74ee134.txt"
    assert 1000 < reuters["word_count"] < 1300
    assert data[0]["dateline"] == "MOSCOW"


def test_sub_path_base_url(bundled):
    write(bundled, "digest.yaml", "base_url: https://user.github.io/repo/\n")
    build(read_config(bundled))
    site = bundled / "site"
    home = page(site, "index.html")
    assert f"/repo/articles/{DAWN}/" in home.links
    assert "/repo/static/style.css" in home.sources
    assert assert_links_resolve(site, "/repo/") > 10
    for path in html_pages(site):
        for href in page(site, str(path.relative_to(site))).links:
            assert not (href.startswith("/") and not href.startswith("/repo/")), (path, href)


def test_two_builds_are_byte_identical(bundled, tmp_path):
    build(read_config(bundled))
    first = {
        p.relative_to(bundled / "site"): p.read_bytes()
        for p in (bundled / "site").rglob("*")
        if p.is_file()
    }
    shutil.rmtree(bundled / "site")
    build(read_config(bundled))
    second = {
        p.relative_to(bundled / "site"): p.read_bytes()
        for p in (bundled / "site").rglob("*")
        if p.is_file()
    }
    assert first == second


def test_writer_skips_unchanged_and_prunes(project):
    write(project, "content/articles/one.md", article(title="One", body="Harvest rains."))
    write(
        project, "content/articles/two.md", article(title="Two", date="2020-01-01", body="Chess.")
    )
    result = build(read_config(project))
    assert "articles/two/index.html" in result.written
    stale = project / "site" / "old" / "page.html"
    stale.parent.mkdir(parents=True)
    stale.write_text("stale")
    mtime = (project / "site/articles/one/index.html").stat().st_mtime_ns
    (project / "content/articles/two.md").unlink()
    result = build(read_config(project))
    assert not (project / "site/articles/two").exists()
    assert not stale.exists() and not stale.parent.exists()
    assert "articles/one/index.html" not in result.written
    assert (project / "site/articles/one/index.html").stat().st_mtime_ns == mtime


def test_overrides_replace_theme_files(project):
    write(project, "content/articles/one.md", article(title="One"))
    write(project, "overrides/static/style.css", "body { color: red; }\n")
    write(
        project,
        "overrides/templates/404.html",
        '{% extends "base.html" %}{% block main %}<h1>Gone fishing</h1>{% endblock %}\n',
    )
    build(read_config(project))
    assert (project / "site/static/style.css").read_text() == "body { color: red; }\n"
    assert "Gone fishing" in (project / "site/404.html").read_text()


def test_config_title_and_language(project):
    write(project, "digest.yaml", "title: Summit Watch\nlanguage: en-GB\n")
    write(project, "content/articles/one.md", article(title="One"))
    build(read_config(project))
    home = page(project / "site", "index.html")
    assert "Summit Watch" in home.title
    assert home.find_all("html", lang="en-GB")


def test_raw_html_in_markdown_is_escaped(project):
    write(
        project,
        "content/articles/one.md",
        article(body="Hi <script>alert(1)</script> <b>x</b>\n\n[x](javascript:alert(1))"),
    )
    build(read_config(project))
    html = (project / "site/articles/one/index.html").read_text()
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html


def test_cli_build_reports_and_exits_zero(bundled, capsys):
    assert main(["build", "--root", str(bundled)]) == 0
    out = capsys.readouterr().out
    assert "built" in out and "site/" in out


def test_json_output_streams_rows_with_the_bytes_of_a_whole_dump():
    import json

    from generator.data_files import json_output

    rows = [{"id": "a", "text": "Пхеньян “quoted”"}, {"id": "b", "n": [1, 2.5, None]}]
    whole = (json.dumps(rows, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
    assert json_output("x.json", rows).data == whole
    assert json_output("x.json", iter(rows)).data == whole
    assert json_output("x.json", (r for r in [])).data == b"[]\n"
    assert (
        json_output("x.json", {"k": rows}).data
        == (json.dumps({"k": rows}, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
    )


def test_a_build_with_a_search_index_lets_the_digest_go_first(bundled):
    """Pagefind holds about 350 KB per page it indexes: a build that indexes for search
    frees the linked digest before Pagefind runs, so the two are never in memory
    together; one that does not index keeps it for its caller."""
    config = read_config(bundled)
    kept = build(config)
    assert kept.site is not None and kept.indexed is None
    indexed = build(config, search_index=True)
    assert indexed.indexed and indexed.indexed >= 2
    assert indexed.site is None
    assert (bundled / "site" / "pagefind" / "pagefind.js").is_file()


def test_pagefind_is_found_where_its_own_package_would_find_it(monkeypatch, tmp_path):
    """`pagefind_executable` follows `pagefind.service.get_executable` (without importing
    it, for its asyncio): the installed binary, the environment's override, PATH."""
    service = pytest.importorskip("pagefind.service")
    monkeypatch.delenv("PAGEFIND_BINARY_PATH", raising=False)
    assert pagefind_executable() == service.get_executable() is not None
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(tmp_path / "pagefind"))
    assert pagefind_executable() == service.get_executable() == tmp_path / "pagefind"
