"""The service's audit sink: turn each :class:`scimcore.service.AuditRecord` into an AuditEvent."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from scimcore.audit._log import AuditLog
from scimcore.audit._record import REDACTED, AuditEvent, is_secret_key, redact
from scimcore.service import AuditRecord, AuditSink


def _diff(changes: Mapping[str, Mapping[str, Any]] | None) -> tuple[dict[str, Any], ...]:
    out: list[dict[str, Any]] = []
    for path, change in (changes or {}).items():
        old, new = change.get("old"), change.get("new")
        secret = is_secret_key(path.rsplit(":", 1)[-1].rsplit(".", 1)[-1])
        entry: dict[str, Any] = {"path": path}
        if old is None:
            entry["op"] = "add"
        elif new is None:
            entry["op"] = "remove"
        else:
            entry["op"] = "replace"
        if old is not None:
            entry["old"] = REDACTED if secret else redact(old)
        if new is not None:
            entry["new"] = REDACTED if secret else redact(new)
        out.append(entry)
    return tuple(out)


def event_from_service(record: AuditRecord, *, event_id: str | None = None) -> AuditEvent:
    """Convert the service's per-request record into a stored :class:`AuditEvent`."""
    return AuditEvent(
        id=event_id or uuid.uuid4().hex,
        time=record.time,
        action=record.action,
        method=record.method,
        path=record.path,
        resource_type=record.resource_type,
        resource_id=record.resource_id,
        user_name=record.user_name,
        status=record.status,
        scim_type=record.scim_type,
        detail=record.detail,
        idp=record.idp,
        token_name=record.token_name,
        user_agent=record.user_agent,
        client_ip=record.client_ip,
        diff=_diff(record.changes),
    )


def audit_sink(log: AuditLog, *, id_factory: Callable[[], str] | None = None) -> AuditSink:
    """The ``ServiceConfig.audit_sink`` that appends every request's record to ``log``."""

    def sink(record: AuditRecord, /) -> None:
        log.append(event_from_service(record, event_id=id_factory() if id_factory else None))

    return sink
