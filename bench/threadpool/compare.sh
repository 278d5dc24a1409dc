#!/usr/bin/env bash
# Interleaved wall-clock and CPU-time comparison of Skald's intra-op pool against Parallel.For
# (SKALD_THREADPOOL=dotnet) on the encoder bench: ROUNDS rounds, each runs both modes (order alternating), then
# prints per-mode medians of tokens_per_s and tokens_per_cpu_s for every (batch, seq).
# Usage: bench/threadpool/compare.sh [MODEL_DIR] [ROUNDS] [SECONDS]   (env EXTRA_MODES="spin0:SKALD_POOL_SPIN_US=0 ...")
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
model="${1:-/work/main/fixtures/models/.bench/bert-384}"
rounds="${2:-3}"
seconds="${3:-4}"
bin="${BIN:-/tmp/pool-bin}"
out="${OUT:-/tmp/pool-bench}"
mkdir -p "$out"
[ -n "${NO_BUILD:-}" ] || dotnet build -c Release "$here/bench/Skald.Bench" -o "$bin" 2>&1 | tail -1
modes=("dotnet:SKALD_THREADPOOL=dotnet" "pool:SKALD_THREADPOOL=skald")
for m in ${EXTRA_MODES:-}; do modes+=("$m"); done
: > "$out/results.jsonl"
for r in $(seq 1 "$rounds"); do
  order=("${modes[@]}")
  if (( r % 2 == 0 )); then order=(); for ((i=${#modes[@]}-1; i>=0; i--)); do order+=("${modes[i]}"); done; fi
  for m in "${order[@]}"; do
    name="${m%%:*}"; envs="${m#*:}"
    load="$(cut -d' ' -f1 /proc/loadavg)"
    env $envs dotnet "$bin/Skald.Bench.dll" --packed --seconds "$seconds" "$model" 2>/dev/null | grep '^{' |
      python3 -c "import json,sys
for l in sys.stdin:
    d=json.loads(l); d['mode']='$name'; d['round']=$r; d['load']=float('$load'); print(json.dumps(d))" >> "$out/results.jsonl"
    echo "round $r $name done (load $load)" >&2
  done
done
python3 - "$out/results.jsonl" <<'PY'
import json, statistics, sys, collections
rows = [json.loads(l) for l in open(sys.argv[1])]
g = collections.defaultdict(list)
for d in rows: g[(d['batch'], d['seq'], d['mode'])].append(d)
print(f"{'batch':>5} {'seq':>4} {'mode':>8} {'tok/s med':>10} {'tok/cpu-s med':>13}  runs (tok/s)  load")
for (b, s, m), ds in sorted(g.items()):
    w = statistics.median(d['tokens_per_s'] for d in ds); c = statistics.median(d['tokens_per_cpu_s'] for d in ds)
    print(f"{b:>5} {s:>4} {m:>8} {w:>10.0f} {c:>13.0f}  {[d['tokens_per_s'] for d in ds]}  {[d['load'] for d in ds]}")
PY
