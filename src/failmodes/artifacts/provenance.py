"""Provenance of model and data artifacts: SHA-256 digests recorded once, checked each time.

A swapped file in the supply chain (a model replaced on shared storage, a data set edited
after review) is caught by comparing each artifact's digest with the manifest recorded when
it was trusted. The manifest lives beside what it covers:

* for a system profile ``fraud.yaml``, ``fraud.manifest.json`` in the same folder, covering
  ``target.model`` and ``target.data.*`` (paths relative to the profile);
* for a folder, ``failmodes.manifest.json`` inside it, covering every file under it.

Hashing streams the file in 1 MiB blocks, so memory stays flat for any size.
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from failmodes.errors import InputError, MissingFileError
from failmodes.profile import load_profile

MANIFEST_VERSION = 1
FOLDER_MANIFEST = "failmodes.manifest.json"
_BLOCK = 1 << 20
_MAX_MANIFEST = 16 * 1024 * 1024


class ManifestEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str = Field(description="Relative to the manifest's folder, with `/` separators.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)


class Manifest(BaseModel):
    """The digests of a set of artifacts, as recorded."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = MANIFEST_VERSION
    algorithm: str = "sha256"
    entries: tuple[ManifestEntry, ...]

    def to_json(self) -> str:
        return self.model_dump_json(indent=2) + "\n"


class ChangeKind(StrEnum):
    CHANGED = "changed"  # the digest differs: the file was modified or swapped
    MISSING = "missing"  # recorded, but no longer there
    UNRECORDED = "unrecorded"  # an artifact the manifest does not cover


class ProvenanceFinding(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: str
    kind: ChangeKind
    message: str
    expected: str | None = None
    actual: str | None = None


class ProvenanceReport(BaseModel):
    """What :func:`check_manifest` found; ``ok`` when every artifact matches."""

    model_config = ConfigDict(frozen=True)

    manifest: str
    checked: int
    findings: tuple[ProvenanceFinding, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.findings


def sha256_of(path: Path) -> tuple[str, int]:
    """(hex digest, size) of the file, read in blocks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def manifest_path(target: str | Path) -> Path:
    """The manifest of a profile (``<stem>.manifest.json`` beside it) or of a folder."""
    target = Path(target)
    if target.is_dir():
        return target / FOLDER_MANIFEST
    return target.with_name(f"{target.stem}.manifest.json")


def artifacts(target: str | Path) -> tuple[Path, list[Path]]:
    """(the folder paths are relative to, the artifacts to cover) for a profile or folder.

    Raises :class:`MissingFileError` for a missing target, and :class:`InputError` for a
    profile that names no model or data file.
    """
    target = Path(target)
    if target.is_dir():
        manifest = manifest_path(target)
        files = sorted(p for p in target.rglob("*") if p.is_file() and p != manifest)
        return target, files
    if not target.is_file():
        raise MissingFileError(f"{target}: no such profile or folder to verify.")
    profile = load_profile(target)
    named: list[str] = []
    if profile.target is not None:
        named += [profile.target.model] if profile.target.model else []
        data = profile.target.data
        named += [p for p in (data.train, data.test, data.reference, data.production) if p]
    if not named:
        raise InputError(
            f"{target}: the profile names no `target.model` or `target.data` file to verify."
        )
    return target.parent.resolve(), [profile.resolve(p) for p in named]


def _relative(path: Path, base: Path) -> str:
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()  # outside the folder: recorded absolute


def record_manifest(target: str | Path) -> Manifest:
    """Digest every artifact of ``target`` now; write the result with :func:`manifest_path`."""
    base, files = artifacts(target)
    entries = []
    for file in files:
        if not file.is_file():
            raise MissingFileError(f"{file}: named by {target} but missing; nothing to record.")
        digest, size = sha256_of(file)
        entries.append(ManifestEntry(path=_relative(file, base), sha256=digest, size=size))
    return Manifest(entries=tuple(entries))


def read_manifest(path: Path) -> Manifest:
    if not path.is_file():
        raise MissingFileError(
            f"{path}: no manifest yet; record one with `failmodes verify --record` once you "
            "trust the current files."
        )
    if path.stat().st_size > _MAX_MANIFEST:
        raise InputError(f"{path}: over {_MAX_MANIFEST:,} bytes; not a failmodes manifest.")
    try:
        return Manifest.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, ValidationError) as exc:
        first = str(exc).splitlines()[0]
        raise InputError(f"{path}: not a valid failmodes manifest ({first}).") from None


def check_manifest(target: str | Path) -> ProvenanceReport:
    """Compare every artifact of ``target`` with its recorded digest."""
    path = manifest_path(target)
    manifest = read_manifest(path)
    base, files = artifacts(target)
    findings: list[ProvenanceFinding] = []
    recorded = {e.path: e for e in manifest.entries}
    for entry in manifest.entries:
        file = Path(entry.path) if Path(entry.path).is_absolute() else base / entry.path
        if not file.is_file():
            findings.append(
                ProvenanceFinding(
                    path=entry.path,
                    kind=ChangeKind.MISSING,
                    message=f"{entry.path}: recorded in the manifest but missing",
                    expected=entry.sha256,
                )
            )
            continue
        digest, size = sha256_of(file)
        if digest != entry.sha256:
            findings.append(
                ProvenanceFinding(
                    path=entry.path,
                    kind=ChangeKind.CHANGED,
                    message=f"{entry.path}: the SHA-256 differs from the recorded one "
                    f"({size:,} bytes now, {entry.size:,} recorded): modified or swapped",
                    expected=entry.sha256,
                    actual=digest,
                )
            )
    for file in files:
        relative = _relative(file, base)
        if relative not in recorded:
            findings.append(
                ProvenanceFinding(
                    path=relative,
                    kind=ChangeKind.UNRECORDED,
                    message=f"{relative}: not in the manifest; record it once you trust it",
                )
            )
    return ProvenanceReport(
        manifest=str(path), checked=len(manifest.entries), findings=tuple(findings)
    )
