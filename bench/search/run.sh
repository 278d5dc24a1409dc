#!/usr/bin/env bash
# Exact top-k search: Skald (bench/search) and numpy, interleaved for --rounds rounds, then medians and ratios.
# Usage: bash bench/search/run.sh [--rounds 3] [--rows 1000000] [--dim 384] [--batch 256] [--ivf 1 [--pq 48 [--pq-bits 4] [--opq ROUNDS [--opq-dim D]]]]
# --ivf 1 adds the IVF lines (Skald only: a clustered corpus, lists trained, one query at several probe counts against
# the exact scan, recall@10); it adds about a minute per round at 1M rows. --pq M (with --ivf 1) adds the PQ lines on the
# same corpus: M-byte codes scanned exactly and IVF-PQ in the same lists, with and without rescoring ×4 (another 1–2 min);
# --pq-bits 4 trains 16 centroids per subspace and times each search with and without the fast scan (same hits);
# --opq R trains an OPQ rotation with the codebooks (R rounds); --opq-dim D maps the rows to D values first.
# Bounded: about 15 s per program per round at 1M × 384 on 2 quiet cores (2.5 min at load 50); peak memory ≈ 1.6 GB
# per program (one at a time).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
rounds=3; pass=(); ivf=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --ivf) ivf+=(--ivf "$2"); shift 2 ;;
    --pq) ivf+=(--pq "$2"); shift 2 ;;
    --pq-bits) ivf+=(--pq-bits "$2"); shift 2 ;;
    --opq) ivf+=(--opq "$2"); shift 2 ;;
    --opq-dim) ivf+=(--opq-dim "$2"); shift 2 ;;
    *) pass+=("$1" "$2"); shift 2 ;;
  esac
done
threads=$(nproc)
dotnet build "$here/Skald.Bench.Search.csproj" -c Release -v q -nologo >/dev/null
dll="$here/bin/Release/net10.0/Skald.Bench.Search.dll"
out=$(mktemp)
for ((r = 1; r <= rounds; r++)); do
  dotnet "$dll" "${pass[@]}" "${ivf[@]}" | tee -a "$out"
  OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads /usr/bin/python3 "$here/search_numpy.py" "${pass[@]}" | tee -a "$out"
done
/usr/bin/python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
def med(engine, what, key):
    v = [r[key] for r in rows if r["engine"] == engine and r["what"] == what and key in r]
    return statistics.median(v) if v else float("nan")
bw = med("skald", "bandwidth", "gb_per_s")
peak = med("skald", "gemm", "peak_gflops")
sq, nq = med("skald", "query", "ms"), med("numpy", "query", "ms")
sb, nb = med("skald", "batch", "gflops"), med("numpy", "batch", "gflops")
loads = sorted(float(r["load"]) for r in rows if r.get("load", "?") != "?")
summary = {
    "summary": "search", "rounds": len([r for r in rows if r["engine"] == "skald" and r["what"] == "query"]),
    "bandwidth_gb_per_s": bw, "gemm_peak_gflops": peak, "numpy_gemm_1024_gflops": med("numpy", "gemm", "square_1024_gflops"),
    "query_ms": {"skald": sq, "numpy": nq}, "query_pct_bandwidth": {"skald": med("skald", "query", "gb_per_s") / bw * 100,
                                                                  "numpy": med("numpy", "query", "gb_per_s") / bw * 100},
    "query_speedup_vs_numpy": nq / sq, "query_ms_previous_gemm_path": med("skald", "query_gemm_path", "ms"),
    "batch_gflops": {"skald": sb, "numpy": nb}, "batch_pct_gemm_peak": {"skald": sb / peak * 100, "numpy": nb / peak * 100},
    "batch_pct_best_gemm_in_run": sb / max(peak, med("numpy", "gemm", "square_1024_gflops")) * 100,
    "batch_speedup_vs_numpy": sb / nb, "load_min_max": [loads[0], loads[-1]] if loads else None,
}
def medq(engine, precision, key):
    v = [r[key] for r in rows if r["engine"] == engine and r["what"] == "quantized" and r["precision"] == precision and key in r]
    return statistics.median(v) if v else float("nan")
for p in ("ubinary", "int8"):
    summary[p] = {"query_ms": {"skald": medq("skald", p, "query_ms"), "numpy": medq("numpy", p, "query_ms")},
                  "query_speedup_vs_skald_float": medq("skald", p, "query_speedup_vs_float"),
                  "batch_speedup_vs_skald_float": medq("skald", p, "batch_speedup_vs_float"),
                  "recall_at_k": medq("skald", p, "recall_at_k"), "corpus_mb": medq("skald", p, "corpus_mb")}
    summary[p]["query_speedup_vs_numpy"] = summary[p]["query_ms"]["numpy"] / summary[p]["query_ms"]["skald"]
ivf = sorted({r["probes"] for r in rows if r["what"] == "ivf"})
if ivf:
    def medi(probes, key):
        return statistics.median([r[key] for r in rows if r["what"] == "ivf" and r["probes"] == probes])
    summary["ivf"] = [{"probes": p, "query_ms": medi(p, "query_ms"), "exact_query_ms": medi(p, "exact_query_ms"),
                       "speedup_vs_exact": medi(p, "speedup_vs_exact"), "recall_at_k": medi(p, "recall_at_k")} for p in ivf]
    summary["ivf_lists"] = next(r["lists"] for r in rows if r["what"] == "ivf")
    summary["ivf_train_s"] = statistics.median([r["train_s"] for r in rows if r["what"] == "ivf"])
pq = sorted({(r["what"], r["probes"], r["rescore_multiplier"]) for r in rows if r["what"] in ("pq", "ivf_pq")})
if pq:
    def medp(key, what, probes, mult):
        v = [r[key] for r in rows if r["what"] in ("pq", "ivf_pq") and r.get(key) is not None
             and (r["what"], r["probes"], r["rescore_multiplier"]) == (what, probes, mult)]
        return statistics.median(v) if v else None
    summary["pq"] = [{"what": w, "probes": p, "rescore_multiplier": m, **{key: medp(key, w, p, m) for key in
                      ("subspaces", "bits", "query_ms", "every_code_query_ms", "exact_query_ms", "speedup_vs_exact", "recall_at_k", "codes_mb", "train_s", "encode_s")}}
                     for (w, p, m) in pq]
print(json.dumps(summary))
PY
rm -f "$out"
