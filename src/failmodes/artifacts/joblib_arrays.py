"""joblib's array wrappers: the raw bytes that follow a ``NumpyArrayWrapper`` in the stream.

``joblib.dump`` pickles a NumPy array as a small wrapper object (its shape, dtype and order)
and writes the array's bytes straight after the wrapper's ``BUILD``, outside any pickle
opcode; ``joblib.load`` reads them back from the same file. An object array is written as a
nested pickle instead. So a scanner that does not skip exactly those bytes reads numbers as
opcodes, and one that skips them by guess leaves room to hide a payload.
"""

from __future__ import annotations

from failmodes.artifacts.pickle_machine import BufferReader
from failmodes.artifacts.pickle_values import Call, Const, DictValue, TupleValue, const_int


class Malformed(Exception):
    """The bytes after an array wrapper cannot be read as joblib reads them."""


def skip_array(reader: BufferReader, state: object, offset: int) -> bool:
    """Move ``reader`` past the raw bytes of the array whose wrapper's ``BUILD`` state is
    ``state``; False, without moving, when the array holds objects (then a nested pickle
    follows at the reader's position)."""
    fields = state.items if isinstance(state, DictValue) else {}
    layout = array_layout(fields.get("shape"), fields.get("dtype"))
    if layout is None:
        raise Malformed(
            f"the joblib array wrapper at byte {offset} has a shape or dtype the scanner "
            "cannot size, so the bytes after it cannot be told apart from pickle opcodes"
        )
    count, itemsize, hasobject = layout
    if hasobject:
        return False
    pos = reader.pos
    if "numpy_array_alignment_bytes" in fields:
        if pos >= reader.end:
            raise Malformed(f"the joblib array after byte {offset} is truncated")
        pos += 1 + reader.buf[pos]
    pos += count * itemsize
    if pos > reader.end:
        raise Malformed(
            f"the joblib array after byte {offset} needs {count * itemsize:,} bytes; "
            "the file is truncated"
        )
    reader.seek(pos)
    return True


def array_layout(shape: object, dtype: object) -> tuple[int, int, bool] | None:
    """(element count, item size, has objects) of a joblib-wrapped array, or None."""
    if not isinstance(shape, TupleValue):
        return None
    count = 1
    for dim in shape.items:
        if not isinstance(dim, Const) or not isinstance(dim.value, int) or dim.value < 0:
            return None
        count *= dim.value
    if (
        not isinstance(dtype, Call)
        or not isinstance(dtype.args, TupleValue)
        or not dtype.args.items
    ):
        return None
    typestr = dtype.args.items[0]
    if not isinstance(typestr, Const) or not isinstance(typestr.value, str):
        return None
    code = typestr.value.lstrip("<>|=")
    state = dtype.state.items if isinstance(dtype.state, TupleValue) else ()
    elsize = const_int(state[5]) if len(state) > 5 else None
    flags = const_int(state[7]) if len(state) > 7 else None
    hasobject = bool(flags & 1) if flags is not None else code.startswith("O")
    digits = "".join(ch for ch in code if ch.isdigit())
    if elsize is not None and elsize > 0:
        itemsize = elsize
    elif digits:
        itemsize = int(digits)
    else:
        return None
    return count, itemsize, hasobject
