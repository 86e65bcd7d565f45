"""Reading declared dependencies: what counts as pinned, and what cannot be audited."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest

from failmodes.dependencies import installed_packages, read_dependencies
from failmodes.errors import InputError


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_requirements_files_with_pins_ranges_includes_and_options(tmp_path: Path) -> None:
    _write(tmp_path / "base.txt", "numpy==1.26.4\n")
    req = _write(
        tmp_path / "requirements.txt",
        "-r base.txt\n"
        "--index-url https://example.invalid/simple\n"
        "torch==1.13.0 --hash=sha256:abc \\\n    --hash=sha256:def\n"
        "Pillow===9.0.0  # exact\n"
        "requests>=2\n"
        "scipy\n"
        "-e ./local-package\n"
        "mylib @ https://example.invalid/mylib.whl\n"
        "./vendored/thing\n"
        "jinja2==3.*\n",
    )
    found = {p.name: p for p in read_dependencies(req)}
    assert found["numpy"].version == "1.26.4"
    assert found["numpy"].source.endswith("base.txt:1")
    assert found["torch"].version == "1.13.0"
    assert found["Pillow"].version == "9.0.0"
    assert found["requests"].problem is not None and ">=2" in found["requests"].problem
    assert found["scipy"].problem is not None and "any version" in found["scipy"].problem
    assert "editable" in (found["./local-package"].problem or "")
    assert "not from a package index" in (found["mylib"].problem or "")
    assert found["./vendored/thing"].problem is not None
    assert found["jinja2"].version is None  # a wildcard is not a pin


def test_pyproject_declares_ranges_from_pep_621_and_poetry(tmp_path: Path) -> None:
    pyproject = _write(
        tmp_path / "pyproject.toml",
        '[project]\nname = "x"\ndependencies = ["numpy==2.0.0", "pandas>=2"]\n'
        '[project.optional-dependencies]\ntorch = ["torch==2.1.0"]\n'
        '[tool.poetry.dependencies]\npython = "^3.11"\nrequests = "2.31.0"\nflask = "^3.0"\n'
        'lib = { git = "https://example.invalid/lib.git" }\n',
    )
    found = {p.name: p for p in read_dependencies(pyproject)}
    assert "python" not in found
    assert found["numpy"].version == "2.0.0"
    assert found["torch"].version == "2.1.0"
    assert found["pandas"].version is None
    assert found["requests"].version == "2.31.0"  # Poetry's bare version is exact
    assert found["flask"].version is None
    assert found["lib"].problem is not None


def test_lock_files_pin_every_package(tmp_path: Path) -> None:
    poetry = _write(
        tmp_path / "poetry.lock",
        '[[package]]\nname = "torch"\nversion = "1.13.0"\n\n'
        '[[package]]\nname = "mine"\nversion = "0.1"\n[package.source]\ntype = "directory"\n'
        'url = "../mine"\n',
    )
    uv = _write(
        tmp_path / "uv.lock",
        'version = 1\n[[package]]\nname = "app"\nversion = "0.1.0"\nsource = { editable = "." }\n'
        '[[package]]\nname = "pillow"\nversion = "9.0.0"\n'
        'source = { registry = "https://pypi.org/simple" }\n'
        '[[package]]\nname = "dep"\nversion = "1.0"\nsource = { git = "https://example.invalid" }\n',
    )
    pylock = _write(
        tmp_path / "pylock.toml",
        'lock-version = "1.0"\n[[packages]]\nname = "mlflow"\nversion = "2.2.0"\n'
        '[[packages]]\nname = "local"\n[packages.directory]\npath = "./local"\n',
    )
    assert [(p.name, p.version) for p in read_dependencies(poetry)] == [
        ("torch", "1.13.0"),
        ("mine", None),
    ]
    uv_found = [(p.name, p.version) for p in read_dependencies(uv)]
    assert uv_found == [("pillow", "9.0.0"), ("dep", None)]  # the project itself is skipped
    assert [(p.name, p.version) for p in read_dependencies(pylock)] == [
        ("mlflow", "2.2.0"),
        ("local", None),
    ]


def test_the_running_environment_is_read_with_real_versions() -> None:
    found = {p.key: p for p in installed_packages()}
    assert found["packaging"].version == metadata.version("packaging")
    assert found["pydantic"].problem is None


def test_unknown_files_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a dependency file"):
        read_dependencies(_write(tmp_path / "setup.cfg", "[metadata]\n"))
    with pytest.raises(InputError, match="not valid TOML"):
        read_dependencies(_write(tmp_path / "uv.lock", "[[package\n"))
