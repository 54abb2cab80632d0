"""``[policy]`` and ``[audit]`` in ``scimcore serve --config``, and the audit sink's retention."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from scimcore.audit import AuditSettings, MemoryAuditLog, attach_audit_log, audit_sink
from scimcore.cli import main
from scimcore.errors import ConfigurationError
from scimcore.service import AuditRecord, ScimRequest, ScimService, ServiceConfig
from scimcore.service._serve import open_store
from scimcore.service._settings import settings_from_mapping

USER = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "jane"}


def test_policy_and_audit_sections_configure_the_served_service(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'scim.db'}"
    settings = settings_from_mapping(
        {
            "server": {"db": db},
            "policy": {"deprovision": "deactivate", "password_sync": True},
            "audit": {"retention_days": 30},
        }
    )
    assert settings.config.change_password
    assert isinstance(settings.config.audit_sink, AuditSettings)
    store = open_store(settings.db, settings.config)
    config, log = attach_audit_log(settings.config, settings.db)
    assert log is not None
    service = ScimService(store, config)
    created = service.handle(ScimRequest("POST", "/scim/v2/Users", body=json.dumps(USER).encode()))
    rid = created.json()["id"]
    assert service.handle(ScimRequest("DELETE", f"/scim/v2/Users/{rid}")).status == 204
    got = service.handle(ScimRequest("GET", f"/scim/v2/Users/{rid}")).json()
    assert got["active"] is False  # deactivated, not deleted
    store.close()
    log.close()
    assert main(["audit", "list", "--db", db, "--filter", 'action eq "delete"', "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["totalResults"] == 1
    assert body["Resources"][0]["diff"][0]["path"] == "active"


def test_audit_disabled_and_host_sink_left_alone() -> None:
    settings = settings_from_mapping({"audit": {"enabled": False}})
    config, log = attach_audit_log(settings.config, "memory:")
    assert config.audit_sink is None and log is None
    mine = audit_sink(MemoryAuditLog())
    config, log = attach_audit_log(ServiceConfig(audit_sink=mine), "x")
    assert config.audit_sink is mine and log is None


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"policy": {"deprovision": "archive"}}, "policy.deprovision"),
        ({"policy": {"colour": 1}}, "unknown key 'colour'"),
        ({"audit": {"retention_days": 0}}, "audit.retention_days"),
        ({"audit": {"enabled": "yes"}}, "audit.enabled"),
        ({"audit": {"keep": 1}}, "audit.keep"),
    ],
)
def test_bad_sections_are_refused_with_the_key(data: dict[str, object], needle: str) -> None:
    with pytest.raises(ConfigurationError, match=needle):
        settings_from_mapping(data)


def test_audit_sink_retention_sweeps_by_record_time() -> None:
    log = MemoryAuditLog()
    sink = audit_sink(log, retention=dt.timedelta(days=1))
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for hours in (0, 2, 30):
        sink(AuditRecord("read", "GET", "/Users", 200, t0 + dt.timedelta(hours=hours)))
    assert [r.time for r in log.search().records] == [t0 + dt.timedelta(hours=30)]
