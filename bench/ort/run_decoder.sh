#!/usr/bin/env bash
# Decoder encode, Skald vs ONNX Runtime 1.31 in C#, interleaved (called by `bash bench/ort/run.sh --decoder`, which
# documents it): bash bench/ort/run_decoder.sh ROUNDS ITERS MODELS INT8(0|1)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=$1 iters=$2 models=$3 int8=$4
model=$models/qwen2-0.5b
if [ ! -f "$model/model.safetensors.index.json" ]; then
  /usr/bin/python3 fixtures/models/export_bench_decoder.py --out "$model" >&2
fi
if [ ! -f "$model/model.onnx" ] || [ ! -f "$model/model.onnx.data" ]; then
  /usr/bin/python3 fixtures/models/export_bench_decoder_onnx.py "$model" >&2
fi
mkdir -p bench/results
out=bench/results/ort-decoder-$(date +%Y%m%d-%H%M%S).jsonl
dotnet build -c Release bench/ort -v q -nologo -o bench/results/ort-bin >/dev/null
dotnet build -c Release bench/decoder -v q -nologo -o bench/results/decoder-bin >/dev/null
load() { echo "{\"measurement\":\"load\",\"round\":$1,\"date\":\"$(date -Is)\",\"loadavg\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}"; }
for r in $(seq 1 "$rounds"); do
  load "$r" | tee -a "$out"
  # ORT: one warm-up batch, then at least 3 timed batches (--seconds 1 ends there).
  dotnet bench/results/ort-bin/Skald.Bench.Ort.dll --decoder --seconds 1 "$model" | tee -a "$out"
  dotnet bench/results/decoder-bin/Skald.Bench.Decoder.dll encode "$model" --attention causal --iters "$iters" \
    2> >(grep -v '^encode ' >&2) | tee -a "$out"
  if [ "$int8" = 1 ]; then
    dotnet bench/results/decoder-bin/Skald.Bench.Decoder.dll encode "$model" --attention causal --iters "$iters" --int8 2 \
      2> >(grep -v '^encode ' >&2) | tee -a "$out"
  fi
done
load end | tee -a "$out"
/usr/bin/python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
sides = {}
for r in rows:
    if "tokens_per_s" not in r:
        continue
    side = "ort" if r["engine"].startswith("onnxruntime") else r["engine"]
    r = dict(r, tokens_per_cpu_s=r.get("tokens_per_cpu_s") or r["batch"] * r["seq"] / r["cpu_s"])
    sides.setdefault(side, []).append(r)
if "ort" not in sides:
    sys.exit("no ONNX Runtime line")
med = lambda side, key: statistics.median(x[key] for x in sides[side])
o = sides["ort"][0]
print(f"decoder {o['model']} {o['batch']} x {o['seq']} causal, {o['threads']} threads; ORT vs PyTorch max abs diff "
      f"{o.get('max_abs_diff_vs_pytorch')}; {len(sides['ort'])} rounds")
print(f"  ORT float32: {med('ort', 'tokens_per_s'):.1f} tokens/s, {med('ort', 'tokens_per_cpu_s'):.1f} tokens/CPU s, "
      f"peak RSS {max(x['peak_rss_mb'] for x in sides['ort']):.0f} MB")
for side, name in (("skald", "Skald float32"), ("skald-int8only", "Skald int8-only")):
    if side not in sides:
        continue
    print(f"  {name}: {med(side, 'tokens_per_s'):.1f} tokens/s, {med(side, 'tokens_per_cpu_s'):.1f} tokens/CPU s, "
          f"peak RSS {max(x['peak_rss_mb'] for x in sides[side]):.0f} MB; vs ORT float32: wall "
          f"{med(side, 'tokens_per_s') / med('ort', 'tokens_per_s'):.2f}x, CPU time "
          f"{med(side, 'tokens_per_cpu_s') / med('ort', 'tokens_per_cpu_s'):.2f}x")
PY
echo "results: $out"
