"""Zip and tar archives: which members a loader reads, and how to scan each one.

The kind of archive decides the role of a member:

* a PyTorch checkpoint (``<name>/data.pkl``, ``<name>/version``): every ``.pkl`` and
  ``.debug_pkl`` member is a pickle, whatever the archive's name or flags; ``data/<key>``
  members are raw tensor bytes that ``torch.load`` never unpickles, so they are not read (a
  1 GB checkpoint is scanned by reading its pickles only); TorchScript's ``code/`` is noted.
* NumPy ``.npz``: each ``.npy`` member is scanned as NumPy, reading only its header unless its
  dtype holds objects.
* Keras ``.keras``: ``config.json`` is checked for Lambda bytecode and custom objects.
* anything else: each member is scanned by its own bytes, as a nested file.

A member that ``zipfile`` refuses (encryption flags, patched data) is read anyway: PyTorch's
reader ignores those flags, and picklescan's corpus uses them to hide payloads. If its bytes
are a real model format it is scanned and the trick reported; if they look encrypted, the
member is noted as unreadable, since no model loader decrypts zip members.
"""

from __future__ import annotations

import io
import re
import tarfile
from collections.abc import Callable

from failmodes.artifacts import keras_format, numpy_format, torch_legacy
from failmodes.artifacts.context import Buffer, ScanContext
from failmodes.artifacts.formats import SNIFF_BYTES, Format, sniff
from failmodes.artifacts.limits import LimitExceeded
from failmodes.artifacts.pickle_analysis import analyze_pickles
from failmodes.artifacts.results import FindingKind, Verdict
from failmodes.artifacts.zip_reader import (
    REFUSED_FLAGS,
    ZipEntry,
    read_directory,
    read_member,
)

TORCH_ADVICE = (
    "Do not load it with weights_only=False. Load it with torch.load(weights_only=True), "
    "or ask the publisher for safetensors."
)
#: The format names :func:`scan_zip` returns.
ZIP_FLAVORS = frozenset({"pytorch-zip", "torchscript", "keras", "npz", "zip"})
_TORCH_TENSOR = re.compile(r"(^|/)data/[^/]+$")
_PICKLE_MEMBER = re.compile(r"\.(pkl|debug_pkl|pickle|joblib)$")
_TORCH_MARKERS = re.compile(r"(^|/)(data\.pkl|constants\.pkl|version|byteorder)$")


def _flavor(names: list[str]) -> str:
    if any(_TORCH_MARKERS.search(n) for n in names) and any(
        n.endswith(("data.pkl", "constants.pkl")) for n in names
    ):
        return "torchscript" if any("/code/" in f"/{n}" for n in names) else "pytorch-zip"
    if "config.json" in names and ("metadata.json" in names or "model.weights.h5" in names):
        return "keras"
    files = [n for n in names if not n.endswith("/")]
    if files and all(n.endswith(".npy") for n in files):
        return "npz"
    return "zip"


def scan_zip(ctx: ScanContext, buf: Buffer) -> str:
    """Scan every member a loader could read. Returns the format name."""
    directory = read_directory(ctx, buf)
    for problem in directory.problems:
        ctx.malformed(f"zip archive: {problem}")
    if directory.shift:
        ctx.add(
            FindingKind.EVASION,
            Verdict.SUSPICIOUS,
            f"{directory.shift:,} bytes of other data come before the zip archive: tools that "
            "read from the start and tools that read from the end see different files",
        )
    names = [e.name for e in directory.entries]
    flavor = _flavor(names)
    if flavor in ("pytorch-zip", "torchscript"):
        ctx.advice = TORCH_ADVICE
    skipped = 0
    for entry in directory.entries:
        if entry.is_dir:
            continue
        if flavor in ("pytorch-zip", "torchscript") and _TORCH_TENSOR.search(entry.name):
            skipped += 1
            continue
        if ctx.budget.exhausted:
            break
        try:
            _scan_zip_member(ctx.child(entry.name), buf, entry, flavor)
        except LimitExceeded as exc:
            ctx.add(
                FindingKind.LIMIT_EXCEEDED,
                Verdict.ERROR,
                f"member {entry.name!r} was not fully scanned: {exc}",
                advice="Scan it alone with higher limits if you trust its size.",
            )
    if skipped:
        ctx.note(f"{skipped} tensor data members were not read: torch.load reads them as raw bytes")
    if flavor == "torchscript":
        ctx.note("TorchScript code in code/ runs when the model is called; it was not analyzed")
    return flavor


def _scan_zip_member(ctx: ScanContext, buf: Buffer, entry: ZipEntry, flavor: str) -> None:
    forced_pickle = bool(_PICKLE_MEMBER.search(entry.name))
    npy = flavor == "npz" or entry.name.endswith(".npy")
    try:
        prefix = None if forced_pickle else SNIFF_BYTES
        member = read_member(ctx, buf, entry, limit=prefix)
        if entry.flags & REFUSED_FLAGS and _looks_encrypted(member.data, entry.name):
            ctx.note(
                f"the member is encrypted (zip flags {entry.flags:#x}) and cannot be read; no "
                "model loader decrypts zip members. If your code does, scan the decrypted file."
            )
            return
        if not member.complete and not npy:
            member = read_member(ctx, buf, entry)
    except NotImplementedError as exc:
        ctx.add(
            FindingKind.UNSUPPORTED_FORMAT,
            Verdict.UNSUPPORTED,
            f"the member uses {exc}, which the scanner cannot read",
            advice="Re-pack the archive with stored or deflated members and scan it again.",
        )
        return
    except ValueError as exc:
        ctx.malformed(f"the member cannot be read: {exc}")
        return
    if entry.flags & REFUSED_FLAGS:
        ctx.add(
            FindingKind.EVASION,
            Verdict.SUSPICIOUS,
            f"the member is flagged as encrypted or patched (zip flags {entry.flags:#x}) but "
            "is stored in the clear: Python's zipfile refuses it while torch.load reads it, "
            "a trick to hide it from scanners",
        )
    for problem in member.problems:
        if "local header" in problem:
            ctx.add(FindingKind.EVASION, Verdict.SUSPICIOUS, f"zip member: {problem}")
        else:
            ctx.malformed(f"zip member: {problem}")
    if npy and not member.complete:
        header = numpy_format.read_header(ctx, member.data)
        if header is not None and header[1].hasobject:
            numpy_format.scan_npy(ctx, read_member(ctx, buf, entry).data)
    elif flavor == "keras" and entry.name == "config.json":
        keras_format.scan_keras_config(ctx, member.data)
    elif forced_pickle:
        analyze_pickles(ctx, member.data)
    else:
        ctx.dispatch(ctx, member.data)


def _looks_encrypted(data: bytes, name: str) -> bool:
    return sniff(data, name) in (Format.UNKNOWN, Format.TEXT, Format.EMPTY)


class _TarView(io.RawIOBase):
    """A seekable file over a buffer, for :mod:`tarfile`, without copying it."""

    def __init__(self, buf: Buffer) -> None:
        self._buf = buf
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, target: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._buf[self._pos : self._pos + len(target)]
        target[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: len(self._buf)}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos


def scan_tar(ctx: ScanContext, buf: Buffer) -> str:
    """Scan the regular files of a tar archive; a legacy PyTorch tar by its members' roles."""
    members: list[tarfile.TarInfo] = []
    flavor = "tar"
    try:
        with tarfile.open(fileobj=io.BufferedReader(_TarView(buf)), mode="r:") as tar:
            while (info := tar.next()) is not None:
                if len(members) >= ctx.budget.limits.max_members:
                    raise LimitExceeded(f"more than {len(members):,} members (max_members)")
                members.append(info)
            files = [m for m in members if m.isreg()]
            legacy = {m.name for m in files} >= torch_legacy.MEMBERS
            if legacy:
                ctx.advice = TORCH_ADVICE
                flavor = "pytorch-legacy-tar"
            roles: dict[str, Callable[[ScanContext, Buffer], object]] = {
                "storages": torch_legacy.scan_storages,
                "tensors": torch_legacy.scan_tensors,
                "sys_info": analyze_pickles,
                "pickle": analyze_pickles,
            }
            for info in files:
                if ctx.budget.exhausted:
                    break
                child = ctx.child(info.name)
                if info.size > ctx.budget.limits.max_member_bytes:
                    raise LimitExceeded(f"member {info.name!r} is {info.size:,} bytes")
                handle = tar.extractfile(info)
                data = handle.read() if handle is not None else b""
                ctx.budget.charge(len(data))
                role = roles.get(info.name) if legacy else None
                if role is not None:
                    role(child, data)
                else:
                    ctx.dispatch(child, data)
    except (tarfile.TarError, EOFError, ValueError) as exc:
        ctx.malformed(f"the tar archive is corrupt: {exc}")
    return flavor
