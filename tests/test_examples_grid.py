"""The 3 x 3 grid: every bundled JumpCloud, Okta and miniOrange recording against each example app.

Each example (``examples/<name>/app.py`` exposing an ASGI ``app``) is imported afresh per cell in
a temporary directory, with its database pointed there, so every cell starts from an empty site.
The recordings run through the conformance pytest plugin (as ``*.scim.json`` files, with the
plugin's ``scim_app`` fixture overridden) in a nested pytest session; until that plugin exists
the cell falls back to ``conformance.runner.run``. The console summary prints the grid (see
``pytest_terminal_summary`` in conftest).
"""

from __future__ import annotations

import importlib
import logging
import sys
from pathlib import Path

import pytest

import conformance.pytest_plugin as plugin
from conformance.loader import bundled_recordings_dir, load_recordings
from conformance.results import Outcome
from conformance.runner import run
from conformance.transport import transport_for

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
APPS = [
    n for n in ("wordpress", "magento", "drupal") if (ROOT / "examples" / n / "app.py").exists()
]
IDPS = ["jumpcloud", "okta", "miniorange"]
TOKEN = "change-me"
HAS_PLUGIN = hasattr(plugin, "ScimRecordingItem")

# The nested session's conftest: the plugin's ``scim_app`` fixture returns a fresh import of the
# example, and any error the app logs (its glue runs in the service's audit sink, whose failures
# are logged rather than answered) fails the recording that caused it.
NESTED_CONFTEST = """
import importlib, logging, sys
import pytest

def pytest_addhooks(pluginmanager):
    # installed, the entry point has loaded the plugin already; from a checkout it has not
    if not (
        pluginmanager.has_plugin("scim_conformance")
        or pluginmanager.has_plugin("conformance.pytest_plugin")
    ):
        import conformance.pytest_plugin as plugin
        pluginmanager.register(plugin, "scim_conformance")

@pytest.fixture(scope="session")
def scim_app():
    sys.modules.pop("examples.{name}.app", None)
    return importlib.import_module("examples.{name}.app").app

@pytest.fixture(autouse=True)
def _no_logged_errors(caplog):
    yield
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, errors[:3]
"""


def point_at(tmp_path: Path, name: str, idp: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Environment of a fresh example: database in ``tmp_path``, ``idp``'s preset, the token."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SCIM_TOKEN", TOKEN)
    for prefix in ("WP", "MAGENTO", "DRUPAL", name.upper(), "SCIM"):
        monkeypatch.setenv(f"{prefix}_DB", str(tmp_path / f"{name}.db"))
        monkeypatch.setenv(f"{prefix}_IDP", idp)
    monkeypatch.delitem(sys.modules, f"examples.{name}.app", raising=False)


def through_plugin(name: str, idp: str, pytester: pytest.Pytester) -> tuple[int, int, str]:
    """(passed, not passed, output) of the plugin's run of ``idp``'s recordings against ``name``."""
    pytester.makeconftest(NESTED_CONFTEST.replace("{name}", name))
    for recording in sorted((bundled_recordings_dir() / idp).glob("*.json")):
        # as ``*.scim.json`` files beside the conftest, so its ``scim_app`` is the one they get
        target = pytester.path / f"{recording.stem}.scim.json"
        target.write_bytes(recording.read_bytes())
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--scim-token", TOKEN)
    counts = result.parseoutcomes()
    bad = sum(counts.get(k, 0) for k in ("failed", "error", "errors", "skipped"))
    return counts.get("passed", 0), bad, "\n".join(result.outlines)


def through_runner(name: str, idp: str, caplog: pytest.LogCaptureFixture) -> tuple[int, int, str]:
    """The same cell with ``conformance.runner.run`` (before the plugin existed)."""
    app = importlib.import_module(f"examples.{name}.app").app
    result = run(load_recordings([bundled_recordings_dir() / idp]), transport_for(app), token=TOKEN)
    bad = [r for r in result.results if r.outcome not in (Outcome.PASSED, Outcome.WARNED)]
    report = [f"{r.recording.name}: {r.outcome.name} {r.reason} " + "; ".join(
        s.summary for s in r.failed_steps) for r in bad]  # fmt: skip
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    return len(result.results) - len(bad), len(bad) + len(errors), "\n".join(report + errors[:3])


@pytest.mark.parametrize("app_name", APPS)
@pytest.mark.parametrize("idp", IDPS)
def test_idp_recordings_pass_against_example(
    idp: str,
    app_name: str,
    pytester: pytest.Pytester,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    examples_grid: dict[tuple[str, str], tuple[int, int]],
) -> None:
    point_at(pytester.path, app_name, idp, monkeypatch)
    if HAS_PLUGIN:
        passed, bad, output = through_plugin(app_name, idp, pytester)
    else:
        passed, bad, output = through_runner(app_name, idp, caplog)
    examples_grid[idp, app_name] = (passed, bad)
    assert passed and not bad, output
