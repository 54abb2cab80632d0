"""The audit log: every provisioning request recorded, searchable with SCIM filters, clearable.

::

    from scimcore.audit import SqliteAuditLog
    log = SqliteAuditLog("scim.db")
    page = log.search('action eq "delete" and status ge 400', count=20)
    log.clear(before=now - timedelta(days=90))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scimcore._lazy import lazy_exports

if TYPE_CHECKING:
    from scimcore.audit._build import action_for, build_record
    from scimcore.audit._log import (
        AuditLog,
        AuditPage,
        MemoryAuditLog,
        PostgresAuditLog,
        SqliteAuditLog,
        compile_audit_filter,
        open_audit_log,
    )
    from scimcore.audit._record import (
        AUDIT_REGISTRY,
        AUDIT_RESOURCE_TYPE,
        AUDIT_SCHEMA,
        AUDIT_URN,
        REDACTED,
        AuditEvent,
        detect_idp,
        diff,
        is_secret_key,
        redact,
    )
    from scimcore.audit._row import AUDIT_COLUMNS, AUDIT_TABLE, audit_row, audit_table_ddl
    from scimcore.audit._service import (
        AuditSettings,
        attach_audit_log,
        audit_sink,
        event_from_service,
    )

_EXPORTS = {
    "AUDIT_COLUMNS": "scimcore.audit._row",
    "AUDIT_TABLE": "scimcore.audit._row",
    "audit_row": "scimcore.audit._row",
    "audit_table_ddl": "scimcore.audit._row",
    "AUDIT_REGISTRY": "scimcore.audit._record",
    "AUDIT_RESOURCE_TYPE": "scimcore.audit._record",
    "AUDIT_SCHEMA": "scimcore.audit._record",
    "AUDIT_URN": "scimcore.audit._record",
    "AuditEvent": "scimcore.audit._record",
    "AuditLog": "scimcore.audit._log",
    "AuditPage": "scimcore.audit._log",
    "AuditSettings": "scimcore.audit._service",
    "MemoryAuditLog": "scimcore.audit._log",
    "PostgresAuditLog": "scimcore.audit._log",
    "REDACTED": "scimcore.audit._record",
    "SqliteAuditLog": "scimcore.audit._log",
    "action_for": "scimcore.audit._build",
    "attach_audit_log": "scimcore.audit._service",
    "audit_sink": "scimcore.audit._service",
    "build_record": "scimcore.audit._build",
    "compile_audit_filter": "scimcore.audit._log",
    "detect_idp": "scimcore.audit._record",
    "diff": "scimcore.audit._record",
    "event_from_service": "scimcore.audit._service",
    "is_secret_key": "scimcore.audit._record",
    "open_audit_log": "scimcore.audit._log",
    "redact": "scimcore.audit._record",
}

__all__ = [
    "AUDIT_COLUMNS",
    "AUDIT_REGISTRY",
    "AUDIT_RESOURCE_TYPE",
    "AUDIT_SCHEMA",
    "AUDIT_TABLE",
    "AUDIT_URN",
    "REDACTED",
    "AuditEvent",
    "AuditLog",
    "AuditPage",
    "AuditSettings",
    "MemoryAuditLog",
    "PostgresAuditLog",
    "SqliteAuditLog",
    "action_for",
    "attach_audit_log",
    "audit_row",
    "audit_sink",
    "audit_table_ddl",
    "build_record",
    "compile_audit_filter",
    "detect_idp",
    "diff",
    "event_from_service",
    "is_secret_key",
    "open_audit_log",
    "redact",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
