"""``python -m graph_mirage ...`` is the same as ``mirage ...``."""

import sys

from .cli import main

sys.exit(main())
