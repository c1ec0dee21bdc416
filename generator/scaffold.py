"""`digest init DIR`: a new digest that builds at once and deploys to GitHub Pages.

Writes digest.yaml, content/{articles,entities,notes,stories}/, seeds/ with one example
seed (ingested into content/articles/), `.github/workflows/pages.yml`, requirements.txt, .gitignore
and a README. Refuses a folder that already has files in it: it never overwrites.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from generator.errors import DigestError, error

# The Pages workflow: build with the Pages URL (a sub-path for project sites), deploy
# with the official actions. `{install}` installs news-digest.
WORKFLOW = """\
# Build the digest and publish it on GitHub Pages.
# Settings > Pages > Build and deployment > Source: "GitHub Actions".
name: Pages

on:
  push:
    branches: [main]
  workflow_dispatch:

permissions:
  contents: read
  pages: write
  id-token: write

concurrency:
  group: pages
  cancel-in-progress: false

jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - id: pages
        uses: actions/configure-pages@v5
      - name: Install news-digest
        run: {install}
      - name: Build (links, feeds and sitemap use the Pages URL)
        run: digest build --strict --base-url "${{{{ steps.pages.outputs.base_url }}}}/"
      - uses: actions/upload-pages-artifact@v3
        with:
          path: site

  deploy:
    needs: build
    runs-on: ubuntu-latest
    environment:
      name: github-pages
      url: ${{{{ steps.deployment.outputs.page_url }}}}
    steps:
      - id: deployment
        uses: actions/deploy-pages@v4
"""


def workflow(install: str) -> str:
    return WORKFLOW.format(install=install)


# An example seed in the shape `digest ingest` reads (headline, outlet, dateline,
# standfirst, "Published in" trailer); `init` ingests it, so the article matches it.
EXAMPLE_SEED = """\
An example headline for a new digest

Example Outlet

EXAMPLE CITY: This is the first paragraph of an example article. Replace the files in \
seeds/ with real articles and run digest ingest.

A short standfirst that says what the article is about

This is the second paragraph.

Published in Example Outlet, January 15th, 2024
"""


def files(title: str) -> dict[str, str]:
    """Relative path -> text of every file `init` writes."""
    safe_title = title.replace("\\", "\\\\").replace('"', '\\"')
    return {
        "digest.yaml": textwrap.dedent(
            f"""\
            # news-digest settings; every key has a default (see the news-digest README).
            title: "{safe_title}"
            description: An annotated digest of the news, compared across outlets.
            language: en
            # Where the site is published. The Pages workflow passes the real address
            # with --base-url; set it here for local builds with feeds and a sitemap.
            base_url: /
            page_size: 20
            """
        ),
        "content/articles/.gitkeep": "",
        "content/entities/.gitkeep": "",
        "content/notes/.gitkeep": "",
        "content/stories/.gitkeep": "",
        "seeds/example.txt": EXAMPLE_SEED,
        ".github/workflows/pages.yml": workflow("pip install -r requirements.txt"),
        "requirements.txt": (
            "# news-digest, with the Pagefind binary for search. Replace with a git URL\n"
            "# or a path if you install news-digest from source.\n"
            "news-digest\n"
            "pagefind[bin]\n"
        ),
        ".gitignore": "/site/\n/.digest-cache/\n/.venv/\n",
        "README.md": textwrap.dedent(
            f"""\
            # {title}

            An annotated news digest built with news-digest.

            ```sh
            digest ingest          # seeds/*.txt -> content/articles/*.md
            digest build           # content/ -> site/ (and the search index)
            digest check           # broken links, missing metadata, page sizes
            ```

            Publishing: push to GitHub, then Settings > Pages > Source: "GitHub Actions".
            `.github/workflows/pages.yml` builds with the Pages address and deploys.
            For a custom domain set `cname: news.example.org` in digest.yaml.
            """
        ),
    }


def init(target: Path, title: str = "News Digest") -> list[Path]:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise DigestError(
            [error(target, None, "folder is not empty: choose a new folder for the digest")]
        )
    written = []
    for rel, text in files(title).items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    from generator.ingest import ingest

    result = ingest([target / "seeds"], target / "content" / "articles", force=False)
    written.extend(Path(p) for p in result.written)
    return written
