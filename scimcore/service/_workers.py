"""``scimcore serve --workers N``: N forked processes accepting on one listening socket.

The parent binds the socket, checks the configuration by opening the store once (which also
creates the tables, so the workers never race on that), then forks the workers and supervises
them: a worker that dies is replaced, SIGINT/SIGTERM stop them all. Each worker opens its own
store connection(s) after the fork. Nothing a request depends on lives in one worker's memory:
the bearer tokens (a generated one too) are decided before the fork, cursors and ETags are
computed from the database, and every write is checked by the database (row locks, unique keys),
so whichever worker answers, the answer is the same. The one exception is the rate limit: each
worker keeps its own buckets (see :func:`worker_rate_limit`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

from scimcore.errors import ConfigurationError
from scimcore.service._ratelimit import RateLimit
from scimcore.service._service import ScimService

Opened = tuple[ScimService, Callable[[], None]]
"""A service ready to serve and the function that closes what it opened."""


def parse_workers(text: str) -> int:
    """``--workers``: a positive integer, or ``auto`` for the CPUs this process may run on."""
    if text.strip().lower() == "auto":
        return cpu_count()
    try:
        n = int(text)
    except ValueError:
        raise ConfigurationError(f"--workers {text!r}: give a number or 'auto'") from None
    if n < 1:
        raise ConfigurationError(f"--workers {text!r}: at least 1")
    return n


def cpu_count() -> int:
    """The CPUs available to this process (its affinity where the OS tells, else all)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def worker_rate_limit(limit: RateLimit | None, workers: int) -> RateLimit | None:
    """Each worker's share of a server-wide rate limit: ``per_second / workers``.

    Buckets live in each worker's memory. Connections are spread over the workers by the kernel,
    so a client busy enough to be limited reaches all of them about evenly, and N workers each
    allowing 1/N of the rate approximate the configured rate overall. A client whose connections
    all land on one worker is limited early (to 1/N); the burst is kept per worker.
    """
    if limit is None or workers <= 1:
        return limit
    return RateLimit(per_second=limit.per_second / workers, burst=limit.burst)


def bind(host: str, port: int) -> socket.socket:
    """The listening socket the workers share (IPv6 when ``host`` is an IPv6 address)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        sock = socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        raise ConfigurationError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.set_inheritable(True)
    return sock


def run_workers(
    open_service: Callable[[], Opened],
    sock: socket.socket,
    *,
    workers: int,
    serve: Callable[[ScimService, socket.socket], None],
) -> int:
    """Fork ``workers`` processes that each open a service and ``serve`` it on ``sock``.

    Returns when every worker has stopped (after SIGINT/SIGTERM): 0, or 1 if the workers kept
    failing to start.
    """
    if not hasattr(os, "fork"):  # pragma: no cover - Windows
        raise ConfigurationError("--workers above 1 needs os.fork (Linux, macOS, BSD)")
    children: dict[int, int] = {}
    started: dict[int, float] = {}
    stopping = False
    failures = 0

    def spawn(slot: int) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the worker: never returns into the parent's code
            code = 1
            try:
                _worker(open_service, sock, serve)
                code = 0
            except SystemExit as exc:  # SIGTERM/SIGINT, see _worker
                code = exc.code if isinstance(exc.code, int) else 0
            except BaseException:  # report anything, then leave the process
                traceback.print_exc()
            finally:
                sys.stderr.flush()
                os._exit(code)
        children[pid] = slot
        started[slot] = time.monotonic()

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        for slot in range(workers):
            spawn(slot)
        while children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            slot_or_none = children.pop(pid, None)
            if slot_or_none is None or stopping:
                continue
            slot = slot_or_none
            code = os.waitstatus_to_exitcode(status)
            quick = time.monotonic() - started.get(slot, 0.0) < 1.0
            failures = failures + 1 if quick else 0
            print(f"scimcore: worker {pid} exited ({code}); starting another", file=sys.stderr)
            if failures >= 5:  # workers die as soon as they start: give up rather than spin
                print("scimcore: workers keep failing; stopping", file=sys.stderr)
                stop(signal.SIGTERM, None)
                continue
            if quick:
                time.sleep(0.5)
            spawn(slot)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        sock.close()
    return 1 if failures >= 5 else 0


def _worker(
    open_service: Callable[[], Opened],
    sock: socket.socket,
    serve: Callable[[ScimService, socket.socket], None],
) -> None:
    def leave(signum: int, frame: Any) -> None:
        raise SystemExit(0)

    # uvicorn installs its own handlers while it serves and re-raises the signal afterwards:
    # this one then turns it into SystemExit, so the store is closed on the way out.
    signal.signal(signal.SIGTERM, leave)
    signal.signal(signal.SIGINT, leave)
    service, close = open_service()
    try:
        serve(service, sock)
    finally:
        close()
