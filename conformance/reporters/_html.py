"""A self-contained HTML report (inline CSS, no scripts, nothing external) a vendor can send."""

from __future__ import annotations

import datetime as _dt
from html import escape
from pathlib import Path
from typing import Any

from conformance.redact import Redactor
from conformance.reporters._data import idp_name, run_to_dict
from conformance.results import RunResult

__all__ = ["html_report", "write_html"]

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2em auto;max-width:72em;
color:#1d2330;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:1px solid #d8dde6}
table{border-collapse:collapse;margin:.6em 0}td,th{padding:.25em .8em;border:1px solid #d8dde6;
text-align:left}th{background:#f3f5f9}
.b{display:inline-block;min-width:4.6em;text-align:center;border-radius:3px;padding:0 .4em;
font-size:.8em;font-weight:600;color:#fff;text-transform:uppercase}
.passed{background:#2f8a4c}.failed{background:#c23b30}.error{background:#7b3fa0}
.warned{background:#c98a12}.skipped{background:#7b8494}
details{margin:.3em 0;border:1px solid #e3e7ee;border-radius:4px;padding:.3em .6em}
details details{margin-left:1em}summary{cursor:pointer}
pre{background:#f6f8fa;padding:.6em;overflow:auto;max-height:30em;font-size:12px}
.mm{color:#c23b30;font-family:ui-monospace,monospace}.muted{color:#6a7385}
ol.fixes li{margin-bottom:.6em}
"""


def _badge(outcome: str) -> str:
    return f'<span class="b {escape(outcome)}">{escape(outcome)}</span>'


def _pre(label: str, lines: list[str]) -> str:
    text = "\n".join(lines).strip()
    if not text:
        return ""
    return f"<div><b>{escape(label)}</b><pre>{escape(text)}</pre></div>"


def _exchange(step: dict[str, Any]) -> str:
    parts = []
    req = step.get("request")
    if req:
        query = "&".join(f"{k}={v}" for k, v in req["query"].items())
        lines = [f"{req['method']} {req['path']}{'?' + query if query else ''}"]
        lines += [f"{k}: {v}" for k, v in req["headers"].items()]
        if req["body"]:
            lines += ["", req["body"]]
        parts.append(_pre("Request", lines))
    resp = step.get("response")
    if resp:
        lines = [f"HTTP {resp['status']}"]
        lines += [f"{k}: {v}" for k, v in resp["headers"].items()]
        if resp["body"]:
            lines += ["", resp["body"]]
        parts.append(_pre("Response", lines))
    return "".join(parts)


def _step(step: dict[str, Any]) -> str:
    meta = " · ".join(escape(x) for x in (step["level"], step["rfc"] or "") if x)
    axes = [f"RFC {step['rfc_outcome']}"]
    axes += [f"{idp_name(idp)} {outcome}" for idp, outcome in step["interop"].items()]
    meta += " · " + escape("; ".join(axes))
    first = step["mismatches"][0]["message"] if step["mismatches"] else step["reason"]
    head = (
        f"{_badge(step['outcome'])} #{step['index']} {escape(step['name'])} "
        f"<span class='muted'>{meta}</span>"
    )
    if first and step["outcome"] != "passed":
        head += f" — <span class='mm'>{escape(first)}</span>"
    body = []
    if step["description"]:
        body.append(f"<p>{escape(step['description'])}</p>")
    if step["quirk"]:
        body.append(f"<p><b>IdP quirk:</b> {escape(step['quirk'])}</p>")
    if step["impact"]:
        body.append(f"<p><b>Impact:</b> {escape(step['impact'])}</p>")
    for m in step["mismatches"]:
        body.append(f"<p class='mm'>{escape(m['path'])}: {escape(m['message'])}</p>")
    if step["reason"]:
        body.append(f"<p>{escape(step['reason'])}</p>")
    body.append(_exchange(step))
    is_open = " open" if step["outcome"] in ("failed", "error") else ""
    return f"<details{is_open}><summary>{head}</summary>{''.join(body)}</details>"


def _recording(rec: dict[str, Any]) -> str:
    bits = [x for x in (rec["dialect"], rec["provenance"]) if x]
    head = (
        f"{_badge(rec['outcome'])} <b>{escape(rec['name'])}</b> {escape(rec['title'] or '')} "
        f"<span class='muted'>{escape(' · '.join(bits))} · {rec['duration'] * 1000:.0f} ms</span>"
    )
    body = []
    if rec["source"]:
        body.append(f"<p class='muted'>Source: {escape(rec['source'])}</p>")
    if rec["reason"]:
        body.append(f"<p>{escape(rec['reason'])}</p>")
    body.extend(_step(s) for s in rec["steps"])
    if rec["cleanup"]:
        body.append(f"<p class='muted'>Clean-up: {escape('; '.join(rec['cleanup']))}</p>")
    is_open = " open" if rec["outcome"] in ("failed", "error") else ""
    return f"<details{is_open}><summary>{head}</summary>{''.join(body)}</details>"


def _verdicts(verdicts: dict[str, Any]) -> list[str]:
    out = []
    if verdicts["idps"]:
        out.append("<h2>Will it work with your IdP?</h2><table>")
        out.append("<tr><th>IdP</th><th>Works?</th><th>What breaks</th></tr>")
        for row in verdicts["idps"].values():
            impacts = "<br>".join(escape(i) for i in row["impacts"])
            out.append(
                f"<tr><td>{escape(row['name'])}</td><td>{_badge(row['outcome'])} "
                f"{escape(row['works'])}</td><td>{impacts}</td></tr>"
            )
        out.append("</table>")
    out.append("<h2>RFC conformance</h2><table>")
    out.append("<tr><th>Level</th><th>Met</th><th>Not met in</th></tr>")
    for level, row in verdicts["rfc"]["levels"].items():
        met = row["checked"] - row["not_met"]
        out.append(
            f"<tr><td>{escape(level)}</td><td>{met}/{row['checked']}</td>"
            f"<td>{escape(', '.join(row['sections']))}</td></tr>"
        )
    out.append("</table>")
    return out


def html_report(
    run: RunResult, *, redactor: Redactor | None = None, generated: _dt.datetime | None = None
) -> str:
    """The run as one HTML document with everything inline."""
    data = run_to_dict(run, redactor)
    when = (generated or _dt.datetime.now(_dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    counts = data["counts"]
    verdict = {0: "passed", 1: "failed"}.get(data["exit_code"], "error")
    out = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        f"<title>SCIM conformance report: {escape(data['target'])}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>SCIM conformance report {_badge(verdict)}</h1>",
        f"<p class='muted'>Target: {escape(data['target'])} · generated {when} · "
        f"{data['duration']:.2f} s · scim-conformance</p>",
        "<p>" + " · ".join(f"{n} {escape(k)}" for k, n in counts.items() if n) + "</p>",
    ]
    if data["capability_note"]:
        out.append(f"<p class='muted'>{escape(data['capability_note'])}</p>")
    out.extend(_verdicts(data["verdicts"]))
    if data["capability_truth"] or data["capability_advice"]:
        out.append("<h2>ServiceProviderConfig vs behaviour</h2><ul>")
        out.extend(f"<li>{escape(m['message'])}</li>" for m in data["capability_truth"])
        if data["capability_advice"]:
            out.append(f"<li><b>Hint:</b> {escape(data['capability_advice'])}</li>")
        out.append("</ul>")
    out.append("<h2>Summary per identity provider</h2><table><tr><th>IdP</th>")
    columns = ["passed", "warned", "failed", "error", "skipped"]
    out.append("".join(f"<th>{c}</th>" for c in columns) + "</tr>")
    for row in data["idps"].values():
        out.append(f"<tr><td>{escape(row['name'])}</td>")
        out.append("".join(f"<td>{row[c] or ''}</td>" for c in columns) + "</tr>")
    out.append("</table>")
    if data["fixes"]:
        failures = data["failures"]
        out.append(
            f"<h2>What to fix first: {len(data['fixes'])} root cause"
            f"{'' if len(data['fixes']) == 1 else 's'}, {failures} failure"
            f"{'' if failures == 1 else 's'}</h2><ol class='fixes'>"
        )
        for fix in data["fixes"]:
            checks = ", ".join(fix["checks"][:6])
            more = f" and {len(fix['checks']) - 6} more" if len(fix["checks"]) > 6 else ""
            out.append(
                f"<li><span class='mm'>{escape(fix['problem'])}</span> "
                f"<span class='muted'>({fix['failures']} failed checks)</span><br>"
                f"<b>{escape('; '.join(fix['impacts']))}</b><br>"
                f"<span class='muted'>{escape(', '.join(fix['idps']))} · "
                f"{escape(checks)}{escape(more)}</span></li>"
            )
        out.append("</ol>")
    by_idp: dict[str, list[dict[str, Any]]] = {}
    for rec in data["recordings"]:
        by_idp.setdefault(rec["idp"], []).append(rec)
    for idp, recs in by_idp.items():
        out.append(f"<h2>{escape(data['idps'][idp]['name'])}</h2>")
        out.extend(_recording(r) for r in recs)
    out.append("</body></html>\n")
    return "".join(out)


def write_html(run: RunResult, path: str | Path, *, redactor: Redactor | None = None) -> Path:
    """Write the HTML report."""
    target = Path(path)
    target.write_text(html_report(run, redactor=redactor), encoding="utf-8")
    return target
