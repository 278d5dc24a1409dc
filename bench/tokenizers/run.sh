#!/usr/bin/env bash
# Tokenizer batch-encoding throughput, Skald vs HF tokenizers (node encodeBatch), same texts, same
# thread count (2), in one run: WordPiece, byte-level BPE (Llama 3 style) and Unigram (Precompiled).
# Not part of CI. Needs node and `npm ci` in fixtures/tokenizers, and ../shared/data/text.
#   bash bench/tokenizers/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-5}
texts=$(mktemp)
cat ../shared/data/text/ud-*.txt > "$texts"
toks=(fixtures/tokenizers/wordpiece-uncased/tokenizer.json fixtures/tokenizers/bpe-llama3/tokenizer.json fixtures/tokenizers/unigram/tokenizer.json)
out=bench/results/tokenizers-$(date +%Y%m%d-%H%M%S).jsonl
mkdir -p bench/results
dotnet build -c Release bench/tokenizers/Skald.TokenizerBench.csproj -v q -nologo -o bench/results/tokbin >/dev/null
{
  RAYON_NUM_THREADS=2 node bench/tokenizers/bench_hf.mjs "$texts" "$secs" "${toks[@]}"
  DOTNET_PROCESSOR_COUNT=2 dotnet bench/results/tokbin/Skald.TokenizerBench.dll "$texts" "$secs" "${toks[@]}"
} | tee "$out"
rm -f "$texts"
echo "results: $out"
