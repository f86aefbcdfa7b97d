"""Every not-found, already-exists and failed-precondition error carries a `details.reason` from
the one documented enum (`salamin.core.errors.Reason`), at every raise site."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

import pytest

from salamin.core import errors

PACKAGE = Path(errors.__file__).resolve().parents[1]
REASONED = {"NotFound", "FailedPrecondition", "AlreadyExists"}


def _sources() -> list[tuple[Path, ast.Module]]:
    return [(p, ast.parse(p.read_text())) for p in sorted(PACKAGE.rglob("*.py"))]


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def test_every_raise_site_names_a_reason() -> None:
    missing = []
    sites = 0
    for path, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) in REASONED:
                sites += 1
                if not any(k.arg == "reason" for k in node.keywords):
                    missing.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert sites > 30, "the scan found too few raise sites to be looking at the code"
    assert missing == []


@pytest.mark.parametrize("cls", [errors.NotFound, errors.FailedPrecondition, errors.AlreadyExists])
def test_the_error_classes_require_a_reason(cls: type[errors.ReasonedError]) -> None:
    with pytest.raises(TypeError):
        cls("no reason given")  # type: ignore[call-arg]
    err = cls("gone", reason="session_not_found", details={"extra": 1})
    assert err.details == {"extra": 1, "reason": "session_not_found"}


def test_every_documented_reason_is_raised_somewhere() -> None:
    """The enum is the list a client switches on: no entry that nothing produces."""
    literals = set()
    for path, tree in _sources():
        if path.name == "errors.py" and path.parent.name == "core":
            continue
        literals |= {
            n.value
            for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
        }
    assert [r for r in get_args(errors.Reason) if r not in literals] == []


def test_the_readme_documents_every_reason() -> None:
    readme = (PACKAGE.parents[1] / "README.md").read_text()
    assert [r for r in get_args(errors.Reason) if f"`{r}`" not in readme] == []
