"""main.py declares every callable in one form: `callable_.run(req, <api handler>, **deps)`,
the name written once (the function's, which is the handler's in camelCase) and the request
model declared once (the handler's `req` annotation)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
from pydantic import BaseModel

from salamin.api import _callable

MAIN = Path(__file__).resolve().parents[2] / "functions" / "main.py"
TREE = ast.parse(MAIN.read_text())
API_ALIASES = {
    alias.asname or alias.name: f"salamin.api.{alias.name}"
    for node in TREE.body
    if isinstance(node, ast.ImportFrom) and node.module == "salamin.api"
    for alias in node.names
}


def _is_on_call(fn: ast.FunctionDef) -> bool:
    return any(
        isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr == "on_call"
        for d in fn.decorator_list
    )


CALLABLES = [n for n in TREE.body if isinstance(n, ast.FunctionDef) and _is_on_call(n)]


def test_main_declares_the_callables() -> None:
    assert len(CALLABLES) >= 16


@pytest.mark.parametrize("fn", CALLABLES, ids=[f.name for f in CALLABLES])
def test_each_callable_is_one_run_of_its_handler(fn: ast.FunctionDef) -> None:
    [statement] = fn.body
    assert isinstance(statement, ast.Return) and isinstance(statement.value, ast.Call)
    call = statement.value
    assert ast.unparse(call.func) == "callable_.run"
    request, handler = call.args
    assert ast.unparse(request) == "req"
    assert isinstance(handler, ast.Attribute) and isinstance(handler.value, ast.Name)
    module = importlib.import_module(API_ALIASES[handler.value.id])
    function = getattr(module, handler.attr)
    assert _callable.callable_name(function) == fn.name
    assert issubclass(_callable.request_model(function), BaseModel)
