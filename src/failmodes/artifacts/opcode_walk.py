"""The opcode walk: the loop that reads a pickle's opcodes and feeds them to the machine.

Speed. A pandas data frame of strings is millions of ``BINGET`` opcodes, and a walk through
:func:`pickletools.genops` costs a generator step, a file read and a table lookup for each.
So :func:`walk` decodes the frequent fixed-layout opcodes (memo gets and puts, short strings,
numbers, marks, frames, list appends) straight from the buffer in one loop, with the same
results and errors as ``genops`` gives, and hands every other opcode, and every one whose
argument would run past the end, to :meth:`PickleMachine.step
<failmodes.artifacts.pickle_machine.PickleMachine.step>`, which reads it with
``pickletools``' reader for it. Byte payloads are never copied unless a judgement needs them
(:class:`~failmodes.artifacts.pickle_values.Blob`), and the budget's bytes, clock and object
bound are checked every ``_CHECK_EVERY`` bytes of opcodes rather than per read.
"""

from __future__ import annotations

import struct
from typing import Final

from failmodes.artifacts.limits import LimitExceeded
from failmodes.artifacts.pickle_machine import PickleMachine
from failmodes.artifacts.pickle_values import MARK, UNKNOWN, Blob, Const

#: Bytes of opcodes between two checks of the clock, the bytes read and the object bound.
#: Every opcode takes at least one byte and adds at most one object, so no more than this
#: many objects or opcodes pass unchecked.
_CHECK_EVERY = 1 << 12
#: Byte payloads up to this size are copied when read; longer ones are kept as a reference
#: into the buffer (:class:`~failmodes.artifacts.pickle_values.Blob`) and copied only if a
#: judgement needs their contents.
_EAGER_BYTES = 1 << 16
#: SHORT_BINBYTES, BINBYTES, BINBYTES8 and BYTEARRAY8, read by :func:`_payload`.
_PAYLOADS: Final = frozenset({0x43, 0x42, 0x8E, 0x96})
_U8 = struct.Struct("<Q").unpack_from
_U4 = struct.Struct("<I").unpack_from
_I4 = struct.Struct("<i").unpack_from
_U2 = struct.Struct("<H").unpack_from
_F8 = struct.Struct(">d").unpack_from


def walk(machine: PickleMachine) -> str | None:
    """Replay opcodes from the machine's reader up to STOP; returns the parse error that ended
    the pickle early, if any.

    The loop decodes the frequent opcodes itself and reads nothing past ``reader.end``;
    any other opcode, or one whose argument would not fit, goes to
    :meth:`PickleMachine.step`. Errors are those of :func:`pickletools.genops` on the same
    bytes.
    """
    reader, budget = machine.reader, machine.ctx.budget
    buf, end = reader.buf, reader.end
    stack, memo, marks = machine.stack, machine.memo, machine.marks
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
                        value = machine.missing(pos, "LONG_BINGET", _U4(buf, pos + 1)[0])
                    elif value is MARK:
                        marks.append(len(stack))
                    push(value)
                    pos += 5
                    continue
            elif code == 0x68:  # BINGET
                if pos + 2 <= end:
                    value = memo.get(buf[pos + 1])
                    if value is None:
                        value = machine.missing(pos, "BINGET", buf[pos + 1])
                    elif value is MARK:
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
                        push(Const(str(buf[first:stop], "utf-8", "surrogatepass")))
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
                push(MARK)
                pos += 1
                continue
            elif code == 0x47:  # BINFLOAT
                if pos + 9 <= end:
                    push(Const(_F8(buf, pos + 1)[0]))
                    pos += 9
                    continue
            elif code == 0x4B:  # BININT1
                if pos + 2 <= end:
                    push(Const(buf[pos + 1]))
                    pos += 2
                    continue
            elif code == 0x4D:  # BININT2
                if pos + 3 <= end:
                    push(Const(_U2(buf, pos + 1)[0]))
                    pos += 3
                    continue
            elif code == 0x4A:  # BININT
                if pos + 5 <= end:
                    push(Const(_I4(buf, pos + 1)[0]))
                    pos += 5
                    continue
            elif code == 0x65:  # APPENDS: [list, mark, items] -> [list]
                pos += 1
                machine.pop_mark(pos)
                machine.pop(pos)
                push(UNKNOWN)
                continue
            elif code == 0x4E:  # NONE
                push(Const(None))
                pos += 1
                continue
            elif code == 0x95:  # FRAME: a hint for buffering, nothing on the stack
                if pos + 9 <= end:
                    pos += 9
                    continue
            elif code in _PAYLOADS:
                after = _payload(machine, code, pos, cap)
                if after:
                    pos = after
                    continue
            # Every other opcode, and any whose argument does not fit: pickletools reads it.
            budget.charge(pos + 1 - charged)
            try:
                stopped = machine.step(pos)
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


def _payload(machine: PickleMachine, code: int, pos: int, cap: int) -> int:
    """Push the bytes payload at ``pos`` without copying a long one; returns where the next
    opcode starts, or 0 when the length runs past the end or over ``cap`` (then
    :meth:`PickleMachine.step` raises as ``pickletools`` does)."""
    buf, end = machine.reader.buf, machine.reader.end
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
        machine.stack.append(UNKNOWN)
    elif size <= _EAGER_BYTES:
        machine.stack.append(Const(buf[first:stop]))
    else:
        machine.stack.append(Blob(buf, first, stop))
    return stop
