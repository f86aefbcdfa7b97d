"""storage.rules and the functions accept the same uploads (issue 9 item 9).

gcp-storage-emulator does not execute rules (README "noticed"), so the rules are checked as
text: the generated fragment is what `scripts/gen_storage_rules.py` makes from the code's
constants, and the parsed `recordingFits` expression, evaluated here the way the rules engine
would, gives the same yes/no as `createRecordingUpload`'s checks for every case below.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from salamin.api.uploads import CreateRecordingUploadRequest
from salamin.core.caller import Caller
from salamin.core.errors import SalaminError
from salamin.marketplace.onboarding import applications
from salamin.uploads import recordings
from scripts import gen_storage_rules

ROOT = Path(__file__).resolve().parents[2]
RULES = (ROOT / "storage.rules").read_text()
USER = Caller(uid="user-1")


def _block(match: str) -> str:
    """The body of `match /<match> { ... }` (to its closing brace at the same depth)."""
    head = f"match /{match} {{"
    depth, i = 0, RULES.index(head) + len(head) - 1
    for j in range(i, len(RULES)):
        depth += {"{": 1, "}": -1}.get(RULES[j], 0)
        if depth == 0:
            return RULES[i + 1 : j]
    raise AssertionError(match)


def _function(name: str) -> str:
    start = RULES.index(f"function {name}(")
    return RULES[start : RULES.index("\n    }", start)]


class ParsedRecordingRule:
    """`recordingFits` as written in storage.rules, evaluated like the rules engine (RE2
    `matches` is a whole-string match; `in` on a list is membership)."""

    def __init__(self, text: str) -> None:
        size = re.search(r"size >= (\d+) && size <= (\d+)", text)
        assert size, text
        self.min_size, self.max_size = int(size[1]), int(size[2])
        name = re.search(r"&& fileName\.matches\('([^']+)'\)", text)
        assert name, text
        self.name = re.compile(name[1])
        pairs = re.findall(
            r"contentType in \[([^\]]*)\]\s*&& fileName\.lower\(\)\.matches\('([^']+)'\)", text
        )
        assert len(pairs) == 2, text
        self.branches = [
            (set(re.findall(r"'([^']+)'", types)), re.compile(ext)) for types, ext in pairs
        ]

    def allows(self, file_name: str, content_type: str, size: int) -> bool:
        return (
            self.min_size <= size <= self.max_size
            and self.name.fullmatch(file_name) is not None
            and any(
                content_type in types and ext.fullmatch(file_name.lower()) is not None
                for types, ext in self.branches
            )
        )


def _code_allows(file_name: str, content_type: str, size: int) -> bool:
    """What `createRecordingUpload` accepts: its request model, then `check_recording`."""
    try:
        CreateRecordingUploadRequest.model_validate(
            {"fileName": file_name, "contentType": content_type, "size": size}
        )
        recordings.check_recording(
            caller=USER, file_name=file_name, content_type=content_type, size=size
        )
    except (ValidationError, SalaminError):
        return False
    return True


def test_generated_fragment_is_current() -> None:
    assert gen_storage_rules.render(RULES) == RULES, "run scripts/gen_storage_rules.py"


def test_parsed_rule_names_exactly_the_code_constants() -> None:
    rule = ParsedRecordingRule(_function("recordingFits"))
    assert (rule.min_size, rule.max_size) == (1, recordings.MAX_RECORDING_BYTES)
    audio, video = (types for types, _ in rule.branches)
    assert audio == recordings.AUDIO_TYPES
    assert video == recordings.VIDEO_TYPES


NAMES = [
    "answer.wav", "answer.WAV", "a.mp3", "clip.mp4", "clip.webm", "clip.mov", "clip.mkv",
    "voice.opus", "voice.m4a", "answer.exe", "answer", ".wav", "-x.wav", "a b.wav",
    "nested/answer.wav", "../x.wav", "x" * 196 + ".wav", "x" * 197 + ".wav", "a.wav.exe",
]  # fmt: skip
TYPES = [
    *sorted(recordings.AUDIO_TYPES | recordings.VIDEO_TYPES), "text/html", "application/pdf", "AUDIO/WAV", "audio/wav; codecs=1", "", "video/avi",
]  # fmt: skip
SIZES = [0, 1, 11, recordings.MAX_RECORDING_BYTES, recordings.MAX_RECORDING_BYTES + 1]


def test_rules_and_code_agree_on_every_recording_case() -> None:
    rule = ParsedRecordingRule(_function("recordingFits"))
    cases = list(itertools.product(NAMES, TYPES, SIZES))
    disagree = [c for c in cases if rule.allows(*c) != _code_allows(*c)]
    assert not disagree, disagree[:10]
    assert any(rule.allows(*c) for c in cases) and not all(rule.allows(*c) for c in cases)


def test_recordings_path_uses_the_generated_check_for_every_client_write() -> None:
    body = _block("recordings/{uid}/{fileName}")
    writes = [line.strip() for line in body.splitlines() if "allow create" in line]
    assert writes == ["allow create, update: if signedIn() && request.auth.uid == uid"]
    assert "recordingFits(fileName, request.resource.contentType, request.resource.size);" in body


def test_expert_documents_take_no_client_write() -> None:
    """Only `uploadVerificationDocument` writes there, so its checks of the code's constants
    (`ALLOWED_CONTENT_TYPES`, `MAX_DOCUMENT_BYTES`, the magic bytes) are the only gate."""
    body = _block("expert-documents/{expertId}/{documentType}/{fileName}")
    assert "allow write: if false;" in body
    assert not re.search(r"allow [^:]*(create|update|write)[^:]*: if (?!false;)", body)
    assert re.search(r"match /\{allPaths=\*\*\} \{\s*allow read, write: if false;", RULES)
    for name in ("ALLOWED_CONTENT_TYPES", "MAX_DOCUMENT_BYTES"):
        assert hasattr(applications, name) and name in RULES


def test_check_mode_fails_on_a_stale_fragment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = tmp_path / "storage.rules"
    rules.write_text(RULES.replace("size <= ", "size < "))
    monkeypatch.setattr(gen_storage_rules, "RULES", rules)
    assert gen_storage_rules.main(["--check"]) == 1
    assert gen_storage_rules.main([]) == 0
    assert rules.read_text() == RULES
    assert gen_storage_rules.main(["--check"]) == 0
