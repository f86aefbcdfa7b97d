"""The Firebase JS SDK suite (tests/js/*.test.mjs, Node's built-in test runner) against the same
emulator suite as the rest of the tests: one emulator start serves both.

The pinned `firebase` and `@firebase/rules-unit-testing` packages come from clients/web
(`npm ci`, scripts/bootstrap.sh); the typed client is compiled from clients/web/src first. After
the journeys, every document the functions wrote that a client may read is validated against its
model in salamin.api.contract (which the generated `documents.ts` types come from).
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests

from salamin.api import contract
from scripts.stack import PROJECT_ID
from tests.support.emulators import AuthEmulator
from tests.support.factories import PDF_BYTES, PNG_BYTES, application_data
from tests.support.users import make_user

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "clients" / "web"
SUITE = Path(__file__).resolve().parent
ADMIN_EMAIL, ADMIN_PASSWORD = "ops.js@salamin.test", "secret-pass-1"


def _build_client() -> None:
    tsc = WEB / "node_modules" / ".bin" / "tsc"
    if not tsc.exists():
        pytest.fail("clients/web/node_modules missing: run scripts/bootstrap.sh (npm ci)")
    subprocess.run([str(tsc), "-p", "tsconfig.json"], cwd=WEB, check=True, timeout=300)


def _fixtures(tmp_path: Path) -> Path:
    application = application_data()
    application["personalInfo"].update(
        firstName="Grace", lastName="Hopper", email="grace.contact@example.com", phone="+1 555 0100"
    )
    path = tmp_path / "fixtures.json"
    path.write_text(
        json.dumps(
            {
                "application": application,
                "pdfBase64": base64.b64encode(PDF_BYTES).decode(),
                "pngBase64": base64.b64encode(PNG_BYTES).decode(),
            }
        )
    )
    return path


def _documents(db: Any, pattern: str) -> list[Any]:
    """Every stored document whose path matches `pattern` (`experts/{expertId}/private/contact`)."""
    parts = pattern.split("/")
    refs: list[Any] = [db]
    for i in range(0, len(parts), 2):
        collection, doc_id = parts[i], parts[i + 1]
        next_refs = []
        for parent in refs:
            coll = parent.collection(collection)
            if doc_id.startswith("{"):
                next_refs += list(coll.list_documents())
            else:
                next_refs.append(coll.document(doc_id))
        refs = next_refs
    return [s for s in (r.get() for r in refs) if s.exists]


def test_firebase_js_sdk_suite(emulators: Any, db: Any, tmp_path: Path) -> None:
    ep = emulators.endpoints
    requests.post(f"{ep.stripe}/_double/reset", timeout=10).raise_for_status()
    auth = AuthEmulator(ep)
    admin = auth.sign_up(ADMIN_EMAIL, ADMIN_PASSWORD)
    make_user(auth, "unused.js@salamin.test")  # a second account: the suite must not assume one
    from firebase_admin import auth as admin_auth

    from salamin.core import firebase

    admin_auth.set_custom_user_claims(admin.uid, {"admin": True}, app=firebase.app())
    _build_client()
    functions_host = re.sub(r"^https?://", "", ep.function_url("x").split(f"/{PROJECT_ID}/")[0])
    env = {
        **os.environ,
        **ep.client_env(),
        "SALAMIN_PROJECT_ID": PROJECT_ID,
        "SALAMIN_FUNCTIONS_HOST": functions_host,
        "SALAMIN_ADMIN_EMAIL": ADMIN_EMAIL,
        "SALAMIN_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "SALAMIN_FIXTURES": str(_fixtures(tmp_path)),
        "SALAMIN_RULES": str(ROOT / "firestore.rules"),
    }
    files = sorted(str(p) for p in SUITE.glob(os.environ.get("SALAMIN_JS_ONLY", "*.test.mjs")))
    assert files, "no JS test files"
    proc = subprocess.run(
        ["node", "--test", "--test-concurrency=1", "--test-reporter=spec", *files],
        cwd=SUITE,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    print(proc.stdout[-20000:])
    assert proc.returncode == 0, (
        f"node --test failed:\n{proc.stdout[-20000:]}\n{proc.stderr[-5000:]}"
    )
    summary = dict(re.findall(r"^ℹ (tests|pass|fail) (\d+)$", proc.stdout, flags=re.M))
    assert int(summary.get("pass", 0)) > 0 and summary.get("fail") == "0", summary

    # The documents those journeys made match the models the client's types are generated from.
    seen = {}
    for d in contract.DOCUMENTS:
        snaps = _documents(db, d.path)
        for snap in snaps:
            d.model.model_validate(snap.to_dict())
        seen[d.path] = len(snaps)
    if not any(f.endswith("journeys.test.mjs") for f in files):
        return  # SALAMIN_JS_ONLY picked other files: no journey documents to check
    for path in (
        "experts/{expertId}",
        "experts/{expertId}/private/contact",
        "expertCalendars/{expertId}",
        "expertCalendars/{expertId}/busy/{sessionId}",
        "expertSessions/{sessionId}",
        "expertTransactions/{id}",
        "adminNotifications/{id}",
    ):
        assert seen[path] > 0, f"the journeys wrote no {path} to check"
