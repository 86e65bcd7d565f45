"""White-box evasion: robust accuracy under gradient attacks, and whether that number can be
believed.

With the model's gradients (a :class:`~failmodes.targets.torch_model.TorchTarget`) the
strongest known attacks apply, in the raw input space of the target (pixels in its value
range; its normalisation sits inside the model):

- FGSM (Goodfellow, Shlens and Szegedy, ICLR 2015), one signed gradient step;
- PGD in L∞ and L2 with random restarts (Madry et al., ICLR 2018);
- APGD-CE (Croce and Hein, ICML 2020), PGD without a step size to tune.

A row is *robust* at ε when it is classified correctly and no attack — white-box, or the
black-box Square Attack used as a check — flips it within ε. Robust accuracy is measured over a
grid of ε and drawn as a curve, in L∞ and in L2.

A robustness number is only as good as the evaluation behind it, and the commonest way to get
it wrong is *gradient masking*: a model (often a "defence") whose gradients are useless, so
gradient attacks fail although adversarial examples abound. Carlini, Athalye, Papernot,
Brendel, Rauber, Tsipras, Goodfellow, Madry and Kurakin ("On Evaluating Adversarial
Robustness", 2019, §5 and the checklist) list sanity checks any evaluation must pass; each is a
metric here, and each violation is a finding of its own:

``robust_accuracy_increase_with_epsilon``
    the largest rise of any attack's robust accuracy from one ε of the grid to the next (a
    larger ball contains the smaller, so accuracy must not rise);
``robust_accuracy_at_large_epsilon``
    robust accuracy at ε = the whole value range, where every input can be turned into every
    other: it must be about zero;
``robust_accuracy_gain_from_more_steps``
    how much higher PGD's robust accuracy is with four times the steps (more iterations must
    not help less);
``black_box_advantage``
    the share of rows the black-box Square Attack (Andriushchenko et al., ECCV 2020) flips
    within ε that every white-box attack left standing: a black-box attack should never beat
    one that sees the gradients.

Options (``ctx.options``): ``epsilon`` (L∞ radius in raw input units; default a tenth of the
value range), ``epsilon_l2`` (default ``epsilon · √d / 2``), ``samples`` (200), ``steps`` (20),
``restarts`` (2), ``apgd_steps`` (50), ``queries_per_sample`` for the black-box check (1000).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from failmodes.attacks.apgd import apgd_ce
from failmodes.attacks.feature_space import FeatureSpace
from failmodes.attacks.gradient import GradientAttack, Norm, fgsm, pgd, still_correct
from failmodes.attacks.oracle import Oracle
from failmodes.attacks.square_attack import square_attack
from failmodes.errors import DataError
from failmodes.findings import Plot, Series
from failmodes.probes.base import Measurement, Need, Probe, ProbeContext, ProbeSpec
from failmodes.probes.options import number_in, positive_integers
from failmodes.targets.torch_model import as_torch_target

if TYPE_CHECKING:
    import torch

    from failmodes.targets.torch_model import TorchTarget

MODE = "perturbation_attack"
#: Multiples of ε in the robust-accuracy curve.
GRID = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
DEFAULTS: dict[str, int] = {
    "samples": 200,
    "steps": 20,
    "restarts": 2,
    "apgd_steps": 50,
    "queries_per_sample": 1000,
}


class WhiteBoxAttackProbe(Probe):
    """FGSM, PGD (L∞, L2) and APGD-CE with robust accuracy against ε and the sanity checks of
    Carlini et al. (2019) for gradient masking."""

    spec = ProbeSpec(
        id="white_box_attack",
        name="White-box evasion (FGSM, PGD, APGD-CE) with gradient-masking checks",
        summary=(
            "Attacks test inputs with the model's gradients (FGSM, PGD in L∞ and L2 with "
            "restarts, APGD-CE); reports robust accuracy against ε and flags evaluations that "
            "gradient masking makes untrustworthy."
        ),
        failure_modes=(MODE,),
        needs=frozenset({Need.GRADIENTS, Need.TEST_DATA}),
        extras=("torch",),
        tags=frozenset({"white_box", "integrity", "evasion", "image"}),
        references=(
            "Goodfellow, Shlens, Szegedy. Explaining and Harnessing Adversarial Examples. "
            "ICLR 2015",
            "Madry, Makelov, Schmidt, Tsipras, Vladu. Towards Deep Learning Models Resistant "
            "to Adversarial Attacks. ICLR 2018",
            "Croce, Hein. Reliable Evaluation of Adversarial Robustness with an Ensemble of "
            "Diverse Parameter-free Attacks. ICML 2020",
            "Carlini, Athalye, Papernot, Brendel, Rauber, Tsipras, Goodfellow, Madry, Kurakin. "
            "On Evaluating Adversarial Robustness. arXiv:1902.06705, 2019",
            "Andriushchenko, Croce, Flammarion, Hein. Square Attack. ECCV 2020",
        ),
    )

    def run(self, ctx: ProbeContext) -> Iterator[Measurement]:
        target = as_torch_target(ctx.target, self.spec.id)
        lo, hi = target.value_range
        test = ctx.dataset("test")
        if test.y is None:
            raise DataError("white_box_attack needs labelled test data (target.label_column).")
        counts = positive_integers(ctx.options, DEFAULTS, self.spec.id)
        dim = math.prod(target.input_shape)
        epsilon = number_in(ctx.options, "epsilon", 0.1 * (hi - lo), self.spec.id)
        epsilon_l2 = number_in(
            ctx.options, "epsilon_l2", epsilon * math.sqrt(dim) / 2, self.spec.id
        )
        picked = np.sort(
            ctx.rng.choice(len(test), size=min(counts["samples"], len(test)), replace=False)
        )
        x = target.to_tensor(np.asarray(test.X)[picked])
        y = target.class_index(np.asarray(test.y)[picked])
        correct = still_correct(target, x, y)
        attacks = _Attacks(target, x, y, correct=correct, counts=counts, seed=ctx.seed)

        grid = sorted({*(f * epsilon for f in GRID), hi - lo})
        curves: dict[str, list[float]] = {name: [] for name in ("FGSM", "PGD", "APGD-CE")}
        worst: list[float] = []
        for eps in ctx.progress(grid, len(grid), "ε grid (L∞)"):
            survived = attacks.linf(eps)
            for name, alive in survived.items():
                curves[name].append(float(alive.mean()))
            worst.append(float(np.logical_and.reduce(list(survived.values())).mean()))
        l2_grid = [f * epsilon_l2 for f in GRID]
        l2_curve = [float(attacks.l2(e).mean()) for e in ctx.progress(l2_grid, None, "ε (L2)")]
        found = _Curves(epsilon, grid, curves, worst, l2_grid, l2_curve)
        white = np.logical_and.reduce(list(attacks.linf(epsilon).values()))
        black = attacks.square(epsilon, ctx.rng, ctx.progress)
        robust = white & black
        longer = attacks.pgd_survivors(epsilon, 4 * counts["steps"])
        clean = float(correct.mean())
        n_correct = int(correct.sum())
        evidence = {
            "epsilon": epsilon,
            "epsilon_l2": epsilon_l2,
            "value_range": [lo, hi],
            "samples": len(picked),
            "clean_accuracy": clean,
            "robust_accuracy_white_box": float(white.mean()),
            "robust_accuracy_black_box": float(black.mean()),
            "attacks": {
                "steps": counts["steps"],
                "restarts": counts["restarts"],
                "apgd_steps": counts["apgd_steps"],
                "queries_per_sample": counts["queries_per_sample"],
            },
            "curve_linf": {"epsilon": grid, **curves, "all white-box": worst},
            "curve_l2": {"epsilon": l2_grid, "PGD-L2": l2_curve},
            "plots": _plots(found),
        }
        yield Measurement(
            MODE,
            "robust_accuracy",
            float(robust.mean()),
            message=(
                f"Accuracy falls from {clean:.0%} to {robust.mean():.0%} on {len(picked)} test "
                f"inputs under white-box attacks (FGSM, PGD, APGD-CE) and a black-box check "
                f"within ε = {epsilon:g} (L∞)."
            ),
            evidence=evidence,
        )
        yield Measurement(
            MODE,
            "attack_success_rate",
            float((correct & ~robust).sum() / n_correct) if n_correct else None,
            message=f"{int((correct & ~robust).sum())} of {n_correct} correctly classified "
            f"inputs were flipped within ε = {epsilon:g}.",
        )
        yield Measurement(
            MODE,
            "robust_accuracy_l2",
            l2_curve[GRID.index(1.0)],
            message=f"PGD-L2 leaves {l2_curve[GRID.index(1.0)]:.0%} accurate within "
            f"ε = {epsilon_l2:.3g} (L2).",
        )
        yield from _sanity(found, white=white, black=black, longer=longer)


@dataclass(frozen=True)
class _Curves:
    """Robust accuracy against ε: per L∞ attack, for all white-box attacks together, and for
    PGD in L2."""

    epsilon: float
    grid: list[float]
    linf: dict[str, list[float]]
    worst: list[float]
    l2_grid: list[float]
    l2: list[float]

    @property
    def at(self) -> int:
        """Position of the headline ε in the grid."""
        return next(i for i, e in enumerate(self.grid) if math.isclose(e, self.epsilon))


class _Attacks:
    """The attacks on one set of inputs; each returns, per row, whether it is still right."""

    def __init__(
        self,
        target: TorchTarget,
        x: torch.Tensor,
        y: torch.Tensor,
        *,
        correct: np.ndarray,
        counts: dict[str, int],
        seed: int,
    ) -> None:
        self.target, self.x, self.y, self.correct = target, x, y, correct
        self.counts, self.seed = counts, seed
        self._linf: dict[float, dict[str, np.ndarray]] = {}

    def _alive(self, adversarial: torch.Tensor) -> np.ndarray:
        return np.asarray(self.correct & still_correct(self.target, adversarial, self.y))

    def linf(self, eps: float) -> dict[str, np.ndarray]:
        if eps not in self._linf:
            t, x, y = self.target, self.x, self.y
            self._linf[eps] = (
                {name: self.correct for name in ("FGSM", "PGD", "APGD-CE")}
                if eps == 0
                else {
                    "FGSM": self._alive(fgsm(t, x, y, eps)),
                    "PGD": self.pgd_survivors(eps, self.counts["steps"]),
                    "APGD-CE": self._alive(
                        apgd_ce(t, x, y, eps, steps=self.counts["apgd_steps"], seed=self.seed)
                    ),
                }
            )
        return self._linf[eps]

    def pgd_survivors(self, eps: float, steps: int, norm: Norm = "linf") -> np.ndarray:
        attack = GradientAttack(norm=norm, steps=steps, restarts=self.counts["restarts"])
        return self._alive(pgd(self.target, self.x, self.y, eps, attack, seed=self.seed))

    def l2(self, eps: float) -> np.ndarray:
        return self.correct if eps == 0 else self.pgd_survivors(eps, self.counts["steps"], "l2")

    def square(self, eps: float, rng: np.random.Generator, progress: Any) -> np.ndarray:
        """Survivors of the black-box Square Attack within ``eps`` (L∞), on the correct rows."""
        rows = np.flatnonzero(self.correct)
        alive = self.correct.copy()
        if len(rows) == 0:
            return alive
        lo, hi = self.target.value_range
        images = self.x[rows].cpu().numpy()
        d = images[0].size
        space = FeatureSpace(
            template=images,
            columns=np.arange(d),
            scale=np.ones(d),
            lower=np.full(d, lo),
            upper=np.full(d, hi),
            integer=np.zeros(d, dtype=bool),
            box=(np.full(d, lo), np.full(d, hi)),
            names=[str(j) for j in range(d)],
        )
        labels = np.asarray(self.target.classes)[self.y[rows].cpu().numpy()]
        oracle = Oracle(self.target, space, labels)
        result = square_attack(
            oracle,
            images.reshape(len(rows), d).astype(float),
            epsilon=eps,
            budget=self.counts["queries_per_sample"],
            rng=rng,
            progress=progress,
        )
        alive[rows] = ~result.success_within(eps)
        return alive


def _sanity(
    found: _Curves, *, white: np.ndarray, black: np.ndarray, longer: np.ndarray
) -> Iterator[Measurement]:
    """The checks of Carlini et al. (2019), one measurement each; ``white`` and ``black`` are
    the survivors of the white-box attacks and of the black-box one at ε, ``longer`` of PGD
    with four times the steps."""
    curves, worst, grid, at = found.linf, found.worst, found.grid, found.at
    rises = {
        name: max((b - a for a, b in itertools.pairwise(curve)), default=0.0)
        for name, curve in curves.items()
    }
    name, rise = max(rises.items(), key=lambda kv: kv[1])
    yield Measurement(
        MODE,
        "robust_accuracy_increase_with_epsilon",
        max(0.0, rise),
        message=(
            "Robust accuracy falls (or holds) as ε grows for every attack."
            if rise <= 0
            else f"{name}'s robust accuracy rises by {rise:.1%} from one ε to a larger one: "
            "a larger ball contains the smaller, so the attack is failing to optimise."
        ),
        evidence={"largest_rise_per_attack": rises},
    )
    yield Measurement(
        MODE,
        "robust_accuracy_at_large_epsilon",
        worst[-1],
        message=f"At ε = {grid[-1]:g}, the whole value range, where any input can be turned "
        f"into any other, {worst[-1]:.0%} stay accurate"
        + (" (as expected, about none)." if worst[-1] <= 0.05 else ": the attacks are blind."),
    )
    gain = float(longer.mean() - curves["PGD"][at])
    yield Measurement(
        MODE,
        "robust_accuracy_gain_from_more_steps",
        max(0.0, gain),
        message=f"PGD with four times the steps leaves {longer.mean():.0%} accurate against "
        f"{curves['PGD'][at]:.0%}"
        + ("." if gain <= 0 else ": more iterations helped less, a sign of masked gradients."),
    )
    advantage = float((white & ~black).mean())
    yield Measurement(
        MODE,
        "black_box_advantage",
        advantage,
        message=(
            f"The black-box Square Attack flips {advantage:.0%} of inputs that every "
            "white-box attack left standing"
            + (
                "."
                if advantage <= 0.02
                else ": gradients mislead the white-box attacks (gradient masking), so the "
                "white-box robust accuracy overstates robustness."
            )
        ),
    )


def _plots(found: _Curves) -> list[dict[str, Any]]:
    linf = [Series(label=name, x=found.grid, y=ys) for name, ys in found.linf.items()]
    linf.append(Series(label="all white-box", x=found.grid, y=found.worst))
    return [
        Plot(
            kind="line",
            title="Robust accuracy against ε (L∞, white-box)",
            xlabel="ε (L∞, raw input units)",
            ylabel="robust accuracy",
            series=linf,
            alt=f"Accuracy left under each attack as ε grows; the headline ε is {found.epsilon:g}.",
        ).model_dump(),
        Plot(
            kind="line",
            title="Robust accuracy against ε (L2, PGD)",
            xlabel="ε (L2, raw input units)",
            ylabel="robust accuracy",
            series=[Series(label="PGD-L2", x=found.l2_grid, y=found.l2)],
            alt="Accuracy left under PGD in L2 as ε grows.",
        ).model_dump(),
    ]
