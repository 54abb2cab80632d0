"""Run the fuzzer against a target: examples, seed, time budget, progress, and the recording out."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hypothesis
from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis.stateful import get_state_machine_test

from conformance.fuzz._machine import FuzzEnv, machine_for
from conformance.fuzz._recording import to_recording
from conformance.transport import ServiceTransport, Transport, transport_for

REFERENCE_BASE_URL = "http://reference.invalid/scim/v2"
_BATCH = 25


@dataclass(frozen=True)
class FuzzResult:
    """The outcome of a fuzz run.

    ``found`` is True when the target diverged from the reference model; ``recording`` is then
    the ``scim-recording/1`` file holding the shrunk failing sequence, ``steps`` its length.
    """

    found: bool
    message: str
    examples: int
    requests: int
    seconds: float
    recording: Path | None = None
    steps: int = 0


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
) -> FuzzResult:
    """Fuzz ``target`` (a base URL, a Transport, a ScimService or an ASGI/WSGI app).

    Runs up to ``examples`` random sequences of up to ``steps`` rules each (fewer when
    ``time_budget`` seconds run out), shrinks the first divergence found and writes it to
    ``out_dir`` as a recording. ``progress(examples_done, requests_sent)`` is called after each
    example. Transport errors (the target is unreachable) propagate: they are not divergences.
    """
    transport = transport_for(target)
    started = time.monotonic()
    env = FuzzEnv(
        target=transport,
        reference=reference_transport,
        token=token,
        deadline=None if time_budget is None else started + time_budget,
        on_example=progress,
    )
    # With a time budget, hypothesis runs in seeded batches and the clock is read between them:
    # stopping a run from inside an example would make hypothesis report a flaky test.
    batch = examples if time_budget is None else min(examples, _BATCH)
    base_seed = seed if seed is not None else secrets.randbits(32)
    found, done, round_ = False, 0, 0
    while done < examples and not env.expired():
        size = min(batch, examples - done)
        config = settings(
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
        test = hypothesis.seed(base_seed + round_)(
            get_state_machine_test(machine_for(env), settings=config)
        )
        try:
            test()
        except Exception:
            if not env.failing_trace:
                raise
            found = True
            break
        done += size
        round_ += 1
    seconds = time.monotonic() - started
    if not found:
        return FuzzResult(False, "no divergence found", env.examples, env.requests, seconds)
    label = name or f"fuzz/divergence-{env.failing_unique}"
    document = to_recording(
        env.failing_trace,
        message=env.failing_message,
        unique=env.failing_unique,
        reference_ids=env.failing_ref_ids,
        name=label,
        target=transport.target,
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{document['name'].replace('/', '-')}.json"
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return FuzzResult(
        True,
        env.failing_message,
        env.examples,
        env.requests,
        seconds,
        recording=path,
        steps=len(document["steps"]),
    )
