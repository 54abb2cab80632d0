"""``scimcore serve``: the command line, the config file and a real server process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from scimcore.cli import main
from scimcore.errors import ConfigurationError
from scimcore.service import BearerTokens, hash_token
from scimcore.service._settings import load_settings, settings_from_mapping

ROOT = Path(__file__).resolve().parent.parent
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GOOD = """
[server]
host = "127.0.0.1"
port = 9999
db = "memory:"
base_url = "https://scim.example.com/scim/v2"

[[tokens]]
name = "okta"
token = "okta-token-0123456789"

[[tokens]]
name = "entra"
sha256 = "{sha}"

[discovery]
public = true

[limits]
max_results = 50
rate_limit_per_second = 25
bulk_max_operations = 10

[behaviour]
patch_response = "no_content"
group_display_name_unique = true

[[schemas]]
resource_type = "User"
file = "acme.json"
"""


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "acme.json").write_text(
        '{"id": "urn:example:params:scim:schemas:extension:acme:2.0:User", "name": "Acme",'
        ' "attributes": [{"name": "badge", "type": "integer"}]}'
    )
    path = tmp_path / "scimcore.toml"
    path.write_text(text)
    return path


def test_a_good_config_file_sets_every_section(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.format(sha=hash_token("entra-token-0123456789")))
    s = load_settings(path)
    assert (s.host, s.port, s.db) == ("127.0.0.1", 9999, "memory:")
    c = s.config
    assert c.base_url == "https://scim.example.com/scim/v2" and c.public_discovery
    assert c.max_results == 50 and c.bulk_max_operations == 10
    assert c.rate_limit is not None and c.rate_limit.per_second == 25
    assert c.patch_response == "no_content" and c.group_display_name_unique
    assert c.registry.schema("urn:example:params:scim:schemas:extension:acme:2.0:User")
    assert isinstance(c.authenticator, BearerTokens)
    assert set(c.authenticator.hashes) == {"okta", "entra"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"limits": {"max_result": 5}}, "limits.max_result: unknown key"),
        ({"limits": {"max_results": "5"}}, "limits.max_results: must be an integer"),
        ({"limits": {"max_results": 0}}, "limits.max_results: must be at least 1"),
        ({"server": {"port": 70000}}, "server.port: must be between"),
        ({"server": {"base_url": "scim.example.com"}}, "server.base_url: must be an absolute"),
        ({"tokens": [{"name": "a", "token": "short"}]}, "tokens[0].token: a bearer token needs"),
        ({"tokens": [{"token": "x" * 20}]}, "tokens[0].name: is required"),
        ({"tokens": [{"name": "a", "sha256": "zz"}]}, "tokens[0].sha256: must be 64"),
        ({"tokens": [{"name": "a", "env": "SCIMCORE_NOPE_UNSET"}]}, "tokens[0].env"),
        ({"behaviour": {"patch_response": "204"}}, "behaviour.patch_response"),
        ({"schemas": [{"resource_type": "Widget", "file": "x"}]}, "schemas[0].resource_type"),
        ({"schemas": [{"resource_type": "User", "file": "nope.json"}]}, "schemas[0].file"),
        ({"serverr": {}}, "serverr: unknown section"),
    ],
)
def test_a_bad_config_names_the_key_and_the_reason(
    tmp_path: Path, data: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        settings_from_mapping(data, base=tmp_path)
    assert message in info.value.detail


def test_serve_refuses_a_bad_file_at_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, "[limits]\nmax_results = -3\n")
    assert main(["serve", "--config", str(path)]) == 2
    assert "limits.max_results: must be at least 1" in capsys.readouterr().err
    broken = _write(tmp_path, "[limits\n")
    assert main(["serve", "--config", str(broken)]) == 2
    assert "not valid TOML" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.mark.parametrize("server", ["uvicorn", "wsgiref"])
def test_scimcore_serve_answers_over_http(tmp_path: Path, server: str) -> None:
    port = _free_port()
    token = "serve-token-0123456789"
    cmd = [
        sys.executable,
        "-m",
        "scimcore",
        "serve",
        "--db",
        "memory:",
        "--port",
        str(port),
        "--token",
        token,
        "--server",
        server,
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}/scim/v2"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(
                    f"{base}/ServiceProviderConfig",
                    timeout=2,
                    headers={"Authorization": f"Bearer {token}"},
                )
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("scimcore serve did not start")
                time.sleep(0.1)
        assert r.status_code == 200
        auth = {"Authorization": f"Bearer {token}"}
        created = httpx.post(
            f"{base}/Users",
            headers=auth,
            timeout=5,
            json={"schemas": [USER_URN], "userName": "served"},
        )
        assert created.status_code == 201
        assert created.headers["location"].startswith(f"{base}/Users/")
        assert httpx.get(f"{base}/Users", timeout=5).status_code == 401
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stderr is not None:
            proc.stderr.close()
