"""Reporters: console, JSON, JUnit XML and the self-contained HTML report; tokens never appear."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from conformance import load_recordings
from conformance.redact import Redactor
from conformance.reporters import (
    ConsoleReporter,
    fix_list,
    html_report,
    junit_xml,
    run_to_dict,
    write_html,
    write_json,
    write_junit,
)
from conformance.results import RunResult
from conformance.runner import Runner
from conformance.transport import AppTransport
from tests.conformance_target import TOKEN, Breakage, TargetServer

DATA = Path(__file__).parent / "conformance_data"


@pytest.fixture(scope="module")
def broken_run() -> tuple[RunResult, str]:
    recordings = load_recordings([DATA])
    server = TargetServer(Breakage(return_password=True, remove_all_members=True))
    out = io.StringIO()
    console = ConsoleReporter(out, redactor=Redactor([TOKEN]))
    result = Runner(AppTransport(server), token=TOKEN).run(recordings, on_event=console.handle)
    return result, out.getvalue()


def test_console_shows_progress_failures_and_summary(broken_run: tuple[RunResult, str]) -> None:
    text = broken_run[1]
    assert "recording(s) against WSGI app" in text
    assert re.search(r"testidp/user-lifecycle\s+F\.FF\.\. FAILED", text)
    assert "FAILED testidp/user-lifecycle #0 create" in text
    assert "✗ $.password: expected absent" in text
    assert "request:  POST /Users" in text
    assert "response: 201" in text
    assert "Authorization: Bearer ***" in text
    assert "fix first" in text and "blocks Entra group membership removal" in text
    assert "(exit 1)" in text
    assert TOKEN not in text


def test_fix_list_ranks_idp_breakage_first(broken_run: tuple[RunResult, str]) -> None:
    fixes = fix_list(broken_run[0])
    assert fixes[0]["weight"] >= fixes[-1]["weight"]
    problems = [f["problem"] for f in fixes]
    assert any(p.startswith("POST /Users → $.password") for p in problems)
    member = next(f for f in fixes if "members" in f["problem"])
    assert member["impacts"] == ["blocks Entra group membership removal"]


def test_json_report(tmp_path: Path, broken_run: tuple[RunResult, str]) -> None:
    path = write_json(broken_run[0], tmp_path / "r.json", redactor=Redactor([TOKEN]))
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    assert data["format"] == "scim-conformance-report/1"
    assert data["exit_code"] == 1
    assert data["idps"]["testidp"]["failed"] == 2
    rec = next(r for r in data["recordings"] if r["name"] == "testidp/user-lifecycle")
    step = rec["steps"][0]
    assert step["outcome"] == "failed"
    assert step["mismatches"][0]["path"] == "$.password"
    assert step["request"]["headers"]["Authorization"] == "Bearer ***"
    assert TOKEN not in text


def test_junit_xml(tmp_path: Path, broken_run: tuple[RunResult, str]) -> None:
    path = write_junit(broken_run[0], tmp_path / "r.xml", redactor=Redactor([TOKEN]))
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    assert root.get("failures") == "2"
    cases = {c.get("name"): c for c in root.iter("testcase")}
    failure = cases["testidp/user-lifecycle"].find("failure")
    assert failure is not None
    assert failure.get("message", "").startswith("#0 create: $.password: expected absent")
    assert cases["testidp/patch-atomic"].find("failure") is None
    assert TOKEN not in path.read_text(encoding="utf-8")
    assert junit_xml(broken_run[0]).startswith("<?xml")


def test_html_is_self_contained_and_redacted(
    tmp_path: Path, broken_run: tuple[RunResult, str]
) -> None:
    path = write_html(broken_run[0], tmp_path / "r.html", redactor=Redactor([TOKEN]))
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "<link" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", page)
    assert "Summary per identity provider" in page
    assert "What to fix first" in page
    assert "blocks Entra group membership removal" in page
    assert page.count("<details") >= 10
    assert "Bearer ***" in page
    assert TOKEN not in page


def test_html_escapes_what_the_server_sent() -> None:
    from conformance import load_dict

    rec = load_dict(
        {
            "format": "scim-recording/1",
            "name": "t/xss",
            "idp": "t",
            "steps": [
                {
                    "name": "<b>step</b>",
                    "request": {"method": "GET", "path": "/nowhere<script>"},
                    "expect": {"status": 200},
                }
            ],
        }
    )
    result = Runner(AppTransport(TargetServer()), token=TOKEN).run([rec])
    page = html_report(result)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<b>step</b>" not in page


def test_token_in_a_response_body_is_redacted() -> None:
    from conformance import load_dict

    class Echo:
        def __call__(self, environ: dict[str, Any], start: Any) -> list[bytes]:
            start("200 OK", [("Content-Type", "application/json")])
            return [json.dumps({"echo": environ.get("HTTP_AUTHORIZATION")}).encode()]

    rec = load_dict(
        {
            "format": "scim-recording/1",
            "name": "t/echo",
            "idp": "t",
            "steps": [
                {
                    "name": "echo",
                    "request": {"method": "GET", "path": "/x"},
                    "expect": {"json": {"echo": "nothing"}},
                }
            ],
        }
    )
    result = Runner(AppTransport(Echo()), token=TOKEN).run([rec])
    everything = json.dumps(run_to_dict(result)) + html_report(result) + junit_xml(result)
    out = io.StringIO()
    ConsoleReporter(out).summary(result)
    everything += out.getvalue()
    assert TOKEN not in everything
