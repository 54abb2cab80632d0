"""The pytest plugin, driven with pytester: recordings as tests, options, fixtures, loading."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "conformance_data"
ROOT = Path(__file__).resolve().parent.parent

# The same guard as tests/conftest.py: load the plugin unless the entry point (or -p) already did.
GUARD = """
import pytest

def pytest_addhooks(pluginmanager):
    if not (
        pluginmanager.has_plugin("scim_conformance")
        or pluginmanager.has_plugin("conformance.pytest_plugin")
    ):
        import conformance.pytest_plugin as plugin
        pluginmanager.register(plugin, "scim_conformance")
"""

APP = """
from tests.conformance_target import TOKEN, Breakage, TargetServer

@pytest.fixture(scope="session")
def scim_app():
    return TargetServer(Breakage({broken}))

@pytest.fixture(scope="session")
def scim_token():
    return TOKEN
"""


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    # Third-party plugins of the outer environment only slow the inner sessions down.
    quiet = ["-p", "no:hypothesispytest", "-p", "no:cacheprovider", "-p", "no:anyio"]
    return pytester.runpytest(*quiet, *args)


def _setup(pytester: pytest.Pytester, broken: str = "", files: tuple[str, ...] = ()) -> None:
    pytester.makeconftest(GUARD + APP.format(broken=broken))
    for name in files:
        shutil.copy(DATA / name, pytester.path / name.replace(".json", ".scim.json"))


def test_scim_json_files_are_tests(pytester: pytest.Pytester) -> None:
    _setup(pytester, files=("user-lifecycle.json", "patch-atomic.json"))
    result = _run(pytester, "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*user-lifecycle.scim.json::testidp/user-lifecycle PASSED*"])


def test_a_failure_shows_the_conformance_report(pytester: pytest.Pytester) -> None:
    _setup(pytester, "return_password=True", files=("user-lifecycle.json",))
    result = _run(
        pytester,
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*FAILED testidp/user-lifecycle #0 create*",
            "*$.password: expected absent, got*",
            "*request:  POST /Users*",
        ]
    )
    assert "Traceback" not in result.stdout.str()
    assert "s3cret-t0ken" not in result.stdout.str()


def test_recordings_option_with_k_and_idp(pytester: pytest.Pytester) -> None:
    _setup(pytester)
    pytester.makepyfile(test_other="def test_other():\n    pass\n")
    result = _run(pytester, f"--scim-recordings={DATA}", "-k", "patch", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*testidp/patch-atomic PASSED*", "*rfc/patch-replace PASSED*"])
    result = _run(pytester, f"--scim-recordings={DATA}", "--scim-idp=rfc")
    result.assert_outcomes(passed=2)  # test_other and the one RFC recording


def test_capability_disclaimed_still_runs(pytester: pytest.Pytester) -> None:
    _setup(pytester, "no_patch_in_config=True", files=("rfc-patch.json",))
    result = _run(pytester, "-rs")
    result.assert_outcomes(passed=1)  # run (failures would only warn), never skipped silently
    result = _run(pytester, "--scim-ignore-capabilities")
    result.assert_outcomes(passed=1)


def test_without_a_target_items_skip(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(GUARD)
    shutil.copy(DATA / "patch-atomic.json", pytester.path / "a.scim.json")
    result = _run(pytester, "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*no SCIM target*"])


def test_a_bad_recording_is_a_collection_error(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(GUARD)
    (pytester.path / "bad.scim.json").write_text('{"format": "scim-recording/1"}')
    result = _run(
        pytester,
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*bad.scim.json: $*"])


def test_loaded_with_p_and_autoload_off(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As in a checkout where the project is not installed: -p loads it, the guard must not again.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    _setup(pytester, files=("patch-atomic.json",))
    result = _run(pytester, "-p", "conformance.pytest_plugin")
    result.assert_outcomes(passed=1)


def test_loaded_once_by_whatever_is_there(pytester: pytest.Pytester) -> None:
    # Installed (CI): the pytest11 entry point loads it and the guard stays out of the way;
    # not installed: the guard loads it. Either way exactly once.
    _setup(pytester, files=("patch-atomic.json",))
    pytester.makepyfile(
        test_count="""
def test_once(pytestconfig):
    pm = pytestconfig.pluginmanager
    import conformance.pytest_plugin as plugin
    names = [n for n, p in pm.list_name_plugin() if p is plugin]
    assert names == ["scim_conformance"], names
"""
    )
    result = _run(
        pytester,
    )
    result.assert_outcomes(passed=2)


def test_the_plugin_is_import_light() -> None:
    code = (
        "import sys, conformance.pytest_plugin; "
        "heavy = [m for m in ('jsonschema', 'httpx', 'conformance.runner', 'conformance.loader') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


FUZZ_APP = """
from tests.fuzz_target import BrokenService, Defects

@pytest.fixture(scope="session")
def scim_app():
    return BrokenService(Defects({broken}))

@pytest.fixture(scope="session")
def scim_base_url():
    return "http://broken.test/scim/v2"
"""


def test_scim_fuzz_option_adds_a_fuzz_test(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(GUARD + FUZZ_APP.format(broken="case_sensitive_username=True"))
    result = _run(pytester, "--scim-fuzz", "40", "--scim-fuzz-seed", "5", "-v")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*scim-fuzz FAILED*",
            "*1 divergences from the reference model*",
            "*[[]confirmed[]] POST /Users (create user) | status | 409 expected*",
        ]
    )


def test_scim_fuzz_fixture_passes_on_a_correct_target(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(GUARD + FUZZ_APP.format(broken=""))
    pytester.makepyfile(
        "def test_fuzz(scim_fuzz):\n"
        "    result = scim_fuzz(examples=10, seed=2)\n"
        "    assert not result.found and result.requests > 0\n"
    )
    _run(pytester).assert_outcomes(passed=1)


SCHEMA_APP = """
import json
from conformance.reference import reference_service
from scimcore.adapters import wsgi_app
from scimcore.store import MemoryStore

CLAIM_NEVER = {lie}
TOKEN = {{}}


def _lying(app):
    # /Schemas claims ``returned: never`` for displayName, which the server does return.
    def wrapped(environ, start_response):
        captured = {{}}

        def start(status, headers, exc_info=None):
            captured["args"] = (status, headers)

        body = b"".join(app(environ, start))
        status, headers = captured["args"]
        if CLAIM_NEVER and environ["PATH_INFO"].rstrip("/").endswith("/Schemas"):
            doc = json.loads(body)
            for schema in doc["Resources"]:
                for attribute in schema["attributes"]:
                    if attribute["name"] == "displayName":
                        attribute["returned"] = "never"
            body = json.dumps(doc).encode()
            headers = [(k, str(len(body)) if k.lower() == "content-length" else v)
                       for k, v in headers]
        start_response(status, headers)
        return [body]

    return wrapped


@pytest.fixture(scope="session")
def scim_app():
    with reference_service(store=MemoryStore()) as (service, token):
        TOKEN['value'] = token
        yield _lying(wsgi_app(service))


@pytest.fixture(scope="session")
def scim_token(scim_app):
    return TOKEN['value']
"""


def test_schema_checks_option_passes_on_the_reference_server(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(GUARD + SCHEMA_APP.format(lie=False))
    result = _run(pytester, "--scim-schema-checks", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*scim-schema-checks PASSED*"])


def test_schema_checks_fail_where_the_server_breaks_its_schemas(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(GUARD + SCHEMA_APP.format(lie=True))
    pytester.makepyfile(
        "def test_display_name(scim_schema_checks):\n"
        "    scim_schema_checks(keyword='displayName')\n"
    )
    result = _run(pytester, "--scim-schema-checks", "-v")
    result.assert_outcomes(failed=2)
    out = result.stdout.str()
    assert "schema-driven checks failed" in out and "rfc/schema/User/displayName" in out
    assert "rfc/schema/Group/displayName" in out and "Traceback" not in out


def test_schema_checks_off_by_default_without_a_url(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(GUARD + SCHEMA_APP.format(lie=True))
    shutil.copy(DATA / "user-lifecycle.json", pytester.path / "user-lifecycle.scim.json")
    result = _run(pytester, "-v")
    result.assert_outcomes(passed=1)
    assert "scim-schema-checks" not in result.stdout.str()
    off = _run(pytester, "--scim-schema-checks", "--no-scim-schema-checks", "-v")
    off.assert_outcomes(passed=1)
