"""The static pickle analysis on files written by the libraries and on hand-made payloads."""

from __future__ import annotations

import io
import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_iris
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from failmodes.artifacts import FindingKind, ScanLimits, Verdict, scan_bytes
from tests.artifacts.crafted import (
    EMPTY_DICT,
    EMPTY_LIST,
    TORCH_MAGIC,
    TORCH_PROTOCOL,
    global_call,
    short_str,
    stack_global_via_memo,
    tuple_pickle,
)


@pytest.fixture(scope="module")
def model() -> object:
    x, y = load_iris(return_X_y=True)
    gbm = GradientBoostingClassifier(n_estimators=5, random_state=0)
    return make_pipeline(FunctionTransformer(np.log1p), StandardScaler(), gbm).fit(x + 1, y)


@pytest.mark.parametrize("protocol", range(6))
def test_a_scikit_learn_pipeline_at_every_protocol_is_safe(model: object, protocol: int) -> None:
    report = scan_bytes(pickle.dumps(model, protocol=protocol), "model.pkl")
    assert report.verdict is Verdict.SAFE, [f.message for f in report.findings]
    assert report.format == "pickle"


@pytest.mark.parametrize(
    "compress", [0, ("zlib", 3), ("gzip", 3), ("bz2", 3), ("lzma", 3), ("xz", 3)]
)
def test_joblib_files_plain_and_compressed_are_safe(model: object, compress: object) -> None:
    buffer = io.BytesIO()
    joblib.dump(model, buffer, compress=compress)
    report = scan_bytes(buffer.getvalue(), "model.joblib")
    assert report.verdict is Verdict.SAFE, [f.message for f in report.findings]
    assert report.format.startswith("joblib")
    if compress:
        assert report.format == f"joblib ({compress[0]})"  # type: ignore[index]


def test_joblib_array_bytes_that_look_like_opcodes_are_skipped_not_judged() -> None:
    """joblib writes raw array bytes into the stream; these spell a GLOBAL os.system."""
    buffer = io.BytesIO()
    trap = np.frombuffer(global_call("os", "system"), dtype=np.uint8)
    joblib.dump({"weights": trap, "objects": np.array([{"a": 1}, None], dtype=object)}, buffer)
    report = scan_bytes(buffer.getvalue(), "trap.joblib")
    assert report.verdict is Verdict.SAFE, [f.message for f in report.findings]


def test_a_payload_after_a_joblib_stream_is_found() -> None:
    buffer = io.BytesIO()
    joblib.dump({"weights": np.arange(4.0)}, buffer)
    report = scan_bytes(buffer.getvalue() + global_call("os", "system"), "appended.joblib")
    assert report.verdict is Verdict.MALICIOUS
    assert [f.callable for f in report.findings if f.callable] == ["os.system"]


def test_pandas_numpy_and_scipy_objects_are_safe() -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"], "t": pd.to_datetime(["2020", "2021"])})
    for value in (frame, sp.random(5, 5, density=0.3, format="csr"), np.arange(3)):
        report = scan_bytes(pickle.dumps(value, protocol=4), "data.pkl")
        assert report.verdict is Verdict.SAFE, [f.message for f in report.findings]


def test_a_global_is_reported_with_its_offset_callable_and_advice() -> None:
    payload = b"\x80\x02" + global_call("os", "system")
    report = scan_bytes(payload, "evil.pkl")
    (finding,) = report.findings
    assert report.verdict is Verdict.MALICIOUS
    assert finding.kind is FindingKind.DANGEROUS_CALLABLE
    assert finding.offset == 2
    assert finding.callable == "os.system"
    assert finding.file == "evil.pkl"
    assert "calls it (REDUCE)" in finding.message
    assert "safetensors" in finding.advice


def test_memoized_strings_fetched_by_binget_are_resolved() -> None:
    report = scan_bytes(stack_global_via_memo("subprocess", "getoutput"), "memo.pkl")
    assert report.verdict is Verdict.MALICIOUS
    assert [f.callable for f in report.findings] == ["subprocess.getoutput"]


def test_python_2_names_are_judged_by_their_python_3_module() -> None:
    report = scan_bytes(global_call("__builtin__", "eval", "1"), "py2.pkl")
    assert report.verdict is Verdict.MALICIOUS
    assert report.findings[0].callable == "builtins.eval"


def test_inst_and_obj_calls_are_judged() -> None:
    inst = b"(S'ls'\nios\nsystem\n."
    obj = b"(csubprocess\ncall\nS'ls'\no."
    for payload in (inst, obj):
        report = scan_bytes(payload, "call.pkl")
        assert report.verdict is Verdict.MALICIOUS, payload


def test_every_pickle_of_a_stream_is_scanned() -> None:
    report = scan_bytes(EMPTY_LIST + EMPTY_DICT + global_call("webbrowser", "open"), "multi.pkl")
    assert report.verdict is Verdict.MALICIOUS
    assert report.findings[0].offset == len(EMPTY_LIST + EMPTY_DICT)


def test_an_import_off_the_allowlist_is_suspicious_even_with_a_harmless_name() -> None:
    report = scan_bytes(
        b"\x80\x04" + short_str("mylib.helpers") + short_str("tidy") + b"\x93.", "x.pkl"
    )
    assert report.verdict is Verdict.SUSPICIOUS
    assert report.findings[0].kind is FindingKind.UNLISTED_CALLABLE
    assert "artifact_policy.allow" in report.findings[0].advice


def test_a_wildcard_entry_does_not_vouch_for_attribute_access_through_a_class() -> None:
    dotted = (
        b"\x80\x04" + short_str("sklearn.base") + short_str("BaseEstimator.__init__") + b"\x93."
    )
    plain = b"\x80\x04" + short_str("sklearn.base") + short_str("BaseEstimator") + b"\x93."
    assert scan_bytes(dotted, "x.pkl").verdict is Verdict.SUSPICIOUS
    assert scan_bytes(plain, "x.pkl").verdict is Verdict.SAFE


def test_a_reexported_dangerous_class_does_not_hide_behind_a_wildcard() -> None:
    payload = b"\x80\x04" + short_str("sklearn.utils.fixes") + short_str("Popen") + b"\x93."
    report = scan_bytes(payload, "x.pkl")
    assert report.verdict is Verdict.MALICIOUS
    assert "re-exported" in report.findings[0].message


@pytest.mark.parametrize(
    "payload",
    [
        b"\x80\x04K*" + short_str("os") + b"\x93.",  # module is an int: type confusion
        b"\x80\x04" + short_str("os") + b"h\x07\x93.",  # name from a memo entry never stored
        b"\x80\x02\x82\x01.",  # EXT1: an import through the copyreg extension registry
    ],
)
def test_imports_that_hide_their_target_are_malicious(payload: bytes) -> None:
    report = scan_bytes(payload, "hidden.pkl")
    assert report.verdict is Verdict.MALICIOUS
    assert any(f.kind is FindingKind.OBFUSCATED_IMPORT for f in report.findings)


def test_build_on_an_imported_module_is_a_global_mutation() -> None:
    payload = (
        b"\x80\x04"
        + short_str("torch")
        + short_str("_utils")
        + b"\x93"
        + b"}"
        + short_str("_rebuild_tensor")
        + short_str("eval")
        + b"sb."
    )
    report = scan_bytes(payload, "override.pkl")
    assert report.verdict is Verdict.MALICIOUS
    assert any(f.kind is FindingKind.GLOBAL_MUTATION for f in report.findings)


def test_a_payload_deserialized_by_an_allowed_callable_is_scanned() -> None:
    inner = global_call("os", "system")
    payload = (
        b"\x80\x03ctorch.storage\n_load_from_bytes\n"
        + b"C"
        + bytes([len(inner)])
        + inner
        + b"\x85R."
    )
    report = scan_bytes(payload, "tensor.pkl")
    assert report.verdict is Verdict.MALICIOUS
    (finding,) = [f for f in report.findings if f.callable == "os.system"]
    assert finding.member is not None and "torch.storage._load_from_bytes" in finding.member


def test_the_target_of_ufunc_reconstruct_is_judged_as_an_import() -> None:
    benign = b"cnumpy.core\n_ufunc_reconstruct\n(S'numpy'\nS'log1p'\ntR."
    evil = b"cnumpy.core\n_ufunc_reconstruct\n(S'os'\nS'system'\ntR."
    assert scan_bytes(benign, "u.pkl").verdict is Verdict.SAFE
    report = scan_bytes(evil, "u.pkl")
    assert report.verdict is Verdict.MALICIOUS
    assert any(f.callable == "os.system" for f in report.findings)


def test_a_legacy_torch_stream_stops_before_its_tensor_bytes() -> None:
    keys = b"\x80\x02]q\x00X\x01\x00\x00\x000a."
    tensors = global_call("os", "system") * 3  # raw storage that spells a payload
    legacy = TORCH_MAGIC + TORCH_PROTOCOL + EMPTY_DICT + tuple_pickle(b"K\x01") + keys + tensors
    report = scan_bytes(legacy, "model.pt")
    assert report.verdict is Verdict.SAFE, [f.message for f in report.findings]
    assert report.format == "pytorch-legacy"


def test_truncated_and_garbage_pickles_are_errors() -> None:
    whole = pickle.dumps({"a": list(range(50))}, protocol=4)
    assert scan_bytes(whole[:-10], "cut.pkl").verdict is Verdict.ERROR
    assert scan_bytes(b"\x80\x05\xff\xff", "junk.pkl").verdict is Verdict.ERROR


def test_trailing_bytes_after_a_pickle_are_noted_not_flagged() -> None:
    report = scan_bytes(pickle.dumps([1, 2]) + b"\n\n\t", "tail.pkl")
    assert report.verdict is Verdict.SAFE
    assert any(f.kind is FindingKind.NOTE for f in report.findings)


def test_a_bound_on_objects_stops_the_scan_with_an_error() -> None:
    payload = b"\x80\x02" + b"N" * 10_000 + b"."
    report = scan_bytes(payload, "big.pkl", limits=ScanLimits(max_pickle_objects=100))
    assert report.verdict is Verdict.ERROR
    assert report.findings[-1].kind is FindingKind.LIMIT_EXCEEDED
