"""The records' fast pickling (`generator.pickling`): what workers send back and the
cache keeps loads equal to what was made, and classes it must not shortcut keep theirs."""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field, fields, is_dataclass

from generator import pickling
from generator.load import read_config
from generator.pipeline import build


def _records(value, seen: set[int], found: dict[type, int]) -> None:
    """Count every dataclass instance reachable from `value`, by class."""
    if id(value) in seen:
        return
    seen.add(id(value))
    if is_dataclass(value) and not isinstance(value, type):
        found[type(value)] = found.get(type(value), 0) + 1
        for f in fields(value):
            _records(getattr(value, f.name), seen, found)
    elif isinstance(value, dict):
        for key, item in value.items():
            _records(key, seen, found)
            _records(item, seen, found)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            _records(item, seen, found)


def test_a_built_digests_records_load_equal_to_what_was_made(bundled):
    from generator.compare import Comparison, Unit
    from generator.diffs import Op
    from generator.mentions import Mention
    from generator.model import Parsed, Quote

    site = build(read_config(bundled), search_index=False).site
    short: set[type] = set()
    for name in ("comparisons", "parsed", "quotes", "stories", "mentions"):
        value = getattr(site, name)
        found: dict[type, int] = {}
        _records(value, set(), found)
        assert found, name
        assert pickle.loads(pickling.dumps(value)) == value, name
        short |= {cls for cls in found if pickling._fields_of(cls)}
    # the records that weigh most take the short way, so the test covers it
    assert {Comparison, Unit, Op, Parsed, Quote, Mention} <= short


@dataclass(frozen=True, slots=True)
class Derived:
    text: str
    size: int = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "size", len(self.text))


@dataclass(frozen=True, slots=True)
class Defaulted:
    text: str
    size: int = field(init=False, default=0)


_made: list[str] = []


@dataclass(frozen=True, slots=True)
class Counted:
    text: str

    def __post_init__(self):
        _made.append(self.text)


@dataclass(slots=True)
class Changing:
    text: str
    seen: list = field(default_factory=list)


@dataclass(frozen=True)
class WithDict:
    text: str


def test_classes_whose_constructor_is_not_their_fields_are_pickled_as_usual():
    assert pickle.loads(pickling.dumps(Derived("four"))) == Derived("four")
    assert pickle.loads(pickling.dumps(Defaulted("x"))) == Defaulted("x")
    _made.clear()
    value = Counted("once")
    assert pickle.loads(pickling.dumps(value)) == value
    assert _made == ["once"]  # loading did not run __post_init__ again
    for cls in (Derived, Defaulted, Counted, Changing, WithDict):
        assert pickling._fields_of(cls) is None, cls
    extra = WithDict("a")
    object.__setattr__(extra, "note", "kept")  # an attribute outside the fields
    assert pickle.loads(pickling.dumps(extra)).note == "kept"


@dataclass(frozen=True, slots=True)
class Single:
    text: str


def test_one_field_records_and_shared_objects_survive():
    from generator.diffs import Op

    op = Op("replace", 0, 1, 0, 1, "a", "b")
    loaded = pickle.loads(pickling.dumps([op, op, Single("one")]))
    assert loaded == [op, op, Single("one")]
    assert loaded[0] is loaded[1]
    assert pickling._fields_of(Single) is not None
