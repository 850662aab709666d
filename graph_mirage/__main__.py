"""``python -m graph_mirage`` runs the ``mirage`` command line."""

from .cli import run

run()
