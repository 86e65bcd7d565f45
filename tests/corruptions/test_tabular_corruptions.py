"""Tabular corruptions: shape and dtypes kept, deterministic, amount set by severity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from failmodes.corruptions.tabular import (
    MISSING_RATE,
    NOISE_SCALE,
    TABULAR_CORRUPTIONS,
    UNSEEN_CATEGORY,
    TableSchema,
    impute,
)

N = 2000


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 90, N),
            "amount": rng.lognormal(3, 1, N),
            "city": rng.choice(["paris", "berlin", "rome"], N),
            "plan": rng.choice([1, 2, 3], N),
        },
        index=np.arange(N) + 1000,
    )


@pytest.fixture(scope="module")
def schema(frame: pd.DataFrame) -> TableSchema:
    return TableSchema.from_frame(frame, ["age", "amount"], ["city", "plan"])


def changed(clean: pd.DataFrame, corrupted: pd.DataFrame) -> pd.DataFrame:
    return ~(clean.eq(corrupted) | (clean.isna() & corrupted.isna()))


@pytest.mark.parametrize("name", list(TABULAR_CORRUPTIONS))
def test_shape_index_dtypes_and_determinism(
    frame: pd.DataFrame, schema: TableSchema, name: str
) -> None:
    corrupt = TABULAR_CORRUPTIONS[name]
    out = corrupt(frame, 3, np.random.default_rng(5), schema)
    assert out.shape == frame.shape
    assert out.index.equals(frame.index) and list(out.columns) == list(frame.columns)
    if name != "missing_values":  # NaN needs floats
        assert out.dtypes.equals(frame.dtypes)
    pd.testing.assert_frame_equal(out, corrupt(frame, 3, np.random.default_rng(5), schema))
    assert changed(frame, out).to_numpy().any()


@pytest.mark.parametrize("name", list(TABULAR_CORRUPTIONS))
def test_more_severity_more_change(frame: pd.DataFrame, schema: TableSchema, name: str) -> None:
    def amount(severity: int) -> float:
        out = TABULAR_CORRUPTIONS[name](frame, severity, np.random.default_rng(0), schema)
        if name == "gaussian_noise":  # every value changes; the noise grows instead
            return float((out["amount"] - frame["amount"]).std())
        return float(changed(frame, out).to_numpy().mean())

    assert amount(1) < amount(3) < amount(5)


def test_noise_is_scaled_to_each_features_spread(frame: pd.DataFrame, schema: TableSchema) -> None:
    out = TABULAR_CORRUPTIONS["gaussian_noise"](frame, 5, np.random.default_rng(1), schema)
    for col in ("age", "amount"):
        ratio = (out[col] - frame[col]).std() / frame[col].std()
        assert ratio == pytest.approx(NOISE_SCALE[4], rel=0.08)
    assert out[["city", "plan"]].equals(frame[["city", "plan"]])


def test_missing_values_blank_the_stated_share(frame: pd.DataFrame, schema: TableSchema) -> None:
    for severity in (1, 5):
        out = TABULAR_CORRUPTIONS["missing_values"](
            frame, severity, np.random.default_rng(2), schema
        )
        assert out.isna().to_numpy().mean() == pytest.approx(MISSING_RATE[severity - 1], abs=0.015)
    filled = impute(out, schema)
    assert not filled.isna().to_numpy().any()
    assert filled.dtypes.equals(frame.dtypes)
    blank = out["age"].isna()
    assert (filled.loc[blank, "age"] == round(frame["age"].mean())).all()
    assert (filled.loc[out["city"].isna(), "city"] == frame["city"].mode()[0]).all()


def test_unit_errors_hit_one_feature_per_row_by_known_factors(
    frame: pd.DataFrame, schema: TableSchema
) -> None:
    out = TABULAR_CORRUPTIONS["unit_error"](frame, 5, np.random.default_rng(3), schema)
    cells = changed(frame, out)
    assert (cells[["age", "amount"]].sum(axis=1) <= 1).all()
    assert cells.sum(axis=1).mean() > 0.95  # severity 5: every row (bar rounding to the same)
    ratio = out.loc[cells["amount"], "amount"] / frame.loc[cells["amount"], "amount"]
    assert set(np.round(ratio, 6)) == {10.0, 1000.0, 0.01}


def test_category_typos_are_unseen_values(frame: pd.DataFrame, schema: TableSchema) -> None:
    out = TABULAR_CORRUPTIONS["category_typo"](frame, 5, np.random.default_rng(4), schema)
    cells = changed(frame, out)
    assert (cells.sum(axis=1) == 1).all()
    new_cities = set(out.loc[cells["city"], "city"])
    assert UNSEEN_CATEGORY in new_cities and len(new_cities) > 10
    assert not new_cities & {"paris", "berlin", "rome"}
    assert set(out.loc[cells["plan"], "plan"]) == {4}  # a code no plan uses
