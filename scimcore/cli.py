"""The ``scimcore`` command line: the reference server and the audit log (subcommands grow here)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from scimcore.audit._cli import add_audit_parser, run_audit


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser for ``scimcore``."""
    parser = argparse.ArgumentParser(
        prog="scimcore", description="scimcore: a SCIM 2.0 core library and reference server"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_audit_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``scimcore`` command; return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if args.command == "audit":
        return run_audit(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
