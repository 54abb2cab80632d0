"""The ``scim-conformance fuzz`` subcommand: arguments, progress on stderr, exit status."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from typing import Any

from conformance.errors import TransportError


def add_fuzz_parser(subparsers: Any) -> None:
    """Add ``fuzz`` to the ``scim-conformance`` sub-commands."""
    parser = subparsers.add_parser(
        "fuzz",
        help="model-based fuzzing of a SCIM endpoint against scimcore's reference model",
        description=(
            "Send random but valid IdP-shaped traffic to the endpoint and to scimcore's reference "
            "model, compare every answer, and write the shortest failing sequence as a "
            "scim-recording/1 file. Exit 0: no divergence; 1: a divergence (recording written); "
            "2: usage or setup error."
        ),
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--url", help="SCIM base URL, e.g. https://app.example/scim/v2")
    target.add_argument("--app", help="MODULE:ATTR of an ASGI/WSGI app or a ScimService")
    parser.add_argument(
        "--token", help="bearer token for the endpoint (or set SCIM_CONFORMANCE_TOKEN)"
    )
    parser.add_argument("--examples", type=int, default=100, help="sequences to try (100)")
    parser.add_argument("--steps", type=int, default=25, help="rules per sequence at most (25)")
    parser.add_argument("--seed", type=int, default=None, help="seed, for a repeatable run")
    parser.add_argument(
        "--time-budget", type=float, default=None, metavar="SECONDS", help="stop after this long"
    )
    parser.add_argument("--out", default=".", help="directory for the failing recording (.)")
    parser.add_argument(
        "--insecure", action="store_true", help="do not verify TLS certificates (test servers)"
    )
    parser.set_defaults(handler=run_fuzz_command)


def _load_app(spec: str) -> Any:
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ValueError(f"--app wants MODULE:ATTR, got {spec!r}")
    return getattr(importlib.import_module(module_name), attr)


def run_fuzz_command(args: argparse.Namespace) -> int:
    """Run ``scim-conformance fuzz``; return the exit status."""
    if args.examples < 1 or args.steps < 1:
        print("scim-conformance fuzz: --examples and --steps must be at least 1", file=sys.stderr)
        return 2
    try:
        if args.url:
            from conformance.transport import HttpTransport

            target: Any = HttpTransport(args.url, verify=not args.insecure)
        else:
            target = _load_app(args.app)
    except (ImportError, AttributeError, ValueError) as exc:
        print(f"scim-conformance fuzz: {exc}", file=sys.stderr)
        return 2
    from conformance.errors import ConformanceError
    from conformance.preflight import preflight
    from conformance.transport import transport_for

    token = args.token or os.environ.get("SCIM_CONFORMANCE_TOKEN") or None
    try:
        target = transport_for(target)
        headers = {"Accept": "application/scim+json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        preflight(target, headers, token=token)
    except (ConformanceError, TypeError) as exc:
        print(f"scim-conformance fuzz: {exc}", file=sys.stderr)
        return 2
    try:
        from conformance.fuzz._run import fuzz
    except ImportError as exc:  # hypothesis is in the test extra
        print(
            f"scim-conformance fuzz needs hypothesis ({exc}): pip install 'scimcore[test]'",
            file=sys.stderr,
        )
        return 2
    started = time.monotonic()
    shown = [0.0]
    live = sys.stderr.isatty()

    def progress(examples: int, requests: int) -> None:
        elapsed = time.monotonic() - started
        if elapsed - shown[0] < (0.2 if live else 5.0):
            return
        shown[0] = elapsed
        line = f"fuzz: {examples} sequences, {requests} requests, {elapsed:.1f} s"
        print(f"\r{line}" if live else line, end="" if live else "\n", file=sys.stderr, flush=True)

    try:
        result = fuzz(
            target,
            token=token,
            examples=args.examples,
            steps=args.steps,
            seed=args.seed,
            time_budget=args.time_budget,
            out_dir=args.out,
            progress=progress,
        )
    except TransportError as exc:
        print(f"\nscim-conformance fuzz: cannot reach the target: {exc}", file=sys.stderr)
        return 2
    if live:
        print(file=sys.stderr)
    if not result.found:
        print(
            f"no divergence in {result.examples} sequences ({result.requests} requests, "
            f"{result.seconds:.1f} s)"
        )
        return 0
    print(f"DIVERGENCE: {result.message}")
    print(f"shrunk to {result.steps} steps, written to {result.recording}")
    print(f"replay it: scim-conformance run --recordings {result.recording} --url … --token …")
    return 1
