"""The Magento example end to end, on MariaDB (Magento's own table definitions,
examples/magento/schema.mysql.sql) and on SQLite: recorded IdP traffic in, Magento's rows out.

Magento itself cannot be installed here, so the checks read the tables the way Magento does
(``customer_entity``, the EAV values, ``customer_group``, the admin grid) and the password hash
is checked by PHP's libsodium as Magento's Encryptor checks it.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from examples._sql import run_script
from tests._php import magento_hash_accepted as php_accepts
from tests._site_example import SiteExample, engine, key_of, patch, sql

TOKEN = "magento-token-0123456789"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
EXAMPLE = SiteExample("magento", TOKEN)
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


def customer(db: Any, entity_id: int) -> Any:
    rows = sql(db, "SELECT * FROM customer_entity WHERE entity_id = :id", id=entity_id)
    return rows[0] if rows else None


def eav(db: Any, entity_id: int) -> dict[str, Any]:
    rows = sql(
        db,
        "SELECT a.attribute_code AS code, v.value AS value FROM customer_entity_varchar v"
        " JOIN eav_attribute a ON a.attribute_id = v.attribute_id WHERE v.entity_id = :id",
        id=entity_id,
    )
    return {r["code"]: r["value"] for r in rows}


entity_of = key_of


def add_customer(db: Any, email: str, first: str, last: str, group: int = 1) -> int:
    """A customer as Magento's storefront registration writes one (plain SQL, no SCIM)."""
    from sqlalchemy import text

    with db.begin() as conn:
        result = conn.execute(
            text(
                "INSERT INTO customer_entity (website_id, email, group_id, store_id, created_in,"
                " firstname, lastname, password_hash, is_active)"
                " VALUES (1, :email, :group, 1, 'Default Store View', :first, :last,"
                " 'f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f:salt:1', 1)"
            ),
            {"email": email, "group": group, "first": first, "last": last},
        )
        return int(result.lastrowid)


# -- the recordings ---------------------------------------------------------------------------


@pytest.mark.parametrize("idp", ["jumpcloud", "okta", "miniorange"])
def test_bundled_recordings_pass(idp: str, db: Any, site_url: str, monkeypatch: Any) -> None:
    module = load_app(site_url, monkeypatch, idp=idp)
    EXAMPLE.replay(module, idp)
    # what the recordings left is a consistent Magento store: every customer has an email and a
    # grid row that agrees with it, a deactivated one is locked, an active one is not
    customers = sql(db, "SELECT * FROM customer_entity")
    assert customers
    grid = {r["entity_id"]: r for r in sql(db, "SELECT * FROM customer_grid_flat")}
    for row in customers:
        assert row["email"] and row["website_id"] == 1 and row["store_id"] == 1
        assert grid[row["entity_id"]]["email"] == row["email"]
        assert grid[row["entity_id"]]["group_id"] == row["group_id"]
        locked = row["lock_expires"] is not None and str(row["lock_expires"]) >= "2037"
        assert locked == (row["is_active"] == 0), row
    module.store.close()


# -- the store's customers are the SCIM Users --------------------------------------------------


def test_existing_customers_are_listed_and_never_created_twice(
    db: Any, site_url: str, monkeypatch: Any
) -> None:
    ada = add_customer(db, "Ada.Lovelace@example.com", "Ada", "Lovelace", group=2)
    add_customer(db, "bob@example.com", "Bob", "Builder")
    module = load_app(site_url, monkeypatch)
    status, page = call(module, "GET", "/Users")
    assert status == 200 and page["totalResults"] == 2
    names = sorted(u["userName"] for u in page["Resources"])
    assert names == ["Ada.Lovelace@example.com", "bob@example.com"]
    status, found = call(module, "GET", "/Users", filter='userName eq "ada.lovelace@EXAMPLE.com"')
    assert status == 200 and found["totalResults"] == 1
    (user,) = found["Resources"]
    assert user["name"] == {"givenName": "Ada", "familyName": "Lovelace"}
    assert user["active"] is True
    assert [g["display"] for g in user["groups"]] == ["Wholesale"]
    # the IdP pushes the same person: 409, and the site's row is as it was
    before = customer(db, ada)
    body = {
        "schemas": [USER_URN],
        "userName": "ada.lovelace@example.com",
        "name": {"givenName": "Augusta", "familyName": "King"},
        "emails": [{"value": "ada.lovelace@example.com", "primary": True}],
    }
    status, error = call(module, "POST", "/Users", body)
    assert status == 409 and error["scimType"] == "uniqueness"
    assert customer(db, ada) == before
    assert sql(db, "SELECT COUNT(*) AS n FROM customer_entity")[0]["n"] == 2
    # another userName with Ada's email: Magento's (email, website_id) key refuses it
    status, error = call(module, "POST", "/Users", {**body, "userName": "augusta"})
    assert status == 409 and error["scimType"] == "uniqueness"
    # a customer the store adds later is there at once; an admin's edit changes the ETag
    later = add_customer(db, "carol@example.com", "Carol", "Danvers")
    status, found = call(module, "GET", "/Users", filter='userName eq "carol@example.com"')
    assert found["totalResults"] == 1
    carol = found["Resources"][0]
    sql(db, "UPDATE customer_entity SET firstname = 'Caroline' WHERE entity_id = :id", id=later)
    status, again = call(module, "GET", f"/Users/{carol['id']}")
    assert again["name"]["givenName"] == "Caroline"
    assert again["meta"]["version"] != carol["meta"]["version"]
    module.store.close()


def test_customer_lifecycle_in_magento_tables(db: Any, site_url: str, monkeypatch: Any) -> None:
    module = load_app(site_url, monkeypatch)
    body = {
        "schemas": [USER_URN, ENTERPRISE],
        "userName": "jane.doe@example.com",
        "externalId": "00u1",
        "name": {"givenName": "Jane", "familyName": "Doe", "honorificPrefix": "Dr."},
        "emails": [{"value": "Jane.Doe@Example.com", "type": "work", "primary": True}],
        "phoneNumbers": [{"value": "+41 44 000 00 00", "type": "work"}],
        "password": "1mz050nq-Sä",
        "locale": "en-GB",
        ENTERPRISE: {"department": "Purchasing"},
    }
    status, created = call(module, "POST", "/Users", body)
    assert status == 201, created
    uid, entity = created["id"], entity_of(module, created["id"])
    row = customer(db, entity)
    assert row["email"] == "jane.doe@example.com"
    assert (row["firstname"], row["lastname"], row["prefix"]) == ("Jane", "Doe", "Dr.")
    assert (row["is_active"], row["group_id"], row["website_id"], row["store_id"]) == (1, 1, 1, 1)
    assert row["created_in"] == "Default Store View" and row["lock_expires"] is None
    assert row["password_hash"].endswith(":3_32_2_67108864")
    assert php_accepts("1mz050nq-Sä", row["password_hash"])
    assert not php_accepts("1mz050nq-Sa", row["password_hash"])
    assert eav(db, entity) == {
        "scim_username": "jane.doe@example.com",
        "telephone": "+41 44 000 00 00",
        "locale": "en-GB",
        "department": "Purchasing",
    }
    assert created["externalId"] == "00u1" and "password" not in created
    # a password push and a profile update
    ops = patch(
        {"op": "replace", "path": "password", "value": "n3w-Passw0rd"},
        {"op": "replace", "path": "name.familyName", "value": "Smith"},
    )
    assert call(module, "PATCH", f"/Users/{uid}", ops)[0] == 200
    row = customer(db, entity)
    assert row["lastname"] == "Smith" and php_accepts("n3w-Passw0rd", row["password_hash"])
    # groups: a new one is a customer group; membership is the customer's group_id
    status, vip = call(module, "POST", "/Groups", {"schemas": [GROUP_URN], "displayName": "VIP"})
    assert status == 201
    code = sql(db, "SELECT * FROM customer_group WHERE customer_group_code = 'VIP'")
    assert len(code) == 1 and code[0]["tax_class_id"] == 3
    add = patch({"op": "add", "path": "members", "value": [{"value": uid}]})
    assert call(module, "PATCH", f"/Groups/{vip['id']}", add)[0] in (200, 204)
    assert customer(db, entity)["group_id"] == code[0]["customer_group_id"]
    grid = sql(db, "SELECT * FROM customer_grid_flat WHERE entity_id = :id", id=entity)
    assert grid[0]["group_id"] == code[0]["customer_group_id"]
    assert grid[0]["name"] == "Dr. Jane Smith"
    assert call(module, "DELETE", f"/Groups/{vip['id']}")[0] == 204
    assert customer(db, entity)["group_id"] == 1  # back in General, as Magento does
    assert sql(db, "SELECT * FROM customer_group WHERE customer_group_code = 'VIP'") == []
    # deactivation: is_active 0 and the login lock; reactivation lifts it
    off = patch({"op": "replace", "value": {"active": False}})
    status, user = call(module, "PATCH", f"/Users/{uid}", off)
    assert status == 200 and user["active"] is False
    row = customer(db, entity)
    assert row["is_active"] == 0 and row["session_cutoff"] is not None
    assert str(row["lock_expires"]).startswith("2037-12-31")
    on = patch({"op": "replace", "path": "active", "value": True})
    assert call(module, "PATCH", f"/Users/{uid}", on)[1]["active"] is True
    row = customer(db, entity)
    assert (row["is_active"], row["lock_expires"]) == (1, None)
    # DELETE deactivates (MAGENTO_DEPROVISION=deactivate): the row stays, the resource is gone
    assert call(module, "DELETE", f"/Users/{uid}")[0] == 204
    assert call(module, "GET", f"/Users/{uid}")[0] == 404
    assert customer(db, entity)["is_active"] == 0
    assert call(module, "GET", "/Users")[1]["totalResults"] == 0
    # the IdP assigns the person again: the same customer, active and unlocked
    status, back = call(module, "POST", "/Users", {**body, "password": "Thr33-again"})
    assert status == 201 and entity_of(module, back["id"]) == entity
    row = customer(db, entity)
    assert (row["is_active"], row["lock_expires"]) == (1, None)
    assert php_accepts("Thr33-again", row["password_hash"])
    module.store.close()


def test_delete_mode_removes_the_customer(db: Any, site_url: str, monkeypatch: Any) -> None:
    module = load_app(site_url, monkeypatch, idp="jumpcloud", deprovision="delete")
    body = {
        "schemas": [USER_URN],
        "userName": "kim",
        "name": {"givenName": "Kim", "familyName": "Ng"},
        "emails": [{"value": "kim@example.com", "type": "work"}],
        "phoneNumbers": [{"value": "+1 555 0100", "type": "work"}],
    }
    status, created = call(module, "POST", "/Users", body)
    assert status == 201, created
    entity = entity_of(module, created["id"])
    assert customer(db, entity)["email"] == "kim@example.com"
    assert eav(db, entity) == {"scim_username": "kim", "telephone": "+1 555 0100"}
    assert call(module, "DELETE", f"/Users/{created['id']}")[0] == 204
    assert customer(db, entity) is None
    for table in ("customer_entity_varchar", "customer_grid_flat"):
        assert sql(db, f"SELECT * FROM {table} WHERE entity_id = :id", id=entity) == []
    module.store.close()


# -- a failing site write changes nothing -------------------------------------------------------


def test_a_failing_site_write_changes_nothing(mysql_url: str, monkeypatch: Any) -> None:
    """A MariaDB trigger refuses writes to the customer's EAV values: the client gets an error,
    and neither Magento's rows nor SCIM's side table change."""
    from sqlalchemy import create_engine

    run_script(mysql_url, SITE / "schema.mysql.sql")
    db = create_engine(mysql_url)
    module = load_app(mysql_url, monkeypatch)
    body = {
        "schemas": [USER_URN],
        "userName": "lee@example.com",
        "name": {"givenName": "Lee", "familyName": "Chan"},
        "emails": [{"value": "lee@example.com", "primary": True}],
        "phoneNumbers": [{"value": "+1 555 0101", "type": "work"}],
    }
    status, created = call(module, "POST", "/Users", body)
    assert status == 201
    entity = entity_of(module, created["id"])
    for event in ("INSERT", "UPDATE"):
        sql(
            db,
            f"CREATE TRIGGER refuse_{event.lower()} BEFORE {event} ON customer_entity_varchar"
            " FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by the site'",
        )
    before = (customer(db, entity), eav(db, entity), sql(db, "SELECT * FROM scim_resource"))
    ops = patch(
        {"op": "replace", "path": "name.givenName", "value": "Leigh"},
        {"op": "replace", "path": 'phoneNumbers[type eq "work"].value', "value": "+1 555 0199"},
    )
    status, error = call(module, "PATCH", f"/Users/{created['id']}", ops)
    assert status >= 500 and error["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    other = {**body, "userName": "max@example.com", "emails": [{"value": "max@example.com"}]}
    assert call(module, "POST", "/Users", other)[0] >= 500
    after = (customer(db, entity), eav(db, entity), sql(db, "SELECT * FROM scim_resource"))
    assert after == before
    assert sql(db, "SELECT COUNT(*) AS n FROM customer_entity")[0]["n"] == 1
    status, user = call(module, "GET", f"/Users/{created['id']}")
    assert user["name"]["givenName"] == "Lee" and user["meta"] == created["meta"]
    module.store.close()
    db.dispose()


def test_import_has_no_side_effects(tmp_path: Path, monkeypatch: Any) -> None:
    """Importing the example reads the environment; the database is touched on first request."""
    path = tmp_path / "fresh.db"
    monkeypatch.setenv("MAGENTO_DB_URL", f"sqlite:///{path}")
    monkeypatch.setenv("SCIM_TOKEN", TOKEN)
    monkeypatch.delitem(sys.modules, "examples.magento.app", raising=False)
    module: ModuleType = importlib.import_module("examples.magento.app")
    assert not path.exists()
    assert call(module, "GET", "/Users")[1]["totalResults"] == 0
    assert path.exists()  # an empty store: schema.sql's tables and Magento's seed rows
    groups = call(module, "GET", "/Groups")[1]
    assert sorted(g["displayName"] for g in groups["Resources"]) == [
        "General",
        "Retailer",
        "Wholesale",
    ]
