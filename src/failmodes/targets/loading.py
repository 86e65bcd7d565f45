"""From a profile's ``target`` section to a :class:`Target` and a :class:`DataBundle`.

Loading a model is the one place where failmodes runs a file's code, so it is explicit and
guarded (``docs/targets.md``):

- ``.skops`` files load without unpickling; skops lists the types a file would build that it
  does not trust by default, and we load the file only when each of those comes from
  scikit-learn, NumPy or SciPy. Anything else is refused unless the user trusts the file.
- ``.joblib``, ``.pkl`` and ``.pickle`` files are pickles, which can run any code when
  loaded: the model-file scanner (:mod:`failmodes.artifacts`) reads them first, without
  unpickling, and refuses a flagged file unless the user trusts it.
- ``endpoint`` URLs become an :class:`~failmodes.targets.http.HttpTarget`.
- ``agent`` policies (``module:attribute``) are imported, which runs their module's code: the
  shipped ones in :mod:`failmodes.gridworlds` load as they are, any other only with ``trust``.
- A ``torch`` section makes the model file a PyTorch model (TorchScript, or a state_dict with
  its architecture): scanned first, then loaded by :mod:`failmodes.targets.torch_files`.

Relative paths resolve against the profile's folder.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from failmodes.errors import DataError, InputError, MissingFileError, UnsafeArtifactError
from failmodes.profile.schema import Agent, EndpointAuth, Profile
from failmodes.targets.agent import AgentTarget
from failmodes.targets.base import Target
from failmodes.targets.datasets import DataBundle, Dataset, check_compatible, load_dataset
from failmodes.targets.http import HttpTarget
from failmodes.targets.sklearn import SklearnTarget
from failmodes.targets.user_code import import_named

#: Module roots whose types a ``.skops`` file may build without an explicit trust flag.
TRUSTED_SKOPS_ROOTS = ("sklearn", "numpy", "scipy")
PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")
#: Data sets whose labels probes rely on; the others (drift references, production samples)
#: may come without the label column.
LABELLED_ROLES = ("train", "test")


def load_target(
    profile: Profile,
    *,
    trust: bool = False,
    budget: int | None = None,
    data: DataBundle | None = None,
) -> Target | None:
    """The model the profile names, or ``None`` when it names none.

    ``trust`` loads a model file that the safety checks would refuse. With ``data``, an
    endpoint whose capabilities are unknown is asked once (with one row) whether it returns
    scores, so that probes needing scores are planned on fact, not guess.
    """
    spec = profile.target
    if spec is None:
        return None
    named = [k for k in ("model", "endpoint", "agent") if getattr(spec, k) is not None]
    if len(named) > 1:
        raise InputError(
            f"the profile's target names {'both ' if len(named) == 2 else ''}"
            f"{' and '.join(f'`{k}`' for k in named)}; keep the one to probe."
        )
    if spec.agent is not None:
        return load_agent(spec.agent, profile, trust=trust, budget=budget)
    if spec.endpoint is not None:
        target = HttpTarget(spec.endpoint, budget=budget, credentials=credentials(spec.auth))
        sample = next((getattr(data, r) for r in data.present()), None) if data else None
        if sample is not None:
            target.detect(sample.X)
        return target
    if spec.model is not None and spec.torch is not None:
        from failmodes.targets.torch_files import load_torch_target

        path = profile.resolve(spec.model)
        if not path.is_file():
            raise MissingFileError(f"{path}: model file not found (profile `target.model`).")
        return load_torch_target(
            path, spec.torch, code_dir=profile.resolve("."), trust=trust, budget=budget
        )
    if spec.model is not None:
        return SklearnTarget(load_model(profile.resolve(spec.model), trust=trust), budget=budget)
    return None


def load_agent(
    agent: Agent, profile: Profile, *, trust: bool = False, budget: int | None = None
) -> AgentTarget:
    """The profile's agent: its policy imported (an explicit, trusted step) and its environment
    id kept for the probes, which make the environment only when they run."""
    return AgentTarget(
        agent.environment,
        load_policy(agent.policy, profile, trust=trust),
        name=agent.policy,
        episodes=agent.episodes,
        max_steps=agent.max_steps,
        true_measure=agent.true_measure,
        noop_action=agent.noop_action,
        budget=budget,
    )


def load_policy(reference: str, profile: Profile, *, trust: bool = False) -> Callable[..., Any]:
    """The agent's policy, ``module:attribute`` imported under the rule of
    :mod:`failmodes.targets.user_code`: outside failmodes, only with ``trust``."""
    folder = profile.source.parent if profile.source is not None else None
    policy = import_named(reference, folder, field="target.agent.policy", trust=trust)
    if not callable(policy):
        raise InputError(
            f"target.agent.policy {reference}: {reference.partition(':')[2]!r} is not callable; "
            "expected a function from an observation to an action."
        )
    return policy  # type: ignore[no-any-return]


def credentials(auth: EndpointAuth | None) -> dict[str, str]:
    """The endpoint's credential header, its value read from the environment variable the
    profile names; the value itself is never in the profile, so never in an assessment."""
    if auth is None:
        return {}
    value = os.environ.get(auth.env, "").strip()
    if not value:
        raise InputError(
            f"environment variable {auth.env} is not set; export the endpoint's credential in it "
            "(profile `target.auth.env`)."
        )
    if any(c in value for c in "\r\n\0"):
        raise InputError(
            f"environment variable {auth.env} holds a line break; a credential is one line."
        )
    return {auth.header: f"{auth.scheme} {value}" if auth.scheme else value}


def load_model(path: Path, *, trust: bool = False) -> Any:
    """A fitted scikit-learn-style model from ``path``, after the checks its format needs."""
    if not path.is_file():
        raise MissingFileError(f"{path}: model file not found (profile `target.model`).")
    suffix = path.suffix.lower()
    if suffix == ".skops":
        model = _load_skops(path, trust=trust)
    elif suffix in PICKLE_SUFFIXES:
        model = _load_pickle(path, trust=trust)
    else:
        raise InputError(
            f"{path}: cannot load {suffix or 'suffix-less'} model files; save the model with "
            "skops (.skops) or joblib (.joblib), or serve it and give `target.endpoint`."
        )
    if not callable(getattr(model, "predict", None)):
        raise DataError(
            f"{path}: holds a {type(model).__name__}, which has no predict method; give a "
            "fitted estimator or pipeline."
        )
    return model


def _load_skops(path: Path, *, trust: bool) -> Any:
    import skops.io

    try:
        untrusted = skops.io.get_untrusted_types(file=path)
        foreign = [t for t in untrusted if t.split(".", 1)[0] not in TRUSTED_SKOPS_ROOTS]
        if foreign and not trust:
            raise UnsafeArtifactError(
                f"{path}: builds types from outside scikit-learn, NumPy and SciPy "
                f"({', '.join(foreign[:5])}); pass --trust-model only if you trust its source."
            )
        return skops.io.load(path, trusted=untrusted)
    except UnsafeArtifactError:
        raise
    except Exception as exc:  # skops raises many types for a corrupt or foreign file
        raise DataError(
            f"{path}: cannot load it as a skops model: {exc}".rstrip(".") + "."
        ) from None


def _load_pickle(path: Path, *, trust: bool) -> Any:
    import joblib

    from failmodes.artifacts import ensure_safe_to_load

    ensure_safe_to_load(path, trust=trust)
    try:
        return joblib.load(path)
    except Exception as exc:  # unpickling can fail in any way the file's classes choose
        raise DataError(
            f"{path}: cannot load it with joblib: {type(exc).__name__}: {exc}".rstrip(".") + "."
        ) from None


def load_data(profile: Profile) -> DataBundle:
    """The data sets the profile's ``target.data`` names, checked against each other."""
    spec = profile.target
    if spec is None:
        return DataBundle()
    label = spec.label_column
    sets: dict[str, Dataset] = {}
    for role, relative in spec.data.model_dump().items():
        if relative is not None:
            path = profile.resolve(relative)
            if role in LABELLED_ROLES or label is None:
                sets[role] = load_dataset(role, path, label)
            else:
                sets[role] = _label_if_present(load_dataset(role, path, None), label)
    bundle = DataBundle(
        **sets,
        feature_types=dict(spec.feature_types),
        immutable_features=tuple(spec.immutable_features),
        ranges={k: (float(lo), float(hi)) for k, (lo, hi) in spec.ranges.items()},
        sensitive_attribute=spec.sensitive_attribute,
        protected_attribute=spec.protected_attribute,
    )
    check_compatible(bundle)
    _check_named_columns(bundle, profile)
    return bundle


def _label_if_present(dataset: Dataset, label: str) -> Dataset:
    """Split off the label column of a set that may come without one."""
    X = dataset.X
    if not isinstance(X, pd.DataFrame) or label not in X.columns:
        return dataset
    return Dataset(name=dataset.name, X=X.drop(columns=[label]), y=X[label].to_numpy())


def _check_named_columns(bundle: DataBundle, profile: Profile) -> None:
    """Every column the profile names must be a feature of the data."""
    tables = [getattr(bundle, r) for r in bundle.present() if getattr(bundle, r).tabular]
    if not tables:
        return
    columns = set(tables[0].feature_names)
    named = {
        "feature_types": list(bundle.feature_types),
        "immutable_features": list(bundle.immutable_features),
        "ranges": list(bundle.ranges),
        "sensitive_attribute": [bundle.sensitive_attribute] if bundle.sensitive_attribute else [],
        "protected_attribute": [bundle.protected_attribute] if bundle.protected_attribute else [],
    }
    for field, names in named.items():
        unknown = [n for n in names if n not in columns]
        if unknown:
            where = f"{profile.source}: " if profile.source else ""
            raise DataError(
                f"{where}target.{field} names {', '.join(map(repr, unknown[:5]))}, which "
                f"{'is' if len(unknown) == 1 else 'are'} not a feature column of the "
                f"{tables[0].name} data."
            )
