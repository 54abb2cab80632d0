"""One big PATCH (N ``add emails`` operations of 100 new emails each), scimcore vs scim2-server.

Issue 12 item 3's request: 400 operations x 100 emails (about 1 MB, just under the default body
limit) on a fresh user, in process (no HTTP), through each server's own request handler:

- scimcore: ``ScimService.handle`` on SQLite (a temporary file) and in memory, with the
  default 200 reply (the whole 40,000-email user) and with ``Prefer: return=minimal`` (204);
  ``max_values`` raised to 100,000 (the default, 1,000, refuses the request at once with
  ``tooMany``, which is what a deployed server should do).
- scim2-server: its WSGI application (in-memory storage, bearer token), called directly with a
  WSGI environ. It grows faster than linearly with the list, so it is measured at smaller sizes
  too and skipped above ``PEER_MAX_OPERATIONS``.

Figures: the median of a few runs, in ms per PATCH, and scim2-server / scimcore at each size.
"""

from __future__ import annotations

import io
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
TOKEN = "bench-token-0123456789abcdef"
SIZES = (40, 100, 400)
PEER_MAX_OPERATIONS = 100
TARGET_MS = 200.0  # issue 12: the 400 x 100 PATCH on SQLite, in process


def request_body(operations: int, seed: int) -> dict[str, Any]:
    """``operations`` ``add emails`` operations of 100 new emails each."""
    ops = [
        {
            "op": "add",
            "path": "emails",
            "value": [{"value": f"{seed}.{o}.{m}@e.io"} for m in range(100)],
        }
        for o in range(operations)
    ]
    return {"schemas": [PATCH_OP], "Operations": ops}


def _scimcore(db: str) -> Callable[[str, str, bytes, dict[str, str]], tuple[int, bytes]]:
    import attrs

    from scimcore import ServiceConfig
    from scimcore.service import BearerTokens, ScimRequest, ScimService
    from scimcore.store import MemoryStore, SqliteStore

    store = MemoryStore() if db == "memory:" else SqliteStore(db)
    config = attrs.evolve(
        ServiceConfig(authenticator=BearerTokens.from_tokens({"bench": TOKEN})),
        max_values=100_000,
        max_body_bytes=4_000_000,
    )
    svc = ScimService(store, config)

    def call(method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        hdrs = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/scim+json"}
        response = svc.handle(ScimRequest(method, "/scim/v2" + path, "", {**hdrs, **headers}, body))
        return response.status, response.body

    return call


def _scim2_server() -> Callable[[str, str, bytes, dict[str, str]], tuple[int, bytes]] | None:
    try:
        from scim2_models import ScimProvider
        from scim2_server.memory import InMemoryStorage
        from scim2_server.service import ScimService
        from scim2_server.testserver.application import (
            BEARER_TOKEN_SCHEME,
            BearerTokenApplication,
        )
        from scim2_server.utils import (
            load_default_resource_types,
            load_default_schemas,
            load_default_service_provider_config,
        )
    except ImportError:
        return None
    config = load_default_service_provider_config()
    config.authentication_schemes = [*(config.authentication_schemes or []), BEARER_TOKEN_SCHEME]
    provider = ScimProvider.from_discovery(
        load_default_schemas().values(), load_default_resource_types().values(), config=config
    )
    app = BearerTokenApplication(
        InMemoryStorage(),
        provider,
        service=ScimService(provider, secret="bench-secret"),
        bearer_tokens=[TOKEN],
    )

    def call(method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        path, _, query = path.partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "CONTENT_TYPE": "application/scim+json",
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_AUTHORIZATION": f"Bearer {TOKEN}",
            "HTTP_HOST": "127.0.0.1:8000",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": io.StringIO(),
            "wsgi.url_scheme": "http",
            "wsgi.version": (1, 0),
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in headers.items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        status: list[str] = []
        chunks = app(environ, lambda s, h, exc_info=None: status.append(s))
        out = b"".join(chunks)
        return int(status[0].split()[0]), out

    return call


_clock = time.perf_counter
"""Wall time; ``--cpu`` switches to this process's CPU time (steadier on a loaded machine)."""


def _time_patch(
    call: Callable[[str, str, bytes, dict[str, str]], tuple[int, bytes]],
    operations: int,
    runs: int,
    headers: dict[str, str] | None = None,
) -> float:
    """Median ms of ``runs`` PATCHes, each on a fresh user."""
    times = []
    for _ in range(runs):
        seed = time.perf_counter_ns()
        user = json.dumps({"schemas": [USER_URN], "userName": f"big{seed}"}).encode()
        status, created = call("POST", "/Users", user, {})
        if status != 201:
            raise SystemExit(f"POST /Users answered {status}: {created[:200]!r}")
        uid = json.loads(created)["id"]
        body = json.dumps(request_body(operations, seed), separators=(",", ":")).encode()
        start = _clock()
        status, reply = call("PATCH", f"/Users/{uid}", body, headers or {})
        times.append(_clock() - start)
        if status not in (200, 204):
            raise SystemExit(f"PATCH answered {status}: {reply[:200]!r}")
    return statistics.median(times) * 1000


def measure(runs: int = 5) -> dict[str, float]:
    """Every row of the table: ms per PATCH (median of ``runs``; 3 for the peer)."""
    out: dict[str, float] = {}
    minimal = {"Prefer": "return=minimal"}
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = _scimcore(str(Path(tmp) / "bench.db"))
        memory = _scimcore("memory:")
        peer = _scim2_server()
        for n in SIZES:
            out[f"{n} x 100: scimcore SQLite"] = _time_patch(sqlite, n, runs)
            out[f"{n} x 100: scimcore SQLite, Prefer return=minimal"] = _time_patch(
                sqlite, n, runs, minimal
            )
            out[f"{n} x 100: scimcore memory"] = _time_patch(memory, n, runs)
            if peer is not None and n <= PEER_MAX_OPERATIONS:
                out[f"{n} x 100: scim2-server memory"] = _time_patch(peer, n, 3)
    return out


def main(argv: list[str] | None = None) -> None:
    """Print ms per PATCH for each size and server, and scim2-server / scimcore (memory)."""
    global _clock
    if "--cpu" in (sys.argv[1:] if argv is None else argv):
        _clock = time.process_time
        print("(CPU time of this process, not wall time)")
    print("one PATCH of N 'add emails' operations x 100 new emails, on a fresh user, in process")
    rows = measure()
    for name, ms in rows.items():
        size = name.split(":", 1)[0]
        ours = rows.get(f"{size}: scimcore memory")
        ratio = f"{ms / ours:8.1f}x" if "scim2-server" in name and ours else ""
        print(f"{name:58} {ms:10.1f} ms {ratio}")
    if not any("scim2-server" in name for name in rows):
        print("scim2-server is not installed (pip install '.[bench]'): peer rows skipped")
    big = rows.get("400 x 100: scimcore SQLite")
    if big is not None:
        verdict = "met" if big <= TARGET_MS else "NOT met"
        print(f"target: 400 x 100 on SQLite <= {TARGET_MS:.0f} ms: {verdict} ({big:.0f} ms)")


if __name__ == "__main__":
    main()
