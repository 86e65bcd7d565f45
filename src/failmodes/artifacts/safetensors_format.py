"""safetensors files: an 8-byte header length, a JSON header, then tensor bytes.

The format holds no code, so what can go wrong is the header: a length larger than the file
or than any real header (a parser that trusts it allocates gigabytes), duplicate names that
different parsers resolve differently, offsets outside the data or overlapping one another
(two tensors aliasing the same bytes), gaps or trailing bytes that hide data, and shapes
whose size does not match their byte range. The checks follow the reference
implementation's validation, so a file that passes here also loads there.
"""

from __future__ import annotations

import json
import math

from failmodes.artifacts.context import Buffer, ScanContext

#: Size of one element of each dtype in bits (some types are smaller than a byte).
DTYPE_BITS = {
    "BOOL": 8,
    "U8": 8,
    "I8": 8,
    "F8_E5M2": 8,
    "F8_E4M3": 8,
    "F8_E8M0": 8,
    "I16": 16,
    "U16": 16,
    "F16": 16,
    "BF16": 16,
    "I32": 32,
    "U32": 32,
    "F32": 32,
    "C64": 64,
    "F64": 64,
    "I64": 64,
    "U64": 64,
    "F4": 4,
    "F6_E2M3": 6,
    "F6_E3M2": 6,
}


class _Duplicate(ValueError):
    pass


def _unique(pairs: list[tuple[str, object]]) -> dict[str, object]:
    seen: dict[str, object] = {}
    for key, value in pairs:
        if key in seen:
            raise _Duplicate(key)
        seen[key] = value
    return seen


def scan_safetensors(ctx: ScanContext, buf: Buffer) -> str:
    """Validate the header; adds a finding for each problem. Returns the format name."""
    size = len(buf)
    length = int.from_bytes(buf[:8], "little")
    if length > ctx.budget.limits.max_header_bytes:
        ctx.malformed(
            f"the header claims {length:,} bytes, over the {ctx.budget.limits.max_header_bytes:,}"
            "-byte limit of the format: a parser that trusts it allocates that much",
            offset=0,
        )
        return "safetensors"
    if 8 + length > size:
        ctx.malformed(f"the header claims {length:,} bytes; the file ends first", offset=0)
        return "safetensors"
    ctx.budget.charge(length)
    try:
        header = json.loads(bytes(buf[8 : 8 + length]).decode("utf-8"), object_pairs_hook=_unique)
    except _Duplicate as exc:
        ctx.malformed(
            f"the header names the tensor {exc} twice; parsers disagree on which one wins",
            offset=8,
        )
        return "safetensors"
    except (ValueError, RecursionError) as exc:
        ctx.malformed(f"the header is not valid JSON: {exc}", offset=8)
        return "safetensors"
    if not isinstance(header, dict):
        ctx.malformed("the header is not a JSON object", offset=8)
        return "safetensors"
    _check_tensors(ctx, header, size - 8 - length)
    return "safetensors"


def _check_tensors(ctx: ScanContext, header: dict[str, object], data_size: int) -> None:
    spans: list[tuple[int, int, str]] = []
    for name, info in header.items():
        if name == "__metadata__":
            if not isinstance(info, dict) or not all(isinstance(v, str) for v in info.values()):
                ctx.malformed("`__metadata__` must map strings to strings", offset=8)
            continue
        problem = _tensor_problem(info, data_size)
        if isinstance(problem, str):
            ctx.malformed(f"tensor {name!r}: {problem}", offset=8)
        elif problem is not None:
            spans.append((*problem, name))
    spans.sort()
    expected = 0
    for begin, end, name in spans:
        if begin < expected:
            ctx.malformed(
                f"tensor {name!r} overlaps the previous tensor (bytes {begin}-{end} start "
                f"before {expected}): two tensors alias the same bytes",
                offset=8,
            )
        elif begin > expected:
            ctx.malformed(
                f"{begin - expected:,} bytes before tensor {name!r} belong to no tensor; "
                "the reference parser refuses such gaps, which can hide data",
                offset=8,
            )
        expected = max(expected, end)
    if expected < data_size:
        ctx.malformed(
            f"{data_size - expected:,} bytes after the last tensor belong to no tensor",
            offset=8,
        )


def _tensor_problem(info: object, data_size: int) -> str | tuple[int, int] | None:
    """The tensor's byte span, or what is wrong with its entry (None: unknown dtype)."""
    if not isinstance(info, dict):
        return "its entry is not an object"
    dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
    if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
        return f"shape {shape!r} is not a list of non-negative integers"
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(isinstance(o, int) and o >= 0 for o in offsets)
    ):
        return f"data_offsets {offsets!r} is not a pair of non-negative integers"
    begin, end = offsets
    if begin > end:
        return f"data_offsets [{begin}, {end}] run backwards"
    if end > data_size:
        return f"data_offsets [{begin}, {end}] reach past the {data_size:,} bytes of data"
    bits = DTYPE_BITS.get(dtype) if isinstance(dtype, str) else None
    if bits is not None:
        needed = math.ceil(math.prod(shape) * bits / 8)
        if needed != end - begin:
            return (
                f"shape {shape} of {dtype} needs {needed:,} bytes but data_offsets span "
                f"{end - begin:,}"
            )
    elif not isinstance(dtype, str):
        return f"dtype {dtype!r} is not a string"
    return begin, end
