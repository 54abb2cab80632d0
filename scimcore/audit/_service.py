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
    return _LogSink(log, retention, id_factory)


class _LogSink:
    """Appends records to an AuditLog; ``sweep`` applies the retention (the service calls it
    after records it wrote into the store's own transactions, which bypass ``__call__``)."""

    def __init__(
        self,
        log: AuditLog,
        retention: dt.timedelta | None,
        id_factory: Callable[[], str] | None,
    ) -> None:
        self.log = log
        self.retention = retention
        self._id_factory = id_factory
        self._swept: dt.datetime | None = None

    def __call__(self, record: AuditRecord, /) -> None:
        ident = self._id_factory() if self._id_factory else None
        self.log.append(event_from_service(record, event_id=ident))
        self.sweep(record.time)

    def sweep(self, now: dt.datetime) -> None:
        """Clear records older than the retention, at most once an hour (by record time)."""
        if self.retention is None:
            return
        if self._swept is not None and now - self._swept < _SWEEP_EVERY:
            return
        self._swept = now
        self.log.clear(before=now - self.retention)


@attrs.frozen(slots=True)
class AuditSettings:
    """The ``[audit]`` table of ``scimcore serve --config``, kept until the database is known.

    It sits in ``ServiceConfig.audit_sink`` as a placeholder (recording nothing) until
    :func:`attach_audit_log` replaces it with a sink writing to the server's database.
    """

    enabled: bool = True
    retention: dt.timedelta | None = None
    reads: bool = False

    def __call__(self, record: AuditRecord, /) -> None:
        """Placeholder: records nothing until attached to a log."""


def parse_audit_section(table: Mapping[str, Any], base: Path) -> Callable[[Any], Any]:
    """Parse ``[audit]``: ``enabled`` (bool, default true), ``retention_days`` (number) and
    ``reads`` (bool, default false: successful reads are not recorded)."""
    for key in table:
        if key not in ("enabled", "retention_days", "reads"):
            raise ConfigurationError(
                f"audit.{key}: unknown key (known: enabled, retention_days, reads)"
            )
    reads = table.get("reads", False)
    if not isinstance(reads, bool):
        raise ConfigurationError(f"audit.reads: must be true or false, got {reads!r}")
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigurationError(f"audit.enabled: must be true or false, got {enabled!r}")
    days = table.get("retention_days")
    if days is not None and (
        isinstance(days, bool) or not isinstance(days, int | float) or days <= 0
    ):
        raise ConfigurationError(f"audit.retention_days: must be a positive number, got {days!r}")
    settings = AuditSettings(
        enabled, dt.timedelta(days=days) if days is not None else None, reads=reads
    )
    return lambda config: attrs.evolve(config, audit_sink=settings)


def attach_audit_log(config: ServiceConfig, db: str) -> tuple[ServiceConfig, AuditLog | None]:
    """Give ``scimcore serve`` an audit log in its own database (unless ``[audit]`` disables it).

    On SQLite and PostgreSQL each write's record is inserted in the write's own transaction
    (``audit_to_store``: a write whose record cannot be written fails); the returned log reads
    the same table, and records the store does not take (the in-memory store) go to it.
    A sink the host configured itself is left alone.
    """
    sink = config.audit_sink
    if sink is not None and not isinstance(sink, AuditSettings):
        return config, None
    settings = sink if isinstance(sink, AuditSettings) else AuditSettings()
    if not settings.enabled:
        return attrs.evolve(config, audit_sink=None), None
    log = open_audit_log(db)
    sink = audit_sink(log, retention=settings.retention)
    config = attrs.evolve(config, audit_sink=sink, audit_to_store=True, audit_reads=settings.reads)
    return config, log


register_config_section("audit", parse_audit_section)
