#!/usr/bin/env bash
# Where an encoder forward pass spends its CPU time: `perf record` of bench/Skald.Bench (float32, packed-only, one
# model, one sequence length, batch 32, all cores) with the JIT's symbols (DOTNET_PerfMapEnabled=1 writes
# /tmp/perf-PID.map; DOTNET_EnableWriteXorExecute=0 keeps the JIT's code where that map says it is), then the symbols
# with the largest self time, their share of all samples (model loading and JIT included: a longer --seconds dilutes
# them). Not part of CI. Needs linux-perf (apt-get install linux-perf) and perf events (root, or
# kernel.perf_event_paranoid <= 1).
#   bash bench/profile.sh [--model DIR] [--seq 32] [--seconds 8] [--top 25]
set -euo pipefail
cd "$(dirname "$0")/.."
model=fixtures/models/.bench/bert-384 seq=32 secs=8 top=25
while [ $# -gt 0 ]; do
  case $1 in
    --model) model=$2; shift 2 ;;
    --seq) seq=$2; shift 2 ;;
    --seconds) secs=$2; shift 2 ;;
    --top) top=$2; shift 2 ;;
    *) echo "usage: bash bench/profile.sh [--model DIR] [--seq 32] [--seconds 8] [--top 25]" >&2; exit 2 ;;
  esac
done
command -v perf >/dev/null || { echo "perf not found: apt-get install linux-perf" >&2; exit 1; }
[ -f "$model/model.safetensors" ] || /usr/bin/python3 fixtures/models/export_bench_models.py --out "$(dirname "$model")"
dotnet build -c Release bench/Skald.Bench -v q -nologo -o bench/results/bin >/dev/null
data=$(mktemp /tmp/skald-perf-XXXXXX.data)
DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 perf record -q -F 2000 -o "$data" -- \
  dotnet bench/results/bin/Skald.Bench.dll --packed-only --seconds "$secs" --seqs "$seq" "$model" >&2
echo "# $(basename "$model"), batch 32, sequence $seq, $(nproc) cores; self time, % of all samples"
perf report -i "$data" --no-children --sort dso,symbol 2>/dev/null | grep -v '^#' | grep '%' | head -n "$top" \
  | sed -E 's/\[Optimized[A-Za-z0-9]*\]//; s/ +- +- *$//; s/\((valuetype |native |float32|int32|int64|bool|method |[A-Za-z0-9_.&*,<> ])*\)//g' | cut -c1-160
rm -f "$data"
