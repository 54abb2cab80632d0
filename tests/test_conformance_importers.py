"""Importers: small Runscope and Postman exports of our own, in the vendors' shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance import load_dict
from conformance.cli import main
from conformance.importers import import_okta_runscope, import_postman
from conformance.runner import Runner
from conformance.transport import AppTransport
from tests.conformance_target import TOKEN, TargetServer

RUNSCOPE: dict[str, Any] = {
    "name": "Okta SCIM 2.0 CRUD Test",
    "description": "Create, read and deactivate",
    "steps": [
        {
            "step_type": "request",
            "method": "GET",
            "url": "{{SCIMBaseURL}}/ServiceProviderConfig",
            "note": "Optional Test: discovery",
            "headers": {"Authorization": "{{auth}}", "Accept": ["application/scim+json"]},
            "assertions": [
                {"source": "response_status", "comparison": "equal_number", "value": "200"},
                {"source": "response_json", "comparison": "not_empty", "property": "patch"},
                {
                    "source": "response_json",
                    "comparison": "not_empty",
                    "property": "patch.supported",
                },
                {"source": "response_time", "comparison": "is_less_than", "value": "600"},
            ],
            "variables": [],
        },
        {"step_type": "pause", "duration": 5},
        {
            "step_type": "request",
            "method": "POST",
            "url": "{{SCIMBaseURL}}/Users",
            "note": "Required Test: Create Okta user",
            "headers": {"Authorization": "{{auth}}"},
            "body": '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],'
            '"userName":"{{randomUsername}}","name":{"givenName":"{{randomGivenName}}"},'
            '"active":true}',
            "assertions": [
                {"source": "response_status", "comparison": "equal_number", "value": "201"},
                {
                    "source": "response_json",
                    "comparison": "equal",
                    "property": "active",
                    "value": "true",
                },
                {
                    "source": "response_json",
                    "comparison": "equal",
                    "property": "userName",
                    "value": "{{randomUsername}}",
                },
                {
                    "source": "response_json",
                    "comparison": "contains",
                    "property": "schemas",
                    "value": "urn:ietf:params:scim:schemas:core:2.0:User",
                },
                {
                    "source": "response_json",
                    "comparison": "does_not_contain",
                    "property": "password",
                    "value": "x",
                },
            ],
            "variables": [{"source": "response_json", "property": "id", "name": "idUserOne"}],
        },
        {
            "step_type": "request",
            "method": "GET",
            "url": '{{SCIMBaseURL}}/Users?filter=userName eq "{{randomUsername}}"',
            "note": "Required Test: find the user",
            "headers": {},
            "assertions": [
                {"source": "response_status", "comparison": "equal_number", "value": "200"},
                {
                    "source": "response_json",
                    "comparison": "equal_number",
                    "property": "totalResults",
                    "value": "1",
                },
                {
                    "source": "response_json",
                    "comparison": "equal",
                    "property": "Resources[0].id",
                    "value": "{{idUserOne}}",
                },
                {"source": "response_json", "comparison": "is_a_number", "property": "startIndex"},
            ],
            "variables": [],
        },
        {
            "step_type": "request",
            "method": "PATCH",
            "url": "{{SCIMBaseURL}}/Users/{{idUserOne}}",
            "note": "Required Test: deactivate",
            "headers": {},
            "body": '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],'
            '"Operations":[{"op":"replace","value":{"active":false}}]}',
            "assertions": [
                {"source": "response_status", "comparison": "equal_number", "value": "200"},
                {
                    "source": "response_json",
                    "comparison": "equal",
                    "property": "active",
                    "value": "false",
                },
            ],
            "variables": [],
        },
    ],
}

POSTMAN: dict[str, Any] = {
    "info": {
        "name": "SCIM Tests",
        "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
    },
    "item": [
        {
            "name": "Get Token",
            "item": [
                {
                    "name": "Get Token",
                    "request": {
                        "method": "GET",
                        "url": {"raw": "{{Protocol}}://{{Server}}{{Port}}/{{Api}}/Token"},
                    },
                }
            ],
        },
        {
            "name": "User tests",
            "item": [
                {
                    "name": "Post User",
                    "event": [
                        {
                            "listen": "test",
                            "script": {
                                "exec": [
                                    'pm.test("Status code is 201", function () {',
                                    "    pm.response.to.have.status(201);",
                                    "});",
                                    "var jsonData = pm.response.json();",
                                    'pm.environment.set("id1", jsonData.id);',
                                ]
                            },
                        }
                    ],
                    "request": {
                        "auth": {"type": "bearer"},
                        "method": "POST",
                        "header": [{"key": "Content-Type", "value": "application/json"}],
                        "body": {
                            "mode": "raw",
                            "raw": '{"userName": "UserName{{$randomInt}}", "active": true,\r\n'
                            '"externalId": "{{$guid}}", "schemas": '
                            '["urn:ietf:params:scim:schemas:core:2.0:User"]}',
                        },
                        "url": {
                            "raw": "{{Protocol}}://{{Server}}{{Port}}/{{Api}}/Users",
                            "path": ["{{Api}}", "Users"],
                        },
                    },
                },
                {
                    "name": "Get user1",
                    "event": [
                        {
                            "listen": "test",
                            "script": {
                                "exec": [
                                    'pm.test("Status code is 200", function () {',
                                    "    pm.response.to.have.status(200);",
                                    "});",
                                    'pm.test("Id is requested", function () {',
                                    "    var jsonData = pm.response.json();",
                                    '    var id = pm.environment.get("id1");',
                                    "    pm.expect(jsonData.id).to.eql(id);",
                                    "    pm.expect(jsonData.active).to.eql(true);",
                                    "});",
                                ]
                            },
                        }
                    ],
                    "request": {
                        "method": "GET",
                        "url": {"raw": "{{Protocol}}://{{Server}}{{Port}}/{{Api}}/Users/{{id1}}"},
                    },
                },
                {
                    "name": "Delete user1",
                    "event": [
                        {
                            "listen": "test",
                            "script": {
                                "exec": ["pm.expect(pm.response.code).to.be.oneOf([200, 204]);"]
                            },
                        }
                    ],
                    "request": {
                        "method": "DELETE",
                        "url": "{{Protocol}}://{{Server}}{{Port}}/{{Api}}/Users/{{id1}}",
                    },
                },
            ],
        },
    ],
}


def test_runscope_import_is_a_valid_recording() -> None:
    doc = import_okta_runscope(RUNSCOPE)
    rec = load_dict(doc)
    assert rec.name == "okta/runscope-okta-scim-2-0-crud-test"
    assert [s.name for s in rec.steps] == [
        "discovery",
        "Create Okta user",
        "find the user",
        "deactivate",
    ]
    assert rec.steps[0].level == "SHOULD" and rec.steps[1].level == "MUST"
    assert rec.steps[0].expect.json == {"patch": {"supported": {"$absent": False}}}
    create = rec.steps[1]
    assert create.request.json["userName"] == "${randomUsername}"
    assert create.expect.json == {
        "active": True,
        "userName": "${randomUsername}",
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    }
    assert create.capture == {"idUserOne": "/id"}
    assert "password does_not_contain" in (create.description or "")
    find = rec.steps[2]
    assert find.request.query == {"filter": 'userName eq "${randomUsername}"'}
    assert find.expect.json == {
        "totalResults": 1,
        "Resources": [{"id": "${idUserOne}"}],
        "startIndex": {"$type": "number"},
    }
    assert "Authorization" not in create.request.headers
    assert rec.variables["randomUsername"] == "runscope.${unique}@example.com"


def test_runscope_import_replays_against_a_correct_server() -> None:
    rec = load_dict(import_okta_runscope(RUNSCOPE))
    result = Runner(AppTransport(TargetServer()), token=TOKEN).run([rec])
    assert result.exit_code == 0, [s.summary for s in result.results[0].steps]


def test_postman_import() -> None:
    doc = import_postman(POSTMAN)
    rec = load_dict(doc)
    assert rec.idp == "entra"
    assert [s.name for s in rec.steps] == [
        "User tests / Post User",
        "User tests / Get user1",
        "User tests / Delete user1",
    ]
    assert "Get Token" in rec.description
    post = rec.steps[0]
    assert post.request.path == "/Users"
    assert post.request.json["externalId"] == "${uuid}"
    assert post.request.json["userName"] == "UserName${unique}"
    assert post.capture == {"id1": "/id"}
    assert post.expect.status == (201,)
    get = rec.steps[1]
    assert get.request.path == "/Users/${id1}"
    assert get.expect.json == {"id": "${id1}", "active": True}
    assert rec.steps[2].expect.status == (200, 204)
    result = Runner(AppTransport(TargetServer()), token=TOKEN).run([rec])
    assert result.exit_code == 0, [s.summary for s in result.results[0].steps]


def test_import_command(tmp_path: Path, capsys: Any) -> None:
    source = tmp_path / "runscope.json"
    source.write_text(json.dumps(RUNSCOPE), encoding="utf-8")
    out = tmp_path / "okta-crud.json"
    assert (
        main(["import", "okta-runscope", str(source), "-o", str(out), "--name", "okta/crud"]) == 0
    )
    assert load_dict(json.loads(out.read_text(encoding="utf-8"))).name == "okta/crud"
    postman = tmp_path / "postman.json"
    postman.write_text(json.dumps(POSTMAN), encoding="utf-8")
    capsys.readouterr()
    assert main(["import", "postman", str(postman)]) == 0
    assert json.loads(capsys.readouterr().out)["format"] == "scim-recording/1"
    assert main(["import", "postman", str(tmp_path / "missing.json")]) == 2
