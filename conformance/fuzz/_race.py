"""The ``scim-race/1`` file of a concurrent fuzz finding: write it, load it, replay it.

A sequential recording cannot express a race, so a concurrent finding is written as the round
itself: the setup requests, each client's script, the final reads (request templates with their
``${unique}`` / ``${id_<handle>}`` placeholders and what of the answer is compared), plus the
signature, the message and the interleaving the fuzzer saw. Replaying plays the round again,
with fresh ``${unique}`` values, until no serial order explains an outcome or the attempts run
out. The JSON Schema ships with the package (``conformance/scim-race-1.schema.json``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from conformance._packaged import packaged_json, schema_validator
from conformance.errors import ConformanceError
from conformance.fuzz._concurrent import _Op, _Round, replay
from conformance.fuzz._traffic import Template

RACE_FORMAT = "scim-race/1"
RACE_SUFFIX = ".scim-race"
"""Not ``.json``: ``scim-conformance run --recordings DIR`` reads every ``*.json`` in DIR as a
``scim-recording/1``, and race files sit beside those in the fuzzer's out dir."""
_SCHEMA_FILE = "scim-race-1.schema.json"
_NAME_SAFE = re.compile(r"[^A-Za-z0-9._/-]+")
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


class RaceFileError(ConformanceError):
    """A race file that cannot be replayed; ``str()`` is one line: the file, where, and what."""

    def __init__(self, message: str, *, source: str = "<dict>", json_path: str = "$") -> None:
        self.message = message
        self.source = source
        self.json_path = json_path
        super().__init__(f"{source}: {json_path}: {message}")


@dataclass(frozen=True)
class Race:
    """A loaded ``scim-race/1`` file (``round`` is what :func:`replay_race` plays)."""

    name: str
    scenario: str
    clients: int
    round: _Round
    signature: str = ""
    message: str = ""
    interleaving: tuple[str, ...] = ()
    source: str = "<dict>"


@dataclass(frozen=True)
class RaceReplay:
    """The outcome of replaying a race file.

    ``reproduced`` is True when some attempt had no explaining serial order; ``attempt`` is
    that attempt (from 1; 0 when none), ``attempts`` how many were allowed, ``message`` and
    ``interleaving`` describe the reproducing round (empty when it did not reproduce).
    """

    race: Race
    reproduced: bool
    attempt: int
    attempts: int
    message: str = ""
    interleaving: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        """One line: reproduced on attempt k of N, or did not reproduce in N attempts."""
        if self.reproduced:
            return f"reproduced on attempt {self.attempt} of {self.attempts}"
        return f"did not reproduce in {self.attempts} attempts"


def race_schema() -> dict[str, Any]:
    """The JSON Schema of ``scim-race/1`` shipped with the package."""
    return packaged_json(_SCHEMA_FILE)


def _validator() -> jsonschema.protocols.Validator:
    return schema_validator(_SCHEMA_FILE)


def _template(t: Template) -> dict[str, Any]:
    out: dict[str, Any] = {"label": t.label, "method": t.method, "path": t.path}
    if t.query:
        out["query"] = dict(t.query)
    if t.body is not None:
        out["body"] = t.body
    out["check"] = t.check
    if t.quirk:
        out["quirk"] = t.quirk
    return out


def race_document(
    round_: _Round,
    *,
    name: str,
    signature: str,
    message: str,
    interleaving: Sequence[str],
    target: str,
) -> dict[str, Any]:
    """The ``scim-race/1`` document of ``round_`` and what was seen when it failed."""
    setup = [
        {**_template(t), **({"handle": handle} if handle else {})} for t, handle in round_.setup
    ]
    scripts = [
        [
            {**_template(op.template), **({"creates": op.creates} if op.creates else {})}
            for op in script
        ]
        for script in round_.scripts
    ]
    return {
        "format": RACE_FORMAT,
        "name": _NAME_SAFE.sub("-", name).strip("-") or "fuzz-race",
        "title": f"Concurrent fuzz divergence: {message}"[:300],
        "source": (
            f"scim-conformance fuzz against {target}: {len(round_.scripts)} clients released "
            "together; no serial order of their operations gave, on scimcore's reference "
            "model, the answers and the final state the target gave"
        ),
        "scenario": round_.scenario,
        "clients": len(round_.scripts),
        "setup": setup,
        "scripts": scripts,
        "final": [_template(t) for t in round_.final],
        "signature": signature,
        "message": message,
        "interleaving": list(interleaving),
    }


def write_race(document: Mapping[str, Any], out: Path) -> Path:
    """Write ``document`` into ``out`` (created if missing) as ``<name>.scim-race``."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{str(document['name']).replace('/', '-')}{RACE_SUFFIX}"
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path


def _json_path(parts: Sequence[str | int]) -> str:
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _schema_check(document: Any, source: str) -> None:
    errors = list(_validator().iter_errors(document))
    if not errors:
        return
    best = jsonschema.exceptions.best_match(errors)
    assert best is not None
    message = best.message
    if best.validator == "additionalProperties":
        message = f"unknown key: {message}"
    raise RaceFileError(message, source=source, json_path=_json_path(list(best.absolute_path)))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)


def _check_placeholders(raw: dict[str, Any], known: set[str], source: str, where: str) -> None:
    for text in _strings([raw["path"], raw.get("query", {}), raw.get("body")]):
        for name in _PLACEHOLDER.findall(text):
            if name == "unique":
                continue
            handle = name.removeprefix("id_")
            if name == handle:
                raise RaceFileError(
                    f"unknown placeholder ${{{name}}}: a race file has ${{unique}} and "
                    "${id_<handle>} only",
                    source=source,
                    json_path=where,
                )
            if handle not in known:
                raise RaceFileError(
                    f"${{{name}}} is used, but no earlier setup request keeps an id under the "
                    f"handle {handle!r} (ids a racing operation creates are known to the final "
                    "reads only)",
                    source=source,
                    json_path=where,
                )


def _to_template(raw: dict[str, Any]) -> Template:
    return Template(
        raw["label"],
        raw["method"],
        raw["path"],
        dict(raw.get("query", {})),
        raw.get("body"),
        raw.get("check", "status"),
        quirk=raw.get("quirk", ""),
    )


def race_from_dict(document: Any, *, source: str = "<dict>") -> Race:
    """Validate a decoded ``scim-race/1`` document and build the :class:`Race`."""
    if isinstance(document, dict) and document.get("format", RACE_FORMAT) != RACE_FORMAT:
        raise RaceFileError(
            f"unsupported format {document['format']!r}: this loader reads {RACE_FORMAT!r}",
            source=source,
            json_path="$.format",
        )
    _schema_check(document, source)
    if document["clients"] != len(document["scripts"]):
        raise RaceFileError(
            f"clients is {document['clients']} but there are {len(document['scripts'])} "
            "scripts (one per client)",
            source=source,
            json_path="$.clients",
        )
    handles: set[str] = set()

    def keep(handle: str | None, where: str) -> None:
        if handle is None:
            return
        if handle in handles:
            raise RaceFileError(
                f"the handle {handle!r} is kept twice", source=source, json_path=where
            )
        handles.add(handle)

    setup: list[tuple[Template, str | None]] = []
    for index, raw in enumerate(document["setup"]):
        where = f"$.setup[{index}]"
        _check_placeholders(raw, handles, source, where)
        keep(raw.get("handle"), f"{where}.handle")
        setup.append((_to_template(raw), raw.get("handle")))
    shared = set(handles)  # what the race creates is known only once every client is done
    scripts: list[list[_Op]] = []
    for client, script in enumerate(document["scripts"]):
        ops: list[_Op] = []
        for index, raw in enumerate(script):
            where = f"$.scripts[{client}][{index}]"
            _check_placeholders(raw, shared, source, where)
            keep(raw.get("creates"), f"{where}.creates")
            ops.append(_Op(client, _to_template(raw), raw.get("creates")))
        scripts.append(ops)
    final: list[Template] = []
    for index, raw in enumerate(document["final"]):
        _check_placeholders(raw, handles, source, f"$.final[{index}]")
        final.append(_to_template(raw))
    return Race(
        name=document["name"],
        scenario=document["scenario"],
        clients=document["clients"],
        round=_Round(document["scenario"], setup, scripts, final),
        signature=document.get("signature", ""),
        message=document.get("message", ""),
        interleaving=tuple(document.get("interleaving", ())),
        source=source,
    )


def load_race(path: str | Path) -> Race:
    """Read and validate a ``scim-race/1`` file; raises :class:`RaceFileError`."""
    file = Path(path)
    source = str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise RaceFileError(f"cannot read it ({exc.strerror or exc})", source=source) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RaceFileError(
            f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}", source=source
        ) from None
    return race_from_dict(document, source=source)


def replay_race(
    race: str | Path | Race,
    transport: Any,
    *,
    token: str | None = None,
    attempts: int = 20,
) -> RaceReplay:
    """Replay a race file (or a loaded :class:`Race`) against ``transport`` (a base URL, a
    Transport, a ScimService or an ASGI/WSGI app) up to ``attempts`` times, stopping at the
    first round that no serial order explains. Raises :class:`RaceFileError` for a bad file,
    :class:`~conformance.fuzz.RaceSetupError` when a setup request is refused, and
    :class:`~conformance.errors.TransportError` when the target cannot be reached."""
    from conformance.fuzz._machine import FuzzEnv
    from conformance.fuzz._run import reference_transport
    from conformance.transport import transport_for

    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, not {attempts}")
    loaded = race if isinstance(race, Race) else load_race(race)
    env = FuzzEnv(target=transport_for(transport), reference=reference_transport, token=token)
    outcome = replay(env, loaded.round, attempts)
    if outcome is None:
        return RaceReplay(loaded, False, 0, attempts)
    attempt, failure = outcome
    return RaceReplay(loaded, True, attempt, attempts, failure.message, tuple(failure.interleaving))
