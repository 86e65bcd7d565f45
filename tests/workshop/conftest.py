"""The register fixtures of the store's tests (SQLite, and PostgreSQL when one is given), and
a real assessment with findings: a deliberately overfit forest on scikit-learn's bundled
breast-cancer data, scanned by the membership-inference probe."""

from __future__ import annotations

import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

from failmodes.assessment import Assessment
from failmodes.assessment.scan import scan
from failmodes.profile.loader import profile_from_text
from failmodes.targets.datasets import DataBundle, Dataset
from failmodes.targets.sklearn import SklearnTarget
from tests.conftest import EXAMPLES
from tests.store.conftest import FRAUD, fraud, location, register  # noqa: F401

DIAGNOSIS = (EXAMPLES / "diagnosis" / "profile.yaml").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def leaky_assessment() -> Assessment:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y.to_numpy(), test_size=0.5, random_state=0, stratify=y
    )
    data = DataBundle(train=Dataset("train", X_tr, y_tr), test=Dataset("test", X_te, y_te))
    forest = RandomForestClassifier(n_estimators=30, bootstrap=False, random_state=0)
    forest.fit(data.train.X, data.train.y)
    profile = profile_from_text(DIAGNOSIS, source="diagnosis/profile.yaml")
    return scan(profile, SklearnTarget(forest), data, probes=["membership_inference"], seed=3)


@pytest.fixture
def diagnosis(register, leaky_assessment) -> tuple[str, str]:  # noqa: F811
    """The diagnosis example and its leaky assessment in the register: (system, assessment)."""
    sid = register.add_profile(DIAGNOSIS, actor="ana", source="diagnosis.yaml").system_id
    return sid, register.add_assessment(leaky_assessment, actor="ana").id
