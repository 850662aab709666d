#!/usr/bin/env bash
# Converged full-data reference runs (early stopping on validation), cached one JSON per run in
# benchmarks/results/full_reference/ and read by `mirage bench`. Slow on 2 cores (see README); re-running skips
# every run that is already cached, so it can be stopped and resumed.
set -euo pipefail
cd "$(dirname "$0")/.."
# OGB scaffold splits and the larger TU datasets on their random split: 3 seeds
mirage bench --methods full --datasets ogbg-molbace ogbg-molbbbp NCI1 --seeds 3 --name full_reference_a "$@"
# small TU datasets: 10-fold cross-validation (Errica et al.), one seed per fold
mirage bench --methods full --datasets MUTAG PROTEINS IMDB-BINARY --folds 10 --fold-seeds 1 \
    --name full_reference_folds "$@"
# DD and ogbg-molhiv: a converged run costs 5-15 minutes each on one core, so one seed per GNN
mirage bench --methods full --datasets DD ogbg-molhiv --seeds 3 --full-seeds 1 --name full_reference_large "$@"
