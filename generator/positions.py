"""Sequences made item by item and kept between builds by position.

`digest serve` rebuilds after one edit; the lists it makes of the whole digest (a row
per article, a summary per article) differ from the last build's in a few places. So a
list is kept with the items it was made of, and made again only where an item is not
the very object it was in the same place: the places are found with `map` and
`compress`, without a Python loop over the 10,000 items.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import compress
from operator import is_not, or_
from typing import Any, TypeVar

T = TypeVar("T")


def remade(
    store: dict[str, tuple] | None,
    name: str,
    items: Sequence[Any],
    make: Callable[[Any], T],
    also: Sequence[Any] = (),
) -> tuple[T, ...]:
    """`tuple(map(make, items))`, where `make(item)` reads nothing but the item and the
    object at the same place in `also`. With a `store` (a dict kept between builds),
    the last list of `name` keeps each entry whose item and `also` object are the very
    objects they were at its place, when the lengths are the same."""
    items, also = tuple(items), tuple(also)
    last = store.get(name) if store is not None else None
    if last is not None and len(last[0]) == len(items) and len(last[1]) == len(also):
        differ = map(is_not, items, last[0])
        if also:
            differ = map(or_, differ, map(is_not, also, last[1]))
        made = list(last[2])
        for i in compress(range(len(items)), differ):
            made[i] = make(items[i])
        rows = tuple(made)
    else:
        rows = tuple(map(make, items))
    if store is not None:
        store[name] = (items, also, rows)
    return rows
