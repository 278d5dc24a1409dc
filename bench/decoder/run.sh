#!/usr/bin/env bash
# Decoder benchmark, Skald vs PyTorch in one run, same ids, 2 threads each: encode (batch 8 × 128, causal and
# bidirectional) and a LoRA training step (r 16, MNRL over 2 × 8 × 128 tokens) on a random decoder with Qwen2.5-0.5B's
# shapes. Not part of CI; takes several minutes. Needs /usr/bin/python3 with torch (apt python3-torch) and numpy.
#   bash bench/decoder/run.sh [--iters N] [--train-iters N (0: no training step)] [--int8]
# --int8 adds Skald encode with its Linear layers in int8 after each float32 encode (float32 kept beside them, same
# process: the cosine and the float32/int8 ratio), then the inference-only int8 model (skald encode --quantize int8:
# the float32 Linear weights dropped) in its own process, whose peak RSS is its own.
set -euo pipefail
cd "$(dirname "$0")/../.."
iters=3
train_iters=2
int8=0
while [ $# -gt 0 ]; do
  case "$1" in
    --iters) iters=$2; shift 2 ;;
    --train-iters) train_iters=$2; shift 2 ;;
    --int8) int8=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
model=fixtures/models/.bench/qwen2-0.5b
if [ ! -f "$model/model.safetensors.index.json" ]; then
  /usr/bin/python3 fixtures/models/export_bench_decoder.py --out "$model"
fi
mkdir -p bench/results
out=bench/results/decoder-$(date +%Y%m%d-%H%M%S).jsonl
bin=bench/results/decoder-bin
dotnet build -c Release bench/decoder -v q -nologo -o "$bin" >/dev/null
skald() { dotnet "$bin/Skald.Bench.Decoder.dll" "$@"; }
torch() { /usr/bin/python3 bench/decoder/bench_torch_decoder.py "$@"; }
load() { echo "{\"measurement\":\"load\",\"when\":\"$1\",\"date\":\"$(date -Is)\",\"loadavg\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}"; }
{
  load start
  torch encode "$model" --iters "$iters" || echo '{"engine":"pytorch","measurement":"encode","error":"failed"}'
  skald encode "$model" --iters "$iters" --int8 "$int8" || echo '{"engine":"skald","measurement":"encode","error":"failed"}'
  if [ "$int8" = 1 ]; then
    skald encode "$model" --iters "$iters" --int8 2 || echo '{"engine":"skald-int8only","measurement":"encode","error":"failed"}'
  fi
  if [ "$train_iters" -gt 0 ]; then
    torch train "$model" --iters "$train_iters" || echo '{"engine":"pytorch","measurement":"lora_step","error":"failed"}'
    skald train "$model" --iters "$train_iters" || echo '{"engine":"skald","measurement":"lora_step","error":"failed"}'
  fi
  load end
} | tee "$out"
echo "results: $out"
/usr/bin/python3 - "$out" <<'EOF'
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
res = {(r.get("engine"), r["measurement"], r.get("attention")): r for r in rows if "tokens_per_s" in r}
print(f"\n{'measurement':<24}{'tokens/s Skald':>15}{'PyTorch':>9}{'ratio':>7}{'best-time ratio':>16}"
      f"{'CPU-s Skald':>12}{'PyTorch':>9}{'ratio':>7}{'peak RSS MB Skald':>19}{'PyTorch':>9}")
for m, att in (("encode", "causal"), ("encode", "bidirectional"), ("lora_step", "bidirectional")):
    s, t = res.get(("skald", m, att)), res.get(("pytorch", m, att))
    if not s or not t:
        print(f"{m + ' ' + att:<24}  missing")
        continue
    print(f"{m + ' ' + att:<24}{s['tokens_per_s']:>15.1f}{t['tokens_per_s']:>9.1f}"
          f"{s['tokens_per_s'] / t['tokens_per_s']:>6.2f}x{t['best_s'] / s['best_s']:>15.2f}x"
          f"{s['cpu_s']:>12.1f}{t['cpu_s']:>9.1f}{t['cpu_s'] / s['cpu_s']:>6.2f}x"
          f"{s['peak_rss_mb']:>19.0f}{t['peak_rss_mb']:>9.0f}")
    if m == "lora_step":
        print(f"{'  steps/s':<24}{s['steps_per_s']:>15.4f}{t['steps_per_s']:>9.4f}")
    q = res.get(("skald-int8", m, att))
    if q:
        print(f"{'  int8':<24}{q['tokens_per_s']:>15.1f}{t['tokens_per_s']:>9.1f}"
              f"{q['tokens_per_s'] / t['tokens_per_s']:>6.2f}x{t['best_s'] / q['best_s']:>15.2f}x"
              f"{q['cpu_s']:>12.1f}{t['cpu_s']:>9.1f}{t['cpu_s'] / q['cpu_s']:>6.2f}x"
              f"{q['peak_rss_mb']:>19.0f}{t['peak_rss_mb']:>9.0f}   int8/fp32 cosine (min) {q['cosine_min_vs_fp32']:.5f},"
              f" fp32/int8 CPU {q['cpu_ratio_fp32_over_int8']:.2f}x")
    q = res.get(("skald-int8only", m, att))
    if q:
        print(f"{'  int8 only':<24}{q['tokens_per_s']:>15.1f}{t['tokens_per_s']:>9.1f}"
              f"{q['tokens_per_s'] / t['tokens_per_s']:>6.2f}x{t['best_s'] / q['best_s']:>15.2f}x"
              f"{q['cpu_s']:>12.1f}{t['cpu_s']:>9.1f}{t['cpu_s'] / q['cpu_s']:>6.2f}x"
              f"{q['peak_rss_mb']:>19.0f}{t['peak_rss_mb']:>9.0f}   weights {q['weights_mb_float32']} -> {q['weights_mb_int8only']} MB,"
              f" quantised in {q['quantise_s']} s")
for r in rows:
    if r["measurement"] == "load":
        print(f"load average at {r['when']}: {r['loadavg']} ({r['date']})")
EOF
