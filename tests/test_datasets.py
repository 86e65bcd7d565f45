"""Data files in every supported format, and the errors a user can fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from failmodes.errors import DataError, MissingFileError
from failmodes.targets.datasets import DataBundle, Dataset, check_compatible, load_dataset


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 90, 50),
            "dose": rng.normal(size=50),
            "label": rng.integers(0, 2, 50),
        }
    )


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet"])
def test_tables_load_with_their_label(tmp_path, frame, suffix):
    path = tmp_path / f"train{suffix}"
    if suffix == ".parquet":
        frame.to_parquet(path)
    else:
        frame.to_csv(path, index=False, sep="\t" if suffix == ".tsv" else ",")
    data = load_dataset("train", path, "label")
    assert data.feature_names == ["age", "dose"]
    assert data.y is not None and list(data.y) == list(frame["label"])
    assert np.allclose(data.X["dose"], frame["dose"])


def test_numpy_arrays_load_with_and_without_labels(tmp_path, frame):
    X = frame[["age", "dose"]].to_numpy()
    np.save(tmp_path / "x.npy", X)
    np.savez(tmp_path / "xy.npz", X=X, y=frame["label"].to_numpy())
    plain = load_dataset("test", tmp_path / "x.npy", None)
    labelled = load_dataset("test", tmp_path / "xy.npz", None)
    assert plain.y is None and np.array_equal(plain.X, X)
    assert labelled.y is not None and len(labelled.y) == 50 and not labelled.tabular


def test_object_arrays_are_never_unpickled(tmp_path):
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="cannot read it as npy"):
        load_dataset("train", tmp_path / "objects.npy", None)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", "", "the file is empty"),
        ("header.csv", "age,dose,label\n", "has no rows"),
        ("nan.csv", "age,dose,label\n1,,0\n", "missing values \\(NaN\\) in dose"),
        ("nolabel.csv", "age,dose\n1,2\n", "label column 'label' not found"),
        ("data.xlsx", "x", "unsupported data format"),
    ],
)
def test_bad_files_are_one_clear_line(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(DataError, match=message) as err:
        load_dataset("train", path, "label")
    assert str(path) in str(err.value) and len(str(err.value).splitlines()) == 1


def test_missing_file_and_missing_x(tmp_path):
    with pytest.raises(MissingFileError, match="train data file not found"):
        load_dataset("train", tmp_path / "nope.csv", "label")
    np.savez(tmp_path / "bad.npz", features=np.zeros((2, 2)))
    with pytest.raises(DataError, match="needs an array named X"):
        load_dataset("train", tmp_path / "bad.npz", None)


def test_labels_and_rows_must_match_and_columns_must_agree(frame):
    with pytest.raises(DataError, match="50 rows of features but 3 labels"):
        Dataset("train", frame, np.array([0, 1, 0]))
    other = frame.rename(columns={"dose": "dosage"})
    bundle = DataBundle(train=Dataset("train", frame), test=Dataset("test", other))
    with pytest.raises(DataError, match="columns differ"):
        check_compatible(bundle)
