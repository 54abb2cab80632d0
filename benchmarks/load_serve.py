"""Load test, run by hand: concurrent HTTP clients against real SCIM servers, requests per second.

Starts each server as its own process on 127.0.0.1, seeds users, then for each operation runs
concurrent keep-alive clients (several processes, several threads each) for a fixed time and
reports requests per second and any non-2xx answers. A last phase has every client PATCH-add a
distinct email to one shared user and checks that none was lost.

Default (peer) mode, each server as documented and then both on one HTTP stack:

* ``scimcore-sqlite``: ``scimcore serve`` (SQLite, writes audited; uvicorn + httptools);
* ``scim2-server``: its own ``scim2-server`` command (wsgiref, HTTP/1.0: no keep-alive);
* ``scimcore-wsgiref``: ``scimcore serve --server wsgiref``, scim2-server's stack;
* ``scim2-uvicorn``: scim2-server's WSGI app under uvicorn + httptools, scimcore's stack
  (``benchmarks/scim2_on_uvicorn.py``);
* ``scimcore-postgres`` when a DSN is given, ``scimcore-memory``.

``--workers N`` instead runs ``scimcore serve --workers N`` beside ``--workers 1`` on SQLite
(and PostgreSQL when a DSN is given) and prints the ratio (``--workers-compare`` is
``--workers 2``).

The run ends with the table docs/benchmarks.md and the README show, in Markdown: requests per
second and, in brackets, the ratio to scim2-server as documented (or, with ``--workers``, to one
worker).

    python -m benchmarks.load_serve [--seconds 5] [--procs 4] [--threads 4]
        [--pg postgresql://postgres@127.0.0.1:5432/test] [--only scimcore-sqlite,scim2-server]
        [--workers N | --workers-compare]

Not run in CI: the numbers depend on the machine (and on whatever else shares its cores).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "load-test-token-" + "x" * 24
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
OPS = ("get", "filter", "post", "patch")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            r = httpx.get(
                f"{base}/ServiceProviderConfig",
                headers={"Authorization": f"Bearer {TOKEN}"},
                timeout=2,
            )
            if r.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"server at {base} did not start")


@contextmanager
def _process(cmd: list[str], base: str) -> Iterator[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait(base, proc)
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def scimcore_server(db: str, *, server: str = "uvicorn", workers: int = 1) -> Iterator[str]:
    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "scimcore",
        "serve",
        "--db",
        db,
        "--port",
        str(port),
        "--token",
        TOKEN,
        "--server",
        server,
        "--workers",
        str(workers),
    ]
    with _process(cmd, f"http://127.0.0.1:{port}/scim/v2") as base:
        yield base


@contextmanager
def scim2_server() -> Iterator[str]:
    port = _free_port()
    exe = shutil.which("scim2-server") or str(Path(sys.executable).parent / "scim2-server")
    cmd = [exe, "--port", str(port), "--bearer-token", TOKEN]
    with _process(cmd, f"http://127.0.0.1:{port}") as base:
        yield base


@contextmanager
def scim2_on_uvicorn() -> Iterator[str]:
    port = _free_port()
    cmd = [sys.executable, "-m", "benchmarks.scim2_on_uvicorn", "--port", str(port)]
    with _process([*cmd, "--bearer-token", TOKEN], f"http://127.0.0.1:{port}") as base:
        yield base


@contextmanager
def pg_database(dsn: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one run, dropped afterwards."""
    import psycopg

    name = f"scimcore_load_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    head, _, _ = dsn.rpartition("/")
    try:
        yield f"{head}/{name}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _user(name: str) -> dict[str, Any]:
    return {
        "schemas": [USER],
        "userName": name,
        "name": {"givenName": "Load", "familyName": "Test"},
        "emails": [{"value": name, "type": "work", "primary": True}],
        "active": True,
    }


def seed(base: str, n: int) -> list[tuple[str, str]]:
    out = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        for i in range(n):
            name = f"seed{i}@example.com"
            r = c.post("/Users", json=_user(name))
            r.raise_for_status()
            out.append((r.json()["id"], name))
    return out


def _request(op: str, c: httpx.Client, users: list[tuple[str, str]], tag: str, i: int) -> int:
    uid, name = random.choice(users)
    if op == "get":
        return c.get(f"/Users/{uid}").status_code
    if op == "filter":
        return c.get("/Users", params={"filter": f'userName eq "{name}"'}).status_code
    if op == "post":
        return c.post("/Users", json=_user(f"new-{tag}-{i}@example.com")).status_code
    body = {
        "schemas": [PATCH],
        "Operations": [{"op": "replace", "path": "displayName", "value": f"D {tag} {i}"}],
    }
    return c.patch(f"/Users/{uid}", json=body).status_code


def _worker(
    args: tuple[str, str, list[tuple[str, str]], float, float, int, int],
) -> tuple[int, dict[int, int]]:
    base, op, users, start, seconds, threads, proc_no = args
    counts: Counter[int] = Counter()
    lock = threading.Lock()
    stop = start + seconds

    def run(t: int) -> None:
        local: Counter[int] = Counter()
        tag = f"{os.getpid()}-{t}-{secrets.token_hex(2)}"
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/scim+json"}
        with httpx.Client(base_url=base, headers=headers, timeout=30) as c:
            i = 0
            time.sleep(max(0.0, start - time.time()))
            while time.time() < stop:
                try:
                    local[_request(op, c, users, tag, i)] += 1
                except httpx.HTTPError:
                    local[-1] += 1
                i += 1
        with lock:
            counts.update(local)

    pool = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return proc_no, dict(counts)


def measure(
    base: str, op: str, users: list[tuple[str, str]], seconds: float, procs: int, threads: int
) -> tuple[float, dict[int, int]]:
    ctx = mp.get_context("spawn")
    start = time.time() + 3.0  # every client starts together, once the processes are up
    jobs = [(base, op, users, start, seconds, threads, p) for p in range(procs)]
    with ctx.Pool(procs) as pool:
        results = pool.map(_worker, jobs)
    total: Counter[int] = Counter()
    for _, counts in results:
        total.update(counts)
    return sum(total.values()) / seconds, dict(total)


def lost_updates(base: str, clients: int, each: int) -> tuple[int, int, dict[int, int]]:
    """Every client PATCH-adds distinct emails to one user; returns (sent OK, stored, statuses)."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as c:
        r = c.post("/Users", json=_user(f"shared-{secrets.token_hex(3)}@example.com"))
        r.raise_for_status()
        uid = r.json()["id"]
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def run(k: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as c:
            for i in range(each):
                body = {
                    "schemas": [PATCH],
                    "Operations": [
                        {"op": "add", "path": "emails", "value": [{"value": f"c{k}-{i}@x.org"}]}
                    ],
                }
                status = c.patch(f"/Users/{uid}", json=body).status_code
                with lock:
                    statuses[status] += 1

    pool = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    with httpx.Client(base_url=base, headers=headers, timeout=30) as c:
        emails = c.get(f"/Users/{uid}").json().get("emails", [])
    ok = sum(n for s, n in statuses.items() if 200 <= s < 300)
    return ok, len(emails) - 1, dict(statuses)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--procs", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seed", type=int, default=500)
    parser.add_argument("--pg", default=os.environ.get("SCIMCORE_TEST_PG_DSN"))
    parser.add_argument("--only", default="")
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        metavar="N",
        help="scimcore serve --workers N against --workers 1 (SQLite, and PostgreSQL with --pg)",
    )
    parser.add_argument("--workers-compare", action="store_true", help="the same as --workers 2")
    args = parser.parse_args(argv)
    if args.workers_compare and not args.workers:
        args.workers = 2
    if args.workers == 1 or args.workers < 0:
        parser.error("--workers: compare at least 2 workers with 1")

    targets: list[tuple[str, Callable[[], Any]]] = []
    tmp = Path(tempfile.mkdtemp(prefix="scimcore-load-"))
    dsn = args.pg

    @contextmanager
    def pg_target(workers: int = 1) -> Iterator[str]:
        with pg_database(dsn) as db, scimcore_server(db, workers=workers) as base:
            yield base

    many = args.workers
    if many:
        for n in (1, many):
            db = f"sqlite:///{tmp / f'load-w{n}.db'}"
            targets.append((f"sqlite-w{n}", lambda db=db, n=n: scimcore_server(db, workers=n)))
        if dsn:
            targets += [(f"postgres-w{n}", lambda n=n: pg_target(n)) for n in (1, many)]
    else:
        targets.append(("scimcore-sqlite", lambda: scimcore_server(f"sqlite:///{tmp / 'a.db'}")))
        targets.append(("scim2-server", scim2_server))
        targets.append(
            (
                "scimcore-wsgiref",
                lambda: scimcore_server(f"sqlite:///{tmp / 'b.db'}", server="wsgiref"),
            )
        )
        targets.append(("scim2-uvicorn", scim2_on_uvicorn))
        if dsn:
            targets.append(("scimcore-postgres", pg_target))
        targets.append(("scimcore-memory", lambda: scimcore_server("memory:")))
    if args.only:
        wanted = set(args.only.split(","))
        targets = [t for t in targets if t[0] in wanted]

    clients = args.procs * args.threads
    print(
        f"{clients} concurrent clients ({args.procs} processes x {args.threads} threads), "
        f"{args.seconds:g} s per operation, {args.seed} seeded users; the servers run side by "
        "side and are measured in turn for each operation, so drift in the machine's load "
        "hits them alike",
        flush=True,
    )
    table: dict[str, dict[str, float]] = {name: {} for name, _ in targets}
    with ExitStack() as stack:
        bases = {name: stack.enter_context(make()) for name, make in targets}
        users = {name: seed(base, args.seed) for name, base in bases.items()}
        for op in OPS:
            for name, base in bases.items():
                rate, statuses = measure(
                    base, op, users[name], args.seconds, args.procs, args.threads
                )
                table[name][op] = rate
                bad = {s: n for s, n in statuses.items() if not 200 <= s < 300}
                print(f"{name:18} {op:7} {rate:8.0f} req/s  non-2xx: {bad or 'none'}", flush=True)
        for name, base in bases.items():
            ok, stored, statuses = lost_updates(base, clients=8, each=25)
            verdict = "no lost update" if ok == stored else f"LOST {ok - stored}"
            print(
                f"{name:18} lost-update check: {ok} PATCHes answered 2xx, {stored} emails "
                f"stored ({verdict}); statuses {statuses}",
                flush=True,
            )
    shutil.rmtree(tmp, ignore_errors=True)
    pairs = [
        ("as documented", "scimcore-sqlite", "scim2-server"),
        ("one stack: uvicorn+httptools", "scimcore-sqlite", "scim2-uvicorn"),
        ("one stack: wsgiref (HTTP/1.0)", "scimcore-wsgiref", "scim2-server"),
        (f"workers {many} / 1, SQLite", f"sqlite-w{many}", "sqlite-w1"),
        (f"workers {many} / 1, PostgreSQL", f"postgres-w{many}", "postgres-w1"),
    ]
    print("\nrequests per second:")
    print(f"{'':18} " + " ".join(f"{op:>9}" for op in OPS))
    for name, row in table.items():
        print(f"{name:18} " + " ".join(f"{row[op]:9.0f}" for op in OPS))
    print("\nratios (ours / theirs, or more workers / fewer):")
    for label, ours, theirs in pairs:
        if ours in table and theirs in table:
            a, b = table[ours], table[theirs]
            cells = " ".join(f"{a[op] / b[op]:8.2f}x" if b[op] else f"{'-':>9}" for op in OPS)
            print(f"{label:31} {ours} / {theirs}: {cells}")
    print("\nMarkdown (docs/benchmarks.md, README):\n")
    print(markdown(table, workers=many))
    return 0


_LABELS = {
    "scimcore-sqlite": "scimcore serve, SQLite (uvicorn + httptools)",
    "scimcore-postgres": "scimcore serve, PostgreSQL",
    "scimcore-memory": "scimcore serve, memory",
    "scimcore-wsgiref": "scimcore serve --server wsgiref (scim2-server's stack)",
    "scim2-server": "scim2-server, as documented (wsgiref, HTTP/1.0)",
    "scim2-uvicorn": "scim2-server under uvicorn + httptools (scimcore's stack)",
}


def markdown(table: dict[str, dict[str, float]], *, workers: int = 0) -> str:
    """The requests-per-second table with each figure's ratio to its reference, in brackets.

    The reference is scim2-server as documented, except on scimcore's wsgiref row (scim2-server
    on that stack too) and scim2-server's own rows; with ``workers``, each store's one-worker row.
    """
    heads = {"get": "GET by id", "filter": "filter userName", "post": "POST", "patch": "PATCH"}
    lines = ["| server | " + " | ".join(heads[op] for op in OPS) + " |"]
    lines.append("|---|" + "---|" * len(OPS))
    for name, row in table.items():
        if workers:
            kind, _, n = name.partition("-w")
            label = (
                f"scimcore serve --workers {n}, {'SQLite' if kind == 'sqlite' else 'PostgreSQL'}"
            )
            ref = table.get(f"{kind}-w1") if n != "1" else None
        else:
            label = _LABELS.get(name, name)
            ref = None if name.startswith("scim2") else table.get("scim2-server")
        cells = []
        for op in OPS:
            cell = f"{row[op]:.0f}"
            if ref and ref.get(op):
                cell += f" ({row[op] / ref[op]:.2f}\u00d7)"
            cells.append(cell)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
