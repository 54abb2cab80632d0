"""The 3 x 3 grid: every bundled JumpCloud, Okta and miniOrange recording against each example app.

Each example (``examples/<name>/app.py`` exposing an ASGI ``app``) is imported afresh per test in
a temporary working directory, with its database pointed there, so every cell starts from an
empty site. The console summary prints the grid (see ``pytest_terminal_summary`` in conftest).
"""

from __future__ import annotations

import importlib
import logging
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance.loader import bundled_recordings_dir, load_recordings
from conformance.results import Outcome
from conformance.runner import run
from conformance.transport import transport_for

ROOT = Path(__file__).resolve().parent.parent
APPS = [
    n for n in ("wordpress", "magento", "drupal") if (ROOT / "examples" / n / "app.py").exists()
]
IDPS = ["jumpcloud", "okta", "miniorange"]
TOKEN = "change-me"


def fresh_app(name: str, idp: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Import ``examples.<name>.app`` anew: database in ``tmp_path``, ``idp``'s preset."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SCIM_TOKEN", TOKEN)
    for var in ("WP_IDP", "MAGENTO_IDP", "DRUPAL_IDP", f"{name.upper()}_IDP", "SCIM_IDP"):
        monkeypatch.setenv(var, idp)
    for var in ("WP_DB", "MAGENTO_DB", "DRUPAL_DB", f"{name.upper()}_DB", "SCIM_DB"):
        monkeypatch.setenv(var, str(tmp_path / f"{name}.db"))
    module_name = f"examples.{name}.app"
    monkeypatch.delitem(sys.modules, module_name, raising=False)
    return importlib.import_module(module_name).app


@pytest.mark.parametrize("app_name", APPS)
@pytest.mark.parametrize("idp", IDPS)
def test_idp_recordings_pass_against_example(
    idp: str,
    app_name: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    examples_grid: dict[tuple[str, str], tuple[int, int]],
) -> None:
    recordings = load_recordings([bundled_recordings_dir() / idp])
    assert recordings, f"no bundled {idp} recordings"
    app = fresh_app(app_name, idp, tmp_path, monkeypatch)
    result = run(recordings, transport_for(app), token=TOKEN)
    bad = [r for r in result.results if r.outcome not in (Outcome.PASSED, Outcome.WARNED)]
    examples_grid[idp, app_name] = (len(result.results) - len(bad), len(bad))
    report = "\n".join(
        f"{r.recording.name}: {r.outcome.name} {r.reason} "
        + "; ".join(s.summary for s in r.failed_steps)
        for r in bad
    )
    assert not bad, report
    # the glue runs in the service's audit sink, whose failures are logged, not answered
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, errors[:3]
