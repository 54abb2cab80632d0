"""The application store on a WordPress-shaped MariaDB of 100,000 users, beside SqliteStore.

Builds (once, then reuses) ``wp_users`` + ``wp_usermeta`` in the MariaDB database
``scimcore_bench`` (``SCIMCORE_BENCH_MYSQL_URL``, else ``SCIMCORE_TEST_MYSQL_URL`` with that
database), filled the way a site would (plain INSERTs, no SCIM), and a SqliteStore of the same
users (JSON documents) in a temporary file. Then, per store, the median milliseconds of:

- ``userName eq "…"`` through ``tx.search`` (parsed filter, pushed down to the indexed column);
- the first page of 100 with its ``totalResults`` (``count=100``);
- a page of 100 in the middle (``startIndex=N/2``);

and in-process ``POST /Users`` through ``ScimService.handle`` (requests per second, one client,
no password). Run: ``python -m benchmarks.bench_appstore [--users N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scimcore.filter import parse_filter
from scimcore.mapping import mapping_from_dict
from scimcore.schema import USER_URN
from scimcore.service import BearerTokens, ScimRequest, ScimService, ServiceConfig
from scimcore.store import MetaStorage, Query, SqliteStore, Store, TableStore, UserTable

TOKEN = "bench-token-0123456789"

WP_USERS = """CREATE TABLE IF NOT EXISTS wp_users (
  ID bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  user_login varchar(60) NOT NULL DEFAULT '',
  user_pass varchar(255) NOT NULL DEFAULT '',
  user_nicename varchar(50) NOT NULL DEFAULT '',
  user_email varchar(100) NOT NULL DEFAULT '',
  user_url varchar(100) NOT NULL DEFAULT '',
  user_registered datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
  user_activation_key varchar(255) NOT NULL DEFAULT '',
  user_status int(11) NOT NULL DEFAULT '0',
  display_name varchar(250) NOT NULL DEFAULT '',
  PRIMARY KEY (ID),
  KEY user_login_key (user_login),
  KEY user_nicename (user_nicename),
  KEY user_email (user_email)
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci"""

WP_USERMETA = """CREATE TABLE IF NOT EXISTS wp_usermeta (
  umeta_id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  user_id bigint(20) unsigned NOT NULL DEFAULT '0',
  meta_key varchar(255) DEFAULT NULL,
  meta_value longtext,
  PRIMARY KEY (umeta_id),
  KEY user_id (user_id),
  KEY meta_key (meta_key(191))
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci"""

MAPPING = {
    "rules": [
        {"scim": "userName", "field": "user_login", "required": True},
        {"scim": "emails[primary eq true].value", "field": "user_email"},
        {"scim": "displayName", "field": "display_name"},
        {"scim": "password", "field": "user_pass", "direction": "to_app"},
        {"scim": "name.givenName", "meta": "first_name"},
        {"scim": "name.familyName", "meta": "last_name"},
    ]
}


def _mysql_url() -> str | None:
    url = os.environ.get("SCIMCORE_BENCH_MYSQL_URL")
    if url:
        return url
    base = os.environ.get("SCIMCORE_TEST_MYSQL_URL")
    if not base:
        return None
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    parsed = make_url(base)
    admin = create_engine(parsed.set(database=""), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(
            "CREATE DATABASE IF NOT EXISTS scimcore_bench"
            " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci"
        )
    admin.dispose()
    return parsed.set(database="scimcore_bench").render_as_string(hide_password=False)


def _fill_wordpress(url: str, n: int) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(WP_USERS)
        conn.exec_driver_sql(WP_USERMETA)
        have = int(conn.exec_driver_sql("SELECT count(*) FROM wp_users").scalar() or 0)
    start = time.perf_counter()
    batch = 5000
    for first in range(have, n, batch):
        users = []
        metas = []
        for i in range(first, min(n, first + batch)):
            users.append(
                (i + 1, f"user{i}", f"user{i}", f"user{i}@example.com", f"User {i}", "2024-01-01")
            )
            metas += [(i + 1, "first_name", f"Given{i}"), (i + 1, "last_name", f"Family{i}")]
        with engine.begin() as conn:
            raw = conn.connection.cursor()
            raw.executemany(
                "INSERT INTO wp_users (ID, user_login, user_nicename, user_email, display_name,"
                " user_registered) VALUES (%s, %s, %s, %s, %s, %s)",
                users,
            )
            raw.executemany(
                "INSERT INTO wp_usermeta (user_id, meta_key, meta_value) VALUES (%s, %s, %s)",
                metas,
            )
        done = min(n, first + batch)
        rate = (done - have) / (time.perf_counter() - start)
        print(f"  wp_users: {done:,} ({rate:,.0f}/s)", file=sys.stderr, flush=True)
    engine.dispose()


def _scim_user(i: int) -> dict[str, Any]:
    return {
        "schemas": [USER_URN],
        "id": str(uuid.uuid4()),
        "userName": f"user{i}",
        "displayName": f"User {i}",
        "name": {"givenName": f"Given{i}", "familyName": f"Family{i}"},
        "emails": [{"value": f"user{i}@example.com", "primary": True}],
        "meta": {"resourceType": "User", "created": "2024-01-01T00:00:00Z"},
    }


def _fill_sqlite(store: SqliteStore, n: int) -> None:
    with store.transaction(readonly=True) as tx:
        have = tx.search("User", Query(count=0)).total
    for first in range(have, n, 50_000):
        with store.transaction() as tx:
            for i in range(first, min(n, first + 50_000)):
                tx.create("User", _scim_user(i))
        print(f"  sqlite: {min(n, first + 50_000):,}", file=sys.stderr, flush=True)


def _ms(work: Callable[[int], Any], rounds: int) -> float:
    times = []
    for r in range(rounds):
        t0 = time.perf_counter()
        work(r)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def _measure(store: Store, n: int, label: str) -> dict[str, float]:
    rng = random.Random(7)
    out: dict[str, float] = {}

    def lookup(_: int) -> None:
        flt = parse_filter(f'userName eq "user{rng.randrange(n)}"')
        with store.transaction(readonly=True) as tx:
            page = tx.search("User", Query(filter=flt))
        assert page.total == 1, (label, page.total)

    def first_page(_: int) -> None:
        with store.transaction(readonly=True) as tx:
            page = tx.search("User", Query(count=100))
        assert len(page.resources) == 100 and page.total >= n

    def middle_page(_: int) -> None:
        with store.transaction(readonly=True) as tx:
            page = tx.search("User", Query(start_index=n // 2, count=100))
        assert len(page.resources) == 100

    out["userName eq (ms)"] = _ms(lookup, 300)
    out["page of 100 + total (ms)"] = _ms(first_page, 50)
    out["page of 100 at N/2 (ms)"] = _ms(middle_page, 20)
    service = ScimService(
        store,
        ServiceConfig(
            base_url="https://bench.example.com/scim/v2",
            authenticator=BearerTokens.from_tokens({"bench": TOKEN}),
            audit_to_store=True,
        ),
    )
    tag = uuid.uuid4().hex[:6]
    rounds = 400
    t0 = time.perf_counter()
    for i in range(rounds):
        body = json.dumps(
            {
                "schemas": [USER_URN],
                "userName": f"new-{tag}-{i}",
                "name": {"givenName": "G", "familyName": "F"},
                "emails": [{"value": f"n{i}@example.com", "primary": True}],
            }
        ).encode()
        response = service.handle(
            ScimRequest(
                "POST",
                "/scim/v2/Users",
                {},
                {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/scim+json"},
                body,
            )
        )
        assert response.status == 201, response.body
    out["POST /Users (req/s)"] = rounds / (time.perf_counter() - t0)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=None, help="the SqliteStore file")
    args = parser.parse_args([] if argv is None else argv)
    n = args.users
    url = _mysql_url()
    if url is None:
        print("skipped: set SCIMCORE_BENCH_MYSQL_URL (or SCIMCORE_TEST_MYSQL_URL) to MariaDB")
        return
    _fill_wordpress(url, n)
    table = TableStore(
        url,
        users=UserTable(
            table="wp_users",
            key="ID",
            mapping=mapping_from_dict(MAPPING),
            storages=(MetaStorage("wp_usermeta", "user_id", "meta_key", "meta_value"),),
            on_insert={"user_registered": lambda row: "2026-01-01 00:00:00"},
            created="user_registered",
        ),
        side_table="scim_resource",
        audit_table="scim_audit",
    )
    db = args.db or Path(tempfile.gettempdir()) / f"scimcore-bench-appstore-{n}.sqlite"
    sqlite = SqliteStore(db)
    _fill_sqlite(sqlite, n)
    results = {
        "TableStore (MariaDB, wp_users)": _measure(table, n, "table"),
        "SqliteStore (JSON)": _measure(sqlite, n, "sqlite"),
    }
    names = list(next(iter(results.values())))
    print(f"\n{n:,} users; medians (POST: one in-process client)")
    print(f"{'':28}" + "".join(f"{k:>32}" for k in results))
    for name in names:
        print(f"{name:28}" + "".join(f"{r[name]:>32.2f}" for r in results.values()))
    table.close()
    sqlite.close()


if __name__ == "__main__":
    main(sys.argv[1:])
