#!/usr/bin/env python
"""Django's command line for the example site: ``python examples/django/manage.py migrate``."""

import os
import sys
from pathlib import Path


def main() -> None:
    """Run a Django management command with the example's settings."""
    root = str(Path(__file__).resolve().parents[2])  # the checkout, so ``examples`` imports
    if root not in sys.path:
        sys.path.insert(0, root)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "examples.django.scimsite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
