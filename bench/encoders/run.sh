#!/usr/bin/env bash
# Encoder benchmark (NorBERT3, ModernBERT), Skald vs PyTorch in one run, same ids, 2 threads each, the base models'
# shapes with random weights (nothing to download). Not part of CI. Needs /usr/bin/python3 with torch and numpy.
#   bash bench/encoders/run.sh [--arch norbert3|modernbert] [--batch 8] [--seq 128] [--iters 3]
set -euo pipefail
cd "$(dirname "$0")/../.."
opts=("$@")
mkdir -p bench/results
out=bench/results/encoders-$(date +%Y%m%d-%H%M%S).jsonl
bin=bench/results/encoders-bin
dotnet build -c Release bench/encoders -v q -nologo -o "$bin" >/dev/null
{
  echo "{\"measurement\":\"load\",\"when\":\"start\",\"loadavg\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}"
  /usr/bin/python3 bench/encoders/bench_torch_encoders.py "${opts[@]}"
  dotnet "$bin/Skald.Bench.Encoders.dll" "${opts[@]}"
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
PY
