"""The PyTorch target: labels, scores, gradients and embeddings from a real trained CNN, query
counting, input layouts, training fresh copies, and loading from a profile only after the
model-file scanner passes the file."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

torch = pytest.importorskip("torch")

from failmodes.errors import DataError, InputError, UnsafeArtifactError  # noqa: E402
from failmodes.profile import load_profile  # noqa: E402
from failmodes.targets.base import Capability, QueryBudgetExceeded  # noqa: E402
from failmodes.targets.loading import load_target  # noqa: E402
from failmodes.targets.torch_model import TorchTarget  # noqa: E402
from tests.torch_support.digits import (  # noqa: E402
    MEAN,
    STD,
    digits,
    train_digits_cnn,
    trained_digits_cnn,
)


def make_target(**kwargs) -> TorchTarget:
    return TorchTarget(trained_digits_cnn(), input_shape=(1, 8, 8), mean=MEAN, std=STD, **kwargs)


def test_labels_scores_and_accuracy_with_normalisation_inside():
    _, _, X, y = digits()
    target = make_target(embedding_layer="features")
    assert target.capabilities == {
        Capability.LABELS,
        Capability.SCORES,
        Capability.GRADIENTS,
        Capability.EMBEDDINGS,
    }
    probabilities = target.predict_proba(X)
    assert probabilities.shape == (len(X), 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    accuracy = (target.predict(X) == y).mean()
    assert accuracy > 0.9
    # The target applies mean/std inside: its scores are the network's on normalised inputs,
    # and a target without them answers differently.
    with torch.no_grad():
        logits = trained_digits_cnn()((torch.as_tensor(X) - MEAN) / STD)
    np.testing.assert_allclose(probabilities, torch.softmax(logits, 1).numpy(), atol=1e-6)
    raw = TorchTarget(trained_digits_cnn(), input_shape=(1, 8, 8))
    assert (raw.predict(X) != target.predict(X)).mean() > 0.05
    assert target.queries == 3 * len(X)


def test_layouts_flat_rows_and_channels_last_give_the_same_answers():
    _, _, X, _ = digits()
    target = make_target(batch_size=7)  # batches of 7 must not change anything
    expected = target.predict_proba(X)
    np.testing.assert_allclose(target.predict_proba(X.reshape(len(X), 64)), expected, atol=1e-6)
    np.testing.assert_allclose(target.predict_proba(X.transpose(0, 2, 3, 1)), expected, atol=1e-6)
    with pytest.raises(DataError, match=r"do not fit the model's input shape \(1, 8, 8\)"):
        target.predict(np.zeros((2, 10)))


def test_loss_gradient_matches_a_finite_difference_and_counts_queries():
    _, _, X, y = digits()
    target = make_target()
    # Noisy inputs: no ties in the max-pool, whose kinks would spoil a finite difference.
    noisy = X[:4] * 0.6 + 0.2 + np.random.default_rng(0).uniform(-0.1, 0.1, X[:4].shape)
    x = target.to_tensor(noisy).double()
    target.module.double()
    try:
        labels = target.class_index((y[:4] + 1) % 10)  # wrong labels: a large gradient
        gradient = target.loss_gradient(x, labels)
        direction = torch.randn_like(x)
        h = 1e-6

        def loss(z):
            return torch.nn.functional.cross_entropy(target.logits(z), labels, reduction="sum")

        numeric = (loss(x + h * direction) - loss(x - h * direction)) / (2 * h)
        assert float((gradient * direction).sum()) == pytest.approx(
            float(numeric.detach()), rel=1e-4
        )
    finally:
        target.module.float()
    assert target.queries == 3 * 4
    with pytest.raises(DataError, match="label 11 is not one of the model's classes"):
        target.class_index(np.array([1, 11]))


def test_embeddings_come_from_the_named_layer():
    _, _, X, _ = digits()
    target = make_target(embedding_layer="features")
    embedding = target.embed(X[:5])
    module = trained_digits_cnn()
    with torch.no_grad():
        expected = module.features(module.conv((torch.as_tensor(X[:5]) - MEAN) / STD))
    np.testing.assert_allclose(embedding, expected.numpy(), atol=1e-6)
    with pytest.raises(InputError, match="no layer 'penultimate'"):
        make_target(embedding_layer="penultimate")


def test_budget_and_bad_settings_are_clear_errors():
    _, _, X, _ = digits()
    target = make_target(budget=10)
    target.predict(X[:10])
    with pytest.raises(QueryBudgetExceeded):
        target.logits(target.to_tensor(X[:1]))
    with pytest.raises(InputError, match="does not accept inputs of shape"):
        TorchTarget(trained_digits_cnn(), input_shape=(3, 8, 8))
    with pytest.raises(InputError, match="one number or one per channel"):
        TorchTarget(trained_digits_cnn(), input_shape=(1, 8, 8), mean=[0.1, 0.2])
    with pytest.raises(InputError, match="10 outputs but 3 classes"):
        make_target(classes=["a", "b", "c"])


def test_training_function_gives_a_fresh_trainable_target():
    X, y, X_test, y_test = digits()
    target = make_target(train=lambda X, y, seed: train_digits_cnn(X, y, seed, epochs=3))
    assert Capability.TRAIN in target.capabilities
    fresh = target.fit_fresh(X[:600].reshape(600, 64), y[:600], seed=1)
    assert isinstance(fresh, TorchTarget) and fresh.module is not target.module
    assert Capability.TRAIN in fresh.capabilities
    assert (fresh.predict(X_test) == y_test).mean() > 0.7
    assert target.queries == 0  # training copies is not querying the deployed model


# -- loading from a profile ----------------------------------------------------------------


def write_profile(folder: Path, torch_section: dict, model: str = "model.pt") -> Path:
    path = folder / "profile.yaml"
    path.write_text(
        yaml.safe_dump({"name": "digits", "target": {"model": model, "torch": torch_section}})
    )
    return path


ARCHITECTURE = """
from tests.torch_support.digits import DigitsCNN

def build():
    return DigitsCNN()
"""


class Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_torchscript_and_state_dict_load_from_a_profile(tmp_path):
    _, _, X, _ = digits()
    expected = make_target().predict(X)
    module = trained_digits_cnn()
    torch.jit.save(torch.jit.script(module), tmp_path / "model.pt")
    section = {"input_shape": [1, 8, 8], "mean": [MEAN], "std": [STD]}
    target = load_target(load_profile(write_profile(tmp_path, section)))
    assert isinstance(target, TorchTarget)
    assert (target.predict(X) == expected).all()

    torch.save(module.state_dict(), tmp_path / "weights.pt")
    (tmp_path / "digits_arch.py").write_text(ARCHITECTURE)
    section = {**section, "architecture": "digits_arch:build", "embedding_layer": "features"}
    profile = load_profile(write_profile(tmp_path, section, "weights.pt"))
    # importing the architecture runs the user's code: only with the trust flag
    with pytest.raises(UnsafeArtifactError, match="importing digits_arch runs its code"):
        load_target(profile)
    assert "digits_arch" not in sys.modules
    target = load_target(profile, trust=True)
    assert isinstance(target, TorchTarget) and Capability.EMBEDDINGS in target.capabilities
    assert (target.predict(X) == expected).all()


def test_flagged_torch_files_are_refused_and_bad_names_are_clear(tmp_path):
    torch.save({"weight": torch.zeros(2), "payload": Exploit()}, tmp_path / "evil.pt")
    (tmp_path / "digits_arch.py").write_text(ARCHITECTURE)
    section = {"input_shape": [1, 8, 8], "architecture": "digits_arch:build"}
    profile = load_profile(write_profile(tmp_path, section, "evil.pt"))
    with pytest.raises(UnsafeArtifactError, match="refused to load"):
        load_target(profile)
    # Trusted, it is still read with weights_only=True, which refuses the payload.
    with pytest.raises(DataError, match="weights_only=True"):
        load_target(profile, trust=True)

    torch.save(trained_digits_cnn().state_dict(), tmp_path / "weights.pt")
    for architecture, message in (
        ("no_such_module:build", "cannot import no_such_module"),
        ("digits_arch:missing", "has no attribute 'missing'"),
    ):
        section = {"input_shape": [1, 8, 8], "architecture": architecture}
        with pytest.raises(InputError, match=message):
            load_target(load_profile(write_profile(tmp_path, section, "weights.pt")), trust=True)
    section = {"input_shape": [1, 8, 8]}
    with pytest.raises(DataError, match="cannot load it as TorchScript"):
        load_target(load_profile(write_profile(tmp_path, section, "weights.pt")))
