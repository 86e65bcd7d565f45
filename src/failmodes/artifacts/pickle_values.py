"""The values of the abstract pickle machine: what a replayed pickle is reduced to.

Judging a pickle needs only a few kinds of value: constant strings, bytes and numbers (the
module and name of an import, the arguments of a call the scanner looks into), the imported
globals themselves, tuples and dicts of those, and calls. Everything else (lists, sets, the
results of most calls) is :data:`UNKNOWN`. The readers at the end (:func:`constant`,
:func:`global_name`, :func:`tuple_items`) are how code outside the machine reads a value.
"""

from __future__ import annotations

import pickletools
from dataclasses import dataclass, field
from typing import Final

from failmodes.artifacts.context import Buffer
from failmodes.artifacts.policy import Judgement, canonical

#: The marker ``MARK`` pushes, as ``pickletools`` names it.
MARK: Final = pickletools.markobject
#: Tuple items and dict keys tracked per container.
CONTAINER_LIMIT = 256


class Unknown:
    """A value the scanner does not track (lists, sets, results of most calls)."""


UNKNOWN: Final = Unknown()


@dataclass(eq=False)
class Const:
    value: object


@dataclass(eq=False)
class Blob:
    """A long bytes constant, left in the buffer until a judgement needs its contents."""

    buf: Buffer
    start: int
    end: int

    def data(self) -> bytes:
        return self.buf[self.start : self.end]


@dataclass(eq=False)
class Global:
    """An import: ``module.name`` as written, where, how, its judgement and how it is used."""

    module: str
    name: str
    offset: int
    judgement: Judgement
    via: str
    uses: set[str] = field(default_factory=set)

    @property
    def canonical_name(self) -> str:
        return ".".join(canonical(self.module, self.name))


@dataclass(eq=False)
class TupleValue:
    items: tuple[object, ...]


@dataclass(eq=False)
class DictValue:
    items: dict[object, object] = field(default_factory=dict)


@dataclass(eq=False)
class Call:
    callee: object
    args: object
    state: object = None


def describe(value: object) -> str:
    """A few words for a value, for a finding that says what an import was built from."""
    if isinstance(value, Const):
        return f"a constant {type(value.value).__name__}"
    if isinstance(value, Blob):
        return "a constant bytes"
    if isinstance(value, Global):
        return f"the imported `{value.module}.{value.name}`"
    if value is UNKNOWN:
        return "a value computed at load time (or a missing memo entry)"
    if isinstance(value, TupleValue):
        return "a tuple"
    if isinstance(value, DictValue):
        return "a dict"
    if isinstance(value, Call):
        return "a call"
    return f"a {type(value).__name__.strip('_').lower()}"


def set_items(target: DictValue, items: list[object]) -> None:
    """Store alternating keys and values in ``target``, as ``SETITEMS`` does."""
    for key, value in zip(items[::2], items[1::2], strict=False):
        if isinstance(key, Const) and len(target.items) < CONTAINER_LIMIT:
            try:
                target.items[key.value] = value
            except TypeError:  # an unhashable constant cannot be a dict key anyway
                continue


def constant(value: object) -> object:
    """The Python value of a constant the machine tracked, else None."""
    if isinstance(value, Blob):
        return value.data()
    return value.value if isinstance(value, Const) else None


def const_int(value: object) -> int | None:
    """The value of an integer constant the machine tracked, else None."""
    if isinstance(value, Const) and isinstance(value.value, int):
        return value.value
    return None


def global_name(value: object) -> str | None:
    """``module.name`` of an imported global the machine tracked, else None."""
    return value.canonical_name if isinstance(value, Global) else None


def tuple_items(value: object) -> tuple[object, ...]:
    """The items of a tuple the machine tracked, else an empty tuple."""
    return value.items if isinstance(value, TupleValue) else ()
