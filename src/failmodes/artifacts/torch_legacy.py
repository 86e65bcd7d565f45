"""The oldest PyTorch format: a tar of ``sys_info``, ``pickle``, ``storages`` and ``tensors``.

``torch.load`` still reads it (``_legacy_load`` tries the tar first). ``sys_info`` and
``pickle`` are plain pickles. ``storages`` and ``tensors`` interleave small pickles with raw
bytes: a count, then per storage a pickle of ``(key, location, storage type)`` followed by an
8-byte element count and the elements; per tensor a pickle of ``(key, storage id, type)``
followed by a fixed-size binary record. The pickles are scanned and the raw parts skipped by
their sizes, as the loader reads them, so tensor bytes are never mistaken for opcodes.
"""

from __future__ import annotations

from failmodes.artifacts.context import Buffer, ScanContext
from failmodes.artifacts.pickle_analysis import analyze_one
from failmodes.artifacts.pickle_values import constant, global_name, tuple_items

MEMBERS = frozenset({"sys_info", "pickle", "storages", "tensors"})

#: Bytes per element of the legacy storage types.
STORAGE_ITEMSIZE = {
    "ByteStorage": 1,
    "CharStorage": 1,
    "BoolStorage": 1,
    "ShortStorage": 2,
    "HalfStorage": 2,
    "BFloat16Storage": 2,
    "IntStorage": 4,
    "FloatStorage": 4,
    "LongStorage": 8,
    "DoubleStorage": 8,
    "ComplexFloatStorage": 8,
    "ComplexDoubleStorage": 16,
}


def _count(ctx: ScanContext, data: Buffer) -> tuple[int, int] | None:
    first = analyze_one(ctx, data, 0)
    if first is None:
        return None
    value, pos = first
    count = constant(value)
    if not isinstance(count, int) or count < 0:
        ctx.malformed("the record count is not a non-negative integer", offset=0)
        return None
    if count > ctx.budget.limits.max_pickle_objects:
        ctx.malformed(f"the member claims {count:,} records", offset=0)
        return None
    return count, pos


def scan_storages(ctx: ScanContext, data: Buffer) -> None:
    """Scan the pickles of a legacy ``storages`` member and skip the raw storages."""
    header = _count(ctx, data)
    if header is None:
        return
    count, pos = header
    for _ in range(count):
        found = analyze_one(ctx, data, pos)
        if found is None:
            return
        value, pos = found
        items = tuple_items(value)
        kind = global_name(items[2]) if len(items) == 3 else None
        itemsize = STORAGE_ITEMSIZE.get((kind or "").rsplit(".", 1)[-1])
        if itemsize is None or pos + 8 > len(data):
            ctx.malformed(
                f"the storage record ending at byte {pos} has no known storage type; the "
                "rest of the member cannot be told apart from pickle opcodes",
                offset=pos,
            )
            return
        pos += 8 + int.from_bytes(data[pos : pos + 8], "little") * itemsize
    _trailing(ctx, data, pos)


def scan_tensors(ctx: ScanContext, data: Buffer) -> None:
    """Scan the pickles of a legacy ``tensors`` member and skip the binary records."""
    header = _count(ctx, data)
    if header is None:
        return
    count, pos = header
    for _ in range(count):
        found = analyze_one(ctx, data, pos)
        if found is None:
            return
        pos = found[1]
        if pos + 8 > len(data):
            ctx.malformed("a tensor record is truncated", offset=pos)
            return
        ndim = int.from_bytes(data[pos : pos + 4], "little", signed=True)
        if ndim < 0 or ndim > 64:
            ctx.malformed(f"a tensor record claims {ndim} dimensions", offset=pos)
            return
        pos += 8 + 16 * ndim + 8  # ndim (+4 unused), sizes, strides, storage offset
    _trailing(ctx, data, pos)


def _trailing(ctx: ScanContext, data: Buffer, pos: int) -> None:
    if pos > len(data):
        ctx.malformed("the member ends before its last record", offset=len(data))
    elif pos < len(data):
        ctx.note(f"{len(data) - pos:,} bytes after the last record are not read", offset=pos)
