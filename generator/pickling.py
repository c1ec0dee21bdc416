"""Pickling the build's records quickly: what workers send back and the cache keeps.

The stages' results are frozen, slotted dataclasses (a comparison holds hundreds of
`diffs.Op`s). Pickle's default for those goes through the `__getstate__` and
`__setstate__` that `dataclasses` writes, which look the fields up again for every
object: at 3,000 articles the parent spent 0.9 s unpickling the workers' `Op`s alone.
`dumps` and `dump` write such an object as its class and its fields in order instead, so
loading it is one call of the class, as if the stage had made it: 3.7x faster to write
and 2x faster to read, and smaller. Loading needs nothing special (`pickle.loads`).

Only classes whose constructor takes every field, as it is, qualify: frozen (nothing
changes a field after `__init__`), slotted (no attribute outside the fields), no
`__post_init__` (nothing is derived or checked on the way in), every field in
`__init__`. Anything else is pickled as usual.
"""

from __future__ import annotations

import dataclasses
import io
import operator
import pickle
from collections.abc import Callable
from typing import IO, Any

_Fields = Callable[[Any], tuple]
_known: dict[type, _Fields | None] = {}


def _fields_of(cls: type) -> _Fields | None:
    """The function giving an instance's constructor arguments, or None if `cls` does
    not qualify (see the module's docstring)."""
    try:
        return _known[cls]
    except KeyError:
        pass
    found = None
    params = getattr(cls, "__dataclass_params__", None)
    if (
        params is not None
        and params.frozen
        and "__slots__" in cls.__dict__
        and not hasattr(cls, "__post_init__")
    ):
        fields = dataclasses.fields(cls)
        if fields and all(f.init for f in fields):
            get = operator.attrgetter(*(f.name for f in fields))
            found = get if len(fields) > 1 else (lambda obj, get=get: (get(obj),))
    _known[cls] = found
    return found


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        fields = _fields_of(type(obj))
        if fields is None:
            return NotImplemented
        return type(obj), fields(obj)


def dump(value: Any, file: IO[bytes]) -> None:
    _Pickler(file, protocol=pickle.HIGHEST_PROTOCOL).dump(value)


def dumps(value: Any) -> bytes:
    buffer = io.BytesIO()
    dump(value, buffer)
    return buffer.getvalue()
