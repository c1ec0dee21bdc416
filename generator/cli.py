"""Command line: parse arguments, call a command, turn diagnostics into exit codes.

Exit codes: 0 success; 1 a user error (bad content, bad config; each problem printed as
`path:line: message`), or warnings under `--strict`; 2 an internal error (a bug: a
short message, the traceback only with `--debug`).
"""

from __future__ import annotations

import argparse
import re
import sys
import traceback
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from generator import __version__
from generator.errors import Diagnostic, DigestError, Level

ISSUES_HINT = "this is a bug in news-digest: please report it with the command you ran"


def _shown(diagnostic: Diagnostic) -> Diagnostic:
    """Absolute paths under the working folder are shown relative to it."""
    path = Path(diagnostic.path)
    if path.is_absolute() and path.is_relative_to(Path.cwd()):
        return replace(diagnostic, path=str(path.relative_to(Path.cwd())))
    return diagnostic


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _terminal_safe(text: str) -> str:
    """Messages quote user text: show control characters (terminal escapes) as \\xNN."""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _print_diagnostics(diagnostics: Sequence[Diagnostic]) -> None:
    for diagnostic in diagnostics:
        print(_terminal_safe(str(_shown(diagnostic))), file=sys.stderr)


def _exit_code(diagnostics: Sequence[Diagnostic], strict: bool) -> int:
    if any(d.level is Level.ERROR for d in diagnostics):
        return 1
    if strict and diagnostics:
        print("error: warnings are errors under --strict", file=sys.stderr)
        return 1
    return 0


def _config(args: argparse.Namespace):
    from generator.config import with_overrides
    from generator.load import read_config

    config = read_config(Path(args.root).resolve())
    base_url = getattr(args, "base_url", None)
    return with_overrides(config, base_url=base_url)


def cmd_build(args: argparse.Namespace) -> int:
    from generator import uptodate
    from generator.cache import open_cache

    config = _config(args)
    cache = open_cache(config, enabled=not args.no_cache)
    # Nothing it reads changed since the last build: replay its report, write nothing.
    state = uptodate.check(cache, config, not args.no_search) if cache is not None else None
    if state is not None and state.stamp is not None:
        _print_diagnostics(cache.diagnostics)
        _print_diagnostics(state.stamp.diagnostics)
        print(
            f"{config.output_dir}/ is up to date ({state.stamp.pages} pages, "
            f"{state.stamp.files} files): nothing changed since the last build "
            f"({state.seconds:.2f}s); use --no-cache to rebuild everything"
        )
        if getattr(args, "timings", None):
            _write_timings(Path(args.timings), {"uptodate": state.seconds})
        return _exit_code(list(state.stamp.diagnostics), args.strict)
    from generator.parallel import collector_off

    # The digest a build leaves is millions of objects, all young to the collector: its
    # first collection after the build would walk every one of them (see
    # `collector_off`), in a process that is about to end.
    with collector_off():
        return _build(args, config, cache, state)


def _build(args: argparse.Namespace, config, cache, state) -> int:
    import time

    from generator import uptodate
    from generator.pipeline import build

    try:
        result = build(config, cache, search_index=not args.no_search)
        if cache is not None:
            cache.save()
            start = time.perf_counter()
            uptodate.record(cache, config, state.inputs, result.diagnostics)
            result.timings["uptodate"] = state.seconds + time.perf_counter() - start
    finally:
        if cache is not None:  # warnings about the cache itself: not the content's fault
            _print_diagnostics(cache.diagnostics)
    _print_diagnostics(result.diagnostics)
    pages = sum(1 for path in result.files if path.endswith(".html"))
    print(
        f"built {pages} pages ({len(result.files)} files, {len(result.written)} changed, "
        f"{len(result.removed)} removed) into {config.output_dir}/ in "
        f"{sum(result.timings.values()):.2f}s"
    )
    diagnostics = list(result.diagnostics)
    if result.indexed is not None:
        print(f"indexed {result.indexed} pages for search into {config.output_dir}/pagefind/")
    if getattr(args, "timings", None):
        _write_timings(Path(args.timings), result.timings)
    return _exit_code(diagnostics, args.strict)


def cmd_check(args: argparse.Namespace) -> int:
    from generator.check import check

    config = _config(args)
    diagnostics, pages = check(config)
    _print_diagnostics(diagnostics)
    errors = sum(1 for d in diagnostics if d.level is Level.ERROR)
    print(f"checked {pages} pages: {errors} errors, {len(diagnostics) - errors} warnings")
    return _exit_code(diagnostics, args.strict)


def cmd_init(args: argparse.Namespace) -> int:
    from generator.scaffold import init

    target = Path(args.dir)
    written = init(target, title=args.title)
    for path in written:
        print(f"wrote {path}")
    print(f"next: cd {target} && digest build (then push to GitHub and enable Pages)")
    return 0


def _write_timings(path: Path, timings: dict[str, float]) -> None:
    """Seconds per pipeline stage as JSON, for `python -m bench` and profiling."""
    import json

    path.write_text(json.dumps(timings, indent=2) + "\n", encoding="utf-8")


def cmd_ingest(args: argparse.Namespace) -> int:
    from generator.ingest import ingest

    config = _config(args)
    paths = [Path(p) for p in args.paths] or [config.seeds_path]
    result = ingest(paths, config.content_path / "articles", force=args.force)
    _print_diagnostics(result.diagnostics)
    for path in result.backups:
        print(f"backed up {path}")
    for path in result.written:
        print(f"wrote {path}")
    if result.unchanged:
        print(f"{len(result.unchanged)} unchanged")
    return _exit_code(result.diagnostics, args.strict)


def cmd_note_new(args: argparse.Namespace) -> int:
    import datetime as dt

    from generator.errors import error
    from generator.notes_new import new_note

    config = _config(args)
    date = None
    if args.date:
        try:
            date = dt.date.fromisoformat(args.date)
        except ValueError:
            raise DigestError([error("--date", None, "write the date as YYYY-MM-DD")]) from None
    path, proposal = new_note(
        config,
        args.article,
        args.passage,
        note_id=args.id,
        author=args.author or "",
        date=date,
        occurrence=args.occurrence,
    )
    if proposal.occurrences > 1:
        print(
            f"the passage occurs {proposal.occurrences} times: anchored occurrence "
            f"{args.occurrence} with prefix/suffix (--occurrence N picks another)",
            file=sys.stderr,
        )
    print(_shown_path(path))
    return 0


def _shown_path(path: Path) -> Path:
    cwd = Path.cwd()
    return path.relative_to(cwd) if path.is_absolute() and path.is_relative_to(cwd) else path


def cmd_entities(args: argparse.Namespace) -> int:
    from generator import entity_commands

    config = _config(args)
    if args.action == "add":
        if not args.name:
            print("error: give the name to add: digest entities add NAME", file=sys.stderr)
            return 1
        path = entity_commands.add_entity(config, " ".join(args.name), args.type)
        print(f"wrote {path}")
        return 0
    lines, diagnostics = entity_commands.list_entities(config)
    _print_diagnostics(diagnostics)
    print("\n".join(lines))
    return _exit_code(diagnostics, args.strict)


class _Parser(argparse.ArgumentParser):
    """Usage errors are user errors: exit code 1 (argparse's own default is 2)."""

    def error(self, message: str):  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: error: {message}\n")


def cmd_serve(args: argparse.Namespace) -> int:
    from generator.cache import open_cache
    from generator.serve import run

    root = Path(args.root).resolve()
    base_path = args.base_path
    if base_path is not None:
        base_path = "/" + base_path.strip("/") + "/" if base_path.strip("/") else "/"
    try:
        cache_config = _config(args)
    except DigestError:  # the server starts anyway and shows the error over the page
        from generator.config import Config

        cache_config = Config(root=root)
    cache = open_cache(cache_config, enabled=not args.no_cache)
    if cache is not None:
        _print_diagnostics(cache.diagnostics)
    return run(
        root,
        lambda: _config(args),
        args.host,
        args.port,
        base_path,
        cache,
        open_browser=args.open,
    )


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="digest", description="Build an annotated news digest from Markdown content."
    )
    parser.add_argument("--version", action="version", version=f"news-digest {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", default=".", help="the project folder (default: .)")
    common.add_argument("--strict", action="store_true", help="fail on warnings too")
    common.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = sub.add_parser("build", parents=[common], help="render content/ into site/")
    build.add_argument("--base-url", help="override base_url (e.g. https://user.github.io/repo/)")
    build.add_argument(
        "--no-search", action="store_true", help="do not build the Pagefind search index"
    )
    build.add_argument(
        "--no-cache", action="store_true", help="neither read nor write the build cache"
    )
    build.add_argument(
        "--timings", metavar="FILE", help="write the seconds spent in each stage to FILE (JSON)"
    )
    build.set_defaults(func=cmd_build)

    check = sub.add_parser(
        "check", parents=[common], help="build in memory and report broken links, metadata, sizes"
    )
    check.add_argument("--base-url", help="override base_url (e.g. https://user.github.io/repo/)")
    check.set_defaults(func=cmd_check)

    init = sub.add_parser(
        "init", parents=[common], help="create a new digest (config, folders, Pages workflow)"
    )
    init.add_argument("dir", help="the new project folder (must be empty or not exist)")
    init.add_argument("--title", default="News Digest", help="the digest's title")
    init.set_defaults(func=cmd_init)

    serve = sub.add_parser(
        "serve", parents=[common], help="build, serve and rebuild on change, with live reload"
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0: any free)")
    serve.add_argument(
        "--base-path", help="serve under this path, e.g. /repo/ (default: base_url's path)"
    )
    serve.add_argument("--open", action="store_true", help="open the site in a browser")
    serve.add_argument("--no-cache", action="store_true", help="do not use the build cache")
    serve.set_defaults(func=cmd_serve)

    ingest = sub.add_parser("ingest", parents=[common], help="turn seed .txt files into articles")
    ingest.add_argument("paths", nargs="*", help="seed files or folders (default: seeds/)")
    ingest.add_argument(
        "--force", action="store_true", help="overwrite hand-edited articles (keeps a .bak copy)"
    )
    ingest.set_defaults(func=cmd_ingest)

    note = sub.add_parser("note", help="editor notes")
    note_sub = note.add_subparsers(dest="note_command", required=True, metavar="ACTION")
    note_new = note_sub.add_parser(
        "new", parents=[common], help="write content/notes/<id>.md anchored to a passage"
    )
    note_new.add_argument("article", help="the article's slug (its file name without .md)")
    note_new.add_argument("passage", help="the exact passage, as the article page shows it")
    note_new.add_argument("--id", help="the note's id (default: from the passage)")
    note_new.add_argument("--author", help="who wrote the note")
    note_new.add_argument("--date", help="the note's date, YYYY-MM-DD (default: today)")
    note_new.add_argument(
        "--occurrence", type=int, default=1, help="which occurrence when the passage repeats"
    )
    note_new.set_defaults(func=cmd_note_new)
    entities = sub.add_parser(
        "entities", parents=[common], help="list entities; `entities add NAME` registers one"
    )
    entities.add_argument("action", nargs="?", choices=["list", "add"], default="list")
    entities.add_argument("name", nargs="*", help="with `add`: a discovered name (or its id)")
    entities.add_argument("--type", help="with `add`: person, place, organization or thing")
    entities.set_defaults(func=cmd_entities)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except DigestError as exc:
        _print_diagnostics(exc.diagnostics)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # an internal error: a bug, not the user's fault
        if args.debug:
            traceback.print_exc()
            if getattr(exc, "detail", ""):  # a build worker's own traceback
                print(exc.detail, file=sys.stderr)
        else:
            message = _terminal_safe(f"{type(exc).__name__}: {exc}")
            print(f"internal error: {message}", file=sys.stderr)
            print(f"{ISSUES_HINT} (add --debug for the traceback)", file=sys.stderr)
        return 2
