"""The model-file scanner: files and folders in, a verdict per file out, nothing executed.

:func:`scan_paths` walks the paths given (folders recursively, in name order) and scans each
file by its bytes: the format is sniffed, then read by the module for it, and archives,
compressed streams and nested payloads come back through the same dispatcher one level
deeper. Files are memory-mapped, so a multi-gigabyte checkpoint costs only the pages the
scanner reads (its pickles), and every read is charged to a per-file budget
(:class:`~failmodes.artifacts.limits.ScanLimits`).

A scan never raises on a file's contents: a bound reached, a corrupt file or a bug in a
reader becomes a finding with the verdict ``error`` and the scan moves on to the next file.
"""

from __future__ import annotations

import mmap
import os
import time
from collections.abc import Iterable
from pathlib import Path

from failmodes.artifacts import archives, keras_format, numpy_format, onnx_format
from failmodes.artifacts.compression import UnavailableCodec, decompress
from failmodes.artifacts.context import Buffer, ScanContext
from failmodes.artifacts.formats import COMPRESSED, UNSUPPORTED, Format, sniff
from failmodes.artifacts.limits import Budget, LimitExceeded, ScanLimits
from failmodes.artifacts.pickle_analysis import analyze_pickles
from failmodes.artifacts.policy import CallablePolicy, load_policy
from failmodes.artifacts.results import (
    ArtifactFinding,
    FileReport,
    FindingKind,
    ScanReport,
    Verdict,
)
from failmodes.artifacts.safetensors_format import scan_safetensors
from failmodes.artifacts.zip_reader import is_zip_tail
from failmodes.catalog.schema import ArtifactPolicy
from failmodes.errors import MissingFileError

_TORCH_LEGACY_MAGIC = b"\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19"
_UNSUPPORTED_ADVICE = (
    "The scanner cannot vouch for this file. Convert the model to a format it reads "
    "(safetensors, ONNX, skops), or extract the archive and scan its files."
)


def dispatch(ctx: ScanContext, buf: Buffer) -> str:
    """Scan ``buf`` by its format; returns the name of the format found."""
    name = ctx.member[-1] if ctx.member else ctx.file
    found = sniff(buf, name)
    if found is Format.UNKNOWN and onnx_format.looks_like_onnx(buf):
        found = Format.ONNX
    if found is Format.PICKLE:
        if buf[2:14] == _TORCH_LEGACY_MAGIC:
            ctx.advice = archives.TORCH_ADVICE
        summary = analyze_pickles(ctx, buf)
        if summary.torch_legacy:
            return "pytorch-legacy"
        return "joblib" if summary.joblib_arrays else "pickle"
    if found is Format.ZIP:
        return archives.scan_zip(ctx, buf)
    if found is Format.TAR:
        return archives.scan_tar(ctx, buf)
    if found is Format.NPY:
        return numpy_format.scan_npy(ctx, buf)
    if found is Format.SAFETENSORS:
        return scan_safetensors(ctx, buf)
    if found is Format.HDF5:
        return keras_format.scan_hdf5(ctx, buf)
    if found is Format.ONNX:
        return onnx_format.scan_onnx(ctx, buf)
    if found in COMPRESSED:
        return _scan_compressed(ctx, buf, found)
    if found is Format.EMPTY:
        ctx.note("the file is empty")
        return "empty"
    if found is Format.TEXT:
        return "text"
    what = UNSUPPORTED.get(found, "not a model, archive or compressed format the scanner knows")
    ctx.add(
        FindingKind.UNSUPPORTED_FORMAT,
        Verdict.UNSUPPORTED,
        f"{what}: the scanner cannot read it, so nothing in it was checked",
        advice=_UNSUPPORTED_ADVICE,
    )
    return found.value


def _scan_compressed(ctx: ScanContext, buf: Buffer, method: Format) -> str:
    try:
        data, ended = decompress(ctx, buf, method.value)
    except UnavailableCodec as exc:
        ctx.add(
            FindingKind.UNSUPPORTED_FORMAT,
            Verdict.UNSUPPORTED,
            f"a {method.value} stream, and {exc} to read it",
            advice=_UNSUPPORTED_ADVICE,
        )
        return method.value
    except ValueError as exc:
        ctx.malformed(str(exc))
        return method.value
    if not ended:
        ctx.malformed(f"the {method.value} stream is truncated", offset=len(buf))
    return f"{ctx.nested(data, f'({method.value})')} ({method.value})"


def _scan_buffer(
    display: str, buf: Buffer, policy: CallablePolicy, limits: ScanLimits
) -> FileReport:
    started = time.perf_counter()
    ctx = ScanContext(file=display, budget=Budget(limits), policy=policy, dispatch=dispatch)
    found = "unknown"
    try:
        found = dispatch(ctx, buf)
        if found not in archives.ZIP_FLAVORS and is_zip_tail(buf):
            ctx.add(
                FindingKind.EVASION,
                Verdict.SUSPICIOUS,
                f"the file is {found} and also ends like a zip archive (a polyglot): tools "
                "that check the start and tools that check the end read different contents",
            )
            archives.scan_zip(ctx, buf)
    except LimitExceeded as exc:
        ctx.add(
            FindingKind.LIMIT_EXCEEDED,
            Verdict.ERROR,
            f"the scan stopped before the end: {exc}",
            advice="Scan it again with higher limits if you trust its size.",
        )
    except RecursionError:
        ctx.malformed("the file nests structures too deeply to scan")
    except Exception as exc:  # a scan must report, never crash
        ctx.add(
            FindingKind.MALFORMED,
            Verdict.ERROR,
            f"the scanner failed on this file ({type(exc).__name__}: {exc}); it was not "
            "fully checked",
            advice="Treat the file as unscanned, and please report the failure.",
        )
    return FileReport(
        path=display,
        format=found,
        findings=tuple(ctx.findings),
        bytes_read=ctx.budget.bytes_read,
        seconds=round(time.perf_counter() - started, 6),
    )


def scan_bytes(
    data: bytes,
    name: str = "<bytes>",
    *,
    policy: ArtifactPolicy | None = None,
    limits: ScanLimits | None = None,
) -> FileReport:
    """Scan a file's contents held in memory; ``name`` is shown in findings."""
    return _scan_buffer(name, data, load_policy(policy), limits or ScanLimits())


def scan_file(
    path: str | Path,
    *,
    policy: ArtifactPolicy | None = None,
    limits: ScanLimits | None = None,
) -> FileReport:
    """Scan one file. Raises :class:`MissingFileError` when there is no such file."""
    return _scan_file(Path(path), load_policy(policy), limits or ScanLimits())


def _scan_file(path: Path, policy: CallablePolicy, limits: ScanLimits) -> FileReport:
    if not path.is_file():
        raise MissingFileError(f"{path}: no such file to scan.")
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size == 0:
                return _scan_buffer(str(path), b"", policy, limits)
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                return _scan_buffer(str(path), mapped, policy, limits)
    except OSError as exc:
        unreadable = ArtifactFinding(
            kind=FindingKind.MALFORMED,
            implies=Verdict.ERROR,
            file=str(path),
            message=f"cannot read the file: {exc.strerror or exc}",
            advice="Check the file's permissions and scan it again.",
        )
        return FileReport(path=str(path), format="unreadable", findings=(unreadable,))


def files_under(paths: Iterable[str | Path]) -> list[Path]:
    """The files named, and the files in the folders named (recursively, by name).

    Raises :class:`MissingFileError` for a path that does not exist. Symbolic links to
    folders are not followed, so a link loop cannot hang the walk.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs.sort()
                found.extend(p for n in sorted(names) if (p := Path(root) / n).is_file())
        elif path.is_file():
            found.append(path)
        else:
            raise MissingFileError(f"{path}: no such file or folder to scan.")
    return found


def scan_paths(
    paths: Iterable[str | Path],
    *,
    policy: ArtifactPolicy | None = None,
    limits: ScanLimits | None = None,
) -> ScanReport:
    """Scan files and folders; see :func:`files_under` for the walk."""
    judged = load_policy(policy)
    bounds = limits or ScanLimits()
    return ScanReport(files=tuple(_scan_file(p, judged, bounds) for p in files_under(paths)))
