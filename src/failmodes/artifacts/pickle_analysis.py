"""Static analysis of pickle streams: what loading them would import and call.

Nothing here unpickles. The opcodes of a bounded buffer are read with :mod:`pickletools`' own
opcode table and argument readers, and a small abstract machine replays their effect on a
stack and a memo, with values reduced to what matters for judging: constant strings, bytes
and numbers, imported globals, tuples and dicts of those, and calls. That is enough to

* resolve every ``GLOBAL``, ``INST`` and ``STACK_GLOBAL``, including module and name strings
  stored with ``PUT``/``MEMOIZE`` and fetched back with ``GET``/``BINGET``/``LONG_BINGET`` (the
  memo trick that hides an import from scanners that only look at the previous opcodes);
* flag an import whose module or name is not a constant string (a missing memo entry, an
  integer, the result of another import): real picklers never write one, so it is treated as
  an attempt to hide the target;
* see ``BUILD`` applied to an imported module or class, which overwrites its attributes;
* follow joblib's ``NumpyArrayWrapper``: joblib writes raw array bytes (or, for object arrays,
  a nested pickle) straight after it, and the scanner skips or scans them exactly as
  ``joblib.load`` reads them;
* scan payloads that an allowed callable deserializes in turn
  (``torch.storage._load_from_bytes``) and judge the target of callables that import by name
  (``numpy.core._ufunc_reconstruct``).

A file may hold several pickles back to back; all are scanned until the end of the buffer
(a loader may call ``pickle.load`` in a loop). A legacy PyTorch file is five pickles followed
by raw tensor storage, recognized by its second pickle being the protocol number 1001.

Speed. A pandas data frame of strings is millions of ``BINGET`` opcodes, and a walk through
:func:`pickletools.genops` costs a generator step, a file read and a table lookup for each.
So :meth:`_PickleRun.run` decodes the frequent fixed-layout opcodes (memo gets and puts,
short strings, numbers, marks, frames, list appends) straight from the buffer in one loop,
with the same results and errors as ``genops`` gives, and hands every other opcode, and every
one whose argument would run past the end, to ``pickletools``' reader for it. Byte payloads
are never copied unless a judgement needs them (:class:`_Blob`), and the budget's bytes, clock
and object bound are checked every ``_CHECK_EVERY`` bytes of opcodes rather than per read.
"""

from __future__ import annotations

import pickletools
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Final, cast

from failmodes.artifacts.context import Buffer, ScanContext
from failmodes.artifacts.limits import LimitExceeded
from failmodes.artifacts.policy import Judgement, canonical
from failmodes.artifacts.results import FindingKind, Verdict

#: Longest text line an opcode argument may have (protocol 0 names and numbers).
MAX_LINE = 1 << 20
#: Protocol number in the second pickle of a legacy (pre-1.6) PyTorch file.
TORCH_LEGACY_PROTOCOL = 1001
#: The five pickles of a legacy PyTorch file: magic number, protocol, system info, the
#: object, and the storage keys; raw tensor bytes follow.
TORCH_LEGACY_PICKLES = 5
_CONTAINER_LIMIT = 256  # tuple items and dict keys tracked per container
_LATIN1 = frozenset({"latin1", "latin-1", "iso-8859-1", "iso8859-1", "l1"})
_MARK = pickletools.markobject
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
#: Bytes of opcodes between two checks of the clock, the bytes read and the object bound.
#: Every opcode takes at least one byte and adds at most one object, so no more than this
#: many objects or opcodes pass unchecked.
_CHECK_EVERY = 1 << 12
#: Byte payloads up to this size are copied when read; longer ones are kept as a reference
#: into the buffer (:class:`_Blob`) and copied only if a judgement needs their contents.
_EAGER_BYTES = 1 << 16
#: SHORT_BINBYTES, BINBYTES, BINBYTES8 and BYTEARRAY8, read by :meth:`_PickleRun._payload`.
_PAYLOADS: Final = frozenset({0x43, 0x42, 0x8E, 0x96})
_U8 = struct.Struct("<Q").unpack_from
_U4 = struct.Struct("<I").unpack_from
_I4 = struct.Struct("<i").unpack_from
_U2 = struct.Struct("<H").unpack_from
_F8 = struct.Struct(">d").unpack_from


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


# --- the values of the abstract machine ------------------------------------------------


class _Unknown:
    """A value the scanner does not track (lists, sets, results of most calls)."""


UNKNOWN: Final = _Unknown()


@dataclass(eq=False)
class _Const:
    value: object


@dataclass(eq=False)
class _Blob:
    """A bytes constant longer than ``_EAGER_BYTES``, left in the buffer until needed."""

    buf: Buffer
    start: int
    end: int

    def data(self) -> bytes:
        return self.buf[self.start : self.end]


@dataclass(eq=False)
class _Global:
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
class _Tuple:
    items: tuple[object, ...]


@dataclass(eq=False)
class _Dict:
    items: dict[object, object] = field(default_factory=dict)


@dataclass(eq=False)
class _Call:
    callee: object
    args: object
    state: object = None


class _Malformed(Exception):
    """The stream breaks the pickle machine's rules (underflow, missing mark)."""


@dataclass
class StreamSummary:
    """What the scan of a pickle stream saw, for naming the format."""

    pickles: int = 0
    joblib_arrays: int = 0
    torch_legacy: bool = False


# --- one pickle ------------------------------------------------------------------------


class _PickleRun:
    """Replays one pickle (up to its STOP) on the abstract machine."""

    def __init__(self, ctx: ScanContext, reader: BufferReader, summary: StreamSummary) -> None:
        self.ctx = ctx
        self.reader = reader
        self.summary = summary
        self.stack: list[object] = []
        self.memo: dict[int, object] = {}
        self.imports: list[_Global] = []
        self.problems: list[tuple[int, str]] = []
        self.result: object = UNKNOWN
        #: Where the marks on the stack are, lowest first (the unpickler's metastack).
        self._marks: list[int] = []
        self._handlers: dict[str, Callable[[pickletools.OpcodeInfo, object, int], None]] = {
            "GLOBAL": self._op_global,
            "INST": self._op_inst,
            "STACK_GLOBAL": self._op_stack_global,
            "REDUCE": self._op_reduce,
            "NEWOBJ": self._op_newobj,
            "NEWOBJ_EX": self._op_newobj_ex,
            "OBJ": self._op_obj,
            "BUILD": self._op_build,
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
            "EXT1": self._op_ext,
            "EXT2": self._op_ext,
            "EXT4": self._op_ext,
            "STOP": self._op_stop,
        }

    def run(self) -> str | None:
        """Replay up to STOP; returns the parse error that ended the pickle early, if any.

        The loop decodes the frequent opcodes itself and reads nothing past ``reader.end``;
        any other opcode, or one whose argument would not fit, goes to :meth:`_step`.
        Errors are those of :func:`pickletools.genops` on the same bytes.
        """
        reader, budget = self.reader, self.ctx.budget
        buf, end = reader.buf, reader.end
        stack, memo, marks = self.stack, self.memo, self._marks
        push = stack.append
        cap = budget.limits.max_member_bytes
        limit = budget.limits.max_pickle_objects
        pos = charged = check_at = reader.pos
        try:
            while True:
                if pos >= check_at:
                    budget.charge(pos - charged)
                    charged = pos
                    if pos >= end:
                        raise ValueError("pickle exhausted before seeing STOP")
                    budget.check_time()
                    if len(stack) + len(memo) > limit:
                        raise LimitExceeded(
                            f"the pickle creates more than {limit:,} objects (max_pickle_objects)"
                        )
                    check_at = min(pos + _CHECK_EVERY, end)
                code = buf[pos]
                if code == 0x6A:  # LONG_BINGET
                    if pos + 5 <= end:
                        value = memo.get(_U4(buf, pos + 1)[0])
                        if value is None:
                            value = self._missing(pos, "LONG_BINGET", _U4(buf, pos + 1)[0])
                        elif value is _MARK:
                            marks.append(len(stack))
                        push(value)
                        pos += 5
                        continue
                elif code == 0x68:  # BINGET
                    if pos + 2 <= end:
                        value = memo.get(buf[pos + 1])
                        if value is None:
                            value = self._missing(pos, "BINGET", buf[pos + 1])
                        elif value is _MARK:
                            marks.append(len(stack))
                        push(value)
                        pos += 2
                        continue
                elif code == 0x94:  # MEMOIZE
                    memo[len(memo)] = stack[-1] if stack else UNKNOWN
                    pos += 1
                    continue
                elif code == 0x8C:  # SHORT_BINUNICODE
                    if pos + 1 < end:
                        first = pos + 2
                        stop = first + buf[pos + 1]
                        if stop <= end and stop - first <= cap:
                            pos = stop
                            push(_Const(str(buf[first:stop], "utf-8", "surrogatepass")))
                            continue
                elif code == 0x71:  # BINPUT
                    if pos + 2 <= end:
                        memo[buf[pos + 1]] = stack[-1] if stack else UNKNOWN
                        pos += 2
                        continue
                elif code == 0x72:  # LONG_BINPUT
                    if pos + 5 <= end:
                        memo[_U4(buf, pos + 1)[0]] = stack[-1] if stack else UNKNOWN
                        pos += 5
                        continue
                elif code == 0x28:  # MARK
                    marks.append(len(stack))
                    push(_MARK)
                    pos += 1
                    continue
                elif code == 0x47:  # BINFLOAT
                    if pos + 9 <= end:
                        push(_Const(_F8(buf, pos + 1)[0]))
                        pos += 9
                        continue
                elif code == 0x4B:  # BININT1
                    if pos + 2 <= end:
                        push(_Const(buf[pos + 1]))
                        pos += 2
                        continue
                elif code == 0x4D:  # BININT2
                    if pos + 3 <= end:
                        push(_Const(_U2(buf, pos + 1)[0]))
                        pos += 3
                        continue
                elif code == 0x4A:  # BININT
                    if pos + 5 <= end:
                        push(_Const(_I4(buf, pos + 1)[0]))
                        pos += 5
                        continue
                elif code == 0x65:  # APPENDS: [list, mark, items] -> [list]
                    pos += 1
                    self._pop_mark(pos)
                    self._pop(pos)
                    push(UNKNOWN)
                    continue
                elif code == 0x4E:  # NONE
                    push(_Const(None))
                    pos += 1
                    continue
                elif code == 0x95:  # FRAME: a hint for buffering, nothing on the stack
                    if pos + 9 <= end:
                        pos += 9
                        continue
                elif code in _PAYLOADS:
                    after = self._payload(code, pos, cap)
                    if after:
                        pos = after
                        continue
                # Every other opcode, and any whose argument does not fit: pickletools reads it.
                budget.charge(pos + 1 - charged)
                try:
                    stopped = self._step(pos)
                finally:
                    pos = charged = reader.pos
                if stopped:
                    break
        except (ValueError, EOFError, struct.error, OverflowError, IndexError) as exc:
            return str(exc) or type(exc).__name__
        finally:
            reader.pos = pos
            budget.charge(max(pos - charged, 0))
        return None

    def _missing(self, offset: int, name: str, key: int) -> object:
        self.problems.append((offset, f"{name} {key} fetches a memo entry never stored"))
        return UNKNOWN

    def _payload(self, code: int, pos: int, cap: int) -> int:
        """Push the bytes payload at ``pos`` without copying a long one; returns where the
        next opcode starts, or 0 when the length runs past the end or over ``cap`` (then
        :meth:`_step` raises as ``pickletools`` does)."""
        buf, end = self.reader.buf, self.reader.end
        if code == 0x43:  # SHORT_BINBYTES
            first = pos + 2
            size = buf[pos + 1] if first <= end else -1
        elif code == 0x42:  # BINBYTES
            first = pos + 5
            size = _U4(buf, pos + 1)[0] if first <= end else -1
        else:  # BINBYTES8, BYTEARRAY8
            first = pos + 9
            size = _U8(buf, pos + 1)[0] if first <= end else -1
        stop = first + size
        if size < 0 or stop > end or size > cap:
            return 0
        if code == 0x96:  # BYTEARRAY8: a mutable buffer, never an argument that is judged
            self.stack.append(UNKNOWN)
        elif size <= _EAGER_BYTES:
            self.stack.append(_Const(buf[first:stop]))
        else:
            self.stack.append(_Blob(buf, first, stop))
        return stop

    def _step(self, pos: int) -> bool:
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
            self.stack.append(_Const(arg))
        elif name in _FIXED_CONSTANTS:
            self.stack.append(_Const(_FIXED_CONSTANTS[name]))
        else:
            handler = self._handlers.get(name)
            if handler is not None:
                handler(opcode, arg, pos)
            else:
                self._generic(opcode, reader.pos)
        return name == "STOP"

    # -- stack helpers

    def _pop(self, offset: int) -> object:
        if not self.stack or self.stack[-1] is _MARK:
            self.problems.append((offset, "stack underflow"))
            return UNKNOWN
        return self.stack.pop()

    def _pop_mark(self, offset: int) -> list[object]:
        # Marks are only ever removed here, and _pop never pops one, so the last entry of
        # _marks is where the topmost mark is.
        if self._marks:
            at = self._marks.pop()
            items = self.stack[at + 1 :]
            del self.stack[at:]
            return items
        self.problems.append((offset, "no MARK on the stack"))
        items = self.stack[:]
        self.stack.clear()
        return items

    def _generic(self, opcode: pickletools.OpcodeInfo, offset: int) -> None:
        before = opcode.stack_before
        if _MARK in before:
            self._pop_mark(offset)
            before = before[: before.index(_MARK)]
        for _ in before:
            self._pop(offset)
        self.stack.extend(UNKNOWN for _ in opcode.stack_after)

    # -- imports

    def _import(self, module: object, name: object, offset: int, how: str) -> object:
        if isinstance(module, _Const) and isinstance(name, _Const):
            mod, nam = module.value, name.value
            if isinstance(mod, str) and isinstance(nam, str):
                return self._record(mod, nam, offset, how)
        self.ctx.add(
            FindingKind.OBFUSCATED_IMPORT,
            Verdict.MALICIOUS,
            f"{how} takes its module and name from {_describe(module)} and "
            f"{_describe(name)}, not from constant strings: picklers never write this; it "
            "hides what loading the file imports",
            offset=offset,
        )
        return UNKNOWN

    def _record(self, module: str, name: str, offset: int, how: str) -> _Global:
        judged = self.ctx.policy.judge(*canonical(module, name))
        found = _Global(module, name, offset, judged, how)
        self.imports.append(found)
        return found

    def _op_global(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        module, _, name = str(arg).partition(" ")
        self.stack.append(self._record(module, name, offset, "GLOBAL"))

    def _op_inst(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        module, _, name = str(arg).partition(" ")
        args = self._pop_mark(offset)
        target = self._record(module, name, offset, "INST")
        target.uses.add("INST")
        self.stack.append(_Call(target, _Tuple(tuple(args))))

    def _op_stack_global(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        name = self._pop(offset)
        module = self._pop(offset)
        self.stack.append(self._import(module, name, offset, "STACK_GLOBAL"))

    def _op_ext(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        self.ctx.add(
            FindingKind.OBFUSCATED_IMPORT,
            Verdict.MALICIOUS,
            f"{opcode.name} imports the callable registered as extension code {arg} with "
            "copyreg; no model library registers one, and the target cannot be read from "
            "the file",
            offset=offset,
        )
        self.stack.append(UNKNOWN)

    # -- calls

    def _called(self, callee: object, args: object, offset: int, how: str) -> object:
        if isinstance(callee, _Global):
            callee.uses.add(how)
            return self._special_call(callee, args, offset)
        return _Call(callee, args)

    def _special_call(self, callee: _Global, args: object, offset: int) -> object:
        full = callee.canonical_name
        items = args.items if isinstance(args, _Tuple) else ()
        policy = self.ctx.policy
        if full == "_codecs.encode" and len(items) == 2:
            text, encoding = items
            if (
                isinstance(text, _Const)
                and isinstance(text.value, str)
                and isinstance(encoding, _Const)
                and str(encoding.value).lower() in _LATIN1
            ):
                try:
                    return _Const(text.value.encode("latin-1"))
                except UnicodeEncodeError:
                    return UNKNOWN
        if full in policy.importers:
            if len(items) == 2:
                return self._import(items[0], items[1], offset, f"{full}()")
            self._import(UNKNOWN, UNKNOWN, offset, f"{full}()")
        if full in policy.nested_payload:
            payload = constant(items[0]) if items else None
            if isinstance(payload, bytes):
                self.ctx.nested(payload, f"<payload of {full} at byte {offset}>")
            else:
                self.ctx.add(
                    FindingKind.OBFUSCATED_IMPORT,
                    Verdict.SUSPICIOUS,
                    f"{full} deserializes a payload that is built at load time, so the "
                    "scanner cannot read it",
                    offset=offset,
                    callable_name=full,
                )
        return _Call(callee, args)

    def _op_reduce(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        args = self._pop(offset)
        callee = self._pop(offset)
        self.stack.append(self._called(callee, args, offset, "REDUCE"))

    def _op_newobj(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        args = self._pop(offset)
        cls = self._pop(offset)
        self.stack.append(self._called(cls, args, offset, "NEWOBJ"))

    def _op_newobj_ex(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        self._pop(offset)  # kwargs
        args = self._pop(offset)
        cls = self._pop(offset)
        self.stack.append(self._called(cls, args, offset, "NEWOBJ_EX"))

    def _op_obj(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        items = self._pop_mark(offset)
        cls = items[0] if items else UNKNOWN
        self.stack.append(self._called(cls, _Tuple(tuple(items[1:])), offset, "OBJ"))

    def _op_build(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        state = self._pop(offset)
        target = self.stack[-1] if self.stack else UNKNOWN
        if isinstance(target, _Global):
            self.ctx.add(
                FindingKind.GLOBAL_MUTATION,
                Verdict.MALICIOUS,
                f"BUILD sets attributes on the imported `{target.module}.{target.name}` "
                "itself: the file overwrites module or class state at load time (the "
                "sys.modules override trick)",
                offset=offset,
                callable_name=f"{target.module}.{target.name}",
            )
        elif isinstance(target, _Call):
            target.state = state
            callee = target.callee
            if (
                isinstance(callee, _Global)
                and callee.canonical_name in self.ctx.policy.joblib_array_wrappers
            ):
                self._skip_joblib_array(state, offset)

    # -- joblib arrays

    def _skip_joblib_array(self, state: object, offset: int) -> None:
        self.summary.joblib_arrays += 1
        fields = state.items if isinstance(state, _Dict) else {}
        layout = _array_layout(fields.get("shape"), fields.get("dtype"))
        if layout is None:
            raise _Malformed(
                f"the joblib array wrapper at byte {offset} has a shape or dtype the scanner "
                "cannot size, so the bytes after it cannot be told apart from pickle opcodes"
            )
        count, itemsize, hasobject = layout
        reader = self.reader
        if hasobject:  # joblib pickles object arrays as a nested stream right here
            _, error = _run_one(self.ctx, reader, self.summary)
            if error is not None:
                raise _Malformed(f"the object array after byte {offset}: {error}")
            return
        pos = reader.pos
        if "numpy_array_alignment_bytes" in fields:
            if pos >= reader.end:
                raise _Malformed(f"the joblib array after byte {offset} is truncated")
            pos += 1 + reader.buf[pos]
        pos += count * itemsize
        if pos > reader.end:
            raise _Malformed(
                f"the joblib array after byte {offset} needs {count * itemsize:,} bytes; "
                "the file is truncated"
            )
        reader.seek(pos)

    # -- containers

    def _op_mark(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        self._marks.append(len(self.stack))
        self.stack.append(_MARK)

    def _op_dup(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        top = self._pop(offset)
        self.stack.extend((top, top))

    def _op_tuple(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        items = self._pop_mark(offset)
        self.stack.append(_Tuple(tuple(items[:_CONTAINER_LIMIT])))

    def _op_tuple_n(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        items = [self._pop(offset) for _ in opcode.stack_before]
        self.stack.append(_Tuple(tuple(reversed(items))))

    def _op_empty_dict(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        self.stack.append(_Dict())

    def _op_dict(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        target = _Dict()
        _set_items(target, self._pop_mark(offset))
        self.stack.append(target)

    def _op_setitem(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        value = self._pop(offset)
        key = self._pop(offset)
        target = self.stack[-1] if self.stack else UNKNOWN
        if isinstance(target, _Dict):
            _set_items(target, [key, value])

    def _op_setitems(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        items = self._pop_mark(offset)
        target = self.stack[-1] if self.stack else UNKNOWN
        if isinstance(target, _Dict):
            _set_items(target, items)

    # -- memo

    def _op_memoize(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        self.memo[len(self.memo)] = self.stack[-1] if self.stack else UNKNOWN

    def _op_put(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        if isinstance(arg, int):
            self.memo[arg] = self.stack[-1] if self.stack else UNKNOWN

    def _op_get(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        value = self.memo.get(arg) if isinstance(arg, int) else None
        if value is None:
            self.problems.append((offset, f"{opcode.name} {arg} fetches a memo entry never stored"))
            value = UNKNOWN
        elif value is _MARK:  # a PUT right after a MARK stored it
            self._marks.append(len(self.stack))
        self.stack.append(value)

    def _op_stop(self, opcode: pickletools.OpcodeInfo, arg: object, offset: int) -> None:
        self.result = self._pop(offset)

    # -- findings

    def report(self) -> None:
        """Add findings for the imports that are not safe and for broken machine rules."""
        seen: dict[str, list[_Global]] = {}
        for found in self.imports:
            seen.setdefault(f"{found.module}.{found.name}", []).append(found)
        for written, sites in seen.items():
            first = sites[0]
            judged = first.judgement
            if judged.verdict is Verdict.SAFE:
                continue
            uses = sorted(set().union(*(s.uses for s in sites)))
            shown = f"`{written}`"
            if first.canonical_name != written:
                shown += f" (Python 3: `{first.canonical_name}`)"
            how = f"calls it ({', '.join(uses)})" if uses else "does not call it directly"
            times = f", {len(sites)} times" if len(sites) > 1 else ""
            kind = (
                FindingKind.DANGEROUS_CALLABLE
                if judged.verdict is Verdict.MALICIOUS
                else FindingKind.UNLISTED_CALLABLE
            )
            self.ctx.add(
                kind,
                judged.verdict,
                f"loading imports {shown} ({first.via}{times}) and {how}: {judged.reason}",
                offset=first.offset,
                callable_name=first.canonical_name,
                advice=self.ctx.advice
                if judged.verdict is Verdict.MALICIOUS
                else f"{self.ctx.advice} If you trust the publisher and `{first.canonical_name}` "
                "belongs to your stack, add it to `artifact_policy.allow` in your catalog "
                "overlay.",
            )
        if self.problems:
            offset, problem = self.problems[0]
            more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
            self.ctx.malformed(
                f"the pickle breaks the unpickler's rules: {problem}{more}; a loader stops "
                "with an error here, after running everything before",
                offset=offset,
            )


def _describe(value: object) -> str:
    if isinstance(value, _Const):
        return f"a constant {type(value.value).__name__}"
    if isinstance(value, _Blob):
        return "a constant bytes"
    if isinstance(value, _Global):
        return f"the imported `{value.module}.{value.name}`"
    if value is UNKNOWN:
        return "a value computed at load time (or a missing memo entry)"
    return f"a {type(value).__name__.strip('_').lower()}"


def _set_items(target: _Dict, items: list[object]) -> None:
    for key, value in zip(items[::2], items[1::2], strict=False):
        if isinstance(key, _Const) and len(target.items) < _CONTAINER_LIMIT:
            try:
                target.items[key.value] = value
            except TypeError:  # an unhashable constant cannot be a dict key anyway
                continue


def _array_layout(shape: object, dtype: object) -> tuple[int, int, bool] | None:
    """(element count, item size, has objects) of a joblib-wrapped array, or None."""
    if not isinstance(shape, _Tuple):
        return None
    count = 1
    for dim in shape.items:
        if not isinstance(dim, _Const) or not isinstance(dim.value, int) or dim.value < 0:
            return None
        count *= dim.value
    if not isinstance(dtype, _Call) or not isinstance(dtype.args, _Tuple) or not dtype.args.items:
        return None
    typestr = dtype.args.items[0]
    if not isinstance(typestr, _Const) or not isinstance(typestr.value, str):
        return None
    code = typestr.value.lstrip("<>|=")
    state = dtype.state.items if isinstance(dtype.state, _Tuple) else ()
    elsize = _const_int(state[5]) if len(state) > 5 else None
    flags = _const_int(state[7]) if len(state) > 7 else None
    hasobject = bool(flags & 1) if flags is not None else code.startswith("O")
    digits = "".join(ch for ch in code if ch.isdigit())
    if elsize is not None and elsize > 0:
        itemsize = elsize
    elif digits:
        itemsize = int(digits)
    else:
        return None
    return count, itemsize, hasobject


def _const_int(value: object) -> int | None:
    if isinstance(value, _Const) and isinstance(value.value, int):
        return value.value
    return None


def _run_one(
    ctx: ScanContext, reader: BufferReader, summary: StreamSummary
) -> tuple[_PickleRun, str | None]:
    """Replay the pickle at the reader's position and report it: (the run, its error)."""
    run = _PickleRun(ctx, reader, summary)
    try:
        error = run.run()
    except _Malformed as exc:
        error = str(exc)
    run.report()
    return run, error


def analyze_pickles(
    ctx: ScanContext,
    buf: Buffer,
    start: int = 0,
    end: int | None = None,
    *,
    max_pickles: int | None = None,
) -> StreamSummary:
    """Scan the pickles in ``buf[start:end]`` back to back, adding findings to ``ctx``."""
    end = len(buf) if end is None else end
    reader = BufferReader(ctx, buf, start, end)
    summary = StreamSummary()
    results: list[object] = []
    if start >= end:
        ctx.malformed("the pickle is empty", offset=start)
        return summary
    while reader.pos < end and (max_pickles is None or len(results) < max_pickles):
        begin = reader.pos
        run, error = _run_one(ctx, reader, summary)
        if error is not None:
            if not results:
                ctx.malformed(f"not a valid pickle: {error}", offset=reader.pos)
            else:
                ctx.note(
                    f"the {end - begin:,} bytes after pickle #{len(results)} are not a pickle "
                    f"({error}); a loader stops before them",
                    offset=begin,
                )
            break
        results.append(run.result)
        if len(results) == 2 and _const_int(results[1]) == TORCH_LEGACY_PROTOCOL:
            summary.torch_legacy = True
            max_pickles = TORCH_LEGACY_PICKLES
    summary.pickles = len(results)
    if summary.torch_legacy and len(results) == TORCH_LEGACY_PICKLES and reader.pos < end:
        ctx.note(
            f"{end - reader.pos:,} bytes of tensor storage after the five pickles of this "
            "legacy PyTorch file were not read: torch.load reads them as raw numbers",
            offset=reader.pos,
        )
    return summary


def analyze_one(
    ctx: ScanContext, buf: Buffer, start: int, end: int | None = None
) -> tuple[object, int] | None:
    """Scan the single pickle at ``start``: (its value, where it ends), or None if broken.

    The value is the abstract machine's: read it with :func:`constant`,
    :func:`global_name` and :func:`tuple_items`.
    """
    reader = BufferReader(ctx, buf, start, len(buf) if end is None else end)
    run, error = _run_one(ctx, reader, StreamSummary())
    if error is not None:
        ctx.malformed(f"not a valid pickle: {error}", offset=reader.pos)
        return None
    return run.result, reader.pos


def constant(value: object) -> object:
    """The Python value of a constant the machine tracked, else None."""
    if isinstance(value, _Blob):
        return value.data()
    return value.value if isinstance(value, _Const) else None


def global_name(value: object) -> str | None:
    """``module.name`` of an imported global the machine tracked, else None."""
    return value.canonical_name if isinstance(value, _Global) else None


def tuple_items(value: object) -> tuple[object, ...]:
    """The items of a tuple the machine tracked, else an empty tuple."""
    return value.items if isinstance(value, _Tuple) else ()
