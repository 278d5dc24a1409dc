#!/usr/bin/env bash
# Decoder encode, Skald vs TorchSharp-cpu 0.107, interleaved (called by `bash bench/torchsharp/run.sh --decoder`,
# which documents it): bash bench/torchsharp/run_decoder.sh ROUNDS ITERS MODELS
# With INFLIGHT=N (default 8, 0 for none; run.sh's --in-flight) each round also runs Skald packed-only with N batches
# in flight (bench/decoder --pack 2 --in-flight N), printed as its own line.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=$1 iters=$2 model=$3/qwen2-0.5b
if [ ! -f "$model/model.safetensors.index.json" ]; then
  /usr/bin/python3 fixtures/models/export_bench_decoder.py --out "$model" >&2
fi
mkdir -p bench/results
out=bench/results/torchsharp-decoder-$(date +%Y%m%d-%H%M%S).jsonl
: > "$out"
dotnet build -c Release bench/torchsharp -v q -nologo -o bench/results/torchsharp-bin >/dev/null
/usr/bin/python3 bench/torchsharp/weak_glibcxx.py bench/results/torchsharp-bin/runtimes/linux-x64/native/libLibTorchSharp.so >&2
dotnet build -c Release bench/decoder -v q -nologo -o bench/results/decoder-bin >/dev/null
for r in $(seq 1 "$rounds"); do
  echo "{\"measurement\":\"load\",\"round\":$r,\"date\":\"$(date -Is)\",\"loadavg\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}" | tee -a "$out"
  dotnet bench/results/torchsharp-bin/Skald.Bench.TorchSharp.dll --decoder --threads 2 --iters "$iters" "$model" | tee -a "$out"
  dotnet bench/results/decoder-bin/Skald.Bench.Decoder.dll encode "$model" --attention causal --iters "$iters" --pack 2 \
    2> >(grep -v '^encode ' >&2) | tee -a "$out"
  if [ "${INFLIGHT:-8}" != 0 ]; then
    dotnet bench/results/decoder-bin/Skald.Bench.Decoder.dll encode "$model" --attention causal --iters "$iters" --pack 2 \
      --in-flight "${INFLIGHT:-8}" 2> >(grep -v '^encode ' >&2) | tee -a "$out"
  fi
done
/usr/bin/python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
ts = [r for r in rows if r.get("engine", "").startswith("torchsharp")]
sk = [r for r in rows if r.get("engine") == "skald"]
if not ts or not sk:
    sys.exit("missing a side")
med = lambda xs, key: statistics.median(x[key] for x in xs)
cpu = lambda r: r.get("tokens_per_cpu_s") or r["batch"] * r["seq"] / r["cpu_s"]
sk_cpu, ts_cpu = statistics.median(cpu(r) for r in sk), statistics.median(cpu(r) for r in ts)
print(f"decoder {ts[0]['model']} {ts[0]['batch']} x {ts[0]['seq']} causal, {len(ts)} rounds: Skald packed-only/TorchSharp wall "
      f"{med(sk, 'tokens_per_s') / med(ts, 'tokens_per_s'):.2f}x ({med(sk, 'tokens_per_s'):.1f} vs {med(ts, 'tokens_per_s'):.1f} tokens/s), "
      f"CPU time {sk_cpu / ts_cpu:.2f}x; peak RSS {max(r['peak_rss_mb'] for r in sk):.0f} vs {max(r['peak_rss_mb'] for r in ts):.0f} MB; "
      f"pooled sums {sk[0].get('pooled_sum')} vs {ts[0].get('pooled_sum')}; TorchSharp vs PyTorch max abs diff "
      f"{ts[0].get('max_abs_diff_vs_pytorch')}, min pooled cosine {ts[0].get('min_cosine_vs_pytorch')}")
fl = [r for r in rows if r.get("engine") == "skald-inflight"]
if fl:
    print(f"  {fl[0]['batches_in_flight']} batches in flight: Skald/TorchSharp wall {med(fl, 'tokens_per_s') / med(ts, 'tokens_per_s'):.2f}x, "
          f"CPU time {statistics.median(cpu(r) for r in fl) / ts_cpu:.2f}x; in flight/one at a time CPU time "
          f"{statistics.median(cpu(r) for r in fl) / sk_cpu:.2f}x; peak RSS {max(r['peak_rss_mb'] for r in fl):.0f} MB")
PY
echo "results: $out"
