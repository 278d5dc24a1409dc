#!/usr/bin/env bash
# Exact MaxSim scan of a ColBERT index: Skald (bench/maxsim) and numpy over the same float32 / float16 / int8 index
# folders and the same query, interleaved for --rounds rounds, then medians and ratios.
# Usage: bash bench/maxsim/run.sh [--rounds 3] [--chunks 20000] [--min-tokens 100] [--max-tokens 180] [--dim 128]
#        [--query-tokens 32] [--reps 5] [--folder DIR] [--plaid-centroids N [--plaid-sample 2000]]
# The index folders are written once into --folder (default $TMPDIR/skald-bench-maxsim; reused while the sizes are
# the same): at the defaults 2.8M token vectors, 1.43 GB float32 + 0.72 GB float16 + 0.37 GB int8 on disk, read through
# the page cache by both programs (memory: the page cache only; each program holds one block of scores).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
rounds=3; pass=(); folder="${TMPDIR:-/tmp}/skald-bench-maxsim"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --folder) folder="$2"; shift 2 ;;
    *) pass+=("$1" "$2"); shift 2 ;;
  esac
done
threads=$(nproc)
dotnet build "$here/Skald.Bench.MaxSim.csproj" -c Release -v q -nologo >/dev/null
dll="$here/bin/Release/net10.0/Skald.Bench.MaxSim.dll"
out=$(mktemp)
for ((r = 1; r <= rounds; r++)); do
  dotnet "$dll" --folder "$folder" "${pass[@]}" | tee -a "$out"
  OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads /usr/bin/python3 "$here/maxsim_numpy.py" --folder "$folder" "${pass[@]}" | tee -a "$out"
done
/usr/bin/python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
kernels = [r for r in rows if r["precision"] == "kernels"]
rows = [r for r in rows if r["precision"] != "kernels"]
def med(engine, precision, key):
    v = [r[key] for r in rows if r["engine"] == engine and r["precision"] == precision]
    return statistics.median(v) if v else float("nan")
def last(engine, precision):
    return next(r for r in reversed(rows) if r["engine"] == engine and r["precision"] == precision)
summary = {"summary": "maxsim", "rounds": len([r for r in rows if r["engine"] == "skald" and r["precision"] == "float32"])}
for p in ("float32", "float16", "int8"):
    s, n = last("skald", p), last("numpy", p)
    summary[p] = {"token_mb": s["token_mb"], "ms": {"skald": med("skald", p, "ms"), "numpy": med("numpy", p, "ms")},
                  "gb_per_s": {"skald": med("skald", p, "gb_per_s"), "numpy": med("numpy", p, "gb_per_s")},
                  "gflops": {"skald": med("skald", p, "gflops"), "numpy": med("numpy", p, "gflops")},
                  "skald_pct_of_peak": med("skald", p, "pct_of_peak"), "skald_pct_of_peak_per_cpu_s": med("skald", p, "pct_of_peak_per_cpu_s"),
                  "skald_speedup_vs_numpy": med("numpy", p, "ms") / med("skald", p, "ms"),
                  "skald_speedup_vs_skald_float32": med("skald", "float32", "ms") / med("skald", p, "ms"),
                  "same_top10_as_numpy": len(set(s["top"]) & set(n["top"])) / len(s["top"]),
                  "top10_overlap_with_float32": len(set(s["top"]) & set(last("skald", "float32")["top"])) / len(s["top"]),
                  "max_top10_score_diff_vs_numpy": max(abs(a - b) for a, b in zip(s["scores"], n["scores"]))}
if any(r["precision"] == "plaid" for r in rows):
    s = last("skald", "plaid")
    summary["plaid"] = {"token_mb": s["token_mb"], "ms": med("skald", "plaid", "ms"), "recall_of_float32_top10": s["recall_of_float32_top10"],
                        "skald_speedup_vs_skald_float32": med("skald", "float32", "ms") / med("skald", "plaid", "ms")}
loads = sorted(float(r["load"]) for r in rows if r.get("load", "?") != "?")
summary["load_min_max"] = [loads[0], loads[-1]] if loads else None
summary["document_tokens"] = rows[0]["document_tokens"]
if kernels:
    summary["kernels_us_per_chunk_one_thread"] = {k: statistics.median(r["us_per_chunk"][k] for r in kernels) for k in kernels[0]["us_per_chunk"]}
    summary["kernels_gflops_one_thread"] = {k: statistics.median(r["gflops_one_thread"][k] for r in kernels) for k in kernels[0]["gflops_one_thread"]}
    summary["kernels_pct_of_peak_one_thread"] = {k: statistics.median(r["pct_of_peak_one_thread"][k] for r in kernels) for k in kernels[0]["pct_of_peak_one_thread"]}
print(json.dumps(summary))
PY
rm -f "$out"
