"""conformance: replay recorded IdP SCIM traffic against any SCIM endpoint."""

__version__ = "0.1.0"

__all__ = ["__version__"]
