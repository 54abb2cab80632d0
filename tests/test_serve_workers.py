"""Several ``scimcore serve`` processes on one database: nothing that matters is per process.

* ``--workers 2`` on SQLite: two forked workers share the port, the generated token and the data;
  SIGTERM stops them all.
* two separate ``scimcore serve`` processes on different ports over one PostgreSQL database (a
  fresh one, dropped afterwards), driven at once: concurrent PATCHes lose no update, identical
  POSTs sent to different processes give one 201 and one 409, a cursor and an ETag from one
  process are honoured by the other.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from scimcore.errors import ConfigurationError
from scimcore.service import RateLimit
from scimcore.service._workers import parse_workers, worker_rate_limit
from tests.test_serve import _free_port

ROOT = Path(__file__).resolve().parent.parent
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SCIM_JSON = "application/scim+json"


class Served:
    """One ``scimcore serve`` process (its workers, if any, are its children)."""

    def __init__(self, proc: subprocess.Popen[str], base: str, token: str) -> None:
        self.proc = proc
        self.base = base
        self.token = token
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": SCIM_JSON}

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, headers=self.headers, timeout=30)


def _start(tmp_path: Path, db: str, *extra: str, token: str | None = None) -> Served:
    port = _free_port()
    cmd = [sys.executable, "-m", "scimcore", "serve", "--db", db, "--port", str(port), *extra]
    if token is not None:
        cmd += ["--token", token]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = (tmp_path / f"serve-{port}.log").open("w")
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stderr=log, text=True)
    log.close()
    base = f"http://127.0.0.1:{port}/scim/v2"
    deadline = time.monotonic() + 60
    while True:
        text = (tmp_path / f"serve-{port}.log").read_text()
        if token is None:
            found = re.search(r"use this one: (\S+)", text)
            token = found.group(1) if found else None
        if token is not None:
            try:
                r = httpx.get(f"{base}/ServiceProviderConfig", timeout=2)
                if r.status_code in (200, 401):
                    return Served(proc, base, token)
            except httpx.TransportError:
                pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"scimcore serve did not start: {text}")
        time.sleep(0.1)


def _stop(served: Served) -> int:
    served.proc.send_signal(signal.SIGTERM)
    return served.proc.wait(30)


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    if not path.exists():
        pytest.skip("needs Linux /proc to see the worker processes")
    return [int(p) for p in path.read_text().split()]


def _together(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run the jobs on threads released at one barrier; their results (or exceptions)."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = jobs[i]()
        except Exception as exc:  # surfaced by the caller's asserts
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _user(name: str, **more: Any) -> dict[str, Any]:
    return {"schemas": [USER_URN], "userName": name, **more}


# -- options ---------------------------------------------------------------------------------


def test_workers_option() -> None:
    assert parse_workers("3") == 3
    assert parse_workers("auto") >= 1
    for bad in ("0", "-1", "many"):
        with pytest.raises(ConfigurationError):
            parse_workers(bad)


def test_rate_limit_is_shared_out_between_workers() -> None:
    limit = RateLimit(per_second=10, burst=5)
    assert worker_rate_limit(limit, 1) is limit
    assert worker_rate_limit(limit, 4) == RateLimit(per_second=2.5, burst=5)
    assert worker_rate_limit(None, 4) is None


def test_workers_refuse_a_memory_store(capsys: pytest.CaptureFixture[str]) -> None:
    from scimcore.cli import main

    assert main(["serve", "--db", "memory:", "--workers", "2"]) == 2
    assert "needs a database the workers share" in capsys.readouterr().err


# -- --workers 2 on SQLite -------------------------------------------------------------------


@pytest.mark.parametrize("server", ["uvicorn", "wsgiref"])
def test_two_workers_on_sqlite(tmp_path: Path, server: str) -> None:
    served = _start(
        tmp_path, f"sqlite:///{tmp_path / 'w.db'}", "--workers", "2", "--server", server
    )
    try:
        workers = _children(served.proc.pid)
        assert len(workers) == 2, workers
        # new connections each time, so the kernel hands them to either worker: the generated
        # token, the data and the ETags are the same whichever answers
        created = _together(
            [
                lambda i=i: httpx.post(
                    f"{served.base}/Users",
                    headers=served.headers,
                    json=_user(f"sqlite-{i}"),
                    timeout=30,
                )
                for i in range(8)
            ]
        )
        assert [r.status_code for r in created] == [201] * 8, created
        etags = {r.json()["id"]: r.headers["etag"] for r in created}
        for _ in range(4):
            for uid, etag in etags.items():
                got = httpx.get(f"{served.base}/Users/{uid}", headers=served.headers, timeout=30)
                assert got.status_code == 200 and got.headers["etag"] == etag
        listed = httpx.get(
            f"{served.base}/Users",
            params={"filter": 'userName sw "sqlite-"'},
            headers=served.headers,
        )
        assert listed.json()["totalResults"] == 8
        assert httpx.get(f"{served.base}/Users", timeout=30).status_code == 401
    finally:
        code = _stop(served)
    assert code == 0
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in _state(pid)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().lower()
    except FileNotFoundError:
        return "zombie"


def test_a_dead_worker_is_replaced(tmp_path: Path) -> None:
    served = _start(tmp_path, f"sqlite:///{tmp_path / 'r.db'}", "--workers", "2", token="tok-1")
    try:
        first = _children(served.proc.pid)
        os.kill(first[0], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while True:
            now = _children(served.proc.pid)
            if len(now) == 2 and first[0] not in now:
                break
            assert time.monotonic() < deadline, now
            time.sleep(0.1)
        r = httpx.post(f"{served.base}/Users", headers=served.headers, json=_user("after"))
        assert r.status_code == 201
    finally:
        assert _stop(served) == 0


# -- two processes over one PostgreSQL -------------------------------------------------------


@pytest.fixture
def pg_database(pg_dsn: str) -> Iterator[str]:
    """A fresh PostgreSQL database of this test's own; its DSN. Dropped afterwards."""
    import psycopg

    name = f"scimcore_workers_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    parts = urlsplit(pg_dsn)
    yield urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def two_servers(tmp_path: Path, pg_database: str) -> Iterator[tuple[Served, Served]]:
    token = f"shared-{uuid.uuid4().hex}"
    a = _start(tmp_path, pg_database, token=token)
    try:
        b = _start(tmp_path, pg_database, token=token)
    except BaseException:
        _stop(a)
        raise
    try:
        yield a, b
    finally:
        _stop(a)
        _stop(b)


@pytest.mark.postgres
def test_concurrent_patches_on_two_processes_lose_nothing(
    two_servers: tuple[Served, Served],
) -> None:
    a, b = two_servers
    with a.client() as ca:
        created = ca.post("/Users", json=_user("patched"))
    assert created.status_code == 201
    uid = created.json()["id"]
    n = 16

    def add(i: int) -> httpx.Response:
        server = (a, b)[i % 2]
        body = {
            "schemas": [PATCH_URN],
            "Operations": [
                {"op": "add", "path": "emails", "value": [{"value": f"e{i}@example.com"}]}
            ],
        }
        with server.client() as c:
            return c.patch(f"/Users/{uid}", json=body)

    results = _together([lambda i=i: add(i) for i in range(n)])
    assert all(isinstance(r, httpx.Response) and r.status_code == 200 for r in results), results
    with b.client() as cb:
        final = cb.get(f"/Users/{uid}").json()
    assert sorted(e["value"] for e in final["emails"]) == sorted(
        f"e{i}@example.com" for i in range(n)
    )


@pytest.mark.postgres
def test_identical_posts_to_two_processes_give_one_201(two_servers: tuple[Served, Served]) -> None:
    a, b = two_servers
    for round_ in range(5):
        name = f"twin-{round_}@example.com"

        def post(server: Served, name: str = name) -> int:
            with server.client() as c:
                return c.post("/Users", json=_user(name)).status_code

        codes = _together([lambda: post(a), lambda: post(b)])
        assert sorted(codes) == [201, 409], codes
        with a.client() as ca:
            found = ca.get("/Users", params={"filter": f'userName eq "{name}"'}).json()
        assert found["totalResults"] == 1


@pytest.mark.postgres
def test_cursor_and_etag_from_one_process_work_on_the_other(
    two_servers: tuple[Served, Served],
) -> None:
    a, b = two_servers
    with a.client() as ca, b.client() as cb:
        for i in range(5):
            assert ca.post("/Users", json=_user(f"page-{i}")).status_code == 201
        first = ca.get("/Users", params={"cursor": "", "count": 2}).json()
        assert len(first["Resources"]) == 2 and "nextCursor" in first
        on_a = ca.get("/Users", params={"cursor": first["nextCursor"], "count": 2}).json()
        on_b = cb.get("/Users", params={"cursor": first["nextCursor"], "count": 2}).json()
        assert [r["id"] for r in on_b["Resources"]] == [r["id"] for r in on_a["Resources"]]
        seen = {r["id"] for r in first["Resources"]} | {r["id"] for r in on_b["Resources"]}
        assert len(seen) == 4

        uid = first["Resources"][0]["id"]
        etag = ca.get(f"/Users/{uid}").headers["etag"]
        body = {
            "schemas": [PATCH_URN],
            "Operations": [{"op": "replace", "path": "title", "value": "x"}],
        }
        ok = cb.patch(f"/Users/{uid}", json=body, headers={"If-Match": etag})
        assert ok.status_code == 200
        stale = ca.patch(f"/Users/{uid}", json=body, headers={"If-Match": etag})
        assert stale.status_code == 412
        assert ca.get(f"/Users/{uid}").headers["etag"] == ok.headers["etag"]
