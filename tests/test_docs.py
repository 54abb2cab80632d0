"""README.md and docs/: every code block runs as printed (sybil), and the site builds strictly.

The conventions (documented in docs/writing-docs.md):

- ``python`` blocks run, in order, in one namespace per page, in a fresh temporary directory; a
  block that starts with ``>>>`` is a doctest and its output is checked.
- ``bash`` blocks run (``bash -e``) in that directory with this environment's commands first on
  ``PATH``, and must exit 0. ``console`` blocks show ``$ command`` lines with their output, which
  is checked (``...`` matches anything).
- A shell block that cannot run here (a server that runs until stopped, a live IdP endpoint, the
  test suite itself) is preceded by ``<!-- not-run: the reason -->``; its ``scimcore`` and
  ``scim-conformance`` command lines are still parsed by the real argument parsers.
- ``toml`` blocks are ``scimcore serve`` config files (or attribute-mapping files, when they have
  ``rules``) and are loaded as such; ``json`` blocks parse, and a ``scim-recording/1`` one loads;
  ``yaml`` blocks (CI jobs) parse and their command lines are parsed as above.
"""

from __future__ import annotations

import doctest
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sybil = pytest.importorskip("sybil", reason="sybil is in the test extra")

from sybil import Document, Example  # noqa: E402
from sybil.parsers.markdown import CodeBlockParser, PythonCodeBlockParser  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
LANGUAGES = {"python", "bash", "console", "toml", "json", "yaml"}
NOT_RUN = re.compile(r"<!--\s*not-run:\s*(?P<reason>[^>]*?)\s*-->\s*\Z")
FENCE = re.compile(r"^[ \t]*```(?P<lang>[^\s`]*)", re.MULTILINE)
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _not_run_reason(example: Example) -> str | None:
    """The reason of a ``<!-- not-run: … -->`` comment right before the block, if any."""
    before = example.document.text[: example.start].rstrip() + "\n"
    found = NOT_RUN.search(before.rstrip())
    if found is None:
        return None
    reason = found["reason"].strip()
    assert reason, f"{example.path}:{example.line}: a not-run comment must give its reason"
    return reason


def _commands(source: str) -> Iterator[list[str]]:
    """Shell command lines (continuations joined, comments dropped), split into words."""
    text = source.replace("\\\n", " ")
    for line in text.splitlines():
        words = shlex.split(line, comments=True)
        while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
            words = words[1:]  # VAR=value before the command
        if words:
            yield words


def _check_cli(words: list[str], where: str) -> None:
    """Parse a ``scimcore``/``scim-conformance`` command line with the real parser."""
    if words[:3] == ["python", "-m", "scimcore"]:
        words = ["scimcore", *words[3:]]
    if words[0] == "scimcore":
        from scimcore.cli import build_parser
    elif words[0] == "scim-conformance":
        from conformance.cli import build_parser
    else:
        return
    try:
        build_parser().parse_args(words[1:])
    except SystemExit as exc:
        assert exc.code in (0, None), f"{where}: {shlex.join(words)} does not parse"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)
    env.pop("SCIM_CONFORMANCE_TOKEN", None)
    return env


def _where(example: Example) -> str:
    return f"{Path(example.path).relative_to(ROOT)}:{example.line}"


def _run_bash(example: Example) -> str | None:
    source = str(example.parsed)
    if _not_run_reason(example) is not None:
        for words in _commands(source):
            _check_cli(words, _where(example))
        return None
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", source],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        return f"{_where(example)}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return None


def _run_console(example: Example) -> str | None:
    """``$ command`` lines, each followed by its expected output (``[exit N]`` last if not 0)."""
    if _not_run_reason(example) is not None:
        for line in str(example.parsed).splitlines():
            if line.startswith("$ "):
                for words in _commands(line[2:]):
                    _check_cli(words, _where(example))
        return None
    sessions: list[tuple[str, list[str]]] = []
    for line in str(example.parsed).splitlines():
        if line.startswith("$ "):
            sessions.append((line[2:], []))
        else:
            assert sessions, f"{_where(example)}: a console block starts with a $ line"
            sessions[-1][1].append(line)
    checker = doctest.OutputChecker()
    for command, lines in sessions:
        status = 0
        if lines and (m := re.fullmatch(r"\[exit (\d+)\]", lines[-1].strip())):
            status, lines = int(m[1]), lines[:-1]
        result = subprocess.run(
            ["bash", "-o", "pipefail", "-c", command],
            capture_output=True,
            text=True,
            env=_env(),
            timeout=120,
            check=False,
        )
        got = result.stdout + result.stderr
        want = "\n".join(lines).strip() + "\n"
        if result.returncode != status or not checker.check_output(want, got, FLAGS):
            return (
                f"{_where(example)}: $ {command}\nexit {result.returncode} (expected {status})\n"
                f"expected:\n{want}got:\n{got}"
            )
    return None


def _check_toml(example: Example) -> str | None:
    data = tomllib.loads(str(example.parsed))
    if "rules" in data or "preset" in data:
        from scimcore.mapping import mapping_from_dict

        mapping_from_dict(data)
    else:
        from scimcore.service._settings import settings_from_mapping

        settings_from_mapping(data, base=Path.cwd())
    return None


def _check_json(example: Example) -> str | None:
    data = json.loads(str(example.parsed))
    if isinstance(data, dict) and data.get("format") == "scim-recording/1":
        from conformance import load_dict

        load_dict(data)
    return None


def _check_yaml(example: Example) -> str | None:
    yaml = pytest.importorskip("yaml", reason="PyYAML comes with the docs extra")
    data = yaml.safe_load(str(example.parsed))
    assert isinstance(data, dict), f"{_where(example)}: a CI job is a mapping"

    def scripts(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("run", "script", "before_script") and isinstance(value, str):
                    yield value
                elif key in ("script", "before_script") and isinstance(value, list):
                    yield from (v for v in value if isinstance(v, str))
                else:
                    yield from scripts(value)
        elif isinstance(node, list):
            for item in node:
                yield from scripts(item)

    found = [words for text in scripts(data) for words in _commands(text)]
    assert found, f"{_where(example)}: no command found in the job"
    for words in found:
        _check_cli(words, _where(example))
    return None


PARSERS = [
    PythonCodeBlockParser(doctest_optionflags=FLAGS),
    CodeBlockParser("bash", _run_bash),
    CodeBlockParser("console", _run_console),
    CodeBlockParser("toml", _check_toml),
    CodeBlockParser("json", _check_json),
    CodeBlockParser("yaml", _check_yaml),
]


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_every_code_block_runs_as_printed(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ROOT))
    document = Document.parse(str(page), *PARSERS)
    examples = list(document.examples())
    fences = len(FENCE.findall(document.text)) // 2
    assert len(examples) >= fences or not fences, f"{_id(page)}: a block was not collected"
    for example in examples:
        example.evaluate()  # a failure names the page and the line of the block


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_every_code_block_has_a_runner(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    openings = [m["lang"] for i, m in enumerate(FENCE.finditer(text)) if i % 2 == 0]
    unknown = [lang or "(none)" for lang in openings if lang not in LANGUAGES]
    assert unknown == [], f"{_id(page)}: blocks in languages no test runs: {unknown}"


def test_the_conventions_are_documented() -> None:
    guide = (ROOT / "docs" / "writing-docs.md").read_text(encoding="utf-8")
    assert "<!-- not-run:" in guide
    for lang in LANGUAGES:
        assert f"`{lang}`" in guide, lang


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs", reason="mkdocs is in the docs extra (.ci/run installs it)")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "reference" / "scimcore" / "index.html").exists()
