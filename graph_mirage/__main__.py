"""``python -m graph_mirage`` runs the ``mirage`` command line."""

import sys

from .cli import main

sys.exit(main())
