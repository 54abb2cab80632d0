"""The package as users install it: build the wheel and sdist, install into a fresh venv, run it.

Marked ``packaging`` (about a minute: it builds, creates a virtual environment and installs the
wheel's real dependencies from pip's cache). It runs in CI with everything else; deselect it
locally with ``-m 'not packaging'``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
import venv
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "packaging-test-token"

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(900)]


@dataclass(frozen=True)
class Dist:
    wheel: Path
    sdist: Path


@dataclass(frozen=True)
class Env:
    root: Path

    def bin(self, name: str) -> str:
        return str(self.root / "bin" / name)

    def run(
        self, name: str, *args: str, cwd: Path, check: bool = True, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        result = subprocess.run(
            [self.bin(name), *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
        if check:
            assert result.returncode == 0, f"{name} {args}: {result.stdout}\n{result.stderr}"
        return result


def _project_files() -> list[str]:
    """The files a fresh clone has (tracked and new, not ignored): what CI builds from."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    return [f for f in listed.stdout.decode().split("\0") if f and (ROOT / f).is_file()]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    """``python -m build``: the sdist, and the wheel built from it, from a clean copy."""
    src = tmp_path_factory.mktemp("src")
    for name in _project_files():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, src / name)
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(src)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return Dist(wheel, sdist)


@pytest.fixture(scope="module")
def plain(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Env:
    """A fresh virtual environment with the wheel and its real dependencies, no extras."""
    root = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True).create(root)
    env = Env(root)
    env.run("python", "-m", "pip", "install", "-q", str(dist.wheel), cwd=root, timeout=600)
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _get(url: str, token: str) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


@contextmanager
def _serving(env: Env, cwd: Path, *args: str) -> Iterator[str]:
    """Run ``scimcore serve`` until the block ends; yield its SCIM base URL once it answers."""
    port = _free_port()
    log = (cwd / f"serve-{port}.log").open("w")
    proc = subprocess.Popen(
        [env.bin("scimcore"), "serve", "--port", str(port), "--token", TOKEN, *args],
        cwd=cwd,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/scim/v2"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (cwd / f"serve-{port}.log").read_text()
            try:
                _get(f"{base}/ServiceProviderConfig", TOKEN)
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "scimcore serve did not start listening"
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _names(archive: Sequence[str]) -> set[str]:
    return set(archive)


def test_the_wheel_holds_the_packages_and_their_data_and_no_tests(dist: Dist) -> None:
    with zipfile.ZipFile(dist.wheel) as whl:
        names = _names(whl.namelist())
    tops = {n.split("/")[0] for n in names}
    assert tops == {"scimcore", "conformance", "scimcore-0.1.0.dist-info"}, tops
    assert {"scimcore/py.typed", "conformance/py.typed"} <= names
    assert "conformance/scim-recording-1.schema.json" in names
    bundled = {
        str(p.relative_to(ROOT)) for p in (ROOT / "conformance" / "recordings").rglob("*.json")
    }
    assert bundled and bundled <= names, sorted(bundled - names)[:5]
    assert not [n for n in names if "/tests/" in n or n.startswith(("tests/", "examples/"))]
    metadata = next(n for n in names if n.endswith("dist-info/METADATA"))
    with zipfile.ZipFile(dist.wheel) as whl:
        text = whl.read(metadata).decode()
    for extra in ("server", "postgres", "mysql", "django", "fuzz", "test", "docs", "app"):
        assert f"Provides-Extra: {extra}" in text, extra


def test_the_sdist_is_the_whole_project(dist: Dist) -> None:
    with tarfile.open(dist.sdist) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    for required in ("README.md", "CHANGELOG.md", "pyproject.toml", "tests/test_packaging.py"):
        assert required in names, required
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".sqlite3"))]


def test_twine_check_passes_on_both(dist: Dist) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(dist.wheel), str(dist.sdist)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("PASSED") == 2, result.stdout


def test_a_plain_install_runs_the_main_job(plain: Env, tmp_path: Path) -> None:
    has = plain.run(
        "python", "-c", "import importlib.util as u; print(u.find_spec('hypothesis'))", cwd=tmp_path
    )
    assert has.stdout.strip() == "None", "the plain install must not have the fuzz extra"
    assert plain.run("scimcore", "--version", cwd=tmp_path).stdout.strip() == "scimcore 0.1.0"
    version = plain.run("scim-conformance", "--version", cwd=tmp_path).stdout.strip()
    assert version == "scim-conformance 0.1.0"

    listing = plain.run("scim-conformance", "list", cwd=tmp_path).stdout
    assert "okta/user-lifecycle-oin" in listing

    run = plain.run("scim-conformance", "run", "-q", "--json", "report.json", cwd=tmp_path)
    report = json.loads((tmp_path / "report.json").read_text())
    counts = report["counts"]
    assert counts["failed"] == counts["error"] == 0 and report["exit_code"] == 0, run.stdout
    assert counts["passed"] > 20, counts

    where = plain.run(
        "python",
        "-c",
        "import conformance; print(conformance.bundled_recordings_dir())",
        cwd=tmp_path,
    ).stdout.strip()
    recording = Path(where) / "okta" / "user-lifecycle-oin.json"
    assert str(recording).startswith(str(plain.root)), "validate the installed copy"
    checked = plain.run("scim-conformance", "validate", str(recording), cwd=tmp_path).stdout
    assert "1 valid, 0 invalid" in checked


def test_a_plain_install_serves_scim(plain: Env, tmp_path: Path) -> None:
    with _serving(plain, tmp_path, "--db", f"sqlite:///{tmp_path / 'scim.db'}") as base:
        status, body = _get(f"{base}/ServiceProviderConfig", TOKEN)
        assert status == 200
        assert body["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]
        assert _get(f"{base}/Users", "wrong-token")[0] == 401


@pytest.mark.parametrize(
    ("argv", "extra"),
    [
        (["scim-conformance", "fuzz", "--url", "http://127.0.0.1:9/scim/v2"], "fuzz"),
        (["scimcore", "serve", "--server", "uvicorn"], "server"),
        (["scimcore", "serve", "--db", "postgresql://nobody@127.0.0.1:9/none"], "postgres"),
        (["scimcore", "audit", "list", "--db", "postgresql://nobody@127.0.0.1:9/none"], "postgres"),
    ],
)
def test_a_missing_extra_is_one_line_naming_it(
    plain: Env, tmp_path: Path, argv: list[str], extra: str
) -> None:
    result = plain.run(*argv, cwd=tmp_path, check=False, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"pip install 'scimcore[{extra}]'" in lines[0]


@pytest.fixture(scope="module")
def extras(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Env:
    """Another fresh virtual environment: the wheel with the fuzz, server and postgres extras."""
    root = tmp_path_factory.mktemp("venv-extras")
    venv.EnvBuilder(with_pip=True).create(root)
    env = Env(root)
    wanted = f"{dist.wheel}[fuzz,server,postgres]"
    env.run("python", "-m", "pip", "install", "-q", wanted, cwd=root, timeout=600)
    return env


@contextmanager
def _scratch_database(dsn: str) -> Iterator[str]:
    """A uniquely named PostgreSQL database for one test, dropped afterwards; yield its DSN."""
    import uuid

    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    name = f"scimcore_pkg_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        params = conninfo_to_dict(dsn)
        params["dbname"] = name
        yield make_conninfo(**params)
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_the_server_and_fuzz_extras_enable_uvicorn_and_the_fuzzer(
    extras: Env, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'scim.db'}"
    with _serving(extras, tmp_path, "--server", "uvicorn", "--db", db) as base:
        assert _get(f"{base}/ServiceProviderConfig", TOKEN)[0] == 200
        fuzzed = extras.run(
            "scim-conformance",
            *("fuzz", "--url", base, "--token", TOKEN, "--examples", "3", "--steps", "8"),
            *("--seed", "1", "--time-budget", "20", "--out", str(tmp_path)),
            cwd=tmp_path,
            check=False,
        )
    assert fuzzed.returncode == 0, fuzzed.stdout + fuzzed.stderr
    assert "no divergence" in fuzzed.stdout


def test_the_postgres_extra_serves_on_postgresql(extras: Env, tmp_path: Path) -> None:
    dsn = os.environ.get("SCIMCORE_TEST_PG_DSN")
    if not dsn:
        pytest.skip("SCIMCORE_TEST_PG_DSN is not set (CI sets it)")
    with _scratch_database(dsn) as db, _serving(extras, tmp_path, "--db", db) as base:
        assert _get(f"{base}/ServiceProviderConfig", TOKEN)[0] == 200
        user = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "pkg"}
        request = urllib.request.Request(
            f"{base}/Users",
            data=json.dumps(user).encode(),
            method="POST",
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/scim+json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201
        status, body = _get(f"{base}/Users?filter=userName%20eq%20%22pkg%22", TOKEN)
        assert status == 200 and body["totalResults"] == 1
