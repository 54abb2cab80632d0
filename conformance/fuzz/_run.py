"""Run the fuzzer against a target: examples, seed, time budget, progress, and the recording out."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hypothesis
from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis.stateful import get_state_machine_test

from conformance.fuzz._findings import CONFIRMED, KNOWN, UNCONFIRMED, Finding, load_known
from conformance.fuzz._machine import FuzzEnv, machine_for
from conformance.fuzz._recording import to_recording
from conformance.loader import load_dict
from conformance.results import Outcome
from conformance.runner import run
from conformance.transport import ServiceTransport, Transport, transport_for

REFERENCE_BASE_URL = "http://reference.invalid/scim/v2"
_BATCH = 25
#: The share of a time budget the sequential phase may use when concurrent clients follow.
SEQUENTIAL_SHARE = 0.7


@dataclass(frozen=True)
class FuzzResult:
    """The outcome of a fuzz run.

    ``findings`` holds every distinct new divergence (one per signature, confirmed or not) and
    ``known`` those the known-divergences file lists. ``found`` is True when there is a new
    one; ``message``, ``recording`` and ``steps`` describe the first new one (``recording`` the
    first confirmed one's ``scim-recording/1`` or ``scim-race/1`` file). ``examples`` counts
    generated sequences, ``replays`` the sequences hypothesis ran to shrink findings and the
    race files replayed to confirm races, ``rounds`` the concurrent rounds run (included in
    ``examples``).
    """

    found: bool
    message: str
    examples: int
    requests: int
    seconds: float
    recording: Path | None = None
    steps: int = 0
    findings: tuple[Finding, ...] = ()
    known: tuple[Finding, ...] = ()
    replays: int = 0
    clients: int = 1
    rounds: int = 0

    @property
    def confirmed(self) -> tuple[Finding, ...]:
        """The new findings whose recording reproduces on the target."""
        return tuple(f for f in self.findings if f.status == CONFIRMED)


def reference_transport() -> Transport:
    """A fresh reference model: scimcore's own service over an empty in-memory store."""
    from scimcore.service import ScimService, ServiceConfig
    from scimcore.store import MemoryStore

    service = ScimService(MemoryStore(), ServiceConfig(base_url=REFERENCE_BASE_URL))
    return ServiceTransport(service, base_url=REFERENCE_BASE_URL)


def fuzz(
    target: Any,
    *,
    token: str | None = None,
    examples: int = 100,
    steps: int = 25,
    seed: int | None = None,
    time_budget: float | None = None,
    out_dir: str | Path = ".",
    name: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    known: Mapping[str, str] | str | Path | None = None,
    clients: int = 1,
    rounds: int = 20,
    max_shrinks: int = 300,
) -> FuzzResult:
    """Fuzz ``target`` (a base URL, a Transport, a ScimService or an ASGI/WSGI app).

    Runs up to ``examples`` random sequences of up to ``steps`` rules each (fewer when
    ``time_budget`` seconds run out). A divergence does not stop the run: the first sequence
    showing a new signature is shrunk, replayed as a recording against the target (it must
    fail again) and against a fresh reference model (it must pass) and only then written to
    ``out_dir``; later occurrences of that signature are counted and the run goes on. ``known``
    (``{signature: reason}`` or a known-divergences file) lists signatures reported as known,
    not new. ``clients`` > 1 adds ``rounds`` concurrent rounds in which that many clients race
    shared resources and the outcome must be explained by some serial order; with a
    ``time_budget`` the sequential sequences then stop at :data:`SEQUENTIAL_SHARE` of it, so the
    concurrent rounds always get the rest. A concurrent finding is written to ``out_dir`` as a
    ``scim-race/1`` file (replay it with :func:`~conformance.fuzz.replay_race`) and confirmed
    when replaying that file reproduces it. Shrinking one finding stops after ``max_shrinks``
    replays (or when the budget is spent) with the smallest failing sequence found so far.
    ``progress(examples_done, requests_sent)`` is called after each example. Transport errors
    (the target is unreachable) propagate: they are not divergences.
    """
    transport = transport_for(target)
    started = time.monotonic()
    known_map = load_known(known) if isinstance(known, str | Path) else dict(known or {})
    deadline = None if time_budget is None else started + time_budget
    env = FuzzEnv(
        target=transport,
        reference=reference_transport,
        token=token,
        # With concurrent clients, the sequential phase leaves a share of the budget to them.
        deadline=_sequential_deadline(started, time_budget, clients),
        on_example=progress,
        max_shrinks=max_shrinks,
    )
    env.excluded.update(known_map)
    # Hypothesis runs in seeded batches and the clock is read between them: stopping a run
    # from inside an example would make hypothesis report a flaky test. A batch ends early at
    # a new signature; it is confirmed and excluded and the next batch goes on.
    batch = examples if time_budget is None else min(examples, _BATCH)
    base_seed = seed if seed is not None else secrets.randbits(32)
    out = Path(out_dir)
    prefix = name or "fuzz/divergence"
    new: list[Finding] = []
    done, round_ = 0, 0
    while done < examples and not env.expired():
        size = min(batch, examples - done)
        env.start_hunt()
        before = env.examples
        test = hypothesis.seed(base_seed + round_)(
            get_state_machine_test(machine_for(env), settings=_settings(size, steps))
        )
        round_ += 1
        try:
            test()
        except Exception:
            if env.hunting is None:
                raise  # not a divergence: a bug to see
            done += max(1, env.examples - before)
            new.append(_finding(env, transport, token, out, f"{prefix}-{len(new) + 1}"))
            env.excluded.add(env.hunting)
            continue
        done += size
    env.deadline = deadline
    sequential = env.examples
    if clients > 1:  # at least one round, even when the sequential phase overran its share
        from conformance.fuzz._concurrent import fuzz_concurrently

        sequential_found = len(new)
        count = iter(range(sequential_found + 1, sequential_found + rounds + 1))
        new += fuzz_concurrently(
            env,
            clients=clients,
            rounds=rounds,
            seed=base_seed,
            out=out,
            names=lambda: f"{prefix}-{next(count)}",
            target=transport.target,
        )
    seconds = time.monotonic() - started
    for finding in new:  # the count of sequences that ran into it, the shrunk one included
        object.__setattr__(finding, "occurrences", env.occurrences.get(finding.signature, 1))
    seen_known = tuple(
        Finding(sig, reason, KNOWN, occurrences=env.occurrences[sig], reason=reason)
        for sig, reason in known_map.items()
        if env.occurrences.get(sig)
    )
    first = new[0] if new else None
    recorded = next((f for f in new if f.recording and f.status == CONFIRMED), None)
    return FuzzResult(
        found=bool(new),
        message=first.message if first else "no new divergence found",
        examples=env.examples,
        requests=env.requests,
        seconds=seconds,
        recording=recorded.recording if recorded else None,
        steps=recorded.steps if recorded else 0,
        findings=tuple(new),
        known=seen_known,
        replays=env.replays,
        clients=clients,
        rounds=env.examples - sequential,
    )


def _sequential_deadline(started: float, budget: float | None, clients: int) -> float | None:
    if budget is None:
        return None
    return started + (budget * SEQUENTIAL_SHARE if clients > 1 else budget)


def _settings(size: int, steps: int) -> settings:
    return settings(
        max_examples=size,
        stateful_step_count=steps,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.generate, Phase.shrink),
        verbosity=Verbosity.quiet,
        report_multiple_bugs=False,
        print_blob=False,
    )


def _finding(env: FuzzEnv, target: Transport, token: str | None, out: Path, name: str) -> Finding:
    """Turn the shrunk trace into a Finding: confirmed (recording written) or unconfirmed."""
    signature = env.hunting or ""
    message = env.failing_message
    document = to_recording(
        env.failing_trace,
        message=message,
        unique=env.failing_unique,
        reference_ids=env.failing_ref_ids,
        name=name,
        target=target.target,
    )
    steps = len(document["steps"])
    recording = load_dict(document, source=f"<fuzz finding {name}>")
    env.requests += 2 * steps
    on_target = run([recording], target, token=token, ignore_capabilities=True).results[0]
    if on_target.outcome not in (Outcome.FAILED, Outcome.ERROR):
        return Finding(
            signature,
            message,
            UNCONFIRMED,
            steps=steps,
            reason="did not diverge again when its shrunk sequence was replayed (flaky target?)",
        )
    on_model = run([recording], reference_transport(), ignore_capabilities=True).results[0]
    if on_model.outcome is not Outcome.PASSED:
        why = "; ".join(s.summary for s in on_model.failed_steps) or on_model.reason
        return Finding(
            signature,
            message,
            UNCONFIRMED,
            steps=steps,
            reason=f"the reference model disagrees with itself on the replay: {why}",
        )
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{document['name'].replace('/', '-')}.json"
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return Finding(signature, message, CONFIRMED, recording=path, steps=steps)
