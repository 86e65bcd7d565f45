"""Loading a profile's model and data: safe formats load, flagged files are refused unless
trusted, and every data problem is one clear line."""

from __future__ import annotations

import operator
import shutil
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import skops.io
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from failmodes.errors import DataError, InputError, MissingFileError, UnsafeArtifactError
from failmodes.profile import load_profile
from failmodes.targets.base import Capability
from failmodes.targets.http import HttpTarget
from failmodes.targets.loading import load_data, load_model, load_target
from failmodes.targets.sklearn import SklearnTarget

RNG = np.random.default_rng(0)
FRAME = pd.DataFrame(RNG.normal(size=(60, 3)), columns=["age", "dose", "weight"])
FRAME["sex"] = RNG.integers(0, 2, 60)
FRAME["outcome"] = (FRAME["dose"] > 0).astype(int)
FEATURES = FRAME.drop(columns="outcome")


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> tuple[dict[str, Path], list[int]]:
    """The same kind of model saved safely, and with a callable from outside sklearn."""
    folder = tmp_path_factory.mktemp("models")
    plain = LogisticRegression().fit(FEATURES, FRAME["outcome"])
    foreign = make_pipeline(FunctionTransformer(operator.neg), LogisticRegression())
    foreign.fit(FEATURES, FRAME["outcome"])
    paths = {
        "plain.skops": plain,
        "foreign.skops": foreign,
        "scaler.skops": StandardScaler().fit(FEATURES),
        "plain.joblib": plain,
        "foreign.pkl": foreign,
    }
    for name, model in paths.items():
        if name.endswith(".skops"):
            skops.io.dump(model, folder / name)
        else:
            joblib.dump(model, folder / name)
    (folder / "broken.skops").write_bytes(b"not a zip file")
    (folder / "model.onnx").write_bytes(b"\x08\x07")
    found = {name: folder / name for name in [*paths, "broken.skops", "model.onnx"]}
    return found, plain.predict(FEATURES).tolist()


def one_line(exc: pytest.ExceptionInfo[BaseException]) -> str:
    text = str(exc.value)
    assert "\n" not in text and "Traceback" not in text
    return text


@pytest.mark.parametrize("name", ["plain.skops", "plain.joblib"])
def test_safe_models_load_and_predict(models, name):
    paths, expected = models
    assert load_model(paths[name]).predict(FEATURES).tolist() == expected


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "foreign.skops",
            r"builds types from outside scikit-learn, NumPy and SciPy \(_operator.neg\)",
        ),
        ("foreign.pkl", r"refused to load a suspicious model file .*_operator.neg"),
    ],
)
def test_flagged_models_are_refused_unless_trusted(models, name, message):
    paths, expected = models
    with pytest.raises(UnsafeArtifactError, match=message):
        load_model(paths[name])
    trusted = load_model(paths[name], trust=True)
    # operator.neg flips the inputs and the model learned on flipped inputs: same answers
    assert trusted.predict(FEATURES).tolist() == expected


@pytest.mark.parametrize(
    ("name", "error", "message"),
    [
        ("scaler.skops", DataError, "holds a StandardScaler, which has no predict method"),
        ("broken.skops", DataError, "cannot load it as a skops model"),
        ("model.onnx", InputError, "cannot load .onnx model files; save the model with skops"),
        ("absent.skops", MissingFileError, "model file not found"),
    ],
)
def test_unusable_model_files(models, name, error, message):
    path = models[0].get(name, Path("/nonexistent") / name)
    with pytest.raises(error, match=message) as exc:
        load_model(path)
    assert one_line(exc).startswith(str(path))


def write_profile(folder: Path, target: dict) -> Path:
    path = folder / "profile.yaml"
    path.write_text(yaml.safe_dump({"name": "Dosing model", "target": target}))
    return path


def write_csv(folder: Path, name: str, frame: pd.DataFrame) -> str:
    frame.to_csv(folder / name, index=False)
    return name


def test_target_from_model_file_relative_to_the_profile(models, tmp_path):
    paths, expected = models
    (tmp_path / "models").mkdir()
    (tmp_path / "profiles").mkdir()
    shutil.copy(paths["plain.skops"], tmp_path / "models" / "clinic.skops")
    profile = load_profile(
        write_profile(tmp_path / "profiles", {"model": "../models/clinic.skops"})
    )
    target = load_target(profile, budget=100)
    assert isinstance(target, SklearnTarget) and target.budget == 100
    assert target.capabilities >= {Capability.SCORES, Capability.TRAIN}
    assert target.predict(FEATURES).tolist() == expected


def test_target_from_endpoint_and_none(tmp_path):
    profile = load_profile(write_profile(tmp_path, {"endpoint": "https://ml.example.com/v1/score"}))
    target = load_target(profile)
    assert isinstance(target, HttpTarget)
    assert target.describe() == "HTTP endpoint https://ml.example.com/v1/score"
    assert load_target(load_profile(write_profile(tmp_path, {"label_column": "y"}))) is None


def test_model_and_endpoint_together_is_an_error(tmp_path):
    profile = load_profile(write_profile(tmp_path, {"model": "m.skops", "endpoint": "http://x/"}))
    with pytest.raises(InputError, match="names both `model` and `endpoint`"):
        load_target(profile)


def test_all_four_data_sets(tmp_path):
    data = {
        "train": write_csv(tmp_path, "train.csv", FRAME.iloc[:30]),
        "test": write_csv(tmp_path, "test.csv", FRAME.iloc[30:45]),
        "reference": write_csv(tmp_path, "reference.csv", FRAME.iloc[30:45]),
        "production": write_csv(tmp_path, "prod.csv", FEATURES.iloc[45:]),
    }
    profile = load_profile(
        write_profile(
            tmp_path,
            {
                "data": data,
                "label_column": "outcome",
                "sensitive_attribute": "sex",
                "feature_types": {"sex": "binary"},
                "immutable_features": ["age"],
                "ranges": {"dose": [-5, 5]},
            },
        )
    )
    bundle = load_data(profile)
    assert bundle.present() == ["train", "test", "reference", "production"]
    assert bundle.train.feature_names == ["age", "dose", "weight", "sex"]
    assert bundle.train.y.tolist() == FRAME["outcome"].iloc[:30].tolist()
    assert bundle.reference.y is not None  # labels kept where the file has them
    assert bundle.production.y is None and len(bundle.production) == 15
    assert bundle.sensitive_attribute == "sex" and bundle.categorical() == ["sex"]
    assert bundle.ranges == {"dose": (-5.0, 5.0)} and list(bundle.immutable_features) == ["age"]


def test_no_target_section_means_no_target_and_no_data(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("name: Paper only\n")
    assert load_data(load_profile(path)).present() == []
    assert load_target(load_profile(path)) is None


BAD_DATA = {
    "missing file": (lambda d: "nowhere.csv", MissingFileError, "train data file not found"),
    "empty file": (
        lambda d: write_csv(d, "empty.csv", pd.DataFrame()),
        DataError,
        "the file is empty",
    ),
    "header only": (
        lambda d: write_csv(d, "header.csv", FRAME.iloc[:0]),
        DataError,
        "the train set has no rows",
    ),
    "no label column": (
        lambda d: write_csv(d, "nolabel.csv", FEATURES),
        DataError,
        "label column 'outcome' not found",
    ),
    "NaN": (
        lambda d: write_csv(
            d, "nan.csv", FRAME.assign(dose=np.where(FRAME.index == 3, np.nan, FRAME.dose))
        ),
        DataError,
        r"missing values \(NaN\) in dose",
    ),
}


@pytest.mark.parametrize("case", list(BAD_DATA))
def test_bad_training_data_is_one_clear_line(tmp_path, case):
    make, error, message = BAD_DATA[case]
    profile = load_profile(
        write_profile(tmp_path, {"data": {"train": make(tmp_path)}, "label_column": "outcome"})
    )
    with pytest.raises(error, match=message) as exc:
        load_data(profile)
    one_line(exc)


def test_mismatched_columns(tmp_path):
    data = {
        "train": write_csv(tmp_path, "train.csv", FRAME),
        "test": write_csv(tmp_path, "test.csv", FRAME.drop(columns="weight").assign(height=1.0)),
    }
    profile = load_profile(write_profile(tmp_path, {"data": data, "label_column": "outcome"}))
    with pytest.raises(DataError) as exc:
        load_data(profile)
    assert one_line(exc) == (
        "the test set's columns differ from the train set's: missing ['weight'] extra ['height']."
    )


def test_profile_names_a_column_the_data_lacks(tmp_path):
    data = {"train": write_csv(tmp_path, "train.csv", FRAME)}
    profile = load_profile(
        write_profile(
            tmp_path, {"data": data, "label_column": "outcome", "sensitive_attribute": "smoker"}
        )
    )
    with pytest.raises(DataError) as exc:
        load_data(profile)
    assert one_line(exc) == (
        f"{profile.source}: target.sensitive_attribute names 'smoker', which is not a feature "
        "column of the train data."
    )
