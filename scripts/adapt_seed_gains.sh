#!/usr/bin/env bash
# The held-out gain of an adapt recipe over generate seeds: what AdaptRecipeTests' bars are derived from.
#
#   scripts/adapt_seed_gains.sh configs/adapt-static-example.yaml 1 30 [--set KEY=VALUE ...]
#
# Runs `skald pipeline --config RECIPE --set generate.seed=S` for S = FIRST..LAST (from the repository root, each into
# a folder of its own under a temporary one), prints per seed BM25's, the untrained and the tuned model's nDCG@10 on the
# held-out queries and the gain (tuned - untrained), then the mean gain, its standard deviation across seeds and the
# bar for k seeds averaged (mean - 2.33 sd / sqrt k, k = 1, 2, 3). SKALD (default: skald) is the command to run.
set -euo pipefail
if [ $# -lt 3 ]; then echo "usage: $0 RECIPE FIRST LAST [--set KEY=VALUE ...]" >&2; exit 2; fi
recipe=$1 first=$2 last=$3
shift 3
skald=${SKALD:-skald}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$(dirname "$0")/.."
for seed in $(seq "$first" "$last"); do
  row=$($skald pipeline --config "$recipe" --set "output=$work/$seed" --set "generate.seed=$seed" "$@" 2>"$work/log" | grep '^| held-out-retrieval |') \
    || { tail -n 5 "$work/log" >&2; echo "seed $seed: the pipeline failed or printed no held-out-retrieval row" >&2; exit 1; }
  # the row's last three cells: bm25, untrained, tuned (the recipe's report stage lists models in that order after the hybrid)
  echo "$row" | awk -F'|' -v seed="$seed" '{ gsub(/[ *]/, ""); printf "seed %s: bm25 %s untrained %s tuned %s gain %.2f\n", seed, $(NF-3), $(NF-2), $(NF-1), $(NF-1) - $(NF-2) }'
  rm -rf "${work:?}/$seed"
done | tee "$work/gains.txt"
awk '{ g = $NF; n++; s += g; ss += g * g } END {
  m = s / n; sd = n > 1 ? sqrt((ss - n * m * m) / (n - 1)) : 0
  printf "%d seeds: mean gain %.2f, sd %.2f; bar for k seeds: k=1 %.2f, k=2 %.2f, k=3 %.2f\n", n, m, sd, m - 2.33 * sd, m - 2.33 * sd / sqrt(2), m - 2.33 * sd / sqrt(3) }' "$work/gains.txt"
