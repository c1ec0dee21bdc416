"""Split a Markdown file into YAML front matter and body, with line numbers.

YAML is always read with PyYAML's safe loader, bounded three ways so that hostile or
broken front matter gives a clear error instead of eating time and memory:

* at most `MAX_ALIASES` alias uses (`*name`) per document;
* at most `MAX_VALUES` values once every alias is expanded: PyYAML shares aliased
  objects, so a "billion laughs" document loads small but explodes the moment anything
  walks it (`repr`, JSON export, a template loop); it is refused before it is built;
* at most `MAX_DEPTH` levels of nesting (no RecursionError), and no recursive aliases.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

FENCE = "---"
MAX_ALIASES = 100
MAX_VALUES = 100_000
MAX_DEPTH = 50


class FrontMatterError(Exception):
    def __init__(self, line: int, message: str):
        self.line = line
        self.message = message
        super().__init__(f"{line}: {message}")


# Lone surrogates (from escapes like "\ud800") and control characters other than tab
# and line ends: a string holding one cannot be written as UTF-8 or HTML.
_BAD_TEXT = re.compile("[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class _Checks:
    """What both loaders refuse or keep in the values they construct."""

    def construct_scalar(self, node):  # type: ignore[override]
        """Refuse what escapes can smuggle into text: half characters and control codes."""
        value = super().construct_scalar(node)  # type: ignore[misc]
        if isinstance(value, str) and _BAD_TEXT.search(value):
            char = _BAD_TEXT.search(value).group()
            what = "half of a character" if 0xD800 <= ord(char) <= 0xDFFF else "a control code"
            raise yaml.constructor.ConstructorError(
                problem=f"the escape for U+{ord(char):04X} is {what}, not text: remove it",
                problem_mark=node.start_mark,
            )
        return value

    def construct_yaml_timestamp(self, node):  # type: ignore[override]
        """An impossible date (2023-02-30) stays text, so the field check can report it."""
        try:
            return super().construct_yaml_timestamp(node)  # type: ignore[misc]
        except (ValueError, AttributeError):  # AttributeError: `!!timestamp` on non-dates
            return self.construct_scalar(node)


class _Loader(_Checks, yaml.SafeLoader):
    """SafeLoader that counts alias uses and refuses absurd numbers of them."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise yaml.MarkedYAMLError(
                    problem=f"more than {MAX_ALIASES} YAML aliases (*name) in one document",
                    problem_mark=mark,
                )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.MarkedYAMLError(
                    problem=f"nested more than {MAX_DEPTH} levels deep: flatten it",
                    problem_mark=self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def _check_expansion(root: yaml.Node) -> None:
    """Refuse recursive aliases and documents that expand to more than MAX_VALUES values.

    Counts every node as often as aliases make it appear (memoised per node, so the
    count itself takes time linear in the document, not in its expansion).
    """
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            children = _children(node)
            sizes[key] = 1 + sum(sizes[id(child)] for child in children)
            if sizes[key] > MAX_VALUES:
                raise yaml.MarkedYAMLError(
                    problem=f"its aliases (*name) expand to more than {MAX_VALUES} values",
                    problem_mark=node.start_mark,
                )
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise yaml.MarkedYAMLError(
                problem="a recursive alias (an anchor used inside itself)",
                problem_mark=node.start_mark,
            )
        on_path.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in on_path:
                raise yaml.MarkedYAMLError(
                    problem="a recursive alias (an anchor used inside itself)",
                    problem_mark=child.start_mark,
                )
            if id(child) not in sizes:
                stack.append((child, False))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


# Front matter the C parser reads as the bounded one does (see `_plain`): short, and
# without anchors, aliases, tags, flow collections or characters the two readers treat
# differently. Anything else, and any error, goes to the bounded parser.
_FAST_LIMIT = 4096
_NOT_PLAIN = re.compile("[&*!\\[\\]{}\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff]")
if hasattr(yaml, "CSafeLoader"):  # PyYAML built with libyaml, as its wheels are

    class _FastLoader(_Checks, yaml.CSafeLoader):
        """libyaml's parser with the bounded loader's checks of values."""

    _FastLoader.add_constructor("tag:yaml.org,2002:timestamp", _Checks.construct_yaml_timestamp)
else:
    _FastLoader = None


def _plain(text: str) -> bool:
    """`text` can be read by libyaml: the bounds of `_Loader` cannot be reached (no
    aliases; nesting needs indentation, so 4 KB nest at most ~90 deep)."""
    return _FastLoader is not None and len(text) <= _FAST_LIMIT and not _NOT_PLAIN.search(text)


def _parse_fast(text: str) -> tuple[Any, yaml.Node | None] | None:
    """(data, node) by libyaml, about ten times faster (0.4 s against 3.9 s for the
    front matter of 10,000 articles); None when `text` is not `_plain` or has an error,
    which the bounded parser then reports."""
    if not _plain(text):
        return None
    loader = _FastLoader(text)
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else None), node
    except Exception:  # the bounded parser reads it again and explains the error
        return None
    finally:
        loader.dispose()


def parse_yaml(text: str, first_line: int = 1) -> tuple[Any, dict[str, int]]:
    """Parse YAML text; return the data and the line of each top-level key.

    `first_line` is the file line where `text` starts, so errors point into the file.
    """
    fast = _parse_fast(text)
    if fast is not None:
        data, node = fast
        return data, _key_lines(node, first_line)
    return _parse_bounded(text, first_line)


def _key_lines(node: yaml.Node | None, first_line: int) -> dict[str, int]:
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                lines[str(key_node.value)] = first_line + key_node.start_mark.line
    return lines


def _parse_bounded(text: str, first_line: int) -> tuple[Any, dict[str, int]]:
    """`parse_yaml` by PyYAML's own parser, bounded (see the module's docstring)."""
    loader = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
        if node is None:
            return None, {}
        _check_expansion(node)
        data = loader.construct_document(node)
    except yaml.reader.ReaderError as exc:
        line = first_line + text.count("\n", 0, max(exc.position, 0))
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        raise FrontMatterError(
            line,
            f"invalid YAML: the control character U+{ord(char):04X} is not allowed: remove it",
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        problem = exc.problem or exc.context or "invalid YAML"
        raise FrontMatterError(line, f"invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise FrontMatterError(first_line, f"invalid YAML: {exc}") from None
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
        # An explicit tag on a value that does not fit it (`!!int x`, `!!float x`).
        raise FrontMatterError(first_line, f"invalid YAML value: {exc}"[:200]) from None
    except RecursionError:
        raise FrontMatterError(first_line, "YAML nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, _key_lines(node, first_line)


def split(text: str) -> tuple[dict[str, Any], dict[str, int], str, int]:
    """Return (meta, meta_lines, body, body_line). A file without front matter has {}."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != FENCE:
        return {}, {}, text, 1
    for index in range(1, len(lines)):
        if lines[index].rstrip() in (FENCE, "..."):
            break
    else:
        raise FrontMatterError(1, "front matter starts with '---' but has no closing '---' line")
    yaml_text = "\n".join(lines[1:index])
    data, key_lines = parse_yaml(yaml_text, first_line=2)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FrontMatterError(2, "front matter must be a mapping of `key: value` lines")
    body = "\n".join(lines[index + 1 :])
    return data, key_lines, body, index + 2


def dump(meta: dict[str, Any]) -> str:
    """Front matter as written by our tools: stable key order, block style, UTF-8."""
    text = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=88)
    return f"{FENCE}\n{text}{FENCE}\n"
