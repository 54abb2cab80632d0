"""The pytest plugin of the conformance suite: recordings become test items.

Import-light on purpose (it is loaded into every pytest session of every project that installs
scimcore): only pytest and the standard library at import time; the runner loads on first use.

* ``*.scim.json`` files in the collected directories become one test each.
* ``--scim-url URL`` (with ``--scim-token``) or ``--scim-recordings PATH`` adds the bundled (or
  given) recordings as tests too, filtered by ``--scim-idp`` and pytest's own ``-k``.
* ``--scim-schema-checks`` (the default with ``--scim-url`` and the bundled RFC suite) adds the
  checks generated from the target's ``/Schemas`` as one test; ``--scim-fuzz N`` a fuzz test.
* The target is the ``scim_transport`` fixture: ``--scim-url``, or override ``scim_app`` to return
  an ASGI/WSGI application (or a ``scimcore.service.ScimService``) tested in process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

__all__ = ["RecordingFailed", "ScimRecordingItem"]

TOKEN_ENV = "SCIM_CONFORMANCE_TOKEN"


class RecordingFailed(AssertionError):
    """The endpoint answered a recorded step wrongly (the text is the whole report)."""


class RecordingBroken(Exception):
    """The recording could not be checked (network problem, bad recording)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ``--scim-*`` options."""
    group = parser.getgroup("scim", "SCIM conformance (scim-conformance)")
    group.addoption("--scim-url", default=None, help="SCIM base URL to replay recordings against")
    group.addoption(
        "--scim-token",
        default=None,
        help=f"bearer token for --scim-url (or set {TOKEN_ENV})",
    )
    group.addoption(
        "--scim-recordings",
        action="append",
        default=None,
        metavar="PATH",
        help="recording files or directories to run (default with --scim-url: the bundled ones)",
    )
    group.addoption("--scim-idp", default=None, help="only these IdPs (comma-separated)")
    group.addoption(
        "--scim-fuzz",
        type=int,
        default=None,
        metavar="N",
        help="also fuzz the target with N model-based sequences (scim-conformance fuzz)",
    )
    group.addoption("--scim-fuzz-seed", type=int, default=None, help="seed for --scim-fuzz")
    group.addoption(
        "--scim-fuzz-out",
        default=None,
        metavar="DIR",
        help="where --scim-fuzz writes a failing recording (default: pytest's tmp dir)",
    )
    group.addoption(
        "--scim-schema-checks",
        dest="scim_schema_checks",
        action="store_true",
        default=None,
        help="also run the checks generated from the target's /Schemas and /ResourceTypes (on by "
        "default with --scim-url and the bundled RFC recordings)",
    )
    group.addoption(
        "--no-scim-schema-checks",
        dest="scim_schema_checks",
        action="store_false",
        help="do not run the schema-driven checks",
    )
    group.addoption(
        "--scim-ignore-capabilities",
        action="store_true",
        default=False,
        help="grade RFC-suite recordings fully even when ServiceProviderConfig disclaims what they "
        "need (without it their failures are warnings)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker carried by every recording item."""
    config.addinivalue_line(
        "markers", "scim_conformance(idp): a replayed scim-recording/1 sequence (scim-conformance)"
    )


@pytest.fixture(scope="session")
def scim_app() -> Any:
    """Override to return the ASGI/WSGI app (or ScimService) to test in process; None: use URL."""
    return None


@pytest.fixture(scope="session")
def scim_base_url() -> str:
    """Where ``scim_app`` serves SCIM (its path prefix is part of every request)."""
    return "http://testserver/scim/v2"


@pytest.fixture(scope="session")
def scim_token(pytestconfig: pytest.Config) -> str | None:
    """The bearer token sent with every recorded request (``--scim-token``)."""
    token: str | None = pytestconfig.getoption("scim_token") or os.environ.get(TOKEN_ENV)
    return token


@pytest.fixture(scope="session")
def scim_transport(pytestconfig: pytest.Config, scim_app: Any, scim_base_url: str) -> Iterator[Any]:
    """The transport to the system under test: ``--scim-url`` or the ``scim_app`` fixture."""
    from conformance.transport import HttpTransport, transport_for

    url = pytestconfig.getoption("scim_url")
    if url:
        transport: Any = HttpTransport(url)
    elif scim_app is not None:
        transport = transport_for(scim_app, base_url=scim_base_url)
    else:
        pytest.skip("no SCIM target: pass --scim-url or override the scim_app fixture")
    yield transport
    transport.close()


def _recording_test(recording: Any) -> Callable[..., None]:
    def scim_recording(scim_transport: Any, scim_token: str | None, pytestconfig: Any) -> None:
        from conformance.results import Outcome
        from conformance.runner import Runner

        runner = Runner(
            scim_transport,
            token=scim_token,
            ignore_capabilities=bool(pytestconfig.getoption("scim_ignore_capabilities")),
        )
        result = runner.run([recording]).results[0]
        if result.outcome is Outcome.SKIPPED:
            pytest.skip(result.reason)
        if result.outcome in (Outcome.FAILED, Outcome.ERROR):
            text = _report(result, runner.redactor)
            if result.outcome is Outcome.FAILED:
                raise RecordingFailed(text)
            raise RecordingBroken(text)

    return scim_recording


@pytest.fixture
def scim_fuzz(scim_transport: Any, scim_token: str | None, tmp_path: Path) -> Callable[..., Any]:
    """Run model-based fuzzing against the target; fails the test on new divergences.

    ``scim_fuzz(examples=50, seed=1, time_budget=None, out_dir=None)`` returns the
    :class:`~conformance.fuzz.FuzzResult`; on new divergences the test fails listing each one
    with its signature and the path of its shrunk ``scim-recording/1`` file (in ``out_dir``,
    default ``tmp_path``). ``known`` (a file or ``{signature: reason}``) lists known ones.
    ``clients=N`` (with ``rounds``) also races N concurrent clients; a race's file is a
    ``scim-race/1`` (``scim-conformance fuzz --replay FILE`` replays it).
    """

    def run_fuzz(
        *,
        examples: int = 50,
        seed: int | None = None,
        time_budget: float | None = None,
        out_dir: str | Path | None = None,
        known: Any = None,
        clients: int = 1,
        rounds: int = 20,
    ) -> Any:
        from conformance.fuzz import fuzz

        result = fuzz(
            scim_transport,
            token=scim_token,
            examples=examples,
            seed=seed,
            time_budget=time_budget,
            out_dir=out_dir if out_dir is not None else tmp_path,
            known=known,
            clients=clients,
            rounds=rounds,
        )
        if result.found:
            lines = [f"fuzzing found {len(result.findings)} divergences from the reference model:"]
            for finding in result.findings:
                lines.append(f"- [{finding.status}] {finding.signature}: {finding.message}")
                if finding.recording is not None and finding.concurrent:
                    lines.append(
                        f"  race file (scim-conformance fuzz --replay): {finding.recording}"
                    )
                elif finding.recording is not None:
                    lines.append(f"  replayable recording: {finding.recording}")
                elif finding.reason:
                    lines.append(f"  no recording: {finding.reason}")
            raise RecordingFailed("\n".join(lines))
        return result

    return run_fuzz


@pytest.fixture
def scim_schema_checks(
    scim_transport: Any, scim_token: str | None, pytestconfig: pytest.Config
) -> Callable[..., Any]:
    """Run the checks generated from the target's ``/Schemas`` and ``/ResourceTypes``.

    ``scim_schema_checks(keyword=None)`` returns the :class:`~conformance.results.RunResult`;
    it fails the test listing every generated recording that failed (each with its report), and
    skips it when the target declares nothing to check (saying why).
    """

    def run_checks(*, keyword: str | None = None) -> Any:
        from conformance.loader import select
        from conformance.results import Outcome
        from conformance.runner import Runner
        from conformance.schema_checks import schema_recordings

        runner = Runner(
            scim_transport,
            token=scim_token,
            ignore_capabilities=bool(pytestconfig.getoption("scim_ignore_capabilities")),
        )
        generated = schema_recordings(scim_transport, runner.default_headers())
        chosen = select(generated.recordings, keyword=keyword)
        if not chosen:
            pytest.skip("; ".join(generated.notes) or "no schema-driven check was generated")
        result = runner.run(chosen)
        bad = [r for r in result.results if r.outcome in (Outcome.FAILED, Outcome.ERROR)]
        if bad:
            lines = [f"{len(bad)} of {len(result.results)} schema-driven checks failed:"]
            for res in bad:
                lines.append(f"- {res.recording.name}:")
                lines.append(_report(res, runner.redactor))
            raise RecordingFailed("\n".join(lines))
        return result

    return run_checks


def _schema_test() -> Callable[..., None]:
    def scim_schema_driven(scim_schema_checks: Callable[..., Any]) -> None:
        scim_schema_checks()

    return scim_schema_driven


def _wants_schema_checks(config: pytest.Config) -> bool:
    """As asked, or by default with ``--scim-url`` when the bundled RFC suite is selected."""
    flag = config.getoption("scim_schema_checks")
    if flag is not None:
        return bool(flag)
    if not config.getoption("scim_url") or config.getoption("scim_recordings"):
        return False
    idp = config.getoption("scim_idp")
    return not idp or "rfc" in {i.strip().lower() for i in idp.split(",")}


def _fuzz_test(examples: int, seed: int | None, out_dir: str | None) -> Callable[..., None]:
    def scim_fuzzing(scim_fuzz: Callable[..., Any]) -> None:
        scim_fuzz(examples=examples, seed=seed, out_dir=out_dir)

    return scim_fuzzing


def _report(result: Any, redactor: Any) -> str:
    import io

    from conformance.reporters import ConsoleReporter
    from conformance.results import Outcome

    out = io.StringIO()
    console = ConsoleReporter(out, redactor=redactor)
    for step in result.steps:
        if step.outcome in (Outcome.FAILED, Outcome.ERROR, Outcome.WARNED):
            console._step(result.recording.name, step)
    return out.getvalue().strip() or result.reason


class ScimRecordingItem(pytest.Function):
    """One recording, run as a test through the ``scim_transport`` fixture."""

    recording: Any = None

    @classmethod
    def for_recording(cls, parent: pytest.Collector, recording: Any) -> ScimRecordingItem:
        """Build the item of ``recording`` under ``parent``."""
        item = cls.from_parent(parent, name=recording.name, callobj=_recording_test(recording))
        item.recording = recording
        item.add_marker(pytest.mark.scim_conformance(idp=recording.idp))
        return item

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        """The conformance report of the recording instead of a Python traceback."""
        if isinstance(excinfo.value, RecordingFailed | RecordingBroken):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Any, int, str]:
        """Point at the recording file."""
        path = getattr(self.recording, "path", None) or self.path
        return path, 0, f"scim recording {self.name}"


class ScimRecordingFile(pytest.File):
    """A ``*.scim.json`` file: one recording, one test."""

    def collect(self) -> Iterable[pytest.Item]:
        """Load and validate the recording."""
        from conformance.errors import RecordingError
        from conformance.loader import load_file

        try:
            recording = load_file(self.path)
        except RecordingError as exc:
            raise self.CollectError(str(exc)) from exc
        return [ScimRecordingItem.for_recording(self, recording)]


class ScimRecordingsCollector(pytest.Collector):
    """The recordings chosen with ``--scim-url``/``--scim-recordings``, under one node."""

    def collect(self) -> Iterable[pytest.Item]:
        """Load the selected recordings (a bad file is a collection error)."""
        from conformance.loader import collect_recordings, select

        paths = self.config.getoption("scim_recordings")
        recordings, errors = collect_recordings(paths)
        if errors:
            raise pytest.UsageError("\n".join(str(e) for e in errors))
        idp = self.config.getoption("scim_idp")
        idps = [i.strip() for i in idp.split(",")] if idp else None
        return [ScimRecordingItem.for_recording(self, r) for r in select(recordings, idps=idps)]


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Collect ``*.scim.json`` recordings."""
    if file_path.name.endswith(".scim.json"):
        collector: pytest.Collector = ScimRecordingFile.from_parent(parent, path=file_path)
        return collector
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Add the selected recordings when ``--scim-url`` or ``--scim-recordings`` is given
    (before ``-k`` and markers deselect)."""
    examples = config.getoption("scim_fuzz")
    if examples:
        items.append(
            pytest.Function.from_parent(
                session,
                name="scim-fuzz",
                callobj=_fuzz_test(
                    examples, config.getoption("scim_fuzz_seed"), config.getoption("scim_fuzz_out")
                ),
            )
        )
    if _wants_schema_checks(config):
        items.append(
            pytest.Function.from_parent(session, name="scim-schema-checks", callobj=_schema_test())
        )
    if not (config.getoption("scim_url") or config.getoption("scim_recordings")):
        return
    collector = ScimRecordingsCollector.from_parent(session, name="scim-conformance")
    for node in collector.collect():
        if isinstance(node, pytest.Item):
            items.append(node)
