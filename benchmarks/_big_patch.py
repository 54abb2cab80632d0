"""Big PATCHes through ``ScimService.handle`` on SQLite: list sizes that used to cost their square.

The scenarios of issue 12 item 3, each on a fresh SQLite file in a temporary directory, in
process (no HTTP), with the reference server's defaults:

- ``400 x 100 emails``: one PATCH of 400 ``add emails`` operations of 100 new emails each
  (about 1 MB, just under the default body limit) on a fresh user, with ``max_values``
  raised to 100,000 (the default, 1,000, refuses it at once with ``tooMany``).
- ``one-member add`` / ``one-member remove`` on a group of 20,000 members (``add members`` with
  one value; ``remove members[value eq "…"]``), the reply as the server sends it by default and
  with ``excludedAttributes=members``.
- ``1,000 filtered removes``: one PATCH of 1,000 ``remove members[value eq "…"]`` operations on
  the 20,000-member group (the members are added back, untimed, between runs).
- ``unrelated POST during the big PATCH``: while the 400 x 100 PATCH runs in one thread, the
  main thread POSTs a user at one of 8 moments spread over the PATCH's duration; the worst of
  the 8 latencies is how long an unrelated client can wait behind the PATCH.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
TOKEN = "bench-token-0123456789abcdef"
MEMBERS = 20_000


def _service(path: str) -> Any:
    from scimcore import ServiceConfig, SqliteStore
    from scimcore.service import BearerTokens, ScimService

    store = SqliteStore(path)
    config = ServiceConfig(authenticator=BearerTokens.from_tokens({"bench": TOKEN}))
    if hasattr(config, "max_values"):  # a cap above the 40,000 emails, to time the work itself
        import attrs

        config = attrs.evolve(config, max_values=100_000)
    return ScimService(store, config)


def _call(svc: Any, method: str, path: str, body: Any = None, query: str = "") -> Any:
    from scimcore.service import ScimRequest

    raw = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/scim+json"}
    return svc.handle(ScimRequest(method, "/scim/v2" + path, query, headers, raw))


def seed_group(svc: Any, size: int = MEMBERS) -> tuple[str, list[str]]:
    """A group of ``size`` users, written through the store directly (seeding is not timed)."""
    store = svc.store
    users = [str(uuid.UUID(int=i + 1)) for i in range(size)]
    base = svc.config.base_url
    meta = {"resourceType": "User", "created": "2026-01-01T00:00:00Z"}
    with store.transaction() as tx:
        for i, uid in enumerate(users):
            tx.create(
                "User",
                {"schemas": [USER_URN], "id": uid, "userName": f"member{i}", "meta": meta},
            )
        members = [
            {"value": u, "type": "User", "$ref": f"{base}/Users/{u}", "display": f"member{i}"}
            for i, u in enumerate(users)
        ]
        tx.create(
            "Group",
            {
                "schemas": [GROUP_URN],
                "id": "big-group",
                "displayName": "Everyone",
                "members": members,
                "meta": {**meta, "resourceType": "Group"},
            },
        )
    return "big-group", users


def _emails_request(seed: int) -> dict[str, Any]:
    ops = [
        {
            "op": "add",
            "path": "emails",
            "value": [{"value": f"{seed}.{o}.{m}@e.io"} for m in range(100)],
        }
        for o in range(400)
    ]
    return {"schemas": [PATCH_OP], "Operations": ops}


def _ms(fn: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _check(response: Any, *statuses: int) -> None:
    if response.status not in statuses:
        raise SystemExit(f"unexpected {response.status}: {response.body[:300]!r}")


def measure(runs: int = 3) -> dict[str, float]:
    """Run every scenario; return milliseconds per request (median of ``runs``)."""
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        svc = _service(str(Path(tmp) / "bench.db"))
        counter = iter(range(10**6))

        started = threading.Event()

        def big_patch() -> None:
            n = next(counter)
            created = _call(svc, "POST", "/Users", {"schemas": [USER_URN], "userName": f"big{n}"})
            _check(created, 201)
            uid = json.loads(created.body)["id"]
            body = _emails_request(n)
            started.set()
            start = time.perf_counter()
            _check(_call(svc, "PATCH", f"/Users/{uid}", body), 200, 204)
            timings.append(time.perf_counter() - start)

        timings: list[float] = []
        for _ in range(runs):
            big_patch()
        out["400 x 100 emails PATCH"] = statistics.median(timings) * 1000

        waits: list[float] = []
        span = statistics.median(timings)
        for k in range(8):  # POSTs spread over the whole PATCH; the worst one counts
            timings.clear()
            started.clear()
            worker = threading.Thread(target=big_patch)
            worker.start()
            started.wait()
            time.sleep(span * k / 8)
            start = time.perf_counter()
            n = next(counter)
            _check(_call(svc, "POST", "/Users", {"schemas": [USER_URN], "userName": f"x{n}"}), 201)
            waits.append(time.perf_counter() - start)
            worker.join()
        out["unrelated POST during the big PATCH (worst of 8)"] = max(waits) * 1000

        gid, users = seed_group(svc)
        spare = users[-1]
        remove = {
            "schemas": [PATCH_OP],
            "Operations": [{"op": "remove", "path": f'members[value eq "{spare}"]'}],
        }
        add = {
            "schemas": [PATCH_OP],
            "Operations": [{"op": "add", "path": "members", "value": [{"value": spare}]}],
        }

        def one(body: dict[str, Any], query: str = "") -> Callable[[], None]:
            return lambda: _check(_call(svc, "PATCH", f"/Groups/{gid}", body, query), 200, 204)

        def pair(query: str) -> tuple[float, float]:
            removes, adds = [], []
            for _ in range(runs * 3):
                removes.append(_ms(one(remove, query), 1))
                adds.append(_ms(one(add, query), 1))
            return statistics.median(adds), statistics.median(removes)

        slim = "excludedAttributes=members"
        a, r = pair("")
        out["one-member add, 20,000 members (full reply)"] = a
        out["one-member remove, 20,000 members (full reply)"] = r
        a, r = pair(slim)
        out["one-member add, 20,000 members (excludedAttributes=members)"] = a
        out["one-member remove, 20,000 members (excludedAttributes=members)"] = r

        chosen = users[:: MEMBERS // 1000][:1000]
        removes = {
            "schemas": [PATCH_OP],
            "Operations": [{"op": "remove", "path": f'members[value eq "{u}"]'} for u in chosen],
        }
        back = {
            "schemas": [PATCH_OP],
            "Operations": [
                {"op": "add", "path": "members", "value": [{"value": u} for u in chosen]}
            ],
        }
        times = []
        for _ in range(runs):
            times.append(_ms(one(removes, slim), 1))
            one(back, slim)()
        out["1,000 filtered removes, 20,000 members"] = statistics.median(times)
        svc.store.close()
    return out


TARGETS = {
    "400 x 100 emails PATCH": 200.0,
    "unrelated POST during the big PATCH (worst of 8)": 100.0,
    "one-member add, 20,000 members (excludedAttributes=members)": 5.0,
    "one-member remove, 20,000 members (excludedAttributes=members)": 5.0,
    "1,000 filtered removes, 20,000 members": 50.0,
}


if __name__ == "__main__":
    for name, ms in measure().items():
        print(f"{name:66} {ms:10.1f} ms")
