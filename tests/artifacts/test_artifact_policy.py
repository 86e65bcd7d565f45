"""The allowlist and denylist as data, an organization's additions, and the loading guard."""

from __future__ import annotations

from pathlib import Path

import pytest

from failmodes.artifacts import Verdict, ensure_safe_to_load, load_policy, scan_bytes
from failmodes.artifacts.policy import CallablePattern, canonical
from failmodes.catalog.schema import ArtifactPolicy
from failmodes.errors import CatalogError, UnsafeArtifactError
from tests.artifacts.crafted import global_call, short_str

HELPER = b"\x80\x04" + short_str("acme.features") + short_str("Bucketizer") + b"\x93."


def test_patterns_match_dotted_components() -> None:
    assert CallablePattern("sklearn.**.[A-Z]*").matches("sklearn.tree._classes", "Tree")
    assert not CallablePattern("sklearn.**.[A-Z]*").matches("sklearnx.tree", "Tree")
    assert CallablePattern("os.*").matches("os", "system")
    assert not CallablePattern("os.*").matches("os.path", "join")
    assert CallablePattern("os.**").matches("os.path", "join")
    with pytest.raises(ValueError, match="not a callable pattern"):
        CallablePattern("os..system")


def test_protocol_2_names_are_mapped_like_the_unpickler_does() -> None:
    assert canonical("__builtin__", "eval") == ("builtins", "eval")
    assert canonical("copy_reg", "_reconstructor") == ("copyreg", "_reconstructor")


def test_the_builtin_lists_do_not_contradict_each_other() -> None:
    policy = load_policy()
    for name in ("collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "numpy.dtype"):
        assert policy.judge(*name.rsplit(".", 1)).verdict is Verdict.SAFE
    for name in ("os.system", "builtins.eval", "functools.partial", "pickle.loads"):
        assert policy.judge(*name.rsplit(".", 1)).verdict is Verdict.MALICIOUS


def test_an_overlay_allow_entry_clears_an_unlisted_import() -> None:
    assert scan_bytes(HELPER, "m.pkl").verdict is Verdict.SUSPICIOUS
    allowed = ArtifactPolicy(allow=["acme.features.*"])
    assert scan_bytes(HELPER, "m.pkl", policy=allowed).verdict is Verdict.SAFE


def test_an_overlay_deny_entry_wins_over_the_allowlist_with_its_reason() -> None:
    state_dict = b"\x80\x02ccollections\nOrderedDict\n)R."
    denied = ArtifactPolicy(deny={"collections.OrderedDict": "banned by our review board"})
    report = scan_bytes(state_dict, "m.pkl", policy=denied)
    assert report.verdict is Verdict.MALICIOUS
    assert "banned by our review board" in report.findings[0].message


def test_an_invalid_overlay_pattern_is_a_catalog_error() -> None:
    with pytest.raises(CatalogError, match="artifact_policy"):
        load_policy(ArtifactPolicy(allow=["bad pattern"]))


def test_the_guard_refuses_a_flagged_file_unless_trusted(tmp_path: Path) -> None:
    evil = tmp_path / "model.pkl"
    evil.write_bytes(global_call("os", "system"))
    with pytest.raises(UnsafeArtifactError, match="refused to load a malicious model file"):
        ensure_safe_to_load(evil)
    assert ensure_safe_to_load(evil, trust=True).verdict is Verdict.MALICIOUS
    good = tmp_path / "good.pkl"
    good.write_bytes(b"\x80\x02ccollections\nOrderedDict\n)R.")
    assert ensure_safe_to_load(good).verdict is Verdict.SAFE
