"""The runner: replays recordings through a transport, one isolated sequence at a time.

It yields events (see :mod:`conformance.results`) and never prints: the command line, the pytest
plugin and the reporters consume them. A failing step never stops the run; steps that need a value
an earlier step failed to capture are skipped with the reason.

Capabilities: recordings (and steps) of the RFC suite (``idp: "rfc"``) whose ``requires`` the
target's ``/ServiceProviderConfig`` (or ``/ResourceTypes``) disclaims still run, but their
failures are only warnings, each marked ``unadvertised`` with the reason: nothing is skipped
silently, and :mod:`conformance.capability_truth` compares the claims with what was observed.
IdP recordings are graded fully regardless, because real IdPs never read ServiceProviderConfig.
``ignore_capabilities=True`` grades the RFC suite fully too.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conformance.capabilities import Capabilities, discover
from conformance.errors import RecordingError, TransportError
from conformance.matchers import ABSENT, Mismatch, match
from conformance.recording import Recording, Step
from conformance.redact import Redactor
from conformance.results import (
    Event,
    Outcome,
    RecordingFinished,
    RecordingResult,
    RecordingStarted,
    RunFinished,
    RunResult,
    RunStarted,
    StepFinished,
    StepResult,
    worst,
)
from conformance.transport import Request, Response, Transport
from conformance.variables import UndefinedVariable, fresh_unique, resolve_pointer, substitute

__all__ = ["Runner", "run"]

SCIM_MEDIA_TYPE = "application/scim+json"


class Runner:
    """Replays recordings against one target.

    ``token`` is sent as ``Authorization: Bearer …`` unless a step sets its own header (an empty
    value removes it). ``cleanup`` deletes what each sequence created once it ends (unless the
    recording sets ``"cleanup": false``). ``unique`` makes the ``${unique}`` token of each sequence.
    """

    def __init__(
        self,
        transport: Transport,
        *,
        token: str | None = None,
        ignore_capabilities: bool = False,
        cleanup: bool = True,
        discover_capabilities: bool = True,
        unique: Callable[[], str] = fresh_unique,
        new_uuid: Callable[[], str] | None = None,
    ) -> None:
        self.transport = transport
        self.token = token
        self.ignore_capabilities = ignore_capabilities
        self.cleanup = cleanup
        self.discover_capabilities = discover_capabilities
        self._unique = unique
        self._new_uuid = new_uuid or (lambda: str(uuid.uuid4()))
        self.redactor = Redactor([token])

    def default_headers(self) -> dict[str, str]:
        """Headers every request carries unless its step replaces them."""
        headers = {"Accept": SCIM_MEDIA_TYPE}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def events(
        self, recordings: Iterable[Recording], errors: Iterable[RecordingError] = ()
    ) -> Iterator[Event]:
        """Replay every recording; bad recordings (``errors``) are reported as ERROR results."""
        recordings = list(recordings)
        errors = list(errors)
        total = len(recordings) + len(errors)
        run = RunResult(target=self.transport.target)
        started = time.perf_counter()
        yield RunStarted(run.target, total)
        capabilities = Capabilities()
        if self.discover_capabilities and recordings:
            capabilities = discover(self.transport, self.default_headers())
        run.capabilities = dict(capabilities.features)
        run.capability_note = capabilities.note
        index = 0
        for error in errors:
            placeholder = _placeholder(error)
            yield RecordingStarted(placeholder, index, total)
            result = RecordingResult(placeholder, Outcome.ERROR, reason=str(error))
            run.results.append(result)
            yield RecordingFinished(result)
            index += 1
        for recording in recordings:
            yield RecordingStarted(recording, index, total)
            result = RecordingResult(recording, Outcome.PASSED)
            yield from self._replay(recording, result, capabilities)
            run.results.append(result)
            yield RecordingFinished(result)
            index += 1
        run.duration = time.perf_counter() - started
        yield RunFinished(run)

    def run(
        self,
        recordings: Iterable[Recording],
        errors: Iterable[RecordingError] = (),
        *,
        on_event: Callable[[Event], None] | None = None,
    ) -> RunResult:
        """Replay everything; return the :class:`RunResult` (``on_event`` sees each event live)."""
        final: RunResult | None = None
        for event in self.events(recordings, errors):
            if on_event is not None:
                on_event(event)
            if isinstance(event, RunFinished):
                final = event.result
        assert final is not None
        return final

    # -- one recording -------------------------------------------------------------------------

    def _replay(
        self, recording: Recording, result: RecordingResult, capabilities: Capabilities
    ) -> Iterator[Event]:
        started = time.perf_counter()
        unadvertised = self._unadvertised(recording.requires, recording, capabilities)
        if unadvertised is not None:
            result.unadvertised = unadvertised
        variables: dict[str, Any] = {"unique": self._unique()}
        try:
            for name, template in recording.variables.items():
                variables[name] = substitute(template, variables, new_uuid=self._new_uuid)
        except UndefinedVariable as exc:
            result.outcome = Outcome.ERROR
            result.reason = f"variables: {exc}"
            return
        created: dict[str, None] = {}  # paths of resources this run created, in order
        failed_captures: dict[str, str] = {}
        try:
            for step in recording.steps:
                step_result = self._step(
                    step, recording, variables, capabilities, failed_captures, created
                )
                if unadvertised is not None and not step_result.unadvertised:
                    _as_warning(step_result, unadvertised)
                if not step_result.interop:  # skipped or not checkable: so for every IdP
                    affected = recording.interop_of(step)
                    step_result.interop = dict.fromkeys(affected, step_result.outcome)
                for name in step.capture:
                    # A step that did not run (or got no answer) captured nothing: later steps
                    # needing its values are skipped, naming the step that should have given them.
                    if name not in variables:
                        failed_captures.setdefault(name, step.label)
                result.steps.append(step_result)
                yield StepFinished(recording, step_result)
        finally:
            # Even when a step blew up or the consumer stopped early: a second run must find the
            # target as the first did.
            if created and recording.cleanup and self.cleanup:
                result.cleanup = self._cleanup(list(created))
        result.variables = {k: self.redactor.text(str(v)) for k, v in variables.items()}
        result.outcome = _overall([s.outcome for s in result.steps])
        if result.unadvertised and result.outcome is not Outcome.SKIPPED:
            result.reason = f"ran as warnings: {result.unadvertised}"
        if result.outcome is Outcome.SKIPPED and result.steps:
            result.reason = result.steps[0].reason
        result.duration = time.perf_counter() - started

    def _unadvertised(
        self, requires: Iterable[str], recording: Recording, capabilities: Capabilities
    ) -> str | None:
        """Why the target disclaims what these ``requires`` need (the RFC suite then runs it as
        warnings: a server may lack an optional feature), or None to grade it fully."""
        if self.ignore_capabilities or recording.is_idp:
            return None
        for requirement in requires:
            reason = capabilities.missing(requirement)
            if reason is not None:
                return reason
        return None

    def _step(
        self,
        step: Step,
        recording: Recording,
        variables: dict[str, Any],
        capabilities: Capabilities,
        failed_captures: dict[str, str],
        created: dict[str, None],
    ) -> StepResult:
        try:
            request = self._build_request(step, variables)
            expected_json = (
                substitute(step.expect.json, variables, new_uuid=self._new_uuid)
                if step.expect.has_json
                else None
            )
            expected_headers = substitute(
                dict(step.expect.headers), variables, new_uuid=self._new_uuid
            )
        except UndefinedVariable as exc:
            blocked_by = failed_captures.get(exc.name)
            if blocked_by is not None:
                return StepResult(
                    step,
                    Outcome.SKIPPED,
                    reason=f"not run: needs ${{{exc.name}}}, which step {blocked_by} "
                    "could not capture",
                )
            return StepResult(step, Outcome.ERROR, reason=f"bad recording: {exc}")
        started = time.perf_counter()
        try:
            response = self.transport.send(request)
        except TransportError as exc:
            return StepResult(
                step,
                Outcome.ERROR,
                request=self._redact_request(request),
                reason=self.redactor.text(f"no answer: {exc}"),
                duration=time.perf_counter() - started,
            )
        duration = time.perf_counter() - started
        _track(request, response, created)
        mismatches = list(_check(step, response, expected_headers, expected_json))
        for name, where in step.capture.items():
            try:
                variables[name] = _capture(response, where)
            except LookupError as exc:
                failed_captures[name] = step.label
                mismatches.append(
                    Mismatch(
                        "capture",
                        f"cannot capture ${{{name}}} from {where!r}: {exc}",
                        where,
                        ABSENT,
                    )
                )
        rfc_outcome = Outcome.PASSED
        interop = dict.fromkeys(recording.interop_of(step), Outcome.PASSED)
        if mismatches:
            rfc_outcome = Outcome.FAILED if step.level == "MUST" else Outcome.WARNED
            interop = {
                idp: Outcome.FAILED if effect.severity == "blocker" else Outcome.WARNED
                for idp, effect in recording.interop_of(step).items()
            }
        checked = StepResult(
            step,
            worst([rfc_outcome, *interop.values()]),
            request=self._redact_request(request),
            response=self._redact_response(response),
            mismatches=[self._redact_mismatch(m) for m in mismatches],
            duration=duration,
            rfc_outcome=rfc_outcome,
            interop=interop,
        )
        unadvertised = self._unadvertised(step.requires, recording, capabilities)
        if unadvertised is not None:
            _as_warning(checked, unadvertised)
        return checked

    def _build_request(self, step: Step, variables: Mapping[str, Any]) -> Request:
        spec = step.request
        path = substitute(spec.path, variables, new_uuid=self._new_uuid)
        query = substitute(dict(spec.query), variables, new_uuid=self._new_uuid)
        step_headers: dict[str, Any] = substitute(
            dict(spec.headers), variables, new_uuid=self._new_uuid
        )
        body: bytes | None = None
        if spec.has_json:
            payload = substitute(spec.json, variables, new_uuid=self._new_uuid)
            body = json.dumps(payload).encode("utf-8")
        elif spec.body is not None:
            body = str(substitute(spec.body, variables, new_uuid=self._new_uuid)).encode("utf-8")
        headers = self.default_headers()
        if body is not None:
            headers["Content-Type"] = f"{SCIM_MEDIA_TYPE}; charset=utf-8"
        for name, value in step_headers.items():
            for existing in [k for k in headers if k.lower() == name.lower()]:
                del headers[existing]
            if value != "":
                headers[name] = str(value)
        return Request(
            spec.method,
            str(path),
            {k: str(v) for k, v in query.items()},
            headers,
            body,
        )

    def _cleanup(self, paths: list[str]) -> list[str]:
        notes = []
        for path in reversed(paths):
            try:
                response = self.transport.send(Request("DELETE", path, {}, self.default_headers()))
                notes.append(f"DELETE {path} -> {response.status}")
            except TransportError as exc:
                notes.append(f"DELETE {path} -> no answer ({exc})")
        return notes

    # -- redaction -------------------------------------------------------------------------------

    def _redact_request(self, request: Request) -> Request:
        body = self.redactor.bytes(request.body) if request.body else request.body
        return Request(
            request.method,
            self.redactor.text(request.path),
            {k: self.redactor.text(v) for k, v in request.query.items()},
            self.redactor.headers(request.headers),
            body,
        )

    def _redact_response(self, response: Response) -> Response:
        return Response(
            response.status,
            self.redactor.headers(response.headers),
            self.redactor.bytes(response.body),
            response.elapsed,
        )

    def _redact_mismatch(self, mismatch: Mismatch) -> Mismatch:
        return Mismatch(
            mismatch.path,
            self.redactor.text(mismatch.message),
            mismatch.expected,
            mismatch.actual,
        )


def _as_warning(result: StepResult, why: str) -> None:
    """Grade a step of a feature the target disclaims: a failure is only a warning."""
    result.unadvertised = why
    if result.outcome is Outcome.FAILED:
        result.outcome = Outcome.WARNED
    if result.rfc_outcome is Outcome.FAILED:
        result.rfc_outcome = Outcome.WARNED
    result.interop = {
        idp: Outcome.WARNED if o is Outcome.FAILED else o for idp, o in result.interop.items()
    }


def _placeholder(error: RecordingError) -> Recording:
    path = Path(error.source)
    idp = path.parent.name.lower() if path.parent.name else "unknown"
    return Recording(name=str(path), idp=idp or "unknown", steps=(), path=path)


def _check(
    step: Step, response: Response, headers: Mapping[str, Any], expected_json: Any
) -> Iterator[Mismatch]:
    wanted = step.expect.status
    if wanted and response.status not in wanted:
        expected = " or ".join(map(str, wanted))
        detail = _error_detail(response)
        yield Mismatch(
            "status",
            f"expected status {expected}, got {response.status}{detail}",
            list(wanted),
            response.status,
        )
    for name, spec in headers.items():
        actual = response.header(name)
        found = match(spec, ABSENT if actual is None else actual, f"header {name}")
        if found is not None:
            yield found
    if step.expect.has_json:
        try:
            body = response.json()
        except ValueError as exc:
            preview = response.text[:80]
            yield Mismatch("$", f"the response body is not JSON ({exc}): {preview!r}", None, None)
            return
        found = match(expected_json, body)
        if found is not None:
            yield found


def _error_detail(response: Response) -> str:
    """`` (scimType: detail)`` from a SCIM error body, to say why the service refused."""
    if response.status < 400:
        return ""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    parts = [str(body[k]) for k in ("scimType", "detail") if isinstance(body.get(k), str)]
    return f" ({': '.join(parts)})" if parts else ""


def _capture(response: Response, where: str) -> Any:
    if where.startswith("header:"):
        value = response.header(where[len("header:") :])
        if value is None:
            raise LookupError(f"no {where[len('header:') :]} header in the response")
        return value
    try:
        body = response.json()
    except ValueError as exc:
        raise LookupError(f"the response body is not JSON ({exc})") from exc
    return resolve_pointer(body, where)


def _resource_path(location: str, endpoint: str) -> str | None:
    """``/Users/abc`` from a Location (absolute or relative) below ``endpoint`` (``/Users``)."""
    path = urlsplit(location).path.rstrip("/")
    name = endpoint.strip("/")
    marker = f"/{name}/"
    at = path.rfind(marker)
    if not name or at < 0:
        return None
    rest = path[at + len(marker) :]
    return f"/{name}/{rest}" if rest and "/" not in rest else None


def _created_by_post(path: str, response: Response) -> str | None:
    """The resource a 2xx POST to a resource endpoint created: its Location, else its ``id``."""
    location = response.header("Location")
    if location:
        found = _resource_path(location, path)
        if found is not None:
            return found
    try:
        body = response.json()
    except ValueError:
        return None
    new_id = body.get("id") if isinstance(body, dict) else None
    return f"{path}/{new_id}" if isinstance(new_id, str) and new_id else None


def _bulk_effects(request: Request, response: Response) -> Iterator[tuple[str, str]]:
    """``(method, resource path)`` of each Bulk operation that succeeded (POSTs by location)."""
    try:
        body = response.json()
    except ValueError:
        return
    operations = body.get("Operations") if isinstance(body, dict) else None
    sent = request.json()
    sent_ops = sent.get("Operations") if isinstance(sent, dict) else None
    for index, op in enumerate(operations if isinstance(operations, list) else []):
        if not isinstance(op, dict) or not str(op.get("status", "")).startswith("2"):
            continue
        method = str(op.get("method", "")).upper()
        asked: Any = None
        if isinstance(sent_ops, list) and index < len(sent_ops):
            asked = sent_ops[index]
        target = str(asked.get("path", "")) if isinstance(asked, dict) else ""
        location = op.get("location")
        if method == "POST" and isinstance(location, str):
            endpoint = (
                target if target.count("/") == 1 else "/" + location.rstrip("/").split("/")[-2]
            )
            found = _resource_path(location, endpoint)
            if found is not None:
                yield method, found
        elif method == "DELETE" and target.count("/") == 2:
            yield method, target.rstrip("/")


def _track(request: Request, response: Response, created: dict[str, None]) -> None:
    """Remember resources a POST (or a Bulk POST) created; forget those a DELETE removed."""
    path = request.path.split("?")[0].rstrip("/")
    ok = 200 <= response.status < 300
    if request.method == "POST" and ok and path.endswith("/Bulk"):
        for method, resource in _bulk_effects(request, response):
            if method == "POST":
                created[resource] = None
            else:
                created.pop(resource, None)
    elif request.method == "POST" and ok:
        if path.endswith("/.search") or path.count("/") != 1:
            return
        new = _created_by_post(path, response)
        if new is not None:
            created[new] = None
    elif request.method == "DELETE" and (ok or response.status == 404):
        created.pop(path, None)


def _overall(outcomes: list[Outcome]) -> Outcome:
    return worst(outcomes)


def run(
    recordings: Iterable[Recording],
    transport: Transport,
    *,
    token: str | None = None,
    ignore_capabilities: bool = False,
    cleanup: bool = True,
    on_event: Callable[[Event], None] | None = None,
) -> RunResult:
    """Replay ``recordings`` against ``transport``: the one-call form of :class:`Runner`."""
    runner = Runner(
        transport, token=token, ignore_capabilities=ignore_capabilities, cleanup=cleanup
    )
    return runner.run(recordings, on_event=on_event)
