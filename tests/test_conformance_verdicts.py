"""Two axes in every verdict: refusing an IdP quirk blocks that IdP but is no RFC MUST failure;
the loader refuses levels that contradict the RFC's wording; the reports lead with both verdicts."""

from __future__ import annotations

import copy
import io
import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from conformance import collect_recordings, load_dict, load_file, select
from conformance.errors import RecordingError
from conformance.loader import bundled_recordings_dir
from conformance.reference import reference_service
from conformance.reporters import ConsoleReporter, html_report, junit_xml, run_to_dict
from conformance.results import Outcome, RunResult
from conformance.runner import Runner
from conformance.transport import ServiceTransport
from conformance.verdicts import idp_verdicts, rfc_verdict
from tests.strict_target import QUIRKS, StrictTarget


def _strict_run(refuse: frozenset[str], idps: list[str] | None = None) -> RunResult:
    recordings, errors = collect_recordings()
    assert errors == []
    with reference_service("memory:") as (service, token):
        target = StrictTarget(ServiceTransport(service), refuse)
        return Runner(target, token=token).run(select(recordings, idps=idps))


@pytest.fixture(scope="module")
def strict() -> RunResult:
    """Everything bundled against a server refusing every IdP quirk (RFC-correctly)."""
    return _strict_run(QUIRKS)


@pytest.fixture(scope="module")
def strict_with_groups() -> RunResult:
    """The same, but accepting Entra's group URN, so its member removals get exercised."""
    return _strict_run(QUIRKS - {"unknown-schema"}, ["entra", "jumpcloud"])


def _step(run: RunResult, recording: str, step: str) -> Any:
    result = next(r for r in run.results if r.recording.name == recording)
    return next(s for s in result.steps if s.step.name == step)


@pytest.mark.parametrize(
    ("recording", "step", "idp"),
    [
        ("entra/user-lifecycle-legacy", "patch-disable", "entra"),  # active "False"
        ("entra/groups-legacy", "create-group-without-members", "entra"),  # Microsoft URN
        ("entra/manager-legacy", "add-manager-documented-form", "entra"),  # unqualified path
        ("jumpcloud/group-sync", "remove-member-1-by-value", "jumpcloud"),  # remove + value
        ("onelogin/template-quirks", "accept-active-as-string", "onelogin"),  # active "false"
    ],
)
def test_refusing_a_quirk_fails_the_idp_and_only_warns_the_rfc(
    strict: RunResult, recording: str, step: str, idp: str
) -> None:
    result = _step(strict, recording, step)
    assert result.interop == {idp: Outcome.FAILED}
    assert result.rfc is Outcome.WARNED
    assert result.step.level == "MAY" and result.step.quirk
    assert result.outcome is Outcome.FAILED  # the IdP will not work: the run still fails


def test_entra_remove_with_value_is_an_interop_failure(strict_with_groups: RunResult) -> None:
    for name in ("remove-member-1", "only-member-2-left", "remove-and-add-in-one-patch"):
        result = _step(strict_with_groups, "entra/groups-legacy", name)
        assert result.interop == {"entra": Outcome.FAILED}, name
        assert result.rfc is Outcome.WARNED, name


def test_readded_member_is_a_should(strict_with_groups: RunResult) -> None:
    for recording, name in [
        ("entra/groups-legacy", "re-add-existing-member-2"),
        ("entra/groups-aadOptscim062020", "re-add-existing-member-2"),
        ("jumpcloud/group-sync", "add-member-2-and-repeat-member-1"),
    ]:
        result = _step(strict_with_groups, recording, name)
        assert result.step.level == "SHOULD", recording
        assert result.step.rfc == "RFC7644 3.5.2.1"
        assert result.rfc is Outcome.WARNED


def test_an_rfc_correct_server_has_no_must_failure_but_blocks_the_idps(strict: RunResult) -> None:
    rfc = rfc_verdict(strict)
    assert rfc.not_met["MUST"] == [], [(f.recording, f.step) for f in rfc.not_met["MUST"]]
    assert "RFC7643 2.3.2" in rfc.sections("MAY")
    assert "RFC7644 3.5.2.1" in rfc.sections("SHOULD")
    verdicts = idp_verdicts(strict)
    assert verdicts["entra"].headline == "NO"
    assert "blocks Entra group provisioning" in verdicts["entra"].impacts
    assert verdicts["jumpcloud"].outcome is Outcome.FAILED
    assert verdicts["onelogin"].outcome is Outcome.FAILED
    assert verdicts["okta"].headline == "yes" and verdicts["miniorange"].headline == "yes"


def test_reference_server_works_with_every_idp() -> None:
    recordings, _ = collect_recordings()
    with reference_service("memory:") as (service, token):
        run = Runner(ServiceTransport(service), token=token).run(recordings)
    verdicts = idp_verdicts(run)
    assert {v.headline for v in verdicts.values()} == {"yes"}
    assert set(verdicts) == {"entra", "jumpcloud", "miniorange", "okta", "onelogin"}
    assert rfc_verdict(run).not_met["MUST"] == []


# -- the loader --------------------------------------------------------------------------------


def _bundled(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((bundled_recordings_dir() / name).read_text("utf-8"))
    return document


def _with_step(document: dict[str, Any], step: str, **changes: Any) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    for raw in changed["steps"]:
        if raw["name"] == step:
            raw.update(changes)
            for key in [k for k, v in changes.items() if v is None]:
                del raw[key]
    return changed


def test_loader_refuses_a_quirk_graded_must() -> None:
    doc = _with_step(_bundled("entra/user-lifecycle-legacy.json"), "patch-disable", level="MUST")
    with pytest.raises(RecordingError, match="quirk step cannot be an RFC MUST") as caught:
        load_dict(doc)
    assert caught.value.json_path == "$.steps[8].level"


def test_loader_refuses_a_readded_member_graded_must() -> None:
    doc = _bundled("jumpcloud/group-sync.json")
    with pytest.raises(RecordingError, match=r"words this SHOULD \(7644-3.5.2.1-existing-value"):
        load_dict(_with_step(doc, "add-member-2-and-repeat-member-1", level="MUST"))
    # recognised by what it does even without citing the statement
    bare = _with_step(doc, "add-member-2-and-repeat-member-1", level="MUST", requirement=None)
    with pytest.raises(RecordingError, match="words this SHOULD"):
        load_dict(bare)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"requirement": "7644-3.3-created-201", "level": "SHOULD"}, "words this MUST"),
        ({"requirement": "7644-3.3-created-201", "rfc": "RFC7644 3.6"}, "is in RFC7644 3.3"),
        ({"requirement": "7644-9.9-made-up"}, "unknown requirement"),
    ],
)
def test_loader_checks_cited_requirements(changes: dict[str, Any], message: str) -> None:
    doc = _with_step(_bundled("okta/user-lifecycle-oin.json"), "create", **changes)
    with pytest.raises(RecordingError, match=message):
        load_dict(doc)


def test_interop_forms_and_defaults() -> None:
    doc = {
        "format": "scim-recording/1",
        "name": "x/interop",
        "idp": "okta",
        "steps": [
            {"name": "plain", "request": {"method": "GET", "path": "/Users"}, "impact": "i0"},
            {"name": "soft", "level": "SHOULD", "request": {"method": "GET", "path": "/Users"}},
            {
                "name": "both",
                "interop": {"entra": "blocks Entra", "okta": {"severity": "degraded"}},
                "impact": "slower",
                "request": {"method": "GET", "path": "/Users"},
            },
            {"name": "none", "interop": {}, "request": {"method": "GET", "path": "/Users"}},
        ],
    }
    rec = load_dict(doc)
    got = {
        s.name: {k: (v.severity, v.impact) for k, v in rec.interop_of(s).items()} for s in rec.steps
    }
    assert got == {
        "plain": {"okta": ("blocker", "i0")},
        "soft": {"okta": ("degraded", "breaks Okta: x/interop")},
        "both": {"entra": ("blocker", "blocks Entra"), "okta": ("degraded", "slower")},
        "none": {},
    }
    bad = copy.deepcopy(doc)
    bad["steps"][0]["interop"] = {"okta": {"severity": "fatal"}}
    with pytest.raises(RecordingError):
        load_dict(bad)


def test_every_bundled_recording_still_loads() -> None:
    for path in sorted(bundled_recordings_dir().rglob("*.json")):
        load_file(path)


# -- the reports lead with both verdicts ----------------------------------------------------------


def test_console_leads_with_the_idp_verdict_then_the_rfc(strict: RunResult) -> None:
    out = io.StringIO()
    ConsoleReporter(out).summary(strict)
    text = out.getvalue()
    idp, rfc, fixes = (text.index(h) for h in ("will it work", "RFC conformance", "fix first"))
    assert idp < rfc < fixes
    assert "Microsoft Entra ID     NO: blocks Entra group provisioning" in text
    assert "Okta                   yes" in text
    lines = {line.split()[0]: line for line in text.splitlines() if line.strip()}
    assert lines["MUST"].endswith(" met") and "not met" not in lines["MUST"]
    assert "RFC7643 2.3.2" in lines["MAY"]


def test_json_junit_html_carry_both_verdicts(strict: RunResult) -> None:
    data = run_to_dict(strict)
    assert list(data)[:3] == ["format", "target", "verdicts"]
    assert data["verdicts"]["idps"]["entra"]["works"] == "NO"
    assert data["verdicts"]["rfc"]["levels"]["MUST"]["not_met"] == 0
    step = next(
        s
        for r in data["recordings"]
        if r["name"] == "entra/user-lifecycle-legacy"
        for s in r["steps"]
        if s["name"] == "patch-disable"
    )
    assert step["rfc_outcome"] == "warned" and step["interop"] == {"entra": "failed"}

    root = ET.fromstring(junit_xml(strict).split("\n", 1)[1])
    suites = [s.get("name") for s in root.findall("testsuite")]
    assert suites[:2] == ["Will it work with your IdP?", "RFC conformance"]
    entra = root.find("testsuite/testcase[@name='Microsoft Entra ID']")
    assert entra is not None and entra.find("failure") is not None
    must = root.find("testsuite[@name='RFC conformance']/testcase[@name='MUST']")
    assert must is not None and must.find("failure") is None

    page = html_report(strict)
    assert page.index("Will it work with your IdP?") < page.index("RFC conformance")
    assert page.index("RFC conformance") < page.index("Summary per identity provider")
    assert "IdP quirk:" in page
