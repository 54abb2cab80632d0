"""``python -m conformance`` runs the ``scim-conformance`` command line."""

import sys

from conformance.cli import main

sys.exit(main())
