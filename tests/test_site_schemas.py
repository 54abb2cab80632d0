"""The Magento 2 and Drupal 10 DDL of the examples, on a real MariaDB: keys and seeds as the
projects define them (examples/<site>/schema.mysql.sql)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from examples._sql import run_script, split_statements

ROOT = Path(__file__).resolve().parents[1]
MAGENTO = ROOT / "examples" / "magento" / "schema.mysql.sql"
DRUPAL = ROOT / "examples" / "drupal" / "schema.mysql.sql"


def _engine(url: str) -> Any:
    from sqlalchemy import create_engine

    return create_engine(url)


def _unique_keys(conn: Any, table: str) -> dict[str, list[str]]:
    rows = conn.exec_driver_sql(
        "SELECT index_name, column_name FROM information_schema.statistics WHERE"
        f" table_schema = DATABASE() AND table_name = '{table}' AND non_unique = 0"
        " ORDER BY index_name, seq_in_index"
    )
    keys: dict[str, list[str]] = {}
    for name, column in rows:
        keys.setdefault(name, []).append(column)
    return keys


def test_split_statements_keeps_semicolons_inside_values() -> None:
    script = "-- a comment\nCREATE TABLE t (a int);\n\nINSERT INTO t VALUES ('x;y');\n"
    assert split_statements(script) == ["CREATE TABLE t (a int)", "INSERT INTO t VALUES ('x;y')"]


def test_magento_schema_keys_and_seeds(mysql_url: str) -> None:
    from sqlalchemy.exc import IntegrityError

    run_script(mysql_url, MAGENTO)
    run_script(mysql_url, MAGENTO)  # idempotent: IF NOT EXISTS / INSERT IGNORE
    engine = _engine(mysql_url)
    with engine.begin() as conn:
        assert _unique_keys(conn, "customer_entity") == {
            "CUSTOMER_ENTITY_EMAIL_WEBSITE_ID": ["email", "website_id"],
            "PRIMARY": ["entity_id"],
        }
        assert _unique_keys(conn, "customer_entity_varchar") == {
            "CUSTOMER_ENTITY_VARCHAR_ENTITY_ID_ATTRIBUTE_ID": ["entity_id", "attribute_id"],
            "PRIMARY": ["value_id"],
        }
        assert _unique_keys(conn, "eav_attribute")[
            "EAV_ATTRIBUTE_ENTITY_TYPE_ID_ATTRIBUTE_CODE"
        ] == ["entity_type_id", "attribute_code"]
        groups = conn.exec_driver_sql(
            "SELECT customer_group_id, customer_group_code FROM customer_group ORDER BY 1"
        ).all()
        assert [tuple(g) for g in groups] == [
            (0, "NOT LOGGED IN"),
            (1, "General"),
            (2, "Wholesale"),
            (3, "Retailer"),
        ]
        websites = conn.exec_driver_sql("SELECT website_id, code FROM store_website ORDER BY 1")
        assert [tuple(w) for w in websites] == [(0, "admin"), (1, "base")]
        model = conn.exec_driver_sql(
            "SELECT entity_model, entity_table FROM eav_entity_type WHERE entity_type_code ="
            " 'customer'"
        ).one()
        resource_model = "Magento\\Customer\\Model\\ResourceModel\\Customer"
        assert tuple(model) == (resource_model, "customer_entity")
        columns = {
            r[0]
            for r in conn.exec_driver_sql(
                "SELECT column_name FROM information_schema.columns WHERE table_schema ="
                " DATABASE() AND table_name = 'customer_entity'"
            )
        }
        assert {"is_active", "lock_expires", "session_cutoff", "password_hash"} <= columns
        conn.exec_driver_sql(
            "INSERT INTO customer_entity (website_id, email, group_id, store_id)"
            " VALUES (1, 'ada@example.com', 1, 1)"
        )
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO customer_entity (website_id, email, group_id)"
            " VALUES (1, 'ada@example.com', 1)"
        )
    with engine.begin() as conn:  # the same email on another website is another customer
        conn.exec_driver_sql(
            "INSERT INTO customer_entity (website_id, email, group_id)"
            " VALUES (0, 'ada@example.com', 1)"
        )
        entity = conn.exec_driver_sql("SELECT MIN(entity_id) FROM customer_entity").scalar()
        conn.exec_driver_sql(
            "INSERT INTO customer_entity_varchar (attribute_id, entity_id, value)"
            f" VALUES (203, {entity}, 'Ada')"
        )
        conn.exec_driver_sql(f"DELETE FROM customer_entity WHERE entity_id = {entity}")
        left = conn.exec_driver_sql("SELECT COUNT(*) FROM customer_entity_varchar").scalar()
        assert left == 0  # ON DELETE CASCADE, as Magento declares it
    engine.dispose()


def test_drupal_schema_keys_and_seeds(mysql_url: str) -> None:
    from sqlalchemy.exc import IntegrityError

    run_script(mysql_url, DRUPAL)
    run_script(mysql_url, DRUPAL)
    engine = _engine(mysql_url)
    with engine.begin() as conn:
        assert _unique_keys(conn, "users_field_data") == {
            "PRIMARY": ["uid", "langcode"],
            "user__name": ["name", "langcode"],
        }
        assert _unique_keys(conn, "users") == {
            "PRIMARY": ["uid"],
            "user_field__uuid__value": ["uuid"],
        }
        assert _unique_keys(conn, "user__roles") == {
            "PRIMARY": ["entity_id", "deleted", "delta", "langcode"]
        }
        assert _unique_keys(conn, "user__field_department") == {
            "PRIMARY": ["entity_id", "deleted", "delta", "langcode"]
        }
        anonymous = conn.exec_driver_sql("SELECT uid, name, status FROM users_field_data").all()
        assert [tuple(r) for r in anonymous] == [(0, "", 0)]
        roles = conn.exec_driver_sql("SELECT name FROM config ORDER BY name").scalars().all()
        assert roles == [
            "user.role.administrator",
            "user.role.anonymous",
            "user.role.authenticated",
            "user.role.content_editor",
        ]
        conn.exec_driver_sql("INSERT INTO users (uuid, langcode) VALUES ('u-1', 'en')")
        uid = conn.exec_driver_sql("SELECT MAX(uid) FROM users").scalar()
        assert uid == 1  # a serial after the anonymous user's 0
        conn.exec_driver_sql(
            "INSERT INTO users_field_data (uid, langcode, name, created, access, default_langcode)"
            f" VALUES ({uid}, 'en', 'ada', 0, 0, 1)"
        )
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO users (uuid, langcode) VALUES ('u-2', 'en')")
        conn.exec_driver_sql(
            "INSERT INTO users_field_data (uid, langcode, name, created, access, default_langcode)"
            " VALUES (2, 'en', 'ada', 0, 0, 1)"
        )
    engine.dispose()


def test_drupal_role_config_is_php_serialized(mysql_url: str) -> None:
    """Drupal reads roles with unserialize(): PHP itself must read the seeded rows."""
    import shutil
    import subprocess

    php = shutil.which("php")
    if php is None:
        pytest.skip("PHP not installed: the role config rows are checked with PHP's unserialize")
    run_script(mysql_url, DRUPAL)
    engine = _engine(mysql_url)
    with engine.begin() as conn:
        rows = conn.exec_driver_sql("SELECT name, data FROM config").all()
    engine.dispose()
    for name, data in rows:
        blob = data.decode() if isinstance(data, bytes) else data
        out = subprocess.run(
            [php, "-r", '$r = unserialize(stream_get_contents(STDIN)); echo $r["id"];'],
            input=blob,
            capture_output=True,
            text=True,
            check=True,
        )
        assert name == f"user.role.{out.stdout}"
