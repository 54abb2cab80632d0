"""The ``scim-conformance`` command line (run, fuzz; grows with the runner)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from conformance.fuzz._cli import add_fuzz_parser


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser for ``scim-conformance``."""
    parser = argparse.ArgumentParser(
        prog="scim-conformance",
        description="Replay recorded IdP SCIM traffic against a SCIM endpoint",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_fuzz_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``scim-conformance`` command; return its exit status (0 ok, 1 failed, 2 usage)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    handler = getattr(args, "handler", None)
    return int(handler(args)) if handler is not None else 2


if __name__ == "__main__":
    sys.exit(main())
