"""Hostile input: random bytes, mutated pickles and mutated archives never crash the scanner.

Whatever the bytes, a scan returns a report with one of the five verdicts; it never raises,
hangs or executes. (The scanner never unpickles, so a mutation that happens to spell a
payload is only ever read.)
"""

from __future__ import annotations

import io
import pickle
import zipfile

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from failmodes.artifacts import FileReport, ScanLimits, Verdict, scan_bytes

LIMITS = ScanLimits(max_seconds=5, max_member_bytes=5_000_000, max_read_bytes=20_000_000)
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SEED_PICKLES = [
    pickle.dumps({"weights": np.arange(6.0).reshape(2, 3), "name": "m", "ids": [1, 2]}, protocol=p)
    for p in range(6)
]


def _zip(members: dict[str, bytes], method: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


SEED_ZIPS = [
    _zip({"m/data.pkl": SEED_PICKLES[2], "m/version": b"3\n", "m/data/0": b"\0" * 64}, method)
    for method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
]


def _check(report: FileReport) -> None:
    assert isinstance(report, FileReport)
    assert report.verdict in set(Verdict)
    assert report.bytes_read <= LIMITS.max_read_bytes + LIMITS.max_member_bytes


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 8))):
        action = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if action == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif action == "delete" and data:
            del data[at : at + draw(st.integers(1, 16))]
        elif action == "truncate":
            del data[at:]
    return bytes(data)


@FUZZ
@given(st.binary(max_size=4096), st.sampled_from(["x.bin", "x.pkl", "x.npy", "x.onnx", "x.zip"]))
def test_random_bytes(data: bytes, name: str) -> None:
    _check(scan_bytes(data, name, limits=LIMITS))


@FUZZ
@given(mutated(SEED_PICKLES))
def test_mutated_pickles(data: bytes) -> None:
    _check(scan_bytes(data, "model.pkl", limits=LIMITS))


@FUZZ
@given(mutated(SEED_ZIPS))
def test_mutated_zip_archives(data: bytes) -> None:
    _check(scan_bytes(data, "model.pt", limits=LIMITS))
