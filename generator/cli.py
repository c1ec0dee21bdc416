"""Command line: parse arguments, call a command, turn diagnostics into exit codes.

Exit codes: 0 success; 1 a user error (bad content, bad config; each problem printed as
`path:line: message`), or warnings under `--strict`; 2 an internal error (a bug: a
short message, the traceback only with `--debug`).
"""

from __future__ import annotations

import argparse
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


def _print_diagnostics(diagnostics: Sequence[Diagnostic]) -> None:
    for diagnostic in diagnostics:
        print(_shown(diagnostic), file=sys.stderr)


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
    from generator.cache import open_cache
    from generator.pipeline import build

    config = _config(args)
    cache = open_cache(config, enabled=not args.no_cache)
    try:
        result = build(config, cache)
        if cache is not None:
            cache.save()
    finally:
        if cache is not None:  # warnings about the cache itself: not the content's fault
            _print_diagnostics(cache.diagnostics)
    _print_diagnostics(result.diagnostics)
    pages = sum(1 for o in result.outputs if o.path.endswith(".html"))
    print(
        f"built {pages} pages ({len(result.outputs)} files, {len(result.written)} changed, "
        f"{len(result.removed)} removed) into {config.output_dir}/ in "
        f"{sum(result.timings.values()):.2f}s"
    )
    return _exit_code(result.diagnostics, args.strict)


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
    parser = argparse.ArgumentParser(
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
        "--no-cache", action="store_true", help="neither read nor write the build cache"
    )
    build.set_defaults(func=cmd_build)

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
        else:
            print(f"internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
            print(f"{ISSUES_HINT} (add --debug for the traceback)", file=sys.stderr)
        return 2
