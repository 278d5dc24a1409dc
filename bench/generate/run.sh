#!/usr/bin/env bash
# Generation benchmark, Skald vs PyTorch in one run, same prompts, same threads: greedy decoding with a KV cache on a
# random decoder with Qwen2.5-0.5B's shapes (fixtures/models/export_bench_decoder.py, ~2 GB float32, not in git).
# Not part of CI. Needs /usr/bin/python3 with torch and numpy.
#   bash bench/generate/run.sh [--batch N] [--prompt N] [--new N] [--iters N] [--threads N]
set -euo pipefail
cd "$(dirname "$0")/../.."
opts=("$@")
[ ${#opts[@]} -eq 0 ] && opts=(--iters 3)
model=fixtures/models/.bench/qwen2-0.5b
if [ ! -f "$model/model.safetensors.index.json" ]; then
  /usr/bin/python3 fixtures/models/export_bench_decoder.py --out "$model"
fi
mkdir -p bench/results
out=bench/results/generate-$(date +%Y%m%d-%H%M%S).jsonl
bin=bench/results/generate-bin
dotnet build -c Release bench/generate -v q -nologo -o "$bin" >/dev/null
load() { echo "{\"measurement\":\"load\",\"when\":\"$1\",\"date\":\"$(date -Is)\",\"loadavg\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}"; }
{
  load start
  /usr/bin/python3 bench/generate/bench_torch_generate.py "$model" "${opts[@]}" || echo '{"engine":"pytorch","measurement":"generate","error":"failed"}'
  dotnet "$bin/Skald.Bench.Generate.dll" "$model" "${opts[@]}" || echo '{"engine":"skald","measurement":"generate","error":"failed"}'
  load end
} | tee "$out"
echo "results: $out"
/usr/bin/python3 - "$out" <<'PY'
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
res = {r.get("engine"): r for r in rows if "tokens_per_s" in r}
s, t = res.get("skald"), res.get("pytorch")
if s and t:
    same = "same" if s["first_ids"] == t["first_ids"] else "DIFFERENT"
    print(f"\ngenerate batch {s['batch']}, prompt {s['prompt']}, {s['new_tokens']} new tokens, {s['threads']} threads: "
          f"Skald {s['tokens_per_s']:.2f} tokens/s ({s['gemm']}), PyTorch {t['tokens_per_s']:.2f} tokens/s "
          f"(torch {t['torch']}): {s['tokens_per_s'] / t['tokens_per_s']:.2f}x; best-time ratio "
          f"{t['best_s'] / s['best_s']:.2f}x; first ids {same}")
for r in rows:
    if r["measurement"] == "load":
        print(f"load average at {r['when']}: {r['loadavg']} ({r['date']})")
PY
