"""Reproduce the paper's table: `python benchmarks/paper_table.py [--quick] [...]` (same as `mirage bench`).

Writes benchmarks/results/bench.{json,md} (quick.{json,md} with --quick; --name NAME: NAME.{json,md}) and prints the
table. The committed paper_table.json is the merge of the three runs its header names.
"""

import sys

from graph_mirage.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
