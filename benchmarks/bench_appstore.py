"""The application store on a WordPress 6.1 MariaDB of 100,000 users, beside SqliteStore.

Builds (once, then reuses) the MariaDB database ``scimcore_bench`` (``SCIMCORE_BENCH_MYSQL_URL``,
else ``SCIMCORE_TEST_MYSQL_URL`` with that database): ``wp_users``, ``wp_usermeta`` and
``wp_options`` as WordPress 6.1's ``schema.php`` defines them, the five stock roles in the
``wp_user_roles`` option (their capability counts), and users filled the way
``wp_insert_user`` leaves them (the row, fifteen usermeta rows each, the subscriber role), by
plain INSERTs with no SCIM. The store is configured as the WordPress example is: the site's
columns and usermeta through the mapping, the roles as groups (``WordPressRoles``), the hooks
(``WordPressHooks``: the default role, the login lock). A ``SqliteStore`` of the same users (JSON
documents) is built in a temporary file. Then, per store, the median milliseconds of:

- ``userName eq "…"`` through ``tx.search`` (parsed filter, pushed down to the indexed column);
- the first page of 100 with its ``totalResults`` (``count=100``);
- a page of 100 in the middle (``startIndex=N/2``);

and in-process ``POST /Users`` through ``ScimService.handle`` (requests per second, one client,
no password), with the SQL statements each operation sends. Run:
``python -m benchmarks.bench_appstore [--users N]``.
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from scimcore.apps._phpserial import php_serialize
from scimcore.apps.wordpress import user_nicename
from scimcore.filter import parse_filter
from scimcore.schema import USER_URN
from scimcore.service import BearerTokens, ScimRequest, ScimService, ServiceConfig
from scimcore.store import Query, SqliteStore, Store, TableStore

TOKEN = "bench-token-0123456789"
_COLLATE = "DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci"

# WordPress 6.1, wp-admin/includes/schema.php (single site), $max_index_length = 191
WP_USERS = f"""CREATE TABLE IF NOT EXISTS wp_users (
  ID bigint(20) unsigned NOT NULL auto_increment,
  user_login varchar(60) NOT NULL default '',
  user_pass varchar(255) NOT NULL default '',
  user_nicename varchar(50) NOT NULL default '',
  user_email varchar(100) NOT NULL default '',
  user_url varchar(100) NOT NULL default '',
  user_registered datetime NOT NULL default '0000-00-00 00:00:00',
  user_activation_key varchar(255) NOT NULL default '',
  user_status int(11) NOT NULL default '0',
  display_name varchar(250) NOT NULL default '',
  PRIMARY KEY  (ID),
  KEY user_login_key (user_login),
  KEY user_nicename (user_nicename),
  KEY user_email (user_email)
) {_COLLATE}"""

WP_USERMETA = f"""CREATE TABLE IF NOT EXISTS wp_usermeta (
  umeta_id bigint(20) unsigned NOT NULL auto_increment,
  user_id bigint(20) unsigned NOT NULL default '0',
  meta_key varchar(255) default NULL,
  meta_value longtext,
  PRIMARY KEY  (umeta_id),
  KEY user_id (user_id),
  KEY meta_key (meta_key(191))
) {_COLLATE}"""

WP_OPTIONS = f"""CREATE TABLE IF NOT EXISTS wp_options (
  option_id bigint(20) unsigned NOT NULL auto_increment,
  option_name varchar(191) NOT NULL default '',
  option_value longtext NOT NULL,
  autoload varchar(20) NOT NULL default 'yes',
  PRIMARY KEY  (option_id),
  UNIQUE KEY option_name (option_name),
  KEY autoload (autoload)
) {_COLLATE}"""

#: The stock roles: display name, capability count, user level (``populate_roles``).
_ROLES = {
    "administrator": ("Administrator", 61, 10),
    "editor": ("Editor", 34, 7),
    "author": ("Author", 10, 2),
    "contributor": ("Contributor", 5, 1),
    "subscriber": ("Subscriber", 2, 0),
}

#: The usermeta rows ``wp_insert_user`` writes for a new subscriber (first/last/nick per user).
_META = (
    ("description", ""),
    ("rich_editing", "true"),
    ("syntax_highlighting", "true"),
    ("comment_shortcuts", "false"),
    ("admin_color", "fresh"),
    ("use_ssl", "0"),
    ("show_admin_bar_front", "true"),
    ("locale", ""),
    ("wp_capabilities", 'a:1:{s:10:"subscriber";b:1;}'),
    ("wp_user_level", "0"),
    ("dismissed_wp_pointers", ""),
)

#: The WordPress example's mapping (``examples/wordpress/mapping.toml``, Okta's table).
MAPPING_FILE = Path(__file__).resolve().parent.parent / "examples" / "wordpress" / "mapping.toml"


def _roles_option() -> str:
    roles: dict[str, Any] = {}
    for key, (name, count, level) in _ROLES.items():
        caps: dict[str, Any] = {f"level_{i}": True for i in range(level + 1)}
        caps["read"] = True
        for i in range(count - len(caps)):
            caps[f"{key}_capability_{i}"] = True
        roles[key] = {"name": name, "capabilities": caps}
    return php_serialize(roles)


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
        tables = {str(t) for t in conn.exec_driver_sql("SHOW TABLES").scalars()}
        if "wp_users" in tables and "wp_options" not in tables:  # an older layout: start again
            for name in ("wp_users", "wp_usermeta", "scim_resource", "scim_audit"):
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
        conn.exec_driver_sql(WP_USERS)
        conn.exec_driver_sql(WP_USERMETA)
        conn.exec_driver_sql(WP_OPTIONS)
        conn.exec_driver_sql(
            "INSERT IGNORE INTO wp_options (option_name, option_value) VALUES"
            " ('wp_user_roles', %s), ('default_role', 'subscriber')",
            (_roles_option(),),
        )
        have = int(conn.exec_driver_sql("SELECT max(ID) FROM wp_users").scalar() or 0)
    start = time.perf_counter()
    batch = 5000
    for first in range(have, n, batch):
        users = []
        metas = []
        for i in range(first, min(n, first + batch)):
            login = f"user{i}"
            users.append(
                (i + 1, login, user_nicename(login), f"{login}@example.com", f"Given{i} Family{i}")
            )
            metas += [(i + 1, "nickname", login), (i + 1, "first_name", f"Given{i}")]
            metas += [(i + 1, "last_name", f"Family{i}")]
            metas += [(i + 1, k, v) for k, v in _META]
        with engine.begin() as conn:
            raw = conn.connection.cursor()
            raw.executemany(
                "INSERT INTO wp_users (ID, user_login, user_nicename, user_email, display_name,"
                " user_registered) VALUES (%s, %s, %s, %s, %s, '2024-01-01 00:00:00')",
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


def wordpress_store(url: str) -> TableStore:
    """The application store as the WordPress example configures it (``wordpress_store``)."""
    from examples._site import idp_mapping
    from scimcore.apps.wordpress import register_transforms
    from scimcore.apps.wordpress import wordpress_store as factory

    register_transforms()  # the transforms the mapping names
    return factory(url, mapping=idp_mapping(MAPPING_FILE, "okta"))


def _scim_user(i: int) -> dict[str, Any]:
    return {
        "schemas": [USER_URN],
        "id": str(uuid.uuid4()),
        "userName": f"user{i}",
        "displayName": f"Given{i} Family{i}",
        "nickName": f"user{i}",
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


class _Statements:
    """Counts the SQL statements a TableStore's engine sends (``before_cursor_execute``)."""

    def __init__(self, store: Store) -> None:
        self.count = 0
        engine = getattr(store, "engine", None)
        self.active = engine is not None
        if engine is not None:
            from sqlalchemy import event

            event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args: Any) -> None:
        self.count += 1

    @contextmanager
    def per(self, rounds: int, out: dict[str, float], name: str) -> Iterator[None]:
        before = self.count
        yield
        if self.active:
            out[name] = (self.count - before) / rounds


def _ms(work: Callable[[int], Any], rounds: int, cpu: dict[str, float], name: str) -> float:
    """The median wall milliseconds of ``work``; ``cpu[name]``: this process's mean CPU ms."""
    times = []
    c0 = time.process_time()
    for r in range(rounds):
        t0 = time.perf_counter()
        work(r)
        times.append((time.perf_counter() - t0) * 1000)
    cpu[name] = (time.process_time() - c0) * 1000 / rounds
    return statistics.median(times)


def _measure(store: Store, n: int, label: str) -> tuple[dict[str, float], ...]:
    rng = random.Random(7)
    out: dict[str, float] = {}
    statements: dict[str, float] = {}
    cpu: dict[str, float] = {}
    counter = _Statements(store)

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

    lookup(0), first_page(0), middle_page(0)  # warm: prepare, caches
    rounds = {
        "userName eq (ms)": 300,
        "page of 100 + total (ms)": 50,
        "page of 100 at N/2 (ms)": 20,
    }
    for name, work in zip(rounds, (lookup, first_page, middle_page), strict=True):
        with counter.per(rounds[name], statements, name):
            out[name] = _ms(work, rounds[name], cpu, name)
    service = ScimService(
        store,
        ServiceConfig(
            base_url="https://bench.example.com/scim/v2",
            authenticator=BearerTokens.from_tokens({"bench": TOKEN}),
            audit_to_store=True,
        ),
    )
    tag = uuid.uuid4().hex[:6]
    posts = 400
    with counter.per(posts, statements, "POST /Users (req/s)"):
        t0, c0 = time.perf_counter(), time.process_time()
        for i in range(posts):
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
        out["POST /Users (req/s)"] = posts / (time.perf_counter() - t0)
        cpu["POST /Users (req/s)"] = (time.process_time() - c0) * 1000 / posts
    return out, statements, cpu


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
    table = wordpress_store(url)
    db = args.db or Path(tempfile.gettempdir()) / f"scimcore-bench-appstore-{n}.sqlite"
    sqlite = SqliteStore(db)
    _fill_sqlite(sqlite, n)
    load = os.getloadavg()
    table_figures, table_statements, table_cpu = _measure(table, n, "table")
    sqlite_figures, _, sqlite_cpu = _measure(sqlite, n, "sqlite")
    load_after = os.getloadavg()
    print(f"\n{n:,} users; medians (POST: one in-process client); load average (1 min)")
    print(f"{load[0]:.2f} before, {load_after[0]:.2f} after")
    print("TableStore: MariaDB, the WordPress configuration; SqliteStore: JSON documents;")
    print("statements: SQL statements per operation; CPU: this process's CPU ms per operation")
    heads = ("TableStore", "statements", "CPU", "SqliteStore", "CPU", "Table/Sqlite")
    print(f"{'':26}" + "".join(f"{h:>12}" for h in heads))
    for name, ours in table_figures.items():
        peer = sqlite_figures[name]
        ratio = ours / peer if "req/s" not in name else peer / ours
        cells = (
            f"{ours:.2f}",
            f"{table_statements.get(name, 0):.1f}",
            f"{table_cpu[name]:.2f}",
            f"{peer:.2f}",
            f"{sqlite_cpu[name]:.2f}",
        )
        print(f"{name:26}" + "".join(f"{c:>12}" for c in cells) + f"{ratio:>11.1f}x")
    table.close()
    sqlite.close()


if __name__ == "__main__":
    main(sys.argv[1:])
