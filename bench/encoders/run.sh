#!/usr/bin/env bash
# Encoder benchmark (NorBERT3, ModernBERT, GTE), Skald vs PyTorch in one run, same ids, 2 threads each, the base models'
# shapes with random weights (nothing to download). Not part of CI. Needs /usr/bin/python3 with torch and numpy.
#   bash bench/encoders/run.sh [--arch norbert3|modernbert|gte] [--batch 8] [--seq 128] [--iters 3] [--int8 1]
# --int8 1 adds Skald with its Linear layers in int8 (skald encode --quantize int8), same ids, same process as float32.
set -euo pipefail
cd "$(dirname "$0")/../.."
opts=("$@")
torch_opts=()
while [ $# -gt 0 ]; do
  if [ "$1" = "--int8" ]; then shift 2; else torch_opts+=("$1" "$2"); shift 2; fi
done
mkdir -p bench/results
out=bench/results/encoders-$(date +%Y%m%d-%H%M%S).jsonl
bin=bench/results/encoders-bin
dotnet build -c Release bench/encoders -v q -nologo -o "$bin" >/dev/null
{
  echo "{\"measurement\":\"load\",\"when\":\"start\",\"loadavg\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}"
  /usr/bin/python3 bench/encoders/bench_torch_encoders.py ${torch_opts[@]+"${torch_opts[@]}"}
  dotnet "$bin/Skald.Bench.Encoders.dll" ${opts[@]+"${opts[@]}"}
  echo "{\"measurement\":\"load\",\"when\":\"end\",\"loadavg\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}"
} | tee "$out"
/usr/bin/python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
r = {x["engine"]: x for x in rows if "tokens_per_s" in x}
if "skald" in r and "pytorch" in r:
    s, t = r["skald"], r["pytorch"]
    print(f"encode tokens/s  Skald {s['tokens_per_s']:.1f}  PyTorch {t['tokens_per_s']:.1f}  "
          f"ratio {s['tokens_per_s'] / t['tokens_per_s']:.2f}x  (best-time ratio {t['best_s'] / s['best_s']:.2f}x)")
    for e in ("skald", "skald-int8"):
        if e in r:
            print(f"  {e:10s} CPU s/batch {r[e]['cpu_s']:.3f}  PyTorch/{e} CPU-time ratio {t['cpu_s'] / r[e]['cpu_s']:.2f}x"
                  + (f"  int8/fp32 cosine (min) {r[e]['cosine_min_vs_fp32']:.5f}" if e == "skald-int8" else ""))
    print(f"  pytorch    CPU s/batch {t['cpu_s']:.3f}")
PY
