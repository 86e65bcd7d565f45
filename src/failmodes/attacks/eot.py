"""Attacks meant to survive the physical world: Expectation over Transformation and a universal
adversarial patch, in PyTorch.

- **EOT** (Athalye, Engstrom, Ilyas and Kwok, "Synthesizing Robust Adversarial Examples", ICML
  2018): PGD in the L∞ ball whose every step follows the gradient of the loss *averaged over*
  ``samples`` random viewing conditions (:mod:`failmodes.attacks.transforms`), so the
  perturbation fools the model however the input is seen, not just as it was crafted. The paper
  optimises a targeted loss with a perceptual-distance penalty; we keep the untargeted
  cross-entropy and the L∞ ball of the other attacks, so ε means the same across probes.
- **Adversarial patch** (Brown, Mané, Roy, Abadi and Gilmer, "Adversarial Patch", 2017): one
  square patch, the same for every image, pasted at a random place of each image and seen under
  random conditions, optimised with Adam to push the model off the true class. The paper's patch
  is targeted (a "toaster") and also scaled and rotated on its own; ours is untargeted and is
  transformed with the whole scene, as a camera sees a sticker on an object.

:func:`fooling_rate` reads success the way the physical world does: under *fresh* random
conditions, never those the attack was optimised on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from failmodes.attacks.gradient import project, random_in_ball
from failmodes.attacks.transforms import ViewingConditions, random_view

if TYPE_CHECKING:
    import torch

    from failmodes.targets.torch_model import TorchTarget


def eot_pgd(
    target: TorchTarget,
    x: torch.Tensor,
    y: torch.Tensor,
    epsilon: float,
    *,
    steps: int,
    samples: int,
    conditions: ViewingConditions,
    seed: int = 0,
) -> torch.Tensor:
    """PGD (L∞, one random start, step ``2.5 ε / steps``) on the loss averaged over
    ``samples`` random views per step; returns the last iterate."""
    import torch

    generator = torch.Generator(device=x.device).manual_seed(seed)
    lo, hi = target.value_range
    step = 2.5 * epsilon / steps
    out = x.clone()
    chunk = max(1, target.batch_size // samples)  # each image is seen `samples` times a step
    for first in range(0, len(x), chunk):
        s = slice(first, first + chunk)
        start, labels = x[s], y[s]
        noise = random_in_ball(start, epsilon, "linf", generator)
        current = project(start + noise, start, epsilon, "linf").clamp(lo, hi)
        for _ in range(steps):
            z = current.detach().requires_grad_(True)
            views = random_view(z.repeat(samples, 1, 1, 1), conditions, generator, (lo, hi))
            loss = torch.nn.functional.cross_entropy(
                target.logits(views), labels.repeat(samples), reduction="sum"
            )
            (gradient,) = torch.autograd.grad(loss, z)
            moved = current + step * gradient.sign()
            current = project(moved, start, epsilon, "linf").clamp(lo, hi)
        out[s] = current
    return out


def patch_side(shape: tuple[int, ...], area: float) -> int:
    """Side of a square patch covering about ``area`` of an ``C × H × W`` image."""
    _, h, w = shape
    return int(max(1, min(h, w, round((area * h * w) ** 0.5))))


def paste(images: torch.Tensor, patch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """``patch`` (``C × s × s``) pasted at a uniformly random place of each image;
    differentiable with respect to ``patch``."""
    import torch

    n, _, h, w = images.shape
    side = patch.shape[-1]
    rows = torch.randint(0, h - side + 1, (n,), generator=generator, device=images.device)
    cols = torch.randint(0, w - side + 1, (n,), generator=generator, device=images.device)
    canvas = torch.zeros_like(images)
    mask = torch.zeros_like(images)
    for i in range(n):
        r, c = int(rows[i]), int(cols[i])
        canvas[i, :, r : r + side, c : c + side] = patch
        mask[i, :, r : r + side, c : c + side] = 1.0
    patched: torch.Tensor = images * (1 - mask) + canvas
    return patched


def universal_patch(
    target: TorchTarget,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    side: int,
    steps: int,
    conditions: ViewingConditions,
    seed: int = 0,
) -> torch.Tensor:
    """One patch for all of ``x``, optimised with Adam (learning rate a tenth of the value
    range) on the cross-entropy of the true class, through random places and views."""
    import torch

    generator = torch.Generator(device=x.device).manual_seed(seed)
    lo, hi = target.value_range
    channels = x.shape[1]
    patch = (
        lo + (hi - lo) * torch.rand((channels, side, side), generator=generator, device=x.device)
    ).requires_grad_(True)
    optimiser = torch.optim.Adam([patch], lr=0.1 * (hi - lo))
    batch = min(len(x), target.batch_size)
    for _ in range(steps):
        pick = torch.randint(0, len(x), (batch,), generator=generator, device=x.device)
        seen = random_view(paste(x[pick], patch, generator), conditions, generator, (lo, hi))
        loss = -torch.nn.functional.cross_entropy(target.logits(seen), y[pick])
        (patch.grad,) = torch.autograd.grad(loss, patch)
        optimiser.step()
        with torch.no_grad():
            patch.clamp_(lo, hi)
    return patch.detach()


def fooling_rate(
    target: TorchTarget,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    draws: int,
    conditions: ViewingConditions,
    seed: int,
    patch: torch.Tensor | None = None,
) -> np.ndarray:
    """Per image, the share of ``draws`` fresh random views (with ``patch`` pasted at a fresh
    random place each time, when given) that the model gets wrong."""
    import torch

    generator = torch.Generator(device=x.device).manual_seed(seed)
    lo, hi = target.value_range
    wrong = np.zeros(len(x))
    with torch.no_grad():
        for _ in range(draws):
            for s in target.batches(len(x)):
                images = x[s] if patch is None else paste(x[s], patch, generator)
                seen = random_view(images, conditions, generator, (lo, hi))
                wrong[s] += (target.logits(seen).argmax(1) != y[s]).cpu().numpy()
    rate: np.ndarray = wrong / draws
    return rate
