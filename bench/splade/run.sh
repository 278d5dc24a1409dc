#!/usr/bin/env bash
# Sparse-encoder (SPLADE) benchmark, Skald vs PyTorch in one run: BERT-base with BertForMaskedLM's head (vocabulary
# 30,522, naver/splade-v3's shapes) and SpladePooling, random weights, the same ids, 2 threads each. Not part of CI.
# Needs /usr/bin/python3 with torch.
#   bash bench/splade/run.sh [--batch 16] [--seq 128] [--iters 3] [--rounds 1]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=1
opts=()
while [ $# -gt 0 ]; do
  if [ "$1" = "--rounds" ]; then rounds=$2; else opts+=("$1" "$2"); fi
  shift 2
done
mkdir -p bench/results
out=bench/results/splade-$(date +%Y%m%d-%H%M%S).jsonl
bin=bench/results/splade-bin
dotnet build -c Release bench/splade -v q -nologo -o "$bin" >/dev/null
{
  echo "{\"measurement\":\"load\",\"when\":\"start\",\"loadavg\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}"
  for _ in $(seq "$rounds"); do
    /usr/bin/python3 bench/splade/bench_torch_splade.py ${opts[@]+"${opts[@]}"}
    dotnet "$bin/Skald.Bench.Splade.dll" ${opts[@]+"${opts[@]}"}
  done
  echo "{\"measurement\":\"load\",\"when\":\"end\",\"loadavg\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}"
} | tee "$out"
/usr/bin/python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
for engine in ("skald", "pytorch"):
    r = [x for x in rows if x.get("engine") == engine]
    if r:
        print(f"{engine:8s} tokens/s " + ", ".join(f"{x['tokens_per_s']:.0f}" for x in r)
              + f"   CPU s/batch " + ", ".join(f"{x['cpu_s']:.2f}" for x in r))
s = [x for x in rows if x.get("engine") == "skald"]
t = [x for x in rows if x.get("engine") == "pytorch"]
for a, b in zip(s, t):
    print(f"Skald / PyTorch: {a['tokens_per_s'] / b['tokens_per_s']:.2f}x wall, {b['cpu_s'] / a['cpu_s']:.2f}x per CPU s")
PY
