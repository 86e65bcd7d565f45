"""A tolerant zip reader: sees what every loader could see, and says where they disagree.

``zipfile`` refuses members whose flags claim encryption or patched data, raises on a bad
CRC, and rejects a local header whose name differs from the central directory's, while
PyTorch's reader (miniz) reads all of those happily. picklescan's test corpus is full of such
files: a scanner built on ``zipfile`` reports an error, or nothing, where ``torch.load`` runs
the payload. This reader parses the format itself from a buffer, reads every member however
it is flagged, falls back to the local headers when the central directory is missing or
corrupt, and reports each oddity for the caller to turn into a finding.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

from failmodes.artifacts.compression import decompress
from failmodes.artifacts.context import Buffer, ScanContext
from failmodes.artifacts.limits import LimitExceeded

_EOCD = b"PK\x05\x06"
_EOCD64 = b"PK\x06\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_CENTRAL = b"PK\x01\x02"
_LOCAL = b"PK\x03\x04"
_MAX_COMMENT = 0xFFFF
#: Flag bits that make ``zipfile`` refuse a member: encrypted, patched data, strong encryption.
REFUSED_FLAGS = 0x1 | 0x20 | 0x40
_UTF8_NAME = 0x800
_DATA_DESCRIPTOR = 0x8
_METHODS = {0: "stored", 8: "deflate", 12: "bz2", 14: "zip-lzma"}


@dataclass(frozen=True)
class ZipEntry:
    """One member as the central directory (or, failing that, its local header) describes it."""

    name: str
    header_offset: int
    method: int
    flags: int
    crc: int
    compressed_size: int
    size: int

    @property
    def is_dir(self) -> bool:
        return self.name.endswith("/")


@dataclass
class ZipDirectory:
    """The members of an archive and what looked wrong while reading them."""

    entries: list[ZipEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    shift: int = 0  # bytes of other data before the archive starts


def is_zip_tail(buf: Buffer) -> bool:
    """Whether ``buf`` ends like a zip archive (an end-of-central-directory record)."""
    return _find_eocd(buf) >= 0


def _find_eocd(buf: Buffer) -> int:
    size = len(buf)
    start = max(0, size - 22 - _MAX_COMMENT)
    pos = buf.rfind(_EOCD, start)
    while pos >= 0:
        if pos + 22 <= size:
            comment = int.from_bytes(buf[pos + 20 : pos + 22], "little")
            if pos + 22 + comment <= size:
                return pos
        pos = buf.rfind(_EOCD, start, pos)
    return -1


def _decode_name(raw: bytes, flags: int) -> str:
    return raw.decode("utf-8" if flags & _UTF8_NAME else "cp437", errors="replace")


def read_directory(ctx: ScanContext, buf: Buffer) -> ZipDirectory:
    """The members of the zip archive in ``buf``."""
    directory = ZipDirectory()
    eocd = _find_eocd(buf)
    if eocd >= 0:
        try:
            _read_central(ctx, buf, eocd, directory)
            return directory
        except (ValueError, struct.error) as exc:
            directory.entries.clear()
            directory.problems.append(f"the central directory is corrupt ({exc})")
    else:
        directory.problems.append("the archive has no end-of-central-directory record")
    _read_local_headers(ctx, buf, directory)
    return directory


def _read_central(ctx: ScanContext, buf: Buffer, eocd: int, directory: ZipDirectory) -> None:
    (_, _, _, _, count, cd_size, cd_offset, _) = struct.unpack("<4s4H2LH", buf[eocd : eocd + 22])
    end_of_cd = eocd
    locator = eocd - 20
    if locator >= 0 and buf[locator : locator + 4] == _EOCD64_LOCATOR:
        record = int.from_bytes(buf[locator + 8 : locator + 16], "little")
        if buf[record : record + 4] != _EOCD64:
            raise ValueError("the ZIP64 end record is missing")
        count, cd_size, cd_offset = struct.unpack("<QQQ", buf[record + 32 : record + 56])
        end_of_cd = record
    shift = end_of_cd - cd_size - cd_offset
    if shift < 0:
        raise ValueError("the central directory points past its own end")
    directory.shift = shift
    if count > ctx.budget.limits.max_members:
        raise LimitExceeded(
            f"the archive lists {count:,} members (max_members {ctx.budget.limits.max_members})"
        )
    pos = cd_offset + shift
    for _ in range(count):
        if buf[pos : pos + 4] != _CENTRAL:
            raise ValueError(f"no central directory entry at byte {pos}")
        fields = struct.unpack("<4s6H3L5H2L", buf[pos : pos + 46])
        flags, method, crc, csize, usize = fields[3], fields[4], fields[7], fields[8], fields[9]
        name_len, extra_len, comment_len, offset = fields[10], fields[11], fields[12], fields[16]
        name = _decode_name(buf[pos + 46 : pos + 46 + name_len], flags)
        extra = buf[pos + 46 + name_len : pos + 46 + name_len + extra_len]
        usize, csize, offset = _zip64(extra, usize, csize, offset)
        directory.entries.append(ZipEntry(name, offset + shift, method, flags, crc, csize, usize))
        pos += 46 + name_len + extra_len + comment_len


def _zip64(extra: bytes, usize: int, csize: int, offset: int) -> tuple[int, int, int]:
    """Sizes and offset from the ZIP64 extra field, for those stored as 0xFFFFFFFF."""
    pos = 0
    while pos + 4 <= len(extra):
        tag, size = struct.unpack("<HH", extra[pos : pos + 4])
        if tag == 1:
            values = extra[pos + 4 : pos + 4 + size]
            cursor = 0
            wanted = []
            for value in (usize, csize, offset):
                if value == 0xFFFFFFFF and cursor + 8 <= len(values):
                    wanted.append(int.from_bytes(values[cursor : cursor + 8], "little"))
                    cursor += 8
                else:
                    wanted.append(value)
            return wanted[0], wanted[1], wanted[2]
        pos += 4 + size
    return usize, csize, offset


def _read_local_headers(ctx: ScanContext, buf: Buffer, directory: ZipDirectory) -> None:
    """Walk the local headers from the start, as a last resort; a loader may do the same."""
    directory.problems.append("members were read from their local headers")
    pos = 0
    while buf[pos : pos + 4] == _LOCAL:
        if len(directory.entries) >= ctx.budget.limits.max_members:
            raise LimitExceeded(f"more than {ctx.budget.limits.max_members:,} members")
        fields = struct.unpack("<4s5H3L2H", buf[pos : pos + 30])
        flags, method, crc, csize, usize, name_len, extra_len = (
            fields[2],
            fields[3],
            fields[6],
            fields[7],
            fields[8],
            fields[9],
            fields[10],
        )
        name = _decode_name(buf[pos + 30 : pos + 30 + name_len], flags)
        data = pos + 30 + name_len + extra_len
        if flags & _DATA_DESCRIPTOR and csize == 0:
            nxt = [p for p in (buf.find(_LOCAL, data), buf.find(_CENTRAL, data)) if p >= 0]
            csize = (min(nxt) if nxt else len(buf)) - data
            usize = csize if method == 0 else usize
        directory.entries.append(ZipEntry(name, pos, method, flags, crc, csize, usize))
        pos = data + csize
        if flags & _DATA_DESCRIPTOR:
            pos += 16 if buf[pos : pos + 4] == b"PK\x07\x08" else 12


@dataclass
class MemberData:
    """A member's bytes, or as many as were asked for, and what was odd about them."""

    data: bytes
    complete: bool
    problems: list[str] = field(default_factory=list)


def local_data_offset(buf: Buffer, entry: ZipEntry, problems: list[str]) -> int:
    """Where the member's data starts, after its local header; notes a name mismatch."""
    pos = entry.header_offset
    if buf[pos : pos + 4] != _LOCAL:
        raise ValueError(f"no local header at byte {pos}")
    name_len, extra_len = struct.unpack("<HH", buf[pos + 26 : pos + 30])
    local_name = _decode_name(buf[pos + 30 : pos + 30 + name_len], entry.flags)
    if local_name != entry.name:
        problems.append(
            f"the local header calls it {local_name!r} while the central directory says "
            f"{entry.name!r}: tools that read different headers see different files"
        )
    return int(pos + 30 + name_len + extra_len)


def read_member(
    ctx: ScanContext, buf: Buffer, entry: ZipEntry, *, limit: int | None = None
) -> MemberData:
    """The member's bytes (at most ``limit`` of them), however its flags are set.

    Raises ``ValueError`` for a member that cannot be located or decompressed, and
    :class:`LimitExceeded` past the size bounds.
    """
    problems: list[str] = []
    start = local_data_offset(buf, entry, problems)
    end = start + entry.compressed_size
    if end > len(buf):
        raise ValueError(
            f"its data runs {end - len(buf):,} bytes past the end of the archive (truncated)"
        )
    method = _METHODS.get(entry.method)
    if method is None:
        raise NotImplementedError(f"compression method {entry.method}")
    if method == "stored":
        size = entry.compressed_size if limit is None else min(limit, entry.compressed_size)
        if size > ctx.budget.limits.max_member_bytes:
            raise LimitExceeded(f"a member of {size:,} bytes (max_member_bytes)")
        ctx.budget.charge(size)
        data, complete = buf[start : start + size], size == entry.compressed_size
    else:
        data, complete = decompress(ctx, buf, method, start=start, end=end, limit=limit)
    if complete and not entry.flags & REFUSED_FLAGS and zlib.crc32(data) != entry.crc:
        problems.append("its CRC-32 does not match the data (corrupt or altered)")
    return MemberData(data, complete, problems)
