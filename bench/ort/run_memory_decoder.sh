#!/usr/bin/env bash
# Decoder encode peak RSS, Skald against ONNX Runtime 1.31 in C#, each (engine, sequence) in a process of its own
# (called by `bash bench/ort/run.sh --memory --decoder`, which documents it):
#   bash bench/ort/run_memory_decoder.sh ROUNDS ITERS MODELS
# Each round, on MODELS/qwen2-0.5b (Qwen2.5-0.5B shapes, float32 safetensors) at sequence 32 and 128, batch 8, causal,
# 2 threads, interleaved: ORT float32 (no spinning), Skald float32 packed-only (bench/decoder --pack 2: weights left in
# the file at load, each Linear weight packed once from there, as skald encode runs) and Skald bf16-only
# (bench/decoder --bf16 2: SentenceEncoder.KeepBf16Only, as skald encode --quantize bf16; each Linear weight rounded
# into its bfloat16 panels straight from the file), and Skald bf16-only on the same weights stored as bfloat16
# (MODELS/qwen2-0.5b-bf16, export_bench_decoder.py --dtype bfloat16, as Qwen ships them: the file's bits packed as
# they are), and Skald packed-only from that bfloat16 file (on AMX hosts each weight held as its first bfloat16 piece,
# 2 bytes a weight, on three terms; elsewhere float32 panels). Prints the largest peak RSS (VmHWM) per cell over the rounds and the ratio to ORT's.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=$1 iters=$2 models=$3
model=$models/qwen2-0.5b
[ -f "$model/model.safetensors.index.json" ] || /usr/bin/python3 fixtures/models/export_bench_decoder.py --out "$model" >&2
model_bf16=$models/qwen2-0.5b-bf16
[ -f "$model_bf16/model.safetensors.index.json" ] ||
  /usr/bin/python3 fixtures/models/export_bench_decoder.py --dtype bfloat16 --out "$model_bf16" >&2
[ -f "$model/model.onnx" ] || /usr/bin/python3 fixtures/models/export_bench_decoder_onnx.py "$model" >&2
mkdir -p bench/results
out=bench/results/ort-decoder-memory-$(date +%Y%m%d-%H%M%S).jsonl
dotnet build -c Release bench/ort -v q -nologo -o bench/results/ort-bin >/dev/null
dotnet build -c Release bench/decoder -v q -nologo -o bench/results/decoder-bin >/dev/null
load() { echo "{\"measurement\":\"load\",\"round\":\"$1\",\"date\":\"$(date -Is)\",\"loadavg\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}"; }
skald() { # skald MODEL_DIR ARGS...
  local dir=$1; shift
  dotnet bench/results/decoder-bin/Skald.Bench.Decoder.dll encode "$dir" --attention causal --warmup 1 --iters "$iters" "$@" \
    2> >(grep -v '^encode ' >&2) | tee -a "$out"
}
for r in $(seq 1 "$rounds"); do
  load "$r" | tee -a "$out"
  for s in 32 128; do
    dotnet bench/results/ort-bin/Skald.Bench.Ort.dll --decoder --seconds 1 --seqs "$s" "$model" | tee -a "$out"
    skald "$model" --seq "$s" --pack 2
    skald "$model" --seq "$s" --bf16 2
    skald "$model_bf16" --seq "$s" --bf16 2
    skald "$model_bf16" --seq "$s" --pack 2
  done
done
load end | tee -a "$out"
/usr/bin/python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
print("loads: " + "; ".join(f"{r['round']} {r['date'][11:19]} {r['loadavg']}" for r in rows if r.get("measurement") == "load"))
cells = {}
for r in rows:
    if "peak_rss_mb" not in r: continue
    side = ("ORT float32" if r["engine"].startswith("onnxruntime") else
            "Skald packed-only, bf16 file" if r.get("packed_only") and r.get("model", "").endswith("-bf16") else
            "Skald float32 packed-only" if r.get("packed_only") else
            "Skald bf16-only, bf16 file" if r["engine"] == "skald-bf16only" and r.get("model", "").endswith("-bf16") else
            "Skald bf16-only" if r["engine"] == "skald-bf16only" else r["engine"])
    cells.setdefault(r["seq"], {}).setdefault(side, []).append(r["peak_rss_mb"])
for seq, c in sorted(cells.items()):
    ort = max(c.get("ORT float32", [0])) or float("nan")
    for side, xs in c.items():
        print(f"seq {seq:>4} {side:<28} peak RSS MB {max(xs):>7.0f} (rounds {sorted(xs)})  / ORT {max(xs) / ort:.3f}x")
PY
echo "results: $out"
