"""The scim-conformance command line: targets, selection, reports and exit codes 0/1/2."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from conformance.cli import main
from tests.conformance_target import TOKEN, TargetServer

DATA = Path(__file__).parent / "conformance_data"


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def live_url() -> Iterator[str]:
    server: WSGIServer = make_server("127.0.0.1", 0, TargetServer(), handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/scim/v2"
    finally:
        server.shutdown()
        server.server_close()


def test_run_app_passes(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "run",
            "--app",
            "tests.conformance_target:app",
            "--token",
            TOKEN,
            "--recordings",
            str(DATA),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "4 recording(s) against WSGI app" in out
    assert "(exit 0)" in out


def test_run_app_fails_with_exit_1_and_writes_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCIM_CONFORMANCE_TOKEN", TOKEN)
    args = ["run", "--app", "tests.conformance_target:app_200_on_create"]
    args += ["--recordings", str(DATA), "--idp", "testidp", "-k", "lifecycle or atomic"]
    args += ["--json", str(tmp_path / "r.json"), "--junit", str(tmp_path / "r.xml")]
    args += ["--html", str(tmp_path / "r.html")]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "status: expected status 201, got 200" in out
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert sorted(r["name"] for r in data["recordings"]) == [
        "testidp/patch-atomic",
        "testidp/user-lifecycle",
    ]
    assert (tmp_path / "r.xml").read_text(encoding="utf-8").startswith("<?xml")
    assert "<!DOCTYPE html>" in (tmp_path / "r.html").read_text(encoding="utf-8")
    for name in ("r.json", "r.xml", "r.html"):
        assert TOKEN not in (tmp_path / name).read_text(encoding="utf-8")
    assert TOKEN not in out


def test_run_url_over_http(live_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "--url", live_url, "--token", TOKEN, "--recordings", str(DATA), "-q"])
    assert code == 0, capsys.readouterr().out


def test_wrong_token_is_one_line_and_exit_2(
    live_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["run", "--url", live_url, "--token", "nope", "--recordings", str(DATA)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert "token was refused" in captured.err and "401" in captured.err
    assert "nope" not in captured.err


def test_missing_token_is_one_line_and_exit_2(
    live_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SCIM_CONFORMANCE_TOKEN", raising=False)
    assert main(["run", "--url", live_url, "--recordings", str(DATA)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert "wants a token" in captured.err


def test_unreachable_target_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["run", "--url", "http://127.0.0.1:9/scim/v2", "--token", "t", "--timeout", "2"]
    code = main([*args, "--recordings", str(DATA)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert "cannot reach http://127.0.0.1:9/scim/v2" in captured.err


def test_not_a_scim_base_url_is_exit_2(live_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    wrong = live_url.removesuffix("/scim/v2") + "/nothing/here"
    assert main(["run", "--url", wrong, "--token", TOKEN, "--recordings", str(DATA)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "no SCIM service at" in captured.err


def test_fuzz_wrong_token_is_one_line_and_no_recording(
    live_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["fuzz", "--url", live_url, "--token", "nope", "--examples", "3", "--seed", "1"]
    assert main([*args, "--out", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert "DIVERGENCE" not in captured.out + captured.err
    assert captured.err.count("\n") == 1 and "token was refused" in captured.err
    assert list(tmp_path.iterdir()) == []


def test_fuzz_unreachable_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["fuzz", "--url", "http://127.0.0.1:9/scim/v2", "--token", "t", "--examples", "3"]
    assert main([*args, "--out", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert "DIVERGENCE" not in captured.out and "cannot reach" in captured.err
    assert captured.err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--url", "ftp://x", "--token", "t"],
        ["run", "--url", "http://x", "--app", "m:a"],
        ["run", "--app", "nomodule_here:app"],
        ["run", "--app", "tests.conformance_target"],
        ["run", "--app", "tests.conformance_target:missing"],
        ["run", "--recordings", "/does/not/exist"],
        ["run", "--app", "tests.conformance_target:app", "--recordings", str(DATA), "-k", "zzz"],
        ["bogus"],
        [],
    ],
)
def test_usage_errors_are_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2


def test_bad_recordings_are_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.json").write_text('{"format": "scim-recording/1", "name": "x"}')
    args = ["run", "--app", "tests.conformance_target:app", "--token", TOKEN]
    assert main([*args, "--recordings", str(tmp_path), str(DATA)]) == 2
    out = capsys.readouterr().out
    assert "bad.json" in out and "ERROR" in out


def test_validate_and_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(DATA)]) == 0
    assert "4 valid, 0 invalid" in capsys.readouterr().out
    (tmp_path / "bad.json").write_text("{")
    assert main(["validate", str(tmp_path)]) == 2
    assert "INVALID" in capsys.readouterr().out
    assert main(["list", "--recordings", str(DATA), "--idp", "rfc"]) == 0
    assert "rfc/patch-replace" in capsys.readouterr().out


def test_bundled_recordings_are_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    assert "okta/" in capsys.readouterr().out


def test_help_is_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert main(["run", "--help"]) == 0
    assert "--ignore-capabilities" in capsys.readouterr().out
