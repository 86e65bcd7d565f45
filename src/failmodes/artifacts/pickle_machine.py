"""The pickle machine, replayed on abstract values: its stack, memo and marks.

The unpickler is a stack machine (``pickletools`` calls it the PM): opcodes push values, pop
them into tuples, dicts and calls, store them in a memo and fetch them back. This module
replays that effect without building any object, on the values of
:mod:`~failmodes.artifacts.pickle_values`: it knows the format, not what is dangerous. The
opcodes that import and call are added by
:class:`~failmodes.artifacts.pickle_imports.PickleRun`; the loop that feeds opcodes to the
machine is :func:`~failmodes.artifacts.opcode_walk.walk`.

Breaking the machine's rules (popping an empty stack, a missing mark, fetching a memo entry
never stored) does not stop the replay: it is recorded in :attr:`PickleMachine.problems`,
because a loader runs everything before the point where it fails.
"""

from __future__ import annotations

import pickletools
from collections.abc import Callable
from typing import IO, Final, cast

from failmodes.artifacts.context import Buffer, ScanContext
from failmodes.artifacts.limits import LimitExceeded
from failmodes.artifacts.pickle_values import (
    CONTAINER_LIMIT,
    MARK,
    UNKNOWN,
    Const,
    DictValue,
    TupleValue,
    set_items,
)

#: Longest text line an opcode argument may have (protocol 0 names and numbers).
MAX_LINE = 1 << 20
#: Opcodes that push their argument as a constant.
_ARG_CONSTANTS = frozenset(
    {
        *("INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "FLOAT", "BINFLOAT"),
        *("STRING", "BINSTRING", "SHORT_BINSTRING", "BINBYTES", "SHORT_BINBYTES", "BINBYTES8"),
        *("UNICODE", "SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8"),
    }
)
_FIXED_CONSTANTS: dict[str, object] = {"NONE": None, "NEWTRUE": True, "NEWFALSE": False}
#: Opcodes by their byte, from ``pickletools``' table.
_OPCODES: Final = {ord(op.code): op for op in pickletools.opcodes}

#: What replays one opcode: called with the opcode, its argument and its offset.
Handler = Callable[[pickletools.OpcodeInfo, object, int], None]


class BufferReader:
    """The file-like view of ``buf[start:end]`` that ``pickletools``' argument readers read.

    Every byte handed out is charged to the budget. A read longer than what remains returns
    nothing, so a length field of a terabyte fails at once instead of copying the rest of a
    large file first.
    """

    def __init__(self, ctx: ScanContext, buf: Buffer, start: int, end: int) -> None:
        self._ctx = ctx
        self.buf = buf
        self.pos = start
        self.end = end

    def read(self, n: int = -1) -> bytes:
        if n < 0:
            n = self.end - self.pos
        if n > self.end - self.pos:
            return b""
        if n > self._ctx.budget.limits.max_member_bytes:
            raise LimitExceeded(f"an opcode argument of {n:,} bytes (max_member_bytes)")
        data = self.buf[self.pos : self.pos + n]
        self.pos += n
        self._ctx.budget.charge(n)
        return data

    def readline(self) -> bytes:
        limit = min(self.end, self.pos + MAX_LINE)
        stop = self.buf.find(b"\n", self.pos, limit)
        stop = limit if stop < 0 else stop + 1
        data = self.buf[self.pos : stop]
        self.pos = stop
        self._ctx.budget.charge(len(data))
        return data

    def tell(self) -> int:
        return self.pos

    def seek(self, pos: int) -> None:
        self.pos = pos


class PickleMachine:
    """The stack, memo and marks of one pickle (up to its STOP), and the opcodes that only
    move values around."""

    def __init__(self, ctx: ScanContext, reader: BufferReader) -> None:
        self.ctx = ctx
        self.reader = reader
        self.stack: list[object] = []
        self.memo: dict[int, object] = {}
        self.problems: list[tuple[int, str]] = []
        self.result: object = UNKNOWN
        #: Where the marks on the stack are, lowest first (the unpickler's metastack).
        self.marks: list[int] = []
        self.handlers: dict[str, Handler] = {
            "MARK": self._op_mark,
            "DUP": self._op_dup,
            "TUPLE": self._op_tuple,
            "TUPLE1": self._op_tuple_n,
            "TUPLE2": self._op_tuple_n,
            "TUPLE3": self._op_tuple_n,
            "EMPTY_TUPLE": self._op_tuple_n,
            "EMPTY_DICT": self._op_empty_dict,
            "DICT": self._op_dict,
            "SETITEM": self._op_setitem,
            "SETITEMS": self._op_setitems,
            "MEMOIZE": self._op_memoize,
            "PUT": self._op_put,
            "BINPUT": self._op_put,
            "LONG_BINPUT": self._op_put,
            "GET": self._op_get,
            "BINGET": self._op_get,
            "LONG_BINGET": self._op_get,
            "STOP": self._op_stop,
        }

    def step(self, pos: int) -> bool:
        """Read the opcode at ``pos`` with ``pickletools``' reader for its argument (which
        charges the budget) and replay it; returns whether it was STOP. The reader ends
        after the opcode, wherever it stopped if the opcode was broken."""
        reader = self.reader
        opcode = _OPCODES.get(reader.buf[pos])
        reader.pos = pos + 1
        if opcode is None:
            raise ValueError(f"at position {pos}, opcode {reader.buf[pos : pos + 1]!r} unknown")
        arg = None if opcode.arg is None else opcode.arg.reader(cast(IO[bytes], reader))
        name = opcode.name
        if name in _ARG_CONSTANTS:
            self.stack.append(Const(arg))
        elif name in _FIXED_CONSTANTS:
            self.stack.append(Const(_FIXED_CONSTANTS[name]))
        else:
            handler = self.handlers.get(name)
            if handler is not None:
                handler(opcode, arg, pos)
            else:
                self._generic(opcode, reader.pos)
        return name == "STOP"

    # -- stack

    def pop(self, offset: int) -> object:
        if not self.stack or self.stack[-1] is MARK:
            self.problems.append((offset, "stack underflow"))
            return UNKNOWN
        return self.stack.pop()

    def pop_mark(self, offset: int) -> list[object]:
        # Marks are only ever removed here, and pop never pops one, so the last entry of
        # marks is where the topmost mark is.
        if self.marks:
            at = self.marks.pop()
            items = self.stack[at + 1 :]
            del self.stack[at:]
            return items
        self.problems.append((offset, "no MARK on the stack"))
        items = self.stack[:]
        self.stack.clear()
        return items

    def _generic(self, opcode: pickletools.OpcodeInfo, offset: int) -> None:
        before = opcode.stack_before
        if MARK in before:
            self.pop_mark(offset)
            before = before[: before.index(MARK)]
        for _ in before:
            self.pop(offset)
        self.stack.extend(UNKNOWN for _ in opcode.stack_after)

    def _op_mark(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        self.marks.append(len(self.stack))
        self.stack.append(MARK)

    def _op_dup(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        top = self.pop(offset)
        self.stack.extend((top, top))

    def _op_stop(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        self.result = self.pop(offset)

    # -- containers

    def _op_tuple(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        items = self.pop_mark(offset)
        self.stack.append(TupleValue(tuple(items[:CONTAINER_LIMIT])))

    def _op_tuple_n(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        items = [self.pop(offset) for _ in opcode.stack_before]
        self.stack.append(TupleValue(tuple(reversed(items))))

    def _op_empty_dict(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        self.stack.append(DictValue())

    def _op_dict(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        target = DictValue()
        set_items(target, self.pop_mark(offset))
        self.stack.append(target)

    def _op_setitem(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        value = self.pop(offset)
        key = self.pop(offset)
        target = self.stack[-1] if self.stack else UNKNOWN
        if isinstance(target, DictValue):
            set_items(target, [key, value])

    def _op_setitems(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        items = self.pop_mark(offset)
        target = self.stack[-1] if self.stack else UNKNOWN
        if isinstance(target, DictValue):
            set_items(target, items)

    # -- memo

    def missing(self, offset: int, name: str, key: object) -> object:
        """Record a fetch of a memo entry never stored; what it pushes instead."""
        self.problems.append((offset, f"{name} {key} fetches a memo entry never stored"))
        return UNKNOWN

    def _op_memoize(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        self.memo[len(self.memo)] = self.stack[-1] if self.stack else UNKNOWN

    def _op_put(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        if isinstance(arg, int):
            self.memo[arg] = self.stack[-1] if self.stack else UNKNOWN

    def _op_get(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        value = self.memo.get(arg) if isinstance(arg, int) else None
        if value is None:
            value = self.missing(offset, opcode.name, arg)
        elif value is MARK:  # a PUT right after a MARK stored it
            self.marks.append(len(self.stack))
        self.stack.append(value)
