#!/usr/bin/env bash
# Skald vs TorchSharp-cpu 0.107 (libtorch 2.10), issue 16's peer, interleaved: ROUNDS × (TorchSharp encode, Skald
# encode with weights pre-packed, TorchSharp MNRL step, Skald MNRL step), then the managed GEMM's peak on the large
# shapes (bench/gemm, same threads). Same weights (the bench models' model.safetensors), same encode ids
# (1000 + (b·131 + t·17) mod 20000), batch 32, 2 threads; the step: 32 triplets × 128 tokens, dropout 0.1, clipping 1.0,
# AdamW. Prints median ratios per (model, seq) in wall time and in CPU time (tokens per CPU second: what survives a
# loaded machine), and the step's GFLOP/s against the GEMM's. Not part of CI; needs NuGet for TorchSharp-cpu.
# Time: the encode rounds take ~1–2 min each; one step of 32×3×128 tokens is ~40 CPU s per side (plus a warm-up step),
# so the step runs in the first --train-rounds rounds only (default 1). Measured at load average 25 on 2 cores: builds
# ~6 min, each encode round ~5 min, the step (warm-up + 1 timed, both sides) ~7 min; a quiet machine needs far less.
#   bash bench/torchsharp/run.sh [--rounds 2] [--train-rounds 1] [--seconds 2] [--models DIR] [--steps 1] [--no-train] [--no-encode] [--amx-off]
# --in-flight N (default 8, 0 for none): each encode round also runs Skald pre-packed with its batches in flight
# (Skald.Bench --in-flight N, as bench/ort/run.sh does), printed as its own ratio line under each shape.
# --high 1|0 (default 1): each encode round also runs Skald pre-packed at float32 matmul "high" precision
# (Skald.Bench --float32-matmul high: AMX products from two bfloat16 pieces a side, as
# torch.set_float32_matmul_precision("high")), printed as its own "high precision" line with its min cosine to highest;
# never float32's ratio (issue 16's float32 target is the line above it).
# --amx-off: each train round also runs Skald's step with SKALD_AMX=0 (the FMA kernels), reported as its own line;
# run with SKALD_AMX_FP32=1 to have the other step form its wide Linear products from six bfloat16 terms on AMX.
# --decoder [--iters 2]: instead, the Qwen2.5-0.5B-shaped bench decoder (MODELS/qwen2-0.5b, written by
# fixtures/models/export_bench_decoder.py when missing): ROUNDS × (TorchSharp, TorchQwen2.cs; Skald packed-only,
# bench/decoder encode --pack 2 as skald encode runs it), batch 8 × 128, causal, mean pooling, bench/decoder's ids,
# one warm-up batch and ITERS timed ones each; prints the median ratios, peak RSS, and TorchSharp's distance to
# PyTorch's hidden states where model.onnx.reference.bin is there (fixtures/models/export_bench_decoder_onnx.py).
# With --in-flight N (default 8, 0 for none) each decoder round also runs Skald packed-only with N batches in flight
# (bench/decoder --in-flight N), its own line.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=2 train_rounds=1 secs=2 models=fixtures/models/.bench steps=1 train=1 encode=1 decoder=0 iters=2 amx_off=0 inflight=8 high=1
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --train-rounds) train_rounds=$2; shift 2 ;;
    --seconds) secs=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --no-train) train=0; shift ;;
    --no-encode) encode=0; shift ;;
    --decoder) decoder=1; shift ;;
    --amx-off) amx_off=1; shift ;;
    --iters) iters=$2; shift 2 ;;
    --in-flight) inflight=$2; shift 2 ;;
    --high) high=$2; shift 2 ;;
    *) echo "usage: bash bench/torchsharp/run.sh [--rounds N] [--train-rounds N] [--seconds S] [--models DIR] [--steps N] [--no-train] [--no-encode] [--amx-off] [--in-flight N] [--high 1|0] [--decoder [--iters N]]" >&2; exit 2 ;;
  esac
done
if [ "$decoder" = 1 ]; then
  INFLIGHT=$inflight exec bash bench/torchsharp/run_decoder.sh "$rounds" "$iters" "$models"
fi
if [ ! -f "$models/bert-384/model.safetensors" ]; then
  /usr/bin/python3 fixtures/models/export_bench_models.py --out "$models"
fi
mkdir -p bench/results
out=bench/results/torchsharp-$(date +%Y%m%d-%H%M%S).jsonl
: > "$out"
dotnet build -c Release bench/torchsharp -v q -nologo -o bench/results/torchsharp-bin >/dev/null
# Debian 12's libstdc++ lacks GLIBCXX_3.4.32, which TorchSharp's GCC 13 build names but never calls (see the script).
/usr/bin/python3 bench/torchsharp/weak_glibcxx.py bench/results/torchsharp-bin/runtimes/linux-x64/native/libLibTorchSharp.so >&2
dotnet build -c Release bench/Skald.Bench -v q -nologo -o bench/results/bin >/dev/null
dotnet build -c Release bench/training -v q -nologo -o bench/results/training-bin >/dev/null
dotnet build -c Release bench/gemm -v q -nologo -o bench/results/gemm-bin >/dev/null
ts=bench/results/torchsharp-bin/Skald.Bench.TorchSharp.dll
for r in $(seq 1 "$rounds"); do
  echo "{\"measurement\":\"load\",\"round\":$r,\"loadavg\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}" | tee -a "$out"
  if [ "$encode" = 1 ]; then
    dotnet "$ts" --threads 2 --seconds "$secs" "$models/bert-384" "$models/bert-768" | tee -a "$out"
    dotnet bench/results/bin/Skald.Bench.dll --packed --seconds "$secs" "$models/bert-384" "$models/bert-768" | tee -a "$out"
    if [ "$inflight" -gt 0 ]; then
      dotnet bench/results/bin/Skald.Bench.dll --packed --in-flight "$inflight" --seconds "$secs" "$models/bert-384" "$models/bert-768" | tee -a "$out"
    fi
    if [ "$high" = 1 ]; then
      dotnet bench/results/bin/Skald.Bench.dll --packed --float32-matmul high --seconds "$secs" "$models/bert-384" "$models/bert-768" | tee -a "$out"
    fi
  fi
  if [ "$train" = 1 ] && [ "$r" -le "$train_rounds" ]; then
    dotnet "$ts" --train --threads 2 --batch 32 --seq 128 --columns 3 --steps "$steps" --warmup 1 "$models/bert-384" 2>/dev/null | tee -a "$out"
    dotnet bench/results/training-bin/Skald.Bench.Training.dll "$models/bert-384" 32 128 "$steps" 1 0.1 3 2>/dev/null | tee -a "$out"
    if [ "$amx_off" = 1 ]; then
      SKALD_AMX=0 dotnet bench/results/training-bin/Skald.Bench.Training.dll "$models/bert-384" 32 128 "$steps" 1 0.1 3 2>/dev/null |
        sed 's/"impl":"skald"/"impl":"skald-amx-off"/' | tee -a "$out"
    fi
  fi
done
if [ "$train" = 1 ]; then
  # The managed GEMM's peak on the large shapes, 2 threads: wall clock, then per CPU second (--cpu).
  for clock in wall cpu; do
    flag=""; [ "$clock" = cpu ] && flag="--cpu"
    dotnet bench/results/gemm-bin/GemmBench.dll --threads 2 --quick --shapes large --only managed $flag |
      awk -v c="$clock" '$0 ~ /managed/ { for (i = 1; i < NF; i++) if ($i ~ /^managed/) print "{\"measurement\":\"gemm\",\"clock\":\"" c "\",\"backend\":\"" $i "\",\"gflops\":" $(i + 2) "}" }' | tee -a "$out"
  done
fi
/usr/bin/python3 - "$out" "$models" <<'PY'
import json, os, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
med = statistics.median
enc, steps, gemm = {}, {}, {}
for r in rows:
    if r.get("measurement") == "gemm":
        gemm.setdefault(r["clock"], []).append(r["gflops"])
    elif r.get("measurement") == "train_step" or r.get("impl", "").startswith("skald"):
        steps.setdefault("torchsharp" if r.get("engine", "").startswith("torchsharp") else r["impl"], []).append(r)
    elif "tokens_per_s" in r:
        side = ("torchsharp" if r["engine"].startswith("torchsharp") else "high" if "+fp32high" in r["engine"]
                else "in-flight" if r["engine"].endswith("+inflight") else "skald")
        enc.setdefault((r["model"], r["seq"]), {}).setdefault(side, []).append(r)
for (model, seq), s in sorted(enc.items()):
    if len(s) < 2: continue
    m = lambda side, key: med(x[key] for x in s[side])
    print(f"encode {model} seq {seq}: Skald/TorchSharp wall {m('skald', 'tokens_per_s') / m('torchsharp', 'tokens_per_s'):.2f}x "
          f"({m('skald', 'tokens_per_s'):.0f} vs {m('torchsharp', 'tokens_per_s'):.0f} tokens/s), CPU time "
          f"{m('skald', 'tokens_per_cpu_s') / m('torchsharp', 'tokens_per_cpu_s'):.2f}x "
          f"({m('skald', 'tokens_per_cpu_s'):.0f} vs {m('torchsharp', 'tokens_per_cpu_s'):.0f} tokens/CPU s); "
          f"TorchSharp peak RSS {max(x['peak_rss_mb'] for x in s['torchsharp']):.0f} MB; {len(s['torchsharp'])} rounds")
    if "in-flight" in s:
        print(f"  batches in flight: Skald/TorchSharp wall {m('in-flight', 'tokens_per_s') / m('torchsharp', 'tokens_per_s'):.2f}x, "
              f"CPU time {m('in-flight', 'tokens_per_cpu_s') / m('torchsharp', 'tokens_per_cpu_s'):.2f}x")
    if "high" in s:
        print(f"  high precision (--float32-matmul high, not float32): Skald/TorchSharp wall "
              f"{m('high', 'tokens_per_s') / m('torchsharp', 'tokens_per_s'):.2f}x, CPU time "
              f"{m('high', 'tokens_per_cpu_s') / m('torchsharp', 'tokens_per_cpu_s'):.2f}x; against Skald highest CPU time "
              f"{m('high', 'tokens_per_cpu_s') / m('skald', 'tokens_per_cpu_s'):.2f}x; min cosine to highest "
              f"{min(x['min_cosine_vs_f32'] for x in s['high']):.6f}; AMX ran it: {all(x['fp32_high_runs'] for x in s['high'])}")
if "skald" in steps and "torchsharp" in steps:
    cfg = json.load(open(os.path.join(sys.argv[2], "bert-384", "config.json")))
    L, C = cfg["num_hidden_layers"], cfg["hidden_size"]
    I = cfg["intermediate_size"]
    first = steps["skald"][0]
    T, tokens = first["seq"], first["columns"] * first["batch_pairs"] * first["seq"]
    # Matrix FLOPs: forward 2·(4C² + 2·C·I) per token per layer for the Linears + 4·T·C for QKᵀ and PV; backward twice that.
    flops = 3 * tokens * L * (2 * (4 * C * C + 2 * C * I) + 4 * T * C)
    m = lambda side, key: med(x[key] for x in steps[side])
    sk, tsw, skc, tsc = m("skald", "step_s"), m("torchsharp", "step_s"), m("skald", "step_cpu_s"), m("torchsharp", "step_cpu_s")
    print(f"train step bert-384 {first['columns']}x{first['batch_pairs']}x{T}: Skald {sk:.2f} s vs TorchSharp {tsw:.2f} s "
          f"(wall {tsw / sk:.2f}x), CPU {skc:.1f} vs {tsc:.1f} s ({tsc / skc:.2f}x); peak RSS "
          f"{max(x['peak_rss_mb'] for x in steps['skald']):.0f} vs {max(x['peak_rss_mb'] for x in steps['torchsharp']):.0f} MB; "
          f"{len(steps['skald'])} rounds")
    if "skald-amx-off" in steps:
        ok, okc = m("skald-amx-off", "step_s"), m("skald-amx-off", "step_cpu_s")
        print(f"  SKALD_AMX=0: {ok:.2f} s (wall {tsw / ok:.2f}x TorchSharp), CPU {okc:.1f} s ({tsc / okc:.2f}x); "
              f"the default against it: wall {ok / sk:.2f}x, CPU {okc / skc:.2f}x")
    for clock, sk_s, ts_s in (("wall", sk, tsw), ("cpu", skc, tsc)):
        if clock not in gemm: continue
        # wall: GFLOP/s of the 2-thread step vs the 2-thread GEMM; cpu: GFLOP per CPU second (per busy core) on both.
        peak, rate, rate_ts = max(gemm[clock]), flops / sk_s / 1e9, flops / ts_s / 1e9
        print(f"  step {flops / 1e12:.2f} TFLOP, {clock} clock: Skald {rate:.1f} GFLOP/s, TorchSharp {rate_ts:.1f}; "
              f"managed GEMM peak {peak:.1f} (Skald's step at {rate / peak * 100:.0f}% of it)")
PY
echo "results: $out"
