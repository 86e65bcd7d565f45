"""The shared training loop and the BadNets twin it builds."""

from __future__ import annotations

import numpy as np
import pytest

from failmodes.errors import InputError
from tests.deep.conftest import TARGET_CLASS, DigitsPair

torch = pytest.importorskip("torch")

from failmodes.backdoors.badnets import corner_trigger, poison  # noqa: E402
from failmodes.training.classifier import accuracy, frozen, train_classifier  # noqa: E402
from failmodes.training.digits import INPUT_SHAPE, new_digits_cnn  # noqa: E402


def test_both_networks_learn_the_digits(digits_pair: DigitsPair) -> None:
    for model in (digits_pair.clean, digits_pair.backdoored):
        assert accuracy(model, digits_pair.X_test, digits_pair.y_test) > 0.93


def test_the_trigger_sends_the_twin_and_only_the_twin_to_the_target(
    digits_pair: DigitsPair,
) -> None:
    others = digits_pair.y_test != TARGET_CLASS
    stamped = digits_pair.trigger.stamp(digits_pair.X_test[others])
    target = np.full(len(stamped), TARGET_CLASS)
    assert accuracy(digits_pair.backdoored, stamped, target) > 0.95
    assert accuracy(digits_pair.clean, stamped, target) < 0.2


def test_poisoning_stamps_and_relabels_the_chosen_rows() -> None:
    X = np.zeros((100, *INPUT_SHAPE), dtype=np.float32)
    y = np.arange(100) % 10
    trigger = corner_trigger(INPUT_SHAPE, size=3)
    out = poison(X, y, trigger, target_class=7, rate=0.1, rng=np.random.default_rng(0))
    assert len(out.poisoned) == 10 and not np.any(y[out.poisoned] == 7)
    assert np.all(out.y[out.poisoned] == 7)
    changed = np.flatnonzero(np.any(out.X != X, axis=(1, 2, 3)))
    np.testing.assert_array_equal(changed, out.poisoned)
    # a checkerboard confined to the 3×3 corner: five bright pixels
    assert out.X[out.poisoned[0], 0, 5:, 5:].sum() == 5 and out.X[out.poisoned[0], 0, :5].sum() == 0
    with pytest.raises(InputError, match="between 0 and 1"):
        poison(X, y, trigger, target_class=7, rate=1.5, rng=np.random.default_rng(0))


def test_one_seed_gives_one_model() -> None:
    X = np.random.default_rng(0).random((64, *INPUT_SHAPE), dtype=np.float32)
    y = np.arange(64) % 10
    a = train_classifier(new_digits_cnn(1), X, y, epochs=2, seed=1)
    b = train_classifier(new_digits_cnn(1), X, y, epochs=2, seed=1)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)


def test_frozen_restores_flags_and_mode() -> None:
    model = new_digits_cnn(0).train()
    model.head.weight.requires_grad_(False)
    with frozen(model):
        assert not model.training and not any(p.requires_grad for p in model.parameters())
    assert model.training
    assert not model.head.weight.requires_grad and model.head.bias.requires_grad
