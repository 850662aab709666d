#!/usr/bin/env bash
# The README's table: three `mirage bench` runs (protocol per dataset group) merged into paper_table.{json,md}.
# Full-data runs come from benchmarks/results/full_reference/ (benchmarks/full_reference.sh), trained here if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
# OGB scaffold splits and NCI1 (random 80/10/10 split): 3 seeds
mirage bench --datasets ogbg-molbace ogbg-molbbbp NCI1 --seeds 3 --name paper_table_a "$@"
# small TU datasets: 10-fold cross-validation (Errica et al.), one seed per fold
mirage bench --datasets MUTAG PROTEINS IMDB-BINARY --folds 10 --fold-seeds 1 --name paper_table_folds "$@"
# DD and ogbg-molhiv: 3 seeds of every distilled set, one converged full-data run per GNN
mirage bench --datasets DD ogbg-molhiv --seeds 3 --full-seeds 1 --name paper_table_large "$@"
mirage bench --merge benchmarks/results/paper_table_a.json benchmarks/results/paper_table_folds.json \
    benchmarks/results/paper_table_large.json --name paper_table --quiet
