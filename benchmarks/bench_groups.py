"""Membership changes on a 20,000-member group, scimcore (memory, SQLite, PostgreSQL) vs scim2-server.

Issue 12's group figures, in process (no HTTP), through each server's own request handler:

- ``one-member add`` / ``one-member remove``: ``add members`` with one new value, then
  ``remove members[value eq "…"]`` of it, on a group of 20,000 members; with the default reply
  (the whole group), with ``excludedAttributes=members`` and with ``Prefer: return=minimal``.
  Target: 5 ms in process (with a reply that does not carry the 20,000 members).
- ``1,000 filtered removes``: one PATCH of 1,000 ``remove members[value eq "…"]`` operations
  (the members are added back, untimed, between runs). Target: 50 ms.
- ``unrelated write during``: another client POSTs users one after another while a 1,000-remove
  PATCH runs; the longest POST is how long an unrelated write waits. Target: 100 ms.

scimcore's stores are seeded through the store's own transactions (20,000 users and the group),
scim2-server through its WSGI application (the users, then the group by PATCHes of 1,000
members). PostgreSQL is used when ``SCIMCORE_BENCH_PG_DSN`` or ``SCIMCORE_TEST_PG_DSN`` names a
server (or ``--pg DSN``); its tables go into a schema of their own, dropped at the end.

``python -m benchmarks groups`` (``--members N`` for another size, ``--cpu`` for this process's
CPU time instead of wall time). Figures: the median of several runs, ms per request.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks._big_patch import seed_group

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
TOKEN = "bench-token-0123456789abcdef"
MEMBERS = 20_000
REMOVES = 1_000
PEER_MEMBERS = 2_000
"""scim2-server's PATCH grows with the square of the group (100 filtered removes on 2,000 members
take it about 30 s here), so the side-by-side runs at this size, with 100 removes."""
PEER_REMOVES = 100
TARGETS = {"one-member": 5.0, "1,000 filtered removes": 50.0, "unrelated write": 100.0}

Call = Callable[[str, str, str, Any, dict[str, str]], tuple[int, bytes]]
"""(method, path, query, JSON body or None, extra headers) -> (status, body)."""

_clock = time.perf_counter


def _scimcore_call(svc: Any) -> Call:
    from scimcore.service import ScimRequest

    def call(
        method: str, path: str, query: str, body: Any, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        raw = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        hdrs = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/scim+json"}
        response = svc.handle(
            ScimRequest(method, "/scim/v2" + path, query, {**hdrs, **headers}, raw)
        )
        return response.status, response.body

    return call


@contextmanager
def _scimcore(kind: str, members: int, dsn: str | None) -> Iterator[tuple[Call, list[str], str]]:
    """A service on ``kind`` (memory, sqlite, postgresql) with a seeded group."""
    import attrs

    from scimcore import ServiceConfig
    from scimcore.service import BearerTokens, ScimService
    from scimcore.store import MemoryStore, SqliteStore

    config = attrs.evolve(
        ServiceConfig(authenticator=BearerTokens.from_tokens({"bench": TOKEN})),
        max_members=max(members * 2, 100_000),
    )
    schema = f"bench_groups_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as tmp:
        if kind == "memory":
            store: Any = MemoryStore()
        elif kind == "sqlite":
            store = SqliteStore(str(Path(tmp) / "bench.db"))
        else:
            from scimcore.store import PostgresStore

            assert dsn is not None
            store = PostgresStore(dsn, schema=schema, max_size=4)
        try:
            svc = ScimService(store, config)
            gid, users = seed_group(svc, members)
            yield _scimcore_call(svc), users, gid
        finally:
            store.close()
            if kind == "postgresql":
                import psycopg

                with psycopg.connect(dsn, autocommit=True) as conn:
                    conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@contextmanager
def _scim2_server(members: int) -> Iterator[tuple[Call, list[str], str] | None]:
    """scim2-server's WSGI application in process, seeded over its own API."""
    try:
        from benchmarks.bench_big_patch import _scim2_server as make
    except ImportError:
        yield None
        return
    raw = make()
    if raw is None:
        yield None
        return

    def call(
        method: str, path: str, query: str, body: Any, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        data = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        return raw(method, path + (f"?{query}" if query else ""), data, headers)

    users = []
    for i in range(members):
        status, out = call("POST", "/Users", "", {"schemas": [USER_URN], "userName": f"m{i}"}, {})
        if status != 201:
            raise SystemExit(f"scim2-server POST /Users answered {status}: {out[:200]!r}")
        users.append(json.loads(out)["id"])
    status, out = call("POST", "/Groups", "", {"schemas": [GROUP_URN], "displayName": "All"}, {})
    if status != 201:
        raise SystemExit(f"scim2-server POST /Groups answered {status}: {out[:200]!r}")
    gid = json.loads(out)["id"]
    for start in range(0, members, 1000):
        chunk = [{"value": u} for u in users[start : start + 1000]]
        op = {"op": "add", "path": "members", "value": chunk}
        status, out = call("PATCH", f"/Groups/{gid}", "", _patch([op]), {})
        if status not in (200, 204):
            raise SystemExit(f"scim2-server PATCH answered {status}: {out[:200]!r}")
    yield call, users, gid


def _patch(ops: list[dict[str, Any]]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": ops}


def _timed(call: Call, *args: Any) -> float:
    start = _clock()
    status, out = call(*args)
    took = (_clock() - start) * 1000
    if status not in (200, 204):
        raise SystemExit(f"{args[0]} {args[1]} answered {status}: {out[:300]!r}")
    return took


_REPLIES: dict[str, tuple[str, dict[str, str]]] = {
    "whole group": ("", {}),
    "excludedAttributes=members": ("excludedAttributes=members", {}),
    "Prefer return=minimal": ("", {"Prefer": "return=minimal"}),
}


def _run(
    call: Call, users: list[str], gid: str, runs: int, label: str, removes: int = REMOVES
) -> dict[str, float]:
    """Every scenario on one server; ms per request (medians)."""
    out: dict[str, float] = {}
    spare = f"spare-{uuid.uuid4()}"
    status, created = call("POST", "/Users", "", {"schemas": [USER_URN], "userName": spare}, {})
    if status != 201:
        raise SystemExit(f"POST /Users answered {status}")
    spare_id = json.loads(created)["id"]
    add = _patch([{"op": "add", "path": "members", "value": [{"value": spare_id}]}])
    remove = _patch([{"op": "remove", "path": f'members[value eq "{spare_id}"]'}])
    path = f"/Groups/{gid}"
    for reply, (query, headers) in _REPLIES.items():
        n = runs if reply == "whole group" else runs * 3
        adds, drops = [], []
        for _ in range(n):
            adds.append(_timed(call, "PATCH", path, query, add, headers))
            drops.append(_timed(call, "PATCH", path, query, remove, headers))
        out[f"one-member add ({reply})"] = statistics.median(adds)
        out[f"one-member remove ({reply})"] = statistics.median(drops)
    chosen = users[:: max(1, len(users) // removes)][:removes]
    removes_body = _patch([{"op": "remove", "path": f'members[value eq "{u}"]'} for u in chosen])
    back = _patch([{"op": "add", "path": "members", "value": [{"value": u} for u in chosen]}])
    query, headers = _REPLIES["Prefer return=minimal"]
    times = []
    for _ in range(runs):
        times.append(_timed(call, "PATCH", path, query, removes_body, headers))
        _timed(call, "PATCH", path, query, back, headers)
    out[f"{removes:,} filtered removes (Prefer return=minimal)"] = statistics.median(times)
    if label != "scim2-server":
        out[f"unrelated write during {removes:,} removes (longest POST)"] = _unrelated(
            call, path, removes_body, back, runs
        )
    print(f"  {label}: done", file=sys.stderr, flush=True)
    return out


def _post_until(call: Call, done: threading.Event, waits: list[float]) -> None:
    """POST users one after another until ``done``; each one's wall time into ``waits``."""
    while not done.is_set():
        body = {"schemas": [USER_URN], "userName": f"x{uuid.uuid4().hex}"}
        start = time.perf_counter()
        status, _ = call("POST", "/Users", "", body, {})
        waits.append(time.perf_counter() - start)
        if status != 201:
            raise SystemExit(f"POST /Users answered {status}")


def _unrelated(call: Call, path: str, body: Any, back: Any, runs: int) -> float:
    """The longest POST another thread makes while the big PATCH runs (ms, wall time)."""
    worst = 0.0
    minimal = {"Prefer": "return=minimal"}
    for _ in range(runs):
        done = threading.Event()
        waits: list[float] = []
        worker = threading.Thread(target=_post_until, args=(call, done, waits))
        worker.start()
        time.sleep(0.005)
        _timed(call, "PATCH", path, "", body, minimal)
        done.set()
        worker.join()
        _timed(call, "PATCH", path, "", back, minimal)
        worst = max(worst, max(waits) * 1000)
    return worst


def _pg_dsn(argv: list[str]) -> str | None:
    if "--pg" in argv:
        return argv[argv.index("--pg") + 1]
    dsn = os.environ.get("SCIMCORE_BENCH_PG_DSN") or os.environ.get("SCIMCORE_TEST_PG_DSN")
    if not dsn:
        return None
    import psycopg

    try:
        psycopg.connect(dsn, connect_timeout=3).close()
    except (ImportError, psycopg.Error) as exc:
        print(f"PostgreSQL at {dsn} is not reachable ({exc}); its rows are skipped")
        return None
    return dsn


def _table(results: dict[str, dict[str, float]], title: str) -> None:
    print(f"-- {title}")
    servers = list(results)
    peer = results.get("scim2-server", {})
    names = [n for n in results[servers[0]] if all(n in r for r in results.values())]
    print(f"{'ms per request':56}" + "".join(f"{s:>22}" for s in servers))
    for name in names:
        cells = []
        for server in servers:
            ms = results[server][name]
            peer_ms = peer.get(name)
            ratio = f" ({peer_ms / ms:6.1f}x)" if peer_ms and server != "scim2-server" else ""
            cells.append(f"{ms:9.1f}{ratio:>12}")
        print(f"{name:56}" + "".join(f"{c:>22}" for c in cells))


def load() -> str:
    """``uptime``'s load average (benchmarks on a shared machine are read beside it)."""
    try:
        return subprocess.run(
            ["uptime"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        return "load: unknown (no uptime)"


def main(argv: list[str] | None = None) -> None:
    """Print ms per request for every scenario and server, with the ratio to scim2-server."""
    global _clock
    args = sys.argv[1:] if argv is None else argv
    if "--cpu" in args:
        _clock = time.process_time
        print("(CPU time of this process, not wall time; the unrelated-write wait is wall time)")
    members = int(args[args.index("--members") + 1]) if "--members" in args else MEMBERS
    runs = 5
    dsn = _pg_dsn(args)
    print(f"group of {members} members, in process; {load()}")
    results: dict[str, dict[str, float]] = {}
    kinds = ["memory", "sqlite"] + (["postgresql"] if dsn else [])
    for kind in kinds:
        with _scimcore(kind, members, dsn) as (call, users, gid):
            results[f"scimcore {kind}"] = _run(call, users, gid, runs, kind)
    _table(results, f"{members:,} members")
    for server, rows in results.items():
        verdicts = []
        for key, target in TARGETS.items():
            worst = max(ms for name, ms in rows.items() if key in name and "whole" not in name)
            verdict = "met" if worst <= target else "NOT met"
            verdicts.append(f"{key} <= {target:.0f} ms: {verdict} ({worst:.1f})")
        print(f"{server}: " + "; ".join(verdicts))
    side: dict[str, dict[str, float]] = {}
    with _scim2_server(PEER_MEMBERS) as peer:
        if peer is None:
            print("scim2-server is not installed (pip install '.[bench]'): no side-by-side")
        else:
            side["scim2-server"] = _run(*peer, runs=1, label="scim2-server", removes=PEER_REMOVES)
    if side:
        with _scimcore("memory", PEER_MEMBERS, None) as (call, users, gid):
            ours = _run(call, users, gid, runs, "memory", removes=PEER_REMOVES)
        side = {"scimcore memory": ours, **side}
        _table(side, f"{PEER_MEMBERS:,} members, beside scim2-server (Nx = its time / ours)")
    print(f"after: {load()}")


if __name__ == "__main__":
    main()
