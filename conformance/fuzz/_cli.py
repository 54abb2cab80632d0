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
            "model and compare every answer. The run goes on past a divergence: each distinct "
            "one (by signature) is shrunk, confirmed by replaying it, and written as a "
            "scim-recording/1 file (a race of concurrent clients as a scim-race/1 file). "
            "Exit 0: no new divergence (known ones may be reported); 1: new divergences; "
            "2: usage or setup error. With --replay FILE, replay a scim-race/1 file instead: "
            "exit 1 when it reproduces, 0 when it does not in --repeat attempts."
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
    parser.add_argument("--out", default=".", help="directory for the findings' recordings (.)")
    parser.add_argument(
        "--known",
        metavar="FILE",
        help="known divergences (scim-fuzz-known/1, JSON or .toml): reported, but not failures",
    )
    parser.add_argument(
        "--clients",
        type=int,
        default=1,
        metavar="N",
        help="also race N concurrent clients on shared resources (linearizability check)",
    )
    parser.add_argument(
        "--max-shrinks",
        type=int,
        default=300,
        metavar="N",
        help="stop shrinking a finding after N replays, keeping the smallest so far (300)",
    )
    parser.add_argument(
        "--json", metavar="FILE", help="write the findings as JSON (and a known file to start from)"
    )
    parser.add_argument(
        "--insecure", action="store_true", help="do not verify TLS certificates (test servers)"
    )
    parser.add_argument(
        "--replay",
        metavar="FILE",
        help="replay a race a concurrent run found (scim-race/1) instead of fuzzing",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=20,
        metavar="N",
        help="with --replay: rounds to try before it counts as not reproduced (20)",
    )
    parser.set_defaults(handler=run_fuzz_command)


def _load_app(spec: str) -> Any:
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ValueError(f"--app wants MODULE:ATTR, got {spec!r}")
    return getattr(importlib.import_module(module_name), attr)


def run_fuzz_command(args: argparse.Namespace) -> int:
    """Run ``scim-conformance fuzz``; return the exit status."""
    counts = (args.examples, args.steps, args.clients, args.repeat)
    if min(counts) < 1 or args.max_shrinks < 0:
        print(
            "scim-conformance fuzz: --examples, --steps, --clients and --repeat must be at least"
            " 1 and --max-shrinks at least 0",
            file=sys.stderr,
        )
        return 2
    try:  # first: without the extra, nothing else is worth checking
        from conformance.fuzz._run import fuzz
    except ModuleNotFoundError as exc:  # hypothesis is in the fuzz extra
        print(
            f"scim-conformance fuzz needs {exc.name or 'hypothesis'}: pip install 'scimcore[fuzz]'",
            file=sys.stderr,
        )
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
    race: Any = None
    if args.replay:
        from conformance.fuzz._race import RaceFileError, load_race

        try:
            race = load_race(args.replay)
        except RaceFileError as exc:
            print(f"scim-conformance fuzz: --replay {exc}", file=sys.stderr)
            return 2
    from conformance.fuzz._findings import KnownFileError, load_known

    known: dict[str, str] = {}
    if args.known:
        try:
            known = load_known(args.known)
        except KnownFileError as exc:
            print(f"scim-conformance fuzz: --known {exc}", file=sys.stderr)
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
    if race is not None:
        return _replay(race, target, token, args.repeat)
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
            known=known,
            clients=args.clients,
            max_shrinks=args.max_shrinks,
        )
    except TransportError as exc:
        print(f"\nscim-conformance fuzz: cannot reach the target: {exc}", file=sys.stderr)
        return 2
    if live:
        print(file=sys.stderr)
    _report(result)
    if args.json:
        _write_json(args.json, result)
    return 1 if result.found else 0


def _replay(race: Any, target: Any, token: str | None, attempts: int) -> int:
    """Replay a loaded race file; exit 1 when it reproduces, 0 when not, 2 when it cannot run."""
    from conformance.fuzz._concurrent import RaceSetupError
    from conformance.fuzz._race import replay_race

    try:
        outcome = replay_race(race, target, token=token, attempts=attempts)
    except (RaceSetupError, TransportError) as exc:
        print(f"scim-conformance fuzz: cannot replay {race.source}: {exc}", file=sys.stderr)
        return 2
    print(f"race {race.name} ({race.scenario}, {race.clients} clients): {outcome.summary}")
    if not outcome.reproduced:
        return 0
    print(f"  {outcome.message}")
    for line in outcome.interleaving:
        print(f"    {line}")
    return 1


def _report(result: Any) -> None:
    """Print the run's summary, then every finding: new ones first, then the known ones."""
    replays = f" (+{result.replays} shrinking replays)" if result.replays else ""
    concurrent = (
        f", {result.clients} concurrent clients in {result.rounds} rounds"
        if result.clients > 1
        else ""
    )
    print(
        f"fuzz: {result.examples} sequences{replays}, {result.requests} requests"
        f"{concurrent}, {result.seconds:.1f} s"
    )
    if not result.findings and not result.known:
        print("no divergence")
        return
    print(f"{len(result.findings)} new divergences, {len(result.known)} known")
    for finding in result.findings:
        seen = f", seen in {finding.occurrences} sequences" if finding.occurrences > 1 else ""
        axis = ", IdP interop, not an RFC failure" if finding.axis == "interop" else ""
        print(f"\nNEW DIVERGENCE ({finding.status}{axis}{seen}) {finding.signature}")
        print(f"  {finding.message}")
        for line in finding.interleaving:
            print(f"    {line}")
        if finding.recording is not None and finding.concurrent:
            print(f"  race file written to {finding.recording}")
            if finding.reason:
                print(f"  not confirmed: {finding.reason}")
            print(
                f"  replay it: scim-conformance fuzz --replay {finding.recording} --url … --token …"
            )
        elif finding.recording is not None:
            print(f"  shrunk to {finding.steps} steps, written to {finding.recording}")
            print(
                f"  replay it: scim-conformance run --recordings {finding.recording} "
                "--url … --token …"
            )
        elif finding.reason:
            print(f"  no recording: {finding.reason}")
    for finding in result.known:
        print(f"\nKNOWN (seen in {finding.occurrences} sequences) {finding.signature}")
        if finding.reason:
            print(f"  {finding.reason}")


def _write_json(path: str, result: Any) -> None:
    import json
    from pathlib import Path

    from conformance.fuzz._findings import known_document

    document = {
        "examples": result.examples,
        "replays": result.replays,
        "requests": result.requests,
        "seconds": round(result.seconds, 3),
        "findings": [f.to_dict() for f in result.findings],
        "known": [f.to_dict() for f in result.known],
        "known_file": known_document(list(result.findings)),
    }
    Path(path).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
