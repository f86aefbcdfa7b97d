"""The speech model is assembled from its two pinned wheels and checked against SHA-256 pins."""

from __future__ import annotations

import pytest

from salamin.analysis.media import transcribe
from salamin.analysis.media.errors import SpeechModelUnavailable


def test_assembles_verifies_and_reuses_the_model_dir(tmp_path):
    d = transcribe.assemble_model(tmp_path / "wb")
    assert sorted(p.name for p in d.iterdir()) == sorted(transcribe.MODEL_FILES_SHA256)
    assert transcribe._sha256(d / "model.bin") == transcribe.MODEL_FILES_SHA256["model.bin"]
    before = (d / "model.bin").stat().st_mtime_ns
    assert transcribe.assemble_model(d) == d
    assert (d / "model.bin").stat().st_mtime_ns == before  # verified, not rebuilt


def test_a_tampered_model_is_rebuilt(tmp_path):
    d = transcribe.assemble_model(tmp_path / "wb")
    with (d / "model.bin").open("r+b") as fh:
        fh.seek(1000)
        fh.write(b"\xff" * 16)
    assert not transcribe._verified(d)
    transcribe.assemble_model(d)
    assert transcribe._verified(d)


def test_missing_model_package_is_a_deployment_error(tmp_path, monkeypatch):
    monkeypatch.setattr(transcribe.importlib.util, "find_spec", lambda _name: None)
    with pytest.raises(SpeechModelUnavailable):
        transcribe.assemble_model(tmp_path / "wb")


def test_cache_dir_honours_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SALAMIN_MODEL_CACHE", str(tmp_path))
    assert transcribe.cache_dir() == tmp_path / "whisper-base"


def test_the_second_model_is_verified_in_its_package() -> None:
    d = transcribe.second_model_dir()
    assert transcribe._verified(d, transcribe.SECOND_MODEL_FILES_SHA256)


def test_a_second_model_failing_its_pins_is_refused(monkeypatch) -> None:
    pins = dict(transcribe.SECOND_MODEL_FILES_SHA256, **{"config.json": "0" * 64})
    monkeypatch.setattr(transcribe, "SECOND_MODEL_FILES_SHA256", pins)
    with pytest.raises(SpeechModelUnavailable):
        transcribe.second_model_dir()


def test_a_missing_second_model_package_is_a_deployment_error(monkeypatch) -> None:
    monkeypatch.setattr(transcribe.importlib.util, "find_spec", lambda _name: None)
    with pytest.raises(SpeechModelUnavailable):
        transcribe.second_model_dir()
