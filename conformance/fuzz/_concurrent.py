"""Concurrent fuzzing: clients race shared resources; the outcome must match some serial order.

Each round sets up a few users and a group, then N clients send their operations at once (a
barrier releases them together): member adds to one group, PATCHes of different attributes of
one user, duplicate creates, a delete during a member add, a PUT racing a PATCH. Then the final
state is read. The round passes when SOME order of the operations, consistent with each
client's own order and with real time (an operation that ended before another started comes
first), gives on a fresh reference model the same answer to every operation and the same final
state: the linearizability check, by a bounded depth-first search. A lost update, a double
create or a dangling member has no such order, and is reported with the interleaving seen and
a ``scim-race/1`` file (``_race.py``) that replays the round.
"""

from __future__ import annotations

import contextlib
import random
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.errors import ConformanceError
from conformance.fuzz._findings import CONFIRMED, UNCONFIRMED, Finding
from conformance.fuzz._machine import USER_PATCHES, FuzzEnv, _patch, _user_body
from conformance.fuzz._traffic import (
    GROUP_URN,
    Divergence,
    Exchange,
    Side,
    Template,
    body_of,
    compare,
    status_class,
)
from conformance.transport import Response

SCENARIOS = (
    "member-adds",
    "attribute-patches",
    "duplicate-create",
    "delete-during-add",
    "put-patch",
)
_ORDERS_BOUND = 5000  # prefixes tried per round before the search gives up (no verdict)
_RECHECKS = 3  # replays of a finding's race file looking for a second occurrence


@dataclass(frozen=True)
class _Op:
    """One client's operation; ``creates`` names the handle a 2xx answer's id is kept under."""

    client: int
    template: Template
    creates: str | None = None


@dataclass
class _Done:
    op: _Op
    start: float
    end: float
    response: Response


@dataclass
class _Round:
    """A scenario: setup requests (sequential), each client's operations, the final reads."""

    scenario: str
    setup: Sequence[tuple[Template, str | None]]
    scripts: list[list[_Op]]
    final: list[Template] = field(default_factory=list)


def _user(handle: str, name: str) -> tuple[Template, str]:
    body = _user_body(name, "one", True, None)
    return Template(f"set up {handle}", "POST", "/Users", body=body, check="resource"), handle


def _group(handle: str) -> tuple[Template, str]:
    body = {"schemas": [GROUP_URN], "displayName": f"${{unique}} group {handle}", "members": []}
    return Template(f"set up {handle}", "POST", "/Groups", body=body, check="resource"), handle


def _add_member(client: int, user: str) -> _Op:
    body = _patch({"op": "add", "path": "members", "value": [{"value": f"${{id_{user}}}"}]})
    label = f"add member {user}"
    return _Op(client, Template(label, "PATCH", "/Groups/${id_g}", body=body, check="resource"))


def _build(scenario: str, clients: int, rng: random.Random) -> _Round:
    users = [f"u{i}" for i in range(1, clients + 1)]
    get = [Template(f"final {u}", "GET", f"/Users/${{id_{u}}}", check="resource") for u in users]
    group_get = Template("final g", "GET", "/Groups/${id_g}", check="resource")
    if scenario == "member-adds":
        setup = [_user(u, f"m{i}") for i, u in enumerate(users)] + [_group("g")]
        scripts = [[_add_member(c, users[c])] for c in range(clients)]
        return _Round(scenario, setup, scripts, [group_get])
    if scenario == "attribute-patches":
        shapes = ["entra-title", "department", "add-primary-email", "okta-deactivate"]
        rng.shuffle(shapes)
        scripts = [
            [
                _Op(
                    c,
                    Template(
                        f"patch u1 ({shapes[c % len(shapes)]})",
                        "PATCH",
                        "/Users/${id_u1}",
                        body=USER_PATCHES[shapes[c % len(shapes)]],
                        check="resource",
                    ),
                )
            ]
            for c in range(clients)
        ]
        return _Round(scenario, [_user("u1", "attr")], scripts, get[:1])
    if scenario == "duplicate-create":
        body = _user_body("dup", "one", True, None)
        scripts = [
            [
                _Op(
                    c,
                    Template(f"create dup (c{c})", "POST", "/Users", body=body, check="resource"),
                    creates=f"d{c}",
                )
            ]
            for c in range(clients)
        ]
        flt = 'userName eq "${unique}.dup@example.com"'
        lookup = Template("final lookup", "GET", "/Users", {"filter": flt}, check="list")
        return _Round(scenario, [], scripts, [lookup])
    if scenario == "delete-during-add":
        setup = [_user(u, f"dl{i}") for i, u in enumerate(users)] + [_group("g")]
        deleter = [_Op(0, Template("delete u1", "DELETE", "/Users/${id_u1}"))]
        scripts = [deleter] + [[_add_member(c, "u1")] for c in range(1, clients)]
        return _Round(scenario, setup, scripts, [group_get, get[0]])
    # put-patch: Okta's GET-then-PUT racing an Entra PATCH on the same user
    base = _user_body("pp", "one", True, None)
    put_body = {**base, "title": "Manager"}
    put = Template("replace u1 (PUT)", "PUT", "/Users/${id_u1}", body=put_body, check="resource")
    patch = Template(
        "patch u1 (add-primary-email)",
        "PATCH",
        "/Users/${id_u1}",
        body=USER_PATCHES["add-primary-email"],
        check="resource",
    )
    scripts = [[_Op(c, put if c % 2 == 0 else patch)] for c in range(clients)]
    return _Round(scenario, [_user("u1", "pp")], scripts, get[:1])


def _send(side: Side, template: Template) -> Response:
    return side.send(template)


def _keep_id(side: Side, handle: str | None, response: Response) -> None:
    if handle is None or status_class(response.status) != 2:
        return
    body = body_of(response)
    if isinstance(body, dict) and isinstance(body.get("id"), str):
        side.ids[handle] = body["id"]


def _race(side: Side, scripts: list[list[_Op]], count: Callable[[], None]) -> list[_Done]:
    """Run each script in its own thread, released together; every op timed."""
    barrier = threading.Barrier(len(scripts))
    done: list[_Done] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def client(script: list[_Op]) -> None:
        try:
            barrier.wait()
            for op in script:
                start = time.monotonic()
                response = _send(side, op.template)
                end = time.monotonic()
                with lock:
                    count()
                    done.append(_Done(op, start, end, response))
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(s,), daemon=True) for s in scripts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    for item in done:  # ids of what the race created, for the final reads and the check
        _keep_id(side, item.op.creates, item.response)
    return sorted(done, key=lambda d: d.start)


class _Search:
    """The bounded search for a serial order explaining the observed answers and final state."""

    def __init__(
        self, env: FuzzEnv, round_: _Round, unique: str, target: Side, observed: list[_Done]
    ) -> None:
        self.env = env
        self.round = round_
        self.unique = unique
        self.target = target
        self.observed = observed
        self.finals: list[Response] = []
        self.tried = 0
        self.closest: tuple[int, str] = (-1, "")

    def explained(self, finals: list[Response]) -> bool | None:
        """True: some order explains it; False: none does; None: the bound ran out first."""
        self.finals = finals
        try:
            return self._extend([])
        except _Bound:
            return None

    def _enabled(self, prefix: list[int]) -> list[int]:
        taken = set(prefix)
        out = []
        for i, item in enumerate(self.observed):
            if i in taken:
                continue
            earlier = [
                j
                for j, other in enumerate(self.observed)
                if j != i
                and (
                    other.end < item.start
                    or (other.op.client == item.op.client and other.start < item.start)
                )
            ]
            if all(j in taken for j in earlier):
                out.append(i)
        return out

    def _extend(self, prefix: list[int]) -> bool:
        if len(prefix) == len(self.observed):
            return True
        for i in self._enabled(prefix):
            candidate = [*prefix, i]
            if self._consistent(candidate):
                if len(candidate) == len(self.observed):
                    return True
                if self._extend(candidate):
                    return True
        return False

    def _consistent(self, order: list[int]) -> bool:
        """Replay setup + ``order`` on a fresh model; every answer (and, when complete, the
        final state) must match what the target answered."""
        self.tried += 1
        if self.tried > _ORDERS_BOUND:
            raise _Bound
        ref = Side(self.env.reference(), self.unique)
        for template, handle in self.round.setup:
            _keep_id(ref, handle, ref.send(template))
        try:
            for i in order:
                item = self.observed[i]
                answer = ref.send(item.op.template)
                _keep_id(ref, item.op.creates, answer)
                compare(Exchange(item.op.template, answer, item.response), ref, self.target)
            if len(order) == len(self.observed):
                for template, seen in zip(self.round.final, self.finals, strict=True):
                    compare(Exchange(template, ref.send(template), seen), ref, self.target)
        except Divergence as exc:
            depth = len(order)
            if depth > self.closest[0]:
                self.closest = (depth, exc.message)
            return False
        return True


class _Bound(Exception):
    """The search bound ran out."""


def _describe(
    observed: list[_Done], finals: list[Response], round_: _Round, t0: float, side: Side
) -> list[str]:
    lines = []
    for item in observed:
        t = item.op.template
        lines.append(
            f"client {item.op.client + 1} [{item.start - t0:+.3f}..{item.end - t0:+.3f} s] "
            f"{t.method} {t.path} ({t.label}) -> {item.response.status}"
            f"{_members(item.response, side)}"
        )
    for template, response in zip(round_.final, finals, strict=True):
        lines.append(
            f"then {template.method} {template.path} ({template.label}) -> "
            f"{response.status}{_members(response, side)}"
        )
    return lines


def _members(response: Response, side: Side) -> str:
    """The part of an answer the usual race is about: a group's members (as handles)."""
    body = body_of(response)
    if isinstance(body, dict) and isinstance(body.get("members"), list):
        values = (m.get("value") for m in body["members"] if isinstance(m, dict))
        return f" members {sorted(side.handle_of(v) for v in values)}"
    if isinstance(body, dict) and "totalResults" in body:
        return f" totalResults {body['totalResults']}"
    return ""


class RaceSetupError(ConformanceError):
    """A race's setup request did not answer 2xx on the target, so the race cannot run."""


@dataclass
class _Failure:
    """A round that no serial order explains: what was seen, and how close the search came."""

    round: _Round
    observed: list[_Done]
    search: _Search
    interleaving: list[str]

    @property
    def message(self) -> str:
        """What is wrong, for a report."""
        clients = len(self.round.scripts)
        return (
            f"{clients} clients racing ({self.round.scenario}): no serial order of their "
            f"{len(self.observed)} operations gives these answers and this final state on the "
            f"reference model ({self.search.tried} orders tried; the closest diverged after "
            f"{self.search.closest[0]} operations: {self.search.closest[1]})"
        )


def play(env: FuzzEnv, round_: _Round) -> _Failure | None:
    """Run ``round_`` once against the target: its setup one request at a time, then the race,
    then the final reads, then clean up. The failure when no serial order explains the outcome;
    None when one does (or the search bound ran out first). Raises :class:`RaceSetupError`."""
    unique = "fc" + secrets.token_hex(4)
    target = Side(env.target, unique, env.token)
    created: list[str] = []
    try:
        for template, handle in round_.setup:
            response = target.send(template)
            env.requests += 1
            if status_class(response.status) != 2:
                raise RaceSetupError(
                    f"the setup request {template.method} {template.path} ({template.label}) "
                    f"answered {response.status}, so the race cannot run"
                )
            _keep_id(target, handle, response)
            created.append(_path_of(template, target, handle))

        def count() -> None:
            env.requests += 1

        t0 = time.monotonic()
        observed = _race(target, round_.scripts, count)
        created += [
            f"/Users/{target.ids[d.op.creates]}"
            for d in observed
            if d.op.creates and d.op.creates in target.ids
        ]
        finals = [target.send(t) for t in round_.final]
        env.requests += len(finals)
        search = _Search(env, round_, unique, target, observed)
        if search.explained(finals) is not False:
            return None
        return _Failure(round_, observed, search, _describe(observed, finals, round_, t0, target))
    finally:
        for path in sorted(created, key=lambda p: not p.startswith("/Groups")):
            with contextlib.suppress(Exception):  # best effort; the verdict is made
                target.transport.send(_delete(target, path))


def replay(env: FuzzEnv, round_: _Round, attempts: int) -> tuple[int, _Failure] | None:
    """Play ``round_`` up to ``attempts`` times; the first attempt (from 1) no serial order
    explains, with its failure, or None. Raises :class:`RaceSetupError`."""
    for attempt in range(1, attempts + 1):
        env.replays += 1
        failure = play(env, round_)
        if failure is not None:
            return attempt, failure
    return None


def _one_round(
    env: FuzzEnv, scenario: str, clients: int, rng: random.Random
) -> tuple[_Round, str, str, list[str]] | None:
    """Run one round; (round, signature, message, interleaving) when no serial order explains
    it."""
    round_ = _build(scenario, clients, rng)
    try:
        failure = play(env, round_)
    except RaceSetupError:
        return None  # the sequential fuzzer reports a setup that fails
    if failure is None:
        return None
    signature = f"concurrent {scenario} | {clients} clients | no serial order explains the outcome"
    message = failure.message
    serial = _serially(env, round_, [d.op for d in failure.observed])
    if serial:
        signature += " | also without concurrency"
        message += (
            f". Not a race: sent one at a time, in the order they started, the same "
            f"operations diverge too: {serial}"
        )
    return round_, signature, message, failure.interleaving


def _serially(env: FuzzEnv, round_: _Round, ops: list[_Op]) -> str:
    """Send setup and ``ops`` one at a time to the target and a fresh model: the first
    divergence's message, or "" when none (then only concurrency explains the finding)."""
    unique = "fs" + secrets.token_hex(4)
    target = Side(env.target, unique, env.token)
    ref = Side(env.reference(), unique)
    created: list[str] = []
    try:
        steps = [(t, h) for t, h in round_.setup] + [(op.template, op.creates) for op in ops]
        for template, handle in [*steps, *((t, None) for t in round_.final)]:
            mine, theirs = ref.send(template), target.send(template)
            env.requests += 1
            _keep_id(ref, handle, mine)
            _keep_id(target, handle, theirs)
            if handle is not None and handle in target.ids:
                created.append(f"{template.path}/{target.ids[handle]}")
            compare(Exchange(template, mine, theirs), ref, target)
    except Divergence as exc:
        return exc.message
    finally:
        for path in sorted(created, key=lambda p: not p.startswith("/Groups")):
            with contextlib.suppress(Exception):  # best effort; the verdict is made
                target.transport.send(_delete(target, path))
    return ""


def _path_of(template: Template, side: Side, handle: str | None) -> str:
    return f"{template.path}/{side.ids.get(handle or '', '')}"


def _delete(side: Side, path: str) -> Any:
    from conformance.transport import Request

    return Request("DELETE", path, {}, dict(side.headers))


def fuzz_concurrently(
    env: FuzzEnv,
    *,
    clients: int,
    rounds: int,
    seed: int,
    out: Path,
    names: Callable[[], str],
    target: str,
) -> list[Finding]:
    """Run ``rounds`` concurrent rounds of ``clients`` clients (at least one, then as many as
    the time budget allows); the new findings, one per signature. Each is written to ``out`` as
    a ``scim-race/1`` file named by ``names()``, and confirmed when that file, loaded back and
    replayed (up to :data:`_RECHECKS` times), reproduces."""
    from conformance.fuzz._race import race_document, race_from_dict, write_race

    rng = random.Random(seed)
    found: list[Finding] = []
    for index in range(rounds):
        if index and env.expired():
            break
        scenario = SCENARIOS[index % len(SCENARIOS)]
        outcome = _one_round(env, scenario, clients, rng)
        env.examples += 1
        if env.on_example is not None:
            env.on_example(env.examples, env.requests)
        if outcome is None:
            continue
        round_, signature, message, interleaving = outcome
        env.occurrences[signature] = env.occurrences.get(signature, 0) + 1
        if signature in env.excluded:
            continue
        env.excluded.add(signature)
        document = race_document(
            round_,
            name=names(),
            signature=signature,
            message=message,
            interleaving=interleaving,
            target=target,
        )
        race = race_from_dict(document, source=f"<race {document['name']}>")
        reason = ""
        try:  # the file's round, not a fresh one: "confirmed" means this file reproduced
            again = replay(env, race.round, _RECHECKS)
        except RaceSetupError as exc:
            again, reason = None, f"its race file did not replay: {exc}"
        if again is None and not reason:
            reason = (
                f"its race file did not reproduce in {_RECHECKS} replays (a narrow window: "
                "replay it with --repeat)"
            )
        found.append(
            Finding(
                signature,
                message,
                CONFIRMED if again else UNCONFIRMED,
                recording=write_race(document, out),
                steps=sum(len(script) for script in round_.scripts),
                reason=reason,
                interleaving=tuple(interleaving),
            )
        )
    return found
