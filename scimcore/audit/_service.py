"""The service's audit sink: turn each :class:`scimcore.service.AuditRecord` into an AuditEvent."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from scimcore.audit._log import AuditLog, open_audit_log
from scimcore.audit._record import REDACTED, AuditEvent, is_secret_key, redact
from scimcore.errors import ConfigurationError
from scimcore.service import AuditRecord, AuditSink, ServiceConfig
from scimcore.service._settings import register_config_section

_SWEEP_EVERY = dt.timedelta(hours=1)


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


def audit_sink(
    log: AuditLog,
    *,
    retention: dt.timedelta | None = None,
    id_factory: Callable[[], str] | None = None,
) -> AuditSink:
    """The ``ServiceConfig.audit_sink`` that appends every request's record to ``log``.

    With ``retention``, records older than that are cleared as time passes (at most once an
    hour, judged by the records' own times: the service's injected clock, not the wall clock).
    """
    swept: list[dt.datetime] = []

    def sink(record: AuditRecord, /) -> None:
        log.append(event_from_service(record, event_id=id_factory() if id_factory else None))
        if retention is not None and (not swept or record.time - swept[0] >= _SWEEP_EVERY):
            swept[:] = [record.time]
            log.clear(before=record.time - retention)

    return sink


@attrs.frozen(slots=True)
class AuditSettings:
    """The ``[audit]`` table of ``scimcore serve --config``, kept until the database is known.

    It sits in ``ServiceConfig.audit_sink`` as a placeholder (recording nothing) until
    :func:`attach_audit_log` replaces it with a sink writing to the server's database.
    """

    enabled: bool = True
    retention: dt.timedelta | None = None

    def __call__(self, record: AuditRecord, /) -> None:
        """Placeholder: records nothing until attached to a log."""


def parse_audit_section(table: Mapping[str, Any], base: Path) -> Callable[[Any], Any]:
    """Parse ``[audit]``: ``enabled`` (bool, default true) and ``retention_days`` (number)."""
    for key in table:
        if key not in ("enabled", "retention_days"):
            raise ConfigurationError(f"audit.{key}: unknown key (known: enabled, retention_days)")
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigurationError(f"audit.enabled: must be true or false, got {enabled!r}")
    days = table.get("retention_days")
    if days is not None and (
        isinstance(days, bool) or not isinstance(days, int | float) or days <= 0
    ):
        raise ConfigurationError(f"audit.retention_days: must be a positive number, got {days!r}")
    settings = AuditSettings(enabled, dt.timedelta(days=days) if days is not None else None)
    return lambda config: attrs.evolve(config, audit_sink=settings)


def attach_audit_log(config: ServiceConfig, db: str) -> tuple[ServiceConfig, AuditLog | None]:
    """Give ``scimcore serve`` an audit log in its own database (unless ``[audit]`` disables it).

    A sink the host configured itself is left alone.
    """
    sink = config.audit_sink
    if sink is not None and not isinstance(sink, AuditSettings):
        return config, None
    settings = sink if isinstance(sink, AuditSettings) else AuditSettings()
    if not settings.enabled:
        return attrs.evolve(config, audit_sink=None), None
    log = open_audit_log(db)
    return attrs.evolve(config, audit_sink=audit_sink(log, retention=settings.retention)), log


register_config_section("audit", parse_audit_section)
