"""``scimcore audit list|clear``: read and clear the audit log from the command line."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
from typing import Any, TextIO


def add_audit_parser(subparsers: Any) -> None:
    """Add the ``audit`` subcommand to the ``scimcore`` parser's subparsers."""
    audit = subparsers.add_parser("audit", help="read or clear the audit log")
    actions = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        required=True,
        metavar="URL",
        help="the server's database: a SQLite path (or sqlite:///path) or postgresql://…",
    )
    common.add_argument("--filter", metavar="FILTER", help="a SCIM filter, e.g. status ge 400")
    lst = actions.add_parser("list", parents=[common], help="list records, newest first")
    lst.add_argument("--json", action="store_true", help="print a JSON ListResponse")
    lst.add_argument("--start-index", type=int, default=1, metavar="N")
    lst.add_argument("--count", type=int, default=100, metavar="N")
    clr = actions.add_parser(
        "clear",
        parents=[common],
        help="delete records",
        description="Delete audit records: those matching --filter, those older than "
        "--older-than-days, or (only with --all) every record.",
    )
    clr.add_argument(
        "--older-than-days",
        type=_days,
        metavar="DAYS",
        help="only records older than this many days (retention)",
    )
    clr.add_argument("--all", action="store_true", help="delete every record (no filter, no age)")
    clr.add_argument("--json", action="store_true", help="print the result as JSON")


def _days(text: str) -> float:
    """``--older-than-days``: a finite number of days, not negative."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give 0 or more days")
    return value


def _line(rec: dict[str, Any]) -> str:
    outcome = str(rec["status"]) + (f" {rec['scimType']}" if rec.get("scimType") else "")
    who = rec.get("idp") or rec.get("tokenName") or "-"
    target = rec.get("userName") or rec.get("resourceId") or "-"
    return (
        f"{rec['time']}  {rec['action']:<8} {rec.get('resourceType') or '-':<6} {target:<30} "
        f"{outcome:<16} {who:<12} {rec.get('clientIp') or '-'}"
    )


def run_audit(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run ``scimcore audit …``; exit status 0, or 2 for a usage error (bad filter, bad db)."""
    from scimcore.audit._log import open_audit_log
    from scimcore.errors import ConfigurationError, ScimError
    from scimcore.service._database import check_database

    out = out or sys.stdout
    try:
        if args.audit_command == "clear":
            _check_clear_scope(args)
        db = check_database(args.db, must_exist=True)
        log = open_audit_log(db.url)
    except ConfigurationError as exc:  # a missing file or driver, a bad DSN: a setup error
        print(f"scimcore audit: {exc.detail}", file=sys.stderr)
        return 2
    try:
        if args.audit_command == "list":
            page = log.search(args.filter, start_index=args.start_index, count=args.count)
            if args.json:
                json.dump(page.to_dict(), out, indent=2)
                out.write("\n")
            else:
                for rec in page.records:
                    out.write(_line(rec.to_dict()) + "\n")
                out.write(f"{len(page.records)} of {page.total} record(s)\n")
            return 0
        before = None
        if args.older_than_days is not None:
            before = dt.datetime.now(dt.UTC) - dt.timedelta(days=args.older_than_days)
        removed = log.clear(before=before, filter=args.filter)
        if args.json:
            json.dump({"removed": removed}, out)
            out.write("\n")
        else:
            out.write(f"removed {removed} record(s)\n")
        return 0
    except ScimError as exc:
        print(f"scimcore audit: {exc.message}", file=sys.stderr)
        return 2
    finally:
        log.close()


def _check_clear_scope(args: argparse.Namespace) -> None:
    """``clear`` deletes only what it is told to: a filter, an age, or ``--all``."""
    from scimcore.errors import ConfigurationError

    scoped = args.filter is not None or args.older_than_days is not None
    if args.all and scoped:
        raise ConfigurationError(
            "clear: --all deletes every record; drop it to delete by --filter/--older-than-days"
        )
    if not args.all and not scoped:
        raise ConfigurationError(
            "clear: say what to delete: --filter FILTER, --older-than-days DAYS, or --all"
        )
