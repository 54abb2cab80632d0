"""Everything bundled, replayed in process against scimcore's reference server (SQLite, PostgreSQL).

Every recording must pass: no FAILURE and no ERROR (SHOULD/MAY warnings are allowed).
"""

from __future__ import annotations

import uuid
from typing import Any

from conformance import collect_recordings
from conformance.reference import reference_service
from conformance.results import Outcome, RunResult
from conformance.runner import Runner
from conformance.transport import ServiceTransport


def _replay(**service: Any) -> RunResult:
    recordings, errors = collect_recordings()
    assert errors == []
    with reference_service(**service) as (svc, token):
        return Runner(ServiceTransport(svc), token=token).run(recordings)


def _check(result: RunResult) -> None:
    assert len(result.results) >= 30
    bad = {
        (r.recording.name, s.step.name, s.summary)
        for r in result.results
        for s in r.steps
        if s.outcome in (Outcome.FAILED, Outcome.ERROR)
    }
    assert bad == set(), sorted(bad)
    assert result.exit_code == 0


def test_bundled_recordings_on_sqlite() -> None:
    _check(_replay())


def test_bundled_recordings_on_postgres(pg_dsn: str) -> None:
    from scimcore.store import PostgresStore

    store = PostgresStore(pg_dsn, prefix=f"confrun_{uuid.uuid4().hex[:8]}_")
    try:
        _check(_replay(store=store))
    finally:
        store.drop()
        store.close()
