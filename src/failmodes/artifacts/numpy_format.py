"""NumPy ``.npy`` files: a text header, then raw numbers, or a pickle for object arrays.

``np.load`` unpickles the data of an array whose dtype holds Python objects when
``allow_pickle=True`` (the default before NumPy 1.16.3, and what many scripts still pass).
The header is a Python literal; it is read with :func:`ast.literal_eval`, as NumPy does, and
its dtype built with :func:`numpy.lib.format.descr_to_dtype`, which constructs a dtype object
and nothing else.
"""

from __future__ import annotations

import ast
import math
import re
from typing import TYPE_CHECKING, Any

from failmodes.artifacts.context import Buffer, ScanContext
from failmodes.artifacts.pickle_analysis import analyze_pickles

if TYPE_CHECKING:
    import numpy as np

MAGIC = b"\x93NUMPY"
#: NumPy's own limit on the header (``max_header_size`` in ``np.load``).
MAX_HEADER = 10_000


def scan_npy(ctx: ScanContext, buf: Buffer) -> str:
    """Check the header; scan the pickle of an object array. Returns the format name."""
    header = read_header(ctx, buf)
    if header is None:
        return "numpy"
    data_start, dtype, count = header
    if dtype.hasobject:
        analyze_pickles(ctx, buf, data_start, max_pickles=1)
        return "numpy (object array)"
    needed = count * dtype.itemsize
    if len(buf) - data_start < needed:
        ctx.malformed(
            f"the header promises {needed:,} bytes of data; the file holds "
            f"{len(buf) - data_start:,} (truncated)",
            offset=data_start,
        )
    return "numpy"


def read_header(ctx: ScanContext, buf: Buffer) -> tuple[int, np.dtype[Any], int] | None:
    """(where the data starts, the dtype, the element count), or None after a finding."""
    if len(buf) < 10:
        ctx.malformed("the .npy header is truncated")
        return None
    major = buf[6]
    if major == 1:
        length, start = int.from_bytes(buf[8:10], "little"), 10
    elif major in (2, 3):
        length, start = int.from_bytes(buf[8:12], "little"), 12
    else:
        ctx.malformed(f"unknown .npy format version {major}", offset=6)
        return None
    if length > MAX_HEADER:
        ctx.malformed(
            f"the .npy header is {length:,} bytes; NumPy refuses more than {MAX_HEADER:,}",
            offset=start,
        )
        return None
    raw = buf[start : start + length]
    if len(raw) < length:
        ctx.malformed("the .npy header is truncated", offset=start)
        return None
    try:
        header = ast.literal_eval(raw.decode("utf-8" if major == 3 else "latin-1"))
        shape = header["shape"]
        if not isinstance(shape, tuple) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise ValueError(f"shape {shape!r} is not a tuple of non-negative integers")
        import numpy as np  # only when a .npy is met: the scanner's start-up stays light

        dtype = np.lib.format.descr_to_dtype(header["descr"])
        count = math.prod(shape)
    except (ValueError, TypeError, KeyError, SyntaxError, MemoryError, RecursionError) as exc:
        # literal_eval's messages hold object addresses; findings must be the same every run.
        reason = re.sub(r" at 0x[0-9a-fA-F]+", "", str(exc))
        ctx.malformed(f"the .npy header is not valid: {reason}", offset=start)
        return None
    return start + length, dtype, count
