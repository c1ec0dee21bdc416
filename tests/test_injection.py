"""Script injection: a corpus of payloads in every text a reader sees; no page of the built
site (checked by an HTML parser and in headless Chromium) gets an injected element,
attribute, URL or script."""

from __future__ import annotations

import html
import os
import shutil
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import CHROMIUM_ARGS, REPO, article, write
from injection import MARKDOWN, TEXT, build_corpus, check_html, check_site

from generator.cli import main


@pytest.fixture(scope="module")
def corpus_site(tmp_path_factory) -> Path:
    return build_corpus(tmp_path_factory.mktemp("xss") / "proj", REPO)


def test_no_page_has_an_injected_element_attribute_or_url(corpus_site):
    pages = sorted(corpus_site.rglob("*.html"))
    assert len(pages) >= 20
    assert check_site(corpus_site) == {}


def test_the_payloads_really_reach_the_pages(corpus_site):
    """Guard: the corpus is on the pages, as inert text (else the test above is empty)."""
    text = "\n".join(html.unescape(p.read_text()) for p in corpus_site.rglob("*.html"))
    markers = [f"xss-t{i}" for i in range(1, len(TEXT) + 1) if i != 6]  # t6: no alert
    markers += [f"xss-m{i}" for i in range(1, len(MARKDOWN) + 1) if i not in (7, 17, 21)]
    markers += ["xss-s1", "xss-s2", "xss-s4", "xss-s5", "xss-u0"]
    missing = [m for m in markers if f"{m}'" not in text and f"{m}`" not in text]
    assert missing == []
    home = html.unescape((corpus_site / "index.html").read_text())
    assert "<script>window.__xss=1;alert('xss-t1')</script>" in home  # digest.yaml title


@pytest.mark.parametrize(
    "snippet",
    [
        "<p><script>alert(1)</script></p>",
        '<img src=x data-xss onerror="alert(1)">',
        '<a href=" JaVa\tScRiPt:alert(1)">x</a>',
        "<xss-el>x</xss-el>",
        '<div onclick="x()">x</div>',
        '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
        '<script type="application/ld+json">{"a": "</script><script>alert(1)</script>',
        "<iframe srcdoc='x'></iframe>",
    ],
)
def test_the_checker_catches_injections(snippet):
    assert check_html(f"<!DOCTYPE html><html><body>{snippet}</body></html>")


def test_the_checker_passes_escaped_text():
    escaped = html.escape(" ".join(TEXT + MARKDOWN))
    page = f'<!DOCTYPE html><html><head><title>{escaped}</title></head><body><p title="{escaped}">{escaped}</p></body></html>'
    assert check_html(page) == []


def test_javascript_url_in_front_matter_is_an_error(project, capsys):
    for i, url in enumerate(["javascript:alert(1)", " JAVASCRIPT:alert(1)", "data:text/html,x"]):
        write(project, f"content/articles/a{i}.md", article(title="T", url=repr(url)))
    assert main(["build", "--root", str(project)]) == 1
    err = capsys.readouterr().err
    for i in range(3):
        assert (
            f"content/articles/a{i}.md:5: 'url' must be a web address starting with https://" in err
        )
    assert not (project / "site").exists()


def test_raw_html_opt_in_lets_trusted_html_through_but_never_script_urls(project):
    body = "<b class=trusted>bold</b>\n\n[x](javascript:alert(1)) ![y](vbscript:z) <javascript:q>"
    write(project, "content/articles/one.md", article(title="One", body=body))
    write(project, "digest.yaml", "allow_raw_html: true\n")
    assert main(["build", "--root", str(project)]) == 0
    page = (project / "site/articles/one/index.html").read_text()
    assert '<b class="trusted">bold</b>' in page or "<b class=trusted>bold</b>" in page
    assert check_html(page) == []
    write(project, "digest.yaml", "allow_raw_html: false\n")
    assert main(["build", "--root", str(project)]) == 0
    page = (project / "site/articles/one/index.html").read_text()
    assert "&lt;b class=trusted&gt;bold&lt;/b&gt;" in page


@pytest.mark.parametrize("base_url", ["javascript:alert(1)//", "data:x", "//evil.example/"])
def test_unsafe_base_url_is_an_error(project, capsys, base_url):
    write(project, "content/articles/one.md", article(title="One"))
    write(project, "digest.yaml", f"base_url: {base_url!r}\n")
    assert main(["build", "--root", str(project)]) == 1
    assert "digest.yaml:1: 'base_url' must start with / or be an http" in capsys.readouterr().err


# In a real browser ---------------------------------------------------------------------


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium through Playwright; skipped locally, required under CI."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    executable = _chromium()
    if sync_playwright is None or executable is None:
        message = "needs Playwright (pip, test extra) and Chromium (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable,
            args=CHROMIUM_ARGS,
        )
        try:
            yield chromium
        finally:
            chromium.close()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def serve():
    servers = []

    def start(folder: Path) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(folder)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def visit_all(browser, base: str, pages: list[str]) -> dict[str, list[str]]:
    """Load every page; report dialogs, `window.__xss` and injected elements."""
    context = browser.new_context(java_script_enabled=True)
    local = base.rstrip("/")
    context.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith(local) else route.abort(),
    )
    found: dict[str, list[str]] = {}
    try:
        for rel in pages:
            page = context.new_page()
            problems: list[str] = []
            page.on("dialog", lambda d, p=problems: (p.append(f"dialog: {d.message}"), d.dismiss()))
            page.goto(base + rel, wait_until="load")
            page.wait_for_load_state("networkidle")
            injected = page.evaluate(
                "() => [window.__xss || null,"
                " document.querySelectorAll('[data-xss], xss-el, iframe, object, embed').length]"
            )
            if injected[0]:
                problems.append(f"window.__xss = {injected[0]}")
            if injected[1]:
                problems.append(f"{injected[1]} injected element(s) in the DOM")
            page.close()
            if problems:
                found[rel] = problems
    finally:
        context.close()
    return found


def test_no_dialog_and_no_injected_element_in_chromium(browser, serve, corpus_site):
    pages = [p.relative_to(corpus_site).as_posix() for p in sorted(corpus_site.rglob("*.html"))]
    base = serve(corpus_site)
    assert visit_all(browser, base, pages) == {}


def test_the_browser_check_catches_a_real_injection(browser, serve, tmp_path):
    """Guard: the same harness reports a page where a payload did get through."""
    write(
        tmp_path,
        "bad.html",
        "<!DOCTYPE html><title>x</title><p>"
        + TEXT[0]
        + TEXT[1]
        + "<xss-el data-xss>x</xss-el></p>",
    )
    found = visit_all(browser, serve(tmp_path), ["bad.html"])
    assert "dialog: xss-t1" in found["bad.html"]
    assert any("injected element" in p for p in found["bad.html"])


def test_the_attacked_site_is_still_valid_html5(corpus_site):
    from conftest import vnu_errors

    assert vnu_errors(sorted(corpus_site.rglob("*.html"))) == []
