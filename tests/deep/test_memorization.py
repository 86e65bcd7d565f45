"""Exposure of canaries and the tests for data encoded in parameters (numbers checked by hand
where they can be)."""

from __future__ import annotations

import numpy as np
import pytest

from failmodes.memorization.canaries import draw_canaries, exposure
from failmodes.memorization.encoding import (
    encode_in_low_bits,
    low_bit_entropy_deficit,
    low_bytes,
    parameter_data_correlation,
)


def test_exposure_is_log_guesses_saved() -> None:
    reference = np.arange(1.0, 16.0)  # 15 references: |R| = 16 candidates
    # lowest loss: rank 1, exposure log2 16 = 4; worst: rank 16, exposure 0; tie counts against
    np.testing.assert_allclose(exposure(np.array([0.5, 99.0, 1.0]), reference), [4.0, 0.0, 3.0])


def test_canaries_repeat_and_stay_apart_from_references() -> None:
    canaries = draw_canaries(
        (1, 4, 4),
        np.arange(3),
        count=5,
        references=50,
        repeats=3,
        value_range=(0.0, 1.0),
        rng=np.random.default_rng(0),
    )
    X, y = canaries.training_rows()
    assert X.shape == (15, 1, 4, 4) and np.array_equal(y, np.repeat(canaries.y, 3))
    assert canaries.X_reference.shape == (50, 1, 4, 4)
    assert not np.isin(canaries.X_reference.ravel(), canaries.X.ravel()).any()


def test_low_bits_of_honest_parameters_look_random_and_encoded_data_does_not() -> None:
    rng = np.random.default_rng(0)
    honest = rng.normal(0, 0.1, 20_000).astype(np.float32)
    assert low_bit_entropy_deficit(honest) < 0.02
    pixels = rng.integers(0, 17, 20_000).astype(np.uint8).tobytes()  # digits-like bytes
    encoded = encode_in_low_bits(honest, pixels)
    np.testing.assert_array_equal(low_bytes(encoded), np.frombuffer(pixels, dtype=np.uint8))
    # at most 255 units in the last place of a 23-bit mantissa: 2^8 / 2^23 relative
    assert np.max(np.abs(encoded - honest) / np.abs(honest)) <= 2.0**-15  # the model still works
    # 17 equally likely values carry log2 17 = 4.09 bits: the deficit is 8 − 4.09
    assert low_bit_entropy_deficit(encoded) == pytest.approx(8 - np.log2(17), abs=0.02)


def test_parameters_laid_out_as_the_data_correlate_and_others_do_not() -> None:
    rng = np.random.default_rng(1)
    data = rng.random((40, 64))
    unrelated = [rng.normal(size=(32, 16)), rng.normal(size=(8,))]
    r, z = parameter_data_correlation(unrelated, data)
    assert z < 4
    leaky = [0.01 * data.ravel()[:1024].reshape(64, 16) + rng.normal(0, 0.002, (64, 16))]
    r, z = parameter_data_correlation(leaky, data)
    assert r > 0.7 and z > 20
