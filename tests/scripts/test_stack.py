"""The suite runner's failure messages: one line that names what is missing."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from scripts import stack as stack_mod


def test_port_in_use_is_named() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        s = stack_mod.Stack(ports=stack_mod.Ports(firestore=port))
        with pytest.raises(stack_mod.StackError) as exc:
            s.preflight()
    message = str(exc.value)
    assert f"port {port} (firestore) is in use" in message
    assert "\n" not in message


def test_missing_firestore_jar_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(stack_mod, "FIRESTORE_JAR", tmp_path / "nope.jar")
    with pytest.raises(stack_mod.StackError, match="google-cloud-cli-firestore-emulator"):
        stack_mod._firestore_shim()


def test_shim_jar_points_at_the_preinstalled_emulator(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import zipfile

    jar = tmp_path / "emulator.jar"
    jar.write_bytes(b"")
    monkeypatch.setattr(stack_mod, "FIRESTORE_JAR", jar)
    monkeypatch.setattr(stack_mod, "RUNTIME", tmp_path)
    shim = stack_mod._firestore_shim()
    manifest = zipfile.ZipFile(shim).read("META-INF/MANIFEST.MF").decode()
    assert f"Class-Path: {jar}" in manifest
    assert f"Main-Class: {stack_mod.FIRESTORE_MAIN}" in manifest


def test_client_env_points_every_client_at_the_emulators() -> None:
    env = stack_mod.Endpoints().client_env()
    assert env["FIRESTORE_EMULATOR_HOST"] == "127.0.0.1:8080"
    assert env["STORAGE_EMULATOR_HOST"].startswith("http://")  # the storage client needs the scheme
    assert "//" not in env["CLOUD_TASKS_EMULATOR_HOST"]  # firebase_admin rejects a scheme here
    assert env["STRIPE_SECRET_KEY"].startswith("sk_test_")
