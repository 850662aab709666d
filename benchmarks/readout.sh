#!/usr/bin/env bash
# The readout decision: the distilled methods of the README's table again, with a mean readout instead of the
# recorded sum (same splits, seeds and folds as benchmarks/paper_table.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
M="--methods mirage-paper mirage --readout mean"
mirage bench --datasets ogbg-molbace ogbg-molbbbp NCI1 --seeds 3 $M --name readout_mean_a "$@"
mirage bench --datasets MUTAG PROTEINS IMDB-BINARY --folds 10 --fold-seeds 1 $M --name readout_mean_folds "$@"
mirage bench --datasets DD ogbg-molhiv --seeds 3 $M --name readout_mean_large "$@"
mirage bench --merge benchmarks/results/readout_mean_a.json benchmarks/results/readout_mean_folds.json \
    benchmarks/results/readout_mean_large.json --name readout_mean --quiet
