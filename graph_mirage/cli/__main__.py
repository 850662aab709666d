"""``python -m graph_mirage.cli`` runs the ``mirage`` command line."""

import sys

from . import main

sys.exit(main())
