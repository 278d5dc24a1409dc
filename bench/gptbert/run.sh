#!/usr/bin/env bash
# NorBERT4 / GPT-BERT benchmark, Skald vs PyTorch (ref_gptbert.py) in one run, 2 threads each, random weights of
# ltg/norbert4-base's shapes: encode 8 × 128 tokens (24 layers), then peak RSS of one long sequence through 4 layers
# (3 local with window 256, 1 global) at growing T. Not part of CI. Needs /usr/bin/python3 with torch.
#   bash bench/gptbert/run.sh [--iters N] [--seqs "2048 4096 8192" ("": no memory runs)] [--int8]
# --int8 adds Skald encode with its Linear layers in int8 (skald encode --quantize int8), same ids, same process.
set -euo pipefail
cd "$(dirname "$0")/../.."
iters=3
seqs="2048 4096 8192"
int8=0
while [ $# -gt 0 ]; do
  case "$1" in
    --iters) iters=$2; shift 2 ;;
    --seqs) seqs=$2; shift 2 ;;
    --int8) int8=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p bench/results
out=bench/results/gptbert-$(date +%Y%m%d-%H%M%S).jsonl
bin=bench/results/gptbert-bin
dotnet build -c Release bench/gptbert -v q -nologo -o "$bin" >/dev/null
skald() { dotnet "$bin/Skald.Bench.GptBert.dll" "$@"; }
torch() { /usr/bin/python3 bench/gptbert/bench_torch_gptbert.py "$@"; }
{
  echo "{\"measurement\":\"load\",\"when\":\"start\",\"loadavg\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}"
  torch encode --iters "$iters" || echo '{"engine":"pytorch","measurement":"encode","error":"failed"}'
  skald encode --iters "$iters" --int8 "$int8" || echo '{"engine":"skald","measurement":"encode","error":"failed"}'
  for s in $seqs; do
    torch memory --seq "$s" || echo "{\"engine\":\"pytorch\",\"measurement\":\"memory\",\"seq\":$s,\"error\":\"failed\"}"
    skald memory --seq "$s" || echo "{\"engine\":\"skald\",\"measurement\":\"memory\",\"seq\":$s,\"error\":\"failed\"}"
  done
  echo "{\"measurement\":\"load\",\"when\":\"end\",\"loadavg\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}"
} | tee "$out"
echo "results: $out"
/usr/bin/python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
enc = {r["engine"]: r for r in rows if r.get("measurement") == "encode" and "cpu_s" in r}
t = enc.get("pytorch")
for e in ("skald", "skald-int8", "pytorch"):
    if e in enc and t:
        r = enc[e]
        print(f"encode {e:10s} tokens/s {r['tokens_per_s']:8.1f}  CPU s/batch {r['cpu_s']:7.3f}  PyTorch/{e} CPU-time {t['cpu_s'] / r['cpu_s']:.2f}x")
for r in rows:
    if r.get("measurement") == "int8_vs_fp32":
        print(f"int8/fp32 pooled cosine (min) {r['cosine_min_vs_fp32']:.5f}, fp32/int8 CPU {r['cpu_ratio_fp32_over_int8']:.2f}x ({r['int8_kernel']})")
    if r.get("measurement") == "load":
        print(f"load average at {r['when']}: {r['loadavg']}")
PY
