"""Build the diagnosis demo: a deliberately leaky model and its data, from data that ships
with scikit-learn.

    python examples/diagnosis/build.py [OUTDIR]     # default: examples/diagnosis/generated

Writes ``model.skops`` and ``train.csv``, ``test.csv``, ``reference.csv``, ``production.csv``
into OUTDIR, which ``profile.yaml`` beside this script points at. Nothing is downloaded.

The data are the ten mean measurements of the Wisconsin diagnostic breast-cancer data set
bundled with scikit-learn, with one synthetic column added: ``smoker`` (half the patients).
The label ``malignant`` is the real diagnosis, except that half of the benign smokers, drawn
at random, are marked malignant, so that the label depends on the sensitive column record by
record (the model-inversion probe then has something to recover).
This is a demonstration, not medicine. The model is an unpruned random forest trained without
bootstrap, which memorises its training records (membership inference finds it). The
production sample has two measurements drifted, as after a scanner recalibration
(``mean_radius`` reads 25 % larger, ``mean_texture`` 4 units higher), so that the drift probe
finds those two.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import skops.io
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier

SEED = 7
LABEL = "malignant"
DRIFTED = {"mean_radius": ("scale", 1.25), "mean_texture": ("shift", 4.0)}
# Shares of the 569 records: the rest is production.
SPLITS = {"train": 0.5, "test": 0.2, "reference": 0.15}


def build_frame(rng: np.random.Generator) -> pd.DataFrame:
    data = load_breast_cancer(as_frame=True)
    means = [c for c in data.data.columns if c.startswith("mean ")]
    frame = data.data[means].rename(columns=lambda c: c.replace(" ", "_"))
    smoker = (rng.random(len(frame)) < 0.5).astype(int)
    malignant = (data.target.to_numpy() == 0).astype(int)  # scikit-learn: 0 = malignant
    marked = (smoker == 1) & (malignant == 0) & (rng.random(len(frame)) < 0.5)
    frame["smoker"] = smoker
    frame[LABEL] = np.where(marked, 1, malignant)
    return frame


def split(frame: pd.DataFrame, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    order = rng.permutation(len(frame))
    sets, start = {}, 0
    for name, share in SPLITS.items():
        stop = start + round(share * len(frame))
        sets[name] = frame.iloc[order[start:stop]].reset_index(drop=True)
        start = stop
    production = frame.iloc[order[start:]].reset_index(drop=True)
    for column, (how, amount) in DRIFTED.items():
        production[column] = (
            production[column] * amount if how == "scale" else production[column] + amount
        )
    sets["production"] = production
    return sets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "outdir", nargs="?", type=Path, default=Path(__file__).resolve().parent / "generated"
    )
    outdir = parser.parse_args().outdir
    outdir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    sets = split(build_frame(rng), rng)
    for name, frame in sets.items():
        frame.to_csv(outdir / f"{name}.csv", index=False)
    train = sets["train"]
    model = RandomForestClassifier(n_estimators=100, bootstrap=False, random_state=SEED)
    model.fit(train.drop(columns=LABEL), train[LABEL])
    skops.io.dump(model, outdir / "model.skops")
    test = sets["test"]
    accuracy = model.score(test.drop(columns=LABEL), test[LABEL])
    print(
        f"Wrote {outdir}: model.skops (test accuracy {accuracy:.3f}) and "
        + ", ".join(f"{name}.csv ({len(frame)} rows)" for name, frame in sets.items())
    )


if __name__ == "__main__":
    main()
