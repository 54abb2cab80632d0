"""What the Magento and Drupal example tests share: the site database, the app, requests, SQL."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from conformance.loader import load_recordings, select
from conformance.results import Outcome
from conformance.runner import run
from conformance.transport import Request, transport_for
from examples._sql import run_script
from scimcore.adapters import asgi_app

ROOT = Path(__file__).resolve().parents[1]
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@dataclass(frozen=True)
class SiteExample:
    """``examples/<name>``: its environment prefix is ``<NAME>_``, its token ``token``."""

    name: str
    token: str

    @property
    def dir(self) -> Path:
        return ROOT / "examples" / self.name

    def database(self, request: pytest.FixtureRequest, tmp_path: Path) -> str:
        """The site's database for ``request.param`` (``mariadb`` or ``sqlite``), with its
        tables and a fresh install's seed rows."""
        if request.param == "mariadb":
            url = str(request.getfixturevalue("mysql_url"))
            run_script(url, self.dir / "schema.mysql.sql")
        else:
            url = f"sqlite:///{tmp_path / f'{self.name}.db'}"
            run_script(url, self.dir / "schema.sql")
        return url

    def load_app(
        self, url: str, monkeypatch: pytest.MonkeyPatch, idp: str, deprovision: str
    ) -> Any:
        """A fresh import of the example over ``url``: its ASGI app and its store."""
        prefix = self.name.upper()
        monkeypatch.setenv(f"{prefix}_DB_URL", url)
        monkeypatch.setenv(f"{prefix}_IDP", idp)
        monkeypatch.setenv(f"{prefix}_DEPROVISION", deprovision)
        monkeypatch.setenv("SCIM_TOKEN", self.token)
        monkeypatch.setenv("SCIM_BASE_URL", "http://testserver/scim/v2")
        monkeypatch.delitem(sys.modules, f"examples.{self.name}.app", raising=False)
        module = importlib.import_module(f"examples.{self.name}.app")
        service = module.build_service()  # the app's service, with its store at hand
        return SimpleNamespace(app=asgi_app(service), store=service.store)

    def call(self, module: Any, method: str, path: str, body: object, query: Any) -> Any:
        """(status, JSON body or None) of one request to the app, as Okta sends it."""
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/scim+json",
            "User-Agent": "Okta SCIM Client 1.0.0",
        }
        raw = json.dumps(body).encode() if body is not None else None
        response = transport_for(module.app).send(Request(method, path, query, headers, raw))
        return response.status, (response.json() if response.body else None)

    def replay(self, module: Any, idp: str) -> None:
        """Every bundled recording of ``idp`` passes against the app (none skipped), leaving
        what it wrote in place for the caller's checks."""
        recordings = select(load_recordings(), idps=[idp])
        assert recordings
        result = run(recordings, transport_for(module.app), token=self.token, cleanup=False)
        failed = {
            (r.recording.name, s.step.name): s.summary
            for r in result.results
            for s in r.steps
            if s.outcome in (Outcome.FAILED, Outcome.ERROR)
        }
        assert failed == {}
        assert all(r.outcome is not Outcome.SKIPPED for r in result.results)


def engine(url: str) -> Iterator[Any]:
    """An SQLAlchemy engine of the site's database, disposed of after the test."""
    from sqlalchemy import create_engine

    eng = create_engine(url)
    yield eng
    eng.dispose()


def sql(db: Any, statement: str, **params: Any) -> list[Any]:
    """Run one statement in its own transaction; its rows as mappings."""
    from sqlalchemy import text

    with db.begin() as conn:
        result = conn.execute(text(statement), params)
        return list(result.mappings()) if result.returns_rows else []


def key_of(module: Any, scim_id: str) -> int:
    """The site's primary key of a SCIM User."""
    with module.store.transaction(readonly=True) as tx:
        key = tx.key_of("User", scim_id)
    assert key is not None
    return int(key)


def patch(*operations: dict[str, Any]) -> dict[str, Any]:
    """A PatchOp body."""
    return {"schemas": [PATCH_URN], "Operations": list(operations)}
