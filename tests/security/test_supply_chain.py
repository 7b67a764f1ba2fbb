"""Supply chain, checked offline: every dependency has a lower and an upper bound, the build runs no code of ours,
and the packages the gateway parses untrusted bytes with are not older than their last security fix.

``pip-audit`` is the complete check, but it needs a vulnerability database over the network (docs/security.md).
The floor below is the part that must hold everywhere, CI included; it is kept by hand from the advisories named."""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the suite runs on 3.11+
    tomllib = pytest.importorskip("tomli")

PYPROJECT = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text(encoding="utf-8"))

# package -> (first fixed version, advisory): untrusted input reaches these in the gateway or the fetcher.
SECURITY_FLOOR = {
    "orjson": ("3.11.6", "CVE-2024-27454 (loads, fixed 3.9.15) and GHSA-hx9q-6w63-j58v (dumps): unbounded recursion"),
    "h11": ("0.16.0", "CVE-2025-43859: lenient chunked-body parsing, request smuggling"),
    "urllib3": ("2.5.0", "CVE-2025-50181: redirects not disabled by retries=0 on PoolManager"),
}


def declared_requirements() -> list[Requirement]:
    project = PYPROJECT["project"]
    lines = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        lines += [line for line in extra if not line.startswith(project["name"])]
    return [Requirement(line) for line in lines]


def bounds(requirement: Requirement) -> tuple[bool, bool]:
    operators = {spec.operator for spec in requirement.specifier}
    pinned = bool(operators & {"==", "~=", "==="})
    return pinned or bool(operators & {">=", ">"}), pinned or bool(operators & {"<", "<="})


KNOWN_UNBOUNDED: dict[str, str] = {}


@pytest.mark.parametrize(
    "requirement",
    [
        pytest.param(
            r,
            id=r.name,
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_UNBOUNDED[r.name])] if r.name in KNOWN_UNBOUNDED else [],
        )
        for r in declared_requirements()
    ],
)
def test_every_dependency_has_a_lower_and_an_upper_bound(requirement: Requirement) -> None:
    assert bounds(requirement) == (True, True), str(requirement)


def test_the_build_runs_no_code_of_ours() -> None:
    """A declarative backend, no setup.py, no build hooks: installing routeapi executes nothing from this repo."""
    root = Path(__file__).parents[2]
    hatch = PYPROJECT.get("tool", {}).get("hatch", {})

    assert PYPROJECT["build-system"]["build-backend"] == "hatchling.build"
    assert not (root / "setup.py").exists()
    assert "hooks" not in hatch.get("build", {})
    assert all("hooks" not in target for target in hatch.get("build", {}).get("targets", {}).values())
    assert "metadata" not in hatch  # metadata hooks run code too


def _floor_case(package: str) -> object:
    fixed, advisory = SECURITY_FLOOR[package]
    try:
        installed = Version(metadata.version(package))
    except metadata.PackageNotFoundError:
        return pytest.param(package, id=package, marks=pytest.mark.skip(reason=f"{package} is not installed"))
    marks = []
    if installed < Version(fixed):
        marks = [pytest.mark.xfail(strict=True, reason=f"{package} {installed} is below {fixed}: {advisory}")]
    return pytest.param(package, id=package, marks=marks)


@pytest.mark.parametrize("package", [_floor_case(p) for p in SECURITY_FLOOR])
def test_installed_parsers_are_past_their_last_security_fix(package: str) -> None:
    fixed, advisory = SECURITY_FLOOR[package]

    assert Version(metadata.version(package)) >= Version(fixed), advisory
