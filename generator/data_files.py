"""The data files (`data/*.json`): compact JSON, encoded one row at a time, and in
`digest serve` made from the published file's unchanged rows (`json_rows`)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from itertools import accumulate
from typing import Any

from generator.model import Output, Patch, Row
from generator.positions import changed_places


def json_output(path: str, data: Any) -> Output:
    """`data` as compact UTF-8 JSON. A list, tuple or iterator is encoded one item at a
    time, so a generator of rows never has every row alive at once:
    the bytes are the same as `json.dumps` of the whole list."""
    # Compact: the data files grow with the corpus (stories.json holds every comparison),
    # and without `indent` the json module uses its C encoder.
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    if isinstance(data, dict | str) or not isinstance(data, Iterable):
        return Output(path, (encode(data) + "\n").encode("utf-8"))
    return Output(path, _array([encode(item).encode("utf-8") for item in data]))


def _array(encoded: list[bytes]) -> bytes:
    """A JSON array of encoded items, and a newline, copied once: `b"[" + b",".join(...)`
    copied the whole array twice more (stories.json is 200 MB at 10,000 articles)."""
    if not encoded:
        return b"[]\n"
    parts = [b","] * (2 * len(encoded) + 1)
    parts[1::2] = encoded
    parts[0], parts[-1] = b"[", b"]\n"
    return b"".join(parts)


def _patch(
    last: dict[str, tuple[Any, bytes]], names: list[str], encoded: list[bytes]
) -> Patch | None:
    """The array of `encoded` rows (named `names`) as pieces of the published array of
    `last`'s rows where a row's bytes are unchanged; None when no row is."""
    offsets: dict[str, int] = {}
    position = 1  # after "["
    for name, (_, data) in last.items():
        offsets[name] = position
        position += len(data) + 1  # the row and the "," or "]" after it
    old_size = position + 1  # and the final newline
    pieces: list = []
    copied = False

    def add(piece: tuple[int, int] | bytes) -> None:
        last_piece = pieces[-1] if pieces else None
        # A range that goes on where the last one ended extends it.
        if isinstance(piece, tuple) and isinstance(last_piece, tuple) and last_piece[1] == piece[0]:
            pieces[-1] = (last_piece[0], piece[1])
        else:
            pieces.append(piece)

    for index, (name, data) in enumerate(zip(names, encoded, strict=True)):
        start = offsets.get(name)
        if start is None or last[name][1] != data:
            add(b"," if index else b"[")
            add(data)
            continue
        copied = True
        if (index == 0) == (start == 1):  # the byte before it there is the one wanted here
            add((start - 1, start + len(data)))
        else:
            add(b"," if index else b"[")
            add((start, start + len(data)))
    if not copied:
        return None
    add((old_size - 2, old_size))  # "]\n"
    return Patch(old_size, _joined_bytes(pieces))


def _joined_bytes(pieces: list) -> tuple:
    """`pieces` with each run of new bytes joined into one."""
    out: list = []
    run: list[bytes] = []
    for piece in pieces:
        if isinstance(piece, bytes):
            run.append(piece)
            continue
        if run:
            out.append(b"".join(run))
            run = []
        out.append(piece)
    if run:
        out.append(b"".join(run))
    return tuple(out)


class OutputMemo:
    """What `digest serve` keeps of outputs between rebuilds with the same config and
    theme, by output path: a data file's rows (`json_rows`: each row's name -> (inputs,
    bytes)), a listing page's inputs (`Renderer.listing`) or the view a data file was
    made from (`Renderer.data`). `published` is what the last build that reached site/
    made; a build's own entries become that only when it does."""

    def __init__(self) -> None:
        self.published: dict[str, Any] = {}
        self.pending: dict[str, Any] = {}

    def start(self, full: bool) -> None:
        """A build begins; a full one (the config or theme may have changed) keeps none."""
        self.pending = {}
        if full:
            self.published = {}

    def commit(self) -> None:
        """The build reached site/."""
        self.published.update(self.pending)
        self.pending = {}


def json_rows(path: str, rows: Iterable[Row], memo: OutputMemo | None = None) -> Output:
    """`json_output(path, [make() for each row])`. With a `memo`, a row whose inputs equal
    those the published file was written from keeps its encoded bytes, and when every
    row has the bytes it had, in the same order, the published file is kept as it is.
    Rows given as a tuple that holds mostly the very Row objects of the published file's
    (`positions.remade`) are looked at only where they are not (`_rows_by_place`)."""
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    last = memo.published.get(path) if memo is not None else None
    if memo is not None and last is not None and isinstance(rows, tuple):
        found = _rows_by_place(path, rows, memo, last, encode)
        if found is not None:
            return found
    kept: dict[str, tuple[Any, bytes]] = {}
    names: list[str] = []
    encoded: list[bytes] = []
    same = last is not None
    other_bytes = False  # a row that was in the published file has other bytes now
    for name, inputs, make in rows:
        earlier = last.get(name) if last is not None else None
        if earlier is not None and earlier[0] == inputs:
            data = earlier[1]
        else:  # made again; the same bytes (an article's text edited) are no change
            data = encode(make()).encode("utf-8")
            if earlier is None or data != earlier[1]:
                same, other_bytes = False, other_bytes or earlier is not None
        if memo is not None:
            kept[name] = (inputs, data)
        names.append(name)
        encoded.append(data)
    if memo is not None:
        memo.pending[path] = kept
        memo.pending[(_IN_ORDER, path)] = (rows if isinstance(rows, tuple) else None, encoded)
    same_rows = last is not None and list(kept) == list(last)
    if same and same_rows:
        return Output(path, b"", kept=True)
    patch = _patch(last, names, encoded) if last else None
    if patch is not None:  # not joined: 0.08 s for the 200 MB of data/stories.json at 10k
        return Output(path, b"", patch=patch)
    # The same rows in the same order, one with other bytes: the file's bytes differ.
    return Output(path, _array(encoded), differs=same_rows and other_bytes)


_IN_ORDER = "\0in order"  # OutputMemo key (with the path): the rows and their bytes, in order


def _rows_by_place(path, rows, memo: OutputMemo, last: dict, encode) -> Output | None:
    """`json_rows` when the published file's rows are known in order (`_IN_ORDER`) and
    are as many: only the places where `rows` holds another Row object than it did are
    made again, and the file is patched at those places. None when a row there has
    another name (the general way then)."""
    before = memo.published.get((_IN_ORDER, path))
    if before is None or before[0] is None or len(before[0]) != len(rows):
        return None
    old_rows, old_encoded = before
    places = list(changed_places(rows, old_rows))
    if any(rows[i][0] != old_rows[i][0] for i in places):
        return None
    kept, encoded, other = last, old_encoded, []
    if places:
        kept, encoded = dict(last), list(old_encoded)
    for i in places:
        name, inputs, make = rows[i]
        earlier = last[name]
        data = earlier[1] if earlier[0] == inputs else encode(make()).encode("utf-8")
        kept[name] = (inputs, data)
        encoded[i] = data
        if data != old_encoded[i]:
            other.append(i)
    memo.pending[path] = kept
    memo.pending[(_IN_ORDER, path)] = (rows, encoded)
    if not other:
        return Output(path, b"", kept=True)
    return Output(path, b"", patch=_patch_places(old_encoded, encoded, other))


def _patch_places(old: list[bytes], new: list[bytes], places: list[int]) -> Patch:
    """The array of `new` rows as pieces of the published array of `old` rows (as many,
    the same names) that differ at `places`, in order."""
    before = list(accumulate(map(len, old), initial=0))  # bytes of the rows before each
    old_size = 1 + before[-1] + len(old) + 1  # "[", the rows, a "," or "]" after each, "\n"
    pieces: list = []
    position = 0
    for i in places:
        start = 1 + before[i] + i
        pieces.append((position, start))
        pieces.append(new[i])
        position = start + len(old[i])
    pieces.append((position, old_size))
    return Patch(old_size, _joined_bytes(pieces))
