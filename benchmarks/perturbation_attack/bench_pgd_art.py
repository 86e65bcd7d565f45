"""failmodes' white-box PGD against the Adversarial Robustness Toolbox's
``ProjectedGradientDescent`` on the same model, inputs, ε, step size, steps and restarts.

A small CNN is trained on scikit-learn's 8×8 digits (pixels in [0, 1], normalisation inside the
model for both tools: ``mean``/``std`` in our target, ``preprocessing`` in ART's
``PyTorchClassifier``). Both tools attack the same test images, untargeted, L∞, at three ε,
with step ``2.5 ε / steps`` and random starts; robust accuracy (share of the images still
classified correctly after the attack) must agree within 0.02, and wall time is reported as a
ratio, measured side by side in one process.

Throughput part: the attack's images per second against the model's raw forward-plus-backward
throughput at the same batch size (a PGD step costs one forward and one backward pass, so
``raw / (steps × restarts)`` is the ceiling any implementation can reach). It runs wherever
the script runs, and on CUDA when a GPU is present (``--device cuda`` to insist).

Run it from the repository root, in a venv with ART, torch and failmodes (never in the
package's own environment)::

    python3.11 -m venv .venv-bench-pgd
    .venv-bench-pgd/bin/pip install 'torch==2.13.0'      # the CPU wheel on this machine's disk
    .venv-bench-pgd/bin/pip install -r benchmarks/perturbation_attack/requirements.txt
    .venv-bench-pgd/bin/pip install -e .
    .venv-bench-pgd/bin/python benchmarks/perturbation_attack/bench_pgd_art.py
"""

from __future__ import annotations

import argparse
import time
import warnings
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn

from failmodes.attacks.gradient import GradientAttack, pgd, still_correct
from failmodes.targets.torch_model import TorchTarget

warnings.filterwarnings("ignore", category=UserWarning)
MEAN, STD = 0.3, 0.4


class DigitsCNN(nn.Module):
    def __init__(self, width: int = 8) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(width, 2 * width, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(2 * width * 16, 64),
            nn.ReLU(),
            nn.Linear(64, 10),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


def train(X: np.ndarray, y: np.ndarray, width: int, epochs: int = 10) -> nn.Module:
    torch.manual_seed(0)
    model = DigitsCNN(width)
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    inputs = (torch.as_tensor(X) - MEAN) / STD
    labels = torch.as_tensor(y)
    for _ in range(epochs):
        for batch in torch.randperm(len(inputs)).split(64):
            optimiser.zero_grad()
            nn.functional.cross_entropy(model(inputs[batch]), labels[batch]).backward()
            optimiser.step()
    return model.eval()


@dataclass
class Row:
    epsilon: float
    ours: float
    art: float
    ours_s: float
    art_s: float


def art_pgd(model: nn.Module, device: str, batch: int):
    from art.attacks.evasion import ProjectedGradientDescent
    from art.estimators.classification import PyTorchClassifier

    classifier = PyTorchClassifier(
        model=model,
        loss=nn.CrossEntropyLoss(),
        input_shape=(1, 8, 8),
        nb_classes=10,
        clip_values=(0.0, 1.0),
        preprocessing=(MEAN, STD),
        device_type="gpu" if device == "cuda" else "cpu",
    )

    def attack(x: np.ndarray, y: np.ndarray, eps: float, steps: int, restarts: int):
        pgd_art = ProjectedGradientDescent(
            classifier,
            norm=np.inf,
            eps=eps,
            eps_step=2.5 * eps / steps,
            max_iter=steps,
            num_random_init=restarts,
            batch_size=batch,
            verbose=False,
        )
        adversarial = pgd_art.generate(x, y=y)
        return float((classifier.predict(adversarial, batch_size=batch).argmax(1) == y).mean())

    return attack


def raw_throughput(target: TorchTarget, x: torch.Tensor, y: torch.Tensor, repeats: int) -> float:
    """Images per second through one forward and one backward pass, batch by batch."""
    sync = torch.cuda.synchronize if x.is_cuda else (lambda: None)
    for s in target.batches(len(x)):  # warm-up
        target.loss_gradient(x[s], y[s])
    sync()
    start = time.perf_counter()
    for _ in range(repeats):
        for s in target.batches(len(x)):
            target.loss_gradient(x[s], y[s])
    sync()
    return repeats * len(x) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epsilons", type=float, nargs="+", default=[0.05, 0.1, 0.15])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--restarts", type=int, default=2)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--width", type=int, default=8, help="channels of the first conv")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--throughput-images", type=int, default=8192)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    digits = load_digits()
    X = (digits.images / 16.0).astype(np.float32)[:, None]
    y = digits.target
    order = np.random.default_rng(0).permutation(len(X))
    train_rows, test_rows = order[:1400], order[1400:]
    model = train(X[train_rows], y[train_rows], args.width)
    target = TorchTarget(
        model,
        input_shape=(1, 8, 8),
        mean=MEAN,
        std=STD,
        device=args.device,
        batch_size=args.batch,
    )
    X_test, y_test = X[test_rows], y[test_rows]
    x, labels = target.to_tensor(X_test), target.class_index(y_test)
    print(
        f"device {args.device}, torch {torch.__version__}, {len(X_test)} test images, "
        f"clean accuracy {still_correct(target, x, labels).mean():.3f}"
    )
    attack_art = art_pgd(model, args.device, args.batch)

    rows = []
    for eps in args.epsilons:
        setting = GradientAttack(steps=args.steps, restarts=args.restarts)
        start = time.perf_counter()
        adversarial = pgd(target, x, labels, eps, setting, seed=0)
        ours = float(still_correct(target, adversarial, labels).mean())
        ours_s = time.perf_counter() - start
        start = time.perf_counter()
        art = attack_art(X_test, y_test, eps, args.steps, args.restarts)
        rows.append(Row(eps, ours, art, ours_s, time.perf_counter() - start))

    print(
        f"\nPGD L∞, {args.steps} steps of 2.5ε/steps, {args.restarts} random starts, "
        f"batch {args.batch}"
    )
    print(
        "| ε | robust acc. failmodes | robust acc. ART | difference | failmodes s | ART s "
        "| ART time / ours |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r.epsilon:g} | {r.ours:.3f} | {r.art:.3f} | {r.ours - r.art:+.3f} | "
            f"{r.ours_s:.2f} | {r.art_s:.2f} | {r.art_s / r.ours_s:.1f}× |"
        )
    worst = max(abs(r.ours - r.art) for r in rows)
    print(f"\nlargest difference {worst:.3f} ({'within' if worst <= 0.02 else 'OUTSIDE'} 0.02)")

    # Throughput: many copies of the test images, one ε, attack vs raw forward+backward.
    n = args.throughput_images
    big_x = x.repeat((n + len(x) - 1) // len(x), 1, 1, 1)[:n]
    big_y = labels.repeat((n + len(x) - 1) // len(x))[:n]
    raw = raw_throughput(target, big_x, big_y, repeats=3)
    setting = GradientAttack(steps=args.steps, restarts=1)
    sync = torch.cuda.synchronize if big_x.is_cuda else (lambda: None)
    # Attack images the model keeps getting right (robust ones run every step): ε small.
    sync()
    start = time.perf_counter()
    pgd(target, big_x, big_y, 1e-4, setting, seed=0)
    sync()
    attack_rate = n / (time.perf_counter() - start)
    ceiling = raw / args.steps
    print(
        f"\nthroughput on {args.device} ({n} images, batch {args.batch}, {args.steps} steps, "
        "1 start, ε = 1e-4 so no image stops early):"
    )
    print(f"  raw forward+backward: {raw:,.0f} images/s → ceiling {ceiling:,.0f} attacked images/s")
    print(
        f"  failmodes PGD:        {attack_rate:,.0f} images/s ({attack_rate / ceiling:.0%} "
        "of the ceiling)"
    )


if __name__ == "__main__":
    main()
