"""Reproducible installs: the bounds in pyproject.toml are the ones CI tests.

constraints.txt (the newest versions the bounds allow, for every supported Python) is
what `make`, CI and the deploy guide install; constraints-lowest.txt pins every direct
dependency at its floor, and CI runs the suite on it too (.ci/run). Both come from
`make constraints` (uv pip compile)."""

from __future__ import annotations

import importlib.metadata
import os
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.conftest import REPO

PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
DIRECT = [Requirement(r) for r in PROJECT["dependencies"] + PROJECT["optional-dependencies"]["test"]]


def pins(name: str) -> dict[str, Version]:
    """``name==version`` lines of a constraints file whose markers hold here."""
    out = {}
    for raw in (REPO / name).read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate():
            (spec,) = req.specifier
            out[canonicalize_name(req.name)] = Version(spec.version)
    return out


def test_license_and_python_versions_are_declared():
    assert (REPO / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    assert PROJECT["license"] == "MIT" and PROJECT["requires-python"] == ">=3.11"
    for version in ("3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {version}" in PROJECT["classifiers"]


@pytest.mark.parametrize("req", DIRECT, ids=str)
def test_every_dependency_has_a_tested_floor_and_a_cap(req):
    ops = {s.operator: Version(s.version) for s in req.specifier}
    assert set(ops) == {">=", "<"}, f"{req}: want a floor (>=) and a cap (<)"
    name = canonicalize_name(req.name)
    lowest, locked = pins("constraints-lowest.txt")[name], pins("constraints.txt")[name]
    assert lowest == ops[">="], f"{req}: CI's lowest run installs {lowest}: make the floor that"
    assert req.specifier.contains(locked), f"constraints.txt has {name} {locked}, outside {req}"


@pytest.mark.skipif(not os.environ.get("PAPERBOT_CONSTRAINTS"),
                    reason="run through make, which says which constraints file it installed")
def test_the_environment_is_exactly_the_constraints_file():
    wanted = pins(os.environ["PAPERBOT_CONSTRAINTS"])
    installed = {canonicalize_name(d.metadata["Name"]): Version(d.version)
                 for d in importlib.metadata.distributions()}
    wrong = {n: (str(v), str(installed.get(n))) for n, v in wanted.items()
             if n in installed and installed[n] != v}
    assert not wrong, f"installed versions differ from {os.environ['PAPERBOT_CONSTRAINTS']}: {wrong}"
    missing = {n for n in wanted if n not in installed and n != "pip"}
    assert not missing, f"in {os.environ['PAPERBOT_CONSTRAINTS']} but not installed: {missing}"
