"""Optional dependencies: import one, or fail with the ``pip install 'scimcore[extra]'`` to run."""

from __future__ import annotations

import importlib
from types import ModuleType

from scimcore.errors import ConfigurationError


def missing_extra(feature: str, module: str, extra: str) -> ConfigurationError:
    """The one-line error for a feature whose optional dependency is not installed."""
    return ConfigurationError(f"{feature} needs {module}: pip install 'scimcore[{extra}]'")


def require(module: str, *, extra: str, feature: str) -> ModuleType:
    """Import ``module``, or raise :class:`ConfigurationError` naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.split(".")[0] != exc.name.split(".")[0]:
            raise  # the module is there but something it imports is broken: show that
        raise missing_extra(feature, module, extra) from None
