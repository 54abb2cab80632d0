"""The command line tried as a new user would: every mistake is one line and exit 2, never a trace.

Each case runs the real command in a child process (``python -m scimcore`` / ``-m conformance``).
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"


def _run(
    module: str, *args: str, cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    """Exit 2, no traceback, and stderr ends in one line holding every needle."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines, "no message"
    last = lines[-1]
    for needle in needles:
        assert needle in last, (needle, proc.stderr)
    return last


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_serve_db_in_a_missing_directory(tmp_path: Path) -> None:
    proc = _run("scimcore", "serve", "--db", str(tmp_path / "nope" / "x.db"), cwd=tmp_path)
    _one_line_error(proc, "--db", "does not exist", "mkdir -p")
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "url", ["mysql://scim:secret@127.0.0.1/scim", "mysql+pymysql://u@h/db", "redis://h/0"]
)
def test_serve_db_with_an_unsupported_scheme(tmp_path: Path, url: str) -> None:
    last = _one_line_error(
        _run("scimcore", "serve", "--db", url, cwd=tmp_path), "--db", "sqlite:///", "postgresql"
    )
    assert "secret" not in last
    if url.startswith("mysql"):
        assert "scimcore[postgres]" in last and "MySQL" in last
    assert not list(tmp_path.iterdir())  # no file named after the URL


@pytest.mark.parametrize("port", ["70000", "-1", "http"])
def test_serve_port_out_of_range(tmp_path: Path, port: str) -> None:
    _one_line_error(_run("scimcore", "serve", "--port", port, cwd=tmp_path), "--port")


@pytest.mark.parametrize("server", ["wsgiref", "uvicorn"])
def test_serve_on_a_busy_port(tmp_path: Path, server: str) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        proc = _run(
            "scimcore", "serve", "--db", "memory:", "--port", port, "--server", server, cwd=tmp_path
        )
    last = _one_line_error(proc, port, "in use", "--port")
    assert "use this one" not in proc.stderr  # no token handed out for a server that never ran
    assert last == proc.stderr.strip()


def test_serve_db_that_is_not_sqlite(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    _one_line_error(
        _run("scimcore", "serve", "--db", "notes.txt", cwd=tmp_path), "not a SQLite database"
    )


def test_postgres_refusing_connections_fails_fast(tmp_path: Path) -> None:
    pytest.importorskip("psycopg", reason="the postgres extra is needed")
    start = time.monotonic()
    proc = _run(
        "scimcore",
        "serve",
        "--db",
        f"postgresql://scim:pw@127.0.0.1:{_free_port()}/scim",
        "--port",
        str(_free_port()),
        cwd=tmp_path,
    )
    assert time.monotonic() - start < 15
    last = _one_line_error(proc, "--db", "cannot connect to PostgreSQL")
    assert "pw@" not in last
    assert len(proc.stderr.strip().splitlines()) == 1


def test_postgres_database_that_does_not_exist(tmp_path: Path, pg_dsn: str) -> None:
    pytest.importorskip("psycopg", reason="the postgres extra is needed")
    url = re.sub(r"/[^/?]*(\?|$)", r"/scimcore_no_such_db\1", pg_dsn.split("://", 1)[1], count=1)
    url = pg_dsn.split("://", 1)[0] + "://" + url
    start = time.monotonic()
    proc = _run("scimcore", "serve", "--db", url, "--port", str(_free_port()), cwd=tmp_path)
    assert time.monotonic() - start < 15  # the pool's 30 s wait is gone
    _one_line_error(proc, "scimcore_no_such_db", "does not exist", "createdb")
    assert len(proc.stderr.strip().splitlines()) == 1


def test_conformance_html_into_a_missing_directory_fails_before_running(tmp_path: Path) -> None:
    start = time.monotonic()
    proc = _run(
        "conformance",
        "run",
        "--html",
        str(tmp_path / "no" / "r.html"),
        "--idp",
        "okta",
        cwd=tmp_path,
    )
    _one_line_error(proc, "--html", "does not exist")
    assert "PASSED" not in proc.stdout  # refused before anything was replayed
    assert time.monotonic() - start < 30


def test_conformance_unsupported_db(tmp_path: Path) -> None:
    _one_line_error(
        _run("conformance", "run", "--db", "mysql://x/y", "--idp", "okta", cwd=tmp_path), "--db"
    )


@pytest.mark.parametrize(
    "argv",
    [
        ("conformance", "coverage"),
        ("conformance", "list"),
        ("scimcore", "--help"),
    ],
)
def test_output_into_a_closed_pipe_is_no_traceback(tmp_path: Path, argv: tuple[str, ...]) -> None:
    """``… | head``: the reader leaves before the writer is done (here: before it starts)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", *argv],
        cwd=tmp_path,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read()
    proc.stderr.close()
    proc.wait(60)
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_audit_list_into_a_closed_pipe(tmp_path: Path) -> None:
    db = tmp_path / "scim.db"
    _audit_rows(db, 5)
    proc = subprocess.Popen(
        [sys.executable, "-m", "scimcore", "audit", "list", "--db", str(db), "--count", "5"],
        cwd=tmp_path,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read()
    proc.stderr.close()
    proc.wait(60)
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def _audit_rows(db: Path, n: int) -> None:
    import datetime as dt

    from scimcore.audit import SqliteAuditLog, build_record

    log = SqliteAuditLog(str(db))
    t0 = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    for i in range(n):
        log.append(
            build_record(
                method="POST",
                path="/Users",
                status=201,
                time=t0 + dt.timedelta(minutes=i),
                resource_type="User",
                new={"id": f"u{i}", "userName": f"user{i}"},
            )
        )
    log.close()


def test_audit_clear_needs_a_scope(tmp_path: Path) -> None:
    db = tmp_path / "scim.db"
    _audit_rows(db, 3)
    _one_line_error(_run("scimcore", "audit", "clear", "--db", str(db), cwd=tmp_path), "--all")
    _one_line_error(
        _run(
            "scimcore", "audit", "clear", "--db", str(db), "--older-than-days", "-3", cwd=tmp_path
        ),
        "--older-than-days",
    )
    _one_line_error(
        _run(
            "scimcore", "audit", "clear", "--db", str(db), "--all", "--filter", "x pr", cwd=tmp_path
        ),
        "--all",
    )
    listed = _run("scimcore", "audit", "list", "--db", str(db), cwd=tmp_path)
    assert "3 of 3 record(s)" in listed.stdout  # nothing was deleted
    cleared = _run("scimcore", "audit", "clear", "--db", str(db), "--all", cwd=tmp_path)
    assert cleared.returncode == 0 and "removed 3 record(s)" in cleared.stdout


def test_audit_on_a_missing_file_creates_nothing(tmp_path: Path) -> None:
    for extra in ((), ("--all",)):
        action = "clear" if extra else "list"
        proc = _run("scimcore", "audit", action, "--db", "scimcor.sqlite3", *extra, cwd=tmp_path)
        _one_line_error(proc, "no such database file")
    assert not list(tmp_path.iterdir())
    _one_line_error(
        _run("scimcore", "token", "rotate", "--db", "scimcor.sqlite3", cwd=tmp_path),
        "no such database file",
    )


@contextmanager
def _serving(tmp_path: Path, *args: str) -> Iterator[tuple[str, list[str]]]:
    """Run ``scimcore serve ARGS`` until ready; yield (base URL printed, stderr lines so far)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "scimcore", "serve", *args],
        cwd=tmp_path,
        env=ENV,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 30
        base = None
        while base is None:
            line = proc.stderr.readline()
            if not line:
                pytest.fail(f"scimcore serve stopped: {''.join(lines)}")
            lines.append(line)
            found = re.search(r"serving SCIM 2\.0 at (\S+)", line)
            if found:
                base = found[1]
            assert time.monotonic() < deadline
        while True:
            try:
                httpx.get(f"{base}/ServiceProviderConfig", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.05)
        yield base, lines
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stderr.close()


def _status(base: str, token: str) -> int:
    return httpx.get(
        f"{base}/Users", headers={"Authorization": f"Bearer {token}"}, timeout=5
    ).status_code


def test_generated_token_is_kept_hashed_across_restarts(tmp_path: Path) -> None:
    port = str(_free_port())
    with _serving(tmp_path, "--db", "scim.db", "--port", port) as (base, lines):
        text = "".join(lines)
        token = re.search(r"use this one: (\S+)", text)
        assert token is not None, text
        token_text = token[1]
        assert "token rotate --db scim.db" in text
        assert _status(base, token_text) == 200
    with _serving(tmp_path, "--db", "scim.db", "--port", port) as (base, lines):
        text = "".join(lines)
        assert token_text not in text and "use this one" not in text  # shown once only
        assert "token rotate" in text
        assert _status(base, token_text) == 200  # yesterday's IdP still gets in
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("scim.db*"))
    assert token_text.encode() not in raw
    with sqlite3.connect(tmp_path / "scim.db") as conn:
        (stored,) = conn.execute("SELECT sha256 FROM scim_server_token").fetchone()
    assert stored == hashlib.sha256(token_text.encode()).hexdigest()
    rotated = _run("scimcore", "token", "rotate", "--db", "scim.db", cwd=tmp_path)
    assert rotated.returncode == 0, rotated.stderr
    new_token = rotated.stdout.strip()
    assert new_token and new_token != token_text and "restart" in rotated.stderr
    with _serving(tmp_path, "--db", "scim.db", "--port", port) as (base, _):
        assert _status(base, new_token) == 200
        assert _status(base, token_text) == 401


def test_generated_token_is_kept_on_postgres(tmp_path: Path, pg_dsn: str) -> None:
    psycopg = pytest.importorskip("psycopg", reason="the postgres extra is needed")
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS scim_server_token")
    port = str(_free_port())
    with _serving(tmp_path, "--db", pg_dsn, "--port", port) as (base, lines):
        found = re.search(r"use this one: (\S+)", "".join(lines))
        assert found is not None
    with _serving(tmp_path, "--db", pg_dsn, "--port", port) as (base, lines):
        assert "use this one" not in "".join(lines)
        assert _status(base, found[1]) == 200
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        row = conn.execute("SELECT sha256 FROM scim_server_token").fetchone()
        conn.execute("DROP TABLE scim_server_token")
    assert row[0] == hashlib.sha256(found[1].encode()).hexdigest()


def test_port_flag_beats_the_config_file_and_location_follows(tmp_path: Path) -> None:
    (tmp_path / "scim.toml").write_text(
        '[server]\nport = 9\ndb = "memory:"\n\n'
        '[[tokens]]\nname = "t"\ntoken = "config-token-0123456789"\n'
    )
    port = _free_port()
    with _serving(tmp_path, "--config", "scim.toml", "--port", str(port)) as (base, _):
        assert base == f"http://127.0.0.1:{port}/scim/v2"
        created = httpx.post(
            f"{base}/Users",
            headers={"Authorization": "Bearer config-token-0123456789"},
            json={"schemas": [USER_URN], "userName": "loc"},
            timeout=5,
        )
        assert created.status_code == 201
        assert created.headers["location"].startswith(f"http://127.0.0.1:{port}/scim/v2/Users/")
        assert created.json()["meta"]["location"] == created.headers["location"]


def test_port_zero_serves_on_a_free_port_and_says_which(tmp_path: Path) -> None:
    with _serving(tmp_path, "--db", "memory:", "--port", "0", "--no-auth") as (base, _):
        assert not base.endswith(":0/scim/v2")
        assert httpx.get(f"{base}/Users", timeout=5).status_code == 200
