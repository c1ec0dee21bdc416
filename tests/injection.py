"""A corpus of script-injection payloads, a project that carries them everywhere a reader
can see text, and a checker for every file of a built site.

Every payload that would inject something marks its element with `data-xss` or the tag
`xss-el`, calls `alert('xss-...')` and sets `window.__xss`, so a successful injection is
visible to an HTML parser and to a real browser alike. `check_site` walks ALL files of
the built site (every `.html`, `.json`, `.xml`), so pages added later (entities, quotes,
stories, notes, feeds, search index) are covered without changing this file; the corpus
also writes entity, note and story files in the documented formats so that those stages
get payloads once they exist.
"""

from __future__ import annotations

import json
import shutil
import textwrap
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

# Text payloads: for front matter fields, seeds, digest.yaml, entity names, notes.
TEXT = [
    "<script>window.__xss=1;alert('xss-t1')</script>",
    '"><img src=x data-xss onerror="window.__xss=2;alert(\'xss-t2\')">',
    "'><svg data-xss onload=alert('xss-t3')>",
    "</title><script>alert('xss-t4')</script>",
    "</script><script>alert('xss-t5')</script>",
    "<xss-el data-xss>element</xss-el>",
    "<iframe data-xss srcdoc=\"<script>parent.alert('xss-t7')</script>\"></iframe>",
    "javascript:alert('xss-t8')",
    "<a href=\"javascript:alert('xss-t9')\" data-xss>click</a>",
    "<!-- --><script>alert('xss-t10')</script>",
    "]]><script>alert('xss-t11')</script><![CDATA[",
    "{{ 7*7 }}{% raw %}<script>alert('xss-t12')</script>",
    "&lt;script&gt;alert('xss-t13')&lt;/script&gt;",
    "\u2028\u2029<script>alert('xss-t14')</script>",
    "<style data-xss>body{background:url(\"javascript:alert('xss-t15')\")}</style>",
    "<details open ontoggle=alert('xss-t16') data-xss>",
    "<body onload=alert('xss-t17') data-xss>",
    "<meta http-equiv=refresh content=\"0;url=javascript:alert('xss-t18')\" data-xss>",
    "<base href=\"javascript:alert('xss-t19')//\" data-xss>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('xss-t20') data-xss>",
    '" autofocus onfocus="alert(\'xss-t21\')" data-xss="',
    "' autofocus onfocus='alert(`xss-t22`)' data-xss='",
]

# Markdown payloads: for article bodies, entity descriptions and notes.
MARKDOWN = [
    "[click](javascript:alert('xss-m1'))",
    "[click](JaVaScRiPt:alert('xss-m2'))",
    "[click](java&#x73;cript:alert('xss-m3'))",
    "[click](&#106;avascript:alert('xss-m4'))",
    "![img](javascript:alert('xss-m5'))",
    "[click](vbscript:msgbox('xss-m6'))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgneHNzJyk8L3NjcmlwdD4=)",
    "<javascript:alert('xss-m8')>",
    "[ref][xss]\n\n[xss]: javascript:alert('xss-m9')",
    "[click](<javascript:alert('xss-m10')>)",
    "[click](%20javascript:alert('xss-m11'))",
    "<div data-xss onmouseover=\"alert('xss-m12')\">raw block</div>",
    "Inline <span data-xss onclick=alert('xss-m13')>raw</span> html.",
    "```\n</code></pre><script>alert('xss-m14')</script>\n```",
    "`</code><script>alert('xss-m15')</script>`",
    "## Heading <img src=x onerror=alert('xss-m16') data-xss>",
    "| a | b |\n|---|---|\n| <script>alert('xss-m17')</script> | [x](javascript:alert(17)) |",
    "[[<script>alert('xss-m18')</script>]] and [[Kim Jong Un|<img src=x data-xss>]]",
    "> <img src=x onerror=alert('xss-m19') data-xss>",
    "[x](https://example.com/\"onmouseover=\"alert('xss-m20'))",
    "*<xss-el data-xss>em</xss-el>*",
    '[x](https://example.com "title\\" onmouseover=\\"alert(\'xss-m22\')")',
    "<script>alert('xss-m23')</script>",
]

ANCHOR = "This ordinary sentence is where the editor's note is anchored."


def _yaml(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # JSON strings are YAML strings


def _seed() -> str:
    paragraphs = "\n\n".join(f"Paragraph with {p} inside it, reported here." for p in TEXT)
    return textwrap.dedent(
        """\
        Summit <script>alert('xss-s1')</script> ends without a clear deal today

        Evil<img src=x data-xss onerror=alert('xss-s2')>

        MOSCOW<svg data-xss onload=alert('xss-s3')>: Leaders met on Wednesday for talks that ran long.

        "<b data-xss onclick=alert('xss-s4')>QUOTED</b>"

        {paragraphs}

        (Reporting by <script>alert('xss-s5')</script>; Editing by <xss-el data-xss>x</xss-el>)
        """
    ).format(paragraphs=paragraphs)


def write_corpus(root: Path) -> None:
    """A project whose every reader-visible text field carries payloads."""
    (root / "content" / "articles").mkdir(parents=True, exist_ok=True)
    (root / "seeds").mkdir(parents=True, exist_ok=True)
    (root / "seeds" / "xss.txt").write_text(_seed(), encoding="utf-8")
    (root / "digest.yaml").write_text(
        f"title: {_yaml('Digest ' + TEXT[0] + TEXT[1])}\n"
        f"description: {_yaml('About ' + TEXT[3] + TEXT[20])}\n",
        encoding="utf-8",
    )
    body = "\n\n".join([ANCHOR, *MARKDOWN, *(f"Text {t} here." for t in TEXT)])
    n = len(TEXT)
    for i in range(n):
        meta = {
            "title": f"Title {i} {TEXT[i]}",
            "source": f"Outlet {TEXT[(i + 1) % n]}",
            "date": f"2023-09-{1 + i % 28:02}",
            "dateline": TEXT[(i + 2) % n],
            "standfirst": f"Standfirst {TEXT[(i + 3) % n]}",
            "byline": f"By {TEXT[(i + 4) % n]}",
            "url": f"https://example.com/a{i}?q=\"><script>alert('xss-u{i}')</script>",
        }
        lines = ["---", *(f"{k}: {_yaml(v)}" for k, v in meta.items())]
        lines += ["tags:", *(f"  - {_yaml(t)}" for t in TEXT[:3])]
        lines += ["---", "", body, ""]
        (root / "content" / "articles" / f"xss-{i:02}.md").write_text(
            "\n".join(lines), encoding="utf-8"
        )
    # Later stages (entities, notes, stories) read these; today they are loaded only.
    entity = ["---", f"name: {_yaml('Kim Jong Un ' + TEXT[5])}", "type: person", "aliases:"]
    entity += [f"  - {_yaml(t)}" for t in TEXT[:4]] + ["  - Kim", "---", "", *MARKDOWN, ""]
    _write(root / "content" / "entities" / "xss-entity.md", "\n".join(entity))
    note = [
        "---",
        "target: xss-00",
        f"anchor: {_yaml(ANCHOR)}",
        "---",
        "",
        *MARKDOWN,
        *TEXT,
        "",
    ]
    _write(root / "content" / "notes" / "xss-note.md", "\n".join(note))
    story = ["---", f"title: {_yaml('Story ' + TEXT[0])}", "---", "", *MARKDOWN, ""]
    _write(root / "content" / "stories" / "xss-story.md", "\n".join(story))


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def build_corpus(root: Path, repo: Path) -> Path:
    """Write the corpus, ingest its seed, build; returns site/. Raises on build errors."""
    from generator.ingest import ingest
    from generator.load import read_config
    from generator.pipeline import build

    for name in ("themes", "overrides"):
        if (repo / name).is_dir() and not (root / name).exists():
            shutil.copytree(repo / name, root / name)
    write_corpus(root)
    result = ingest([root / "seeds"], root / "content" / "articles")
    errors = [d for d in result.diagnostics if d.level == "error"]
    assert not errors, errors
    build(read_config(root))
    return root / "site"


# Checking a built site -----------------------------------------------------------------

UNSAFE_SCHEMES = ("javascript:", "vbscript:", "data:", "livescript:")
URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "xlink:href", "poster", "data", "background",
    "cite", "longdesc", "ping", "srcset", "manifest", "codebase", "icon",
}  # fmt: skip
FORBIDDEN_TAGS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base"}
JSON_TYPES = {"application/ld+json", "application/json", "importmap"}


def _scheme_of(value: str) -> str:
    kept = "".join(c for c in value if c > " " and c != "\x7f").lower()
    return kept


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._raw_tag: str | None = None
        self._raw_type = ""
        self._raw: list[str] = []

    def handle_starttag(self, tag, attrs):
        where = f"<{tag}> at line {self.getpos()[0]}"
        if "xss" in tag or tag in FORBIDDEN_TAGS:
            self.problems.append(f"injected element {where}")
        for name, value in attrs:
            value = value or ""
            if "xss" in name:
                self.problems.append(f"injected attribute {name} on {where}")
            if name.startswith("on"):
                self.problems.append(f"event handler attribute {name}={value!r} on {where}")
            if name in URL_ATTRIBUTES and _scheme_of(value).startswith(UNSAFE_SCHEMES):
                self.problems.append(f"unsafe URL {name}={value!r} on {where}")
            if name == "style" and "xss" in value:
                self.problems.append(f"injected style on {where}")
        if tag == "meta" and any(n == "http-equiv" for n, _ in attrs):
            self.problems.append(f"http-equiv meta {where}")
        if tag in ("script", "style"):
            self._raw_tag = tag
            self._raw_type = (dict(attrs).get("type") or "").lower()
            self._raw = []

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self.handle_endtag(tag)

    def handle_data(self, data):
        if self._raw_tag:
            self._raw.append(data)

    def handle_endtag(self, tag):
        if self._raw_tag and tag == self._raw_tag:
            content = "".join(self._raw)
            if tag == "script" and self._raw_type in JSON_TYPES:
                try:
                    json.loads(content)
                except ValueError as exc:
                    self.problems.append(f"<script type={self._raw_type}> is not JSON: {exc}")
            elif "xss" in content or "alert(" in content:
                self.problems.append(f"injected <{tag}> content {content[:80]!r}")
            self._raw_tag = None

    def handle_comment(self, data):
        if "xss" in data:
            self.problems.append(f"payload text inside a comment {data[:80]!r}")


def check_html(text: str) -> list[str]:
    checker = _Checker()
    checker.feed(text)
    checker.close()
    return checker.problems


def _check_xml(text: str) -> list[str]:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        return [f"not well-formed XML: {exc}"]
    problems = []
    for element in root.iter():
        tag = str(element.tag)
        if "xss" in tag:
            problems.append(f"injected element {tag}")
        problems += [f"injected attribute {a}" for a in element.attrib if "xss" in a]
    return problems


def check_site(site: Path) -> dict[str, list[str]]:
    """Problems per file, for every .html, .json and .xml file of the site."""
    found: dict[str, list[str]] = {}
    for path in sorted(site.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(site).as_posix()
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".html":
            problems = check_html(text)
        elif path.suffix == ".json":
            try:
                json.loads(text)
                problems = []
            except ValueError as exc:
                problems = [f"not valid JSON: {exc}"]
        elif path.suffix in (".xml", ".rss", ".atom"):
            problems = _check_xml(text)
        else:
            continue
        if problems:
            found[rel] = problems
    return found
