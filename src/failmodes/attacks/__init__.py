"""Evasion attacks for the probes: black-box ones on tabular and plain numeric inputs, for the
``perturbation_attack`` probe, and white-box ones on PyTorch models.

An attack is split into the constraints it keeps, the goal it checks and the search it runs,
and the modules follow that split:

- :mod:`failmodes.attacks.feature_space` — the constraints: mutable features in standardized
  units, and the projection back onto valid inputs that every query goes through;
- :mod:`failmodes.attacks.oracle` — the goal: the target asked about points of that space,
  its queries counted per attacked row;
- :mod:`failmodes.attacks.square_attack` (score-based, Andriushchenko et al. 2020) and
  :mod:`failmodes.attacks.hop_skip_jump` (decision-based, Chen et al. 2020) — the searches;
- :mod:`failmodes.attacks.result` — what each search found per row, kept so that success can
  be read at any ε and query budget afterwards.

White-box attacks on PyTorch targets (``failmodes[torch]``; torch is imported by the target,
never when these modules load):

- :mod:`failmodes.attacks.gradient` — FGSM and PGD in L∞ and L2 with random restarts;
- :mod:`failmodes.attacks.apgd` — APGD-CE (Croce and Hein 2020);
- :mod:`failmodes.attacks.transforms` — random, differentiable viewing conditions for images;
- :mod:`failmodes.attacks.eot` — Expectation over Transformation and a universal patch.

Nothing here measures or decides: the probe turns results into measurements.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")
#: How a search reports its iterations: ``progress(items, total, label)`` iterates ``items``
#: (the probe passes :meth:`~failmodes.probes.base.ProbeContext.progress`, which may draw a
#: progress bar).
Progress = Callable[[Iterable[T], int | None, str], Iterable[T]]
