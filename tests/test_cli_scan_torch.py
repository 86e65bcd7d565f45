"""`failmodes scan` end to end on a PyTorch model: a TorchScript file and image data named in a
profile, the file scanned before it loads, the white-box and physical probes run, and the
image probes of the probes issue (corruptions, natural adversarial examples) run on the same
adapter."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

torch = pytest.importorskip("torch")

from failmodes.cli import app  # noqa: E402
from tests.torch_support.digits import MEAN, STD, digits, trained_digits_cnn  # noqa: E402

PROBES = (
    "white_box_attack",
    "physical_adversarial_example",
    "common_corruption",
    "natural_adversarial_examples",
)


@pytest.fixture(scope="module")
def profile(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("digits")
    X, y, X_test, y_test = digits()
    torch.jit.save(torch.jit.script(trained_digits_cnn()), folder / "digits_cnn.pt")
    # Images as data sets keep them: N × H × W × C.
    np.savez(folder / "train.npz", X=X[:300].transpose(0, 2, 3, 1), y=y[:300])
    np.savez(folder / "test.npz", X=X_test.transpose(0, 2, 3, 1), y=y_test)
    document = {
        "name": "Digits reader",
        "modalities": ["image"],
        "deployment": {"inputs_from": ["physical_world_sensors", "public"], "exposure": "public"},
        "target": {
            "model": "digits_cnn.pt",
            "torch": {"input_shape": [1, 8, 8], "mean": [MEAN], "std": [STD]},
            "data": {"train": "train.npz", "test": "test.npz"},
        },
    }
    path = folder / "profile.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_scan_runs_the_torch_probes_on_a_torchscript_model(profile):
    options = [
        "samples=40",
        "steps=5",
        "restarts=1",
        "apgd_steps=10",
        "queries_per_sample=200",
        "patch_steps=50",
        "draws=4",
    ]
    args = ["scan", str(profile), "--format", "json", "--quiet"]
    for probe in PROBES:
        args += ["--probe", probe]
    for option in options:
        args += ["--option", option]
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (0, 1), result.output
    runs = {r["probe"]: r for r in json.loads(result.stdout)["probe_runs"]}
    assert set(runs) == set(PROBES)
    for probe in PROBES:
        assert runs[probe]["status"] == "ran", (probe, runs[probe]["reason"])
    metrics = {f["metric"]: f for f in runs["white_box_attack"]["findings"]}
    assert metrics["black_box_advantage"]["status"] == "pass"
    assert 0 < metrics["robust_accuracy"]["value"] < 0.8
    physical = {f["metric"]: f["value"] for f in runs["physical_adversarial_example"]["findings"]}
    assert physical["eot_survival_rate"] > physical["plain_attack_survival_rate"]
    # the slice and calibration probe reads the same images through the adapter: a network
    # that is right on ~97 % of the digits is rarely confidently wrong
    natural = {f["metric"]: f for f in runs["natural_adversarial_examples"]["findings"]}
    assert natural["confident_error_rate"]["dataset"] == "test"
    assert natural["confident_error_rate"]["value"] < 0.1
    assert 0 <= natural["calibration_error"]["value"] < 0.2
