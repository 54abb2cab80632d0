"""Importers: other suites' test definitions → ``scim-recording/1``, to run offline."""

from __future__ import annotations

from conformance.importers._postman import import_postman
from conformance.importers._runscope import import_okta_runscope

__all__ = ["import_okta_runscope", "import_postman"]
