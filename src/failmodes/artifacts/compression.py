"""Bounded decompression: never more output than the limits allow, nor a bomb's ratio.

Every decompressor is driven in 1 MiB steps with an output cap, so a zip bomb or a
gigabyte of zeros in a kilobyte of ``zlib`` stops at ``max_member_bytes`` (or at
``max_ratio`` once past the first MiB) with :class:`~failmodes.artifacts.limits.LimitExceeded`,
instead of filling memory.
"""

from __future__ import annotations

import bz2
import importlib
import lzma
import zlib
from typing import Any, Protocol

from failmodes.artifacts.context import Buffer, ScanContext
from failmodes.artifacts.limits import LimitExceeded, MiB

STEP = MiB


class _Decompressor(Protocol):
    def decompress(self, data: bytes, max_length: int = ...) -> bytes: ...


class UnavailableCodec(Exception):
    """The stream is compressed with a codec that is not installed (lz4)."""


def _zip_lzma(buf: Buffer, start: int) -> tuple[lzma.LZMADecompressor, int]:
    """A raw LZMA1 decompressor for a zip member: 2 bytes version, 2 bytes size, props."""
    size = int.from_bytes(buf[start + 2 : start + 4], "little")
    props = buf[start + 4 : start + 4 + size]
    if len(props) != 5:
        raise lzma.LZMAError("bad LZMA properties in the zip member")
    d, dict_size = props[0], int.from_bytes(props[1:5], "little")
    pb, d = divmod(d, 45)
    lp, lc = divmod(d, 9)
    filters: list[dict[str, Any]] = [
        {"id": lzma.FILTER_LZMA1, "dict_size": dict_size, "lc": lc, "lp": lp, "pb": pb}
    ]
    return lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=filters), start + 4 + size


def _decompressor(method: str, buf: Buffer, start: int) -> tuple[_Decompressor, int]:
    if method == "zlib":
        return zlib.decompressobj(), start
    if method == "gzip":
        return zlib.decompressobj(wbits=31), start
    if method == "deflate":
        return zlib.decompressobj(wbits=-15), start
    if method == "bz2":
        return bz2.BZ2Decompressor(), start
    if method in ("xz", "lzma"):
        return lzma.LZMADecompressor(), start
    if method == "zip-lzma":
        return _zip_lzma(buf, start)
    if method == "lz4":
        try:
            frame = importlib.import_module("lz4.frame")
        except ImportError:
            raise UnavailableCodec("lz4 frames need the `lz4` package") from None
        decompressor: _Decompressor = frame.LZ4FrameDecompressor()
        return decompressor, start
    raise UnavailableCodec(f"compression method {method!r}")


def decompress(
    ctx: ScanContext,
    buf: Buffer,
    method: str,
    *,
    start: int = 0,
    end: int | None = None,
    limit: int | None = None,
) -> tuple[bytes, bool]:
    """Decompress ``buf[start:end]``; returns the output and whether the stream ended.

    ``limit`` caps the output on purpose (a prefix to sniff a format from); past it the
    stream simply counts as not ended. Past ``max_member_bytes`` or ``max_ratio`` it raises
    :class:`LimitExceeded`. A corrupt stream raises ``ValueError`` (``zlib.error``,
    ``lzma.LZMAError`` and ``OSError`` are re-raised as ``ValueError``).
    """
    limits = ctx.budget.limits
    end = len(buf) if end is None else end
    cap = limits.max_member_bytes if limit is None else min(limit, limits.max_member_bytes)
    try:
        decompressor, pos = _decompressor(method, buf, start)
        out: list[bytes] = []
        produced = 0
        pending = b""
        while True:
            hungry = getattr(decompressor, "needs_input", True)  # zlib has no such flag
            if not pending and pos < end and hungry:
                pending = buf[pos : min(end, pos + STEP)]
                pos += len(pending)
            chunk = decompressor.decompress(pending, min(STEP, cap - produced + 1))
            # zlib hands back what it did not consume; bz2, lzma and lz4 buffer it inside
            pending = getattr(decompressor, "unconsumed_tail", b"")
            produced += len(chunk)
            out.append(chunk)
            ctx.budget.charge(len(chunk))
            ctx.budget.check_time()
            consumed = max(pos - start - len(pending), 1)
            if produced > MiB and produced > limits.max_ratio * consumed:
                raise LimitExceeded(
                    f"the {method} stream expands more than {limits.max_ratio}:1 (max_ratio)"
                )
            if produced > cap:
                if limit is not None and limit < limits.max_member_bytes:
                    return b"".join(out)[:limit], False
                raise LimitExceeded(
                    f"the {method} stream expands past {cap:,} bytes (max_member_bytes)"
                )
            if getattr(decompressor, "eof", False):
                return b"".join(out), True
            if not chunk and not pending and pos >= end:
                return b"".join(out), False  # the input ran out: a truncated stream
    except (zlib.error, lzma.LZMAError, OSError, EOFError) as exc:
        raise ValueError(f"corrupt {method} stream: {exc}") from None
