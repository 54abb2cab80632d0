"""TableStore under concurrent requests on MariaDB and PostgreSQL: no lost update, one 201."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("sqlalchemy", reason="the app extra (SQLAlchemy) is needed")

from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, text

from scimcore.mapping import mapping_from_dict
from scimcore.service import BearerTokens, ScimService, ServiceConfig
from scimcore.store import TableStore, UserTable
from tests._service_support import BASE, TOKEN, USER_URN, Clock, call, patch

MAPPING = {"rules": [{"scim": "userName", "field": "login", "required": True}]}


@pytest.fixture(params=["mysql", "postgres"])
def engine(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "mysql":
        url = request.getfixturevalue("mysql_url")
    else:
        url = request.getfixturevalue("pg_dsn").replace("postgresql://", "postgresql+psycopg://")
    eng = create_engine(url, pool_size=10)
    yield eng
    eng.dispose()


def _store(engine: Any, *, unique_login: bool) -> tuple[TableStore, str]:
    prefix = f"c{uuid.uuid4().hex[:8]}_"
    Table(
        f"{prefix}users",
        MetaData(),
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("login", String(60), nullable=False, unique=unique_login, index=not unique_login),
    ).create(engine)
    store = TableStore(
        engine,
        users=UserTable(f"{prefix}users", "id", mapping_from_dict(MAPPING)),
        side_table=f"{prefix}scim_resource",
        audit_table=f"{prefix}scim_audit",
    )
    return store, prefix


def _drop(engine: Any, prefix: str) -> None:
    with engine.begin() as conn:
        for name in ("users", "scim_resource", "scim_audit"):
            conn.execute(text(f"DROP TABLE IF EXISTS {prefix}{name}"))


def _service(store: TableStore) -> ScimService:
    config = ServiceConfig(
        base_url=BASE, authenticator=BearerTokens.from_tokens({"okta": TOKEN}), audit_to_store=True
    )
    return ScimService(store, config, clock=Clock())


def _together(n: int, work: Any) -> list[Any]:
    barrier = threading.Barrier(n)
    out: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        out[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


@pytest.mark.parametrize("unique_login", [True, False])
def test_identical_posts_give_one_201(engine: Any, unique_login: bool) -> None:
    store, prefix = _store(engine, unique_login=unique_login)
    try:
        svc = _service(store)
        for round_ in range(3):
            body = {"schemas": [USER_URN], "userName": f"twin{round_}"}
            statuses = sorted(_together(4, lambda i, b=body: call(svc, "POST", "/Users", b).status))
            assert statuses == [201, 409, 409, 409]
        with engine.connect() as conn:
            assert conn.execute(text(f"SELECT count(*) FROM {prefix}users")).scalar() == 3
    finally:
        _drop(engine, prefix)


def test_concurrent_patches_lose_no_update(engine: Any) -> None:
    store, prefix = _store(engine, unique_login=True)
    try:
        svc = _service(store)
        rid = call(svc, "POST", "/Users", {"schemas": [USER_URN], "userName": "u"}).json()["id"]

        def add(i: int) -> int:
            value = [{"value": f"+1 555 000 {i:04d}", "type": "work"}]
            op = patch({"op": "add", "path": "phoneNumbers", "value": value})
            return call(svc, "PATCH", f"/Users/{rid}", op).status

        assert _together(6, add) == [200] * 6
        phones = call(svc, "GET", f"/Users/{rid}").json()["phoneNumbers"]
        assert sorted(p["value"] for p in phones) == [f"+1 555 000 {i:04d}" for i in range(6)]
    finally:
        _drop(engine, prefix)
