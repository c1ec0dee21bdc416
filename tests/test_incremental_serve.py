"""`digest serve`'s incremental rebuilds (generator/incremental.py) on the bundled digest.

Each edit is built with the dev server's `Memory`, then compared byte for byte with a
clean build of the same content; the counts of pages actually rendered show that the
untouched pages were kept, not rendered again.
"""

from __future__ import annotations

import gc
import re
import shutil
from dataclasses import replace
from pathlib import Path

import conftest
from conftest import write

from generator.cache import Cache
from generator.incremental import Memory
from generator.load import read_config
from generator.parallel import Workers
from generator.pipeline import build
from generator.writer import SiteWriter

REUTERS = "content/articles/reuters-putin-and-north-koreas-kim-discuss.md"
DAWN = "content/articles/dawn-2023-09-14-russian-president-vladimir-putin.md"
STORY = "putin-and-north-koreas-kim-discuss-military-matters"


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


class Serve:
    """Builds the way the dev server does: one cache and one Memory across rebuilds."""

    def __init__(self, root: Path):
        self.root = root
        self.cache = Cache(root / ".digest-cache")
        self.memory = Memory()

    def build(self, *changed: str):
        """A rebuild after edits to `changed` (paths in the project), reported to it the
        way the dev server's file watcher does; with none, every file is read."""
        self.cache.hits, self.cache.misses = {}, {}
        reported = {str(self.root / rel) for rel in changed} if changed else None
        return build(
            read_config(self.root),
            self.cache,
            workers=Workers(1),
            memory=self.memory,
            changed=reported,
        )

    def rendered(self) -> int:
        """Pages looked up in the page cache, i.e. not kept from the last build."""
        return self.cache.hits.get("page", 0) + self.cache.misses.get("page", 0)

    def assert_same_as_clean_build(self) -> None:
        shutil.rmtree(self.root / "clean", ignore_errors=True)
        build(replace(read_config(self.root), output_dir="clean"), workers=Workers(1))
        assert tree(self.root / "site") == tree(self.root / "clean")


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_content_edits_render_only_what_they_touch(bundled):
    serve = Serve(bundled)
    first = serve.build()
    assert not first.incremental
    pages = serve.rendered()
    assert pages > 50

    # A paragraph added to one article: its page, its story and the story's other
    # article change; entity pages (mentions unchanged) and quote pages are kept.
    path = bundled / REUTERS
    path.write_text(path.read_text(encoding="utf-8") + "\nA last paragraph.\n", "utf-8")
    result = serve.build(REUTERS)
    assert result.incremental
    assert 0 < serve.rendered() < pages / 3
    reuters = bundled / "site/articles/reuters-putin-and-north-koreas-kim-discuss/index.html"
    assert "A last paragraph." in reuters.read_text(encoding="utf-8")
    assert "articles/reuters-putin-and-north-koreas-kim-discuss/index.html" in result.written
    assert f"stories/{STORY}/index.html" in result.written
    serve.assert_same_as_clean_build()

    # Words changed inside a sentence: the mentions in it change (their context).
    edit(bundled, REUTERS, "Defence Minister Sergei Shoigu attended", "Shoigu, 68, attended")
    result = serve.build(REUTERS)
    assert result.incremental
    assert "entities/sergei-shoigu/index.html" in result.written
    serve.assert_same_as_clean_build()

    # A new quote with a speaker: quote listings, the speaker's entity page.
    edit(
        bundled,
        DAWN,
        "\n\n",
        '\n\n"We will meet again in Pyongyang," Vladimir Putin said on Wednesday.\n\n',
    )
    result = serve.build(DAWN)
    assert result.incremental
    assert "quotes/index.html" in result.written
    assert "entities/vladimir-putin/index.html" in result.written
    serve.assert_same_as_clean_build()

    # A title: every page that lists the article shows the new one.
    edit(bundled, DAWN, "title: ", "title: Renamed ")
    result = serve.build(DAWN)
    assert result.incremental
    serve.assert_same_as_clean_build()

    # A note's passage and text.
    edit(bundled, "content/notes/talks-duration.md", "\n\n", "\n\nRevised. ")
    result = serve.build("content/notes/talks-duration.md")
    # Only the note's article page (through the page cache) and notes/ (a listing, whose
    # changes an incremental rebuild renders without it): every other listing's inputs
    # are equal to those it was published from, so it is kept without rendering
    # (Renderer.listing).
    assert result.incremental and serve.rendered() == 1
    assert "notes/index.html" in result.written
    serve.assert_same_as_clean_build()

    # A note on the story: the story page shows it (no article's parse changes).
    edit(bundled, "content/notes/story-two-reports.md", "reuses much", "reuses most")
    result = serve.build("content/notes/story-two-reports.md")
    assert result.incremental and f"stories/{STORY}/index.html" in result.written
    serve.assert_same_as_clean_build()

    # An article added, then removed again: its page comes and goes.
    copy = bundled / "content/articles/copy-of-reuters.md"
    shutil.copy(bundled / REUTERS, copy)
    edit(bundled, "content/articles/copy-of-reuters.md", "title: ", "title: Copy of ")
    assert serve.build("content/articles/copy-of-reuters.md").incremental
    assert (bundled / "site/articles/copy-of-reuters/index.html").is_file()
    serve.assert_same_as_clean_build()
    copy.unlink()
    result = serve.build("content/articles/copy-of-reuters.md")
    assert "articles/copy-of-reuters/index.html" in result.removed
    assert not (bundled / "site/articles/copy-of-reuters").exists()
    serve.assert_same_as_clean_build()


def test_global_changes_and_a_damaged_site_build_everything(bundled):
    serve = Serve(bundled)
    serve.build()
    # An entity: every page may link it, so everything is built again.
    write(bundled, "content/entities/vostochny.md", "---\nname: Vostochny\ntype: place\n---\n")
    assert not serve.build("content/entities/vostochny.md").incremental
    serve.assert_same_as_clean_build()
    # A page deleted from site/ behind the server's back: the rebuild keeps it as it
    # is, and the dev server then finds it gone (`first_missing`) and builds everything
    # (test_serve.py), which brings it back.
    entity = bundled / "site/entities/kremlin/index.html"
    entity.unlink()
    edit(bundled, REUTERS, "held talks for several hours", "held talks for some hours")
    assert serve.build(REUTERS).incremental
    writer = SiteWriter(bundled / "site")
    assert writer.first_missing(serve.memory.files) == "entities/kremlin/index.html"
    serve.memory.forget_site()
    assert not serve.build().incremental
    assert entity.is_file() and writer.first_missing(serve.memory.files) is None
    serve.assert_same_as_clean_build()
    # A data file changed behind its back: the patch of it (Dawn's row kept, Reuters'
    # new) cannot apply, so the same.
    (bundled / "site/data/articles.json").write_bytes(b"[]\n")
    edit(bundled, REUTERS, "discuss military matters", "discuss military affairs")
    assert not serve.build(REUTERS).incremental
    serve.assert_same_as_clean_build()
    # Templates: a full build.
    write(bundled, "overrides/templates/404.html", "{% extends 'base.html' %}")
    assert not serve.build("overrides/templates/404.html").incremental
    serve.assert_same_as_clean_build()


def test_a_config_change_compares_the_stories_again(bundled):
    """Raw HTML allowed: the tags in a passage are markup, not words, so the story's
    comparison changes with nothing else but the config."""
    serve = Serve(bundled)
    edit(bundled, REUTERS, "held talks for several hours", "held <em>talks</em> for hours")
    serve.build()
    config = bundled / "digest.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "allow_raw_html: true\n")
    assert not serve.build("digest.yaml").incremental
    serve.assert_same_as_clean_build()


def test_a_failed_incremental_rebuild_keeps_the_last_good_site(bundled):
    serve = Serve(bundled)
    serve.build()
    before = tree(bundled / "site")
    (bundled / DAWN).write_text("---\ntitle: [unclosed\n---\n\nBody.\n", encoding="utf-8")
    try:
        serve.build()
    except Exception as exc:  # DigestError: broken front matter, before anything is written
        assert "dawn" in str(getattr(exc, "diagnostics", exc))
    else:
        raise AssertionError("a broken article must fail the build")
    assert tree(bundled / "site") == before


def page(root: Path, article_path: str) -> str:
    slug = Path(article_path).stem
    return (root / "site/articles" / slug / "index.html").read_text(encoding="utf-8")


def test_a_rebuild_reads_the_files_the_watcher_reported(bundled):
    serve = Serve(bundled)
    serve.build()
    # Only reported files are read again: the others keep their earlier documents (so a
    # rebuild after one edit does not read and hash the whole digest).
    edit(bundled, REUTERS, "held talks for several hours", "held talks for some hours")
    edit(bundled, DAWN, "\n\n", "\n\nUnreported paragraph.\n\n")
    assert serve.build(REUTERS).incremental
    assert "held talks for some hours" in page(bundled, REUTERS)
    assert "Unreported paragraph." not in page(bundled, DAWN)
    # Without a report (the watcher's paths are not known), every file is read.
    serve.build()
    assert "Unreported paragraph." in page(bundled, DAWN)
    serve.assert_same_as_clean_build()

    # New and removed files, and a new folder reported as a folder: content/ is listed
    # again and every file that was not known is read.
    folder = bundled / "content/articles/2026"
    folder.mkdir()
    shutil.copy(bundled / REUTERS, folder / "copy.md")
    edit(bundled, "content/articles/2026/copy.md", "title: ", "title: Copy of ")
    assert serve.build("content/articles/2026").incremental
    assert "Copy of" in page(bundled, "copy.md")
    serve.assert_same_as_clean_build()
    (folder / "copy.md").unlink()
    serve.build("content/articles/2026/copy.md")
    assert not (bundled / "site/articles/copy").exists()
    serve.assert_same_as_clean_build()


def test_reported_paths_wait_for_a_build_that_reads_them(bundled):
    serve = Serve(bundled)
    serve.build()
    # A template error stops the build before any file is read: the reported article
    # is read by the next build, although that one was told only of the template.
    edit(bundled, REUTERS, "held talks for several hours", "held talks for some hours")
    write(bundled, "overrides/templates/404.html", "{% extends 'base.html' %")
    try:
        serve.build(REUTERS, "overrides/templates/404.html")
    except Exception as exc:  # DigestError naming the template
        assert "404.html" in str(getattr(exc, "diagnostics", exc))
    else:
        raise AssertionError("a broken template must fail the build")
    (bundled / "overrides/templates/404.html").unlink()
    serve.build("overrides/templates/404.html")
    assert "held talks for some hours" in page(bundled, REUTERS)
    serve.assert_same_as_clean_build()


def test_symlinked_content_is_read_whatever_was_reported(bundled):
    # A watcher reports a link's target, not the link: with a symlink in content/,
    # every file is read.
    target = bundled / "elsewhere/linked.md"
    target.parent.mkdir()
    shutil.copy(bundled / REUTERS, target)
    edit(bundled, "elsewhere/linked.md", "title: ", "title: Linked ")
    (bundled / "content/articles/linked.md").symlink_to(target)
    serve = Serve(bundled)
    serve.build()
    edit(bundled, "elsewhere/linked.md", "title: Linked ", "title: Relinked ")
    serve.build("elsewhere/linked.md")
    assert "Relinked" in page(bundled, "linked.md")
    serve.assert_same_as_clean_build()


def test_quote_edits_reach_every_page_that_shows_the_quote(bundled):
    """Edits that change quotes and nothing an entity page's mentions read: the quote
    stage's result changes while the entity stage keeps its own, so the speaker's page
    (which lists what they said) must still be rendered again."""
    serve = Serve(bundled)
    serve.build()
    said = "This folk wisdom is fully applicable"
    for article in (REUTERS, DAWN):  # both carry it: their wording is merged
        edit(bundled, article, said, "This folk wisdom is wholly applicable")
    result = serve.build(REUTERS, DAWN)
    assert result.incremental and "entities/vladimir-putin/index.html" in result.written
    assert "wholly applicable" in (bundled / "site/entities/vladimir-putin/index.html").read_text(
        encoding="utf-8"
    )
    serve.assert_same_as_clean_build()
    # Not a quote any more: the listings drop it, although no quote that is left
    # changed.
    edit(bundled, DAWN, "“This folk wisdom is wholly", "This folk wisdom is wholly")
    edit(bundled, DAWN, "between our countries.”", "between our countries.")
    edit(bundled, REUTERS, '*"This folk wisdom is wholly', "*This folk wisdom is wholly")
    edit(bundled, REUTERS, 'between our countries."*', "between our countries.*")
    result = serve.build(REUTERS, DAWN)
    assert result.incremental and "quotes/index.html" in result.written
    serve.assert_same_as_clean_build()


def test_paginated_listings_stay_right_across_rebuilds(bundled):
    """One article per home page: each page's pagination is its own, in the dev server's
    first build and after an edit."""
    config = bundled / "digest.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "page_size: 1\n", encoding="utf-8")
    serve = Serve(bundled)
    serve.build()
    serve.assert_same_as_clean_build()
    edit(bundled, DAWN, "title: ", "title: Renamed ")
    assert serve.build(DAWN).incremental
    pages = [bundled / "site/index.html", bundled / "site/page/2/index.html"]
    assert ["Renamed" in p.read_text(encoding="utf-8") for p in pages].count(True) == 1
    serve.assert_same_as_clean_build()


def test_an_edit_reports_the_problems_of_the_file_it_changed(bundled):
    """The last build's articles are kept, but not their warnings once the file changed."""
    serve = Serve(bundled)
    serve.build()
    edit(bundled, DAWN, "source: Dawn\n", "")
    result = serve.build(DAWN)
    assert result.incremental
    assert [d.message for d in result.diagnostics if "source" in d.message] == [
        "missing 'source': name the outlet that published the article"
    ]
    serve.assert_same_as_clean_build()
    edit(bundled, DAWN, "title: ", "source: Dawn\ntitle: ")
    assert not [d for d in serve.build(DAWN).diagnostics if "source" in d.message]


def test_unchanged_articles_stay_the_same_objects_when_one_is_added(bundled):
    """What every later stage's comparisons rely on to be quick (`stages.load_articles`)."""
    serve = Serve(bundled)
    serve.build()
    before = serve.memory.site.articles_by_id()
    copy = "content/articles/copy-of-dawn.md"
    shutil.copy(bundled / DAWN, bundled / copy)
    assert serve.build(copy).incremental
    after = serve.memory.site.articles_by_id()
    assert set(after) == set(before) | {"copy-of-dawn"}
    assert all(after[key] is article for key, article in before.items())


def test_a_file_fixed_after_a_failed_load_is_read_in_its_place(bundled):
    """A load that met a broken file is no base for the next one: that file was missing
    from its lists, so the places of the others in them are not the listing's."""
    serve = Serve(bundled)
    serve.build()
    good = (bundled / DAWN).read_text(encoding="utf-8")
    (bundled / DAWN).write_text("---\ntitle: [unclosed\n---\n\nBody.\n", encoding="utf-8")
    try:
        serve.build(DAWN)
    except Exception as exc:  # DigestError naming the file
        assert "dawn" in str(getattr(exc, "diagnostics", exc))
    else:
        raise AssertionError("a broken article must fail the build")
    (bundled / DAWN).write_text(good.replace("title: ", "title: Fixed "), encoding="utf-8")
    assert serve.build(DAWN).incremental
    assert "Fixed" in page(bundled, DAWN)
    serve.assert_same_as_clean_build()


def test_the_dev_servers_rebuild_leaves_collecting_to_the_settling_after_it(bundled):
    """A rebuild runs with Python's own collections off (they walked only the rebuild's
    new objects, again and again, and freed nothing): the one collection is
    `settle_memory`'s, after it. The collector is back on afterwards."""
    from generator.devserver import DevServer

    lines: list[str] = []
    dev = DevServer(
        bundled, lambda: read_config(bundled), None, Cache(bundled / ".c"), lines.append
    )
    seen: list[int] = []  # the generation of each collection

    def watch(phase: str, info: dict) -> None:
        if phase == "start":
            seen.append(info["generation"])

    gc.callbacks.append(watch)
    try:
        dev.rebuild(None)
        assert seen == []  # the first build: what it made is frozen as it is
        assert gc.isenabled()
        path = bundled / REUTERS
        path.write_text(path.read_text(encoding="utf-8") + "\nA last paragraph.\n", "utf-8")
        dev.rebuild({str(path)})
        pages = [sum(map(int, re.search(r"page (\d+)/(\d+)", x).groups())) for x in lines]
        assert pages[1] < pages[0] / 3, lines  # incremental: most pages were kept
        assert seen == [2]
        assert gc.isenabled()
        page = bundled / "site/articles/reuters-putin-and-north-koreas-kim-discuss/index.html"
        assert "A last paragraph." in page.read_text(encoding="utf-8")
    finally:
        gc.callbacks.remove(watch)
        gc.unfreeze()


def test_the_sitemap_stays_right_across_rebuilds(bundled):
    """With an absolute base URL there is a sitemap, made in a rebuild from the pages it
    rendered and those it kept; without one (`digest serve`'s own base path) nothing of
    it is looked up."""
    config = bundled / "digest.yaml"
    text = config.read_text(encoding="utf-8")
    assert "base_url: /\n" in text
    config.write_text(text.replace("base_url: /\n", "base_url: https://news.example/d/\n"))
    serve = Serve(bundled)
    serve.build()
    edit(bundled, REUTERS, "held talks for several hours", "held talks for some hours")
    assert serve.build(REUTERS).incremental
    serve.assert_same_as_clean_build()
    write(bundled, "content/articles/one-more.md", conftest.article(title="One more"))
    assert serve.build("content/articles/one-more.md").incremental
    assert "https://news.example/d/articles/one-more/" in (bundled / "site/sitemap.xml").read_text()
    serve.assert_same_as_clean_build()


def test_a_note_edit_keeps_the_indexes_of_the_articles_and_stories(bundled):
    """A rebuild's Site takes the last one's lookups (articles by id, stories by
    article, ...) whose fields are the very objects they were: a note edit keeps them,
    an article edit makes them again from the edited article."""
    from generator.story_views import stories_by_article

    serve = Serve(bundled)
    first = serve.build().site
    by_id, by_story, comparisons = (
        first.articles_by_id(),
        stories_by_article(first),
        first.story_comparisons(),
    )
    edit(bundled, "content/notes/talks-duration.md", "\n\n", "\n\nRevised. ")
    second = serve.build("content/notes/talks-duration.md")
    assert second.incremental and second.site.articles is first.articles
    assert second.site.articles_by_id() is by_id
    assert stories_by_article(second.site) is by_story
    assert second.site.story_comparisons() is comparisons
    edit(bundled, REUTERS, "held talks for several hours", "held talks for some hours")
    third = serve.build(REUTERS).site
    reuters = next(a for a in third.articles if a.path.name == Path(REUTERS).name)
    assert reuters is not by_id[reuters.id] and third.articles_by_id()[reuters.id] is reuters
    assert third.story_comparisons() == tuple(
        map(third.comparisons.get, (s.id for s in third.stories))
    )
    serve.assert_same_as_clean_build()


def test_story_summaries_kept_between_rebuilds_are_those_made_afresh(bundled):
    """The stories listing's summaries are made again only where a story, its comparison
    or one of its articles is not the very object it was: after each edit they equal
    summaries made from nothing (a new slug changes no story nor comparison, only the
    article and the link the summary shows)."""
    from generator.render import Renderer
    from generator.story_views import story_summaries

    copy = "content/articles/wire-copy.md"
    write(bundled, copy, conftest.article("Wire copy", "Wire", story=STORY, slug="wire-copy"))
    serve = Serve(bundled)
    serve.build()
    edits = [
        (DAWN, "\n\n", "\n\nAn unreported paragraph.\n\n"),  # its comparison
        (DAWN, "title: ", "title: Renamed "),  # the story's naming reads titles
        (copy, "slug: wire-copy", "slug: wire-moved"),  # only the article
    ]
    for path, old, new in edits:
        edit(bundled, path, old, new)
        result = serve.build(path)
        assert result.incremental
        kept = serve.memory.views["\0all"]["story summaries None"][1]
        assert kept == story_summaries(result.site, Renderer(result.site.config))
    assert "articles/wire-moved/" in str(kept)
    serve.assert_same_as_clean_build()


def test_listing_entries_are_kept_while_their_item_is_the_same(bundled):
    """A listing's entries (`entries`): an edit that changes one story's counts renders
    that story's card again; every other card is the very string it was, and the site
    equals a clean build's."""
    for story in ("other-a", "other-b"):
        for source in ("Wire", "Daily"):
            body = f"{source} reports on {story}."
            text = conftest.article(f"{story} in {source}", source, story=story, body=body)
            write(bundled, f"content/articles/{story}-{source.lower()}.md", text)
    serve = Serve(bundled)
    serve.build()
    (key,) = (k for k in serve.memory.views["\0entries"] if k[1] == "partials/story-card.html")
    items, _, before = serve.memory.views["\0entries"][key]
    assert len(items) == 3 and all(card.startswith('<li class="story-card">') for card in before)
    edit(bundled, DAWN, "\n\n", "\n\nAn unreported paragraph.\n\n")  # its story's counts
    assert serve.build(DAWN).incremental
    items, _, after = serve.memory.views["\0entries"][key]
    changed = [i for i, item in enumerate(items) if item["id"] == STORY]
    assert len(changed) == 1 and after[changed[0]] != before[changed[0]]
    assert all(after[i] is before[i] for i in range(3) if i not in changed)
    page = (bundled / "site/stories/index.html").read_text(encoding="utf-8")
    assert all(card in page for card in after)
    serve.assert_same_as_clean_build()


def test_warm_makes_now_what_the_first_edit_would_make(bundled):
    """`Memory.warm` (the dev server calls it before it serves): the content listing's
    lookups and each article's scored pairs are made before the first edit, which then
    uses them as they are."""
    serve = Serve(bundled)
    serve.build()
    listing, scoring = serve.memory.listing, serve.memory.grouping["scoring"]
    assert "plain" not in vars(listing) and scoring._pairs_of is None
    serve.memory.warm()
    assert {"plain", "_listed", "places"} <= set(vars(listing))
    pairs = scoring._pairs_of
    assert pairs and all(pair in scoring.pairs for found in pairs.values() for pair in found)
    edit(bundled, REUTERS, "held talks for several hours", "held talks for some hours")
    assert serve.build(REUTERS).incremental
    assert serve.memory.listing is listing and serve.memory.grouping["scoring"] is scoring
    assert scoring._pairs_of is pairs
    serve.assert_same_as_clean_build()


def test_the_parses_in_article_order_are_those_of_each_article(bundled):
    """The link stage makes each article's parse in order once (for the per-article keys
    of the entity and quote stages and `Site.parses`): the same as looking each up."""
    write(bundled, "content/articles/wire-copy.md", conftest.article("Wire copy", "Wire"))
    serve = Serve(bundled)
    for changed in ((), (REUTERS,)):
        if changed:
            edit(bundled, REUTERS, "held talks for several hours", "held talks for some hours")
        site = serve.build(*changed).site
        assert len(site.articles) == 3
        assert site.parses() == tuple(site.parsed[a.id] for a in site.articles)
