"""Stored documents checked against the client contract (salamin.api.contract.DOCUMENTS), whose
models the web client's `documents.ts` types are generated from."""

from __future__ import annotations

from typing import Any

from salamin.api import contract


def contract_document(path: str) -> contract.Document:
    """The contract entry whose path pattern matches the concrete `path`."""
    parts = path.split("/")
    for d in contract.DOCUMENTS:
        pattern = d.path.split("/")
        if len(pattern) == len(parts) and all(
            p == x or p.startswith("{") for p, x in zip(pattern, parts, strict=True)
        ):
            return d
    raise AssertionError(f"{path}: no document model in salamin.api.contract.DOCUMENTS")


def check_stored(db: Any, path: str) -> dict[str, Any]:
    """Read `path` (it must exist) and validate it against its contract model."""
    snap = db.document(path).get()
    assert snap.exists, f"{path} was not written"
    data: dict[str, Any] = snap.to_dict()
    contract_document(path).model.model_validate(data)
    return data
