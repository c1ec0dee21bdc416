"""A real browser (Debian's headless Chromium, driven by Playwright) reloads by itself."""

from __future__ import annotations

import os

import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS, article, write
from serving import Served, atomic_save

ARGS = ["--headless=new", *CHROMIUM_ARGS]


@pytest.fixture
def browser(tmp_path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            raise AssertionError("chromium is not installed (see .ci/run)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        # Playwright's own persistent-context API gives each run a fresh profile folder.
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, args=ARGS, headless=True
        )
        try:
            yield context
        finally:
            context.close()


def test_the_open_page_changes_without_a_manual_reload(browser, project):
    path = write(project, "content/articles/live.md", article(title="Before the edit"))
    server = Served(project, "--base-path", "/repo/")
    try:
        page = browser.new_page()
        page.goto(server.url + "articles/live/")
        assert page.inner_text("h1") == "Before the edit"
        page.evaluate("window.__marker = 'same document'")
        atomic_save(path, article(title="After the edit", body="New words."))
        page.wait_for_function(
            "document.querySelector('h1') && "
            "document.querySelector('h1').textContent === 'After the edit'",
            timeout=60_000,
        )
        assert "New words." in page.inner_text("main")
        assert page.evaluate("window.__marker") is None  # the page was reloaded, by itself
        # A broken front matter: the overlay appears over the last good page, then clears.
        path.write_text("---\ntitle: [unclosed\n---\n\nBody.\n", encoding="utf-8")
        page.wait_for_selector("#digest-error-overlay", timeout=60_000)
        assert "content/articles/live.md:" in page.inner_text("#digest-error-overlay")
        assert page.inner_text("h1") == "After the edit"
        path.write_text(article(title="Fixed again"), encoding="utf-8")
        page.wait_for_function(
            "document.querySelector('h1').textContent === 'Fixed again'", timeout=60_000
        )
        assert page.query_selector("#digest-error-overlay") is None
    finally:
        assert server.stop() == 0
