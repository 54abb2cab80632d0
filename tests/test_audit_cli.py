"""``scimcore audit list|clear`` against a SQLite audit log."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from scimcore.audit import SqliteAuditLog, build_record
from scimcore.cli import main

T0 = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "scim.db")
    log = SqliteAuditLog(path)
    for i in range(3):
        log.append(
            build_record(
                method="POST",
                path="/Users",
                status=201 if i else 409,
                time=T0 + dt.timedelta(days=i),
                resource_type="User",
                new={"id": f"u{i}", "userName": f"user{i}"},
                error={"scimType": "uniqueness", "detail": "taken"} if i == 0 else None,
                headers={"User-Agent": "Okta SCIM Client 1.0.0"},
                client_ip="10.0.0.1",
            )
        )
    log.close()
    return path


def test_list_text_and_json(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "list", "--db", db]) == 0
    text = capsys.readouterr().out
    assert "409 uniqueness" in text and "okta" in text and "3 of 3 record(s)" in text
    assert main(["audit", "list", "--db", f"sqlite:///{db}", "--json", "--count", "2"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["totalResults"] == 3 and body["itemsPerPage"] == 2
    assert body["Resources"][0]["time"] == "2020-01-03T00:00:00Z"


def test_clear_by_retention_and_all(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "clear", "--db", db, "--older-than-days", "36500"]) == 0
    assert "removed 0 record(s)" in capsys.readouterr().out
    assert main(["audit", "clear", "--db", db, "--all", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"removed": 3}


def test_audit_needs_an_action(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["audit"])
    assert info.value.code == 2
