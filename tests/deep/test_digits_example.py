"""The digits example's profiles load the networks they name: the state_dict through the
package's architecture, embeddings from ``conv``, and the package's training function."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from failmodes.profile import load_profile
from failmodes.targets.base import Capability
from failmodes.targets.loading import load_target
from tests.conftest import EXAMPLES
from tests.deep.conftest import DigitsPair

torch = pytest.importorskip("torch")

from failmodes.training.classifier import predict_logits  # noqa: E402


@pytest.mark.parametrize("name", ["profile.yaml", "profile-clean.yaml"])
def test_profile_loads_the_network(name: str, digits_pair: DigitsPair, tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "digits" / name, tmp_path / name)
    generated = tmp_path / "generated"
    generated.mkdir()
    model = digits_pair.backdoored if name == "profile.yaml" else digits_pair.clean
    torch.save(
        model.state_dict(), generated / ("backdoored.pt" if name == "profile.yaml" else "clean.pt")
    )
    target = load_target(load_profile(tmp_path / name))
    assert target is not None
    assert {Capability.GRADIENTS, Capability.EMBEDDINGS, Capability.TRAIN} <= target.capabilities
    X = digits_pair.X_test[:50]
    expected = torch.softmax(predict_logits(model, X), dim=1).numpy()
    np.testing.assert_allclose(target.predict_proba(X), expected, atol=1e-5)
    assert target.embed(X).shape == (50, 512)
