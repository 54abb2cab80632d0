"""The runner against a small in-test SCIM server: each breakage fails exactly its checks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance import load_dict, load_recordings
from conformance.errors import TransportError
from conformance.results import (
    Outcome,
    RecordingFinished,
    RecordingStarted,
    RunFinished,
    RunResult,
    RunStarted,
    StepFinished,
)
from conformance.runner import Runner, run
from conformance.transport import AppTransport, Request, Response, transport_for
from tests.conformance_target import TOKEN, Breakage, TargetServer, as_asgi

DATA = Path(__file__).parent / "conformance_data"


@pytest.fixture(scope="module")
def recordings() -> list[Any]:
    return load_recordings([DATA])


def _run(recordings: list[Any], **broken: bool) -> tuple[RunResult, TargetServer]:
    server = TargetServer(Breakage(**broken))
    result = Runner(AppTransport(server), token=TOKEN).run(recordings)
    return result, server


def _failed(result: RunResult) -> dict[tuple[str, str], str]:
    return {
        (r.recording.name, s.step.name): s.summary
        for r in result.results
        for s in r.steps
        if s.outcome is Outcome.FAILED
    }


def test_a_correct_server_passes(recordings: list[Any]) -> None:
    result, server = _run(recordings)
    assert _failed(result) == {}
    assert result.exit_code == 0
    outcomes = {r.recording.name: r.outcome for r in result.results}
    assert outcomes["testidp/user-lifecycle"] is Outcome.PASSED
    # The MAY step of the RFC recording fails: a warning, not a failure.
    assert outcomes["rfc/patch-replace"] is Outcome.WARNED
    # Everything created was cleaned up (the lifecycle deleted its own user itself).
    assert server.users == {} and server.groups == {}
    assert ("DELETE", "/scim/v2/Users/u0") not in server.requests[-3:]


def test_case_sensitive_username(recordings: list[Any]) -> None:
    result, _ = _run(recordings, case_sensitive_username=True)
    assert _failed(result) == {
        ("testidp/user-lifecycle", "lookup in another case"): ("$.totalResults: expected 1, got 0")
    }
    assert result.exit_code == 1


def test_password_returned(recordings: list[Any]) -> None:
    failed = _failed(_run(recordings, return_password=True)[0])
    assert set(failed) == {
        ("testidp/user-lifecycle", "create"),
        ("testidp/user-lifecycle", "deactivate"),
        ("testidp/user-lifecycle", "read back"),
    }
    assert all(m.startswith("$.password: expected absent, got ") for m in failed.values())


def test_200_instead_of_201(recordings: list[Any]) -> None:
    failed = _failed(_run(recordings, create_status_200=True)[0])
    assert set(failed) == {
        ("testidp/user-lifecycle", "create"),
        ("testidp/patch-atomic", "create"),
        ("testidp/group-members", "create user 1"),
        ("testidp/group-members", "create user 2"),
        ("testidp/group-members", "create group"),
        ("rfc/patch-replace", "create"),
    }
    assert set(failed.values()) == {"status: expected status 201, got 200"}


def test_non_atomic_patch(recordings: list[Any]) -> None:
    failed = _failed(_run(recordings, non_atomic_patch=True)[0])
    assert failed == {
        ("testidp/patch-atomic", "nothing changed"): "$.displayName: expected 'Before', got 'After'"
    }


def test_entra_member_removal_read_as_remove_all(recordings: list[Any]) -> None:
    failed = _failed(_run(recordings, remove_all_members=True)[0])
    assert failed == {
        ("testidp/group-members", "only member 2 is left"): (
            "$.members: expected 1 elements in order, got 0"
        )
    }


def test_rfc_recordings_run_what_the_target_disclaims_as_warnings(recordings: list[Any]) -> None:
    server = TargetServer(Breakage(no_patch_in_config=True))
    result = Runner(AppTransport(server), token=TOKEN).run(recordings)
    outcomes = {r.recording.name: r for r in result.results}
    disclaimed = outcomes["rfc/patch-replace"]
    assert disclaimed.outcome is not Outcome.SKIPPED  # never skipped silently
    assert "patch.supported is false" in disclaimed.unadvertised
    assert "ran as warnings" in disclaimed.reason
    # IdP traffic runs whatever ServiceProviderConfig says: IdPs never read it.
    assert outcomes["testidp/user-lifecycle"].outcome is Outcome.PASSED
    forced = Runner(AppTransport(server), token=TOKEN, ignore_capabilities=True).run(recordings)
    assert {r.recording.name: r.outcome for r in forced.results}["rfc/patch-replace"] in (
        Outcome.WARNED,
        Outcome.PASSED,
    )


def test_events_stream_in_order(recordings: list[Any]) -> None:
    runner = Runner(AppTransport(TargetServer()), token=TOKEN)
    events = list(runner.events(recordings[:1]))
    assert isinstance(events[0], RunStarted) and events[0].total == 1
    assert isinstance(events[1], RecordingStarted)
    assert all(isinstance(e, StepFinished) for e in events[2:-2])
    assert isinstance(events[-2], RecordingFinished)
    assert isinstance(events[-1], RunFinished)


def test_later_steps_run_after_a_failure_and_blocked_ones_say_why() -> None:
    rec = load_dict(
        {
            "format": "scim-recording/1",
            "name": "t/blocked",
            "idp": "t",
            "steps": [
                {
                    "name": "create",
                    "request": {"method": "POST", "path": "/Users", "json": {}},
                    "expect": {"status": 201},
                    "capture": {"userId": "/id"},
                },
                {"name": "read", "request": {"method": "GET", "path": "/Users/${userId}"}},
                {"name": "config", "request": {"method": "GET", "path": "/ServiceProviderConfig"}},
            ],
        }
    )
    result = run([rec], AppTransport(TargetServer()), token=TOKEN)
    steps = result.results[0].steps
    assert [s.outcome for s in steps] == [Outcome.FAILED, Outcome.SKIPPED, Outcome.PASSED]
    assert "status 201, got 400 (invalidValue: userName is required)" in steps[0].summary
    assert "needs ${userId}, which step #0 create could not capture" in steps[1].reason
    assert result.exit_code == 1


class _Down:
    target = "nowhere"

    def send(self, request: Request) -> Response:
        raise TransportError("connection refused")

    def close(self) -> None:
        pass


def test_network_failure_is_an_error_not_a_failure(recordings: list[Any]) -> None:
    result = Runner(_Down(), token=TOKEN).run(recordings[:1])
    assert result.results[0].outcome is Outcome.ERROR
    assert result.exit_code == 2
    assert "no answer: connection refused" in result.results[0].steps[0].reason


def test_bad_recordings_are_errors_and_the_rest_still_runs(
    tmp_path: Path, recordings: list[Any]
) -> None:
    from conformance.loader import collect_recordings

    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "bad.json").write_text('{"format": "scim-recording/1"}', encoding="utf-8")
    good, errors = collect_recordings([tmp_path, DATA / "patch-atomic.json"])
    result = Runner(AppTransport(TargetServer()), token=TOKEN).run(good, errors)
    outcomes = [r.outcome for r in result.results]
    assert outcomes == [Outcome.ERROR, Outcome.PASSED]
    assert result.results[0].recording.idp == "x"
    assert result.exit_code == 2


def test_token_is_sent_and_redacted(recordings: list[Any]) -> None:
    result, _ = _run(recordings, return_password=True)
    text = json.dumps(
        [
            [dict(s.request.headers) for s in r.steps if s.request is not None]
            for r in result.results
        ]
    )
    assert TOKEN not in text
    assert "Bearer ***" in text


def test_a_step_can_send_its_own_or_no_authorization() -> None:
    rec = load_dict(
        {
            "format": "scim-recording/1",
            "name": "t/auth",
            "idp": "t",
            "steps": [
                {
                    "name": "bad token",
                    "request": {
                        "method": "GET",
                        "path": "/Users",
                        "headers": {"authorization": "Bearer wrong"},
                    },
                    "expect": {"status": 401},
                },
                {
                    "name": "no token",
                    "request": {
                        "method": "GET",
                        "path": "/Users",
                        "headers": {"Authorization": ""},
                    },
                    "expect": {"status": 401},
                },
            ],
        }
    )
    result = run([rec], AppTransport(TargetServer()), token=TOKEN)
    assert result.results[0].outcome is Outcome.PASSED
    assert result.results[0].steps[1].request is not None
    assert result.results[0].steps[1].request.header("Authorization") is None


def test_fresh_unique_per_sequence(recordings: list[Any]) -> None:
    tokens: Iterator[str] = iter(["one", "two", "three", "four", "five"])
    runner = Runner(AppTransport(TargetServer()), token=TOKEN, unique=lambda: next(tokens))
    result = runner.run(recordings[:2])
    assert [r.variables["unique"] for r in result.results] == ["one", "two"]


def test_cleanup_can_be_turned_off(recordings: list[Any]) -> None:
    server = TargetServer()
    patch_atomic = [r for r in recordings if r.name == "testidp/patch-atomic"]
    Runner(AppTransport(server), token=TOKEN, cleanup=False).run(patch_atomic)
    assert len(server.users) == 1
    result = Runner(AppTransport(server), token=TOKEN).run(patch_atomic)
    assert len(server.users) == 1
    assert result.results[0].cleanup == ["DELETE /Users/u1 -> 204"]


def test_asgi_apps_run_in_process(recordings: list[Any]) -> None:
    transport = transport_for(as_asgi(TargetServer()))
    assert isinstance(transport, AppTransport) and transport.asgi
    result = Runner(transport, token=TOKEN).run(recordings)
    transport.close()
    assert result.exit_code == 0


def test_an_app_with_a_handle_method_is_still_an_app(recordings: list[Any]) -> None:
    class Handler:  # as Django's ASGIHandler: an ASGI callable with a handle() of its own
        def __init__(self) -> None:
            self.app = as_asgi(TargetServer())

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            await self.app(scope, receive, send)

        async def handle(self, scope: Any, receive: Any, send: Any) -> None:
            raise AssertionError("not a ScimService.handle")

    transport = transport_for(Handler())
    assert isinstance(transport, AppTransport) and transport.asgi
    result = Runner(transport, token=TOKEN).run(recordings)
    transport.close()
    assert result.exit_code == 0
