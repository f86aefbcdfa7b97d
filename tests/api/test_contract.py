"""The client contract (salamin.api.contract) covers exactly the callables main.py declares."""

from __future__ import annotations

import ast
from pathlib import Path

from salamin.api import contract

MAIN = Path(__file__).resolve().parents[2] / "functions" / "main.py"


def _declared_callables() -> set[str]:
    tree = ast.parse(MAIN.read_text())
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for deco in node.decorator_list:
                target = deco.func if isinstance(deco, ast.Call) else deco
                if isinstance(target, ast.Attribute) and target.attr == "on_call":
                    names.add(node.name)
    return names


def test_every_declared_callable_has_a_contract_and_no_more() -> None:
    declared = _declared_callables()
    assert declared, "no on_call functions found in main.py"
    missing = declared - set(contract.CALLABLES)
    extra = set(contract.CALLABLES) - declared
    assert not missing, f"add these to salamin/api/contract.py CALLABLES: {sorted(missing)}"
    assert not extra, f"not declared in main.py: {sorted(extra)}"


def test_every_readable_collection_has_a_document_model() -> None:
    rules = (MAIN.parents[1] / "firestore.rules").read_text()
    readable = {
        "expertApplications", "experts", "expertCalendars", "expertSessions",
        "expertTransactions", "adminNotifications", "advancedAnalyses", "users",
    }  # fmt: skip
    for name in readable:
        assert f"match /{name}/" in rules
    covered = {d.path.split("/")[0] for d in contract.DOCUMENTS}
    assert readable <= covered
