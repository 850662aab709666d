#!/usr/bin/env bash
# graph-mirage's own methods beside the paper's table: the automatic default (mirage-auto), the improved distiller at
# one fixed setting (mirage-proto), and Herding / Random at mirage-auto's bytes, with the same protocols as
# paper_table.sh; then one table merged with paper_table.json (full data, paper preset, budget default, Herding and
# Random at the budget default's graph count).
set -euo pipefail
cd "$(dirname "$0")/.."
M="--methods mirage-auto mirage-proto herding-bytes random-bytes"
mirage bench --datasets ogbg-molbace ogbg-molbbbp NCI1 --seeds 3 $M --name auto_table_a "$@"
mirage bench --datasets DD ogbg-molhiv --seeds 3 $M --name auto_table_large "$@"
mirage bench --datasets MUTAG PROTEINS IMDB-BINARY --folds 10 --fold-seeds 1 $M --name auto_table_folds "$@"
mirage bench --merge benchmarks/results/paper_table.json benchmarks/results/auto_table_a.json \
    benchmarks/results/auto_table_large.json benchmarks/results/auto_table_folds.json --name auto_table --quiet
