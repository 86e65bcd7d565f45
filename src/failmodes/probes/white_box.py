"""White-box access for the probes that need the network itself: its module, differentiable
logits and input range. Only PyTorch targets offer gradients, so a probe that declared
``Need.GRADIENTS`` gets one here."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from failmodes.targets.base import Target
    from failmodes.targets.torch_model import TorchTarget


def torch_target(target: Target | None) -> TorchTarget:
    """``target`` as a :class:`~failmodes.targets.torch_model.TorchTarget` (a probe bug if it
    is not one: declare ``Need.GRADIENTS`` so the runner skips other targets)."""
    from failmodes.targets.torch_model import TorchTarget

    if not isinstance(target, TorchTarget):
        raise TypeError(f"{target!r} is not a PyTorch target; declare Need.GRADIENTS")
    return target
