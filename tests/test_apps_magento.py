"""scimcore.apps.magento on MariaDB, against Magento 2's own customer tables
(examples/magento/schema.mysql.sql): customer groups, the userName fallback, the login lock, and
the Encryptor hash checked by PHP's libsodium."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from examples._sql import run_script
from scimcore.errors import InvalidValue, Mutability, Uniqueness
from tests._php import magento_hash_accepted

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "examples" / "magento" / "schema.mysql.sql"


@pytest.fixture
def magento(mysql_url: str) -> Any:
    from sqlalchemy import create_engine

    run_script(mysql_url, SCHEMA)
    engine = create_engine(mysql_url)
    yield engine
    engine.dispose()


def _customers(conn: Any) -> Any:
    from sqlalchemy import MetaData, Table

    return Table("customer_entity", MetaData(), autoload_with=conn)


def _add(conn: Any, main: Any, email: str | None, **cols: Any) -> int:
    values = {"email": email, "website_id": 1, "group_id": 1, "store_id": 1, **cols}
    return int(conn.execute(main.insert().values(**values)).inserted_primary_key[0])


def _col(conn: Any, column: str, entity: int, table: str = "customer_entity") -> Any:
    return conn.exec_driver_sql(
        f"SELECT {column} FROM {table} WHERE entity_id = %s", (entity,)
    ).scalar()


def test_customer_groups_hold_one_group_per_customer(magento: Any) -> None:
    from scimcore.apps.magento import MagentoGroups

    groups = MagentoGroups()
    with magento.begin() as conn:
        main = _customers(conn)
        groups.prepare(conn, main)
        assert groups.names(conn) == {1: "General", 2: "Wholesale", 3: "Retailer"}
        assert groups.find(conn, "wholesale") == 2
        assert groups.find(conn, "NOT LOGGED IN") is None  # the guests' group is no SCIM group
        ada, bob = _add(conn, main, "ada@example.com"), _add(conn, main, "bob@example.com")
        new = groups.create(conn, "Okta Push 0123456789 Renamed")
        assert groups.names(conn, [new]) == {new: "Okta Push 0123456789 Renamed"}
        with pytest.raises(Uniqueness):
            groups.create(conn, "okta push 0123456789 renamed")
        with pytest.raises(InvalidValue, match="at most 32"):
            groups.create(conn, "x" * 33)
        groups.add_members(conn, new, [ada, bob])
        assert groups.members(conn, [new, 1]) == {new: [ada, bob], 1: []}
        groups.add_members(conn, 2, [ada])  # joining a second group moves the customer
        assert groups.groups_of(conn, [ada, bob]) == {ada: [2], bob: [new]}
        groups.remove_members(conn, new, [ada, bob])  # ada is not in it: she stays in Wholesale
        assert groups.groups_of(conn, [ada, bob]) == {ada: [2], bob: [1]}
        groups.remove_members(conn, 1, [bob])  # General is where a customer in no group is
        assert _col(conn, "group_id", bob) == 1
        groups.add_members(conn, new, [bob])
        groups.rename(conn, new, "Partners")
        with pytest.raises(Uniqueness):
            groups.rename(conn, new, "Retailer")
        groups.delete(conn, new)
        assert (_col(conn, "group_id", bob), groups.find(conn, "Partners")) == (1, None)
        with pytest.raises(Mutability):
            groups.delete(conn, 1)
        # the admin grid (customer_grid_flat) follows the moves
        assert _col(conn, "group_id", bob, "customer_grid_flat") == 1
        assert _col(conn, "group_id", ada, "customer_grid_flat") == 2


def test_username_falls_back_to_the_email(magento: Any) -> None:
    from sqlalchemy import select

    from scimcore.apps.magento import MagentoUserName

    storage = MagentoUserName()
    with magento.begin() as conn:
        main = _customers(conn)
        storage.prepare(conn, main)
        old = _add(conn, main, "Old.Customer@example.com")  # created by the store, never by SCIM
        new = _add(conn, main, "work@example.com")
        storage.save(conn, new, {"scim_username": "jdoe@example.com"})
        assert storage.load(conn, [old, new]) == {
            old: {"scim_username": "Old.Customer@example.com"},
            new: {"scim_username": "jdoe@example.com"},
        }

        def found(op: str, value: Any) -> list[int]:
            condition = storage.condition("scim_username", op, value, main.c.entity_id)
            query = select(main.c.entity_id).where(condition).order_by(main.c.entity_id)
            return list(conn.execute(query).scalars())

        assert found("eq", "old.customer@EXAMPLE.com") == [old]
        assert found("eq", "JDOE@example.com") == [new]
        assert found("eq", "work@example.com") == []  # it has a userName of its own
        assert found("ew", "@example.com") == [old, new]
        assert storage.condition("scim_username", "gt", "a", main.c.entity_id) is None
        storage.delete(conn, new)
        assert storage.load(conn, [new]) == {new: {"scim_username": "work@example.com"}}


def test_deactivation_locks_the_login_and_ends_sessions(magento: Any) -> None:
    from scimcore.apps.magento import DEACTIVATED_UNTIL, MagentoHooks

    hooks = MagentoHooks()
    with magento.begin() as conn:
        main = _customers(conn)
        ada = _add(conn, main, "ada@example.com", rp_token="pending-reset")
        hooks.after_write(conn, ada, {"userName": "ada", "active": False}, None)
        assert _col(conn, "is_active", ada) == 0
        assert _col(conn, "lock_expires", ada) == DEACTIVATED_UNTIL
        assert _col(conn, "session_cutoff", ada) is not None
        assert _col(conn, "rp_token", ada) is None  # a reset link mailed before no longer works
        # Magento's Customer::isCustomerLocked: lock_expires in the future refuses the login
        assert conn.exec_driver_sql(
            "SELECT lock_expires > NOW() FROM customer_entity WHERE entity_id = %s", (ada,)
        ).scalar()
        hooks.after_write(conn, ada, {"userName": "ada", "active": True}, {"active": False})
        assert (_col(conn, "is_active", ada), _col(conn, "lock_expires", ada)) == (1, None)
        # a lock from failed logins is Magento's, not ours: reactivation leaves it
        soon = dt.datetime.now().replace(microsecond=0) + dt.timedelta(minutes=10)
        conn.execute(main.update().where(main.c.entity_id == ada).values(lock_expires=soon))
        hooks.reactivate(conn, ada)
        assert _col(conn, "lock_expires", ada) == soon
        assert _col(conn, "name", ada, "customer_grid_flat") is None
        hooks.before_delete(conn, ada)
        assert _col(conn, "entity_id", ada, "customer_grid_flat") is None


def test_customer_without_email_gets_the_username(magento: Any) -> None:
    from scimcore.apps.magento import MagentoHooks

    hooks = MagentoHooks()
    with magento.begin() as conn:
        main = _customers(conn)
        taken = _add(conn, main, "taken@example.com", firstname="Ada", lastname="Lovelace")
        bare = _add(conn, main, None)
        hooks.after_write(conn, bare, {"userName": "New@Example.com", "active": True}, None)
        assert _col(conn, "email", bare) == "new@example.com"
        other = _add(conn, main, None)
        with pytest.raises(Uniqueness):
            hooks.after_write(conn, other, {"userName": "TAKEN@example.com"}, None)
        hooks.after_write(conn, taken, {"userName": "x", "active": True}, None)
        assert _col(conn, "name", taken, "customer_grid_flat") == "Ada Lovelace"


def test_magento_hash_verifies_in_php_sodium() -> None:
    """The Encryptor check: sodium_crypto_pwhash(32, password, salt[0:16], 2, 64 MiB, argon2id13)
    hex-compared to the stored digest, as Magento 2.4's Encryptor::validateHash does."""
    from scimcore.passwords import MagentoHasher

    stored = MagentoHasher(version=3).hash("S3cret-päss")
    assert stored.endswith(":3_32_2_67108864")

    assert magento_hash_accepted("S3cret-päss", stored)
    assert not magento_hash_accepted("S3cret-pass", stored)
