"""A transport that passes traffic through and writes it out as a new ``scim-recording/1``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance.recording import FORMAT
from conformance.transport._base import Request, Response, Transport

__all__ = ["RecordingTransport"]

# Headers the runner or the HTTP stack sets on its own, and secrets: never written out.
_DROP_HEADERS = frozenset(
    {
        "authorization",
        "cookie",
        "host",
        "content-length",
        "accept-encoding",
        "connection",
        "user-agent-internal",
    }
)
_VOLATILE = frozenset({"meta", "id"})


class RecordingTransport:
    """Wraps another transport; every exchange is kept so :meth:`recording` can write it out.

    Ids the service assigns are captured (``userId``, ``groupId``, ``userId2`` …) and replaced by
    ``${…}`` placeholders in every later request and expectation, so the written recording replays
    against any server. ``Authorization`` and cookies are never written.
    """

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.exchanges: list[tuple[Request, Response]] = []

    @property
    def target(self) -> str:
        """The wrapped transport's target."""
        return self.inner.target

    def send(self, request: Request) -> Response:
        """Send through the wrapped transport and remember the exchange."""
        response = self.inner.send(request)
        self.exchanges.append((request, response))
        return response

    def close(self) -> None:
        """Close the wrapped transport."""
        self.inner.close()

    def recording(
        self,
        name: str,
        *,
        idp: str,
        title: str = "",
        source: str = "captured with conformance.transport.RecordingTransport",
    ) -> dict[str, Any]:
        """The exchanges so far as a ``scim-recording/1`` document (provenance ``observed``)."""
        ids: dict[str, str] = {}  # assigned id value -> variable name
        steps = []
        for index, (request, response) in enumerate(self.exchanges):
            step: dict[str, Any] = {
                "name": f"{request.method.lower()}-{index}",
                "request": self._request(request, ids),
                "expect": {"status": response.status},
            }
            body = _json_or_none(response)
            if isinstance(body, dict):
                expected = self._expected(body, ids)
                if expected:
                    step["expect"]["json"] = expected
                new_id = body.get("id")
                if (
                    request.method == "POST"
                    and isinstance(new_id, str)
                    and new_id
                    and new_id not in ids
                ):
                    var = _variable_for(request.path, set(ids.values()))
                    ids[new_id] = var
                    step["capture"] = {var: "/id"}
            steps.append(step)
        return {
            "format": FORMAT,
            "name": name,
            "idp": idp,
            "title": title or name,
            "provenance": "observed",
            "source": source,
            "steps": steps,
        }

    def save(self, path: str | Path, name: str, *, idp: str, title: str = "") -> Path:
        """Write :meth:`recording` to ``path`` as indented JSON; returns the path."""
        target = Path(path)
        document = self.recording(name, idp=idp, title=title)
        target.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        return target

    def _request(self, request: Request, ids: dict[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "method": request.method,
            "path": _placehold(request.path, ids),
        }
        if request.query:
            out["query"] = {k: _placehold(v, ids) for k, v in request.query.items()}
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _DROP_HEADERS}
        if headers:
            out["headers"] = headers
        if request.body:
            decoded = request.json()
            if decoded is None:
                out["body"] = _placehold(request.body.decode("utf-8", errors="replace"), ids)
            else:
                out["json"] = _placehold_json(decoded, ids)
        return out

    def _expected(self, body: dict[str, Any], ids: dict[str, str]) -> dict[str, Any]:
        kept = {k: v for k, v in body.items() if k not in _VOLATILE}
        if "Resources" in kept:
            # Other clients' data may be listed too: keep only the shape.
            kept = {k: v for k, v in kept.items() if k == "schemas"}
        placeheld: dict[str, Any] = _placehold_json(kept, ids)
        if body.get("id") in ids:
            placeheld["id"] = "${" + ids[body["id"]] + "}"
        return placeheld


def _json_or_none(response: Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _variable_for(path: str, taken: set[str]) -> str:
    segment = path.strip("/").split("/", 1)[0] or "resource"
    base = segment[:-1] if segment.endswith("s") else segment
    base = (base[:1].lower() + base[1:]) + "Id"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}{n}"
    return name


def _placehold(text: str, ids: dict[str, str]) -> str:
    text = text.replace("${", "$${")
    for value, var in ids.items():
        text = text.replace(value, "${" + var + "}")
    return text


def _placehold_json(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return _placehold(value, ids)
    if isinstance(value, list):
        return [_placehold_json(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _placehold_json(v, ids) for k, v in value.items()}
    return value
