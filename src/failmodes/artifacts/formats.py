"""Telling a file's format from its bytes, not its name.

Names lie (picklescan's corpus has a pickle called ``data.txt`` in a zip), so the scanner
looks at magic numbers first and uses the name only where a format has none: ONNX (plain
protobuf) and the pickle protocols 0 and 1 (text). A protocol 0-1 pickle is recognized by
disassembling the start of the buffer with :func:`pickletools.dis`, which checks the stack and
memo as it goes, so ordinary text is not mistaken for one.
"""

from __future__ import annotations

import io
import pickletools
import re
from enum import StrEnum

from failmodes.artifacts.context import Buffer

SNIFF_BYTES = 64 * 1024


class Format(StrEnum):
    PICKLE = "pickle"
    ZIP = "zip"
    TAR = "tar"
    NPY = "numpy"
    HDF5 = "hdf5"
    SAFETENSORS = "safetensors"
    ONNX = "onnx"
    GZIP = "gzip"
    BZ2 = "bz2"
    XZ = "xz"
    LZMA = "lzma"
    ZLIB = "zlib"
    LZ4 = "lz4"
    SEVEN_ZIP = "7z"
    RAR = "rar"
    ZSTD = "zstd"
    GGUF = "gguf"
    TFLITE = "tflite"
    TEXT = "text"
    EMPTY = "empty"
    UNKNOWN = "unknown"


#: Streams the scanner decompresses and then scans the contents of.
COMPRESSED = frozenset({Format.GZIP, Format.BZ2, Format.XZ, Format.LZMA, Format.ZLIB, Format.LZ4})

#: Formats recognized but not read, with what they are.
UNSUPPORTED = {
    Format.SEVEN_ZIP: "a 7-Zip archive",
    Format.RAR: "a RAR archive",
    Format.ZSTD: "a Zstandard-compressed stream",
    Format.GGUF: "a GGUF model (its chat templates and metadata are not checked)",
    Format.TFLITE: "a TensorFlow Lite model",
}

_MAGIC: tuple[tuple[bytes, Format], ...] = (
    (b"PK\x03\x04", Format.ZIP),
    (b"PK\x05\x06", Format.ZIP),
    (b"\x93NUMPY", Format.NPY),
    (b"\x89HDF\r\n\x1a\n", Format.HDF5),
    (b"7z\xbc\xaf\x27\x1c", Format.SEVEN_ZIP),
    (b"Rar!\x1a\x07", Format.RAR),
    (b"\x28\xb5\x2f\xfd", Format.ZSTD),
    (b"GGUF", Format.GGUF),
    (b"\x1f\x8b", Format.GZIP),
    (b"\xfd7zXZ\x00", Format.XZ),
    (b"\x04\x22\x4d\x18", Format.LZ4),
    (b"\x5d\x00\x00", Format.LZMA),
)
_PICKLE_PROTO = re.compile(rb"\x80[\x00-\x05]")
_IDENTIFIER = re.compile(r"[A-Za-z_][\w.]*")
_NAMED_PICKLE = (".pkl", ".pickle", ".joblib")


def sniff(buf: Buffer, name: str) -> Format:
    """The format of ``buf``; ``name`` (the file or member name) breaks ties only."""
    if not len(buf):
        return Format.EMPTY
    head = buf[:SNIFF_BYTES]
    for magic, found in _MAGIC:
        if head.startswith(magic):
            return found
    if any(head[at : at + 8] == b"\x89HDF\r\n\x1a\n" for at in (512, 1024, 2048)):
        return Format.HDF5  # HDF5 allows a user block before the superblock
    if head[257:262] == b"ustar":
        return Format.TAR
    if head[4:8] == b"TFL3":
        return Format.TFLITE
    if head.startswith(b"BZh") and head[4:10] == b"1AY&SY":
        return Format.BZ2
    if _PICKLE_PROTO.match(head):
        return Format.PICKLE
    if _is_safetensors(head, len(buf)):
        return Format.SAFETENSORS
    if len(head) > 1 and head[0] == 0x78 and (head[0] << 8 | head[1]) % 31 == 0:
        return Format.ZLIB
    lowered = name.lower()
    if lowered.endswith(".onnx"):
        return Format.ONNX
    if looks_like_pickle(head) or lowered.endswith(_NAMED_PICKLE):
        return Format.PICKLE
    if _long_first_argument(head, len(buf)):
        return Format.PICKLE
    if _is_text(head):
        return Format.TEXT
    return Format.UNKNOWN


def _is_safetensors(head: bytes, size: int) -> bool:
    """8-byte little-endian header length, then a JSON object."""
    if len(head) < 9 or head[8:9] != b"{":
        return False
    length = int.from_bytes(head[:8], "little")
    return length <= size - 8 or length < 1 << 48  # text would give a far larger number


def looks_like_pickle(head: bytes) -> bool:
    """Whether ``head`` starts like a pickle: at least two opcodes that a real unpickler
    would accept in that order, or a whole pickle, starting with a plausible import."""
    out = io.StringIO()
    try:
        pickletools.dis(head, out=out)
    except Exception:  # any failure of the disassembler means "stop here"
        opcodes = out.getvalue().count("\n")
        if opcodes < 2:
            return False
    first = out.getvalue().split("\n", 1)[0]
    match = re.search(r"(GLOBAL|INST)\s+'([^']*) ([^']*)'", first)
    if match is None:
        return True
    return all(_IDENTIFIER.fullmatch(part) for part in match.group(2, 3))


#: Protocol-0 opcodes whose argument is a line of text (STRING, UNICODE, INT, LONG, FLOAT,
#: GLOBAL, INST, GET, PUT, PERSID), and argument-less ones that may come before the first.
_LINE_OPCODES = frozenset(b"SVILFcigpP")
_LEADING_OPCODES = b"(]})N02"


def _long_first_argument(head: bytes, size: int) -> bool:
    """A protocol-0 pickle whose first argument runs past the sniffing window.

    Such a stream is plain ASCII, and its first opcode cannot be disassembled inside the
    window, so every other test would call it text — and text is safe. An attacker pads the
    first string past 64 KiB and hides the payload after it. We fail closed: a file whose
    first line is longer than the window and starts like a pickle opcode is read as a pickle;
    a real text file of that shape comes out as a malformed pickle, flagged, never passed.
    """
    start = head.lstrip(_LEADING_OPCODES)
    return size > len(head) and b"\n" not in head and bool(start) and start[0] in _LINE_OPCODES


_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")


def _is_text(head: bytes) -> bool:
    if _CONTROL.search(head):
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3  # a character cut in two at the window's end
    return True
