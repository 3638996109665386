"""The lock files that `make run` and `make test` install from stay in step with
pyproject.toml (refresh them with `make lock`)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def pins(lock: str) -> tuple[dict[str, str], set[str]]:
    """The lock's exact versions, and the packages it says pyproject.toml asked for."""
    versions: dict[str, str] = {}
    direct: set[str] = set()
    current = None
    for line in (REPO / lock).read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if match:
            current = canonicalize_name(match.group(1))
            versions[current] = match.group(2)
        elif current and "jtopics (pyproject.toml)" in line:
            direct.add(current)
    return versions, direct


@pytest.mark.parametrize(("lock", "groups"), [
    ("requirements.lock", ()),
    ("requirements-dev.lock", ("dev",)),
])
def test_lock_pins_every_dependency_within_its_bounds(lock, groups):
    wanted = [Requirement(r) for r in PYPROJECT["dependencies"]]
    for group in groups:
        wanted += [Requirement(r) for r in PYPROJECT["optional-dependencies"][group]]
    versions, direct = pins(lock)
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        assert name in versions, f"{lock} has no pin for {requirement.name}: run make lock"
        assert requirement.specifier.contains(versions[name], prereleases=True), (
            f"{lock} pins {name}=={versions[name]}, outside {requirement}: run make lock")
    # nothing asked for by an older pyproject.toml is still pinned as a direct dependency
    assert direct == {canonicalize_name(r.name) for r in wanted}


def test_runtime_lock_agrees_with_the_dev_lock():
    runtime, _ = pins("requirements.lock")
    dev, _ = pins("requirements-dev.lock")
    assert {name: dev.get(name) for name in runtime} == runtime
