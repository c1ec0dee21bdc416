"""Sequences made item by item and kept between builds by position.

`digest serve` rebuilds after one edit; the lists it makes of the whole digest (a row
per article, a summary per article) differ from the last build's in a few places. So a
list is kept with the items it was made of, and made again only where an item is not
the very object it was in the same place: the places are found with `map` and
`compress`, without a Python loop over the 10,000 items.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from itertools import compress
from operator import attrgetter, is_, is_not, or_
from typing import Any, TypeVar

T = TypeVar("T")
ID = attrgetter("id")  # what articles, stories, entities and quotes are known by


def changed_places(
    new: Sequence[Any], old: Sequence[Any], new_also: Sequence[Any] = (), old_also=()
) -> Iterator[int]:
    """The places (of sequences of one length) where `new` holds another object than
    `old`, or `new_also` another than `old_also`: found without a Python loop."""
    differ = map(is_not, new, old)
    if new_also:
        differ = map(or_, differ, map(is_not, new_also, old_also))
    return compress(range(len(new)), differ)


def same_objects(new: Sequence[Any], old: Sequence[Any]) -> bool:
    """Whether `new` holds the very objects `old` does, in the same order."""
    return len(new) == len(old) and all(map(is_, new, old))


def remade(
    store: dict[str, tuple] | None,
    name: str,
    items: Sequence[Any],
    make: Callable[[Any], T],
    also: Sequence[Any] = (),
    key: Callable[[Any], Any] | None = None,
) -> tuple[T, ...]:
    """`tuple(map(make, items))`, where `make(item)` reads nothing but the item and the
    object at the same place in `also`. With a `store` (a dict kept between builds),
    the last list of `name` keeps each entry whose item and `also` object are the very
    objects they were at its place, when the lengths are the same. When they are not
    (an item added or removed), with a `key`, an entry is kept when the last item of
    its key, and that item's `also` object, are the very objects."""
    items, also = tuple(items), tuple(also)
    last = store.get(name) if store is not None else None
    if last is not None and key is not None and len(last[0]) != len(items):
        earlier = {key(x): i for i, x in enumerate(last[0])}
        rows = []
        for i, item in enumerate(items):
            j = earlier.get(key(item))
            same = j is not None and last[0][j] is item and (not also or last[1][j] is also[i])
            rows.append(last[2][j] if same else make(item))
        rows = tuple(rows)
    elif last is not None and len(last[0]) == len(items) and len(last[1]) == len(also):
        made = list(last[2])
        for i in changed_places(items, last[0], also, last[1]):
            made[i] = make(items[i])
        rows = tuple(made)
    else:
        rows = tuple(map(make, items))
    if store is not None:
        store[name] = (items, also, rows)
    return rows
