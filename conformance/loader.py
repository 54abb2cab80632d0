"""Load ``scim-recording/1`` files: JSON Schema validation, then checks no schema can express.

Every mistake raises :class:`~conformance.errors.RecordingError` naming the file, the step and the
JSON path (``$.steps[2].expect.status``), so an author sees where their recording is broken.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from conformance._packaged import packaged_json, schema_validator
from conformance.errors import RecordingError
from conformance.matchers import check_expectation, json_path
from conformance.recording import (
    BUILTIN_VARIABLES,
    FORMAT,
    Expect,
    Interop,
    Recording,
    RequestSpec,
    Step,
)
from conformance.requirements import level_problem
from conformance.variables import placeholders

__all__ = [
    "bundled_recordings_dir",
    "collect_recordings",
    "load_dict",
    "load_file",
    "load_recordings",
    "recording_schema",
    "select",
]

_SCHEMA_FILE = "scim-recording-1.schema.json"


def recording_schema() -> dict[str, Any]:
    """The JSON Schema of ``scim-recording/1`` shipped with the package."""
    return packaged_json(_SCHEMA_FILE)


def _validator() -> jsonschema.protocols.Validator:
    return schema_validator(_SCHEMA_FILE)


def bundled_recordings_dir() -> Path:
    """The directory of the recordings bundled with the package (``conformance/recordings``)."""
    return Path(str(resources.files("conformance").joinpath("recordings")))


def _path_of(parts: Iterable[str | int]) -> str:
    path = "$"
    for part in parts:
        path = json_path(path, part)
    return path


def _step_label(document: Any, parts: Sequence[str | int]) -> str | None:
    if len(parts) >= 2 and parts[0] == "steps" and isinstance(parts[1], int):
        index = parts[1]
        name = None
        steps = document.get("steps") if isinstance(document, dict) else None
        if isinstance(steps, list) and index < len(steps) and isinstance(steps[index], dict):
            name = steps[index].get("name")
        return f"#{index} {name}" if isinstance(name, str) else f"#{index}"
    return None


def _schema_errors(document: Any, source: str) -> None:
    errors = sorted(
        _validator().iter_errors(document),
        key=lambda e: (list(map(str, e.absolute_path)), e.message),
    )
    if not errors:
        return
    best = jsonschema.exceptions.best_match(errors)
    assert best is not None
    others = [f"{_path_of(e.absolute_path)}: {e.message}" for e in errors if e is not best][:10]
    parts = list(best.absolute_path)
    raise RecordingError(
        _schema_message(best),
        source=source,
        json_path=_path_of(parts),
        step=_step_label(document, parts),
        problems=others,
    )


def _schema_message(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties":
        return f"unknown key: {error.message}"
    return error.message


def load_dict(document: Any, *, source: str = "<dict>", path: Path | None = None) -> Recording:
    """Validate a decoded recording document and build the :class:`Recording`."""
    if isinstance(document, dict) and "format" not in document:
        raise RecordingError(
            f"not a recording: the 'format' key is missing (expected {FORMAT!r})", source=source
        )
    if isinstance(document, dict) and document["format"] != FORMAT:
        raise RecordingError(
            f"unsupported format {document['format']!r}: this loader reads {FORMAT!r}",
            source=source,
            json_path="$.format",
        )
    _schema_errors(document, source)
    defined = set(BUILTIN_VARIABLES)
    for name, value in document.get("variables", {}).items():
        _check_placeholders(value, defined, source, f"$.variables.{name}", None)
        defined.add(name)
    steps: list[Step] = []
    for index, raw in enumerate(document["steps"]):
        label = f"#{index} {raw['name']}"
        base = f"$.steps[{index}]"
        for where, problem in check_expectation(raw.get("expect", {}).get("json"), base):
            raise RecordingError(
                problem,
                source=source,
                json_path=where.replace(base, base + ".expect.json", 1),
                step=label,
            )
        for name, spec in raw.get("expect", {}).get("headers", {}).items():
            for where, problem in check_expectation(
                spec, json_path(base + ".expect.headers", name)
            ):
                raise RecordingError(problem, source=source, json_path=where, step=label)
        _check_placeholders(raw["request"], defined, source, base + ".request", label)
        _check_placeholders(raw.get("expect", {}), defined, source, base + ".expect", label)
        defined.update(raw.get("capture", {}))
        step = _build_step(index, raw)
        contradiction = level_problem(step)
        if contradiction is not None:
            raise RecordingError(
                contradiction, source=source, json_path=base + ".level", step=label
            )
        steps.append(step)
    return Recording(
        name=document["name"],
        idp=document["idp"],
        steps=tuple(steps),
        title=document.get("title", ""),
        description=document.get("description", ""),
        provenance=document.get("provenance"),
        source=document.get("source"),
        dialect=document.get("dialect"),
        tags=tuple(document.get("tags", ())),
        requires=tuple(document.get("requires", ())),
        cleanup=document.get("cleanup", True),
        variables=dict(document.get("variables", {})),
        path=path,
        document=document,
    )


def _check_placeholders(
    value: Any, defined: set[str], source: str, path: str, step: str | None
) -> None:
    if isinstance(value, str):
        for name in placeholders(value):
            if name not in defined:
                known = ", ".join(sorted(defined))
                raise RecordingError(
                    f"${{{name}}} is not defined here (defined so far: {known}); declare it in "
                    "'variables' or capture it in an earlier step",
                    source=source,
                    json_path=path,
                    step=step,
                )
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_placeholders(item, defined, source, json_path(path, i), step)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_placeholders(key, defined, source, path, step)
            _check_placeholders(item, defined, source, json_path(path, key), step)


def _build_step(index: int, raw: Mapping[str, Any]) -> Step:
    request = raw["request"]
    expect = raw.get("expect", {})
    status = expect.get("status", ())
    return Step(
        index=index,
        name=raw["name"],
        request=RequestSpec(
            method=request["method"],
            path=request["path"],
            query=dict(request.get("query", {})),
            headers=dict(request.get("headers", {})),
            json=request.get("json"),
            has_json="json" in request,
            body=request.get("body"),
        ),
        expect=Expect(
            status=(status,) if isinstance(status, int) else tuple(status),
            headers=dict(expect.get("headers", {})),
            json=expect.get("json"),
            has_json="json" in expect,
        ),
        capture=dict(raw.get("capture", {})),
        level=raw.get("level", "MUST"),
        rfc=raw.get("rfc"),
        impact=raw.get("impact"),
        description=raw.get("description"),
        requires=tuple(raw.get("requires", ())),
        quirk=raw.get("quirk"),
        interop=_interop(raw["interop"], raw.get("impact")) if "interop" in raw else None,
        requirement=raw.get("requirement"),
    )


def _interop(raw: Mapping[str, Any], impact: str | None) -> dict[str, Interop]:
    """``{"entra": "what breaks"}`` (a blocker) or ``{"entra": {"severity": …, "impact": …}}``."""
    out: dict[str, Interop] = {}
    for idp, spec in raw.items():
        if isinstance(spec, str):
            out[idp] = Interop("blocker", spec)
        else:
            text = spec.get("impact") or impact or f"breaks {idp}"
            out[idp] = Interop(spec.get("severity", "blocker"), text)
    return out


def load_file(path: str | Path) -> Recording:
    """Read, validate and build one recording file."""
    file = Path(path)
    source = str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise RecordingError(f"cannot read the file: {exc.strerror or exc}", source=source) from exc
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordingError(
            f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}", source=source
        ) from exc
    return load_dict(document, source=source, path=file)


def _files(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for entry in paths:
        p = Path(entry)
        if p.is_dir():
            files.extend(sorted(f for f in p.rglob("*.json") if f.is_file()))
        else:
            files.append(p)
    return files


def collect_recordings(
    paths: Iterable[str | Path] | None = None,
) -> tuple[list[Recording], list[RecordingError]]:
    """Load every recording under ``paths`` (files or directories, searched for ``*.json``).

    Defaults to the bundled recordings. Bad files do not stop the others: they come back as errors
    (the runner reports them as ERROR). A name used by two files is an error on the second.
    """
    recordings: list[Recording] = []
    errors: list[RecordingError] = []
    seen: dict[str, str] = {}
    for file in _files([bundled_recordings_dir()] if paths is None else paths):
        try:
            rec = load_file(file)
        except RecordingError as exc:
            errors.append(exc)
            continue
        if rec.name in seen:
            errors.append(
                RecordingError(
                    f"the name {rec.name!r} is already used by {seen[rec.name]}",
                    source=str(file),
                    json_path="$.name",
                )
            )
            continue
        seen[rec.name] = str(file)
        recordings.append(rec)
    return recordings, errors


def load_recordings(paths: Iterable[str | Path] | None = None) -> list[Recording]:
    """Like :func:`collect_recordings` but raise the first :class:`RecordingError`."""
    recordings, errors = collect_recordings(paths)
    if errors:
        raise errors[0]
    return recordings


def select(
    recordings: Iterable[Recording],
    *,
    idps: Iterable[str] | None = None,
    keyword: str | None = None,
) -> list[Recording]:
    """Recordings of the given IdPs (``rfc`` names the RFC suite) matching a keyword expression.

    ``keyword`` is searched in the name, title, tags and dialect, case-insensitively; ``a or b``,
    ``a and b`` and ``not a`` combine terms as pytest ``-k`` does.
    """
    wanted = {i.strip().lower() for i in idps if i.strip()} if idps is not None else None
    out = []
    for rec in recordings:
        if wanted is not None and rec.idp not in wanted:
            continue
        if keyword and not _keyword_matches(keyword, rec):
            continue
        out.append(rec)
    return out


def _keyword_matches(expression: str, rec: Recording) -> bool:
    haystack = " ".join([rec.name, rec.title, *rec.tags, rec.dialect or ""]).lower()
    # A tiny boolean language: alternatives split on ' or ', conjuncts on ' and ', 'not ' negates.
    for alternative in expression.lower().split(" or "):
        ok = True
        for term in alternative.split(" and "):
            term = term.strip()
            negate = term.startswith("not ")
            if negate:
                term = term[4:].strip()
            if (term in haystack) == negate:
                ok = False
                break
        if ok:
            return True
    return False
