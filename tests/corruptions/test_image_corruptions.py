"""Image corruptions keep shape, dtype and range, are deterministic, and grow with severity."""

from __future__ import annotations

import numpy as np
import pytest

from failmodes.corruptions.image import IMAGE_CORRUPTIONS, corrupt_images, pixel_max
from failmodes.errors import InputError

NAMES = list(IMAGE_CORRUPTIONS)


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    """Twelve 32 × 32 grey images: a gradient with a bright square, values in [0, 1]."""
    rng = np.random.default_rng(0)
    base = np.tile(np.linspace(0.1, 0.7, 32), (32, 1))
    out = np.repeat(base[np.newaxis], 12, axis=0)
    for image in out:
        r, c = rng.integers(4, 20, size=2)
        image[r : r + 8, c : c + 8] = 0.9
    return out


def distortion(clean: np.ndarray, name: str, severity: int) -> float:
    corrupted = corrupt_images(clean, name, severity, np.random.default_rng(1))
    return float(np.abs(corrupted - clean).mean())


@pytest.mark.parametrize("name", NAMES)
def test_shape_dtype_and_range_are_kept(images: np.ndarray, name: str) -> None:
    colour = np.round(np.stack([images, images[::-1], images * 0.5], axis=-1) * 255).astype(
        np.uint8
    )
    for clean in (images, colour):
        out = corrupt_images(clean, name, 5, np.random.default_rng(0))
        assert out.shape == clean.shape
        assert out.dtype == clean.dtype
        assert out.min() >= 0 and out.max() <= (255 if clean.dtype == np.uint8 else 1.0)


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_corruption(images: np.ndarray, name: str) -> None:
    first = corrupt_images(images, name, 3, np.random.default_rng(7))
    again = corrupt_images(images, name, 3, np.random.default_rng(7))
    np.testing.assert_array_equal(first, again)


@pytest.mark.parametrize("name", NAMES)
def test_distortion_grows_with_severity(images: np.ndarray, name: str) -> None:
    d1, d3, d5 = (distortion(images, name, s) for s in (1, 3, 5))
    assert 0 < d1 < d3 < d5


def test_parameters_follow_imagenet_c() -> None:
    grey = np.full((4, 16, 16), 0.5)
    rng = np.random.default_rng(0)
    np.testing.assert_allclose(corrupt_images(grey, "brightness", 1, rng), 0.6)
    noise = corrupt_images(grey, "gaussian_noise", 1, rng) - 0.5
    assert noise.std() == pytest.approx(0.08, rel=0.05)
    hits = corrupt_images(grey, "impulse_noise", 5, rng) != 0.5
    assert hits.mean() == pytest.approx(0.27, abs=0.03)
    ramp = np.tile(np.linspace(0.2, 0.8, 16), (1, 16, 1))
    washed = corrupt_images(ramp, "contrast", 1, rng)
    assert washed.mean() == pytest.approx(ramp.mean())
    assert washed.std() == pytest.approx(0.4 * ramp.std())


def test_pixelate_makes_blocks_and_blur_keeps_flat_images() -> None:
    rng = np.random.default_rng(0)
    checker = (np.indices((8, 8)).sum(axis=0) % 2).astype(float)[np.newaxis]
    blocky = corrupt_images(checker, "pixelate", 5, rng)[0]  # 8 × 0.25 = 2 pixels a side
    assert len(np.unique(np.round(blocky, 6))) == 1  # every 4 × 4 block averages to 0.5
    flat = np.full((2, 8, 8), 0.3)
    np.testing.assert_allclose(corrupt_images(flat, "gaussian_blur", 5, rng), 0.3)


def test_pixel_range_is_detected_or_given() -> None:
    assert pixel_max(np.array([[[0.0, 1.0]]])) == 1.0
    assert pixel_max(np.array([[[0, 200]]], dtype=np.uint8)) == 255.0
    digits_like = np.full((1, 8, 8), 8.0)
    out = corrupt_images(digits_like, "brightness", 1, np.random.default_rng(0), top=16)
    np.testing.assert_allclose(out, 8.0 + 0.1 * 16)


@pytest.mark.parametrize(
    ("images", "name", "severity", "message"),
    [
        (np.zeros((2, 4, 4)), "gaussian_noise", 6, "severity"),
        (np.zeros((2, 4, 4)), "fog", 1, "unknown image corruption"),
        (np.zeros((2, 16)), "gaussian_noise", 1, "N × H × W"),
    ],
)
def test_bad_requests_are_input_errors(
    images: np.ndarray, name: str, severity: int, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        corrupt_images(images, name, severity, np.random.default_rng(0))
