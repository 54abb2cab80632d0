"""A hypothesis state machine: the same HTTP requests through the service over SQLite (and
PostgreSQL when configured) answer exactly as over the in-memory reference store."""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from scimcore.service import ScimService, ServiceConfig
from scimcore.store import MemoryStore, PostgresStore, SqliteStore, Store
from tests._service_support import Clock, call, group, ids, patch, user

NAMES = st.sampled_from(["ann", "Ann", "bob", "cy", "dee", "eve"])
PG_DSN = os.environ.get("SCIMCORE_TEST_PG_DSN")


class SameAnswers(RuleBasedStateMachine):
    """Drive a reference service and the others through one sequence; compare every answer."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.mkdtemp(prefix="scimcore-stateful-")
        self.stores: list[Store] = [MemoryStore(), SqliteStore(os.path.join(self.tmp, "s.db"))]
        if PG_DSN:
            prefix = f"sm{os.getpid()}_{os.path.basename(self.tmp)[-8:].lower()}_"
            prefix = "".join(c if c.isalnum() or c == "_" else "_" for c in prefix)
            self.stores.append(PostgresStore(PG_DSN, prefix=prefix, max_size=2))
            self.pg_prefix = prefix
        config = ServiceConfig(base_url="http://sut/scim/v2")
        self.services = [
            ScimService(s, config, clock=Clock(), id_factory=ids()) for s in self.stores
        ]
        self.users: list[str] = []
        self.groups: list[str] = []

    @initialize()
    def start(self) -> None:
        pass

    def teardown(self) -> None:
        for store in self.stores:
            if isinstance(store, PostgresStore):
                with store._pool.connection() as conn:
                    for table in ("user", "group", "member", "unique"):
                        conn.execute(f'DROP TABLE IF EXISTS "{self.pg_prefix}{table}" CASCADE')
            store.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def same(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        answers = [call(s, method, path, body, auth=False, **kw) for s in self.services]
        first = answers[0]
        for other in answers[1:]:
            assert other.status == first.status, (method, path, first.json(), other.json())
            if first.status < 400:
                assert other.json() == first.json(), (method, path)
            else:
                assert other.json().get("scimType") == first.json().get("scimType")
        return first

    @rule(name=NAMES, active=st.booleans())
    def create_user(self, name: str, active: bool) -> None:
        r = self.same("POST", "/Users", user(name, active=active, displayName=name.upper()))
        if r.status == 201:
            self.users.append(r.json()["id"])

    @rule(data=st.data(), name=st.sampled_from(["Admins", "Ops", "admins"]))
    def create_group(self, data: st.DataObject, name: str) -> None:
        members = data.draw(st.lists(st.sampled_from(self.users), max_size=3)) if self.users else []
        r = self.same("POST", "/Groups", group(name, members))
        if r.status == 201:
            self.groups.append(r.json()["id"])

    @rule(data=st.data(), value=st.booleans())
    def patch_user(self, data: st.DataObject, value: bool) -> None:
        uid = data.draw(st.sampled_from([*self.users, "missing"]))
        self.same("PATCH", f"/Users/{uid}", patch({"op": "replace", "value": {"active": value}}))

    @rule(data=st.data(), name=NAMES)
    def put_user(self, data: st.DataObject, name: str) -> None:
        uid = data.draw(st.sampled_from([*self.users, "missing"]))
        self.same("PUT", f"/Users/{uid}", user(name, nickName="n"))

    @rule(data=st.data(), add=st.booleans())
    def change_members(self, data: st.DataObject, add: bool) -> None:
        if not self.groups or not self.users:
            return
        gid = data.draw(st.sampled_from(self.groups))
        uid = data.draw(st.sampled_from(self.users))
        op = (
            {"op": "add", "path": "members", "value": [{"value": uid}]}
            if add
            else {"op": "remove", "path": f'members[value eq "{uid}"]'}
        )
        self.same("PATCH", f"/Groups/{gid}", patch(op))

    @rule(data=st.data())
    def delete_something(self, data: st.DataObject) -> None:
        kind = data.draw(st.sampled_from(["Users", "Groups"]))
        pool = self.users if kind == "Users" else self.groups
        rid = data.draw(st.sampled_from([*pool, "missing"]))
        r = self.same("DELETE", f"/{kind}/{rid}")
        if r.status == 204:
            pool.remove(rid)

    @rule(name=NAMES, order=st.sampled_from(["ascending", "descending"]), start=st.integers(0, 4))
    def list_users(self, name: str, order: str, start: int) -> None:
        self.same("GET", "/Users", query={"filter": f'userName eq "{name}"'})
        self.same(
            "GET",
            "/Users",
            query={
                "sortBy": "userName",
                "sortOrder": order,
                "startIndex": str(start),
                "count": "2",
            },
        )
        self.same("GET", "/Groups", query={"filter": 'displayName sw "a"'})

    @invariant()
    def every_user_reads_the_same(self) -> None:
        for uid in self.users:
            self.same("GET", f"/Users/{uid}")


SameAnswers.TestCase.settings = settings(
    max_examples=15,
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_service_answers_the_same_on_every_store = SameAnswers.TestCase
