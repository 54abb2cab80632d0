"""ScimService: the sans-IO SCIM request handler (a ScimRequest in, a ScimResponse out).

Routing, authentication, limits, content negotiation, ETags and the one place where errors become
SCIM error responses. Storage, time and ids are passed in; nothing here reads a socket or a global.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, cast
from urllib.parse import unquote

import attrs

from scimcore.errors import (
    ERROR_URN,
    Conflict,
    InvalidSyntax,
    InvalidValue,
    MethodNotAllowed,
    NotFound,
    NotImplementedFeature,
    PayloadTooLarge,
    ScimError,
    ServerError,
    TooManyRequests,
    Unauthorized,
)
from scimcore.schema import BULK_REQUEST_URN, BULK_RESPONSE_URN, PATCH_OP_URN, ResourceType
from scimcore.service import _boundary, _bulk, _deps, _discovery
from scimcore.service._auditing import Auditor
from scimcore.service._config import ServiceConfig
from scimcore.service._hooks import AuditRecord, RequestContext, guess_idp
from scimcore.service._http import (
    SCIM_CONTENT_TYPE,
    ScimRequest,
    ScimResponse,
    dump_json,
    response_content_type,
)
from scimcore.service._listing import ListParams, list_params, search_body_params
from scimcore.service._prefer import prefer_return
from scimcore.service._ratelimit import _Buckets
from scimcore.service._redact import storable
from scimcore.service._resources import Outcome, ResourceEngine, Trace
from scimcore.store import Store

logger = logging.getLogger("scimcore.service")

_DISCOVERY = frozenset(("serviceproviderconfig", "schemas", "resourcetypes"))


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return str(uuid.uuid4())


@attrs.define(slots=True)
class _Call:
    """One request being handled: the request, who sent it, and the response media type."""

    request: ScimRequest
    ctx: RequestContext
    content_type: str

    def param_list(self, name: str) -> tuple[str, ...] | None:
        for key, value in self.request.query.items():
            if key.lower() == name.lower():
                items = tuple(v.strip() for v in value.split(",") if v.strip())
                return items or None
        return None


class ScimService:
    """A SCIM 2.0 service provider over a :class:`~scimcore.store.Store`.

    ``handle(request)`` never raises: every failure becomes a SCIM error response, and anything
    unexpected becomes a 500 with a generic detail (the exception goes to the
    ``scimcore.service`` logger). The service holds no per-request state, so one instance serves
    any number of threads, as long as the store does.
    """

    def __init__(
        self,
        store: Store,
        config: ServiceConfig | None = None,
        *,
        clock: Callable[[], datetime] = _utc_now,
        id_factory: Callable[[], str] = _new_id,
    ) -> None:
        self.store = store
        self.config = config if config is not None else ServiceConfig()
        self._clock = clock
        self._engine = ResourceEngine(store, self.config, clock, id_factory)
        self._auditor = Auditor(store, self.config)
        if self.config.audit_to_store:
            self._engine.audit_writer = self._auditor.write_in
        self._buckets = (
            _Buckets(self.config.rate_limit) if self.config.rate_limit is not None else None
        )

    # -- the entry point --------------------------------------------------------------------------

    def handle(self, request: ScimRequest) -> ScimResponse:
        """Handle one request; always returns a response."""
        try:
            return self._handle_request(request)
        except Exception:  # the last line of defence: nothing below should ever get here
            logger.exception("unexpected error handling a request")
            body = render_error(ServerError("internal server error; the server log has it"))
            return ScimResponse(500, {"Content-Type": SCIM_CONTENT_TYPE}, body)

    def _handle_request(self, request: ScimRequest) -> ScimResponse:
        if "?" in request.path:
            # A query string left on the path (OneLogin's trailing "?", or a caller that did not
            # split it off) is read like any other; explicit ``query`` entries win.
            path, _, raw = request.path.partition("?")
            query = {**ScimRequest("GET", "/", raw).query, **request.query}
            request = attrs.evolve(request, path=path, query=query)
        ua = request.header("user-agent")
        ctx = RequestContext(
            time=self._clock(),
            user_agent=ua,
            client_ip=request.client,
            idp=guess_idp(ua, request.headers, None),
            method=request.method,
            path=request.path,
        )
        call = _Call(request, ctx, response_content_type(request.header("accept")))
        trace = Trace()
        records: list[AuditRecord] = []
        try:
            response = self._handle(call, trace, records)
            error: ScimError | None = None
        except ScimError as exc:
            error = exc
            response = self._error(exc, call)
        except Exception:
            logger.exception("unexpected error handling %s %s", request.method, request.path)
            error = ServerError("internal server error; the server log has the details")
            response = self._error(error, call)
        return self._audited(call, trace, records, response, error)

    def _audited(
        self,
        call: _Call,
        trace: Trace,
        records: list[AuditRecord],
        response: ScimResponse,
        error: ScimError | None,
    ) -> ScimResponse:
        """Deliver the records the transactions did not take; a read that must be recorded and
        cannot be is not answered (500), a failure is answered as it was.

        A Bulk is answered as it was too: each operation committed (with its own record) or
        rolled back before this point, so a 500 now would tell the client that operations it
        can no longer undo did not happen.
        """
        auditor = self._auditor
        own = None
        # a record written in the write's transaction committed only if the write succeeded (a
        # failed COMMIT takes it along): a failure is always recorded here
        in_tx = trace.audited and response.status < 400
        if not in_tx and auditor.wants(trace.action, response.status):
            own = auditor.record(call.ctx, trace, response.status, error)
            records.append(own)
        stored = auditor.deliver(records)
        auditor.sweep(call.ctx)
        committed = trace.action == "bulk"
        if not stored and own is not None and response.status < 400 and not committed:
            failed = ServerError(
                "the audit record of this request could not be written; the server log has"
                " the details"
            )
            return self._error(failed, call)
        return response

    def _loads(self, body: bytes) -> dict[str, Any]:
        limit = max(self.config.max_body_bytes, self.config.bulk_max_payload_bytes)
        data = _deps.loads(body, max_bytes=limit)
        _boundary.check_body(data)
        return data

    # -- routing --------------------------------------------------------------------------------

    def _segments(self, path: str) -> list[str]:
        path = path.split("?", 1)[0]
        prefix = self.config.base_path
        if prefix and (path == prefix or path.startswith(prefix + "/")):
            path = path[len(prefix) :]
        return [unquote(s) for s in path.split("/") if s]

    def _handle(self, call: _Call, trace: Trace, records: list[AuditRecord]) -> ScimResponse:
        request = call.request
        _boundary.check_path(request.path)
        _boundary.check_query(request.query)
        _boundary.check_headers(request.headers.items())
        segments = self._segments(request.path)
        trace.action = _guess_action(request.method, segments)
        head = segments[0].lower() if segments else ""
        public = head in _DISCOVERY and self.config.public_discovery
        auth = self.config.authenticator
        if auth is not None and not public:
            principal = auth.authenticate(request)
            call.ctx = attrs.evolve(
                call.ctx,
                token_name=principal.name,
                idp=guess_idp(call.ctx.user_agent, request.headers, principal.name),
            )
        if self._buckets is not None:
            key = call.ctx.token_name or call.ctx.client_ip or "-"
            self._buckets.take(key, call.ctx.time.timestamp())
        limit = self.config.bulk_max_payload_bytes if head == "bulk" else self.config.max_body_bytes
        if len(request.body) > limit:
            raise PayloadTooLarge(
                f"the request body is {len(request.body)} bytes; "
                f"this server accepts at most {limit}"
            )
        if head in _DISCOVERY:
            return self._discovery(call, segments)
        if head == "me":
            segments = self._me(call, segments)
            head = "users"
        if head == "bulk" and len(segments) == 1:
            _allow(request.method, ("POST",))
            return self._json(call, 200, self._bulk(call, records))
        if head == ".search" and len(segments) == 1:
            _allow(request.method, ("POST",))
            params = self._search_params(call)
            return self._json(call, 200, self._engine.search_all(params, trace))
        rt = self.config.registry.resource_type_for_endpoint(segments[0]) if segments else None
        if rt is None or len(segments) > 2:
            raise NotFound(f"no SCIM endpoint at {request.path!r}")
        trace.resource_type = rt.name
        if len(segments) == 1:
            _allow(request.method, ("GET", "POST"))
            if request.method == "GET":
                params = list_params(
                    request.query,
                    default_count=self.config.default_count,
                    max_results=self.config.max_results,
                    max_filter_length=self.config.max_filter_length,
                )
                return self._json(call, 200, self._engine.list(rt, params, trace))
            data = self._loads(request.body)
            outcome = self._engine.create(
                rt,
                data,
                call.ctx,
                trace,
                attributes=call.param_list("attributes"),
                excluded=call.param_list("excludedAttributes"),
            )
            return self._outcome(call, outcome)
        if segments[1] == ".search":
            _allow(request.method, ("POST",))
            params = self._search_params(call)
            return self._json(call, 200, self._engine.list(rt, params, trace))
        return self._resource(call, rt, segments[1], trace)

    def _resource(self, call: _Call, rt: ResourceType, rid: str, trace: Trace) -> ScimResponse:
        request = call.request
        method = request.method
        _allow(method, ("GET", "PUT", "PATCH", "DELETE"))
        attributes = call.param_list("attributes")
        excluded = call.param_list("excludedAttributes")
        if_match = request.header("if-match")
        if method == "GET":
            outcome = self._engine.read(
                rt,
                rid,
                trace,
                attributes=attributes,
                excluded=excluded,
                if_none_match=request.header("if-none-match"),
            )
        elif method == "PUT":
            outcome = self._engine.replace(
                rt,
                rid,
                self._loads(request.body),
                call.ctx,
                trace,
                if_match=if_match,
                attributes=attributes,
                excluded=excluded,
            )
        elif method == "PATCH":
            prefer = prefer_return(request.header("prefer"))
            outcome = self._engine.patch(
                rt,
                rid,
                self._loads(request.body),
                call.ctx,
                trace,
                if_match=if_match,
                attributes=attributes,
                excluded=excluded,
                reply=None if prefer is None else _PREFERRED_REPLY[prefer],
            )
            if prefer is not None:  # RFC 7240 §3: say that the preference was honoured
                response = self._outcome(call, outcome)
                applied = {**response.headers, "Preference-Applied": f"return={prefer}"}
                return attrs.evolve(response, headers=applied)
        else:
            outcome = self._engine.delete(rt, rid, call.ctx, trace, if_match=if_match)
        return self._outcome(call, outcome)

    def _discovery(self, call: _Call, segments: list[str]) -> ScimResponse:
        _allow(call.request.method, ("GET",))
        head = segments[0].lower()
        config = self.config
        body: dict[str, Any]
        if head == "serviceproviderconfig" and len(segments) == 1:
            body = _discovery.service_provider_config(config)
        elif head == "schemas" and len(segments) == 1:
            body = _discovery.schemas(config)
        elif head == "schemas" and len(segments) == 2:
            body = _discovery.schema(config, segments[1])
        elif head == "resourcetypes" and len(segments) == 1:
            body = _discovery.resource_types(config)
        elif head == "resourcetypes" and len(segments) == 2:
            body = _discovery.resource_type(config, segments[1])
        else:
            raise NotFound(f"no SCIM endpoint at {call.request.path!r}")
        return self._json(call, 200, body)

    def _me(self, call: _Call, segments: list[str]) -> list[str]:
        if self.config.me is None:
            raise NotImplementedFeature("/Me is not enabled on this server")
        uid = self.config.me(call.ctx)
        if uid is None:
            raise NotFound("the authenticated subject has no User resource on this server")
        if len(segments) > 1:
            raise NotFound(f"no SCIM endpoint at {call.request.path!r}")
        if call.request.method == "POST":
            raise NotImplementedFeature("creating a resource through /Me is not supported")
        return ["Users", uid]

    def _search_params(self, call: _Call) -> ListParams:
        return search_body_params(
            self._loads(call.request.body),
            default_count=self.config.default_count,
            max_results=self.config.max_results,
            max_filter_length=self.config.max_filter_length,
        )

    # -- bulk -----------------------------------------------------------------------------------

    def _bulk(self, call: _Call, records: list[AuditRecord]) -> dict[str, Any]:
        body = self._loads(call.request.body)
        schemas = body.get("schemas")
        if not isinstance(schemas, list) or BULK_REQUEST_URN.lower() not in {
            str(s).lower() for s in schemas
        }:
            raise InvalidSyntax(f"a bulk request's schemas must contain {BULK_REQUEST_URN}")
        ops = body.get("Operations", body.get("operations"))
        if not isinstance(ops, list) or not all(isinstance(o, Mapping) for o in ops):
            raise InvalidSyntax("a bulk request needs an 'Operations' list of objects")
        if len(ops) > self.config.bulk_max_operations:
            raise PayloadTooLarge(
                f"the bulk request has {len(ops)} operations; this server accepts at most "
                f"{self.config.bulk_max_operations}"
            )
        fail_on = body.get("failOnErrors")
        if fail_on is not None and (
            isinstance(fail_on, bool) or not isinstance(fail_on, int) or fail_on < 1
        ):
            raise InvalidSyntax("failOnErrors must be a positive integer")
        bulk_ids = _bulk_ids(ops)
        refs = [_bulk.references([o.get("path"), o.get("data")]) for o in ops]
        order, cyclic = _bulk.processing_order(bulk_ids, refs)
        created: dict[str, str] = {}
        failed: set[str] = set()
        results: dict[int, dict[str, Any]] = {}
        errors = 0
        for i in [*order, *sorted(cyclic)]:
            if fail_on is not None and errors >= fail_on:
                break
            op = ops[i]
            trace = Trace()
            op_ctx = attrs.evolve(
                call.ctx,
                method=str(op.get("method", "")).upper(),
                path=str(op.get("path", "")),
            )
            try:
                if i in cyclic:
                    raise Conflict(
                        "this operation is part of (or waits on) a circular bulkId reference"
                    )
                missing = sorted(r for r in refs[i] if r not in created)
                if missing:
                    why = "failed" if any(m in failed for m in missing) else "is not defined"
                    raise Conflict(f"bulkId {missing[0]!r} cannot be resolved: its operation {why}")
                result = self._bulk_op(op_ctx, op, created, trace)
                bid = bulk_ids[i]
                if bid is not None and op.get("method", "").upper() == "POST" and trace.resource_id:
                    created[bid] = trace.resource_id
                results[i] = result
                status, scim_error = int(result["status"]), None
            except ScimError as exc:
                errors += 1
                if bulk_ids[i] is not None:
                    failed.add(str(bulk_ids[i]))
                results[i] = _bulk_error(op, exc)
                status, scim_error = exc.status, exc
            except Exception:
                logger.exception("unexpected error in bulk operation %d", i)
                errors += 1
                exc500 = ServerError("internal server error; the server log has the details")
                results[i] = _bulk_error(op, exc500)
                status, scim_error = 500, exc500
            if not (trace.audited and status < 400) and self._auditor.wants(trace.action, status):
                records.append(
                    self._auditor.record(op_ctx, trace, status, scim_error, bulk_op=True)
                )
        return {
            "schemas": [BULK_RESPONSE_URN],
            "Operations": [results[i] for i in sorted(results)],
        }

    def _bulk_op(
        self, ctx: RequestContext, op: Mapping[str, Any], created: Mapping[str, str], trace: Trace
    ) -> dict[str, Any]:
        method = op.get("method")
        path = op.get("path")
        if not isinstance(method, str) or method.upper() not in ("POST", "PUT", "PATCH", "DELETE"):
            raise InvalidSyntax("each bulk operation needs a method: POST, PUT, PATCH or DELETE")
        if not isinstance(path, str) or not path.startswith("/"):
            raise InvalidSyntax("each bulk operation needs a path such as /Users or /Users/{id}")
        method = method.upper()
        _boundary.check_path(path, where="the operation's path")
        segments = [unquote(s) for s in _bulk.substitute(path, created).split("/") if s]
        rt = self.config.registry.resource_type_for_endpoint(segments[0]) if segments else None
        if rt is None or len(segments) > 2:
            raise NotFound(f"no resource endpoint at {path!r}")
        trace.resource_type = rt.name
        data = _bulk.substitute(op.get("data"), created)
        version = op.get("version") if isinstance(op.get("version"), str) else None
        outcome: Outcome
        if method == "POST":
            if len(segments) != 1:
                raise InvalidSyntax("a bulk POST's path is the endpoint, such as /Users")
            if not isinstance(op.get("bulkId"), str):
                raise InvalidSyntax("a bulk POST needs a bulkId")
            if not isinstance(data, Mapping):
                raise InvalidSyntax("a bulk POST needs the resource in 'data'")
            outcome = self._engine.create(rt, data, ctx, trace)
        else:
            if len(segments) != 2:
                raise InvalidSyntax(
                    f"a bulk {method}'s path names a resource, such as /Users/{{id}}"
                )
            rid = segments[1]
            if method != "DELETE" and not isinstance(data, Mapping):
                raise InvalidSyntax(f"a bulk {method} needs a body in 'data'")
            if method == "PUT":
                outcome = self._engine.replace(rt, rid, data, ctx, trace, if_match=version)
            elif method == "PATCH":
                request = dict(data)
                request.setdefault("schemas", [PATCH_OP_URN])
                outcome = self._engine.patch(rt, rid, request, ctx, trace, if_match=version)
            else:
                outcome = self._engine.delete(rt, rid, ctx, trace, if_match=version)
        result: dict[str, Any] = {"method": method}
        if isinstance(op.get("bulkId"), str):
            result["bulkId"] = op["bulkId"]
        if outcome.etag is not None:
            result["version"] = outcome.etag
        if trace.resource_id is not None and method != "DELETE":
            result["location"] = self._engine.location(rt, trace.resource_id)
        result["status"] = str(outcome.status)
        return result

    # -- responses ------------------------------------------------------------------------------

    def _json(self, call: _Call, status: int, body: Mapping[str, Any]) -> ScimResponse:
        return ScimResponse(status, {"Content-Type": call.content_type}, dump_json(body))

    def _outcome(self, call: _Call, outcome: Outcome) -> ScimResponse:
        headers: dict[str, str] = {}
        if outcome.etag is not None:
            headers["ETag"] = outcome.etag
        if outcome.status == 201 and outcome.location is not None:
            headers["Location"] = outcome.location
        if outcome.body is None:
            return ScimResponse(outcome.status, headers, b"")
        headers["Content-Type"] = call.content_type
        return ScimResponse(outcome.status, headers, dump_json(outcome.body))

    def _error(self, exc: ScimError, call: _Call) -> ScimResponse:
        """The one place an error becomes a SCIM error response."""
        headers = {"Content-Type": call.content_type}
        if isinstance(exc, Unauthorized):
            auth = self.config.authenticator
            headers["WWW-Authenticate"] = auth.challenge if auth is not None else "Bearer"
        elif isinstance(exc, TooManyRequests):
            headers["Retry-After"] = str(int(exc.retry_after))
        elif isinstance(exc, _MethodNotAllowed):
            headers["Allow"] = ", ".join(exc.allow)
        return ScimResponse(exc.status, headers, render_error(exc))


_PREFERRED_REPLY: dict[str, Literal["resource", "no_content"]] = {
    "minimal": "no_content",
    "representation": "resource",
}


class _MethodNotAllowed(MethodNotAllowed):
    """405 carrying the methods the endpoint does allow (for the Allow header)."""

    def __init__(self, detail: str, allow: Sequence[str]) -> None:
        super().__init__(detail)
        self.allow = tuple(allow)


def _allow(method: str, allowed: Sequence[str]) -> None:
    if method not in allowed:
        raise _MethodNotAllowed(f"{method} is not allowed here; use {', '.join(allowed)}", allowed)


def error_body(exc: ScimError) -> dict[str, Any]:
    """The SCIM Error body of ``exc``; it cannot fail, whatever the detail or path hold."""
    try:
        return cast(dict[str, Any], storable(exc.to_dict()))
    except Exception:  # a broken subclass: still an answer, with the status it claims
        status = exc.status if isinstance(exc.status, int) else 500
        return {"schemas": [ERROR_URN], "status": str(status), "detail": "the request failed"}


def render_error(exc: ScimError) -> bytes:
    """The encoded SCIM Error body of ``exc`` (never raises)."""
    try:
        return dump_json(error_body(exc))
    except Exception:
        return dump_json({"schemas": [ERROR_URN], "status": "500", "detail": "the request failed"})


def _bulk_ids(ops: Sequence[Mapping[str, Any]]) -> list[str | None]:
    """Each operation's bulkId; an empty, non-string or repeated one refuses the request.

    A bulkId names one operation for ``bulkId:…`` references (RFC 7644 §3.7.2): an empty one
    names nothing, and a repeated one would make every reference to it ambiguous.
    """
    out: list[str | None] = []
    first: dict[str, int] = {}
    for i, op in enumerate(ops):
        if "bulkId" not in op or op["bulkId"] is None:
            out.append(None)
            continue
        bid = op["bulkId"]
        if not isinstance(bid, str) or not bid.strip():
            raise InvalidValue(
                "a bulkId must be a non-empty string", path=["Operations", i, "bulkId"]
            )
        if bid in first:
            raise InvalidValue(
                f"bulkId {bid!r} is used by operations {first[bid]} and {i}; each operation "
                "needs its own",
                path=["Operations", i, "bulkId"],
            )
        first[bid] = i
        out.append(bid)
    return out


def _bulk_error(op: Mapping[str, Any], exc: ScimError) -> dict[str, Any]:
    out: dict[str, Any] = {"method": storable(str(op.get("method", "")).upper())}
    if isinstance(op.get("bulkId"), str):
        out["bulkId"] = storable(op["bulkId"])
    out["status"] = str(exc.status)
    out["response"] = error_body(exc)
    return out


def _guess_action(method: str, segments: Sequence[str]) -> str:
    head = segments[0].lower() if segments else ""
    if head in _DISCOVERY:
        return "discovery"
    if head == "bulk":
        return "bulk"
    if head == ".search" or (len(segments) == 2 and segments[1] == ".search"):
        return "search"
    by_method = {"POST": "create", "PUT": "replace", "PATCH": "patch", "DELETE": "delete"}
    if len(segments) == 1 and method == "GET":
        return "list"
    if method == "GET":
        return "read"
    return by_method.get(method, "unknown")
