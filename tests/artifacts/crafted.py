"""Hostile model files built byte by byte, for tests. Nothing here is ever unpickled.

Each helper writes opcodes by hand, the way an attacker would, so the tests check the
scanner against payloads whose bytes they know exactly.
"""

from __future__ import annotations

import io
import struct
import tarfile
import zipfile


def short_str(text: str) -> bytes:
    """SHORT_BINUNICODE then MEMOIZE."""
    raw = text.encode()
    return b"\x8c" + bytes([len(raw)]) + raw + b"\x94"


def global_call(module: str, name: str, arg: str = "echo pwned") -> bytes:
    """Protocol 0: GLOBAL module name, MARK, UNICODE arg, TUPLE, REDUCE, STOP."""
    return f"c{module}\n{name}\n(V{arg}\ntR.".encode()


def stack_global_via_memo(module: str, name: str) -> bytes:
    """Protocol 4: strings memoized, popped, fetched back with BINGET, then STACK_GLOBAL.

    Hides the import from scanners that only look at the opcodes just before STACK_GLOBAL.
    """
    return (
        b"\x80\x04"
        + short_str(module)  # memo 0
        + b"0"  # POP
        + short_str(name)  # memo 1
        + b"0"
        + b"N0"  # unrelated noise
        + b"h\x00h\x01\x93"  # BINGET 0, BINGET 1, STACK_GLOBAL
        + short_str("id")
        + b"\x85R."  # TUPLE1, REDUCE, STOP
    )


def tuple_pickle(*items: bytes) -> bytes:
    """Protocol 2: MARK, the items' opcodes, TUPLE, STOP."""
    return b"\x80\x02(" + b"".join(items) + b"t."


def zip_bytes(
    members: dict[str, bytes], *, flags: int = 0, method: int = zipfile.ZIP_STORED
) -> bytes:
    """A zip archive; ``flags`` are or-ed into every member's general-purpose flags."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    raw = bytearray(out.getvalue())
    if flags:
        for signature, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            pos = raw.find(signature)
            while pos >= 0:
                value = struct.unpack_from("<H", raw, pos + at)[0] | flags
                struct.pack_into("<H", raw, pos + at, value)
                pos = raw.find(signature, pos + 4)
    return bytes(raw)


def tar_bytes(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


#: The first pickle of a legacy PyTorch file: the magic number as a LONG1.
TORCH_MAGIC = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19."
TORCH_PROTOCOL = b"\x80\x02M\xe9\x03."  # 1001
EMPTY_DICT = b"\x80\x02}."
EMPTY_LIST = b"\x80\x02]."
