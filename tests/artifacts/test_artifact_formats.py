"""Each container and model format: what is read, what is skipped, what is flagged."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from failmodes.artifacts import FindingKind, ScanLimits, Verdict, scan_bytes, scan_file
from tests.artifacts.crafted import (
    EMPTY_DICT,
    TORCH_MAGIC,
    global_call,
    tar_bytes,
    tuple_pickle,
    zip_bytes,
)

STATE_DICT = b"\x80\x02ccollections\nOrderedDict\n)R."


def test_a_large_torch_checkpoint_is_scanned_without_reading_its_tensors(tmp_path: Path) -> None:
    path = tmp_path / "big.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("big/data.pkl", STATE_DICT)
        archive.writestr("big/version", "3\n")
        archive.writestr("big/data/0", global_call("os", "system") * 1_000_000)  # ~25 MB
    report = scan_file(path)
    assert report.verdict is Verdict.SAFE, [f.message for f in report.findings]
    assert report.format == "pytorch-zip"
    assert report.bytes_read < 1024


def test_every_pickle_of_a_torch_zip_is_scanned_whatever_its_name() -> None:
    archive = zip_bytes(
        {"x/data.pkl": STATE_DICT, "x/extra/config.pkl": global_call("os", "system")}
    )
    report = scan_bytes(archive, "model.pt")
    assert report.verdict is Verdict.MALICIOUS
    assert [f.member for f in report.findings if f.callable] == ["x/extra/config.pkl"]


def test_a_member_flagged_encrypted_but_stored_in_clear_is_scanned() -> None:
    archive = zip_bytes({"m/data.pkl": global_call("os", "system")}, flags=0x1)
    report = scan_bytes(archive, "model.pt")
    assert report.verdict is Verdict.MALICIOUS
    kinds = {f.kind for f in report.findings}
    assert {FindingKind.EVASION, FindingKind.DANGEROUS_CALLABLE} <= kinds


def test_nested_archives_are_scanned_down_to_the_depth_limit() -> None:
    inner = zip_bytes({"payload.pkl": global_call("pty", "spawn")})
    outer = zip_bytes({"inner.zip": inner})
    report = scan_bytes(outer, "bundle.zip")
    assert report.verdict is Verdict.MALICIOUS
    assert report.findings[-1].member == "inner.zip!payload.pkl"
    deep = inner
    for level in range(6):
        deep = zip_bytes({f"level{level}.zip": deep})
    report = scan_bytes(deep, "deep.zip")
    assert any(f.kind is FindingKind.LIMIT_EXCEEDED for f in report.findings)
    assert report.flagged


def test_a_zip_bomb_stops_at_the_size_bound() -> None:
    bomb = zip_bytes({"zeros.pkl": b"\x00" * 50_000_000}, method=zipfile.ZIP_DEFLATED)
    report = scan_bytes(bomb, "bomb.zip", limits=ScanLimits(max_member_bytes=1_000_000))
    assert report.verdict is Verdict.ERROR
    assert any(f.kind is FindingKind.LIMIT_EXCEEDED for f in report.findings)
    assert report.bytes_read < 3_000_000


def test_too_many_members_is_a_limit_not_a_pass() -> None:
    archive = zip_bytes({f"f{i}.txt": b"x" for i in range(30)})
    report = scan_bytes(archive, "many.zip", limits=ScanLimits(max_members=10))
    assert report.verdict is Verdict.ERROR


def test_a_legacy_torch_tar_skips_raw_storage_and_scans_its_pickles() -> None:
    storage_type = b"ctorch\nFloatStorage\n"
    record = tuple_pickle(b"X\x01\x00\x00\x000", b"X\x03\x00\x00\x00cpu", storage_type)
    raw = struct.pack("<q", 4) + global_call("os", "system")[:16]  # 4 floats that spell opcodes
    storages = b"\x80\x02K\x01." + record + raw
    tensors = b"\x80\x02K\x00."
    members = {
        "sys_info": EMPTY_DICT,
        "pickle": STATE_DICT,
        "storages": storages,
        "tensors": tensors,
    }
    report = scan_bytes(tar_bytes(members), "old.pt")
    assert report.verdict is Verdict.SAFE, [f.message for f in report.findings]
    assert report.format == "pytorch-legacy-tar"
    evil = scan_bytes(tar_bytes({**members, "pickle": global_call("os", "system")}), "old.pt")
    assert evil.verdict is Verdict.MALICIOUS


def test_numpy_object_arrays_are_scanned_and_plain_arrays_checked() -> None:
    buffer = io.BytesIO()
    np.save(buffer, np.arange(10.0))
    plain = buffer.getvalue()
    assert scan_bytes(plain, "a.npy").verdict is Verdict.SAFE
    assert scan_bytes(plain[:-8], "a.npy").verdict is Verdict.ERROR  # truncated
    header = plain[: plain.index(b"\n") + 1].replace(b"'<f8'", b"'|O' ")
    evil = scan_bytes(header + global_call("os", "system"), "obj.npy")
    assert evil.verdict is Verdict.MALICIOUS
    archive = zip_bytes({"a.npy": plain, "b.npy": header + global_call("os", "system")})
    assert scan_bytes(archive, "w.npz").verdict is Verdict.MALICIOUS


def test_a_compressed_npz_of_zeros_reads_only_headers() -> None:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, zeros=np.zeros((2000, 2000)))
    report = scan_bytes(buffer.getvalue(), "zeros.npz")
    assert report.verdict is Verdict.SAFE
    assert report.bytes_read < 200_000


def _safetensors(header: dict[str, object], data: bytes) -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


@pytest.mark.parametrize(
    ("header", "data", "problem"),
    [
        ({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8, None),
        ({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 16]}}, b"\0" * 8, "reach past"),
        ({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8, "needs 12"),
        (
            {
                "a": {"dtype": "U8", "shape": [8], "data_offsets": [0, 8]},
                "b": {"dtype": "U8", "shape": [4], "data_offsets": [4, 8]},
            },
            b"\0" * 8,
            "overlaps",
        ),
        ({"w": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]}}, b"\0" * 8, "after the last"),
    ],
)
def test_safetensors_headers_are_validated(header: dict, data: bytes, problem: str | None) -> None:
    report = scan_bytes(_safetensors(header, data), "m.safetensors")
    assert report.format == "safetensors"
    if problem is None:
        assert report.verdict is Verdict.SAFE, [f.message for f in report.findings]
    else:
        assert report.verdict is Verdict.ERROR
        assert any(problem in f.message for f in report.findings), report.findings


def test_an_oversized_safetensors_header_is_refused_before_reading_it() -> None:
    report = scan_bytes(struct.pack("<Q", 2**40) + b'{"a": 1}', "huge.safetensors")
    assert report.verdict is Verdict.ERROR
    assert report.bytes_read == 0


def _field(number: int, payload: bytes | int) -> bytes:
    if isinstance(payload, int):
        return bytes([number << 3]) + _varint(payload)
    return bytes([number << 3 | 2]) + _varint(len(payload)) + payload


def _varint(value: int) -> bytes:
    out = b""
    while True:
        byte, value = value & 0x7F, value >> 7
        out += bytes([byte | (0x80 if value else 0)])
        if not value:
            return out


def _onnx(node_domain: str = "", location: str | None = None) -> bytes:
    node = _field(4, b"Relu") + (_field(7, node_domain.encode()) if node_domain else b"")
    graph = _field(1, node)
    if location is not None:
        entry = _field(1, b"location") + _field(2, location.encode())
        graph += _field(5, _field(8, b"w") + _field(13, entry) + _field(14, 1))
    return _field(1, 8) + _field(7, graph) + _field(8, _field(2, 17))


def test_onnx_models_are_checked_for_custom_domains_and_escaping_paths() -> None:
    assert scan_bytes(_onnx(), "m.onnx").verdict is Verdict.SAFE
    assert scan_bytes(_onnx(location="weights/w.bin"), "m.onnx").verdict is Verdict.SAFE
    assert scan_bytes(_onnx(node_domain="com.microsoft"), "m.onnx").verdict is Verdict.SAFE
    custom = scan_bytes(_onnx(node_domain="evil.ops"), "m.onnx")
    assert custom.verdict is Verdict.SUSPICIOUS
    assert custom.findings[0].kind is FindingKind.CUSTOM_CODE
    for location in ("../../etc/passwd", "/etc/passwd", "C:\\secrets.bin", "a/../../x"):
        escaped = scan_bytes(_onnx(location=location), "m.onnx")
        assert escaped.verdict is Verdict.MALICIOUS, location
        assert escaped.findings[0].kind is FindingKind.PATH_ESCAPE
    assert scan_bytes(_onnx(), "model.bin").format == "onnx"  # recognized without the name


def _keras(layer: dict[str, object]) -> bytes:
    config = {"module": "keras", "class_name": "Sequential", "config": {"layers": [layer]}}
    return zip_bytes({"config.json": json.dumps(config).encode(), "metadata.json": b"{}"})


def test_keras_archives_are_checked_for_lambda_code_and_custom_objects() -> None:
    dense = {"module": "keras.layers", "class_name": "Dense", "config": {"units": 2}}
    assert scan_bytes(_keras(dense), "m.keras").verdict is Verdict.SAFE
    code = {"class_name": "__lambda__", "config": {"code": "4wEAAAAAAAAA"}}
    lam = {"module": "keras.layers", "class_name": "Lambda", "config": {"function": code}}
    report = scan_bytes(_keras(lam), "m.keras")
    assert report.verdict is Verdict.MALICIOUS
    assert report.findings[0].kind is FindingKind.EXECUTABLE_CONFIG
    custom = {"module": "acme.layers", "class_name": "Gate", "config": {}}
    assert scan_bytes(_keras(custom), "m.keras").verdict is Verdict.SUSPICIOUS
    gadget = {"module": "builtins", "class_name": "function", "config": "eval"}
    assert scan_bytes(_keras(gadget), "m.keras").verdict is Verdict.MALICIOUS


def test_hdf5_model_configs_are_found_even_when_escaped() -> None:
    lam = '{"class_name": "Sequential", "config": {"layers": [{"class_name": "\\u004cambda", '
    lam += '"config": {"function": ["4wEAAAAA", null, null], "function_type": "lambda"}}]}}'
    head = b"\x89HDF\r\n\x1a\n" + b"\x00" * 100
    evil = scan_bytes(head + lam.encode() + b"\x00" * 64, "m.h5")
    assert evil.verdict is Verdict.MALICIOUS
    plain = '{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense"}]}}'
    assert scan_bytes(head + plain.encode() + b"\x00", "m.h5").verdict is Verdict.SAFE


@pytest.mark.parametrize(
    ("data", "verdict"),
    [
        (b"7z\xbc\xaf\x27\x1c\x00\x04" + b"\x00" * 30, Verdict.UNSUPPORTED),
        (bytes(range(256)) * 4, Verdict.UNSUPPORTED),
        (b"just some notes\n", Verdict.SAFE),
        (b"", Verdict.SAFE),
        (b"\x1f\x8b\x08\x00garbage", Verdict.ERROR),
    ],
)
def test_formats_the_scanner_cannot_read_are_never_a_silent_pass(
    data: bytes, verdict: Verdict
) -> None:
    assert scan_bytes(data, "thing.bin").verdict is verdict


def test_a_pickle_that_is_also_a_zip_is_flagged() -> None:
    polyglot = STATE_DICT + zip_bytes({"data.pkl": STATE_DICT})
    report = scan_bytes(polyglot, "model.bin")
    assert report.verdict is Verdict.SUSPICIOUS
    assert any(f.kind is FindingKind.EVASION for f in report.findings)


def test_the_legacy_magic_alone_does_not_make_a_stream_legacy() -> None:
    report = scan_bytes(TORCH_MAGIC + global_call("os", "system"), "model.pt")
    assert report.verdict is Verdict.MALICIOUS
