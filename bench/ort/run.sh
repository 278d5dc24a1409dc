#!/usr/bin/env bash
# Encode, Skald vs ONNX Runtime 1.31 in C# (Microsoft.ML.OnnxRuntime), interleaved: ROUNDS × (ORT, Skald with weights
# pre-packed[, Skald int8 with --int8]), same ids, batch 32, 2 threads, sequence 32 and 128; ORT runs twice a round,
# without intra-op spinning (its CPU time is work) and with it (--spin, ORT's default: its best wall time, since
# Skald's own pool spins too, bounded by the region just run); prints the median ratio
# per (model, seq) in wall time and in CPU time (tokens per CPU second: what survives a loaded machine). Not part of
# CI. Needs the bench models (fixtures/models/export_bench_models.py writes model.safetensors and model.onnx) and
# NuGet for the ORT package. With --int8 it adds Skald int8 and, where /usr/bin/python3 has the Debian python3-onnx
# package, ONNX Runtime int8 (model.int8.onnx from fixtures/models/quantize_onnx.py: MatMuls dynamically quantised).
# Each round also runs Skald packed-only (--packed-only: Tape.KeepPackedOnly, the float32 Linear values dropped once
# packed, as SentenceEncoder.KeepPackedOnly and skald encode run; the same bits as --packed). Peak RSS (VmHWM) per side: both programs run bert-384 then bert-768 in one process, so the 768 figure is the
# process's peak over both models.
# Each round also runs Skald pre-packed with its batches in flight (--in-flight N, default 8: each timed pass is N
# batches of the same ids through SentenceEncoder.Encode's batch loop, InFlightBatches: the first batch's ops split over
# the threads, then one whole batch on each thread): against ORT's one session.Run after another on the same batches,
# and against Skald one batch at a time.
#   bash bench/ort/run.sh [--rounds 3] [--seconds 3] [--in-flight 8] [--models DIR] [--int8] [--bf16] [--high]
# With --bf16 each round also runs Skald with the Linear layers in bfloat16 (--packed --bf16: Tape.Bf16Linear, as
# skald encode --quantize bf16 runs them; vdpbf16ps on AVX512-BF16 CPUs) and prints bf16 against ORT float32 and
# Skald float32, with its min cosine to float32.
# With --high each round also runs Skald pre-packed at float32 matmul "high" precision (--packed --float32-matmul high:
# AMX products from two bfloat16 pieces a side, as torch.set_float32_matmul_precision("high")), printed as its own
# "high precision" line against ORT float32 and Skald highest, with its min cosine to highest (never float32's ratio).
# With --amx-off each round also runs Skald float32 pre-packed with SKALD_AMX=0 (the FMA kernels), printed against ORT
# and Skald's default runs (on AMX hosts the float32 Linear from six bfloat16 terms on AMX tiles).
# --decoder: the same for the Qwen2.5-0.5B-shaped decoder instead (MODELS/qwen2-0.5b: safetensors from
# fixtures/models/export_bench_decoder.py, model.onnx from fixtures/models/export_bench_decoder_onnx.py, both written
# when missing), bench/decoder's shape and ids (batch 8 × 128, causal, 2 threads): ROUNDS × (ORT, Skald float32 —
# bench/decoder encode, weights pre-packed[, Skald int8-only with --int8: bench/decoder --int8 2]), each in its own
# process so that each peak RSS (VmHWM) is its own; prints median ratios in wall and CPU time, the cores used and the
# peak RSS; each round also Skald packed-only with --in-flight N batches in flight (default 8, 0 for none: bench/decoder
# --pack 2 --in-flight N) against ORT and against packed-only one batch at a time (BASE_BIN=DIR adds bench/decoder built
# from another commit to every round, NOT_PREPACKED=0 drops --pack 0: bench/ort/run_decoder.sh).
#   bash bench/ort/run.sh --decoder [--rounds 2] [--iters 2] [--in-flight 8] [--models DIR] [--int8]
# --texts [FILE]: real texts instead of the synthetic full batches (bench/ort/run_texts.sh: the first 512 lines of
# FILE, default ../shared/data/text/ud-nb.txt, at most 32 and 128 tokens, batches in file order and sorted by length).
#   bash bench/ort/run.sh --texts [FILE] [--rounds 3] [--seconds 3] [--models DIR]
# --decoder --texts [FILE]: the same on the Qwen2.5-0.5B-shaped decoder (128 sentences, at most 128 tokens, batches of 8).
# --memory: peak RSS only, each (model, sequence) in a process of its own, ORT float32 against Skald packed-only
# (bench/ort/run_memory.sh; default 2 rounds of 1 s a cell), and Skald packed-only with --in-flight N batches in
# flight (default 8, 0 for none).
#   bash bench/ort/run.sh --memory [--rounds 2] [--seconds 1] [--models DIR]
# --memory --decoder: the same for the Qwen2.5-0.5B-shaped decoder (bench/ort/run_memory_decoder.sh), sequence 32 and
# 128, batch 8, causal: ORT float32, Skald float32 packed-only and Skald bf16-only (--quantize bf16) from the float32
# checkpoint and from the same weights stored as bfloat16, each in its own process.
#   bash bench/ort/run.sh --memory --decoder [--rounds 2] [--iters 2] [--models DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=3 secs=3 inflight=8 models=fixtures/models/.bench int8=0 decoder=0 iters=2 texts= bf16=0 memory=0 amxoff=0 high=0 given=
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; given="$given r"; shift 2 ;;
    --seconds) secs=$2; given="$given s"; shift 2 ;;
    --memory) memory=1; shift ;;
    --models) models=$2; shift 2 ;;
    --int8) int8=1; shift ;;
    --bf16) bf16=1; shift ;;
    --amx-off) amxoff=1; shift ;;
    --high) high=1; shift ;;
    --decoder) decoder=1; shift ;;
    --texts) texts=../shared/data/text/ud-nb.txt; shift; if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then texts=$1; shift; fi ;;
    --iters) iters=$2; shift 2 ;;
    --in-flight) inflight=$2; shift 2 ;;
    *) echo "usage: bash bench/ort/run.sh [--rounds N] [--seconds S] [--in-flight N] [--models DIR] [--int8] [--bf16] [--high] [--amx-off] [--decoder [--iters N]] [--texts [FILE]] [--memory]" >&2; exit 2 ;;
  esac
done
if [ "$memory" = 1 ] && [ "$decoder" = 1 ]; then
  case $given in *r*) ;; *) rounds=2 ;; esac
  exec bash bench/ort/run_memory_decoder.sh "$rounds" "$iters" "$models"
fi
if [ "$memory" = 1 ]; then
  [ -f "$models/bert-384/model.onnx" ] || /usr/bin/python3 fixtures/models/export_bench_models.py --out "$models"
  case $given in *r*) ;; *) rounds=2 ;; esac
  case $given in *s*) ;; *) secs=1 ;; esac
  INFLIGHT=$inflight exec bash bench/ort/run_memory.sh "$rounds" "$secs" "$models"
fi
if [ -n "$texts" ] && [ "$decoder" = 1 ]; then
  [ -f "$models/qwen2-0.5b/model.safetensors.index.json" ] || /usr/bin/python3 fixtures/models/export_bench_decoder.py --out "$models/qwen2-0.5b" >&2
  [ -f "$models/qwen2-0.5b/model.onnx" ] || /usr/bin/python3 fixtures/models/export_bench_decoder_onnx.py "$models/qwen2-0.5b" >&2
  exec bash bench/ort/run_texts.sh "$rounds" "$secs" "$models" "$texts" 1
fi
if [ -n "$texts" ]; then
  [ -f "$models/bert-384/model.onnx" ] || /usr/bin/python3 fixtures/models/export_bench_models.py --out "$models"
  exec bash bench/ort/run_texts.sh "$rounds" "$secs" "$models" "$texts"
fi
if [ "$decoder" = 1 ]; then
  INFLIGHT=$inflight exec bash bench/ort/run_decoder.sh "$rounds" "$iters" "$models" "$int8"
fi
if [ ! -f "$models/bert-384/model.onnx" ]; then
  /usr/bin/python3 fixtures/models/export_bench_models.py --out "$models"
fi
ortint8=0
if [ "$int8" = 1 ]; then
  if /usr/bin/python3 -c "import onnx" 2>/dev/null; then
    ortint8=1
    for m in bert-384 bert-768; do
      [ -f "$models/$m/model.int8.onnx" ] || /usr/bin/python3 fixtures/models/quantize_onnx.py "$models/$m" >&2
    done
  else
    echo "note: no python3-onnx (apt-get install python3-onnx): ONNX Runtime int8 is not measured" >&2
  fi
fi
mkdir -p bench/results
out=bench/results/ort-$(date +%Y%m%d-%H%M%S).jsonl
dotnet build -c Release bench/ort -v q -nologo -o bench/results/ort-bin >/dev/null
dotnet build -c Release bench/Skald.Bench -v q -nologo -o bench/results/bin >/dev/null
for r in $(seq 1 "$rounds"); do
  echo "{\"measurement\":\"load\",\"round\":$r,\"loadavg\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}" | tee -a "$out"
  dotnet bench/results/ort-bin/Skald.Bench.Ort.dll --seconds "$secs" "$models/bert-384" "$models/bert-768" | tee -a "$out"
  dotnet bench/results/ort-bin/Skald.Bench.Ort.dll --spin --seconds "$secs" "$models/bert-384" "$models/bert-768" | tee -a "$out"
  dotnet bench/results/bin/Skald.Bench.dll --packed --seconds "$secs" "$models/bert-384" "$models/bert-768" | tee -a "$out"
  dotnet bench/results/bin/Skald.Bench.dll --packed-only --seconds "$secs" "$models/bert-384" "$models/bert-768" | tee -a "$out"
  dotnet bench/results/bin/Skald.Bench.dll --packed --in-flight "$inflight" --seconds "$secs" "$models/bert-384" "$models/bert-768" | tee -a "$out"
  if [ "$int8" = 1 ]; then
    dotnet bench/results/bin/Skald.Bench.dll --packed --int8 --seconds "$secs" "$models/bert-384" "$models/bert-768" | tee -a "$out"
  fi
  if [ "$amxoff" = 1 ]; then
    SKALD_AMX=0 dotnet bench/results/bin/Skald.Bench.dll --packed --seconds "$secs" "$models/bert-384" "$models/bert-768" \
      | sed 's/"engine":"\([^"]*\)"/"engine":"\1+amx0"/' | tee -a "$out"
  fi
  if [ "$bf16" = 1 ]; then
    dotnet bench/results/bin/Skald.Bench.dll --packed --bf16 --seconds "$secs" "$models/bert-384" "$models/bert-768" | tee -a "$out"
  fi
  if [ "$high" = 1 ]; then
    dotnet bench/results/bin/Skald.Bench.dll --packed --float32-matmul high --seconds "$secs" "$models/bert-384" "$models/bert-768" | tee -a "$out"
  fi
  if [ "$ortint8" = 1 ]; then
    dotnet bench/results/ort-bin/Skald.Bench.Ort.dll --onnx model.int8.onnx --seconds "$secs" "$models/bert-384" "$models/bert-768" | tee -a "$out"
  fi
done
/usr/bin/python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
runs = {}
for r in rows:
    if "tokens_per_s" not in r: continue
    ort = r["engine"].startswith("onnxruntime")
    side = ("ort-int8" if r.get("onnx_file", "model.onnx") != "model.onnx" else "ort-spin" if r["engine"].endswith("+spin") else "ort") if ort else \
        "in-flight" if r["engine"].endswith("+inflight") else "high" if "+fp32high" in r["engine"] else "bf16" if r.get("bf16_kernel") else "int8" if r.get("int8_kernel") else "packed-only" if r["engine"].endswith("+pkonly") else \
        "amx-off" if r["engine"].endswith("+amx0") else "skald"
    runs.setdefault((r["model"], r["seq"]), {}).setdefault(side, []).append(r)
for (model, seq), s in sorted(runs.items()):
    if "ort" not in s or "skald" not in s: continue
    med = lambda side, key: statistics.median(x[key] for x in s[side])
    print(f"{model} seq {seq}: Skald/ORT wall {med('skald', 'tokens_per_s') / med('ort', 'tokens_per_s'):.2f}x, "
          f"CPU time {med('skald', 'tokens_per_cpu_s') / med('ort', 'tokens_per_cpu_s'):.2f}x "
          f"(tokens/CPU s {med('skald', 'tokens_per_cpu_s'):.0f} vs {med('ort', 'tokens_per_cpu_s'):.0f}; {len(s['ort'])} rounds); "
          f"peak RSS MB Skald {max(x.get('peak_rss_mb', -1) for x in s['skald']):.0f} vs ORT {max(x.get('peak_rss_mb', -1) for x in s['ort']):.0f}")
    if "ort-spin" in s:
        print(f"{model} seq {seq}: Skald/ORT spinning wall {med('skald', 'tokens_per_s') / med('ort-spin', 'tokens_per_s'):.2f}x, "
              f"CPU time {med('skald', 'tokens_per_cpu_s') / med('ort-spin', 'tokens_per_cpu_s'):.2f}x; ORT spinning/not wall "
              f"{med('ort-spin', 'tokens_per_s') / med('ort', 'tokens_per_s'):.2f}x")
    if "in-flight" in s:
        print(f"{model} seq {seq}: Skald batches in flight/ORT wall {med('in-flight', 'tokens_per_s') / med('ort', 'tokens_per_s'):.2f}x, "
              f"CPU time {med('in-flight', 'tokens_per_cpu_s') / med('ort', 'tokens_per_cpu_s'):.2f}x; in flight/one batch at a time wall "
              f"{med('in-flight', 'tokens_per_s') / med('skald', 'tokens_per_s'):.2f}x, CPU time "
              f"{med('in-flight', 'tokens_per_cpu_s') / med('skald', 'tokens_per_cpu_s'):.2f}x; "
              f"peak RSS MB {max(x.get('peak_rss_mb', -1) for x in s['in-flight']):.0f}")
    if "packed-only" in s:
        print(f"{model} seq {seq}: Skald packed-only/ORT wall {med('packed-only', 'tokens_per_s') / med('ort', 'tokens_per_s'):.2f}x, "
              f"CPU time {med('packed-only', 'tokens_per_cpu_s') / med('ort', 'tokens_per_cpu_s'):.2f}x; packed-only/pre-packed CPU time "
              f"{med('packed-only', 'tokens_per_cpu_s') / med('skald', 'tokens_per_cpu_s'):.2f}x; "
              f"peak RSS MB {max(x.get('peak_rss_mb', -1) for x in s['packed-only']):.0f}")
    if "amx-off" in s:
        print(f"{model} seq {seq}: Skald SKALD_AMX=0 (FMA kernels)/ORT CPU time {med('amx-off', 'tokens_per_cpu_s') / med('ort', 'tokens_per_cpu_s'):.2f}x "
              f"(tokens/CPU s {med('amx-off', 'tokens_per_cpu_s'):.0f}); Skald default/SKALD_AMX=0 CPU time "
              f"{med('skald', 'tokens_per_cpu_s') / med('amx-off', 'tokens_per_cpu_s'):.2f}x, wall {med('skald', 'tokens_per_s') / med('amx-off', 'tokens_per_s'):.2f}x")
    if "int8" in s:
        print(f"{model} seq {seq}: Skald int8/ORT float32 wall {med('int8', 'tokens_per_s') / med('ort', 'tokens_per_s'):.2f}x, "
              f"CPU time {med('int8', 'tokens_per_cpu_s') / med('ort', 'tokens_per_cpu_s'):.2f}x; int8/Skald float32 wall "
              f"{med('int8', 'tokens_per_s') / med('skald', 'tokens_per_s'):.2f}x; min cosine "
              f"{min(x['min_cosine_vs_f32'] for x in s['int8']):.5f}")
    if "bf16" in s:
        print(f"{model} seq {seq}: Skald bf16/ORT float32 wall {med('bf16', 'tokens_per_s') / med('ort', 'tokens_per_s'):.2f}x, "
              f"CPU time {med('bf16', 'tokens_per_cpu_s') / med('ort', 'tokens_per_cpu_s'):.2f}x; bf16/Skald float32 wall "
              f"{med('bf16', 'tokens_per_s') / med('skald', 'tokens_per_s'):.2f}x, CPU time "
              f"{med('bf16', 'tokens_per_cpu_s') / med('skald', 'tokens_per_cpu_s'):.2f}x ({s['bf16'][0]['bf16_kernel']}); min cosine "
              f"{min(x['min_cosine_vs_f32'] for x in s['bf16']):.5f}")
    if "high" in s:
        print(f"{model} seq {seq}: Skald high precision (--float32-matmul high, not float32)/ORT float32 wall "
              f"{med('high', 'tokens_per_s') / med('ort', 'tokens_per_s'):.2f}x, CPU time "
              f"{med('high', 'tokens_per_cpu_s') / med('ort', 'tokens_per_cpu_s'):.2f}x; high/Skald highest CPU time "
              f"{med('high', 'tokens_per_cpu_s') / med('skald', 'tokens_per_cpu_s'):.2f}x; min cosine to highest "
              f"{min(x['min_cosine_vs_f32'] for x in s['high']):.6f}")
    if "int8" in s and "ort-int8" in s:
        print(f"{model} seq {seq}: Skald int8/ORT int8 wall {med('int8', 'tokens_per_s') / med('ort-int8', 'tokens_per_s'):.2f}x, "
              f"CPU time {med('int8', 'tokens_per_cpu_s') / med('ort-int8', 'tokens_per_cpu_s'):.2f}x; ORT int8/ORT float32 wall "
              f"{med('ort-int8', 'tokens_per_s') / med('ort', 'tokens_per_s'):.2f}x; ORT int8 min cosine "
              f"{min(x['min_cosine_vs_f32'] for x in s['ort-int8']):.5f}")
PY
echo "results: $out"
