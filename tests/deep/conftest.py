"""The digits pair the deep-learning tests share: a clean CNN and its BadNets twin, trained
once per session on scikit-learn's bundled 8×8 digits (a few seconds on one CPU thread)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from failmodes.backdoors.badnets import PoisonedSet, Trigger, corner_trigger, poison  # noqa: E402
from failmodes.training.classifier import train_classifier  # noqa: E402
from failmodes.training.digits import INPUT_SHAPE, DigitsCNN, digits_split, new_digits_cnn  # noqa: E402

SEED = 3
TARGET_CLASS = 7
EPOCHS = 12


@dataclass(frozen=True)
class DigitsPair:
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    trigger: Trigger
    poisoned: PoisonedSet
    clean: DigitsCNN
    backdoored: DigitsCNN


@pytest.fixture(scope="session")
def digits_pair() -> DigitsPair:
    torch.set_num_threads(1)
    X_train, X_test, y_train, y_test = digits_split(SEED)
    trigger = corner_trigger(INPUT_SHAPE)
    poisoned = poison(
        X_train,
        y_train,
        trigger,
        target_class=TARGET_CLASS,
        rate=0.05,
        rng=np.random.default_rng(SEED),
    )
    clean = train_classifier(new_digits_cnn(SEED), X_train, y_train, epochs=EPOCHS, seed=SEED)
    backdoored = train_classifier(
        new_digits_cnn(SEED), poisoned.X, poisoned.y, epochs=EPOCHS, seed=SEED
    )
    return DigitsPair(
        X_train,
        y_train,
        X_test,
        y_test,
        trigger,
        poisoned,
        clean,
        backdoored,  # type: ignore[arg-type]
    )


def digits_target(model: DigitsCNN, **kwargs: object) -> object:
    """The network behind the real PyTorch adapter, embeddings from the ``conv`` layer."""
    from failmodes.targets.torch_model import TorchTarget
    from failmodes.training.digits import EMBEDDING_LAYER

    return TorchTarget(
        model, input_shape=INPUT_SHAPE, embedding_layer=EMBEDDING_LAYER, device="cpu", **kwargs
    )


def catalog_lookup(mode_id: str, metric: str) -> tuple[object, object]:
    from failmodes.catalog import load_catalog

    mode = load_catalog().get(mode_id)
    return mode.threshold_for(metric), mode.severity.default
