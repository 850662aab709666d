#!/usr/bin/env bash
# DosCond and KiDD (graph_mirage.baselines) at their authors' settings, in the protocols of the paper table, merged
# with the Mirage rows of auto_table.json into learned_table.{json,md}; then the README's summary and ratios.
# The two runs are independent (`--jobs 1` each: run them side by side on two cores).
set -euo pipefail
cd "$(dirname "$0")/.."
# NCI1 (random 80/10/10 split) and the OGB scaffold splits: 3 seeds of each set
mirage bench --datasets NCI1 ogbg-molbace ogbg-molbbbp --seeds 3 --methods doscond kidd --jobs 1 --name learned_a "$@"
# DD: 3 seeds (DosCond ~25 min and KiDD ~20 min of distillation on one core)
mirage bench --datasets DD --seeds 3 --methods doscond kidd --jobs 1 --name learned_dd "$@"
# ogbg-molhiv: 3 seeds (distillation ~5 min; 18 training runs evaluated on 4,000 + 4,000 molecules)
mirage bench --datasets ogbg-molhiv --seeds 3 --methods doscond kidd --jobs 2 --name learned_molhiv "$@"
mirage bench --merge benchmarks/results/auto_table.json benchmarks/results/learned_a.json \
    benchmarks/results/learned_dd.json benchmarks/results/learned_molhiv.json --name learned_table --quiet
python benchmarks/learned_table.py
