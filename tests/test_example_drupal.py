"""The Drupal example end to end, on MariaDB (the tables Drupal 10's entity storage creates,
examples/drupal/schema.mysql.sql) and on SQLite: recorded IdP traffic in, Drupal's rows out.

Drupal itself cannot be installed here, so the checks read the tables the way Drupal does
(``users``, ``users_field_data``, the ``user__*`` field and role tables, ``sessions``, role
config), PHP unserializes the role config, and PHP's ``password_verify`` (what Drupal 10.1+'s
password service calls) checks the stored hash.
"""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from examples._sql import run_script
from tests._site_example import SiteExample, engine, key_of, patch, sql

TOKEN = "drupal-token-0123456789"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
FIELDS = ("field_first_name", "field_last_name", "field_department")
EXAMPLE = SiteExample("drupal", TOKEN)
SITE = EXAMPLE.dir


@pytest.fixture(params=["mariadb", "sqlite"])
def site_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The site's database with its tables and a fresh install's seed rows."""
    return EXAMPLE.database(request, tmp_path)


@pytest.fixture
def db(site_url: str) -> Iterator[Any]:
    yield from engine(site_url)


def load_app(
    url: str, monkeypatch: pytest.MonkeyPatch, idp: str = "okta", deprovision: str = "deactivate"
) -> Any:
    return EXAMPLE.load_app(url, monkeypatch, idp, deprovision)


def call(module: Any, method: str, path: str, body: object = None, **query: str) -> Any:
    return EXAMPLE.call(module, method, path, body, query)


def account(db: Any, uid: int) -> Any:
    rows = sql(db, "SELECT * FROM users_field_data WHERE uid = :uid", uid=uid)
    return rows[0] if rows else None


def fields(db: Any, uid: int) -> dict[str, Any]:
    out = {}
    for field in FIELDS:
        rows = sql(db, f"SELECT * FROM user__{field} WHERE entity_id = :uid", uid=uid)
        for row in rows:
            assert (row["bundle"], row["deleted"], row["delta"]) == ("user", 0, 0)
            assert row["revision_id"] == uid and row["langcode"] == "en"
            out[field] = row[f"{field}_value"]
    return out


def roles(db: Any, uid: int) -> list[tuple[int, str]]:
    rows = sql(
        db,
        "SELECT delta, roles_target_id FROM user__roles WHERE entity_id = :uid ORDER BY delta",
        uid=uid,
    )
    return [(int(r["delta"]), str(r["roles_target_id"])) for r in rows]


def sessions(db: Any, uid: int) -> int:
    return int(sql(db, "SELECT COUNT(*) AS n FROM sessions WHERE uid = :uid", uid=uid)[0]["n"])


def log_in(db: Any, uid: int, sid: str) -> None:
    """A session row as Drupal's SessionHandler writes one."""
    sql(db, "INSERT INTO sessions (uid, sid, hostname, timestamp) VALUES (:uid, :sid, '', 0)",
        uid=uid, sid=sid)  # fmt: skip


uid_of = key_of


def _php() -> str:
    php = shutil.which("php")
    if php is None:
        pytest.skip("PHP not installed: hashes and role config are checked with PHP")
    return php


def php_verifies(password: str, stored: str) -> bool:
    """PHP's password_verify(), which Drupal 10.1+'s PhpPassword::check calls."""
    done = subprocess.run(
        [_php(), "-r", "echo password_verify($argv[1], $argv[2]) ? 'ok' : 'no';", password, stored],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout == "ok"


def php_role(data: Any) -> dict[str, Any]:
    """The role config as PHP's unserialize() reads it (what Drupal's config storage does)."""
    text = data.decode() if isinstance(data, bytes) else str(data)
    done = subprocess.run(
        [_php(), "-r", "echo json_encode(unserialize(stream_get_contents(STDIN)));"],
        input=text,
        capture_output=True,
        text=True,
        check=True,
    )
    parsed: dict[str, Any] = json.loads(done.stdout)
    return parsed


def add_account(db: Any, name: str, mail: str, first: str, *, status: int = 1) -> int:
    """An account as Drupal's user form saves one (plain SQL, no SCIM)."""
    from sqlalchemy import text

    with db.begin() as conn:
        result = conn.execute(
            text("INSERT INTO users (uuid, langcode) VALUES (:uuid, 'en')"),
            {"uuid": f"0a1b2c3d-0000-4000-8000-{abs(hash(name)) % 10**12:012d}"},
        )
        uid = int(result.lastrowid)
        conn.execute(
            text(
                "INSERT INTO users_field_data (uid, langcode, preferred_langcode, name, pass, mail,"
                " status, created, changed, access, login, init, default_langcode)"
                " VALUES (:uid, 'en', 'en', :name, :pw, :mail, :status, 1700000000, 1700000000,"
                " 0, 0, :mail, 1)"
            ),
            {"uid": uid, "name": name, "mail": mail, "status": status,
             "pw": "$2y$10$abcdefghijklmnopqrstuuQ9mJ0rj0Zx0yq0V6B4Q8kq3l8dF8a2"},
        )  # fmt: skip
        conn.execute(
            text(
                "INSERT INTO user__field_first_name (bundle, deleted, entity_id, revision_id,"
                " langcode, delta, field_first_name_value)"
                " VALUES ('user', 0, :uid, :uid, 'en', 0, :first)"
            ),
            {"uid": uid, "first": first},
        )
        return uid


# -- the recordings ---------------------------------------------------------------------------


@pytest.mark.parametrize("idp", ["jumpcloud", "okta", "miniorange"])
def test_bundled_recordings_pass(idp: str, db: Any, site_url: str, monkeypatch: Any) -> None:
    module = load_app(site_url, monkeypatch, idp=idp)
    EXAMPLE.replay(module, idp)
    # what the recordings left is a consistent Drupal site: every account has its data row with
    # what User::create gives one, role deltas are 0..n-1, a blocked account has no session
    accounts = sql(db, "SELECT u.uid, u.uuid, d.* FROM users u JOIN users_field_data d"
                       " ON d.uid = u.uid AND d.langcode = 'en' WHERE u.uid > 0")  # fmt: skip
    assert accounts
    assert sql(db, "SELECT COUNT(*) AS n FROM users")[0]["n"] == len(accounts) + 1  # + anonymous
    for row in accounts:
        assert row["name"] and len(row["uuid"]) == 36 and row["default_langcode"] == 1
        assert row["created"] > 1_700_000_000 and row["status"] in (0, 1)
        deltas = [d for d, _ in roles(db, row["uid"])]
        assert deltas == list(range(len(deltas)))
        if row["status"] == 0:
            assert sessions(db, row["uid"]) == 0
    module.store.close()


# -- the site's accounts are the SCIM Users ----------------------------------------------------


def test_existing_accounts_are_listed_and_never_created_twice(
    db: Any, site_url: str, monkeypatch: Any
) -> None:
    ada = add_account(db, "ada", "ada@example.com", "Ada")
    sql(db, "INSERT INTO user__roles (bundle, deleted, entity_id, revision_id, langcode, delta,"
            " roles_target_id) VALUES ('user', 0, :uid, :uid, 'en', 0, 'content_editor')",
        uid=ada)  # fmt: skip
    add_account(db, "bob", "bob@example.com", "Bob", status=0)
    module = load_app(site_url, monkeypatch)
    status, page = call(module, "GET", "/Users")
    assert status == 200 and page["totalResults"] == 2  # not the anonymous user (uid 0)
    by_name = {u["userName"]: u for u in page["Resources"]}
    assert sorted(by_name) == ["ada", "bob"]
    assert by_name["bob"]["active"] is False and by_name["ada"]["active"] is True
    status, found = call(module, "GET", "/Users", filter='userName eq "ADA"')
    assert status == 200 and found["totalResults"] == 1
    (user,) = found["Resources"]
    assert user["name"] == {"givenName": "Ada"}
    assert [g["display"] for g in user["groups"]] == ["Content editor"]
    # the IdP pushes the same person: 409, and the site's rows are as they were
    before = (account(db, ada), fields(db, ada))
    body = {
        "schemas": [USER_URN],
        "userName": "Ada",
        "name": {"givenName": "Augusta", "familyName": "King"},
        "emails": [{"value": "augusta@example.com", "primary": True}],
    }
    status, error = call(module, "POST", "/Users", body)
    assert status == 409 and error["scimType"] == "uniqueness"
    assert (account(db, ada), fields(db, ada)) == before
    assert sql(db, "SELECT COUNT(*) AS n FROM users")[0]["n"] == 3
    # an account the site adds later is there at once; an edit on the site changes the ETag
    carol = add_account(db, "carol", "carol@example.com", "Carol")
    found = call(module, "GET", "/Users", filter='userName eq "carol"')[1]
    assert found["totalResults"] == 1
    first = found["Resources"][0]
    sql(db, "UPDATE user__field_first_name SET field_first_name_value = 'Caroline'"
            " WHERE entity_id = :uid", uid=carol)  # fmt: skip
    again = call(module, "GET", f"/Users/{first['id']}")[1]
    assert again["name"]["givenName"] == "Caroline"
    assert again["meta"]["version"] != first["meta"]["version"]
    module.store.close()


def test_account_lifecycle_in_drupal_tables(db: Any, site_url: str, monkeypatch: Any) -> None:
    module = load_app(site_url, monkeypatch)
    body = {
        "schemas": [USER_URN, ENTERPRISE],
        "userName": "jane.doe",
        "externalId": "00u1",
        "name": {"givenName": "Jane", "familyName": "Doe"},
        "emails": [{"value": "Jane.Doe@Example.com", "type": "work", "primary": True}],
        "password": "1mz050nq-Sä",
        "locale": "de-CH",
        "timezone": "Europe/Zurich",
        ENTERPRISE: {"department": "Purchasing"},
    }
    status, created = call(module, "POST", "/Users", body)
    assert status == 201, created
    uid_scim, uid = created["id"], uid_of(module, created["id"])
    row = account(db, uid)
    assert (row["name"], row["mail"], row["init"], row["status"]) == (
        "jane.doe", "jane.doe@example.com", "jane.doe@example.com", 1)  # fmt: skip
    assert (row["preferred_langcode"], row["timezone"]) == ("de", "Europe/Zurich")
    assert row["pass"].startswith("$2y$") and php_verifies("1mz050nq-Sä", row["pass"])
    assert not php_verifies("1mz050nq-Sa", row["pass"])
    assert fields(db, uid) == {"field_first_name": "Jane", "field_last_name": "Doe",
                               "field_department": "Purchasing"}  # fmt: skip
    assert created["externalId"] == "00u1" and "password" not in created
    # a password push and a profile update
    ops = patch(
        {"op": "replace", "path": "password", "value": "n3w-Passw0rd"},
        {"op": "replace", "path": "name.familyName", "value": "Smith"},
    )
    assert call(module, "PATCH", f"/Users/{uid_scim}", ops)[0] == 200
    assert php_verifies("n3w-Passw0rd", account(db, uid)["pass"])
    assert fields(db, uid)["field_last_name"] == "Smith"
    # groups are roles: a new one is a config entity, membership user__roles rows
    group = {"schemas": [GROUP_URN], "displayName": "Content Editors"}
    status, editors = call(module, "POST", "/Groups", group)
    assert status == 201, editors
    (config,) = sql(db, "SELECT data FROM config WHERE name = 'user.role.content_editors'")
    role = php_role(config["data"])
    assert (role["id"], role["label"], role["status"]) == ("content_editors", "Content Editors", 1)
    status, admins = call(module, "GET", "/Groups", filter='displayName eq "Administrator"')
    (admin,) = admins["Resources"]
    for gid in (editors["id"], admin["id"]):
        add = patch({"op": "add", "path": "members", "value": [{"value": uid_scim}]})
        assert call(module, "PATCH", f"/Groups/{gid}", add)[0] in (200, 204)
    assert roles(db, uid) == [(0, "content_editors"), (1, "administrator")]
    remove = patch({"op": "remove", "path": f'members[value eq "{uid_scim}"]'})
    assert call(module, "PATCH", f"/Groups/{editors['id']}", remove)[0] in (200, 204)
    assert roles(db, uid) == [(0, "administrator")]
    assert call(module, "DELETE", f"/Groups/{editors['id']}")[0] == 204
    assert sql(db, "SELECT * FROM config WHERE name = 'user.role.content_editors'") == []
    # blocking: status 0 and the sessions end; unblocking: status 1
    log_in(db, uid, "sid-1")
    log_in(db, uid, "sid-2")
    off = patch({"op": "replace", "value": {"active": False}})
    status, user = call(module, "PATCH", f"/Users/{uid_scim}", off)
    assert status == 200 and user["active"] is False
    assert account(db, uid)["status"] == 0 and sessions(db, uid) == 0
    on = patch({"op": "replace", "path": "active", "value": True})
    assert call(module, "PATCH", f"/Users/{uid_scim}", on)[1]["active"] is True
    assert account(db, uid)["status"] == 1
    # DELETE blocks (DRUPAL_DEPROVISION=deactivate): the account stays, the resource is gone
    log_in(db, uid, "sid-3")
    assert call(module, "DELETE", f"/Users/{uid_scim}")[0] == 204
    assert call(module, "GET", f"/Users/{uid_scim}")[0] == 404
    assert account(db, uid)["status"] == 0 and sessions(db, uid) == 0
    assert call(module, "GET", "/Users")[1]["totalResults"] == 0
    # the IdP assigns the person again: the same account, active, with the new password
    status, back = call(module, "POST", "/Users", {**body, "password": "Thr33-again"})
    assert status == 201 and uid_of(module, back["id"]) == uid
    row = account(db, uid)
    assert row["status"] == 1 and php_verifies("Thr33-again", row["pass"])
    module.store.close()


def test_delete_mode_removes_the_account(db: Any, site_url: str, monkeypatch: Any) -> None:
    module = load_app(site_url, monkeypatch, idp="jumpcloud", deprovision="delete")
    body = {
        "schemas": [USER_URN],
        "userName": "kim",
        "name": {"givenName": "Kim", "familyName": "Ng"},
        "emails": [{"value": "kim@example.com", "type": "work"}],
    }
    status, created = call(module, "POST", "/Users", body)
    assert status == 201, created
    uid = uid_of(module, created["id"])
    admins = call(module, "GET", "/Groups", filter='displayName eq "Administrator"')[1]
    add = patch({"op": "add", "path": "members", "value": [{"value": created["id"]}]})
    assert call(module, "PATCH", f"/Groups/{admins['Resources'][0]['id']}", add)[0] in (200, 204)
    log_in(db, uid, "sid-kim")
    assert account(db, uid)["mail"] == "kim@example.com" and roles(db, uid)
    assert call(module, "DELETE", f"/Users/{created['id']}")[0] == 204
    assert sql(db, "SELECT * FROM users WHERE uid = :uid", uid=uid) == []
    assert account(db, uid) is None and fields(db, uid) == {}
    assert roles(db, uid) == [] and sessions(db, uid) == 0
    module.store.close()


# -- a failing site write changes nothing -------------------------------------------------------


def test_a_failing_site_write_changes_nothing(mysql_url: str, monkeypatch: Any) -> None:
    """A MariaDB trigger refuses writes to users_field_data: the client gets an error, and
    neither Drupal's rows nor SCIM's side table change."""
    from sqlalchemy import create_engine

    run_script(mysql_url, SITE / "schema.mysql.sql")
    db = create_engine(mysql_url)
    module = load_app(mysql_url, monkeypatch)
    body = {
        "schemas": [USER_URN],
        "userName": "lee",
        "name": {"givenName": "Lee", "familyName": "Chan"},
        "emails": [{"value": "lee@example.com", "primary": True}],
    }
    status, created = call(module, "POST", "/Users", body)
    assert status == 201
    uid = uid_of(module, created["id"])
    for event in ("INSERT", "UPDATE"):
        sql(
            db,
            f"CREATE TRIGGER refuse_{event.lower()} BEFORE {event} ON users_field_data"
            " FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by the site'",
        )

    def snapshot() -> Any:
        return (
            sql(db, "SELECT * FROM users ORDER BY uid"),
            account(db, uid),
            fields(db, uid),
            sql(db, "SELECT * FROM scim_resource"),
        )

    before = snapshot()
    ops = patch(
        {"op": "replace", "path": "name.givenName", "value": "Leigh"},
        {"op": "replace", "path": "emails[primary eq true].value", "value": "leigh@example.com"},
    )
    status, error = call(module, "PATCH", f"/Users/{created['id']}", ops)
    assert status >= 500 and error["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    other = {**body, "userName": "max", "emails": [{"value": "max@example.com", "primary": True}]}
    assert call(module, "POST", "/Users", other)[0] >= 500
    assert snapshot() == before  # the field row and the new users row were rolled back too
    user = call(module, "GET", f"/Users/{created['id']}")[1]
    assert user["name"]["givenName"] == "Lee" and user["meta"] == created["meta"]
    module.store.close()
    db.dispose()


def test_import_has_no_side_effects(tmp_path: Path, monkeypatch: Any) -> None:
    """Importing the example reads the environment; the database is touched on first request."""
    path = tmp_path / "fresh.db"
    monkeypatch.setenv("DRUPAL_DB_URL", f"sqlite:///{path}")
    monkeypatch.setenv("SCIM_TOKEN", TOKEN)
    monkeypatch.delitem(sys.modules, "examples.drupal.app", raising=False)
    module: ModuleType = importlib.import_module("examples.drupal.app")
    assert not path.exists()
    assert call(module, "GET", "/Users")[1]["totalResults"] == 0
    assert path.exists()  # an empty site: schema.sql's tables and the standard profile's roles
    groups = call(module, "GET", "/Groups")[1]
    assert sorted(g["displayName"] for g in groups["Resources"]) == [
        "Administrator",
        "Content editor",
    ]
