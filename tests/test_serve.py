"""The real `digest serve` in a subprocess: pages over HTTP, live reload, overlay, hygiene."""

from __future__ import annotations

import http.client
import os
import socket
import struct
import threading
import time

import pytest
from conftest import Page, article, write
from serving import WAIT, Served, atomic_save, edit


@pytest.fixture
def served(project):
    write(project, "content/articles/first.md", article(title="First headline", body="Alpha."))
    write(project, "content/articles/second.md", article(title="Second headline", body="Beta."))
    server = Served(project, "--base-path", "/repo/")
    yield server
    code = server.stop()
    assert code == 0, (server.errors, server.lines)
    assert not any("Traceback" in line for line in server.errors), server.errors
    assert "stopping" in server.lines


def test_serves_the_site_under_the_base_path_with_the_reload_script(served, project):
    assert served.base == "/repo/"
    assert served.url.startswith("http://127.0.0.1:")
    assert any(line.startswith("watching ") and "paths" in line for line in served.lines)
    status, headers, body = served.get("")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    html = body.decode()
    assert "/repo/__digest/events?since=" in html
    assert html.rstrip().endswith("</html>") and html.index("EventSource") < html.rindex("</body>")
    page = Page(html)
    assert "/repo/articles/first/" in page.links
    # The files in site/ stay exactly what `digest build` writes.
    assert "__digest" not in (project / "site" / "index.html").read_text()
    assert served.get("/", raw=True)[0] == 404
    status, headers, _ = served.get("/repo", raw=True)
    assert (status, headers["Location"]) == (301, "/repo/")
    status, headers, _ = served.get("articles/first")
    assert (status, headers["Location"]) == (301, "/repo/articles/first/")


def test_content_types_and_404_page(served):
    status, headers, body = served.get("static/style.css")
    assert (status, headers["Content-Type"]) == (200, "text/css; charset=utf-8")
    assert b"EventSource" not in body
    status, headers, body = served.get("data/articles.json")
    assert (status, headers["Content-Type"]) == (200, "application/json")
    assert b"EventSource" not in body
    status, headers, body = served.get("no/such/page/")
    assert status == 404
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Page not found" in body.decode() and b"EventSource" in body


def test_an_edit_reloads_with_the_new_content(served, project):
    since = served.generation()
    edit(project / "content/articles/first.md", article(title="Edited headline", body="Alpha."))
    assert served.wait_reload(since) > since
    assert "Edited headline" in Page(served.text("articles/first/")).title
    assert "Edited headline" in served.text("")


def test_a_page_removed_from_site_comes_back_after_the_next_edit(served, project):
    """The rebuild after an edit keeps the other pages as published; then the server
    finds one of them gone and builds everything, which brings it back."""
    page = project / "site/articles/second/index.html"
    page.unlink()
    since = served.generation()
    edit(project / "content/articles/first.md", article(title="Edited again", body="Alpha."))
    served.wait_reload(since)
    deadline = time.monotonic() + 30
    while not page.is_file() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert page.is_file(), served.lines
    assert any("articles/second/index.html is gone from site/" in line for line in served.lines)
    assert "Second headline" in served.text("articles/second/")
    assert "Edited again" in served.text("articles/first/")


def test_an_atomic_rename_save_is_seen(served, project):
    since = served.generation()
    atomic_save(project / "content/articles/second.md", article(title="Renamed in", body="B."))
    served.wait_reload(since)
    assert "Renamed in" in served.text("articles/second/")
    # vim's way: move the original to a backup name, write anew, delete the backup.
    since = served.generation()
    target = project / "content/articles/second.md"
    os.replace(target, project / "content/articles/second.md~")
    target.write_text(article(title="Vim saved", body="B."), encoding="utf-8")
    (project / "content/articles/second.md~").unlink()
    served.wait_reload(since)
    assert "Vim saved" in served.text("articles/second/")


def test_broken_front_matter_shows_an_escaped_overlay_until_fixed(served, project):
    path = project / "content/articles/first.md"
    since = served.generation()
    edit(path, article(title="First headline", date='"<b>soon</b>"', body="Alpha."))
    since = served.wait_reload(since)
    html = served.text("articles/first/")
    assert 'id="digest-error-overlay"' in html
    assert "content/articles/first.md:4: &#x27;date&#x27; is not a date" in html
    assert "&lt;b&gt;soon&lt;/b&gt;" in html and "<b>soon</b>" not in html
    assert "First headline" in Page(html).title  # the last good page is still served
    assert 'id="digest-error-overlay"' in served.text("")  # on every page
    assert any("first.md:4:" in line for line in served.errors)  # and in the terminal
    assert served.status()["errors"]
    edit(path, article(title="Fixed headline", body="Alpha."))
    served.wait_reload(since)
    html = served.text("articles/first/")
    assert "digest-error-overlay" not in html
    assert "Fixed headline" in Page(html).title
    assert served.status()["errors"] == []


def test_a_broken_template_and_config_keep_the_server_up(served, project):
    since = served.generation()
    edit(project / "overrides/templates/article.html", "{% extends 'base.html' %}{% block main")
    since = served.wait_reload(since)
    assert "overrides/templates/article.html:1:" in served.text("")
    edit(project / "digest.yaml", "titel: Oops\n")
    since = served.wait_reload(since)
    assert "digest.yaml:1: unknown key &#x27;titel&#x27;" in served.text("")
    (project / "overrides/templates/article.html").unlink()
    edit(project / "digest.yaml", "title: Renamed digest\n")
    served.wait_reload(since)
    html = served.text("")
    assert "digest-error-overlay" not in html
    assert "Renamed digest" in Page(html).title


def test_deletions_renames_and_new_folders(served, project):
    since = served.generation()
    os.replace(project / "content/articles/second.md", project / "content/articles/moved.md")
    since = served.wait_reload(since)
    assert served.get("articles/second/")[0] == 404
    assert "Second headline" in served.text("articles/moved/")
    (project / "content/articles/moved.md").unlink()
    since = served.wait_reload(since)
    assert served.get("articles/moved/")[0] == 404
    assert "Second headline" not in served.text("")
    write(project, "content/articles/deep/er/third.md", article(title="In a new folder"))
    since = served.wait_reload(since)
    assert "In a new folder" in served.text("articles/third/")
    # A folder the server did not watch at start: overrides/ with a static file.
    edit(project / "overrides/static/extra.css", "body { color: red }\n")
    served.wait_reload(since)
    assert served.get("static/extra.css")[2] == b"body { color: red }\n"


def test_a_watched_folder_removed_and_recreated_is_watched_again(served, project):
    import shutil

    since = served.generation()
    edit(project / "overrides/static/a.css", "a{}\n")
    since = served.wait_reload(since)
    shutil.rmtree(project / "overrides")
    since = served.wait_reload(since)
    assert served.get("static/a.css")[0] == 404
    edit(project / "overrides/static/b.css", "b{}\n")
    since = served.wait_reload(since)
    edit(project / "overrides/static/b.css", "b{color:red}\n")
    while served.get("static/b.css")[2] != b"b{color:red}\n":
        since = served.wait_reload(since)
    assert served.get("static/b.css")[2] == b"b{color:red}\n"


def test_symlinked_content_is_followed(project, tmp_path):
    shared = project / "shared-articles"
    write(project, "shared-articles/linked.md", article(title="Linked article"))
    (project / "content/articles/linked").symlink_to(shared, target_is_directory=True)
    server = Served(project)
    try:
        assert "Linked article" in server.text("articles/linked/")
        since = server.generation()
        edit(shared / "linked.md", article(title="Linked and edited"))
        server.wait_reload(since)
        assert "Linked and edited" in server.text("articles/linked/")
    finally:
        assert server.stop() == 0


def test_a_folder_linked_while_serving_is_followed(served, project):
    """A symlink to a folder made while the server runs: the rebuild after it watches
    the linked folder (inotify does not follow links), so edits there rebuild too."""
    shared = project / "shared-articles"
    write(project, "shared-articles/linked.md", article(title="Linked article"))
    since = served.generation()
    (project / "content/articles/linked").symlink_to(shared, target_is_directory=True)
    since = served.wait_reload(since)
    assert "Linked article" in served.text("articles/linked/")
    edit(shared / "linked.md", article(title="Linked and edited"))
    served.wait_reload(since)
    assert "Linked and edited" in served.text("articles/linked/")


def test_editor_temp_files_and_output_do_not_rebuild(served, project):
    since = served.generation()
    for name in (".first.md.swp", "first.md~", "4913", "#first.md#", ".#first.md"):
        edit(project / "content/articles" / name, "junk")
    edit(project / "site/extra.html", "junk")
    edit(project / ".digest-cache/junk", "junk")
    time.sleep(1.0)  # several debounce periods: a rebuild would have happened by now
    assert served.generation() == since
    edit(project / "content/articles/first.md", article(title="Real edit"))
    assert served.wait_reload(since) == since + 1


def test_a_save_that_changes_no_page_reloads_no_browser(served, project):
    since = served.generation()
    path = project / "content/articles/first.md"
    shown = len(served.lines)
    path.write_bytes(path.read_bytes())  # saved again as it was
    deadline = time.monotonic() + 30
    while not any("first.md (0 written" in line for line in served.lines[shown:]):
        assert time.monotonic() < deadline, served.lines[shown:]
        time.sleep(0.05)
    assert served.generation() == since
    edit(path, article(title="Changed headline"))
    assert served.wait_reload(since) == since + 1
    assert "Changed headline" in served.text("articles/first/")


def test_a_burst_of_files_gives_few_rebuilds(served, project):
    since = served.generation()
    for n in range(40):
        write(project, f"content/articles/burst-{n}.md", article(title=f"Burst {n}"))
    served.wait_reload(since)
    deadline = time.monotonic() + 60
    # The newest page_size articles are on the home page; the last one has its own page.
    while served.get("articles/burst-39/")[0] != 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "Burst 39" in served.text("articles/burst-39/")
    assert served.generation() - since < 10


def test_path_traversal_and_symlinks_out_are_404(served, project, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    (project / "site" / "leak.txt").symlink_to(secret)
    (project / "site" / "leakdir").symlink_to(tmp_path, target_is_directory=True)
    for path in (
        "/repo/../secret.txt",
        "/repo/../../../../etc/passwd",
        "/repo/%2e%2e/secret.txt",
        "/repo/%2E%2E/%2e%2e/etc/passwd",
        "/repo/articles/..%2f..%2fsecret.txt",
        "/repo/leak.txt",
        "/repo/leakdir/secret.txt",
        "/repo/%00",
        "/repo/..\\secret.txt",
        "/repo/%ff%fe",
    ):
        status, _headers, body = served.get(path, raw=True)
        assert status == 404, path
        assert b"top secret" not in body and b"root:" not in body


def test_fifty_concurrent_clients_with_open_reload_streams(served):
    baseline = served.status()["threads"]
    streams = []
    for _ in range(10):
        conn = http.client.HTTPConnection(served.host, served.port, timeout=60)
        conn.request("GET", f"/repo/__digest/events?since={served.generation()}")
        response = conn.getresponse()
        assert response.status == 200
        streams.append(conn)
    results: list[int] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        for path in ("", "articles/first/", "static/style.css", "missing/"):
            status = served.get(path)[0]
            with lock:
                results.append(status)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 200 and set(results) <= {200, 404}
    assert results.count(404) == 50
    for conn in streams:
        conn.close()
    deadline = time.monotonic() + 30
    while served.status()["threads"] > baseline + 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert served.status()["threads"] <= baseline + 1  # no leaked request threads


def test_a_browser_that_goes_away_mid_answer_leaves_no_traceback(project):
    """A tab closed (or a client timing out) while a page is being sent: the server
    answers the next request as before and prints nothing (`served` checks stderr)."""
    write(project, "content/articles/first.md", article(title="First headline", body="Alpha."))
    big = project / "overrides/static/big.bin"
    big.parent.mkdir(parents=True)
    big.write_bytes(b"x" * (32 << 20))  # more than both sockets' buffers hold
    server = Served(project)
    try:
        for _ in range(3):
            sock = socket.create_connection((server.host, server.port), timeout=WAIT)
            sock.sendall(f"GET {server.base}static/big.bin HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            assert sock.recv(4096).startswith(b"HTTP/1.0 200")  # the answer has started
            # Close with a reset, as a browser killing the connection does.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        assert server.get("")[0] == 200
    finally:
        code = server.stop()
    assert code == 0, (server.errors, server.lines)
    assert server.errors == [], server.errors


def test_a_changed_seed_is_reingested_unless_hand_edited(project, bundled):
    seed = sorted((bundled / "seeds").glob("*.txt"))[0]
    (project / "seeds").mkdir()
    server = Served(project)
    try:
        since = server.generation()
        (project / "seeds" / seed.name).write_bytes(seed.read_bytes())
        since = server.wait_reload(since)
        ingested = sorted((project / "content/articles").glob("*.md"))
        assert len(ingested) == 1
        slug = ingested[0].stem
        assert server.get(f"articles/{slug}/")[0] == 200
        # An editor changes the article; then the seed changes: ingest refuses, says so.
        text = ingested[0].read_text()
        ingested[0].write_text(text + "\nEditor addition here.\n")
        since = server.wait_reload(since)
        (project / "seeds" / seed.name).write_bytes(seed.read_bytes() + b"\nA late paragraph.\n")
        since = server.wait_reload(since)
        html = server.text(f"articles/{slug}/")
        assert "was edited by hand" in html and "digest-error-overlay" in html
        assert "Editor addition here." in html  # the hand edit is kept
    finally:
        assert server.stop() == 0


def test_an_edit_made_while_the_first_build_renders_is_served(project):
    """The first build runs before the file watcher starts (so that it can fork worker
    processes): a file saved after it read the content, while it renders, still reaches
    the served site."""
    for i in range(120):
        body = f"Report {i} on the talks. " * 150
        write(project, f"content/articles/a{i:03}.md", article(title=f"Headline {i}", body=body))
    target = write(project, "content/articles/edited.md", article(title="Before the edit"))
    staging = project / ".site.staging"  # exists while a full build renders
    saved = threading.Event()

    def save_while_rendering() -> None:
        deadline = time.monotonic() + 60
        while not staging.exists():
            if time.monotonic() > deadline:
                return
            time.sleep(0.001)
        edit(target, article(title="After the edit"))
        saved.set()

    thread = threading.Thread(target=save_while_rendering, daemon=True)
    thread.start()
    server = Served(project)
    try:
        thread.join(60)
        assert saved.is_set(), "the first build never rendered into its staging folder"
        deadline = time.monotonic() + 20
        while "After the edit" not in server.text("articles/edited/"):
            assert time.monotonic() < deadline, server.lines
            time.sleep(0.05)
    finally:
        assert server.stop() == 0, server.errors
