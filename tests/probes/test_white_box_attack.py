"""The white-box perturbation probe on a real digits CNN: robust accuracy falls with ε, the
plain model passes the gradient-masking sanity checks, the same model behind a
non-differentiable input quantisation fails them, and without torch it is not tested."""

from __future__ import annotations

import itertools

import pytest

torch = pytest.importorskip("torch")

from failmodes.assessment.scan import threshold_lookup  # noqa: E402
from failmodes.catalog import load_catalog  # noqa: E402
from failmodes.errors import InputError  # noqa: E402
from failmodes.findings import Status  # noqa: E402
from failmodes.probes import runner  # noqa: E402
from failmodes.probes.base import ProbeContext, RunStatus  # noqa: E402
from failmodes.probes.runner import run_probe  # noqa: E402
from failmodes.probes.white_box_attack import WhiteBoxAttackProbe  # noqa: E402
from failmodes.profile import profile_from_dict  # noqa: E402
from failmodes.targets.datasets import DataBundle, Dataset  # noqa: E402
from failmodes.targets.sklearn import SklearnTarget  # noqa: E402
from failmodes.targets.torch_model import TorchTarget  # noqa: E402
from tests.torch_support.digits import MEAN, STD, digits, trained_digits_cnn  # noqa: E402
from tests.torch_support.masking import QuantisedInput  # noqa: E402

PROFILE = profile_from_dict({"name": "digits"})
LOOKUP = threshold_lookup(load_catalog(), PROFILE)
#: Small enough for two CPU cores; large enough for the checks to mean something.
OPTIONS = {"samples": 60, "steps": 10, "restarts": 1, "apgd_steps": 20, "queries_per_sample": 400}
SANITY = (
    "robust_accuracy_increase_with_epsilon",
    "robust_accuracy_at_large_epsilon",
    "robust_accuracy_gain_from_more_steps",
    "black_box_advantage",
)


def data() -> DataBundle:
    _, _, X, y = digits()
    return DataBundle(test=Dataset("test", X, y))


def scan(module, **options):
    target = TorchTarget(module, input_shape=(1, 8, 8), mean=MEAN, std=STD)
    ctx = ProbeContext(PROFILE, target, data(), seed=0, options={**OPTIONS, **options})
    result = run_probe(WhiteBoxAttackProbe(), ctx, LOOKUP)
    assert result.status == RunStatus.RAN, result.reason
    return {f.metric: f for f in result.findings}


@pytest.fixture(scope="module")
def plain():
    return scan(trained_digits_cnn())


@pytest.fixture(scope="module")
def masked():
    return scan(QuantisedInput(trained_digits_cnn()))


def test_robust_accuracy_falls_with_epsilon_on_the_plain_cnn(plain):
    robust = plain["robust_accuracy"]
    evidence = robust.evidence
    assert evidence["clean_accuracy"] > 0.95
    assert 0.1 < robust.value < evidence["clean_accuracy"] - 0.2  # ε = 0.1 of the pixel range
    curve = evidence["curve_linf"]
    assert curve["epsilon"][0] == 0 and curve["epsilon"][-1] == 1.0
    worst = curve["all white-box"]
    assert worst[0] == pytest.approx(evidence["clean_accuracy"])
    assert worst[-1] == 0.0 and all(b <= a for a, b in itertools.pairwise(worst))
    assert {p["title"] for p in evidence["plots"]} == {
        "Robust accuracy against ε (L∞, white-box)",
        "Robust accuracy against ε (L2, PGD)",
    }
    assert plain["attack_success_rate"].value > 0.2
    assert plain["robust_accuracy_l2"].value < evidence["clean_accuracy"]


def test_the_plain_cnn_passes_every_sanity_check(plain):
    for metric in SANITY:
        assert plain[metric].status == Status.PASS, (metric, plain[metric].value)
    assert plain["black_box_advantage"].value <= 0.02


def test_gradient_masking_is_flagged(masked, plain):
    # The quantised model looks robust to gradient attacks ...
    assert masked["robust_accuracy"].evidence["robust_accuracy_white_box"] > 0.8
    # ... but a black-box attack breaks it, and an unbounded budget does not reach zero.
    assert masked["black_box_advantage"].status == Status.FAIL
    assert masked["black_box_advantage"].value > 0.3
    assert masked["robust_accuracy_at_large_epsilon"].status in (Status.WARN, Status.FAIL)
    # The headline number keeps the black-box result, so masking does not inflate it.
    assert masked["robust_accuracy"].value < 0.7


def test_without_torch_or_gradients_it_is_not_tested(monkeypatch):
    from sklearn.linear_model import LogisticRegression

    _, _, X, y = digits()
    flat = X.reshape(len(X), -1)
    sklearn = SklearnTarget(LogisticRegression(max_iter=200).fit(flat, y))
    ctx = ProbeContext(PROFILE, sklearn, DataBundle(test=Dataset("test", flat, y)), seed=0)
    result = run_probe(WhiteBoxAttackProbe(), ctx, LOOKUP)
    assert result.status == RunStatus.SKIPPED
    assert "does not offer gradients" in result.reason
    monkeypatch.setitem(runner.EXTRA_MODULES, "torch", "failmodes_test_no_such_module")
    result = run_probe(WhiteBoxAttackProbe(), ctx, LOOKUP)
    assert result.reason.startswith("needs failmodes[torch]")


def test_bad_options_are_clear():
    target = TorchTarget(trained_digits_cnn(), input_shape=(1, 8, 8), mean=MEAN, std=STD)
    ctx = ProbeContext(PROFILE, target, data(), seed=0, options={"epsilon": -1})
    with pytest.raises(InputError, match="'epsilon' option of white_box_attack"):
        list(WhiteBoxAttackProbe().run(ctx))
