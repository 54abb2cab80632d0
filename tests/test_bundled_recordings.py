"""Every bundled recording loads, is well attributed and is listed in docs/recordings.md."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from conformance.loader import bundled_recordings_dir, collect_recordings
from conformance.recording import Recording

ROOT = Path(__file__).resolve().parents[1]
PATCHOP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LEVELS = {"MUST", "SHOULD", "MAY"}


@pytest.fixture(scope="module")
def recordings() -> list[Recording]:
    loaded, errors = collect_recordings()
    assert not errors, "\n".join(str(e) for e in errors)
    return loaded


def test_every_file_loads(recordings: list[Recording]) -> None:
    files = sorted(bundled_recordings_dir().rglob("*.json"))
    assert len(recordings) == len(files) > 0


def test_names_follow_the_directory_and_file(recordings: list[Recording]) -> None:
    for rec in recordings:
        assert rec.path is not None
        rel = rec.path.relative_to(bundled_recordings_dir()).with_suffix("")
        assert rec.name == rel.as_posix(), rec.origin
        assert rec.idp == rel.parts[0], rec.origin


def test_names_are_unique(recordings: list[Recording]) -> None:
    counts = Counter(rec.name for rec in recordings)
    assert [name for name, n in counts.items() if n > 1] == []


def test_step_names_are_unique_within_a_recording(recordings: list[Recording]) -> None:
    for rec in recordings:
        names = [step.name for step in rec.steps]
        assert len(names) == len(set(names)), rec.name


def test_every_recording_says_where_it_comes_from(recordings: list[Recording]) -> None:
    for rec in recordings:
        assert rec.provenance in {"documented", "observed", "synthesized"}, rec.name
        assert rec.source and len(rec.source) > 40, rec.name
        assert rec.title, rec.name


def test_every_step_has_a_level_and_an_rfc_section(recordings: list[Recording]) -> None:
    for rec in recordings:
        for step in rec.steps:
            raw = rec.document["steps"][step.index]
            assert raw.get("level") in LEVELS, (rec.name, step.name)
            assert re.fullmatch(r"RFC(7643|7644|9865) [0-9.]+", raw.get("rfc", "")), (
                rec.name,
                step.name,
            )


def test_idp_coverage(recordings: list[Recording]) -> None:
    per_idp = Counter(rec.idp for rec in recordings)
    for idp in ("okta", "jumpcloud", "miniorange"):
        assert per_idp[idp] >= 5, idp
    for idp in ("entra", "onelogin", "rfc"):
        assert per_idp[idp] >= 1, idp
    entra_dialects = {rec.dialect for rec in recordings if rec.idp == "entra"}
    assert {"entra-legacy", "entra-aadOptscim062020"} <= entra_dialects


def test_okta_never_deletes_users(recordings: list[Recording]) -> None:
    for rec in recordings:
        if rec.idp != "okta":
            continue
        for step in rec.steps:
            assert not (step.request.method == "DELETE" and "/Users" in step.request.path), (
                rec.name,
                step.name,
            )


def _patch_bodies(rec: Recording) -> list[Any]:
    return [s.request.json for s in rec.steps if s.request.method == "PATCH"]


def test_patch_bodies_carry_the_patchop_schema(recordings: list[Recording]) -> None:
    for rec in recordings:
        for body in _patch_bodies(rec):
            if rec.idp == "rfc" and (
                not isinstance(body, dict) or PATCHOP not in body.get("schemas", [])
            ):
                continue  # the RFC suite sends broken PatchOps on purpose
            assert isinstance(body, dict) and body["schemas"] == [PATCHOP], rec.name
            assert body["Operations"], rec.name


def test_entra_dialects_are_told_apart(recordings: list[Recording]) -> None:
    for rec in recordings:
        if rec.idp != "entra" or rec.dialect is None:
            continue
        ops = {op["op"] for body in _patch_bodies(rec) for op in body["Operations"]}
        if rec.dialect == "entra-legacy":
            assert ops <= {"Add", "Replace", "Remove"}, rec.name
        else:
            assert ops <= {"add", "replace", "remove"}, rec.name


def test_the_docs_list_every_recording(recordings: list[Recording]) -> None:
    page = (ROOT / "docs" / "recordings.md").read_text(encoding="utf-8")
    missing = [rec.name for rec in recordings if f"`{rec.name}`" not in page]
    assert missing == []
