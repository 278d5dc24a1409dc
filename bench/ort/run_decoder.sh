#!/usr/bin/env bash
# Decoder encode, Skald vs ONNX Runtime 1.31 in C#, interleaved (called by `bash bench/ort/run.sh --decoder`, which
# documents it): bash bench/ort/run_decoder.sh ROUNDS ITERS MODELS INT8(0|1)
# Each round, each in its own process (so that each peak RSS is its own): ORT float32, Skald float32 with the weights
# pre-packed (bench/decoder's default), Skald float32 not pre-packed (--pack 0: what SentenceEncoder does for models
# over 1 GiB), Skald float32 packed-only (--pack 2: SentenceEncoder.KeepPackedOnly, as skald encode runs); with INT8=1 also ORT int8 (model.int8.onnx of fixtures/models/quantize_onnx.py, written when missing and
# python3-onnx is there) and Skald int8-only (bench/decoder --int8 2, as skald encode --quantize int8).
# With INFLIGHT=N (default 8; 0 for none; `bash bench/ort/run.sh --decoder --in-flight N`) each round also runs Skald
# float32 packed-only with N batches in flight (bench/decoder --pack 2 --in-flight N: N batches of the same ids a timed
# pass through SentenceEncoder.Encode's batch loop, InFlightBatches, one whole batch a thread after the first), printed
# as its own line against ORT's one batch after another and against packed-only one batch at a time.
# With BASE_BIN=DIR (bench/decoder built from another commit into DIR: an A/B in the same run) each round also runs that
# build's float32 pre-packed and packed-only, printed as "(base)" lines. NOT_PREPACKED=0 leaves out the --pack 0 runs.
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
ortint8=0
if [ "$int8" = 1 ]; then
  if [ -f "$model/model.int8.onnx" ]; then
    ortint8=1
  elif /usr/bin/python3 -c "import onnx" 2>/dev/null; then
    /usr/bin/python3 fixtures/models/quantize_onnx.py "$model" >&2 && ortint8=1
  else
    echo "note: no python3-onnx (apt-get install python3-onnx): ONNX Runtime int8 is not measured" >&2
  fi
fi
mkdir -p bench/results
out=bench/results/ort-decoder-$(date +%Y%m%d-%H%M%S).jsonl
dotnet build -c Release bench/ort -v q -nologo -o bench/results/ort-bin >/dev/null
dotnet build -c Release bench/decoder -v q -nologo -o bench/results/decoder-bin >/dev/null
load() { echo "{\"measurement\":\"load\",\"round\":\"$1\",\"date\":\"$(date -Is)\",\"loadavg\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}"; }
ort() { dotnet bench/results/ort-bin/Skald.Bench.Ort.dll --decoder --seconds 1 "$@" "$model" | tee -a "$out"; }
skald() {
  dotnet bench/results/decoder-bin/Skald.Bench.Decoder.dll encode "$model" --attention causal --iters "$iters" "$@" \
    2> >(grep -v '^encode ' >&2) | tee -a "$out"
}
for r in $(seq 1 "$rounds"); do
  load "$r" | tee -a "$out"
  ort # one warm-up batch, then at least 3 timed batches (--seconds 1 ends there)
  skald --pack 1
  if [ "${NOT_PREPACKED:-1}" != 0 ]; then skald --pack 0; fi
  skald --pack 2
  if [ "${INFLIGHT:-8}" != 0 ]; then skald --pack 2 --in-flight "${INFLIGHT:-8}"; fi
  if [ -n "${BASE_BIN:-}" ]; then
    for p in 1 2; do
      dotnet "$BASE_BIN/Skald.Bench.Decoder.dll" encode "$model" --attention causal --iters "$iters" --pack "$p" \
        2> >(grep -v '^encode ' >&2) | sed 's/^{/{"base":true,/' | tee -a "$out"
    done
  fi
  if [ "$ortint8" = 1 ]; then ort --onnx model.int8.onnx; fi
  if [ "$int8" = 1 ]; then skald --int8 2; fi
done
load end | tee -a "$out"
/usr/bin/python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
sides = {}
for r in rows:
    if "tokens_per_s" not in r:
        continue
    if r["engine"].startswith("onnxruntime"):
        side = "ORT float32" if r["onnx_file"] == "model.onnx" else "ORT int8"
    elif r["engine"] == "skald-inflight":
        side = f"Skald {'packed-only' if r.get('packed_only') else 'pre-packed' if r['packed'] else 'not pre-packed'}, {r['batches_in_flight']} in flight"
    elif r["engine"] == "skald":
        side = ("Skald float32 packed-only" if r.get("packed_only") else
                "Skald float32 pre-packed" if r["packed"] else "Skald float32 not pre-packed") + (" (base)" if r.get("base") else "")
    else:
        side = "Skald int8-only" if r["engine"] == "skald-int8only" else r["engine"]
    r = dict(r, tokens_per_cpu_s=r.get("tokens_per_cpu_s") or r["batch"] * r["seq"] / r["cpu_s"])
    sides.setdefault(side, []).append(r)
if "ORT float32" not in sides:
    sys.exit("no ONNX Runtime float32 line")
med = lambda side, key: statistics.median(x[key] for x in sides[side])
o = sides["ORT float32"][0]
print(f"decoder {o['model']}, {o['batch']} x {o['seq']} causal, {o['threads']} threads, medians of "
      f"{len(sides['ORT float32'])} rounds; ORT float32 vs PyTorch: max abs diff {o.get('max_abs_diff_vs_pytorch')}")
# cores: CPU s over wall s of a batch (2 at most with 2 threads; below 1 under load, when the threads wait for a CPU or
# for each other); Skald's lines also carry the voluntary / involuntary context switches and major page faults a batch.
print(f"{'':<30}{'tokens/s':>10}{'tokens/CPU s':>14}{'peak RSS MB':>13}{'wall vs ORT f32':>17}{'CPU vs ORT f32':>16}{'cores':>7}")
for side, xs in sides.items():
    extra = f"   min cosine vs PyTorch {min(x['min_cosine_vs_pytorch'] for x in xs)}" if "min_cosine_vs_pytorch" in xs[0] else ""
    if "voluntary_switches" in xs[0]:
        extra += (f"   switches a batch {med(side, 'voluntary_switches'):.0f} voluntary / {med(side, 'involuntary_switches'):.0f} "
                  f"involuntary, major faults {med(side, 'major_faults'):.0f}")
    cores = statistics.median(x['tokens_per_s'] / x['tokens_per_cpu_s'] for x in xs)
    print(f"{side:<30}{med(side, 'tokens_per_s'):>10.1f}{med(side, 'tokens_per_cpu_s'):>14.1f}"
          f"{max(x['peak_rss_mb'] for x in xs):>13.0f}{med(side, 'tokens_per_s') / med('ORT float32', 'tokens_per_s'):>16.2f}x"
          f"{med(side, 'tokens_per_cpu_s') / med('ORT float32', 'tokens_per_cpu_s'):>15.2f}x{cores:>7.2f}{extra}")
for side in [s for s in sides if s.endswith(" in flight")]:
    one = "Skald float32 " + side[len("Skald "):side.index(",")]
    if one in sides:
        print(f"{side} / {one} one batch at a time: wall {med(side, 'tokens_per_s') / med(one, 'tokens_per_s'):.2f}x, "
              f"CPU time {med(side, 'tokens_per_cpu_s') / med(one, 'tokens_per_cpu_s'):.2f}x, peak RSS "
              f"{max(x['peak_rss_mb'] for x in sides[side]):.0f} vs {max(x['peak_rss_mb'] for x in sides[one]):.0f} MB")
if "ORT int8" in sides and "Skald int8-only" in sides:
    print(f"Skald int8-only vs ORT int8: wall {med('Skald int8-only', 'tokens_per_s') / med('ORT int8', 'tokens_per_s'):.2f}x, "
          f"CPU time {med('Skald int8-only', 'tokens_per_cpu_s') / med('ORT int8', 'tokens_per_cpu_s'):.2f}x")
PY
echo "results: $out"
