"""Physical-world adversarial examples: perturbations and patches that survive being seen.

An adversarial example printed and photographed is rotated, rescaled, shifted, seen at a slant,
lit differently and slightly out of focus. Perturbations crafted for one exact input often stop
working under those changes; ones optimised *through* them do not. The probe measures both, on a
PyTorch image classifier, under random viewing conditions simulated with differentiable
transforms (:mod:`failmodes.attacks.transforms`):

- **EOT** — Expectation over Transformation (Athalye, Engstrom, Ilyas and Kwok, ICML 2018):
  PGD in the L∞ ball of radius ε on the loss averaged over random views;
- **plain PGD** at the same ε (Madry et al., ICLR 2018), the attack that does not plan for
  the camera, as the comparison;
- **a universal adversarial patch** (Brown, Mané, Roy, Abadi and Gilmer, 2017): one square
  sticker, covering ``patch_area`` of the image, optimised on half of the sampled images at
  random places and views, and tested on the other half at fresh places and views, against a
  random patch of the same size.

Success is always read under *fresh* random views (``draws`` per image), never those the
attack was optimised on. Metrics: ``eot_robust_accuracy`` (share of fresh views of the EOT
examples still classified correctly), ``eot_survival_rate`` and ``plain_attack_survival_rate``
(among images each attack fooled as crafted, the share of fresh views that still fool the
model), and ``patch_attack_success_rate`` (share of fresh views of held-out, correctly
classified images that the patch makes the model get wrong).

Options: ``epsilon`` (L∞, raw units; default a fifth of the value range), ``samples`` (100),
``steps`` (20), ``eot_samples`` (8 views per step), ``draws`` (10 fresh views per image),
``patch_area`` (0.1), ``patch_steps`` (200).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from failmodes.attacks.eot import eot_pgd, fooling_rate, patch_side, universal_patch
from failmodes.attacks.gradient import GradientAttack, pgd, still_correct
from failmodes.attacks.transforms import ViewingConditions
from failmodes.errors import DataError
from failmodes.findings import Plot, Series
from failmodes.probes.base import Measurement, Need, Probe, ProbeContext, ProbeSpec
from failmodes.probes.options import number_in, positive_integers
from failmodes.targets.torch_model import as_torch_target

MODE = "physical_adversarial_example"
DEFAULTS: dict[str, int] = {
    "samples": 100,
    "steps": 20,
    "eot_samples": 8,
    "draws": 10,
    "patch_steps": 200,
}


class PhysicalAdversarialExampleProbe(Probe):
    """EOT perturbations (Athalye et al. 2018) and a universal adversarial patch (Brown et al.
    2017) under random rotation, scale, translation, perspective, brightness and blur,
    compared with plain PGD."""

    spec = ProbeSpec(
        id="physical_adversarial_example",
        name="Physical-world attacks (EOT, adversarial patch)",
        summary=(
            "Crafts perturbations through random viewing conditions (Expectation over "
            "Transformation) and a universal patch, and measures how often they still fool "
            "the model under fresh random views, against plain PGD."
        ),
        failure_modes=(MODE,),
        needs=frozenset({Need.GRADIENTS, Need.TEST_DATA}),
        extras=("torch",),
        tags=frozenset({"white_box", "integrity", "evasion", "image", "physical"}),
        references=(
            "Athalye, Engstrom, Ilyas, Kwok. Synthesizing Robust Adversarial Examples. ICML 2018",
            "Brown, Mané, Roy, Abadi, Gilmer. Adversarial Patch. arXiv:1712.09665, 2017",
            "Madry, Makelov, Schmidt, Tsipras, Vladu. Towards Deep Learning Models Resistant "
            "to Adversarial Attacks. ICLR 2018",
        ),
    )

    def run(self, ctx: ProbeContext) -> Iterator[Measurement]:
        import torch

        target = as_torch_target(ctx.target, self.spec.id)
        if len(target.input_shape) != 3:
            raise DataError(
                f"physical_adversarial_example attacks images (C × H × W); the model takes "
                f"inputs of shape {target.input_shape}."
            )
        lo, hi = target.value_range
        test = ctx.dataset("test")
        if test.y is None:
            raise DataError("physical_adversarial_example needs labelled test data.")
        probe = self.spec.id
        counts = positive_integers(ctx.options, DEFAULTS, probe)
        epsilon = number_in(ctx.options, "epsilon", 0.2 * (hi - lo), probe, upper=hi - lo)
        area = number_in(ctx.options, "patch_area", 0.1, probe, upper=1.0)
        conditions = ViewingConditions()
        picked = np.sort(
            ctx.rng.choice(len(test), size=min(counts["samples"], len(test)), replace=False)
        )
        x = target.to_tensor(np.asarray(test.X)[picked])
        y = target.class_index(np.asarray(test.y)[picked])
        correct = still_correct(target, x, y)

        def fresh_views(images: Any, labels: Any, patch: Any = None) -> np.ndarray:
            """Fooling rate per image under fresh views (the same draws for every attack)."""
            return fooling_rate(
                target,
                images,
                labels,
                draws=counts["draws"],
                conditions=conditions,
                seed=ctx.seed + 1,
                patch=patch,
            )

        plain = pgd(target, x, y, epsilon, GradientAttack(steps=counts["steps"]), seed=ctx.seed)
        eot = eot_pgd(
            target,
            x,
            y,
            epsilon,
            steps=counts["steps"],
            samples=counts["eot_samples"],
            conditions=conditions,
            seed=ctx.seed,
        )
        clean_views = fresh_views(x, y)
        survival = {}
        fooled_as_crafted = {}
        for name, adversarial in (("EOT", eot), ("plain PGD", plain)):
            crafted = correct & ~still_correct(target, adversarial, y)
            rate = fresh_views(adversarial, y)
            fooled_as_crafted[name] = crafted
            survival[name] = (rate, float(rate[crafted].mean()) if crafted.any() else None)
        eot_rate = survival["EOT"][0]

        half = len(picked) // 2
        side = patch_side(target.input_shape, area)
        patch = universal_patch(
            target,
            x[:half],
            y[:half],
            side=side,
            steps=counts["patch_steps"],
            conditions=conditions,
            seed=ctx.seed,
        )
        held_out = np.flatnonzero(correct[half:]) + half
        x_held, y_held = x[held_out], y[held_out]
        patched = fresh_views(x_held, y_held, patch)
        generator = torch.Generator(device=patch.device).manual_seed(ctx.seed)
        noise = lo + (hi - lo) * torch.rand(patch.shape, generator=generator, device=patch.device)
        random_patch = fresh_views(x_held, y_held, noise)

        evidence: dict[str, Any] = {
            "epsilon": epsilon,
            "samples": len(picked),
            "clean_accuracy": float(correct.mean()),
            "clean_accuracy_under_views": float(1 - clean_views.mean()),
            "viewing_conditions": conditions.describe(),
            "fresh_views_per_image": counts["draws"],
            "fooled_as_crafted": {k: float(v.mean()) for k, v in fooled_as_crafted.items()},
            "fooled_under_fresh_views": {k: float(v[0].mean()) for k, v in survival.items()},
        }
        yield Measurement(
            MODE,
            "eot_robust_accuracy",
            float(1 - eot_rate.mean()),
            message=f"Under fresh random views, {1 - eot_rate.mean():.0%} of EOT adversarial "
            f"examples (ε = {epsilon:g}, L∞) are still classified correctly; without any attack, "
            f"{1 - clean_views.mean():.0%} of views are.",
            evidence=evidence,
        )
        for metric, name in (
            ("eot_survival_rate", "EOT"),
            ("plain_attack_survival_rate", "plain PGD"),
        ):
            value = survival[name][1]
            yield Measurement(
                MODE,
                metric,
                value,
                message=(
                    f"{name} fooled no image as crafted."
                    if value is None
                    else f"Of the images {name} fooled as crafted, {value:.0%} of fresh random "
                    "views still fool the model."
                ),
            )
        success = float(patched.mean()) if len(held_out) else None
        share = side * side / float(np.prod(target.input_shape[1:]))
        yield Measurement(
            MODE,
            "patch_attack_success_rate",
            success,
            message=(
                "No held-out image was classified correctly, so the patch was not tested."
                if success is None
                else f"A universal {side}×{side} patch ({share:.0%} of the image) at a random "
                "place makes the "
                f"model wrong on {success:.0%} of fresh views of {len(held_out)} held-out "
                f"images; a random patch of the same size, {random_patch.mean():.0%}."
            ),
            evidence={
                "patch_side": side,
                "random_patch_success_rate": float(random_patch.mean()) if len(held_out) else None,
                "plots": [_patch_plot(patch, lo, hi), _survival_plot(survival, clean_views)],
            },
        )


def _patch_plot(patch: Any, lo: float, hi: float) -> dict[str, Any]:
    image = ((patch.cpu().numpy() - lo) / (hi - lo)).transpose(1, 2, 0)
    if image.shape[2] == 1:
        image = image[:, :, 0]
    return Plot(
        kind="images",
        title="The universal adversarial patch",
        images=[np.round(image, 3).tolist()],
        captions=["optimised patch"],
        alt="The patch the probe optimised, as an image.",
    ).model_dump()


def _survival_plot(
    survival: dict[str, tuple[np.ndarray, float | None]], clean: np.ndarray
) -> dict[str, Any]:
    names = list(survival)
    return Plot(
        kind="bar",
        title="Share of fresh random views that fool the model",
        ylabel="fooled",
        categories=[*names, "no attack"],
        series=[
            Series(
                label="fresh views",
                y=[float(survival[n][0].mean()) for n in names] + [float(clean.mean())],
            )
        ],
        alt="How often each attack still fools the model when the image is seen anew.",
    ).model_dump()
