"""Fuzzing: arbitrary text never raises an unhandled exception; it gives a result or a
diagnostic (`DigestError`, `FrontMatterError`).

Inputs mix arbitrary Unicode (lone surrogates included) with the fragments that break
parsers: NUL and other control characters, CR and CRLF line ends, RTL marks, combining
characters, emoji sequences, BOMs, YAML and Markdown syntax, very long lines. Files are
bytes, so the loaders are also fed arbitrary bytes. Profiles: see tests/conftest.py.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath

import yaml
from conftest import REPO
from hypothesis import example, given
from hypothesis import strategies as st
from injection import UNSAFE_SCHEMES, check_html

from generator import articles, frontmatter
from generator.articles import SLUG_RE
from generator.config import Config
from generator.errors import DigestError
from generator.frontmatter import FrontMatterError, parse_yaml, split
from generator.ingest import plaintext, plan, render_article
from generator.load import load_document, read_config
from generator.markup import make_markdown, render
from generator.model import Document
from generator.paths import unsafe_output_path
from generator.pipeline import build_site
from generator.text import slugify

NASTY = [
    "\x00", "\x01", "\x07", "\x1b[31m", "\x7f", "\x85", "\x0b", "\x0c", "\t", "\r\n", "\r",
    "\n", "\n\n", "\u2028", "\u2029", "\ufeff", "\ufffe", "\u202e", "\u200f", "\u200b",
    "\u0301", "e\u0301", "\U0001f600", "\U0001f468\u200d\U0001f469\u200d\U0001f467",
    "\U0001f1fa\U0001f1f8", "\ud800", "\udfff", "---", "...", "```", "~~~", "<script>", "</p>",
    "*", "**", "_", "__", "[[", "]]", "[", "](", "](javascript:alert(1))", "&amp;", "&#0;",
    "&#x0;", "\\", "#", "## ", "> ", "- ", "* ", "1. ", "1) ", "|", ":", ": ", "&", "!",
    "    ", "<!--", "-->", "<![CDATA[", "{{", "{%", "'", '"', "“", "’", "—", "date 2023-09-14",
    "Published in Dawn, May 2nd, 2021", "(Reporting by A; Editing by B)", "MOSCOW: ",
]  # fmt: skip
CHARS = st.one_of(st.characters(), st.characters(categories=["Cs"]))
PIECE = st.one_of(
    st.text(CHARS, max_size=20),
    st.sampled_from(NASTY),
    st.sampled_from(NASTY),
    st.text(st.sampled_from("Ab c.,'\n"), max_size=40),
    st.integers(1_000, 30_000).map(lambda n: "word " * (n // 5)),  # a very long line
)
TEXT = st.lists(PIECE, max_size=30).map("".join)
FILE_TEXT = TEXT.map(lambda t: t.encode("utf-8", "surrogatepass"))
BYTES = st.one_of(st.binary(max_size=2_000), FILE_TEXT)

YAML_VALUES = st.one_of(
    TEXT.map(lambda t: t.replace("\n", " ")),
    st.sampled_from(
        [
            "", "~", "null", "yes", "1e999", ".nan", "-0", "0x1F", "[a, b]", "{a: 1}", "&a x",
            "*a", "*nope", "!!binary aGk=", "!!python/object:os.system x", "!!set {a}",
            "2023-02-30", "2023-09-13T10:00:00Z", "2023-09-13 25:61:00", "|\n  block\n",
            ">-\n  folded\n", "'quoted'", '"dq \\x00 \\ud800"', '"\\x85"', "? complex",
            "[[[[[", "{", "}", "- a\n- b", "\n  - nested\n  - list", "!!timestamp x",
            "&b [*b]", "'unterminated", '"\\u', "javascript:alert(1)", "!!int x",
            "!!float x", "!!bool x", "!!null x", "!!map [a]", "!!seq {a: 1}", "!!omap x",
            "!!pairs [a]", "!!str [a]", "!!merge x", "!!value x", "!!yaml x",
        ]
    ),
)  # fmt: skip
KEYS = st.one_of(
    st.sampled_from(sorted(articles.KNOWN_FIELDS)),
    st.sampled_from(["<<", "1", "[a]", "? x", "null", "'quoted'", "true"]),
    st.text(CHARS, min_size=1, max_size=8),
)
FRONT_MATTER = st.lists(st.tuples(KEYS, YAML_VALUES), max_size=10).map(
    lambda pairs: "".join(f"{k}: {v}\n" for k, v in pairs)
)
DOCUMENT = st.tuples(
    st.sampled_from(["---\n", "---\r\n", "\ufeff---\n", "", "--- \n"]),
    FRONT_MATTER,
    st.sampled_from(["---\n", "...\n", "", "---"]),
    TEXT,
).map("".join)

SAFE_MARKDOWN_TAGS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "em", "strong", "a", "img", "code", "pre",
    "blockquote", "ul", "ol", "li", "hr", "br", "table", "thead", "tbody", "tr", "th", "td",
    "s",
}  # fmt: skip
SAFE_ATTRIBUTES = {"id", "href", "src", "alt", "title", "start", "style", "class"}


class Tags(HTMLParser):
    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def assert_safe_markup(html: str, tags: set[str]) -> None:
    for tag, attrs in Tags(html).tags:
        assert tag in tags, (tag, html[:300])
        assert set(attrs) <= SAFE_ATTRIBUTES, (tag, attrs)
        for name in ("href", "src"):
            value = "".join(c for c in (attrs.get(name) or "") if c > " ").lower()
            assert not value.startswith(UNSAFE_SCHEMES), attrs
    assert check_html(html) == []


# Ingest -------------------------------------------------------------------------------


@given(TEXT)
def test_ingest_any_text_gives_an_article_that_loads_back(text):
    parsed = plaintext.parse(text)
    raw = text.encode("utf-8", "surrogatepass")
    article_text, slug = render_article("seed.txt", raw, parsed)
    assert SLUG_RE.fullmatch(slug) and unsafe_output_path(f"articles/{slug}/index.html") is None
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        return  # never reaches a file: seeds are decoded strictly from bytes
    article_text.encode("utf-8")
    meta, _lines, body, _line = split(article_text)  # our own output always loads back
    assert meta.get("title") == parsed.meta.get("title", "")
    for key in ("source", "dateline", "standfirst", "byline"):
        assert meta.get(key) == parsed.meta.get(key)
    doc = Document(Path("a.md"), "articles", slug, meta, _lines, body, _line, "0")
    article, problems = articles.from_document(doc)
    assert article is not None or problems
    html = render(make_markdown(Config(root=REPO)), body).html
    # Seed text is untrusted: it can only ever become paragraphs, subheads and emphasis.
    assert_safe_markup(html, {"p", "h2", "em", "strong"})


@given(BYTES)
def test_ingest_any_seed_bytes_gives_an_article_or_a_diagnostic(data):
    with tempfile.TemporaryDirectory() as tmp:
        seed = Path(tmp) / "seed.txt"
        seed.write_bytes(data)
        planned, problems = plan([seed])
        assert len(planned) + len(problems) == 1
        for item in planned:
            split(item.text)


# Front matter and documents --------------------------------------------------------------


@given(st.one_of(DOCUMENT, TEXT))
def test_split_gives_a_result_or_a_front_matter_error(text):
    try:
        meta, lines, _body, body_line = split(text)
    except FrontMatterError as exc:
        assert exc.line >= 1 and exc.message
        return
    assert isinstance(meta, dict) and body_line >= 1
    assert all(isinstance(v, int) and v >= 1 for v in lines.values())


@given(st.one_of(DOCUMENT.map(lambda t: t.encode("utf-8", "surrogatepass")), BYTES))
def test_any_file_loads_as_a_document_and_validates_or_is_a_diagnostic(data):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = root / "content" / "articles" / "doc.md"
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
        try:
            doc = load_document(path, "articles", root)
        except DigestError as exc:
            assert exc.diagnostics and all(
                d.path == "content/articles/doc.md" for d in exc.diagnostics
            )
            return
        article, problems = articles.from_document(doc)
        for problem in problems:
            str(problem)
            assert len(problem.message) < 500  # user text is quoted short, never walked
        if article is not None:
            assert article.date is None or isinstance(article.date, dt.date)
            assert not article.url or article.url.startswith(("http://", "https://"))


@given(st.one_of(FRONT_MATTER, TEXT))
def test_parse_yaml_never_raises_anything_else(text):
    try:
        _data, lines = parse_yaml(text)
    except FrontMatterError as exc:
        assert exc.line >= 1
        return
    assert isinstance(lines, dict)


SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.dates(), st.text(CHARS, max_size=30)
)
DUMPED = st.recursive(
    st.dictionaries(st.text(CHARS, min_size=1, max_size=8), SCALARS, max_size=8),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=20,
).map(lambda data: _dumped(data))


def _dumped(data) -> str:
    try:
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    except yaml.YAMLError:  # a lone surrogate: not representable
        return ""


def _outcome(parse, text: str):
    try:
        data, lines = parse(text)
    except FrontMatterError as exc:
        return "error", exc.line, exc.message
    return "data", repr(data), lines


@given(st.one_of(FRONT_MATTER, DUMPED, TEXT))
@example("title: A\ndate: 2023-09-13\ntags:\n  - x\n")
@example('title: "dq \\x00"\n')
@example("date: 2023-02-30\nwhen: !!timestamp x\n")
@example("a: &b [*b]\n")  # a recursive alias
@example("a: &x 1\n" + "".join(f"k{i}: *x\n" for i in range(101)))  # too many aliases
@example("a: " + "[" * 60 + "]" * 60 + "\n")  # too deep
def test_libyaml_reads_front_matter_as_the_bounded_parser_does(text):
    """`parse_yaml` reads plain front matter with libyaml (ten times faster): the data,
    key lines and errors are always those of PyYAML's own parser with its bounds."""
    assert _outcome(parse_yaml, text) == _outcome(lambda t: frontmatter._parse_bounded(t, 1), text)


def test_libyaml_reads_the_bundled_front_matter():
    """The fast path is the one taken for real front matter (else the test above could
    not fail)."""
    for path in sorted((REPO / "content").rglob("*.md")):
        lines = path.read_text(encoding="utf-8").split("\n")
        if lines[0] == "---":
            front = "\n".join(lines[1 : lines.index("---", 1)])
            assert frontmatter._parse_fast(front) is not None, path


# Markdown ---------------------------------------------------------------------------------


@given(TEXT)
def test_markdown_with_our_plugins_renders_any_text_safely(text):
    md = make_markdown(Config(root=REPO))
    parsed = render(md, text)
    assert_safe_markup(parsed.html, SAFE_MARKDOWN_TAGS)
    anchors = [h.anchor for h in parsed.headings]
    assert len(anchors) == len(set(anchors))
    assert all(a and a == a.strip() and " " not in a for a in anchors)


@given(TEXT)
def test_markdown_with_raw_html_allowed_still_renders_any_text(text):
    md = make_markdown(Config(root=REPO, allow_raw_html=True))
    render(md, text)


# Config -------------------------------------------------------------------------------------

CONFIG_TEXT = st.lists(
    st.tuples(
        st.sampled_from(
            ["title", "description", "language", "base_url", "theme", "page_size",
             "allow_raw_html", "output_dir", "content_dir", "titel", "extra"]
        ),
        YAML_VALUES,
    ),
    max_size=6,
).map(lambda pairs: "".join(f"{k}: {v}\n" for k, v in pairs))  # fmt: skip


@given(st.one_of(CONFIG_TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")), BYTES))
@example(b'output_dir: "dq \\x00 \\ud800"\n')  # found by the long campaign
def test_any_digest_yaml_gives_a_config_or_a_diagnostic(data):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "digest.yaml").write_bytes(data)
        try:
            config = read_config(root)
        except DigestError as exc:
            assert all(d.path == "digest.yaml" for d in exc.diagnostics)
            return
        assert config.base_path.startswith("/") and config.page_size >= 1
        assert (root / config.output_dir).resolve() != root.resolve()


# Whole builds -------------------------------------------------------------------------------


@given(DOCUMENT.map(lambda t: t.encode("utf-8", "surrogatepass")))
@example(b'---\ntitle: "\\ud800"\n---\nBody\n')  # a YAML escape for half a character
@example(b"---\nbyline: !!timestamp x\n---\n")
def test_any_article_file_builds_or_gives_diagnostics(data):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "content" / "articles").mkdir(parents=True)
        (root / "content" / "articles" / "doc.md").write_bytes(data)
        try:
            _site, outputs, _ = build_site(Config(root=root))
        except DigestError as exc:
            assert exc.diagnostics
            return
        for output in outputs:
            assert unsafe_output_path(output.path) is None
            if output.path.endswith(".html"):
                assert check_html(output.data.decode("utf-8")) == []


# Small pure helpers ----------------------------------------------------------------------------


@given(TEXT, st.one_of(st.none(), st.integers(1, 10)))
def test_slugify_is_always_a_slug_or_empty(text, max_words):
    slug = slugify(text, max_words)
    assert slug == "" or SLUG_RE.fullmatch(slug)


@given(
    st.one_of(TEXT, st.lists(st.sampled_from(["..", ".", "a", "", "C:", "con", "/"])).map("/".join))
)
def test_output_paths_that_pass_stay_inside_the_site(path):
    if unsafe_output_path(path) is None:
        pure = PurePosixPath(path)
        assert not pure.is_absolute() and ".." not in pure.parts
        root = Path("/site")
        assert (root / path).resolve().is_relative_to(root)
