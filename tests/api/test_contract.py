"""The client contract (salamin.api.contract) covers exactly the callables main.py declares."""

from __future__ import annotations

import ast
import re
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


def readable_paths(rules: str) -> set[str]:
    """Every `match` path (nested ones joined) with an `allow read`/`get`/`list` that is not
    `if false`: what a client may read."""
    text = re.sub(r"//[^\n]*", "", rules)
    token = re.compile(
        r"match\s+(?P<match>/\S+)\s*\{|allow\s+(?P<ops>[a-z, ]+):\s*if\s+(?P<cond>[^;]+);|[{}]"
    )
    stack: list[tuple[str, int]] = []  # (path, brace depth outside it)
    depth = 0
    out = set()
    for t in token.finditer(text):
        if t.group("match"):
            if "/databases/" not in t.group("match"):
                stack.append(((stack[-1][0] if stack else "") + t.group("match"), depth))
            depth += 1
        elif t.group("ops"):
            reads = re.search(r"\b(read|get|list)\b", t.group("ops"))
            if reads and stack and t.group("cond").strip() != "false":
                out.add(stack[-1][0].lstrip("/"))
        else:
            depth += 1 if t.group() == "{" else -1
            while stack and depth <= stack[-1][1]:
                stack.pop()
    return out


def _covers(rule: str, doc: str) -> bool:
    """A rule path covers a document path: same segments, a rule wildcard matches anything."""
    r, d = rule.split("/"), doc.split("/")
    return len(r) == len(d) and all(a == b or a.startswith("{") for a, b in zip(r, d, strict=True))


def test_every_readable_document_has_a_document_model() -> None:
    rules = (MAIN.parents[1] / "firestore.rules").read_text()
    readable = readable_paths(rules)
    assert "experts/{expertId}/statusLog/{entryId}" in readable  # nested matches are joined
    assert "expertSessions/{sessionId}" in readable  # a condition may span lines
    assert "waitlistNotices/{id}" not in readable  # `if false` is not a read
    docs = [d.path for d in contract.DOCUMENTS]
    missing = sorted(r for r in readable if not any(_covers(r, d) for d in docs))
    assert not missing, f"add these to salamin/api/contract.py DOCUMENTS: {missing}"
    unreadable = sorted(d for d in docs if not any(_covers(r, d) for r in readable))
    assert not unreadable, f"DOCUMENTS lists paths no rule lets a client read: {unreadable}"
