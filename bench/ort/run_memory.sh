#!/usr/bin/env bash
# Encode peak RSS, Skald packed-only vs ONNX Runtime 1.31 in C#, each (model, sequence) in a process of its own
# (called by `bash bench/ort/run.sh --memory`, which documents it): bash bench/ort/run_memory.sh ROUNDS SECONDS MODELS
# Each round, for bert-384 and bert-768 at sequence 32 and 128: ORT float32 (no spinning) and Skald packed-only
# (Skald.Bench --packed-only: weights left in the file at load, each Linear weight packed once and its float32
# dropped, as skald encode runs), batch 32, 2 threads, interleaved; prints the largest peak RSS (VmHWM) per cell
# over the rounds and the ratio Skald / ORT. With INFLIGHT=N (default 8, 0 for none) also Skald packed-only with N
# batches in flight (Skald.Bench --packed-only --in-flight N: Encode's batch loop, one batch's activations a thread).
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=$1 secs=$2 models=$3 inflight=${INFLIGHT:-8}
mkdir -p bench/results
out=bench/results/ort-memory-$(date +%Y%m%d-%H%M%S).jsonl
dotnet build -c Release bench/ort -v q -nologo -o bench/results/ort-bin >/dev/null
dotnet build -c Release bench/Skald.Bench -v q -nologo -o bench/results/bin >/dev/null
for r in $(seq 1 "$rounds"); do
  echo "{\"measurement\":\"load\",\"round\":$r,\"loadavg\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}" | tee -a "$out"
  for m in bert-384 bert-768; do
    for s in 32 128; do
      dotnet bench/results/ort-bin/Skald.Bench.Ort.dll --seconds "$secs" --seqs "$s" "$models/$m" | tee -a "$out"
      dotnet bench/results/bin/Skald.Bench.dll --packed-only --seconds "$secs" --seqs "$s" "$models/$m" | tee -a "$out"
      if [ "$inflight" != 0 ]; then
        dotnet bench/results/bin/Skald.Bench.dll --packed-only --in-flight "$inflight" --seconds "$secs" --seqs "$s" "$models/$m" | tee -a "$out"
      fi
    done
  done
done
/usr/bin/python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{") and "peak_rss_mb" in l]
cells = {}
for r in rows:
    side = "ort" if r["engine"].startswith("onnxruntime") else "in-flight" if r["engine"].endswith("+inflight") else "skald"
    cells.setdefault((r["model"], r["seq"]), {}).setdefault(side, []).append(r["peak_rss_mb"])
for (model, seq), c in sorted(cells.items()):
    if "ort" not in c or "skald" not in c: continue
    print(f"{model} seq {seq}: peak RSS MB Skald packed-only {max(c['skald']):.0f} (rounds {sorted(c['skald'])}) vs ORT "
          f"{max(c['ort']):.0f} (rounds {sorted(c['ort'])}): {max(c['skald']) / max(c['ort']):.3f}x")
    if "in-flight" in c:
        print(f"{model} seq {seq}: peak RSS MB Skald packed-only, batches in flight {max(c['in-flight']):.0f} (rounds "
              f"{sorted(c['in-flight'])}): {max(c['in-flight']) / max(c['ort']):.3f}x ORT, +{max(c['in-flight']) - max(c['skald']):.0f} MB")
PY
echo "results: $out"
