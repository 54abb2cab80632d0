"""``python -m scimcore`` runs the ``scimcore`` command line."""

import sys

from scimcore.cli import main

sys.exit(main())
