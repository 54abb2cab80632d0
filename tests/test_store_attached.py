"""The generic attached storages (EAV, field tables, a companion row) on MariaDB, against the
real Magento and Drupal tables of the examples (examples/<site>/schema.mysql.sql)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from examples._sql import run_script
from scimcore.errors import ConfigurationError, InvalidValue

ROOT = Path(__file__).resolve().parents[1]


def _setup(url: str, site: str) -> Any:
    from sqlalchemy import create_engine

    run_script(url, ROOT / "examples" / site / "schema.mysql.sql")
    return create_engine(url)


def _main(conn: Any, name: str) -> Any:
    from sqlalchemy import MetaData, Table

    return Table(name, MetaData(), autoload_with=conn)


def _matches(conn: Any, main: Any, key: str, condition: Any) -> list[Any]:
    from sqlalchemy import select

    return list(conn.execute(select(main.c[key]).where(condition).order_by(main.c[key])).scalars())


def test_eav_storage_on_magento(mysql_url: str) -> None:
    from scimcore.store._eav import EavStorage

    engine = _setup(mysql_url, "magento")
    storage = EavStorage("customer_entity", {"phone": "telephone", "department": "department"})
    with engine.begin() as conn:
        main = _main(conn, "customer_entity")
        storage.prepare(conn, main)
        ids = [
            conn.execute(
                main.insert().values(email=f"c{i}@example.com", website_id=1)
            ).inserted_primary_key[0]
            for i in range(3)
        ]
        storage.save(conn, ids[0], {"phone": "+41 44 000", "department": "Sales"})
        storage.save(conn, ids[1], {"phone": "+1 555", "department": None})
        storage.save(conn, ids[0], {"department": "Marketing"})  # an update, not a second row
        assert storage.load(conn, ids) == {
            ids[0]: {"phone": "+41 44 000", "department": "Marketing"},
            ids[1]: {"phone": "+1 555"},
        }
        rows = conn.exec_driver_sql(
            "SELECT v.entity_id, a.attribute_code, v.value FROM customer_entity_varchar v"
            " JOIN eav_attribute a USING (attribute_id) ORDER BY 1, 2"
        ).all()
        assert [tuple(r) for r in rows] == [
            (ids[0], "department", "Marketing"),
            (ids[0], "telephone", "+41 44 000"),
            (ids[1], "telephone", "+1 555"),
        ]
        owner = main.c.entity_id

        def found(key: str, op: str, value: Any) -> list[Any]:
            return _matches(conn, main, "entity_id", storage.condition(key, op, value, owner))

        assert found("department", "eq", "MARKETING") == [ids[0]]
        assert found("phone", "sw", "+1") == [ids[1]]
        assert found("phone", "pr", None) == ids[:2]
        assert storage.condition("phone", "gt", "a", owner) is None
        with pytest.raises(InvalidValue):
            storage.save(conn, ids[2], {"department": "x" * 256})
        storage.delete(conn, ids[0])
        assert storage.load(conn, ids) == {ids[1]: {"phone": "+1 555"}}
    with engine.begin() as conn, pytest.raises(ConfigurationError, match="no customer attribute"):
        EavStorage("customer_entity", {"x": "no_such_attribute"}).prepare(conn, main)
    with engine.begin() as conn, pytest.raises(ConfigurationError, match="static"):
        EavStorage("customer_entity", {"x": "firstname"}).prepare(conn, main)
    engine.dispose()


def test_field_tables_and_data_row_on_drupal(mysql_url: str) -> None:
    from scimcore.store._fields import FieldTableStorage
    from scimcore.store._rows import RowStorage

    engine = _setup(mysql_url, "drupal")
    fields = FieldTableStorage("user", {"given": "field_first_name", "dept": "field_department"})
    data = RowStorage(
        "users_field_data",
        key="uid",
        columns={"name": "name", "mail": "mail", "status": "status"},
        on_insert={"created": 100, "access": 0, "default_langcode": 1, "init": lambda r: r["mail"]},
        on_update={"changed": 200},
        where={"langcode": "en"},
    )
    with engine.begin() as conn:
        main = _main(conn, "users")
        fields.prepare(conn, main)
        data.prepare(conn, main)
        uid = conn.execute(main.insert().values(uuid="u-1", langcode="en")).inserted_primary_key[0]
        data.save(conn, uid, {"name": "ada", "mail": "ada@example.com", "status": 1})
        fields.save(conn, uid, {"given": "Ada", "dept": ["Math", "Engines"]})
        row = data.current(conn, uid)
        assert row is not None
        assert (row["init"], row["created"], row["changed"], row["default_langcode"]) == (
            "ada@example.com",
            100,
            200,
            1,
        )
        assert data.load(conn, [uid, 0]) == {
            uid: {"name": "ada", "mail": "ada@example.com", "status": 1},
            0: {"name": "", "mail": None, "status": 0},
        }
        assert fields.load(conn, [uid]) == {uid: {"given": "Ada", "dept": ["Math", "Engines"]}}
        stored = conn.exec_driver_sql(
            "SELECT bundle, deleted, entity_id, revision_id, langcode, delta,"
            " field_department_value FROM user__field_department ORDER BY delta"
        ).all()
        assert [tuple(r) for r in stored] == [
            ("user", 0, uid, uid, "en", 0, "Math"),
            ("user", 0, uid, uid, "en", 1, "Engines"),
        ]
        owner = main.c.uid
        assert _matches(conn, main, "uid", data.condition("name", "eq", "ADA", owner)) == [uid]
        assert _matches(conn, main, "uid", data.condition("status", "eq", False, owner)) == [0]
        assert _matches(conn, main, "uid", fields.condition("dept", "co", "ngin", owner)) == [uid]
        data.save(conn, uid, {"status": 0})
        assert data.load(conn, [uid])[uid]["status"] == 0
        with pytest.raises(InvalidValue, match="at most 60"):
            data.save(conn, uid, {"name": "n" * 61})
        fields.save(conn, uid, {"dept": None})
        assert fields.load(conn, [uid]) == {uid: {"given": "Ada"}}
        fields.delete(conn, uid)
        data.delete(conn, uid)
        assert fields.load(conn, [uid]) == {} and data.load(conn, [uid]) == {}
    engine.dispose()
