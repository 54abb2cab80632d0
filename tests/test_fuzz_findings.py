"""The fuzzer keeps going: distinct findings by signature, known ones, confirmation, races."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.cli import main as cli_main
from conformance.fuzz import Divergence, Finding, fuzz, load_known, reference_transport
from conformance.fuzz._findings import KnownFileError
from conformance.fuzz._traffic import Exchange, Side, Template, compare
from conformance.loader import load_file
from conformance.results import Outcome
from conformance.runner import run
from conformance.transport import Response, ServiceTransport
from scimcore.service import ScimService, ServiceConfig
from tests.fuzz_target import BASE_URL, BrokenService, Defects
from tests.store_backends import make_store
from tests.strict_target import QUIRKS, StrictTarget


def _target(**defects: bool) -> ServiceTransport:
    return ServiceTransport(BrokenService(Defects(**defects)), base_url=BASE_URL)


def test_one_run_reports_several_distinct_defects_each_confirmed(tmp_path: Path) -> None:
    several = {"case_sensitive_username": True, "non_atomic_patch": True}
    result = fuzz(_target(**several), examples=120, seed=3, out_dir=tmp_path)
    assert result.found
    signatures = [f.signature for f in result.findings]
    assert len(signatures) == len(set(signatures)) >= 2, signatures
    assert any("POST /Users (create user) | status | 409" in s for s in signatures), signatures
    assert any("atomic-failure" in s for s in signatures), signatures
    # the run went on to its budget past the findings, and later occurrences were counted
    assert result.examples >= 120
    assert max(f.occurrences for f in result.findings) > 1
    recordings = sorted(tmp_path.glob("*.json"))
    assert len(recordings) == len(result.confirmed) == len(result.findings)
    for finding in result.findings:
        assert finding.recording is not None
        recording = load_file(finding.recording)
        on_target = run([recording], _target(**several), ignore_capabilities=True).results[0]
        assert on_target.outcome is Outcome.FAILED, finding.signature
        on_model = run([recording], reference_transport(), ignore_capabilities=True).results[0]
        assert on_model.outcome is Outcome.PASSED, [s.summary for s in on_model.failed_steps]


def test_known_divergences_are_reported_as_known_not_failures(tmp_path: Path) -> None:
    first = fuzz(_target(case_sensitive_username=True), examples=40, seed=5, out_dir=tmp_path)
    assert first.findings
    known_file = tmp_path / "known.json"
    entries = [{"signature": f.signature, "reason": "ticket 42"} for f in first.findings]
    known_file.write_text(json.dumps({"format": "scim-fuzz-known/1", "known": entries}))
    assert load_known(known_file) == {f.signature: "ticket 42" for f in first.findings}

    again = fuzz(
        _target(case_sensitive_username=True),
        examples=40,
        seed=5,
        out_dir=tmp_path / "again",
        known=known_file,
    )
    known = {f.signature for f in again.known}
    assert known and known <= {f.signature for f in first.findings}
    assert all(f.status == "known" and f.reason == "ticket 42" for f in again.known)
    assert not {f.signature for f in again.findings} & known
    assert not again.found or again.findings  # found only ever means new ones


def test_known_file_in_toml_and_bad_files(tmp_path: Path) -> None:
    toml = tmp_path / "known.toml"
    toml.write_text('[[known]]\nsignature = "a | b | c"\nreason = "upstream bug"\n')
    assert load_known(toml) == {"a | b | c": "upstream bug"}
    bad = tmp_path / "bad.json"
    bad.write_text('{"known": [{"reason": "no signature"}]}')
    with pytest.raises(KnownFileError, match=r"known\[0\]: needs a 'signature' string"):
        load_known(bad)
    with pytest.raises(KnownFileError, match="cannot read it"):
        load_known(tmp_path / "missing.json")


def test_cli_exit_status_depends_only_on_new_divergences(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.json"
    args = [
        "fuzz",
        "--app",
        "tests.fuzz_target:CASE_SENSITIVE",
        "--examples",
        "25",
        "--steps",
        "10",
    ]
    args += ["--seed", "5", "--out", str(tmp_path / "out")]
    assert cli_main([*args, "--json", str(report)]) == 1
    out = capsys.readouterr().out
    assert "NEW DIVERGENCE (confirmed" in out and "written to" in out
    document = json.loads(report.read_text())
    assert document["findings"] and document["examples"] >= 25
    known = tmp_path / "known.json"
    known.write_text(json.dumps(document["known_file"]))
    code = cli_main([*args, "--known", str(known)])
    out = capsys.readouterr().out
    assert "KNOWN (seen in" in out
    assert code == (1 if "NEW DIVERGENCE" in out else 0)
    assert "NEW DIVERGENCE" not in out, out  # one defect, one signature: nothing new is left
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    assert cli_main([*args, "--known", str(bad)]) == 2
    assert "expected an object with a 'known' list" in capsys.readouterr().err


def test_flaky_target_gives_an_unconfirmed_finding_and_no_recording(tmp_path: Path) -> None:
    result = fuzz(_target(one_server_error=True), examples=30, seed=1, out_dir=tmp_path)
    assert [f.status for f in result.findings] == ["unconfirmed"]
    finding = result.findings[0]
    assert "500" in finding.message and "did not diverge again" in finding.reason
    assert finding.recording is None and result.recording is None
    assert list(tmp_path.glob("*.json")) == []


def test_server_computed_attributes_are_never_a_divergence(tmp_path: Path) -> None:
    # meta, name.formatted, groups and members' display/$ref/type all the server's own
    result = fuzz(_target(server_decorations=True), examples=40, seed=2, out_dir=tmp_path)
    assert not result.findings, [f.message for f in result.findings]
    assert result.requests > 200


def _exchange(
    template: Template, ref_body: dict[str, object], tgt_body: dict[str, object]
) -> Exchange:
    def answer(body: dict[str, object]) -> Response:
        return Response(200, {"Content-Type": "application/scim+json"}, json.dumps(body).encode())

    return Exchange(template, answer(ref_body), answer(tgt_body))


def test_compare_ignores_what_the_server_computes_and_names_what_differs() -> None:
    ref, tgt = Side(reference_transport(), "u"), Side(reference_transport(), "u")
    ref.ids, tgt.ids = {"u1": "r1"}, {"u1": "t1"}
    get = Template("get group", "GET", "/Groups/${id_g1}", check="resource")
    model = {"id": "a", "displayName": "G", "members": [{"value": "r1"}]}
    computed = {
        "id": "b",
        "displayName": "G",
        "meta": {"version": 'W/"9"', "location": "https://x/Groups/b", "created": "2001"},
        "members": [{"value": "t1", "display": "U", "type": "User", "$ref": "https://x/Users/t1"}],
    }
    compare(_exchange(get, model, computed), ref, tgt)  # no divergence
    user = Template("get user", "GET", "/Users/${id_u1}", check="resource")
    compare(
        _exchange(
            user,
            {"userName": "a", "name": {"givenName": "A"}},
            {
                "userName": "a",
                "displayName": "A default",
                "name": {"givenName": "A", "formatted": "A"},
                "groups": [{"value": "g"}],
            },
        ),
        ref,
        tgt,
    )
    with pytest.raises(Divergence) as caught:
        compare(
            _exchange(user, {"userName": "a", "title": "T"}, {"userName": "a", "active": False}),
            ref,
            tgt,
        )
    assert caught.value.signature == "GET /Users/{id} (get user) | active extra, title missing"


def test_concurrent_mode_catches_a_lost_update_with_its_interleaving(tmp_path: Path) -> None:
    result = fuzz(
        _target(lost_update=True), examples=3, seed=4, out_dir=tmp_path, clients=3, rounds=5
    )
    races = [f for f in result.findings if f.signature.startswith("concurrent ")]
    assert races, [f.signature for f in result.findings]
    finding = races[0]
    assert "no serial order" in finding.message and finding.status == "confirmed"
    assert len([line for line in finding.interleaving if line.startswith("client ")]) >= 3
    assert finding.recording is not None and finding.recording.suffix == ".scim-race"


@pytest.mark.parametrize("kind", ["memory", "sqlite", "postgres"])
def test_concurrent_mode_is_clean_on_scimcore(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    with make_store(kind, request) as store:
        service = ScimService(store, ServiceConfig(base_url=BASE_URL))
        result = fuzz(
            ServiceTransport(service, base_url=BASE_URL),
            examples=3,
            seed=6,
            out_dir=tmp_path,
            clients=3,
            rounds=10,
        )
    assert not result.findings, [(f.message, f.interleaving) for f in result.findings]
    assert result.examples >= 13


def test_finding_is_exported() -> None:
    assert Finding("s", "m", "confirmed").new
    assert not Finding("s", "m", "known").new


def test_refusing_an_idp_quirk_is_graded_interop_not_rfc(tmp_path: Path) -> None:
    quirks = QUIRKS - {"readd"}  # re-adding a member is RFC traffic, not a quirk
    target = StrictTarget(reference_transport(), refuse=quirks)
    result = fuzz(target, examples=40, steps=10, seed=3, out_dir=tmp_path)
    assert result.findings
    assert {f.axis for f in result.findings} == {"interop"}, [f.signature for f in result.findings]
    assert all("RFC-correct" in f.message for f in result.findings)


def test_a_deleted_user_left_in_its_groups_is_found_serially_and_not_blamed_on_a_race(
    tmp_path: Path,
) -> None:
    result = fuzz(
        _target(dangling_members=True),
        examples=60,
        seed=3,
        out_dir=tmp_path,
        clients=2,
        rounds=5,
    )
    signatures = [f.signature for f in result.findings]
    assert any("read back after user delete) | members" in s for s in signatures), signatures
    races = [f for f in result.findings if f.signature.startswith("concurrent ")]
    assert races and all(f.signature.endswith("also without concurrency") for f in races)
    assert all("Not a race" in f.message for f in races)


def test_shrinking_stops_at_its_cap_and_keeps_a_confirmed_finding(tmp_path: Path) -> None:
    capped = fuzz(
        _target(non_atomic_patch=True), examples=100, seed=2, out_dir=tmp_path / "a", max_shrinks=0
    )
    full = fuzz(_target(non_atomic_patch=True), examples=100, seed=2, out_dir=tmp_path / "b")
    assert capped.found and full.found
    # no replay past the cap (the final one hypothesis makes is the only one) ...
    assert capped.replays <= 1 < full.replays
    # ... and what was found before shrinking stopped is still confirmed and replayable
    assert capped.findings[0].status == "confirmed" and capped.recording is not None
    assert capped.steps > 0


def test_a_time_budget_leaves_the_concurrent_rounds_their_share(tmp_path: Path) -> None:
    result = fuzz(
        _target(),
        examples=10_000,
        seed=5,
        out_dir=tmp_path,
        time_budget=2.0,
        clients=2,
        rounds=3,
    )
    assert result.clients == 2
    # the sequential phase stopped at its share of the budget, so the rounds ran too
    assert 1 <= result.rounds <= 3
    assert result.examples < 10_000
    assert not result.findings
