"""The scim-recording/1 loader: schema validation, errors naming file, step and JSON path."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conformance import RecordingError, load_dict, load_file, recording_schema
from conformance.loader import collect_recordings, load_recordings, select

GOOD: dict[str, Any] = {
    "format": "scim-recording/1",
    "name": "okta/user-lifecycle",
    "idp": "okta",
    "title": "Okta creates a user",
    "provenance": "documented",
    "source": "Okta SCIM 2.0 guide",
    "dialect": "okta-oin",
    "requires": ["patch", "filter", "Groups"],
    "variables": {"userName": "okta.${unique}@example.com"},
    "steps": [
        {
            "name": "create",
            "level": "MUST",
            "rfc": "RFC7644 3.3",
            "impact": "blocks Okta provisioning",
            "request": {
                "method": "POST",
                "path": "/Users",
                "query": {},
                "headers": {"User-Agent": "Okta SCIM Client 1.0.0"},
                "json": {"userName": "${userName}"},
            },
            "expect": {
                "status": 201,
                "headers": {"Content-Type": {"$regex": "^application/scim\\+json"}},
                "json": {"userName": "${userName}", "password": {"$absent": True}},
            },
            "capture": {"userId": "/id", "etag": "header:ETag"},
        },
        {
            "name": "read",
            "request": {"method": "GET", "path": "/Users/${userId}"},
            "expect": {"status": [200, 304]},
        },
    ],
}


def _bad(mutate: Any) -> RecordingError:
    doc = copy.deepcopy(GOOD)
    mutate(doc)
    with pytest.raises(RecordingError) as info:
        load_dict(doc, source="x.json")
    return info.value


def test_the_design_example_loads() -> None:
    rec = load_dict(GOOD)
    assert rec.name == "okta/user-lifecycle"
    assert rec.is_idp
    assert rec.steps[0].expect.status == (201,)
    assert rec.steps[1].expect.status == (200, 304)
    assert rec.steps[0].capture == {"userId": "/id", "etag": "header:ETag"}
    assert rec.steps[0].level == "MUST" and rec.steps[1].level == "MUST"
    assert rec.steps[0].request.has_json and not rec.steps[1].request.has_json
    assert rec.requires == ("patch", "filter", "Groups")


def test_the_shipped_schema_is_a_valid_json_schema() -> None:
    schema = recording_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(GOOD, schema)


def test_rfc_recordings_are_not_idp_traffic() -> None:
    doc = copy.deepcopy(GOOD)
    doc["idp"] = "rfc"
    assert not load_dict(doc).is_idp


def test_wrong_format_is_named() -> None:
    err = _bad(lambda d: d.update(format="scim-recording/2"))
    assert err.json_path == "$.format"
    assert "scim-recording/2" in str(err) and "x.json" in str(err)


def test_missing_format_says_not_a_recording() -> None:
    err = _bad(lambda d: d.pop("format"))
    assert "not a recording" in err.message


def test_schema_error_names_file_step_and_path() -> None:
    err = _bad(lambda d: d["steps"][1]["expect"].update(status="200"))
    assert err.source == "x.json"
    assert err.json_path == "$.steps[1].expect.status"
    assert err.step == "#1 read"
    assert str(err).startswith("x.json: $.steps[1].expect.status (step #1 read):")


def test_unknown_key_is_an_error() -> None:
    err = _bad(lambda d: d["steps"][0]["request"].update(jsno={}))
    assert err.json_path == "$.steps[0].request"
    assert "jsno" in err.message


def test_bad_method_level_and_capture() -> None:
    assert _bad(lambda d: d["steps"][0]["request"].update(method="FETCH")).json_path == (
        "$.steps[0].request.method"
    )
    assert _bad(lambda d: d["steps"][0].update(level="MUSTN'T")).json_path == "$.steps[0].level"
    err = _bad(lambda d: d["steps"][0]["capture"].update(x="id"))
    assert err.json_path == "$.steps[0].capture.x"


def test_json_and_body_together_are_refused() -> None:
    err = _bad(lambda d: d["steps"][0]["request"].update(body="{}"))
    assert err.json_path == "$.steps[0].request"


def test_unknown_requirement_is_refused() -> None:
    err = _bad(lambda d: d.update(requires=["pagination"]))
    assert err.json_path == "$.requires[0]"


def test_undefined_variable_names_step_and_path() -> None:
    err = _bad(lambda d: d["steps"][0]["request"]["json"].update(displayName="${who}"))
    assert err.json_path == "$.steps[0].request.json.displayName"
    assert err.step == "#0 create"
    assert "${who}" in err.message


def test_capture_is_only_visible_to_later_steps() -> None:
    err = _bad(lambda d: d["steps"][0]["request"].update(path="/Users/${userId}"))
    assert err.json_path == "$.steps[0].request.path"


def test_matcher_mistakes_are_load_errors() -> None:
    err = _bad(lambda d: d["steps"][0]["expect"]["json"].update(active={"$type": "bool"}))
    assert err.json_path == "$.steps[0].expect.json.active['$type']"
    err = _bad(lambda d: d["steps"][0]["expect"]["json"].update(name={"$regex": "(", "x": 1}))
    assert "mixes matcher keys" in err.message
    err = _bad(lambda d: d["steps"][0]["expect"]["json"].update(emails=[{"$len": -1}]))
    assert err.json_path == "$.steps[0].expect.json.emails[0]['$len']"
    err = _bad(lambda d: d["steps"][0]["expect"]["headers"].update(ETag={"$regex": "(["}))
    assert err.json_path == "$.steps[0].expect.headers.ETag['$regex']"


def test_dollar_ref_is_an_attribute_not_a_matcher() -> None:
    doc = copy.deepcopy(GOOD)
    doc["steps"][0]["expect"]["json"]["members"] = [{"$ref": "https://x/Users/1"}]
    load_dict(doc)


def test_files_bad_json_and_missing(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": ', encoding="utf-8")
    with pytest.raises(RecordingError, match=r"broken\.json: \$: not valid JSON"):
        load_file(broken)
    with pytest.raises(RecordingError, match="cannot read"):
        load_file(tmp_path / "nope.json")


def test_collect_keeps_going_and_flags_duplicate_names(tmp_path: Path) -> None:
    (tmp_path / "okta").mkdir()
    (tmp_path / "okta" / "a.json").write_text(json.dumps(GOOD), encoding="utf-8")
    (tmp_path / "okta" / "b.json").write_text(json.dumps(GOOD), encoding="utf-8")
    (tmp_path / "c.json").write_text("[]", encoding="utf-8")
    recordings, errors = collect_recordings([tmp_path])
    assert [r.name for r in recordings] == ["okta/user-lifecycle"]
    assert len(errors) == 2
    assert any("already used" in e.message for e in errors)
    with pytest.raises(RecordingError):
        load_recordings([tmp_path])


def test_select_by_idp_and_keyword() -> None:
    okta = load_dict(GOOD)
    other = copy.deepcopy(GOOD)
    other.update(name="jumpcloud/groups", idp="jumpcloud", title="Group push", tags=["groups"])
    other.pop("dialect")
    jc = load_dict(other)
    assert select([okta, jc], idps=["OKTA"]) == [okta]
    assert select([okta, jc], keyword="group") == [jc]
    assert select([okta, jc], keyword="not group") == [okta]
    assert select([okta, jc], keyword="lifecycle or push") == [okta, jc]
    assert select([okta, jc], keyword="okta and push") == []
