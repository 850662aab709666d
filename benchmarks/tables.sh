#!/usr/bin/env bash
# The benchmark tables of docs/results: every method beside its permuted-label control, the classic controls and a
# tuned full-data reference; 10 seeds (10 folds x 3 seeds on the small TU datasets); 95 % intervals and paired
# comparisons. Every run is cached in benchmarks/results/runs/ (keyed by all it depends on): re-running this script
# reads the cache and trains only what is missing. Runs cached before they recorded the decisions after the bias
# fitted on the validation split keep everything else; `--refresh` re-runs them (docs/results/README.md says which
# rows were refreshed). These are the commands behind the committed tables.json (about
# 6 hours on 2 cores from an empty cache); the rows they leave out are listed in docs/results/README.md.
#
# Since commit d3e22b2 the default (mirage-auto) stores its prototypes in one tree bank on a single-task dataset. The
# commands of the sections before the last one ran when mirage-auto had each prototype its own DAG — today's
# mirage-plain (--no-bank), the same sets byte for byte (tests/test_golden.py, variant "plain") — and sized
# herding-bytes and random-bytes to that set's bytes: re-run today they make the tree bank's set for mirage-auto and
# size the real graphs to it. Since a41e7a8 the tree bank's leaves carry their real degrees by default
# (AutoPrototypes(degrees=None), AUTO_DEGREES_IN_BANK): the tree-bank sections and the bytes sweep measured banks
# without them and carry --no-degrees, which makes those sets again. The last section, "the default since the tree
# bank", is today's default (a bank with leaf degrees: its runs are those of the leaf-degree section's mirage-bank,
# read from the cache by their keys) beside its rule without a bank (defaults.json: the README's table).
set -euo pipefail
cd "$(dirname "$0")/.."
C=benchmarks/results/runs
O=benchmarks/results
M="full mirage-paper mirage-auto herding-bytes random-bytes size-only wl-kernel permuted"
B="mirage bench --cache-dir $C --out $O --jobs 2"
$B --datasets ogbg-molbace ogbg-molbbbp --seeds 10 --methods $M --name table_a "$@"
$B --datasets NCI1 --seeds 10 --methods $M --name table_nci1 "$@"
# ogbg-molhiv: a distilled run costs 20-100 s (evaluation on 8,226 real graphs per epoch dominates), a converged
# full-data run 2-13 minutes on one core (the regularised recipe the most): 3 full-data seeds per recipe choose it,
# then 10 of the chosen one (OGB's rule); the default, herding and random at equal bytes, their controls and the
# classic controls
$B --datasets ogbg-molhiv --seeds 10 --full-seeds 10 \
    --methods full mirage-auto herding-bytes random-bytes size-only wl-kernel permuted --name table_hiv "$@"
# ogbg-moltox21: 12 tasks with missing labels; the paper's presets are single-task; full data: 3 seeds per recipe
# choose it, then 10 of the chosen one
$B --datasets ogbg-moltox21 --seeds 10 --full-seeds 10 \
    --methods full mirage-auto herding-bytes random-bytes size-only wl-kernel permuted \
    --name table_tox21 "$@"
# DD: a converged full-data run costs 1-10 minutes on one core (GAT the most): 3 seeds per recipe choose it, then 10
# of the chosen one; the default, herding and random at equal bytes, their controls and the classic controls
$B --datasets DD --seeds 10 --full-seeds 10 \
    --methods full mirage-auto herding-bytes random-bytes size-only wl-kernel permuted \
    --name table_dd "$@"
# the learned baselines at their authors' settings (one distillation each, ~2-4 minutes), with their controls
$B --datasets NCI1 --seeds 10 --methods doscond kidd permuted --name learned_nci1 "$@"
$B --datasets ogbg-molbace ogbg-molbbbp --seeds 10 --methods doscond kidd permuted --name learned_mol "$@"
# DD and ogbg-molhiv (each ran with --jobs 1 beside the other): DosCond distils DD in 26-35 minutes on one core,
# KiDD in 18-19 (256 real graphs per class per step); on ogbg-molhiv a run costs 20-90 s, most of it evaluation
$B --datasets DD --seeds 10 --methods doscond kidd permuted --name learned_dd10 "$@"
$B --datasets ogbg-molhiv --seeds 10 --methods doscond kidd permuted --name learned_hiv10 "$@"
# MUTAG by 10 folds x 3 seeds: one distillation per fold and method (about 1.5 minutes per fold for both)
$B --datasets MUTAG --folds 10 --fold-seeds 3 --seeds 3 --methods doscond kidd permuted --name learned_mutag "$@"
# PROTEINS the same way (with --jobs 1, beside another benchmark: about 6 minutes per fold for both distillations)
$B --datasets PROTEINS --folds 10 --fold-seeds 3 --seeds 3 --methods doscond kidd permuted --name learned_proteins "$@"
# IMDB-BINARY the same way (GCN and GIN, as its other rows; with --jobs 1: DosCond and KiDD 1-1.6 minutes per fold)
$B --datasets IMDB-BINARY --folds 10 --fold-seeds 3 --seeds 3 --methods doscond kidd permuted --name learned_imdb "$@"
# the small TU datasets by 10-fold cross-validation x 3 seeds: full data, the default, herding and random at equal
# bytes, their controls and the classic controls
$B --datasets MUTAG PROTEINS IMDB-BINARY --folds 10 --fold-seeds 3 --seeds 3 \
    --methods full mirage-auto herding-bytes random-bytes size-only wl-kernel permuted --name table_folds "$@"
# ogbg-moltox21: the paper's itemset form per task and label (5 graphs per task and label: about the default's bytes)
$B --datasets ogbg-moltox21 --seeds 10 --methods mirage permuted --budgets 5 --name table_tox21_itemsets "$@"
# three classes: the built-in synthetic-motifs (300 graphs) by 10-fold cross-validation x 3 seeds
$B --datasets synthetic-motifs --folds 10 --fold-seeds 3 --seeds 3 \
    --methods full mirage-auto herding-bytes random-bytes size-only wl-kernel permuted --name table_multiclass "$@"
# the paper's sets on DD and ogbg-molhiv (one set each: the release has no threshold steps there), with their controls;
# merged with table_dd and table_hiv, which give their opponents
$B --datasets DD --seeds 10 --methods mirage-paper permuted --name paper_dd "$@"
$B --datasets ogbg-molhiv --seeds 10 --methods mirage-paper permuted --name paper_hiv "$@"
# IMDB-BINARY: the release's 10 threshold steps, each trained per GNN and fold, the step chosen on validation
$B --datasets IMDB-BINARY --folds 10 --fold-seeds 3 --seeds 3 --methods mirage-paper permuted --name paper_imdb "$@"
mirage bench --merge $O/table_a.json $O/table_nci1.json $O/table_hiv.json $O/table_tox21.json $O/table_dd.json \
    $O/table_folds.json $O/table_tox21_itemsets.json $O/learned_nci1.json $O/learned_mol.json \
    $O/table_multiclass.json $O/paper_dd.json $O/paper_hiv.json $O/paper_imdb.json $O/learned_dd10.json \
    $O/learned_hiv10.json $O/learned_mutag.json $O/learned_proteins.json $O/learned_imdb.json --name tables \
    --out $O --quiet
python benchmarks/results_pages.py
# PROTEINS on its random split, with and without its continuous node attribute (full data: 3 seeds per recipe)
A="--datasets PROTEINS --seeds 10 --full-seeds 3 --methods full mirage-auto herding-bytes random-bytes size-only"
$B $A wl-kernel permuted --node-attributes --name proteins_attributes "$@"
$B $A wl-kernel permuted --name proteins_labels_only "$@"
# the earlier automatic default (candidates scored by training GIN) chose these settings; today's default beside them,
# paired over the same seeds (docs/results/README.md reads them; not merged into tables.json: the default's rows
# would repeat)
P="mirage bench --cache-dir $C --out $O --jobs 2 --methods mirage-auto mirage-proto permuted"
$P --datasets ogbg-molbace --seeds 10 --proto 2 1 --name old_default_molbace "$@"
$P --datasets ogbg-molbbbp --seeds 10 --proto 1 1 --name old_default_molbbbp "$@"
$P --datasets NCI1 --seeds 10 --proto 2 2 --name old_default_nci1 "$@"
$P --datasets DD --seeds 10 --proto 1 1 --name old_default_dd "$@"
$P --datasets ogbg-molhiv --seeds 3 --proto 1 1 --name old_default_hiv "$@"
mirage bench --merge $O/old_default_molbace.json $O/old_default_molbbbp.json $O/old_default_nci1.json \
    $O/old_default_dd.json $O/old_default_hiv.json --name old_default --out $O --quiet
# the bytes sweep (docs/results/bytes-sweep.md): the default's rule under a cap of 0.1 % to 30 % of the training
# bytes, herding and random as many graphs per class as fit in it, beside the cached full-data runs (paired); the
# small TU datasets by 10 folds x 1 seed, the others 3 seeds; then the knees
S="mirage bench --cache-dir $C --out $O --jobs 2 --no-degrees --fractions 0.001 0.01 0.03 0.1 0.3"
S="$S --methods full mirage-auto herding-bytes random-bytes"
for d in ogbg-molbace ogbg-molbbbp; do $S --datasets $d --seeds 3 --name sweep_$d "$@"; done
# the TU datasets with the tree bank's curve too (mirage-bank under the same caps)
for d in MUTAG IMDB-BINARY PROTEINS; do
    $S mirage-bank --datasets $d --folds 10 --fold-seeds 1 --seeds 1 --name sweep_$d "$@"
done
for d in DD NCI1; do $S mirage-bank --datasets $d --seeds 3 --name sweep_$d "$@"; done
$S --datasets ogbg-moltox21 --seeds 3 --full-seeds 2 --name sweep_ogbg-moltox21 "$@"  # full data: its first 2 seeds
python benchmarks/knee.py
# leaf degrees (docs/results/leaf-degrees.md): the default with its prototypes' leaves carrying their real degrees
# (exact GCN normalisation at depth 1), its control and the cached full-data runs; paired with the default above
D="mirage bench --cache-dir $C --out $O --jobs 2 --degrees"
$D --datasets synthetic-motifs MUTAG PROTEINS IMDB-BINARY --folds 10 --fold-seeds 3 --seeds 3 \
    --methods full mirage-auto permuted --name degrees_folds "$@"
$D --datasets ogbg-molbace ogbg-molbbbp NCI1 --seeds 10 --methods full mirage-auto permuted --name degrees_a "$@"
$D --datasets ogbg-moltox21 --seeds 10 --methods full mirage-auto permuted --name degrees_tox21 "$@"
$D --datasets DD --seeds 10 --methods mirage-auto permuted --name degrees_dd "$@"  # no full-data runs of DD
python benchmarks/prototype_variants.py degrees
# sampled roots (docs/results/sampled-roots.md): the default with each prototype's roots sampled over all of its
# cluster's trees (TreePrototypes(roots="sampled")), its control and the cached full-data runs; paired as above
V="mirage bench --cache-dir $C --out $O --jobs 2 --roots sampled"
$V --datasets NCI1 DD ogbg-molbace ogbg-molbbbp --seeds 10 --full-seeds 10 --methods full mirage-auto permuted \
    --name roots_sampled "$@"
$V --datasets synthetic-motifs MUTAG PROTEINS IMDB-BINARY --folds 10 --fold-seeds 3 --seeds 3 \
    --methods full mirage-auto permuted --name roots_folds "$@"
python benchmarks/prototype_variants.py roots
# ties spread (docs/results/max-roots.md): the default with the roots a prototype keeps from a run of equally frequent
# trees at its cut spread over that run, not its lowest tree ids (TreePrototypes(roots="even-ties")); DD, where 99 of
# the default's 100 prototypes are cut inside such a run; paired with today's default (defaults.json)
mirage bench --cache-dir $C --out $O --jobs 2 --roots even-ties --datasets DD --seeds 10 --methods mirage-auto permuted \
    --name even_ties_dd "$@"
python benchmarks/prototype_variants.py even-ties
# DD's models scored on the test nodes whose trees the default's set keeps, and on the others (docs/results/README.md,
# "Is it the trees the prototypes leave out?"; an exploration, about a minute)
python benchmarks/dd_head_trees.py --seeds 5
# more roots under the default's cap (docs/results/max-roots.md): the default's rule with --max-roots 256 on DD, where
# 32 roots keep 4 % of a cluster's nodes; paired with today's default (defaults.json); 5 minutes
mirage bench --cache-dir $C --out $O --jobs 2 --datasets DD --seeds 10 --models gcn gat gin \
    --methods full mirage-auto permuted --max-roots 256 --name maxroots_dd_256_cap1 "$@"
python benchmarks/prototype_variants.py max-roots
# training recipes on DD and NCI1 (docs/results/README.md, "Training recipes of distilled sets"): every distilled set
# and its control trained plain and regularised (dropout 0.5, weight decay 1e-4), the recipe chosen per GNN on
# validation as full data's is; the plain runs are those of table_dd and table_nci1 (cached), and recipes.py pairs
# each cell with its plain one
R="mirage bench --cache-dir $C --out $O --jobs 2 --recipes plain regularised"
$R --datasets DD --seeds 10 \
    --methods full mirage-auto herding-bytes random-bytes size-only wl-kernel permuted --name recipes_dd "$@"
$R --datasets NCI1 --seeds 10 \
    --methods full mirage-auto herding-bytes random-bytes size-only wl-kernel permuted --name recipes_nci1 "$@"
python benchmarks/recipes.py --pairs $O/recipes_dd.json:$O/table_dd.json $O/recipes_nci1.json:$O/table_nci1.json
# tree banks (docs/results/README.md, "Tree banks"): the default's rule with its prototypes in one tree bank (about
# ten times as many under the same cap), its control, beside the cached rows of the tables above (paired), with all
# 10 full-data seeds of the tables (a bank set trains on bank batches: sub-DAGs of its bank)
K="mirage bench --cache-dir $C --out $O --jobs 2 --no-degrees"
KM="full mirage-auto mirage-bank herding-bytes random-bytes size-only wl-kernel permuted"
$K --datasets NCI1 --seeds 10 --methods mirage-paper $KM --name bank_nci1 "$@"
$K --datasets ogbg-molbace ogbg-molbbbp --seeds 10 --methods mirage-paper $KM --name bank_mol "$@"
$K --datasets DD --seeds 10 --full-seeds 10 --methods $KM --name bank_dd "$@"
# ogbg-molhiv: a run on the bank's 200 graphs costs about a minute here
$K --datasets ogbg-molhiv --seeds 10 --full-seeds 10 --methods $KM --name bank_hiv "$@"
# ogbg-moltox21: every task's prototypes in one bank (the cap counts the merged set)
$K --datasets ogbg-moltox21 --seeds 10 --full-seeds 10 --methods $KM --name bank_tox21 "$@"
$K --datasets MUTAG PROTEINS IMDB-BINARY --folds 10 --fold-seeds 3 --seeds 3 --methods $KM --name bank_folds "$@"
$K --datasets synthetic-motifs --folds 10 --fold-seeds 3 --seeds 3 --methods $KM --name bank_multiclass "$@"
# the bank with leaf degrees (docs/results/leaf-degrees.md, last section), paired with the bank rows above
$D --datasets synthetic-motifs --folds 10 --fold-seeds 3 --seeds 3 --methods full mirage-auto mirage-bank permuted \
    --name degrees_bank_multiclass "$@"
$D --datasets MUTAG PROTEINS IMDB-BINARY --folds 10 --fold-seeds 3 --seeds 3 \
    --methods full mirage-auto mirage-bank permuted --name degrees_bank_folds "$@"
$D --datasets ogbg-molbace ogbg-molbbbp NCI1 --seeds 10 --methods full mirage-auto mirage-bank permuted \
    --name degrees_bank_a "$@"
$D --datasets DD --seeds 10 --methods mirage-auto mirage-bank permuted --name degrees_bank_dd "$@"
$D --datasets ogbg-molhiv --seeds 10 --methods mirage-bank permuted --name degrees_bank_hiv "$@"
python benchmarks/prototype_variants.py bank-degrees
# the bank's NCI1 set with 200 epochs instead of 100 (its runs choose late epochs): the same sets and seeds as bank_nci1.json, paired with its runs
$K --datasets NCI1 --seeds 10 --methods full mirage-bank --epochs 200 --name bank_epochs_nci1 "$@"
mirage bench --merge $O/bank_nci1.json $O/bank_mol.json $O/bank_dd.json $O/bank_hiv.json $O/bank_folds.json \
    $O/bank_multiclass.json $O/bank_tox21.json --name bank --out $O --quiet
python benchmarks/results_pages.py
# the default since the tree bank (README's table, docs/results/README.md "The default: a tree bank"): today's default
# (a tree bank on one task, its leaves with their degrees; its runs train on bank batches; ogbg-moltox21's several
# tasks keep their own DAGs without degrees), its rule with each prototype its own DAG (mirage-plain:
# the runs above, read from the cache by their keys), their controls, full data and the classic controls
T="full mirage-auto mirage-plain size-only wl-kernel permuted"
$B --datasets NCI1 --seeds 10 --methods $T --name default_nci1 "$@"
$B --datasets ogbg-molbace ogbg-molbbbp --seeds 10 --methods $T --name default_a "$@"
$B --datasets MUTAG PROTEINS IMDB-BINARY --folds 10 --fold-seeds 3 --seeds 3 --methods $T --name default_folds "$@"
$B --datasets synthetic-motifs --folds 10 --fold-seeds 3 --seeds 3 --methods $T --name default_multiclass "$@"
$B --datasets DD --seeds 10 --full-seeds 10 --methods $T --name default_dd "$@"
$B --datasets ogbg-moltox21 --seeds 10 --full-seeds 10 --methods $T --name default_tox21 "$@"
$B --datasets ogbg-molhiv --seeds 10 --full-seeds 10 --methods $T --name default_hiv "$@"
mirage bench --merge $O/default_a.json $O/default_nci1.json $O/default_hiv.json $O/default_tox21.json \
    $O/default_dd.json $O/default_folds.json $O/default_multiclass.json --name defaults --out $O --quiet
# today's default against herding's and random real graphs in its bytes, paired over the same seeds, each with its
# permuted control (the README table's columns; the default's, its control's and full data's runs are those above,
# read from the cache)
E="full mirage-auto herding-bytes random-bytes permuted"
$B --datasets NCI1 ogbg-molbace ogbg-molbbbp --seeds 10 --methods $E --name equal_bytes_a "$@"
$B --datasets DD --seeds 10 --full-seeds 10 --methods $E --name equal_bytes_dd "$@"
$B --datasets ogbg-moltox21 --seeds 10 --full-seeds 10 --methods $E --name equal_bytes_tox21 "$@"
$B --datasets MUTAG PROTEINS IMDB-BINARY --folds 10 --fold-seeds 3 --seeds 3 --methods $E --name equal_bytes_folds "$@"
$B --datasets synthetic-motifs --folds 10 --fold-seeds 3 --seeds 3 --methods $E --name equal_bytes_multiclass "$@"
$B --datasets ogbg-molhiv --seeds 10 --full-seeds 10 --methods $E --name equal_bytes_hiv "$@"
mirage bench --merge $O/equal_bytes_a.json $O/equal_bytes_dd.json $O/equal_bytes_tox21.json $O/equal_bytes_folds.json \
    $O/equal_bytes_multiclass.json $O/equal_bytes_hiv.json --name equal_bytes --out $O --quiet
# today's default beside the learned baselines at their authors' settings, paired over the same seeds (all runs above)
# the paper's IMDB-BINARY set beside today's default, paired over the same folds and seeds
mirage bench --merge $O/default_folds.json $O/paper_imdb.json --name paper_imdb_vs_default --out $O --quiet
mirage bench --merge $O/default_a.json $O/default_nci1.json $O/default_dd.json $O/default_hiv.json \
    $O/default_folds.json $O/learned_nci1.json $O/learned_mol.json $O/learned_dd10.json $O/learned_hiv10.json \
    $O/learned_mutag.json $O/learned_proteins.json $O/learned_imdb.json \
    --name default_vs_learned --out $O --quiet
python benchmarks/results_pages.py
# a higher learning rate for distilled sets on DD and ogbg-molhiv (docs/results/README.md, "A higher learning rate on
# DD"): today's default and its control trained plain and at Adam 1e-2, chosen on validation, paired with
# defaults.json (the tables also hold herding's and random graphs at both rates, added for the last section, which
# writes the same files); then what the models do epoch by epoch on DD (size_drift.py trains its own runs: the same
# settings, not read from the cache)
mirage bench --cache-dir $C --out $O --jobs 2 --recipes plain high-lr --datasets DD --seeds 10 \
    --methods full mirage-auto herding-bytes random-bytes size-only permuted --name highlr_dd "$@"
mirage bench --cache-dir $C --out $O --jobs 2 --recipes plain high-lr --datasets ogbg-molhiv --seeds 10 \
    --full-seeds 10 --methods full mirage-auto herding-bytes random-bytes size-only permuted --name highlr_hiv "$@"
python benchmarks/recipes.py --pairs $O/highlr_dd.json:$O/defaults.json $O/highlr_hiv.json:$O/defaults.json \
    --out $O/recipes_highlr
python benchmarks/size_drift.py --seeds 10 --permuted
# a prototype's roots stratified by their root label, so that its node labels are its cluster's exactly
# (TreePrototypes(roots="by-label"); docs/results/max-roots.md), paired with today's default (defaults.json)
mirage bench --cache-dir $C --out $O --jobs 2 --roots by-label --datasets DD --seeds 10 \
    --methods full mirage-auto size-only permuted --name by_label_dd "$@"
mirage bench --cache-dir $C --out $O --jobs 2 --roots by-label --datasets ogbg-molbace ogbg-molbbbp --seeds 10 \
    --methods full mirage-auto size-only permuted --name by_label_a "$@"
mirage bench --cache-dir $C --out $O --jobs 2 --roots by-label --datasets ogbg-molhiv --seeds 10 --full-seeds 10 \
    --methods full mirage-auto size-only permuted --name by_label_hiv "$@"
python benchmarks/prototype_variants.py by-label
# epoch selection on a smoothed validation curve, read from the warm-up runs (no training)
python benchmarks/selection_window.py
# how much of the gap to full data is depth: full data at the depth of the default's set (--full-layers), paired with
# defaults.json; and NCI1's set at three hops, the depth of its best closed-form score (--hops 3)
mirage bench --cache-dir $C --out $O --jobs 2 --datasets NCI1 --seeds 10 --methods full --full-layers 1 \
    --name full_depth_nci1 "$@"
mirage bench --cache-dir $C --out $O --jobs 2 --datasets ogbg-molbace --seeds 10 --methods full --full-layers 3 \
    --name full_depth_bace "$@"
mirage bench --cache-dir $C --out $O --jobs 2 --datasets ogbg-moltox21 --seeds 10 --full-seeds 10 --methods full \
    --full-layers 1 --name full_depth_tox21 "$@"
mirage bench --cache-dir $C --out $O --jobs 2 --datasets MUTAG IMDB-BINARY --folds 10 --fold-seeds 3 \
    --seeds 3 --methods full --full-layers 1 --name full_depth_folds "$@"
mirage bench --cache-dir $C --out $O --jobs 2 --datasets DD --seeds 10 --full-seeds 10 --methods full \
    --full-layers 1 --name full_depth_dd "$@"
mirage bench --cache-dir $C --out $O --jobs 2 --datasets synthetic-motifs --folds 10 --fold-seeds 3 --seeds 3 \
    --methods full --full-layers 1 --name full_depth_motifs "$@"
mirage bench --cache-dir $C --out $O --jobs 2 --datasets NCI1 --seeds 10 --methods mirage-auto permuted --hops 3 \
    --name deep_nci1 "$@"
python benchmarks/depth_gap.py
# the guard on the validation-fitted decision bias (runs' outputs 3): the default table's runs re-run with --refresh
# in a scratch copy of the cache and paired with their committed records (about 50 minutes), and generated dense
# ego-networks, where the unguarded bias decided worse than the prior correction (15-20 minutes), with full data on
# the same split (about 40 minutes)
python benchmarks/decision_guard.py
python benchmarks/dense_social.py
python benchmarks/dense_social.py --full-only --seeds 2 --full-models gcn gin
# root dropout (TrainConfig.root_dropout, recipe drop-roots: each readout pools a random 70 % of a graph's roots while
# training): today's default and its control trained plain and with root dropout, chosen on validation (--recipes
# plain drop-roots), and with root dropout alone (--recipes drop-roots: the same runs), paired with defaults.json
R="full mirage-auto size-only permuted"
for recipes in "plain drop-roots" "drop-roots"; do
    tag=$([ "$recipes" = "drop-roots" ] && echo rootdrop_only || echo rootdrop)
    $B --recipes $recipes --datasets ogbg-molbace ogbg-molbbbp --seeds 10 --methods $R --name ${tag}_a "$@"
    $B --recipes $recipes --datasets NCI1 --seeds 10 --methods $R --name ${tag}_nci1 "$@"
    $B --recipes $recipes --datasets DD --seeds 10 --full-seeds 10 --methods $R --name ${tag}_dd "$@"
    $B --recipes $recipes --datasets MUTAG PROTEINS IMDB-BINARY --folds 10 --fold-seeds 3 --seeds 3 --methods $R \
        --name ${tag}_folds "$@"
    $B --recipes $recipes --datasets synthetic-motifs --folds 10 --fold-seeds 3 --seeds 3 --methods $R \
        --name ${tag}_multiclass "$@"
    $B --recipes $recipes --datasets ogbg-molhiv --seeds 10 --full-seeds 10 --methods $R --name ${tag}_hiv "$@"
    $B --recipes $recipes --datasets ogbg-moltox21 --seeds 10 --full-seeds 10 --methods $R --name ${tag}_tox21 "$@"
done
python benchmarks/recipes.py --out $O/recipes_rootdrop --pairs \
    $(for s in a nci1 dd folds multiclass hiv tox21; do echo $O/rootdrop_$s.json:$O/defaults.json; done)
python benchmarks/recipes.py --out $O/recipes_rootdrop_only --pairs \
    $(for s in a nci1 dd folds multiclass hiv tox21; do echo $O/rootdrop_only_$s.json:$O/defaults.json; done)
# mixup of the pooled embeddings (TrainConfig.mixup, recipe mixup: Beta(1, 1)), on DD and NCI1, paired with
# defaults.json (docs/results/README.md, "Mixup of the pooled embeddings"; 7 minutes)
$B --recipes mixup --datasets DD --seeds 10 --full-seeds 10 --methods $R --name mixup_only_dd "$@"
$B --recipes mixup --datasets NCI1 --seeds 10 --methods $R --name mixup_only_nci1 "$@"
python benchmarks/recipes.py --out $O/recipes_mixup_only --pairs $O/mixup_only_dd.json:$O/defaults.json \
    $O/mixup_only_nci1.json:$O/defaults.json
# a moving average of the weights (TrainConfig.ema, recipe ema: decay 0.8 per epoch), the default and its control on
# ogbg-molbace, ogbg-molbbbp, DD and MUTAG, paired with defaults.json (docs/results/README.md, "A moving average of the
# weights"; 12 minutes)
$B --recipes ema --datasets DD --seeds 10 --full-seeds 10 --methods $R --name ema_only_dd "$@"
$B --recipes ema --datasets ogbg-molbace ogbg-molbbbp --seeds 10 --methods $R --name ema_only_a "$@"
$B --recipes ema --datasets MUTAG --folds 10 --fold-seeds 3 --seeds 3 --methods $R --name ema_only_mutag "$@"
python benchmarks/recipes.py --out $O/recipes_ema_only --pairs $O/ema_only_a.json:$O/defaults.json \
    $O/ema_only_dd.json:$O/defaults.json $O/ema_only_mutag.json:$O/defaults.json
# the loss weighted by each prototype's support (TrainConfig(support="loss"), recipe support-loss: a prototype of 74
# graphs weighs 74 times one of 1, each class's weights normalised to its mean), the default and its control on every
# dataset of the README's table, paired with defaults.json (docs/results/README.md, "A loss weighted by the
# prototypes' supports"; about 40 minutes)
SL="$B --recipes support-loss"  # R: the methods of the root-dropout lines above
$SL --datasets NCI1 --seeds 10 --methods $R --name supportloss_only_nci1 "$@"
$SL --datasets ogbg-molbace ogbg-molbbbp --seeds 10 --methods $R --name supportloss_only_a "$@"
$SL --datasets DD --seeds 10 --full-seeds 10 --methods $R --name supportloss_only_dd "$@"
$SL --datasets synthetic-motifs --folds 10 --fold-seeds 3 --seeds 3 --methods $R --name supportloss_only_multiclass "$@"
$SL --datasets MUTAG PROTEINS IMDB-BINARY --folds 10 --fold-seeds 3 --seeds 3 --methods $R \
    --name supportloss_only_folds "$@"
$SL --datasets ogbg-moltox21 --seeds 10 --full-seeds 10 --methods $R --name supportloss_only_tox21 "$@"
$SL --datasets ogbg-molhiv --seeds 10 --full-seeds 10 --methods $R --name supportloss_only_hiv "$@"
python benchmarks/recipes.py --out $O/recipes_supportloss_only --pairs \
    $(for s in a nci1 dd folds multiclass hiv tox21; do echo $O/supportloss_only_$s.json:$O/defaults.json; done)
# root dropout in model search: NCI1's default and 5 % tree bank searched with it, paired with the same searches
# without it (docs/search.md)
python benchmarks/search_fidelity.py --datasets NCI1 --seeds 2 --jobs 2 --caps 0.05 --sets default bank@5% \
    --set-root-dropout 0.3 --out $O/search_fidelity_nci1_rootdrop.json --section search-fidelity-nci1-rootdrop
# binned degrees as node labels of datasets without them: IMDB-BINARY (paired with defaults.json) and the generated
# COLLAB-like ego-networks of dense_social.py (their own degrees beside the binned copies; about 20 minutes)
python benchmarks/degree_bins.py --dense-social 5000
# prototypes clustered along a linear teacher (NCI1, PROTEINS; 10 seeds with permuted controls; about 20 minutes)
python benchmarks/teacher_clusters.py
# model search, read off the committed fidelity results: the ceiling a noisy full-data reference sets, what a search's
# own seed agreement says against its fidelity, and what orders the configurations; then whether NCI1's search sets
# respond to the learning rate (3 minutes)
python benchmarks/search_ceiling.py --page
python benchmarks/search_agreement.py --page
python benchmarks/search_margin.py --page    # ranking by the margin over the control, from the searches with controls
python benchmarks/search_factors.py --page
python benchmarks/lr_response.py
# several classes of real molecules: BACE's pIC50 cut into 3 and 5 equal classes (a derived CSV with a stratified
# random split column), benched as a user's file with --split-col (docs/results/README.md, "Three and five classes of
# real molecules"; 25 minutes)
python benchmarks/potency_classes.py
# ... paired with the default of before its cap grew with the decision boundaries (1 % of all the bytes: the tables
# potency_classes.py wrote then, committed as potency{3,5}_cap_1pct.json), and the page's section of that pairing
python benchmarks/recipes.py --variant per-boundary-cap --out $O/recipes_per_boundary \
    --pairs $O/potency3.json:$O/potency3_cap_1pct.json $O/potency5.json:$O/potency5_cap_1pct.json
python benchmarks/potency_classes.py --page
# ... and the same rule under 2 % and 5 % caps on 3 classes, herding's and random molecules filling each cap (an
# exploration; 12 minutes)
mirage bench --cache-dir $C --out $O --jobs 2 --datasets "${MIRAGE_CACHE:-$HOME/.cache/graph-mirage/processed}/derived/bace-potency3.csv" \
    --split-col split --seeds 10 --fractions 0.02 0.05 --methods mirage-auto herding-bytes random-bytes permuted \
    --name potency3_caps "$@"
# the rule's score on several classes: macro one-vs-rest ROC-AUC against the accuracy it replaced, on every
# multi-class split above and the potency classes' scaffold split (no GNN trained; 20 s)
python benchmarks/multiclass_score.py
# the default and its control trained for 300 epochs instead of 100 (an exploration, docs/results/README.md "Training
# a set longer"; 33 minutes), paired with the 100-epoch runs by benchmarks/recipes.py. The potency lines ran when the
# default's cap was 1 % of all the bytes on any number of classes; their 100-epoch runs are potency{3,5}_cap_1pct.json,
# potency_classes.py's tables of then (run today, these lines make today's default's sets: pair them with potency{3,5})
E3="mirage bench --cache-dir $C --out $O --jobs 2 --epochs 300"
$E3 --datasets "${MIRAGE_CACHE:-$HOME/.cache/graph-mirage/processed}/derived/bace-potency3.csv" --split-col split \
    --seeds 10 --full-seeds 10 --methods full mirage-auto size-only permuted --name epochs300_potency3 "$@"
$E3 --datasets synthetic-motifs --folds 10 --fold-seeds 3 --seeds 3 --methods full mirage-auto size-only permuted \
    --name epochs300_multiclass "$@"
$E3 --datasets ogbg-molbace --seeds 10 --methods full mirage-auto size-only permuted --name epochs300_molbace "$@"
$E3 --datasets NCI1 --seeds 10 --methods full mirage-auto size-only permuted --name epochs300_nci1 "$@"
$E3 --datasets "${MIRAGE_CACHE:-$HOME/.cache/graph-mirage/processed}/derived/bace-potency5.csv" --split-col split \
    --seeds 10 --full-seeds 10 --methods full mirage-auto size-only permuted --name epochs300_potency5 "$@"
$E3 --datasets DD --seeds 10 --full-seeds 10 --methods full mirage-auto size-only permuted --name epochs300_dd "$@"
# the other binary datasets whose sets train in one or two batches an epoch (20 minutes)
$E3 --datasets ogbg-molbbbp --seeds 10 --methods full mirage-auto size-only permuted --name epochs300_molbbbp "$@"
for d in MUTAG:mutag IMDB-BINARY:imdb PROTEINS:proteins; do
    $E3 --datasets ${d%%:*} --folds 10 --fold-seeds 3 --seeds 3 --methods full mirage-auto size-only permuted \
        --name epochs300_${d##*:} "$@"
done
python benchmarks/recipes.py --variant 300-epochs --out $O/recipes_epochs300 \
    --pairs $O/epochs300_potency3.json:$O/potency3_cap_1pct.json $O/epochs300_potency5.json:$O/potency5_cap_1pct.json \
    $O/epochs300_multiclass.json:$O/defaults.json $O/epochs300_molbace.json:$O/defaults.json \
    $O/epochs300_nci1.json:$O/defaults.json $O/epochs300_dd.json:$O/defaults.json \
    $O/epochs300_molbbbp.json:$O/defaults.json $O/epochs300_mutag.json:$O/defaults.json \
    $O/epochs300_imdb.json:$O/defaults.json $O/epochs300_proteins.json:$O/defaults.json
# ... and today's default on BACE's classes (the cap per decision boundary) with its control, paired with
# potency{3,5}.json (10 minutes)
for k in 3 5; do
    $E3 --datasets "${MIRAGE_CACHE:-$HOME/.cache/graph-mirage/processed}/derived/bace-potency$k.csv" --split-col split \
        --seeds 10 --full-seeds 10 --methods full mirage-auto size-only permuted --name epochs300_boundary_potency$k "$@"
done
python benchmarks/recipes.py --variant 300-epochs --out $O/recipes_epochs300_boundary \
    --pairs $O/epochs300_boundary_potency3.json:$O/potency3.json $O/epochs300_boundary_potency5.json:$O/potency5.json
# a learning rate chosen on validation for each set (docs/results "Choosing a set's learning rate"; --recipes
# plain high-lr: Adam at 1e-3 or 1e-2, chosen per GNN and split on the mean validation metric, for the set, its
# control and herding's and random graphs in its bytes), on the multi-class sets and every binary dataset (DD's and
# ogbg-molhiv's default and control are the runs of the lines above; their herding and random graphs at 1e-2 were
# added later: 22 and 36 minutes); paired with the tables' plain runs (about 2 hours), then the page
LM="full mirage-auto herding-bytes random-bytes size-only permuted"
lr_tables() {  # $1: the bench command, $2: its tables' name prefix, $3: the methods; the rest: the script's arguments
    local bench=$1 prefix=$2 methods=$3
    shift 3
    $bench --datasets synthetic-motifs --folds 10 --fold-seeds 3 --seeds 3 --methods $methods \
        --name ${prefix}multiclass "$@"
    for k in 3 5; do
        $bench --datasets "${MIRAGE_CACHE:-$HOME/.cache/graph-mirage/processed}/derived/bace-potency$k.csv" \
            --split-col split --seeds 10 --full-seeds 10 --methods $methods --name ${prefix}potency$k "$@"
    done
    $bench --datasets ogbg-molbace ogbg-molbbbp --seeds 10 --methods $methods --name ${prefix}a "$@"
    $bench --datasets MUTAG PROTEINS IMDB-BINARY --folds 10 --fold-seeds 3 --seeds 3 --methods $methods \
        --name ${prefix}folds "$@"
    $bench --datasets NCI1 --seeds 10 --methods $methods --name ${prefix}nci1 "$@"
    $bench --datasets DD --seeds 10 --methods $methods --name ${prefix}dd "$@"
    $bench --datasets ogbg-molhiv --seeds 10 --full-seeds 10 --methods $methods --name ${prefix}hiv "$@"
    $bench --datasets ogbg-moltox21 --seeds 10 --full-seeds 10 --methods $methods --name ${prefix}tox21 "$@"
}
lr_tables "mirage bench --cache-dir $C --out $O --jobs 2 --recipes plain high-lr" highlr_ "$LM" "$@"
# ... and the same runs chosen by the set's margin over its permuted control on validation (--recipe-rule margin: the
# control read under the set's rate), merged into one table and paired with the plain tables
T=$(mktemp -d)
lr_tables "mirage bench --cache-dir $C --out $T --jobs 2 --recipes plain high-lr --recipe-rule margin --quiet" "" \
    "$LM" "$@"
mirage bench --merge $(for s in multiclass potency3 potency5 a folds nci1 dd hiv tox21; do echo $T/$s.json; done) \
    --name lr_margin --out $O --quiet
# the README's table read under the margin rule: its columns (the lines of "the default since the tree bank" above),
# each set's rate chosen by its margin over its control; every run is in the cache but the default without a bank
# (mirage-plain, the README's last column) and its control at 1e-2 (about 10 minutes each on ogbg-molhiv and
# ogbg-moltox21, seconds elsewhere); then the page's section and margin_glance.json
G="mirage bench --cache-dir $C --out $T --jobs 2 --recipes plain high-lr --recipe-rule margin --quiet"
GM="full mirage-auto mirage-plain herding-bytes random-bytes size-only wl-kernel permuted"
$G --datasets NCI1 --seeds 10 --methods $GM --name margin_nci1 "$@"
$G --datasets ogbg-molbace ogbg-molbbbp --seeds 10 --methods $GM --name margin_a "$@"
$G --datasets MUTAG PROTEINS IMDB-BINARY --folds 10 --fold-seeds 3 --seeds 3 --methods $GM --name margin_folds "$@"
$G --datasets synthetic-motifs --folds 10 --fold-seeds 3 --seeds 3 --methods $GM --name margin_multiclass "$@"
for d in DD:dd ogbg-moltox21:tox21 ogbg-molhiv:hiv; do
    $G --datasets ${d%%:*} --seeds 10 --full-seeds 10 --methods $GM --name margin_${d##*:} "$@"
done
mirage bench --merge $(for s in a nci1 hiv tox21 dd folds multiclass; do echo $T/margin_$s.json; done) \
    --name margin_tables --out $O --quiet
python benchmarks/margin_glance.py
python benchmarks/recipes.py --out $O/recipes_lr_margin --pairs $O/lr_margin.json:$O/equal_bytes.json \
    $O/lr_margin.json:$O/potency3.json $O/lr_margin.json:$O/potency5.json
python benchmarks/recipes.py --out $O/recipes_lr_choice --pairs $O/highlr_multiclass.json:$O/equal_bytes.json \
    $O/highlr_potency3.json:$O/potency3.json $O/highlr_potency5.json:$O/potency5.json \
    $O/highlr_a.json:$O/equal_bytes.json $O/highlr_folds.json:$O/equal_bytes.json \
    $O/highlr_nci1.json:$O/equal_bytes.json $O/highlr_dd.json:$O/equal_bytes.json \
    $O/highlr_hiv.json:$O/equal_bytes.json $O/highlr_tox21.json:$O/equal_bytes.json
python benchmarks/lr_choice.py
