"""The physical-world probe on a real digits CNN: EOT perturbations survive fresh random views
far more often than plain PGD ones, and a universal patch beats a random one."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from failmodes.assessment.scan import threshold_lookup  # noqa: E402
from failmodes.catalog import load_catalog  # noqa: E402
from failmodes.errors import DataError, InputError  # noqa: E402
from failmodes.findings import Status  # noqa: E402
from failmodes.probes.base import ProbeContext, RunStatus  # noqa: E402
from failmodes.probes.physical_adversarial_example import (  # noqa: E402
    PhysicalAdversarialExampleProbe,
)
from failmodes.probes.runner import run_probe  # noqa: E402
from failmodes.profile import profile_from_dict  # noqa: E402
from failmodes.targets.datasets import DataBundle, Dataset  # noqa: E402
from failmodes.targets.torch_model import TorchTarget  # noqa: E402
from tests.torch_support.digits import MEAN, STD, digits, trained_digits_cnn  # noqa: E402

PROFILE = profile_from_dict({"name": "digits"})
LOOKUP = threshold_lookup(load_catalog(), PROFILE)


def context(**options) -> ProbeContext:
    _, _, X, y = digits()
    target = TorchTarget(trained_digits_cnn(), input_shape=(1, 8, 8), mean=MEAN, std=STD)
    opts = {"samples": 80, "patch_steps": 150, **options}
    return ProbeContext(PROFILE, target, DataBundle(test=Dataset("test", X, y)), 0, options=opts)


@pytest.fixture(scope="module")
def findings():
    result = run_probe(PhysicalAdversarialExampleProbe(), context(), LOOKUP)
    assert result.status == RunStatus.RAN, result.reason
    return {f.metric: f for f in result.findings}


def test_eot_survives_fresh_views_far_more_often_than_plain_pgd(findings):
    eot = findings["eot_survival_rate"].value
    plain = findings["plain_attack_survival_rate"].value
    assert eot > 0.85 and eot > plain + 0.25, (eot, plain)
    robust = findings["eot_robust_accuracy"]
    assert robust.status == Status.FAIL and robust.value < 0.2
    # Without an attack, the views alone leave most digits right: the attack does the damage.
    assert robust.evidence["clean_accuracy_under_views"] > 0.8


def test_a_universal_patch_beats_a_random_one(findings):
    patch = findings["patch_attack_success_rate"]
    assert patch.value > patch.evidence["random_patch_success_rate"] + 0.1
    assert patch.evidence["patch_side"] == 3
    kinds = [p["kind"] for p in patch.evidence["plots"]]
    assert kinds == ["images", "bar"]
    assert len(patch.evidence["plots"][0]["images"][0]) == 3  # the 3×3 patch itself


def test_tables_and_bad_options_are_clear():
    with pytest.raises(InputError, match=r"'patch_area' option .* in \(0, 1\]"):
        list(PhysicalAdversarialExampleProbe().run(context(patch_area=2.0)))
    from tests.torch_support.tabular import table_target

    _, _, X, y = digits()
    import pandas as pd

    frame = pd.DataFrame(X.reshape(len(X), -1)[:, :5])
    ctx = ProbeContext(
        PROFILE, table_target(frame, y), DataBundle(test=Dataset("test", frame, y)), seed=0
    )
    with pytest.raises(DataError, match="attacks images"):
        list(PhysicalAdversarialExampleProbe().run(ctx))
