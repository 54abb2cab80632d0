"""Lazy imports: which modules a command or an import loads (no timings, the module sets)."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Package roots whose names are re-exported lazily (PEP 562 ``__getattr__``).
LAZY_ROOTS = [
    "scimcore",
    "scimcore.audit",
    "scimcore.policy",
    "conformance",
    "conformance.fuzz",
    "conformance.transport",
]

HEAVY_THIRD_PARTY = ["hypothesis", "httpx", "jsonschema", "cattrs", "uvicorn", "psycopg"]


def _loaded(code: str) -> set[str]:
    """Run ``code`` in a fresh interpreter; return the modules it ended with."""
    script = (
        "import sys, json\n"
        f"{code}\n"
        "sys.stdout.flush()\n"
        "sys.__stdout__.write('\\n@@' + json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert "@@" in result.stdout, result.stdout + result.stderr
    return set(json.loads(result.stdout.rsplit("@@", 1)[1]))


def _main(module: str, *argv: str) -> str:
    """Code that runs a command line's ``main(argv)`` as the console script would."""
    return (
        f"from {module} import main\ntry:\n    main({list(argv)!r})\nexcept SystemExit:\n    pass\n"
    )


def _present(modules: set[str], names: list[str]) -> list[str]:
    return sorted(n for n in names if n in modules or any(m.startswith(n + ".") for m in modules))


def test_import_scimcore_loads_no_layer() -> None:
    modules = _loaded("import scimcore")
    ours = sorted(m for m in modules if m.startswith("scimcore."))
    assert ours == ["scimcore._lazy"]
    assert _present(modules, [*HEAVY_THIRD_PARTY, "attrs", "attr"]) == []


def test_a_headline_name_loads_only_its_layers() -> None:
    modules = _loaded("from scimcore import parse_filter; parse_filter('userName eq \"a\"')")
    assert "scimcore.filter" in modules
    unwanted = ["scimcore.audit", "scimcore.service", "scimcore.store", "scimcore.models"]
    assert _present(modules, [*unwanted, *HEAVY_THIRD_PARTY]) == []


def test_apply_patch_does_not_load_the_service_or_audit() -> None:
    modules = _loaded("import scimcore; scimcore.apply_patch")
    assert "scimcore.patch" in modules
    assert _present(modules, ["scimcore.audit", "scimcore.service", "hypothesis", "httpx"]) == []


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["serve", "--help"]])
def test_scimcore_help_does_not_load_the_service(argv: list[str]) -> None:
    modules = _loaded(_main("scimcore.cli", *argv))
    assert _present(modules, ["scimcore.service", "scimcore.store", "scimcore.audit._log"]) == []
    assert _present(modules, HEAVY_THIRD_PARTY) == []


@pytest.mark.parametrize(
    "argv", [["--help"], ["--version"], ["run", "--help"], ["fuzz", "--help"], ["list", "--help"]]
)
def test_scim_conformance_help_loads_neither_hypothesis_nor_httpx(argv: list[str]) -> None:
    modules = _loaded(_main("conformance.cli", *argv))
    assert _present(modules, ["conformance.runner", "conformance.loader", "scimcore.service"]) == []
    assert _present(modules, HEAVY_THIRD_PARTY) == []


def test_scim_conformance_list_and_run_do_not_load_hypothesis() -> None:
    listing = _loaded(_main("conformance.cli", "list", "--idp", "okta"))
    assert "conformance.loader" in listing
    assert _present(listing, ["hypothesis", "httpx", "conformance.fuzz._machine"]) == []
    run = _loaded(_main("conformance.cli", "run", "-q", "--idp", "okta", "-k", "lifecycle"))
    assert "conformance.runner" in run and "scimcore.service" in run
    assert _present(run, ["hypothesis", "conformance.fuzz._machine", "conformance.fuzz._run"]) == []


def test_import_conformance_and_its_fuzz_package_stay_light() -> None:
    modules = _loaded("import conformance, conformance.fuzz, conformance.transport")
    assert _present(modules, ["hypothesis", "httpx", "jsonschema", "scimcore"]) == []


def test_a_config_file_knows_the_policy_and_audit_sections_without_eager_imports() -> None:
    code = (
        "from scimcore.service._settings import settings_from_mapping\n"
        "s = settings_from_mapping({'policy': {'password_sync': True}, "
        "'audit': {'retention_days': 30}})\n"
        "print('SECTIONS', s.config.change_password, type(s.config.audit_sink).__name__)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "SECTIONS True AuditSettings" in result.stdout


def _type_checking_imports(module: str) -> dict[str, str]:
    """The ``if TYPE_CHECKING:`` imports of a package root: name -> defining module."""
    path = Path(importlib.import_module(module).__file__ or "")
    found: dict[str, str] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom) and stmt.module:
                    for alias in stmt.names:
                        found[alias.asname or alias.name] = stmt.module
    return found


@pytest.mark.parametrize("root", LAZY_ROOTS)
def test_every_public_name_resolves_and_type_checkers_see_it(root: str) -> None:
    package = importlib.import_module(root)
    seen = _type_checking_imports(root)
    assert seen, f"{root}: no `if TYPE_CHECKING:` imports for type checkers"
    for name in package.__all__:
        value = getattr(package, name)
        assert value is not None, name
        assert name in dir(package)
        if name in seen:
            defining = importlib.import_module(seen[name])
            assert getattr(defining, name) is value, name
    lazy = set(getattr(package, "_EXPORTS", {})) or set(getattr(package, "_LAZY", set()))
    assert lazy <= set(seen), f"{root}: lazily exported but hidden from type checkers"
    assert lazy <= set(package.__all__)


@pytest.mark.parametrize("root", LAZY_ROOTS)
def test_an_unknown_name_is_an_attribute_error(root: str) -> None:
    package = importlib.import_module(root)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = package.nope


def test_the_root_api_is_unchanged() -> None:
    import scimcore

    exports = scimcore._EXPORTS
    assert set(scimcore.__all__) == {*exports, "__version__"}
    for name, module in exports.items():
        assert module.startswith("scimcore."), name


def test_the_store_package_does_not_import_sqlalchemy() -> None:
    modules = _loaded("import scimcore.store")
    assert _present(modules, ["sqlalchemy", "scimcore.store._table"]) == []
    modules = _loaded("import scimcore.store as s; s.TableStore, s.MetaStorage, s.TableGroups")
    assert "scimcore.store._table" in modules
    assert _present(modules, ["sqlalchemy"]) == []
