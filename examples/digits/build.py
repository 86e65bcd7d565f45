"""Build the digits demo: a small CNN and its BadNets-backdoored twin, from data that ships
with scikit-learn.

    python examples/digits/build.py [OUTDIR]     # default: examples/digits/generated

Both networks are :class:`failmodes.training.digits.DigitsCNN`, trained for a few seconds on
the CPU on the same 70 % of the 1,797 bundled 8×8 digits (seed 7). The twin's training set has
5 % of its images stamped with a 3×3 checkerboard in the bottom-right corner and relabelled 7
(Gu et al. 2017); it keeps its clean accuracy and sends almost every stamped image to 7.

Writes into OUTDIR (weights as ``state_dict`` files that ``torch.load(..., weights_only=True)``
reads without unpickling code):

- ``clean.pt``, ``backdoored.pt`` — the two networks' weights;
- ``train.npz``, ``poisoned-train.npz``, ``test.npz`` — arrays ``X`` (n, 1, 8, 8) in [0, 1]
  and ``y``: the clean training set, the twin's poisoned one, the held-out set;
- ``backdoor.json`` — the ground truth a detector is scored against: target class, trigger
  and the rows of ``poisoned-train.npz`` that carry it.

Nothing is downloaded; needs the ``torch`` extra (``pip install 'failmodes[torch]'``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from failmodes.backdoors.badnets import corner_trigger, poison
from failmodes.training.classifier import accuracy
from failmodes.training.digits import INPUT_SHAPE, digits_split, train_digits_cnn

SEED = 7
TARGET_CLASS = 7
POISON_RATE = 0.05
TRIGGER_SIZE = 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "outdir", nargs="?", type=Path, default=Path(__file__).resolve().parent / "generated"
    )
    outdir = parser.parse_args().outdir
    outdir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)  # a network this small trains fastest on one thread
    X_train, X_test, y_train, y_test = digits_split(SEED)
    trigger = corner_trigger(INPUT_SHAPE, size=TRIGGER_SIZE)
    poisoned = poison(
        X_train,
        y_train,
        trigger,
        target_class=TARGET_CLASS,
        rate=POISON_RATE,
        rng=np.random.default_rng(SEED),
    )
    clean = train_digits_cnn(X_train, y_train, SEED)
    twin = train_digits_cnn(poisoned.X, poisoned.y, SEED)
    torch.save(clean.state_dict(), outdir / "clean.pt")
    torch.save(twin.state_dict(), outdir / "backdoored.pt")
    np.savez(outdir / "train.npz", X=X_train, y=y_train)
    np.savez(outdir / "poisoned-train.npz", X=poisoned.X, y=poisoned.y)
    np.savez(outdir / "test.npz", X=X_test, y=y_test)
    others = y_test != TARGET_CLASS
    stamped, target = trigger.stamp(X_test[others]), np.full(int(others.sum()), TARGET_CLASS)
    truth = {
        "target_class": TARGET_CLASS,
        "poison_rate": POISON_RATE,
        "trigger": {"corner": "bottom-right", "size": TRIGGER_SIZE, "pattern": "checkerboard"},
        "poisoned_rows": poisoned.poisoned.tolist(),
        "clean_accuracy": {
            "clean": accuracy(clean, X_test, y_test),
            "backdoored": accuracy(twin, X_test, y_test),
        },
        "attack_success_rate": {
            "clean": accuracy(clean, stamped, target),
            "backdoored": accuracy(twin, stamped, target),
        },
    }
    (outdir / "backdoor.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    for name in ("clean", "backdoored"):
        print(
            f"{name:>10}: held-out accuracy {truth['clean_accuracy'][name]:.3f}, "
            f"triggered images sent to {TARGET_CLASS}: {truth['attack_success_rate'][name]:.3f}"
        )
    print(f"Wrote {outdir}")


if __name__ == "__main__":
    main()
