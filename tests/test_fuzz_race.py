"""Race files: every concurrent finding is written as a scim-race/1 file that replays it."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conformance.cli import main as cli_main
from conformance.fuzz import (
    RaceFileError,
    RaceSetupError,
    fuzz,
    load_race,
    reference_transport,
    replay_race,
)
from conformance.fuzz._race import race_from_dict, race_schema
from conformance.transport import ServiceTransport
from scimcore.service import ScimRequest, ScimResponse, ScimService, ServiceConfig
from scimcore.store import MemoryStore, Query
from tests.fuzz_target import BASE_URL, BrokenService, Defects
from tests.test_conformance_pytest_plugin import GUARD
from tests.test_conformance_pytest_plugin import _run as run_pytester


class RacyCreate:
    """Checks userName uniqueness, pauses, then creates: two concurrent creates both pass the
    check (a double create). Correct one request at a time (the check is case-insensitive)."""

    def __init__(self) -> None:
        self.store = MemoryStore(unique={})
        self.inner = ScimService(self.store, ServiceConfig(base_url=BASE_URL))
        self.config = self.inner.config

    def handle(self, request: ScimRequest) -> ScimResponse:
        """Serve ``request``; a POST /Users checks, sleeps, then writes."""
        if request.method == "POST" and request.path.endswith("/Users"):
            name = str(json.loads(request.body).get("userName", "")).lower()
            with self.store.transaction(readonly=True) as tx:
                taken = any(
                    str(r.get("userName", "")).lower() == name
                    for r in tx.search("User", Query()).resources
                )
            if taken:
                body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"]}
                body |= {"status": "409", "scimType": "uniqueness", "detail": "userName taken"}
                return ScimResponse(409, {}, json.dumps(body).encode())
            time.sleep(0.05)  # the window: the other create checked meanwhile
        return self.inner.handle(request)


LOST_UPDATE = BrokenService(Defects(lost_update=True))
"""``--app tests.test_fuzz_race:LOST_UPDATE``: PATCH is an unlocked read-sleep-write."""


def _races(result: Any) -> list[Any]:
    return [f for f in result.findings if f.concurrent]


def test_a_lost_update_is_written_as_a_race_file_that_replays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    report = tmp_path / "report.json"
    app = "tests.test_fuzz_race:LOST_UPDATE"
    args = ["fuzz", "--app", app, "--examples", "1", "--steps", "3", "--seed", "4"]
    code = cli_main([*args, "--clients", "3", "--out", str(out), "--json", str(report)])
    printed = capsys.readouterr().out
    assert code == 1, printed
    files = sorted(out.glob("*.scim-race"))
    assert files, printed
    findings = json.loads(report.read_text())["findings"]
    races = [f for f in findings if f["kind"] == "race"]
    assert {f["recording"] for f in races} == {str(f) for f in files}
    assert "member-adds" in races[0]["signature"] and races[0]["status"] == "confirmed"
    assert f"replay it: scim-conformance fuzz --replay {files[0]}" in printed

    document = json.loads(files[0].read_text())
    jsonschema.validate(document, race_schema())  # the shipped schema, as a vendor would
    assert document["format"] == "scim-race/1" and document["clients"] == 3
    assert document["scenario"] == "member-adds"
    assert document["interleaving"][0].startswith("client ")
    assert "${id_g}" in document["scripts"][0][0]["path"]
    assert document["signature"] == races[0]["signature"]

    # reproduces on the broken target: exit 1, the attempt and the interleaving seen
    code = cli_main(["fuzz", "--replay", str(files[0]), "--app", app, "--repeat", "5"])
    printed = capsys.readouterr().out
    assert code == 1, printed
    assert re.search(r"reproduced on attempt [1-5] of 5", printed), printed
    assert "no serial order" in printed and "client 3 [" in printed
    # ... and not on a correct one: exit 0
    correct = "tests.fuzz_target:CORRECT"
    code = cli_main(["fuzz", "--replay", str(files[0]), "--app", correct, "--repeat", "3"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "did not reproduce in 3 attempts" in printed


def test_a_double_create_is_written_confirmed_and_replays_from_python(tmp_path: Path) -> None:
    target = ServiceTransport(RacyCreate(), base_url=BASE_URL)
    result = fuzz(target, examples=2, steps=4, seed=1, out_dir=tmp_path, clients=2, rounds=3)
    races = _races(result)
    assert [f.signature.split(" | ")[0] for f in races] == ["concurrent duplicate-create"], [
        f.signature for f in result.findings
    ]
    finding = races[0]
    assert finding.status == "confirmed" and finding.reason == ""
    assert finding.recording is not None and finding.recording.parent == tmp_path
    assert finding.steps == 2  # two racing creates
    race = load_race(finding.recording)
    assert race.signature == finding.signature and race.interleaving == finding.interleaving
    assert [op.creates for script in race.round.scripts for op in script] == ["d0", "d1"]

    again = replay_race(finding.recording, target, attempts=5)
    assert again.reproduced and 1 <= again.attempt <= 5, again.summary
    assert "totalResults 2" in "\n".join(again.interleaving)
    fixed = replay_race(race, reference_transport(), attempts=3)
    assert not fixed.reproduced and fixed.summary == "did not reproduce in 3 attempts"


def test_a_correct_server_gives_no_race_file(tmp_path: Path) -> None:
    target = ServiceTransport(BrokenService(Defects()), base_url=BASE_URL)
    result = fuzz(target, examples=1, steps=3, seed=2, out_dir=tmp_path, clients=2, rounds=5)
    assert not result.findings
    assert list(tmp_path.iterdir()) == []


def _op() -> dict[str, Any]:
    return dict(_race_doc()["scripts"][0][0])


def _race_doc() -> dict[str, Any]:
    user = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]}
    user["userName"] = "${unique}.a@example.com"
    patch = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}
    patch["Operations"] = [{"op": "replace", "path": "title", "value": "T"}]
    op = {"label": "patch", "method": "PATCH", "path": "/Users/${id_u1}", "body": patch}
    return {
        "format": "scim-race/1",
        "name": "fuzz/hand-made",
        "scenario": "attribute-patches",
        "clients": 2,
        "setup": [{"label": "set up u1", "method": "POST", "path": "/Users", "body": user}],
        "scripts": [[op], [op]],
        "final": [{"label": "final", "method": "GET", "path": "/Users/${id_u1}"}],
    }


def _with(**changes: Any) -> dict[str, Any]:
    document = _race_doc()
    document["setup"][0]["handle"] = "u1"
    document.update(changes)
    return document


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("{not json", "not valid JSON: Expecting property name"),
        ({**_with(), "format": "scim-recording/1"}, "$.format: unsupported format"),
        ({k: v for k, v in _with().items() if k != "scripts"}, "$: 'scripts' is a required"),
        (_with(clients=3), "$.clients: clients is 3 but there are 2 scripts"),
        (_race_doc(), "$.scripts[0][0]: ${id_u1} is used, but no earlier setup request"),
        (
            _with(final=[{"label": "x", "method": "FETCH", "path": "/Users"}]),
            "$.final[0].method: 'FETCH' is not one of",
        ),
        (_with(final=[{"label": "x", "method": "GET", "path": "/U/${who}"}]), "${who}"),
        (
            _with(
                scripts=[[{**_op(), "creates": "d"}, {**_op(), "path": "/Users/${id_d}"}], [_op()]]
            ),
            "$.scripts[0][1]: ${id_d} is used, but no earlier setup request",
        ),
    ],
)
def test_a_malformed_race_file_is_one_line_and_exit_2(
    document: Any, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "bad.scim-race"
    file.write_text(document if isinstance(document, str) else json.dumps(document))
    with pytest.raises(RaceFileError) as caught:
        load_race(file)
    assert expected in str(caught.value)
    code = cli_main(["fuzz", "--replay", str(file), "--app", "tests.fuzz_target:CORRECT"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert captured.err.startswith(f"scim-conformance fuzz: --replay {file}: $")
    assert expected in captured.err


def test_a_hand_written_race_file_replays_and_a_refused_setup_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "ok.scim-race"
    file.write_text(json.dumps(_with()))
    assert cli_main(["fuzz", "--replay", str(file), "--app", "tests.fuzz_target:CORRECT"]) == 0
    assert "did not reproduce in 20 attempts" in capsys.readouterr().out

    refused = _with()
    refused["setup"][0]["path"] = "/Nowhere"
    file.write_text(json.dumps(refused))
    with pytest.raises(RaceSetupError, match="POST /Nowhere"):
        replay_race(file, reference_transport(), attempts=1)
    assert cli_main(["fuzz", "--replay", str(file), "--app", "tests.fuzz_target:CORRECT"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "answered 404, so the race cannot run" in err
    assert cli_main(["fuzz", "--replay", str(file), "--app", "x:y", "--repeat", "0"]) == 2


def test_the_pytest_fixture_names_the_race_file(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        GUARD
        + "\nfrom tests.fuzz_target import BrokenService, Defects\n\n"
        + "@pytest.fixture(scope='session')\n"
        + "def scim_app():\n"
        + "    return BrokenService(Defects(lost_update=True))\n\n"
        + "@pytest.fixture(scope='session')\n"
        + "def scim_base_url():\n"
        + "    return 'http://broken.test/scim/v2'\n"
    )
    pytester.makepyfile(
        "def test_fuzz(scim_fuzz):\n    scim_fuzz(examples=1, seed=4, clients=3, rounds=1)\n"
    )
    result = run_pytester(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*[[]confirmed[]] concurrent member-adds | 3 clients*",
            "*race file (scim-conformance fuzz --replay): *fuzz-divergence-1.scim-race",
        ]
    )


def test_the_race_file_shown_in_the_docs_loads() -> None:
    page = (Path(__file__).parent.parent / "docs" / "fuzzing.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```json\n(.*?)```", page, re.S)
    races = [json.loads(b) for b in blocks if '"scim-race/1"' in b]
    assert len(races) == 1
    race = race_from_dict(races[0], source="docs/fuzzing.md")
    assert race.clients == 2 and [len(s) for s in race.round.scripts] == [1, 1]
