#!/usr/bin/env bash
# Encode speed and peak RSS of two Skald builds against ONNX Runtime 1.31 in C#, interleaved, each (model, sequence) in
# a process of its own: ROUNDS × (ORT float32 without spinning, Skald BEFORE packed-only, Skald AFTER packed-only) for
# bert-384 and bert-768 at sequence 32 and 128, batch 32, 2 threads, the load average logged each round. BEFORE is a
# Skald.Bench build of the earlier commit (e.g. `git worktree add /tmp/x OLD && dotnet build -c Release
# /tmp/x/bench/Skald.Bench -o bench/results/bin-before`); AFTER is built here from the work tree. Prints per cell the
# median tokens/s (wall) and tokens per CPU second and the largest peak RSS (VmHWM) of each side. Not part of CI.
#   bash bench/ort/run_before_after.sh BEFORE_BIN [ROUNDS=2] [SECONDS=2] [MODELS=fixtures/models/.bench]
set -euo pipefail
cd "$(dirname "$0")/../.."
before=$1 rounds=${2:-2} secs=${3:-2} models=${4:-fixtures/models/.bench}
[ -f "$before/Skald.Bench.dll" ] || { echo "run_before_after.sh: no Skald.Bench.dll in $before" >&2; exit 2; }
[ -f "$models/bert-384/model.onnx" ] || /usr/bin/python3 fixtures/models/export_bench_models.py --out "$models"
mkdir -p bench/results
out=bench/results/ort-before-after-$(date +%Y%m%d-%H%M%S).jsonl
dotnet build -c Release bench/ort -v q -nologo -o bench/results/ort-bin >/dev/null
dotnet build -c Release bench/Skald.Bench -v q -nologo -o bench/results/bin >/dev/null
for r in $(seq 1 "$rounds"); do
  for m in bert-384 bert-768; do
    for s in 32 128; do
      echo "{\"measurement\":\"load\",\"round\":$r,\"model\":\"$m\",\"seq\":$s,\"loadavg\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}" | tee -a "$out"
      dotnet bench/results/ort-bin/Skald.Bench.Ort.dll --seconds "$secs" --seqs "$s" "$models/$m" | sed 's/^{/{"side":"ort",/' | tee -a "$out"
      dotnet "$before/Skald.Bench.dll" --packed-only --seconds "$secs" --seqs "$s" "$models/$m" | sed 's/^{/{"side":"before",/' | tee -a "$out"
      dotnet bench/results/bin/Skald.Bench.dll --packed-only --seconds "$secs" --seqs "$s" "$models/$m" | sed 's/^{/{"side":"after",/' | tee -a "$out"
    done
  done
done
/usr/bin/python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
loads = [r["loadavg"] for r in rows if r.get("measurement") == "load"]
print(f"load average (1/5/15 min) per cell: first {loads[0]}, last {loads[-1]}")
cells = {}
for r in rows:
    if "tokens_per_s" in r: cells.setdefault((r["model"], r["seq"]), {}).setdefault(r["side"], []).append(r)
for (model, seq), c in sorted(cells.items()):
    med = lambda side, key: statistics.median(x[key] for x in c[side])
    rss = lambda side: max(x["peak_rss_mb"] for x in c[side])
    line = f"{model} seq {seq}:"
    for side in ("before", "after"):
        if side not in c or "ort" not in c: continue
        line += (f" {side} wall {med(side, 'tokens_per_s') / med('ort', 'tokens_per_s'):.2f}x ORT,"
                 f" CPU {med(side, 'tokens_per_cpu_s') / med('ort', 'tokens_per_cpu_s'):.2f}x ({med(side, 'tokens_per_cpu_s'):.0f} tokens/CPU s),"
                 f" peak RSS {rss(side):.0f} MB;")
    if "ort" in c: line += f" ORT {med('ort', 'tokens_per_cpu_s'):.0f} tokens/CPU s, peak RSS {rss('ort'):.0f} MB"
    print(line)
PY
echo "results: $out"
