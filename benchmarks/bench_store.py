"""A store of 1,000,000 users: ``userName eq`` lookups and pages of 100, with the query plans.

Builds (once, then reuses) a SQLite file of N users through ``SqliteStore`` itself, in one
transaction, and optionally the same in PostgreSQL (``SCIMCORE_BENCH_PG_DSN``; kept in the schema
``scimcore_bench``). Then, per store, the median milliseconds of:

- ``userName eq "…"`` through ``tx.search`` (filter parsed, compiled to SQL, index lookup);
- ``emails[value eq "…"]`` (the email index as a superset, the filter applied in memory);
- ``get`` by id;
- the first page of 100 (``startIndex=1&count=100``) with its ``totalResults``;
- a page of 100 at the middle (``startIndex=N/2``: OFFSET has to walk there) and the same
  position by cursor (RFC 9865: keyset on the insertion order, no walking);

and prints the plans (SQLite ``EXPLAIN QUERY PLAN``, PostgreSQL ``EXPLAIN``) of the lookups, to
show the indexes at work. Options: ``--users N`` (default 1,000,000), ``--db PATH``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scimcore.filter import parse_filter
from scimcore.schema import USER_URN
from scimcore.store import PostgresStore, Query, SqliteStore, Store
from scimcore.store._base import encode_cursor

DEFAULT_DB = Path(tempfile.gettempdir()) / "scimcore-bench-store-{n}.sqlite"


def _user(i: int) -> dict[str, Any]:
    return {
        "schemas": [USER_URN],
        "id": f"{i:08x}-0000-4000-8000-000000000000",
        "externalId": f"ext-{i}",
        "userName": f"User.{i}@Example.com",
        "name": {"givenName": f"Given{i}", "familyName": f"Family{i % 5000}"},
        "emails": [{"value": f"user.{i}@example.com", "type": "work", "primary": True}],
        "active": i % 10 != 0,
        "meta": {
            "resourceType": "User",
            "created": "2026-01-01T00:00:00Z",
            "lastModified": "2026-01-01T00:00:00Z",
            "location": f"https://example.com/scim/v2/Users/{i:08x}",
        },
    }


def _fill(store: Store, n: int, have: int) -> None:
    start = time.perf_counter()
    batch = 50_000
    for first in range(have, n, batch):
        with store.transaction() as tx:
            for i in range(first, min(n, first + batch)):
                tx.create("User", _user(i))
        done = min(n, first + batch)
        rate = (done - have) / (time.perf_counter() - start)
        print(f"  loaded {done:,} users ({rate:,.0f}/s)", file=sys.stderr, flush=True)


def _count(store: Store) -> int:
    with store.transaction(readonly=True) as tx:
        return tx.search("User", Query(count=0)).total


def _ms(work: Callable[[int], Any], rounds: int) -> float:
    times = []
    for r in range(rounds):
        t0 = time.perf_counter()
        work(r)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def _measure(name: str, store: Store, n: int) -> dict[str, float]:
    rng = random.Random(7)
    picks = [rng.randrange(n) for _ in range(200)]

    def lookup(r: int) -> None:
        flt = parse_filter(f'userName eq "user.{picks[r]}@example.com"')
        with store.transaction(readonly=True) as tx:
            page = tx.search("User", Query(filter=flt))
        assert page.total == 1, page

    def email(r: int) -> None:
        flt = parse_filter(f'emails[value eq "USER.{picks[r]}@example.com"]')
        with store.transaction(readonly=True) as tx:
            page = tx.search("User", Query(filter=flt))
        assert page.total == 1, page

    def get(r: int) -> None:
        with store.transaction(readonly=True) as tx:
            assert tx.get("User", f"{picks[r]:08x}-0000-4000-8000-000000000000") is not None

    def first_page(r: int) -> None:
        with store.transaction(readonly=True) as tx:
            page = tx.search("User", Query(start_index=1, count=100))
        assert len(page.resources) == 100 and page.total == n

    def middle_page(r: int) -> None:
        with store.transaction(readonly=True) as tx:
            page = tx.search("User", Query(start_index=n // 2, count=100))
        assert len(page.resources) == 100

    # the cursor a client would hold after walking to the middle (keyset: after that seq)
    middle_cursor = encode_cursor({"after": n // 2})

    def cursor_page(r: int) -> None:
        with store.transaction(readonly=True) as tx:
            page = tx.search("User", Query(cursor=middle_cursor, count=100))
        assert len(page.resources) == 100

    out = {
        "userName eq lookup": _ms(lookup, 200),
        "emails[value eq] lookup": _ms(email, 200),
        "get by id": _ms(get, 200),
        "first page of 100 (+ total)": _ms(first_page, 30),
        "page of 100 at startIndex=N/2": _ms(middle_page, 5),
        "page of 100 by cursor at N/2": _ms(cursor_page, 10),
    }
    print(f"\n{name}: {n:,} users")
    for what, ms in out.items():
        print(f"  {what:<32} {ms:9.2f} ms")
    return out


def _sqlite_plans(store: SqliteStore) -> None:
    conn = store._connection()
    dialect = store._dialect
    for text in ('userName eq "user.5@example.com"', 'externalId eq "ext-5"', 'id eq "x"'):
        where, params, _ = dialect.pushdown(parse_filter(text), rt="User", registry=store.registry)
        plan = conn.execute(
            f"EXPLAIN QUERY PLAN SELECT seq, version, data FROM scim_user WHERE {where}", params
        ).fetchall()
        print(f"  plan for {text}: {'; '.join(row[3] for row in plan)}")
    plan = conn.execute(
        "EXPLAIN QUERY PLAN SELECT seq, version, data FROM scim_user ORDER BY seq LIMIT 100"
    ).fetchall()
    print(f"  plan for a page: {'; '.join(row[3] for row in plan)}")


def _pg_plans(store: PostgresStore) -> None:
    with store._pool.connection() as conn:
        for text in ('userName eq "user.5@example.com"', 'externalId eq "ext-5"'):
            where, params, _ = store._dialect.pushdown(
                parse_filter(text), rt="User", registry=store.registry
            )
            rows = conn.execute(
                f"EXPLAIN SELECT seq, version, data FROM {store._prefix}user WHERE {where}", params
            ).fetchall()
            print(f"  plan for {text}: " + " / ".join(r[0].strip() for r in rows))


def main(argv: list[str] | None = None) -> None:
    """Build (or reuse) the stores and print the figures."""
    parser = argparse.ArgumentParser(prog="bench_store")
    parser.add_argument(
        "--users", type=int, default=int(os.environ.get("SCIMCORE_BENCH_USERS", "1000000"))
    )
    parser.add_argument("--db", default=None)
    parser.add_argument(
        "--pg-users", type=int, default=None, help="PostgreSQL size (default: --users)"
    )
    # run by ``python -m benchmarks store --users N``: the runner's own arguments are ignored
    args, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    n = args.users
    path = Path(args.db or str(DEFAULT_DB).format(n=n))
    path.parent.mkdir(parents=True, exist_ok=True)
    sqlite = SqliteStore(str(path))
    have = _count(sqlite)
    if have < n:
        print(f"building {path} ({n:,} users) ...", file=sys.stderr)
        _fill(sqlite, n, have)
        sqlite._connection().execute("ANALYZE")
    print(f"SQLite file: {path} ({path.stat().st_size / 1e6:,.0f} MB)")
    results = {"SQLite": _measure("SqliteStore", sqlite, n)}
    _sqlite_plans(sqlite)
    sqlite.close()
    dsn = os.environ.get("SCIMCORE_BENCH_PG_DSN")
    if dsn:
        pg = PostgresStore(dsn, schema="scimcore_bench", max_size=2)
        have = _count(pg)
        n = args.pg_users or n
        if have < n:
            print(f"building PostgreSQL schema scimcore_bench ({n:,} users) ...", file=sys.stderr)
            _fill(pg, n, have)
            with pg._pool.connection() as conn:
                conn.execute(f"ANALYZE {pg._prefix}user")
        results["PostgreSQL"] = _measure("PostgresStore", pg, have if have > n else n)
        _pg_plans(pg)
        pg.close()
    if len(results) == 2:
        print("\nPostgreSQL / SQLite time ratio (each on its own size):")
        for what, ms in results["SQLite"].items():
            print(f"  {what:<32} {results['PostgreSQL'][what] / ms:6.2f}x")


if __name__ == "__main__":
    main()
