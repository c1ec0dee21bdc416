"""Ingest: golden Markdown for both seeds, the recovery rules, and never losing an edit."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
from conftest import REPO, write

from generator.cli import main
from generator.frontmatter import split
from generator.ingest import ingest, plaintext, render_article, was_edited

SEEDS = sorted((REPO / "seeds").glob("*.txt"))
REGENERATE = os.environ.get("DIGEST_REGENERATE_GOLDEN") == "1"


def ingested(seed: Path) -> tuple[str, str]:
    raw = seed.read_bytes()
    return render_article(seed.name, raw, plaintext.parse(raw.decode("utf-8")))


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name)
def test_golden(seed):
    """Regenerate with DIGEST_REGENERATE_GOLDEN=1 and review the diff."""
    text, _slug = ingested(seed)
    golden = REPO / "tests" / "golden" / "ingest" / f"{seed.stem}.md"
    if REGENERATE:
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_seeds_are_the_shared_seeds_unchanged():
    shared = REPO.parent / "shared" / "seeds"
    if not shared.is_dir():
        pytest.skip("shared/ is not beside the checkout")
    for seed in SEEDS:
        assert seed.read_bytes() == (shared / seed.name).read_bytes()


def reuters() -> tuple[dict, str]:
    text, _ = ingested(REPO / "seeds" / "000_fbaab18ce74ee134.txt")
    meta, _, body, _ = split(text)
    return meta, body


def dawn() -> tuple[dict, str]:
    text, _ = ingested(REPO / "seeds" / "003_5c6ce117d9214a6e.txt")
    meta, _, body, _ = split(text)
    return meta, body


def test_reuters_headline_outlet_subheads_emphasis():
    meta, body = reuters()
    assert meta["title"] == (
        "Putin and North Korea's Kim discuss military matters, Ukraine war and satellites"
    )
    assert meta["source"] == "Reuters"
    assert meta["date"] is None  # never invented
    assert "## 'COMRADES'" in body.splitlines()
    assert "## BALLISTIC MISSILES" in body.splitlines()
    assert (
        "**The Kremlin said sensitive discussions between neighbours were a private matter.**"
        in body
    )
    assert '*"That\'s why we came here."*' in body
    assert not body.lstrip().startswith("Putin and North Korea")
    # paragraphs kept: the seed has 17 paragraphs of text besides the header and subheads
    paragraphs = [b for b in body.split("\n\n") if b.strip() and not b.startswith("## ")]
    assert len(paragraphs) == 17


def test_dawn_date_dateline_trailer_standfirst_heading_title():
    meta, body = dawn()
    assert meta["date"] == dt.date(2023, 9, 14)
    assert meta["dateline"] == "MOSCOW"
    assert meta["source"] == "Dawn"
    assert meta["standfirst"] == (
        "Talks focus on military issues, Ukraine war and possible Russian help for "
        "satellite programme"
    )
    assert meta["title_derived"] is True
    assert meta["title"].startswith("Russian President Vladimir Putin on Wednesday said")
    assert len(meta["title"].split()) <= 20
    assert "## ‘Comrades’" in body.splitlines()
    assert "date 2023-09-14" not in body
    assert "Published in Dawn" not in body
    assert "MOSCOW" not in body
    assert "Talks focus on military issues" not in body
    assert body.lstrip().startswith("Russian President Vladimir Putin on Wednesday")


def test_seed_and_hash_recorded():
    meta, _ = reuters()
    assert meta["seed"] == "000_fbaab18ce74ee134.txt"
    assert len(meta["seed_sha256"]) == 64
    assert len(meta["ingested_sha256"]) == 64


def test_rules_generalise_to_other_layouts():
    text = (
        "Ministers agree new budget rules after all-night talks\n\n"
        "Example News\n\n"
        "LONDON, March 3 (Example News) - Finance ministers agreed new rules on Tuesday "
        "after talks that ran through the night.\n\n"
        "TALKS\n\n"
        "The rules take effect next year.\n\n"
        "(Reporting by A. Writer; Editing by B. Editor)\n"
    )
    parsed = plaintext.parse(text)
    assert parsed.meta["title"] == "Ministers agree new budget rules after all-night talks"
    assert parsed.meta["source"] == "Example News"
    assert parsed.meta["dateline"] == "LONDON"
    assert parsed.meta["byline"].startswith("Reporting by A. Writer")
    assert parsed.blocks[0].startswith("Finance ministers agreed")
    assert parsed.blocks[1] == "## TALKS"
    assert "date" not in parsed.meta
    assert any("'date'" in w for w in parsed.warnings)


def test_trailer_date_parsing():
    parsed = plaintext.parse(
        "Some text here that is a paragraph.\n\nPublished in Dawn, May 2nd, 2021"
    )
    assert parsed.meta["date"] == dt.date(2021, 5, 2)
    assert parsed.meta["source"] == "Dawn"


@pytest.mark.parametrize(
    "line, rendered_contains",
    [
        ("<script>alert(1)</script> is not run.", "&lt;script&gt;"),
        ("# not a heading, just a hash.", "# not a heading"),
        ("1. not a list item, a sentence.", "1. not a list"),
        ("- not a bullet, a dash.", "- not a bullet"),
        ("Use [brackets](javascript:alert(1)) as text.", "[brackets](javascript:alert(1))"),
        (
            "A_b_c and `ticks` stay & so does &amp; literally.",
            "A_b_c and `ticks` stay &amp; so does &amp;amp; literally.",
        ),
        ("> not a quote block.", "&gt; not a quote block."),
    ],
)
def test_text_is_escaped_to_render_as_written(line, rendered_contains):
    from generator.config import Config
    from generator.markup import make_markdown, render

    escaped = plaintext.escape_text(line)
    escaped = plaintext._escape_block(line)
    html = render(make_markdown(Config(root=Path("."))), escaped).html
    assert html.startswith("<p")
    assert rendered_contains in html
    assert "<script>" not in html and "<a " not in html


# Re-ingest: never lose an editor's work --------------------------------------------------


@pytest.fixture
def seeded(tmp_path):
    root = tmp_path / "p"
    (root / "seeds").mkdir(parents=True)
    for seed in SEEDS:
        shutil.copy(seed, root / "seeds" / seed.name)
    return root


def articles_dir(root: Path) -> Path:
    return root / "content" / "articles"


def test_reingest_unchanged_seed_changes_nothing(seeded):
    first = ingest([seeded / "seeds"], articles_dir(seeded))
    assert len(first.written) == 2
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in articles_dir(seeded).iterdir()}
    second = ingest([seeded / "seeds"], articles_dir(seeded))
    assert second.written == [] and len(second.unchanged) == 2
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in articles_dir(seeded).iterdir()}
    assert before == after


def test_edited_article_is_not_overwritten_without_force(seeded, capsys):
    ingest([seeded / "seeds"], articles_dir(seeded))
    target = next(articles_dir(seeded).glob("reuters-*.md"))
    edited = target.read_text().replace("date:\n", "date: 2023-09-13\n")
    target.write_text(edited)
    assert was_edited(edited)
    seed = seeded / "seeds" / "000_fbaab18ce74ee134.txt"
    seed.write_text(seed.read_text() + "\n\nA new closing paragraph.\n")
    code = main(["ingest", "--root", str(seeded)])
    err = capsys.readouterr().err
    assert code == 1
    assert target.name in err and "edited by hand" in err and "--force" in err
    assert target.read_text() == edited  # the editor's work is intact
    code = main(["ingest", "--root", str(seeded), "--force"])
    assert code == 0
    backup = target.with_name(target.name + ".bak")
    assert backup.read_text() == edited
    assert "A new closing paragraph." in target.read_text()


def test_unedited_article_follows_a_changed_seed(seeded):
    ingest([seeded / "seeds"], articles_dir(seeded))
    seed = seeded / "seeds" / "003_5c6ce117d9214a6e.txt"
    seed.write_text(seed.read_text().replace("two hours", "three hours"))
    result = ingest([seeded / "seeds"], articles_dir(seeded))
    assert len(result.written) == 1 and not result.diagnostics
    assert "three hours" in result.written[0].read_text()


def test_two_seeds_wanting_one_slug_is_an_error_naming_both(seeded, capsys):
    shutil.copy(seeded / "seeds" / "003_5c6ce117d9214a6e.txt", seeded / "seeds" / "copy.txt")
    code = main(["ingest", "--root", str(seeded)])
    err = capsys.readouterr().err
    assert code == 1
    assert "copy.txt" in err and "003_5c6ce117d9214a6e.txt" in err and "slug" in err


def test_missing_field_warning_names_file_and_field(seeded, capsys):
    code = main(["ingest", "--root", str(seeded)])
    err = capsys.readouterr().err
    assert code == 0
    assert "000_fbaab18ce74ee134.txt" in err and "'date'" in err and "reuters-" in err
    assert main(["ingest", "--root", str(seeded), "--strict"]) == 0  # nothing new to warn


def test_bad_seeds(seeded, capsys):
    write(seeded, "seeds/empty.txt", "\n\n")
    (seeded / "seeds" / "latin1.txt").write_bytes("Caf\xe9 ol\xe9.\n".encode("latin-1"))
    code = main(["ingest", "--root", str(seeded)])
    err = capsys.readouterr().err
    assert code == 1
    assert "empty.txt:1: the seed is empty" in err
    assert "latin1.txt:1: not valid UTF-8" in err
    assert "Traceback" not in err


def test_bundled_content_matches_ingest_except_the_hand_filled_date():
    """content/articles holds the ingest of both seeds; only the Reuters date was filled."""
    for seed in SEEDS:
        text, slug = ingested(seed)
        committed = (REPO / "content" / "articles" / f"{slug}.md").read_text()
        if "Reuters" in text.split("---")[1]:
            assert committed == text.replace("date:\n", "date: 2023-09-13\n")
        else:
            assert committed == text
