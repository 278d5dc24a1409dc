#!/usr/bin/env bash
# Tokenizer batch-encoding throughput, Skald vs HF tokenizers (node encodeBatch) vs Microsoft.ML.Tokenizers 2.0
# (where it loads the same tokenizer; its ids are checked against Skald's), same texts, same thread count (2):
# WordPiece, byte-level BPE (Llama 3 style) and Unigram (Precompiled). The engines run interleaved ROUNDS times;
# stdout gets one JSON line per engine and tokenizer with the median mb_per_s (and mb_per_s_1t, one thread, the
# CPU-time figures and Skald's GC pause share, where the engine reports them); ratios go to stderr. Not part of CI. Needs node and `npm ci` in fixtures/tokenizers, and
# ../shared/data/text.
#   bash bench/tokenizers/run.sh [SECONDS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-5}
rounds=${2:-3}
texts=$(mktemp)
raw=$(mktemp)
cat ../shared/data/text/ud-*.txt > "$texts"
toks=(fixtures/tokenizers/wordpiece-uncased/tokenizer.json fixtures/tokenizers/bpe-llama3/tokenizer.json fixtures/tokenizers/unigram/tokenizer.json)
out=bench/results/tokenizers-$(date +%Y%m%d-%H%M%S).jsonl
mkdir -p bench/results
dotnet build -c Release bench/tokenizers/Skald.TokenizerBench.csproj -v q -nologo -o bench/results/tokbin >/dev/null
dotnet build -c Release bench/tokenizers/MlTokenizers -v q -nologo -o bench/results/tokbin-ml >/dev/null
for ((r = 1; r <= rounds; r++)); do
  RAYON_NUM_THREADS=2 node bench/tokenizers/bench_hf.mjs "$texts" "$secs" "${toks[@]}" >> "$raw"
  DOTNET_PROCESSOR_COUNT=2 dotnet bench/results/tokbin/Skald.TokenizerBench.dll "$texts" "$secs" "${toks[@]}" >> "$raw"
  DOTNET_PROCESSOR_COUNT=2 dotnet bench/results/tokbin-ml/Skald.TokenizerBench.MlTokenizers.dll "$texts" "$secs" "${toks[@]}" >> "$raw"
done
node bench/tokenizers/summarize.mjs "$raw" "$(cut -d' ' -f1-3 /proc/loadavg)" | tee "$out"
rm -f "$texts" "$raw"
echo "results: $out" >&2
