"""The differentiable viewing conditions and the physical-world attacks on a real CNN."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from failmodes.attacks.eot import fooling_rate, paste, patch_side  # noqa: E402
from failmodes.attacks.transforms import ViewingConditions, random_view  # noqa: E402
from tests.torch_support.digits import digits  # noqa: E402

NONE = ViewingConditions(
    rotation_deg=0.0,
    scale=(1.0, 1.0),
    translation=0.0,
    perspective=0.0,
    brightness=(1.0, 1.0),
    blur_sigma=(0.0, 0.0),
)


def images():
    _, _, X, _ = digits()
    return torch.as_tensor(X[:16])


def test_no_change_is_the_identity_and_brightness_scales():
    x = images()
    generator = torch.Generator().manual_seed(0)
    torch.testing.assert_close(random_view(x, NONE, generator, (0.0, 1.0)), x, atol=1e-5, rtol=0)
    doubled = ViewingConditions(**{**NONE.__dict__, "brightness": (2.0, 2.0)})
    torch.testing.assert_close(
        random_view(x, doubled, generator, (0.0, 1.0)), (2 * x).clamp(0, 1), atol=1e-5, rtol=0
    )


def test_views_change_images_differently_keep_the_range_and_pass_gradients():
    x = images().requires_grad_(True)
    generator = torch.Generator().manual_seed(0)
    seen = random_view(x, ViewingConditions(), generator, (0.0, 1.0))
    assert float(seen.detach().min()) >= 0 and float(seen.detach().max()) <= 1
    change = (seen - x).detach().abs().flatten(1).mean(1)
    assert bool((change > 0.005).all())  # every image is moved ...
    assert change.std() > 0  # ... each its own way
    (gradient,) = torch.autograd.grad(seen.sum(), x)
    assert float(gradient.abs().sum()) > 0
    # A pure rotation by half a turn: the image upside down (the 8×8 grid maps onto itself).
    half_turn = ViewingConditions(**{**NONE.__dict__, "rotation_deg": 180.0})
    generator = torch.Generator().manual_seed(0)
    flips = 0
    for _ in range(200):
        out = random_view(x[:1].detach(), half_turn, generator, (0.0, 1.0))
        flips += bool(torch.allclose(out, x[:1].detach().flip(-1, -2), atol=0.2))
    assert flips >= 1  # near-180° draws give the flipped image


def test_paste_puts_the_patch_in_each_image_once():
    x = torch.zeros(5, 1, 8, 8)
    patch = torch.ones(1, 3, 3)
    out = paste(x, patch, torch.Generator().manual_seed(0))
    assert out.sum(dim=(1, 2, 3)).tolist() == [9.0] * 5
    assert patch_side((1, 8, 8), 0.1) == 3 and patch_side((3, 32, 32), 0.05) == 7


def test_fooling_rate_of_clean_images_under_no_change_is_the_error_rate():
    from failmodes.targets.torch_model import TorchTarget
    from tests.torch_support.digits import MEAN, STD, trained_digits_cnn

    _, _, X, y = digits()
    target = TorchTarget(trained_digits_cnn(), input_shape=(1, 8, 8), mean=MEAN, std=STD)
    x, labels = target.to_tensor(X[:100]), target.class_index(y[:100])
    rate = fooling_rate(target, x, labels, draws=2, conditions=NONE, seed=0)
    assert rate.mean() == pytest.approx((target.predict(X[:100]) != y[:100]).mean())
