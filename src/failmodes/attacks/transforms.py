"""Random, differentiable viewing conditions for images, in PyTorch: rotation, scale,
translation, perspective, brightness and blur.

Expectation over Transformation (Athalye, Engstrom, Ilyas and Kwok, "Synthesizing Robust
Adversarial Examples", ICML 2018) optimises a perturbation through a *distribution* of
transformations, so each transformation must be differentiable with respect to the image.
Here the geometric ones are one homography per image — rotation by θ, scale s, translation
(tx, ty) and a perspective tilt (p, q) — applied with bilinear resampling
(``torch.nn.functional.grid_sample``), pixels from outside the image taking the low end of the
value range; brightness multiplies the image by b; blur convolves it with a Gaussian of random
width σ. Every parameter is drawn uniformly from its range, independently per image.

The ranges (:class:`ViewingConditions`) describe how a printed pattern is seen by a camera: a
few degrees of rotation, some zoom and shift, a slanted view, lighting, focus. No torchvision:
a few lines of torch do what is needed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class ViewingConditions:
    """Ranges of the random transformations (each drawn uniformly, per image)."""

    rotation_deg: float = 10.0  # θ ∈ [−r, r]
    scale: tuple[float, float] = (0.9, 1.1)
    translation: float = 0.08  # shift ∈ [−t, t] of the image's half-width
    perspective: float = 0.05  # homography tilt terms ∈ [−p, p]
    brightness: tuple[float, float] = (0.8, 1.2)
    blur_sigma: tuple[float, float] = (0.0, 0.6)  # in pixels

    def describe(self) -> dict[str, object]:
        return {
            "rotation_deg": [-self.rotation_deg, self.rotation_deg],
            "scale": list(self.scale),
            "translation": [-self.translation, self.translation],
            "perspective": [-self.perspective, self.perspective],
            "brightness": list(self.brightness),
            "blur_sigma": list(self.blur_sigma),
        }


def random_view(
    images: torch.Tensor,
    conditions: ViewingConditions,
    generator: torch.Generator,
    value_range: tuple[float, float],
) -> torch.Tensor:
    """``images`` (``N × C × H × W``) each seen under freshly drawn conditions; differentiable
    with respect to ``images``."""
    import torch

    n = len(images)
    lo, hi = value_range

    def uniform(a: float, b: float) -> torch.Tensor:
        return a + (b - a) * torch.rand(n, generator=generator, device=images.device)

    c = conditions
    theta = uniform(-c.rotation_deg, c.rotation_deg) * math.pi / 180
    scale = uniform(*c.scale)
    shift_x, shift_y = (uniform(-c.translation, c.translation) for _ in range(2))
    tilt_x, tilt_y = (uniform(-c.perspective, c.perspective) for _ in range(2))
    # The homography maps output coordinates (in [−1, 1]) to where they are sampled from.
    cos, sin = torch.cos(theta) / scale, torch.sin(theta) / scale
    one = torch.ones_like(cos)
    matrix = torch.stack(
        [
            torch.stack([cos, -sin, shift_x], 1),
            torch.stack([sin, cos, shift_y], 1),
            torch.stack([tilt_x, tilt_y, one], 1),
        ],
        1,
    )
    seen = _warp(images - lo, matrix) + lo
    seen = seen * uniform(*c.brightness).view(-1, 1, 1, 1)
    seen = gaussian_blur(seen, uniform(*c.blur_sigma))
    return seen.clamp(lo, hi)


def _warp(images: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
    """Resample ``images`` at ``matrix @ (x, y, 1)`` for each output pixel (zero outside)."""
    import torch

    n, _, h, w = images.shape
    ys, xs = torch.meshgrid(
        torch.linspace(-1, 1, h, device=images.device),
        torch.linspace(-1, 1, w, device=images.device),
        indexing="ij",
    )
    points = torch.stack([xs, ys, torch.ones_like(xs)], -1).view(1, h * w, 3)
    mapped = points @ matrix.transpose(1, 2)  # N × HW × 3
    grid = mapped[..., :2] / mapped[..., 2:].clamp_min(1e-3)
    return torch.nn.functional.grid_sample(
        images, grid.view(n, h, w, 2), mode="bilinear", padding_mode="zeros", align_corners=True
    )


def gaussian_blur(images: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Each image convolved with a 3×3 … 5×5 Gaussian of its own width ``sigma`` (pixels);
    σ = 0 leaves it as it is."""
    import torch

    n, channels, h, w = images.shape
    radius = 2 if max(h, w) >= 16 else 1
    offsets = torch.arange(-radius, radius + 1, device=images.device, dtype=images.dtype)
    spread = sigma.clamp_min(1e-3).view(-1, 1)
    kernel_1d = torch.exp(-(offsets.view(1, -1) ** 2) / (2 * spread**2))
    kernel_1d = kernel_1d / kernel_1d.sum(1, keepdim=True)
    kernel = kernel_1d[:, :, None] * kernel_1d[:, None, :]  # N × k × k
    weight = kernel.repeat_interleave(channels, 0).unsqueeze(1)  # NC × 1 × k × k
    flat = images.reshape(1, n * channels, h, w)
    padded = torch.nn.functional.pad(flat, [radius] * 4, mode="replicate")
    blurred = torch.nn.functional.conv2d(padded, weight, groups=n * channels)
    return blurred.view(n, channels, h, w)
