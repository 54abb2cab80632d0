"""scimcore.apps.drupal on MariaDB, against Drupal 10's user tables
(examples/drupal/schema.mysql.sql): roles in ``config`` read back by PHP's unserialize(),
``user__roles`` rows, blocking, and a bcrypt hash PHP's password_verify() accepts."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from examples._sql import run_script
from scimcore.apps.drupal import _php_serialize, _php_unserialize
from scimcore.errors import InvalidValue, Uniqueness

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "examples" / "drupal" / "schema.mysql.sql"


def _php() -> str:
    php = shutil.which("php")
    if php is None:
        pytest.skip("PHP not installed: serialized config and hashes are checked with PHP")
    return php


def _run_php(code: str, *args: str, stdin: str = "") -> str:
    done = subprocess.run(
        [_php(), "-r", code, *args], input=stdin, capture_output=True, text=True, check=True
    )
    return done.stdout


@pytest.fixture
def drupal(mysql_url: str) -> Any:
    from sqlalchemy import create_engine

    run_script(mysql_url, SCHEMA)
    engine = create_engine(mysql_url)
    yield engine
    engine.dispose()


def _users(conn: Any) -> Any:
    from sqlalchemy import MetaData, Table

    return Table("users", MetaData(), autoload_with=conn)


def _add(conn: Any, main: Any, name: str) -> int:
    uid = conn.execute(main.insert().values(uuid=f"u-{name}", langcode="en"))
    key = int(uid.inserted_primary_key[0])
    conn.exec_driver_sql(
        "INSERT INTO users_field_data (uid, langcode, name, created, access, default_langcode,"
        " status) VALUES (%s, 'en', %s, 0, 0, 1, 1)",
        (key, name),
    )
    return key


def _role_rows(conn: Any, uid: int) -> list[tuple[int, str]]:
    rows = conn.exec_driver_sql(
        "SELECT delta, roles_target_id FROM user__roles WHERE entity_id = %s ORDER BY delta",
        (uid,),
    )
    return [(int(d), str(r)) for d, r in rows]


def test_php_serialization_round_trips_through_php() -> None:
    value = {"id": "editor", "label": "Rédacteurs", "weight": 3, "status": True,
             "dependencies": {}, "permissions": ["access content"], "none": None}  # fmt: skip
    text = _php_serialize(value)
    read = _run_php("echo json_encode(unserialize(stream_get_contents(STDIN)));", stdin=text)
    assert json.loads(read) == {**value, "dependencies": []}  # PHP's empty array is a JSON list
    from_php = _run_php(
        'echo serialize(["label" => "Équipe", "weight" => -2, "is_admin" => false,'
        ' "list" => ["a", "b"], "ratio" => 0.5]);'
    )
    assert _php_unserialize(from_php) == {
        "label": "Équipe", "weight": -2, "is_admin": False, "list": ["a", "b"], "ratio": 0.5,
    }  # fmt: skip
    assert _php_serialize(_php_unserialize(from_php)) == from_php


def test_roles_are_config_rows_and_user_roles(drupal: Any) -> None:
    from scimcore.apps.drupal import DrupalRoles

    roles = DrupalRoles()
    with drupal.begin() as conn:
        main = _users(conn)
        roles.prepare(conn, main)
        assert roles.names(conn) == {"administrator": "Administrator",
                                     "content_editor": "Content editor"}  # fmt: skip
        assert roles.find(conn, "CONTENT EDITOR") == "content_editor"
        assert roles.find(conn, "authenticated") is None  # implicit: never a group
        editors = roles.create(conn, "Content Editors")
        assert editors == "content_editors"
        with pytest.raises(Uniqueness):
            roles.create(conn, "content editors")
        assert roles.create(conn, "Administrator.") == "administrator_2"  # the id is taken
        with pytest.raises(InvalidValue):
            roles.create(conn, "  ")
        data = conn.exec_driver_sql(
            "SELECT data FROM config WHERE name = 'user.role.content_editors'"
        ).scalar()
        shown = _run_php(
            "$r = unserialize(stream_get_contents(STDIN));"
            'echo $r["id"], "|", $r["label"], "|", $r["weight"], "|", count($r["permissions"]);',
            stdin=data.decode(),
        )
        assert shown == "content_editors|Content Editors|4|0"
        ada, bob = _add(conn, main, "ada"), _add(conn, main, "bob")
        roles.add_members(conn, "content_editor", [ada])
        roles.add_members(conn, editors, [ada, bob, ada])
        roles.add_members(conn, editors, [bob])  # held already: no second row
        assert _role_rows(conn, ada) == [(0, "content_editor"), (1, "content_editors")]
        assert roles.members(conn, [editors]) == {editors: [ada, bob]}
        assert roles.groups_of(conn, [ada, bob]) == {
            ada: ["content_editor", "content_editors"],
            bob: ["content_editors"],
        }
        roles.remove_members(conn, "content_editor", [ada])
        assert _role_rows(conn, ada) == [(0, "content_editors")]  # deltas stay 0..n-1
        roles.rename(conn, editors, "Editors")
        assert roles.names(conn, [editors]) == {editors: "Editors"}
        with pytest.raises(Uniqueness):
            roles.rename(conn, editors, "administrator")
        roles.delete(conn, editors)
        assert roles.find(conn, "Editors") is None
        assert _role_rows(conn, ada) == [] and _role_rows(conn, bob) == []


def test_blocking_ends_sessions_and_delete_drops_grants(drupal: Any) -> None:
    from scimcore.apps.drupal import DrupalHooks, DrupalRoles

    hooks, roles = DrupalHooks(), DrupalRoles()
    with drupal.begin() as conn:
        main = _users(conn)
        roles.prepare(conn, main)
        ada = _add(conn, main, "ada")
        roles.add_members(conn, "administrator", [ada])

        def sessions() -> int:
            return int(
                conn.exec_driver_sql(
                    "SELECT COUNT(*) FROM sessions WHERE uid = %s", (ada,)
                ).scalar()
            )

        def login() -> None:
            conn.exec_driver_sql(
                "INSERT INTO sessions (uid, sid, timestamp) VALUES (%s, %s, 0)",
                (ada, f"sid-{sessions()}"),
            )

        login()
        hooks.after_write(conn, ada, {"userName": "ada", "active": True}, None)
        assert sessions() == 1
        hooks.after_write(conn, ada, {"userName": "ada", "active": False}, None)
        assert sessions() == 0
        login()
        hooks.deactivate(conn, ada)
        assert sessions() == 0
        login()
        hooks.before_delete(conn, ada)
        assert sessions() == 0 and _role_rows(conn, ada) == []


def test_data_row_fills_what_drupal_requires(drupal: Any) -> None:
    from scimcore.apps.drupal import data_row, field_tables, new_uuid

    data = data_row({"name": "name", "mail": "mail", "status": "status"})
    fields = field_tables({"given": "field_first_name"})
    with drupal.begin() as conn:
        main = _users(conn)
        data.prepare(conn, main)
        fields.prepare(conn, main)
        uid = conn.execute(
            main.insert().values(uuid=new_uuid({}), langcode="en")
        ).inserted_primary_key[0]
        data.save(conn, uid, {"name": "ada", "mail": "ada@example.com", "status": 1})
        fields.save(conn, uid, {"given": "Ada"})
        row = data.current(conn, uid)
        assert row is not None
        assert row["init"] == "ada@example.com" and row["default_langcode"] == 1
        assert row["created"] > 1_700_000_000 and row["changed"] >= row["created"]
        assert row["access"] == 0 and row["preferred_langcode"] == "en"
        assert (
            len(conn.exec_driver_sql("SELECT uuid FROM users WHERE uid = %s", (uid,)).scalar())
            == 36
        )


def test_bcrypt_hash_verifies_in_php() -> None:
    """Drupal 10.1+ checks passwords with PHP's password_verify() (core's PhpPassword)."""
    from scimcore.passwords import hasher_for

    stored = hasher_for("drupal").hash("S3cret-päss")
    assert stored.startswith("$2y$")
    code = "var_dump(password_verify($argv[1], $argv[2]));"
    assert _run_php(code, "S3cret-päss", stored).strip() == "bool(true)"
    assert _run_php(code, "S3cret-pass", stored).strip() == "bool(false)"
