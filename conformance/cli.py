"""The ``scim-conformance`` command line: run, list, validate, import, coverage.

Exit status: 0 when everything that ran passed, 1 when a check failed, 2 for a usage or setup
error (bad arguments, unreadable recordings, an unreachable target or a refused token: the
preflight checks both before anything is replayed, and says so in one line).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from conformance import __version__
from conformance.errors import ConformanceError, RecordingError
from conformance.fuzz._cli import add_fuzz_parser

if TYPE_CHECKING:
    from conformance.transport import Transport

# The commands import what they run (the loader, the runner, httpx's transports) when they run,
# so that ``--help`` and ``--version`` answer at once.

__all__ = ["build_parser", "main"]

TOKEN_ENV = "SCIM_CONFORMANCE_TOKEN"


class _UsageError(Exception):
    """Bad command-line input: exit 2 with the message."""


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser for ``scim-conformance``."""
    parser = argparse.ArgumentParser(
        prog="scim-conformance",
        description="Replay recorded IdP SCIM traffic against a SCIM endpoint",
    )
    parser.add_argument("--version", action="version", version=f"scim-conformance {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_run(sub)
    _add_list(sub)
    _add_validate(sub)
    _add_import(sub)
    _add_coverage(sub)
    add_fuzz_parser(sub)
    return parser


def _add_selection(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--recordings",
        nargs="+",
        metavar="PATH",
        help="recording files or directories (default: the bundled recordings)",
    )
    p.add_argument(
        "--idp",
        type=_csv,
        metavar="IDP[,IDP…]",
        help="only these IdPs (okta, jumpcloud, miniorange, entra, onelogin; rfc = RFC suite)",
    )
    p.add_argument("-k", dest="keyword", metavar="EXPR", help="only recordings matching EXPR")


def _add_run(sub: Any) -> None:
    p = sub.add_parser(
        "run",
        help="replay recordings against a SCIM endpoint",
        description="Replay recordings. Without --url or --app, scimcore's reference server is "
        "started in process on a temporary SQLite database and everything bundled is replayed.",
    )
    target = p.add_mutually_exclusive_group()
    target.add_argument("--url", help="the SCIM base URL, e.g. https://app.example.com/scim/v2")
    target.add_argument("--app", metavar="MODULE:ATTR", help="an ASGI or WSGI app, in process")
    p.add_argument(
        "--token",
        help=f"the bearer token (or set {TOKEN_ENV}, which keeps it out of the process list)",
    )
    p.add_argument(
        "--base-url",
        default="http://testserver/scim/v2",
        help="where --app serves SCIM (default %(default)s)",
    )
    p.add_argument("--db", help="database of the reference server (default: a temporary SQLite)")
    _add_selection(p)
    p.add_argument("--json", metavar="FILE", help="write a JSON report")
    p.add_argument("--junit", metavar="FILE", help="write a JUnit XML report")
    p.add_argument("--html", metavar="FILE", help="write a self-contained HTML report")
    p.add_argument(
        "--ignore-capabilities",
        action="store_true",
        help="grade RFC-suite recordings fully even when ServiceProviderConfig disclaims what "
        "they need (without it they run as warnings; IdP recordings are always graded fully: "
        "IdPs ignore ServiceProviderConfig)",
    )
    p.add_argument(
        "--schema-checks",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="generate checks from the target's own /Schemas and /ResourceTypes for every "
        "declared attribute (default: on when the bundled RFC suite is selected)",
    )
    p.add_argument("--no-cleanup", action="store_true", help="keep what the sequences created")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per request (HTTP)")
    p.add_argument("--insecure", action="store_true", help="do not verify TLS certificates")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress, only the summary")
    p.set_defaults(handler=lambda args: _cmd_run(args, sys.stdout))


def _add_list(sub: Any) -> None:
    p = sub.add_parser("list", help="list the recordings that would run")
    _add_selection(p)
    p.set_defaults(handler=lambda args: _cmd_list(args, sys.stdout))


def _add_validate(sub: Any) -> None:
    p = sub.add_parser("validate", help="check recording files against scim-recording/1")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.set_defaults(handler=lambda args: _cmd_validate(args, sys.stdout))


def _add_import(sub: Any) -> None:
    p = sub.add_parser("import", help="convert another suite's tests into scim-recording/1")
    p.add_argument("kind", choices=["okta-runscope", "postman"])
    p.add_argument("file", metavar="FILE")
    p.add_argument("-o", "--out", metavar="FILE", help="output file (default: stdout)")
    p.add_argument("--name", help="the recording's name (default: from the input)")
    p.set_defaults(handler=lambda args: _cmd_import(args, sys.stdout))


def _add_coverage(sub: Any) -> None:
    p = sub.add_parser(
        "coverage",
        help="which RFC 7643/7644 requirements the suite checks",
        description="The RFC 7643/7644 requirement catalogue: per RFC and level, how many "
        "requirements the bundled recordings and the schema-driven checks cover, in part or "
        "not at all, then every uncovered one with the reason.",
    )
    p.add_argument(
        "--json", metavar="FILE", help="also write the report as JSON ('-': stdout only)"
    )
    p.set_defaults(handler=lambda args: _cmd_coverage(args, sys.stdout))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``scim-conformance`` command; return its exit status (0 ok, 1 failed, 2 usage)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help is 0, bad usage is 2
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        status = int(args.handler(args))
        sys.stdout.flush()  # here, where a closed pipe is caught, not at interpreter exit
        return status
    except (_UsageError, ConformanceError) as exc:
        print(f"scim-conformance: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (``| head``): stop quietly
        _silence_stdout()
        return 141


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush can't raise again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file (a test's capture)
        pass
    finally:
        os.close(devnull)


def _selected(
    args: argparse.Namespace, *, allow_empty: bool = False
) -> tuple[list[Any], list[RecordingError]]:
    paths = args.recordings
    for path in paths or []:
        if not Path(path).exists():
            raise _UsageError(f"--recordings {path}: no such file or directory")
    from conformance.loader import collect_recordings, select

    recordings, errors = collect_recordings(paths)
    recordings = select(recordings, idps=args.idp, keyword=args.keyword)
    if args.idp:
        errors = [e for e in errors if Path(e.source).parent.name.lower() in set(args.idp)]
    if not recordings and not errors and not allow_empty:
        raise _UsageError("no recording matches the selection (--idp, -k, --recordings)")
    return recordings, errors


def _load_app(spec: str) -> Any:
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise _UsageError(f"--app {spec!r}: expected MODULE:ATTR, e.g. myproject.asgi:app")
    sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise _UsageError(f"--app {spec!r}: cannot import {module_name}: {exc}") from exc
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise _UsageError(f"--app {spec!r}: {module_name} has no attribute {attr}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise _UsageError(f"--app {spec!r} is not callable (expected an ASGI or WSGI app)")
    return obj


@contextmanager
def _target(args: argparse.Namespace) -> Iterator[tuple[Transport, str | None]]:
    from conformance.transport import ServiceTransport

    token = args.token or os.environ.get(TOKEN_ENV) or None
    if args.url:
        from conformance.transport import HttpTransport

        if not args.url.startswith(("http://", "https://")):
            raise _UsageError(f"--url {args.url!r}: expected an http:// or https:// base URL")
        transport: Transport = HttpTransport(
            args.url, timeout=args.timeout, verify=not args.insecure
        )
        try:
            yield transport, token
        finally:
            transport.close()
    elif args.app:
        from conformance.transport import AppTransport

        transport = AppTransport(_load_app(args.app), base_url=args.base_url, timeout=args.timeout)
        try:
            yield transport, token
        finally:
            transport.close()
    else:
        from conformance.reference import reference_service

        with reference_service(args.db, token=token) as (service, ref_token):
            yield ServiceTransport(service), ref_token


def _cmd_run(args: argparse.Namespace, out: TextIO) -> int:
    from conformance.preflight import preflight
    from conformance.redact import Redactor
    from conformance.reporters import ConsoleReporter, write_html, write_json, write_junit
    from conformance.runner import Runner

    _check_report_paths(args)
    recordings, errors = _selected(args, allow_empty=_wants_schema_checks(args))
    with ExitStack() as stack:
        transport, token = stack.enter_context(_target(args))
        redactor = Redactor([token])
        console = ConsoleReporter(out, redactor=redactor, quiet=args.quiet)
        runner = Runner(
            transport,
            token=token,
            ignore_capabilities=args.ignore_capabilities,
            cleanup=not args.no_cleanup,
        )
        preflight(transport, runner.default_headers(), token=token)
        if _wants_schema_checks(args):
            recordings = recordings + _schema_checks(args, transport, runner, out)
            if not recordings and not errors:
                raise _UsageError("no recording or generated check matches the selection (-k)")
        result = runner.run(recordings, errors, on_event=console.handle)
    for path, writer in (
        (args.json, write_json),
        (args.junit, write_junit),
        (args.html, write_html),
    ):
        if path:
            writer(result, path, redactor=redactor)
            out.write(f"report written to {path}\n")
    return result.exit_code


def _check_report_paths(args: argparse.Namespace) -> None:
    """Refuse a report path that can't be written before anything runs (not after the run)."""
    for flag, path in (("--json", args.json), ("--junit", args.junit), ("--html", args.html)):
        if not path:
            continue
        target = Path(path)
        if target.is_dir():
            raise _UsageError(f"{flag} {path}: is a directory; name a file")
        parent = target.parent
        if not parent.is_dir():
            raise _UsageError(
                f"{flag} {path}: the directory {str(parent)!r} does not exist; create it first"
            )
        if not os.access(parent, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
            raise _UsageError(f"{flag} {path}: not writable")


def _wants_schema_checks(args: argparse.Namespace) -> bool:
    """On when asked, or by default when the bundled RFC suite is part of the selection."""
    if args.schema_checks is not None:
        return bool(args.schema_checks)
    return args.recordings is None and (not args.idp or "rfc" in {i.lower() for i in args.idp})


def _schema_checks(
    args: argparse.Namespace, transport: Transport, runner: Any, out: TextIO
) -> list[Any]:
    from conformance.loader import select
    from conformance.schema_checks import schema_recordings

    generated = schema_recordings(transport, runner.default_headers())
    chosen = select(generated.recordings, keyword=args.keyword)
    if not args.quiet:
        steps = sum(len(r.steps) for r in chosen)
        out.write(
            f"schema-driven checks: {len(chosen)} recording(s), {steps} step(s) generated from "
            "the target's /Schemas and /ResourceTypes\n"
        )
        for note in generated.notes:
            out.write(f"  not generated: {note}\n")
    return chosen


def _cmd_list(args: argparse.Namespace, out: TextIO) -> int:
    recordings, errors = _selected(args)
    for rec in recordings:
        extra = f" [{rec.dialect}]" if rec.dialect else ""
        out.write(f"{rec.name:<44} {len(rec.steps):>3} steps  {rec.title}{extra}\n")
    for error in errors:
        out.write(f"INVALID {error}\n")
    return 2 if errors else 0


def _cmd_validate(args: argparse.Namespace, out: TextIO) -> int:
    for path in args.paths:
        if not Path(path).exists():
            raise _UsageError(f"{path}: no such file or directory")
    from conformance.loader import collect_recordings

    recordings, errors = collect_recordings(args.paths)
    for rec in recordings:
        out.write(f"ok      {rec.origin}\n")
    for error in errors:
        out.write(f"INVALID {error}\n")
    out.write(f"{len(recordings)} valid, {len(errors)} invalid\n")
    return 2 if errors else 0


def _cmd_coverage(args: argparse.Namespace, out: TextIO) -> int:
    from conformance.coverage import coverage, render

    report = coverage()
    if args.json == "-":
        out.write(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")
        return 0
    render(report, out)
    if args.json:
        text = json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
        try:
            Path(args.json).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise _UsageError(f"--json {args.json}: {exc.strerror or exc}") from exc
        out.write(f"report written to {args.json}\n")
    return 0


def _cmd_import(args: argparse.Namespace, out: TextIO) -> int:
    from conformance.importers import import_okta_runscope, import_postman

    try:
        source = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except OSError as exc:
        raise _UsageError(f"{args.file}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise _UsageError(f"{args.file}: not JSON ({exc})") from exc
    convert = import_okta_runscope if args.kind == "okta-runscope" else import_postman
    document = convert(source, name=args.name)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        out.write(f"wrote {args.out} ({len(document['steps'])} steps)\n")
    else:
        out.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
