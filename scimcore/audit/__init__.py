"""The audit log: every provisioning request recorded, searchable with SCIM filters, clearable.

::

    from scimcore.audit import SqliteAuditLog
    log = SqliteAuditLog("scim.db")
    page = log.search('action eq "delete" and status ge 400', count=20)
    log.clear(before=now - timedelta(days=90))
"""

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
from scimcore.audit._service import AuditSettings, attach_audit_log, audit_sink, event_from_service

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
