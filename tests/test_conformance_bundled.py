"""Everything bundled, replayed in process against scimcore's reference server (SQLite, PostgreSQL).

This is the path of the main job (``scim-conformance run`` with no target). Every step must pass
except the scimcore defects listed, with their owners, in ``tests/recording_defects.py`` (shared
with the recordings' own replay test; a fixed defect must leave that list). SHOULD/MAY warnings
are allowed.
"""

from __future__ import annotations

import uuid
from typing import Any

from conformance import collect_recordings
from conformance.reference import reference_service
from conformance.results import Outcome, RunResult
from conformance.runner import Runner
from conformance.transport import ServiceTransport
from tests.recording_defects import check_against_known


def _replay(**service: Any) -> RunResult:
    recordings, errors = collect_recordings()
    assert errors == []
    with reference_service(**service) as (svc, token):
        return Runner(ServiceTransport(svc), token=token).run(recordings)


def _check(result: RunResult) -> None:
    assert len(result.results) >= 30
    assert not [r.recording.name for r in result.results if r.outcome is Outcome.ERROR]
    check_against_known(result)


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
