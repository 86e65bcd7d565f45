"""The white-box attacks on a real trained CNN: they stay inside the ball and the value range,
stronger attacks break more, and APGD's checkpoints are the paper's."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from failmodes.attacks.apgd import apgd_ce, checkpoints  # noqa: E402
from failmodes.attacks.gradient import (  # noqa: E402
    GradientAttack,
    fgsm,
    pgd,
    project,
    still_correct,
)
from failmodes.targets.torch_model import TorchTarget  # noqa: E402
from tests.torch_support.digits import MEAN, STD, digits, trained_digits_cnn  # noqa: E402

EPS = 0.1


@pytest.fixture(scope="module")
def setting():
    _, _, X, y = digits()
    target = TorchTarget(trained_digits_cnn(), input_shape=(1, 8, 8), mean=MEAN, std=STD)
    x = target.to_tensor(X[:80])
    return target, x, target.class_index(y[:80])


def test_attacks_stay_in_the_ball_and_the_range_and_pgd_beats_fgsm(setting):
    target, x, y = setting
    clean = still_correct(target, x, y).mean()
    one_step = fgsm(target, x, y, EPS)
    linf = pgd(target, x, y, EPS, GradientAttack(steps=10, restarts=2))
    apgd = apgd_ce(target, x, y, EPS, steps=20)
    for adversarial in (one_step, linf, apgd):
        assert float((adversarial - x).abs().max()) <= EPS + 1e-6
        assert float(adversarial.min()) >= 0.0 and float(adversarial.max()) <= 1.0
    l2 = pgd(target, x, y, 0.5, GradientAttack(norm="l2", steps=10))
    assert float((l2 - x).flatten(1).norm(dim=1).max()) <= 0.5 + 1e-5
    accuracy = {
        name: still_correct(target, a, y).mean()
        for name, a in (("fgsm", one_step), ("pgd", linf), ("apgd", apgd), ("l2", l2))
    }
    assert clean > 0.95
    # An undefended CNN at ε = 0.1 of the pixel range: every attack takes a large share, and
    # the iterative ones at least as much as one step.
    assert all(a < clean - 0.2 for a in accuracy.values()), accuracy
    assert accuracy["pgd"] <= accuracy["fgsm"] and accuracy["apgd"] <= accuracy["fgsm"]
    # The whole range as the budget: nothing survives.
    assert still_correct(target, pgd(target, x, y, 1.0, GradientAttack(steps=10)), y).sum() == 0


def test_restarts_never_hurt_and_the_seed_replays(setting):
    target, x, y = setting
    one = pgd(target, x, y, 0.06, GradientAttack(steps=5, restarts=1), seed=3)
    again = pgd(target, x, y, 0.06, GradientAttack(steps=5, restarts=1), seed=3)
    assert torch.equal(one, again)
    four = pgd(target, x, y, 0.06, GradientAttack(steps=5, restarts=4), seed=3)
    assert still_correct(target, four, y).sum() <= still_correct(target, one, y).sum()


def test_projection_onto_the_balls():
    center = torch.zeros(2, 4)
    z = torch.tensor([[3.0, 0.0, 0.0, 4.0], [0.1, -0.2, 0.0, 0.0]])
    np.testing.assert_allclose(project(z, center, 1.0, "l2")[0], [0.6, 0, 0, 0.8], atol=1e-6)
    np.testing.assert_allclose(project(z, center, 1.0, "l2")[1], z[1])  # inside: unchanged
    np.testing.assert_allclose(project(z, center, 0.15, "linf")[1], [0.1, -0.15, 0, 0])


def test_apgd_checkpoints_are_those_of_croce_and_hein():
    # p = 0, 0.22, 0.41, 0.57, 0.70, 0.80, 0.87, 0.93, 0.99 of 100 iterations.
    assert checkpoints(100) == [22, 41, 57, 70, 80, 87, 93, 99]
