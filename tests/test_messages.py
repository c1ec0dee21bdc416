"""Error messages: user errors are one line with file, line and what to do (exit 1);
internal errors are a short message with how to report it (exit 2), traceback only with
--debug. Nothing of ours is mocked."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import REPO, article, write

from generator.cli import main

# The interpreter itself fails deep inside the real build (recursion limit lowered after
# the imports): an exception no stage expects, standing in for any bug of ours.
INTERNAL = """
import sys
from generator.cli import main
sys.setrecursionlimit(60)
raise SystemExit(main(sys.argv[1:]))
"""


def run_internal(root, *extra):
    return subprocess.run(
        [sys.executable, "-c", INTERNAL, "build", "--root", str(root), *extra],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
    )


def test_internal_error_is_short_exit_2_without_traceback(project):
    done = run_internal(project)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[0].startswith("internal error: RecursionError")
    assert "please report it" in lines[1] and "--debug" in lines[1]
    assert len(lines) == 2 and "Traceback" not in done.stderr
    assert not (project / "site").exists()


def test_internal_error_traceback_with_debug(project):
    done = run_internal(project, "--debug")
    assert done.returncode == 2
    assert "Traceback (most recent call last)" in done.stderr
    assert "RecursionError" in done.stderr


def test_usage_error_is_a_user_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["build", "--no-such-option"])
    assert exit_info.value.code == 1
    assert "unrecognized arguments: --no-such-option" in capsys.readouterr().err


def test_terminal_escapes_in_user_text_are_shown_not_sent(project, capsys):
    write(project, "content/articles/a\x1b[2Jb.md", article(title="T"))
    write(project, "content/articles/c.md", article(title='"\\e[31mred"'))
    assert main(["build", "--root", str(project)]) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err
    assert "content/articles/a\\x1b[2Jb.md:1: slug 'a\\x1b[2jb' must be" in err
    assert "content/articles/c.md:2: invalid YAML: the escape for U+001B is a control code" in err


def test_long_user_text_is_quoted_short(project, capsys):
    write(project, "content/articles/a.md", article(title="T", date="x" * 100_000))
    assert main(["build", "--root", str(project)]) == 1
    err = capsys.readouterr().err
    assert len(err) < 300 and "content/articles/a.md:4: 'date' is not a date: 'xxx" in err


def test_self_including_template_is_a_user_error(project, capsys):
    write(project, "content/articles/a.md", article(title="T"))
    write(project, "overrides/templates/404.html", '{% include "404.html" %}\n')
    assert main(["build", "--root", str(project)]) == 1
    err = capsys.readouterr().err
    assert "404.html: template includes itself without end: remove the loop" in err
    assert "Traceback" not in err


def test_unreadable_content_is_a_user_error(project, capsys):
    if not hasattr(os, "mkfifo"):
        pytest.skip("needs named pipes")
    write(project, "content/articles/a.md", article(title="T"))
    os.mkfifo(project / "content/articles/pipe.md")  # reading it would block forever
    (project / "content/articles/dir.md").mkdir()  # a folder named like a file: skipped
    assert main(["build", "--root", str(project)]) == 1
    err = capsys.readouterr().err
    assert "content/articles/pipe.md: not a regular file (a folder, pipe or device)" in err


@pytest.mark.parametrize(
    "config, expected",
    [
        ("output_dir: .\n", "digest.yaml:1: 'output_dir' is the project folder"),
        ("output_dir: content\n", "digest.yaml:1: 'output_dir' (content) overlaps 'content_dir'"),
        ("output_dir: ..\n", "digest.yaml:1: 'output_dir' is the project folder or contains it"),
        ("output_dir: themes/x\n", "digest.yaml:1: 'output_dir' (themes/x) overlaps 'themes_dir'"),
    ],
)
def test_output_dir_that_would_replace_sources_is_refused(project, capsys, config, expected):
    write(project, "content/articles/a.md", article(title="T"))
    write(project, "digest.yaml", config)
    assert main(["build", "--root", str(project)]) == 1
    assert expected in capsys.readouterr().err
    assert (project / "content/articles/a.md").is_file()
