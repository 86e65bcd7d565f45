"""Image corruptions at five severities, after ImageNet-C.

Hendrycks and Dietterich ("Benchmarking Neural Network Robustness to Common Corruptions and
Perturbations", ICLR 2019) corrupt each test image fifteen ways at five severities; we keep
the eight that need nothing beyond NumPy, SciPy and Pillow: Gaussian, shot and impulse noise,
Gaussian blur, brightness, contrast, JPEG compression and pixelation. The severity tables are
theirs (``make_imagenet_c.py``), with these differences:

- Gaussian blur: sigma is in pixels, so it depends on image size. Images of at most
  :data:`SMALL_IMAGE_SIDE` pixels a side use the CIFAR-10-C sigmas, larger ones ImageNet-C's.
- Brightness: ImageNet-C adds to the V channel in HSV space; we add to every channel (the
  same for grey images, a slightly stronger shift in colour).
- Impulse noise hits each channel value independently, as scikit-image's salt-and-pepper
  noise that ImageNet-C calls.

Images are ``N × H × W`` or ``N × H × W × C`` arrays with values in ``[0, pixel_max]``;
:func:`corrupt_images` detects ``pixel_max`` (1 or 255) unless told, works in ``[0, 1]``, and
returns an array of the input's shape and dtype, clipped to the input's range.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping

import numpy as np
from scipy import ndimage

from failmodes.corruptions import check_severity
from failmodes.errors import InputError

GAUSSIAN_NOISE_STD = (0.08, 0.12, 0.18, 0.26, 0.38)
SHOT_NOISE_PHOTONS = (60, 25, 12, 5, 3)
IMPULSE_NOISE_AMOUNT = (0.03, 0.06, 0.09, 0.17, 0.27)
BLUR_SIGMA = (1.0, 2.0, 3.0, 4.0, 6.0)  # ImageNet-C, for 224-pixel images
BLUR_SIGMA_SMALL = (0.4, 0.6, 0.7, 0.8, 1.0)  # CIFAR-10-C, for 32-pixel images
BRIGHTNESS_SHIFT = (0.1, 0.2, 0.3, 0.4, 0.5)
CONTRAST_FACTOR = (0.4, 0.3, 0.2, 0.1, 0.05)
JPEG_QUALITY = (25, 18, 15, 10, 7)
PIXELATE_FACTOR = (0.6, 0.5, 0.4, 0.3, 0.25)
#: Images up to this many pixels a side are blurred with the CIFAR-10-C sigmas.
SMALL_IMAGE_SIDE = 64

#: (images ``N × H × W × C`` in ``[0, 1]``, severity, generator) → corrupted images.
ImageCorruption = Callable[[np.ndarray, int, np.random.Generator], np.ndarray]


def gaussian_noise(x: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """Additive sensor noise."""
    return x + rng.normal(scale=GAUSSIAN_NOISE_STD[check_severity(severity)], size=x.shape)


def shot_noise(x: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """Photon (Poisson) noise of a sensor that counts few photons, as in low light."""
    photons = SHOT_NOISE_PHOTONS[check_severity(severity)]
    return np.asarray(rng.poisson(np.clip(x, 0.0, 1.0) * photons) / photons)


def impulse_noise(x: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """Salt-and-pepper noise: a share of values set to black or white, as bit errors do."""
    amount = IMPULSE_NOISE_AMOUNT[check_severity(severity)]
    hit = rng.random(x.shape) < amount
    salt = rng.random(x.shape) < 0.5
    return np.where(hit, salt.astype(float), x)


def gaussian_blur(x: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """An out-of-focus lens; sigma in pixels, chosen by image size (see the module notes)."""
    table = BLUR_SIGMA_SMALL if min(x.shape[1:3]) <= SMALL_IMAGE_SIDE else BLUR_SIGMA
    sigma = table[check_severity(severity)]
    return np.asarray(ndimage.gaussian_filter(x, sigma=(0, sigma, sigma, 0), mode="nearest"))


def brightness(x: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """Overexposure: every value shifted up."""
    return x + BRIGHTNESS_SHIFT[check_severity(severity)]


def contrast(x: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """Washed-out images: values pulled towards each image's mean."""
    factor = CONTRAST_FACTOR[check_severity(severity)]
    means = x.mean(axis=(1, 2, 3), keepdims=True)
    return np.asarray((x - means) * factor + means)


def jpeg_compression(x: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """Lossy JPEG round trip at falling quality (Pillow). Images with 3 channels are encoded
    as RGB, others channel by channel as grey."""
    from PIL import Image

    quality = JPEG_QUALITY[check_severity(severity)]
    as_bytes = np.round(np.clip(x, 0.0, 1.0) * 255).astype(np.uint8)

    def roundtrip(pixels: np.ndarray) -> np.ndarray:
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, format="JPEG", quality=quality)
        buffer.seek(0)
        with Image.open(buffer) as decoded:
            return np.asarray(decoded, dtype=float) / 255.0

    out = np.empty(x.shape, dtype=float)
    for n, image in enumerate(as_bytes):
        if image.shape[2] == 3:
            out[n] = roundtrip(image)
        else:
            for c in range(image.shape[2]):
                out[n, :, :, c] = roundtrip(image[:, :, c])
    return out


def pixelate(x: np.ndarray, severity: int, rng: np.random.Generator) -> np.ndarray:
    """Downscale then upscale with box filtering (Pillow), as a low-resolution stream does."""
    from PIL import Image

    factor = PIXELATE_FACTOR[check_severity(severity)]
    height, width = x.shape[1:3]
    small = (max(1, int(width * factor)), max(1, int(height * factor)))
    out = np.empty(x.shape, dtype=float)
    for n in range(x.shape[0]):
        for c in range(x.shape[3]):
            channel = Image.fromarray(x[n, :, :, c].astype(np.float32))
            blocky = channel.resize(small, Image.Resampling.BOX).resize(
                (width, height), Image.Resampling.BOX
            )
            out[n, :, :, c] = np.asarray(blocky, dtype=float)
    return out


#: The image corruptions by name.
IMAGE_CORRUPTIONS: Mapping[str, ImageCorruption] = {
    "gaussian_noise": gaussian_noise,
    "shot_noise": shot_noise,
    "impulse_noise": impulse_noise,
    "gaussian_blur": gaussian_blur,
    "brightness": brightness,
    "contrast": contrast,
    "jpeg_compression": jpeg_compression,
    "pixelate": pixelate,
}


def pixel_max(images: np.ndarray) -> float:
    """The top of the value range: 255 when any value exceeds 1, else 1."""
    return 255.0 if float(np.max(images)) > 1.0 else 1.0


def corrupt_images(
    images: np.ndarray,
    name: str,
    severity: int,
    rng: np.random.Generator,
    *,
    top: float | None = None,
) -> np.ndarray:
    """Corrupt ``images`` (``N × H × W`` or ``N × H × W × C``, values in ``[0, top]``) with
    the corruption ``name``; same shape and dtype back, clipped to ``[0, top]``.

    ``top`` defaults to :func:`pixel_max`; give it for other ranges (16 for scikit-learn's
    digits).
    """
    if images.ndim not in (3, 4):
        raise InputError(f"images must be N × H × W or N × H × W × C, got shape {images.shape}")
    if name not in IMAGE_CORRUPTIONS:
        raise InputError(
            f"unknown image corruption {name!r}; choose from {', '.join(IMAGE_CORRUPTIONS)}"
        )
    top = pixel_max(images) if top is None else float(top)
    unit = images.astype(float) / top
    four_d = unit if unit.ndim == 4 else unit[..., np.newaxis]
    corrupted = np.clip(IMAGE_CORRUPTIONS[name](four_d, severity, rng), 0.0, 1.0) * top
    corrupted = corrupted.reshape(images.shape)
    if np.issubdtype(images.dtype, np.integer):
        corrupted = np.round(corrupted)
    return corrupted.astype(images.dtype)
