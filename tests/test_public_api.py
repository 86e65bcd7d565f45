"""The public API: everything in ``failmodes.__all__`` exists, and nothing private leaks."""

from __future__ import annotations

import failmodes


def test_all_names_exist():
    for name in failmodes.__all__:
        assert hasattr(failmodes, name), name


def test_public_names_are_exported():
    public = {
        n
        for n in dir(failmodes)
        if not n.startswith("_") and not isinstance(getattr(failmodes, n), type(failmodes))
    }
    assert public <= set(failmodes.__all__) | {"annotations"}


def test_heavy_names_load_on_first_use():
    for name in ("scan", "load_target", "render_html", "scan_paths", "audit", "diff_assessments"):
        assert callable(getattr(failmodes, name)), name


def test_errors_are_also_builtin_errors():
    assert issubclass(failmodes.ProfileError, ValueError)
    assert issubclass(failmodes.UnknownIdError, KeyError)
    assert issubclass(failmodes.MissingFileError, FileNotFoundError)
