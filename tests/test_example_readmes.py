"""The examples' READMEs work as printed, from a copy of the checkout: every command runs.

Each ``bash`` block of ``examples/*/README.md`` is read line by line (continuations joined,
comments dropped) and run in a copy of the checkout, as a reader of a fresh clone would run it:

- ``export`` lines set the environment of the lines after them;
- a ``pip install -e '.[…]'`` line must name extras the project has (the suite runs in an
  environment that has them all installed already);
- a server (``uvicorn …``, ``manage.py runserver …``) is started on a free port instead of the
  printed one and must answer ``ServiceProviderConfig`` and ``GET /Users`` with the README's
  token; it keeps running for the lines after it (``curl`` to the printed port reaches it) until
  the next server or the end of the README;
- a block right after a ``<!-- not-run: reason -->`` comment is not run (it needs what only
  the reader has, such as their site's host name);
- any other line must exit 0, and one that prints ``False`` (a check such as
  ``check_password``) or a SCIM error (a ``curl`` the server refused) fails.

A MySQL/MariaDB URL stands for the site's own database, which this machine does not have under
that name: it is replaced by a fresh database of ``SCIMCORE_TEST_MYSQL_URL`` holding the
example's ``schema.mysql.sql`` (the site's real table definitions).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from examples._sql import run_script
from tests._databases import mariadb_database

ROOT = Path(__file__).resolve().parent.parent
READMES = sorted((ROOT / "examples").glob("*/README.md"))
FENCE = re.compile(r"^```bash\n(?P<body>.*?)^```", re.MULTILINE | re.DOTALL)
NOT_RUN = re.compile(r"<!--\s*not-run:\s*[^>\s][^>]*-->\Z")
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
ASSIGN = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*)\Z", re.DOTALL)
_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "venv", "site", "dist", "build", "*.egg-info", "__pycache__",
    ".hypothesis", ".mypy_cache", ".ruff_cache", ".pytest_cache", "*.db", "*.db-*",
)  # fmt: skip


def _lines(markdown: str) -> Iterator[tuple[list[str], str]]:
    """The command lines of the ``bash`` blocks: split into words, and as printed."""
    for block in FENCE.finditer(markdown):
        if NOT_RUN.search(markdown[: block.start()].rstrip()):
            continue  # the reason is given beside it, as docs/writing-docs.md asks
        pending = ""
        for line in block["body"].replace("\\\n", " ").splitlines():
            pending = f"{pending}\n{line}" if pending else line
            try:
                words = shlex.split(pending, comments=True)
            except ValueError:  # a quoted argument going on over the next line
                continue
            pending_line, pending = pending, ""
            if words:
                yield words, pending_line
        assert not pending, f"an unclosed quotation: {pending!r}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _Reader:
    """Runs one README's lines in ``clone``, as its reader would."""

    def __init__(self, clone: Path, example: str) -> None:
        self.clone, self.example = clone, example
        self.env = dict(os.environ)
        self.env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{self.env.get('PATH', '')}"
        self.env.pop("PYTHONPATH", None)
        self.server: subprocess.Popen[bytes] | None = None
        self.ports: dict[str, str] = {}  # printed port -> the one used here
        self.databases = ExitStack()  # the MariaDB databases made for it, dropped at the end

    # -- the environment ------------------------------------------------------------------------

    def _value(self, value: str) -> str:
        if value.startswith("mysql"):
            return self._site_database()
        return value

    def _site_database(self) -> str:
        """A fresh MariaDB database holding the example's real tables, as the site's stand-in."""
        schema = ROOT / "examples" / self.example / "schema.mysql.sql"
        assert schema.exists(), f"{self.example}: a MySQL URL but no schema.mysql.sql"
        url = self.databases.enter_context(mariadb_database(f"readme_{self.example}"))
        run_script(url, schema)
        return url

    def _line_env(self, line: str) -> dict[str, str]:
        """The environment, with a leading ``NAME=value`` of the line (a MySQL URL replaced)."""
        env, _ = self._assignments(shlex.split(line, comments=True))
        return {**self.env, **env}

    def _assignments(self, words: list[str]) -> tuple[dict[str, str], list[str]]:
        env: dict[str, str] = {}
        while words and (m := ASSIGN.match(words[0])):
            env[m["name"]] = self._value(m["value"])
            words = words[1:]
        return env, words

    # -- one line -------------------------------------------------------------------------------

    def run(self, words: list[str], printed: str) -> None:
        if words[0] == "export":
            env, rest = self._assignments(words[1:])
            assert not rest, f"export of something that is not NAME=value: {rest}"
            self.env.update(env)
            return
        env, words = self._assignments(words)
        if words[:2] == ["pip", "install"]:
            self._check_extras(words)
        elif words[0] == "uvicorn" or "runserver" in words or _runs_example(words):
            self._serve(words, env)
        else:
            self._command(printed)

    def _check_extras(self, words: list[str]) -> None:
        project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
        extras = set(project["optional-dependencies"])
        for word in words[2:]:
            if m := re.fullmatch(r"\.\[(?P<names>[^\]]*)\]", word):
                asked = {n.strip() for n in m["names"].split(",")}
                assert asked <= extras, f"no such extra: {sorted(asked - extras)}"

    def _serve(self, words: list[str], env: dict[str, str]) -> None:
        self.stop()
        port = str(_free_port())
        line = []
        for i, word in enumerate(words):
            if i and words[i - 1] == "--port":
                self.ports[word] = port
                word = port
            elif m := re.fullmatch(r"(?P<host>[\w.]+):(?P<port>\d+)", word):
                self.ports[m["port"]] = port
                word = f"{m['host']}:{port}"
            line.append(word)
        if _runs_example(words):  # the example's own entry point reads PORT
            env = {**env, "PORT": port}
            self.ports["8000"] = port
        elif "--port" not in words and not any(":" in w for w in words[1:]):
            self.ports["8000"] = port
            line += ["--port", port]
        self.server = subprocess.Popen(
            line, cwd=self.clone, env={**self.env, **env}, start_new_session=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        token = env.get("SCIM_TOKEN") or self.env.get("SCIM_TOKEN", "")
        base = f"http://127.0.0.1:{port}/scim/v2"
        headers = {"Authorization": f"Bearer {token}"}
        deadline = time.monotonic() + 60
        while True:
            if self.server.poll() is not None:
                out = self.server.stdout.read().decode() if self.server.stdout else ""
                pytest.fail(f"{shlex.join(words)} exited {self.server.returncode}:\n{out}")
            try:
                reply = httpx.get(f"{base}/ServiceProviderConfig", headers=headers, timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, f"{shlex.join(words)} never answered"
                time.sleep(0.2)
        assert reply.status_code == 200, reply.text
        users = httpx.get(f"{base}/Users", params={"count": 1}, headers=headers, timeout=30)
        assert users.status_code == 200, users.text
        assert "totalResults" in users.json()

    def _command(self, line: str) -> None:
        for printed, used in self.ports.items():
            line = line.replace(f":{printed}/", f":{used}/")
        result = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", line], cwd=self.clone,
            env=self._line_env(line), capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert result.returncode == 0, f"{line}: exit {result.returncode}\n{result.stderr}"
        assert "False" not in result.stdout.split(), f"{line}: a check failed\n{result.stdout}"
        assert ERROR_URN not in result.stdout, f"{line}: answered a SCIM error\n{result.stdout}"

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            os.killpg(self.server.pid, signal.SIGTERM)
            try:
                self.server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)
                self.server.wait()
        self.server = None

    def close(self) -> None:
        self.stop()
        self.databases.close()


def _runs_example(words: list[str]) -> bool:
    """``python -m examples.<name>``: an example's own server entry point."""
    return words[:2] == ["python", "-m"] and len(words) > 2 and words[2].startswith("examples.")


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the checkout, as a fresh clone has it (no databases, no caches)."""
    target = tmp_path_factory.mktemp("clone") / "scimcore"
    shutil.copytree(ROOT, target, ignore=_IGNORE)
    return target


@pytest.mark.parametrize("readme", READMES, ids=lambda p: p.parent.name)
def test_the_readmes_commands_work_as_printed(readme: Path, clone: Path) -> None:
    lines = list(_lines(readme.read_text(encoding="utf-8")))
    assert lines, f"{readme}: no bash block to run"
    reader = _Reader(clone, readme.parent.name)
    try:
        for words, printed in lines:
            reader.run(words, printed)
    finally:
        reader.close()
