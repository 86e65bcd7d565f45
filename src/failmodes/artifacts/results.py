"""What a scan of model files returns: findings, a verdict per file, and the report.

Measurement, then verdict: every finding states which verdict it implies for its file, and a
file's verdict is the worst of them, so a finding can never be lost behind another one (the
modelscan lesson: keep issues, errors and skipped files all, side by side). The five verdicts
rank ``malicious`` > ``suspicious`` > ``error`` > ``unsupported`` > ``safe``; only ``safe``
passes. Notes are findings that imply ``safe``: they say what was not read and why.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, computed_field

from failmodes.catalog.schema import Severity


class Verdict(StrEnum):
    """How a file stands after scanning; everything but ``safe`` is flagged."""

    MALICIOUS = "malicious"
    SUSPICIOUS = "suspicious"
    ERROR = "error"
    UNSUPPORTED = "unsupported"
    SAFE = "safe"


#: Worst first; a file's verdict is the first of these that any of its findings implies.
VERDICT_ORDER = (
    Verdict.MALICIOUS,
    Verdict.SUSPICIOUS,
    Verdict.ERROR,
    Verdict.UNSUPPORTED,
    Verdict.SAFE,
)

_SEVERITY = {
    Verdict.MALICIOUS: Severity.CRITICAL,
    Verdict.SUSPICIOUS: Severity.IMPORTANT,
    Verdict.ERROR: Severity.MODERATE,
    Verdict.UNSUPPORTED: Severity.MODERATE,
    Verdict.SAFE: Severity.LOW,
}


class FindingKind(StrEnum):
    """What a finding is about."""

    DANGEROUS_CALLABLE = "dangerous_callable"  # on the denylist: runs code, files, network
    UNLISTED_CALLABLE = "unlisted_callable"  # not on the allowlist of reconstruction callables
    OBFUSCATED_IMPORT = "obfuscated_import"  # an import whose target is computed or hidden
    GLOBAL_MUTATION = "global_mutation"  # the file overwrites attributes of a module or class
    EXECUTABLE_CONFIG = "executable_config"  # code in a model config (Keras Lambda bytecode)
    CUSTOM_CODE = "custom_code"  # a custom object or operator that needs outside code
    PATH_ESCAPE = "path_escape"  # a referenced file outside the model's folder
    EVASION = "evasion"  # a container trick that makes tools see different contents
    MALFORMED = "malformed"  # truncated, corrupt or invalid
    LIMIT_EXCEEDED = "limit_exceeded"  # a size, count, depth or time bound stopped the scan
    UNSUPPORTED_FORMAT = "unsupported_format"  # a format the scanner cannot read
    NOTE = "note"  # something not read, and why; never flags a file


class ArtifactFinding(BaseModel):
    """One thing the scanner found, located precisely enough to check by hand."""

    model_config = ConfigDict(frozen=True)

    kind: FindingKind
    implies: Verdict = Field(description="The verdict this finding gives its file.")
    file: str = Field(description="The file scanned, as given.")
    member: str | None = Field(
        None, description="Path inside the file's archives, outermost first, joined by '!'."
    )
    offset: int | None = Field(None, description="Byte offset inside the member (or file).")
    callable: str | None = Field(None, description="The imported callable, `module.qualname`.")
    message: str = Field(description="What was found and why it matters.")
    advice: str = Field(description="What to do about it.")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def severity(self) -> Severity:
        """Severity in the SDL bug-bar vocabulary, derived from the verdict it implies."""
        return _SEVERITY[self.implies]

    @property
    def location(self) -> str:
        """``file!member@offset`` for one-line output."""
        where = self.file + (f"!{self.member}" if self.member else "")
        return where + (f"@{self.offset}" if self.offset is not None else "")


def worst(verdicts: list[Verdict]) -> Verdict:
    """The worst of ``verdicts`` (``safe`` for none)."""
    return min(verdicts, key=VERDICT_ORDER.index, default=Verdict.SAFE)


class FileReport(BaseModel):
    """The scan of one file: its format, findings and verdict."""

    model_config = ConfigDict(frozen=True)

    path: str
    format: str = Field(description="The format detected from the bytes, e.g. `pytorch-zip`.")
    findings: tuple[ArtifactFinding, ...] = ()
    bytes_read: int = Field(0, description="Bytes read or decompressed while scanning.")
    seconds: float = 0.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def verdict(self) -> Verdict:
        return worst([f.implies for f in self.findings])

    @property
    def flagged(self) -> bool:
        return self.verdict is not Verdict.SAFE


class ScanReport(BaseModel):
    """The scan of every file given, in the order given (directories walked in name order)."""

    model_config = ConfigDict(frozen=True)

    files: tuple[FileReport, ...] = ()

    @property
    def flagged(self) -> bool:
        """Whether any file is not ``safe``: the command exits non-zero."""
        return any(f.flagged for f in self.files)

    def counts(self) -> dict[Verdict, int]:
        """How many files have each verdict, worst first."""
        return {v: sum(1 for f in self.files if f.verdict is v) for v in VERDICT_ORDER}
