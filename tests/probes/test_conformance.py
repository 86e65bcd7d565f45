"""What every probe owes the framework, checked for each built-in probe (the conformance kit,
in the spirit of scikit-learn's ``check_estimator``).

On one small standard fixture — tabular data in all four roles with a binary sensitive column,
a trainable scikit-learn target with scores (for probes that need actions, the careful agent
of the box room), a profile naming a model file and a dependency file — every probe must:
have a valid spec whose failure modes exist in the catalog; run without error; emit only
metrics that are catalog indicators of their mode (judged against the catalog's threshold
when it has one) or informational; give the same findings for the same seed; and be skipped,
with a reason, when its needs are not met.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io
import yaml
from sklearn.ensemble import RandomForestClassifier

from failmodes.assessment.scan import threshold_lookup
from failmodes.catalog import load_catalog
from failmodes.findings import EVIDENCE_STATUSES, Status
from failmodes.gridworlds.agents import careful_agent
from failmodes.probes.base import Need, Probe, ProbeContext, ProbeSpec, RunStatus
from failmodes.probes.builtin import BUILTIN_PROBES
from failmodes.probes.runner import run_probe
from failmodes.profile import load_profile, profile_from_dict
from failmodes.targets.agent import AgentTarget
from failmodes.targets.base import Target
from failmodes.targets.datasets import DataBundle, Dataset
from failmodes.targets.sklearn import SklearnTarget

PROBES: list[type[Probe]] = list(BUILTIN_PROBES)
#: The catalog with the shipped governance overlay, whose modes some probes measure.
CATALOG = load_catalog(["failmodes:governance"])
PAPER_ONLY = profile_from_dict({"name": "No target"})
#: Cheap settings for the probes that read them.
OPTIONS = {
    "shadow_models": 2,
    "max_records": 200,
    "samples": 10,
    "queries_per_sample": 100,
    "max_queries": 100,
}


@pytest.fixture(scope="module")
def fixture(tmp_path_factory) -> tuple[ProbeContext, ProbeContext]:
    """The standard fixture, and a context that meets no need at all."""
    folder: Path = tmp_path_factory.mktemp("conformance")
    rng = np.random.default_rng(0)
    n = 400
    X = pd.DataFrame(rng.normal(size=(n, 4)), columns=["age", "dose", "weight", "height"])
    X["smoker"] = rng.integers(0, 2, n)
    y = ((X["dose"] + X["smoker"] + rng.normal(scale=0.5, size=n)) > 0.5).astype(int).to_numpy()
    model = RandomForestClassifier(n_estimators=20, max_depth=6, random_state=0)
    model.fit(X.iloc[:200], y[:200])
    skops.io.dump(model, folder / "model.skops")
    (folder / "requirements.txt").write_text("numpy==1.26.4\nscikit-learn==1.4.2\n")
    (folder / "profile.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "Conformance fixture",
                "dependencies": ["requirements.txt"],
                "target": {
                    "model": "model.skops",
                    "sensitive_attribute": "smoker",
                    "protected_attribute": "smoker",
                },
            }
        )
    )
    profile = load_profile(folder / "profile.yaml")
    data = DataBundle(
        train=Dataset("train", X.iloc[:200], y[:200]),
        test=Dataset("test", X.iloc[200:300], y[200:300]),
        reference=Dataset("reference", X.iloc[200:300], y[200:300]),
        production=Dataset("production", X.iloc[300:], y[300:]),
        feature_types={"smoker": "binary"},
        sensitive_attribute="smoker",
        protected_attribute="smoker",
    )

    def context(target, bundle) -> ProbeContext:
        return ProbeContext(profile, target, bundle, seed=11, options=dict(OPTIONS))

    return context(SklearnTarget(model), data), ProbeContext(None, None, DataBundle(), seed=11)


def torch_fixture() -> tuple[Target, DataBundle]:
    """A fresh PyTorch target (the digits CNN, with embeddings and a training function) and
    digits images in all four roles, for the probes behind the torch extra."""
    pytest.importorskip("torch")
    from failmodes.targets.torch_model import TorchTarget
    from tests.torch_support.digits import MEAN, STD, digits, train_digits_cnn, trained_digits_cnn

    X, y, X_test, y_test = digits()
    target = TorchTarget(
        trained_digits_cnn(),
        input_shape=(1, 8, 8),
        mean=MEAN,
        std=STD,
        embedding_layer="features",
        train=lambda X, y, seed: train_digits_cnn(X, y, seed, epochs=2),
    )
    half = len(X_test) // 2
    data = DataBundle(
        train=Dataset("train", X[:300], y[:300]),
        test=Dataset("test", X_test[:half], y_test[:half]),
        reference=Dataset("reference", X[300:600], y[300:600]),
        production=Dataset("production", X_test[half:], y_test[half:]),
    )
    return target, data


def run(probe: type[Probe], ctx: ProbeContext):
    return run_probe(probe(), ctx, threshold_lookup(CATALOG, ctx.profile or PAPER_ONLY))


@pytest.fixture(scope="module")
def runs(fixture) -> dict[str, tuple]:
    """Each probe run twice on the standard fixture (fresh targets: query counts start at 0)."""
    ctx, _ = fixture
    out = {}
    for probe in PROBES:
        twice = []
        for _ in range(2):
            target: Target = SklearnTarget(ctx.target.estimator)
            data, options = ctx.data, OPTIONS
            if Need.ACTIONS in probe.spec.needs:
                # an agent for the probes that need one: the careful agent of the box room
                target = AgentTarget("failmodes/BoxRoom-v0", careful_agent, episodes=2)
            elif "torch" in probe.spec.extras or probe.spec.needs & NETWORK_NEEDS:
                # Probes behind the torch extra, or that need what only a network offers,
                # run on the digits CNN and its images.
                target, data = torch_fixture()
                options = {**OPTIONS, **NETWORK_OPTIONS}
            fresh = ProbeContext(
                ctx.profile,
                target,
                data,
                seed=ctx.seed,
                options=dict(options),
            )
            twice.append(run(probe, fresh))
        out[probe.spec.id] = tuple(twice)
    return out


#: Needs a scikit-learn target cannot meet: such probes run on the PyTorch fixture.
NETWORK_NEEDS = frozenset({Need.GRADIENTS, Need.EMBEDDINGS})
#: Cheap settings for the probes that run on the network (the conformance kit checks the
#: contract; tests/deep the measurements).
NETWORK_OPTIONS = {"cleanse_steps": 10, "cleanse_inputs": 16, "overlays": 4, "steps": 5}


ids = [p.spec.id for p in PROBES]


@pytest.mark.parametrize("probe", PROBES, ids=ids)
def test_spec_is_valid_and_documented(probe):
    spec = probe.spec
    assert ProbeSpec.model_validate(spec.model_dump()) == spec
    assert spec.name and spec.summary
    assert probe.__doc__, "the class docstring names the method (and paper, if any)"
    unknown = [m for m in spec.failure_modes if m not in {fm.id for fm in CATALOG.modes}]
    assert not unknown, f"{spec.id} declares failure modes the catalog lacks: {unknown}"


@pytest.mark.parametrize("probe", PROBES, ids=ids)
def test_runs_and_emits_catalog_indicators(probe, runs):
    result, _ = runs[probe.spec.id]
    assert result.status == RunStatus.RAN, result.reason
    assert result.findings, "a probe that runs measures something"
    indicators = 0
    for finding in result.findings:
        mode = CATALOG.get(finding.failure_mode)
        if finding.metric in {i.id for i in mode.indicators}:
            indicators += 1
            if mode.threshold_for(finding.metric) is not None and finding.value is not None:
                assert finding.status in EVIDENCE_STATUSES, finding.metric
        else:
            assert finding.status == Status.INFO, f"{finding.metric} is not an indicator"
    assert indicators, f"{probe.spec.id} emits no indicator of its failure modes"


@pytest.mark.parametrize("probe", PROBES, ids=ids)
def test_same_seed_same_findings(probe, runs):
    first, second = runs[probe.spec.id]

    def comparable(result):
        return [f.model_dump(exclude={"duration_s"}) for f in result.findings]

    assert comparable(first) == comparable(second)
    assert first.queries == second.queries


@pytest.mark.parametrize("probe", PROBES, ids=ids)
def test_skipped_with_a_reason_when_needs_are_not_met(probe, fixture):
    if not probe.spec.needs:
        pytest.skip(f"{probe.spec.id} needs nothing, so it always runs")
    result = run(probe, fixture[1])
    assert result.status == RunStatus.SKIPPED and result.findings == []
    assert result.reason and result.reason.endswith(".")


def test_catalog_marks_exactly_the_built_probes_available():
    built = {(m, p.spec.id) for p in PROBES for m in p.spec.failure_modes}
    listed = {(mode.id, ref.id) for mode in CATALOG.modes for ref in mode.probes}
    available = {
        (mode.id, ref.id)
        for mode in CATALOG.modes
        for ref in mode.probes
        if ref.status.value == "available"
    }
    assert built <= listed, f"probes missing from the catalog: {sorted(built - listed)}"
    assert available == built, f"catalog status out of step: {sorted(available ^ built)}"
