"""Reproduce the paper's table: `python benchmarks/paper_table.py [--quick] [...]` (same as `mirage bench`).

Writes benchmarks/results/paper_table.{json,md} (or quick.{json,md} with --quick) and prints the table.
"""

import sys

from graph_mirage.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
