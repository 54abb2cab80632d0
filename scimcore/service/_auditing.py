"""Where the service's audit records go: into the write's own transaction, or to the audit sink.

With ``ServiceConfig.audit_to_store`` and a store whose transactions have ``write_audit`` (the
SQL stores; an application store), every write's record is inserted in the transaction that
makes the change, so the record and the change commit together or not at all: a write whose
record cannot be written fails. Records of failed requests (and, with ``audit_reads``, of reads)
are written after the response is decided, in a transaction of their own. Without that (the
in-memory store, or ``audit_to_store`` off) records go to ``ServiceConfig.audit_sink`` after
the fact, as before. Reads are recorded only with ``audit_reads``; failures always.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from scimcore.errors import ScimError, ServerError
from scimcore.service._config import ServiceConfig
from scimcore.service._hooks import AuditRecord, RequestContext
from scimcore.service._redact import redact_url, storable_text
from scimcore.service._resources import Trace
from scimcore.store import Store, Transaction

logger = logging.getLogger("scimcore.service")

READ_ACTIONS = frozenset(("read", "list", "search", "discovery"))


def _text(value: str | None) -> str | None:
    return None if value is None else storable_text(value)


class Auditor:
    """Builds a request's audit records and delivers them (transactionally when it can)."""

    def __init__(self, store: Store, config: ServiceConfig) -> None:
        self.store = store
        self.config = config
        self._store_audits: bool | None = None  # learnt from the first transaction seen

    @property
    def enabled(self) -> bool:
        """Whether anything is audited at all."""
        return self.config.audit_sink is not None or self.config.audit_to_store

    def wants(self, action: str, status: int) -> bool:
        """Failures always; reads only with ``audit_reads``; writes always."""
        if not self.enabled:
            return False
        if status >= 400:
            return True
        return action not in READ_ACTIONS or self.config.audit_reads

    def record(
        self,
        ctx: RequestContext,
        trace: Trace,
        status: int,
        error: ScimError | None,
        *,
        bulk_op: bool = False,
    ) -> AuditRecord:
        """The record of a request (or of one bulk operation, ``ctx`` naming its method/path)."""
        action = trace.action if not bulk_op or trace.action != "unknown" else "bulk"
        return AuditRecord(
            action=action,
            method=_text(ctx.method) or "",
            path=redact_url(storable_text(ctx.path)),
            status=status,
            time=ctx.time,
            resource_type=trace.resource_type,
            resource_id=_text(trace.resource_id),
            user_name=_text(trace.user_name),
            scim_type=error.scim_type if error is not None else None,
            detail=redact_url(storable_text(error.message)) if error is not None else None,
            idp=_text(ctx.idp),
            token_name=_text(ctx.token_name),
            client_ip=_text(ctx.client_ip),
            user_agent=_text(ctx.user_agent),
            changes=trace.changes if status < 400 else None,
        )

    def write_in(self, tx: Transaction, ctx: RequestContext, trace: Trace, status: int) -> None:
        """The engine's ``audit_writer``: insert the write's record in its open transaction."""
        write = getattr(tx, "write_audit", None)
        self._store_audits = write is not None
        if write is None:
            return
        record = self.record(ctx, trace, status, None)
        try:
            write(_event(record))
        except ScimError:
            raise
        except Exception as exc:
            logger.exception("the audit record of %s %s could not be written", ctx.method, ctx.path)
            raise ServerError(
                "the audit record of this change could not be written, so the change was not"
                " made; the server log has the details"
            ) from exc
        trace.audited = True

    def deliver(self, records: Sequence[AuditRecord]) -> bool:
        """Deliver records decided after the fact; False when one could not be stored."""
        if not records:
            return True
        if self.config.audit_to_store and self._store_audits is not False:
            try:
                with self.store.transaction() as tx:
                    write = getattr(tx, "write_audit", None)
                    self._store_audits = write is not None
                    if write is not None:
                        for record in records:
                            write(_event(record))
            except Exception:
                logger.exception("the audit records of a request could not be written")
                return False
            if self._store_audits:
                return True
        sink = self.config.audit_sink
        if sink is None:
            return True
        for record in records:
            try:
                sink(record)
            except Exception:
                logger.exception("the audit sink failed on %s", record)
        return True

    def sweep(self, ctx: RequestContext) -> None:
        """After a request: let a retention-keeping sink clear old records (at most hourly)."""
        sweep: Any = getattr(self.config.audit_sink, "sweep", None)
        if sweep is None or not self._store_audits:
            return
        try:
            sweep(ctx.time)
        except Exception:
            logger.exception("clearing old audit records failed")


def _event(record: AuditRecord) -> Any:
    from scimcore.audit._service import event_from_service

    return event_from_service(record)
