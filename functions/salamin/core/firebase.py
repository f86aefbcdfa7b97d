"""The one Firebase app of the process, and the clients domain code is handed.

Against the emulators (a `demo-*` project, emulator hosts set) there are no Google credentials
on these machines, so the app gets anonymous credentials; in production it uses the runtime's
service account as usual.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import firebase_admin
from firebase_admin import credentials
from google.cloud import firestore

EMULATOR_VARS = ("FIRESTORE_EMULATOR_HOST", "FIREBASE_AUTH_EMULATOR_HOST")


def project_id() -> str:
    return (
        os.environ.get("GCLOUD_PROJECT") or os.environ.get("GOOGLE_CLOUD_PROJECT") or "demo-salamin"
    )


def using_emulators() -> bool:
    return any(os.environ.get(v) for v in EMULATOR_VARS)


class _EmulatorCredential(credentials.Base):
    """Anonymous credentials: the emulators accept them, real services would refuse them."""

    def get_credential(self) -> Any:
        from google.auth.credentials import AnonymousCredentials

        return AnonymousCredentials()

    def get_access_token(self) -> Any:
        return credentials.AccessTokenInfo("owner", None)  # type: ignore[attr-defined]


def storage_bucket_name() -> str:
    return os.environ.get("SALAMIN_STORAGE_BUCKET") or f"{project_id()}.appspot.com"


@cache
def app() -> firebase_admin.App:
    options = {"projectId": project_id(), "storageBucket": storage_bucket_name()}
    try:
        return firebase_admin.get_app()
    except ValueError:
        pass
    if using_emulators():
        return firebase_admin.initialize_app(_EmulatorCredential(), options)
    return firebase_admin.initialize_app(options=options)


@cache
def db() -> firestore.Client:
    from firebase_admin import firestore as admin_firestore

    return admin_firestore.client(app())


def bucket() -> Any:
    """The default Storage bucket (google.cloud.storage.Bucket)."""
    from firebase_admin import storage

    return storage.bucket(app=app())
