"""The layout shows the architecture (DESIGN.md, Layout): who may import whom, read from source.

Every import counts, a lazy one inside a function as much as one at the top of a module.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONTEXTS = ("ledger", "accreditation", "marketplace", "budgets", "payments")
ADAPTERS = ("api", "frontend")
# Not production code: never in the distribution, never imported by what is.
DEVELOPMENT = ("demo", "devtools")


def modules(package: str) -> Iterator[Path]:
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def imported(path: Path) -> set[str]:
    """The top-level packages a module imports, at any depth of its code."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def offences(package: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in modules(package)
        for name in sorted(imported(path) & set(forbidden))
    ]


def test_config_imports_no_context() -> None:
    # config/urls.py mounts the adapters (api/, frontend/): that is its job.
    assert offences("config", (*CONTEXTS, "identity", "core", *DEVELOPMENT)) == []


def test_core_imports_config_and_the_library_only() -> None:
    assert offences("core", (*CONTEXTS, "identity", *ADAPTERS, *DEVELOPMENT)) == []


def production_packages() -> list[str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    return sorted({pattern.rstrip("*").rstrip(".") for pattern in include})


def test_the_distribution_holds_no_development_package() -> None:
    assert set(production_packages()) & set(DEVELOPMENT) == set()
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert "devtools" in ignored  # nor the production image: localstripe is GPL-3.0


@pytest.mark.parametrize("package", production_packages())
def test_production_code_never_imports_the_demo_or_devtools(package: str) -> None:
    assert offences(package, DEVELOPMENT) == []


@pytest.mark.parametrize("context", CONTEXTS)
def test_each_context_has_the_standard_modules(context: str) -> None:
    # tasks.py is there where a context has scheduled work (DESIGN.md, Inside each context).
    for module in ("domain", "application", "projections", "models"):
        assert (ROOT / context / f"{module}.py").is_file(), f"{context}/{module}.py"
