#!/usr/bin/env bash
# HNSW: Skald (bench/hnsw) and hnswlib (python3-hnswlib) on the same clustered corpus, interleaved for --rounds rounds,
# then medians and ratios per ef.
# Usage: bash bench/hnsw/run.sh [--rounds 2] [--rows 200000] [--dim 384] [--m 16] [--ef-construction 200]
# Needs `apt-get install python3-hnswlib` for the peer (the Skald lines run without it). Bounded: at 200k × 384 about
# a minute per program per round on 2 quiet cores; memory ≈ 2× the corpus (300 MB at 200k × 384).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
rounds=2; make=(); pass=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --rows|--dim) make+=("$1" "$2"); shift 2 ;;
    *) pass+=("$1" "$2"); shift 2 ;;
  esac
done
dotnet build "$here/Skald.Bench.Hnsw.csproj" -c Release -v q -nologo >/dev/null || { echo "bench/hnsw: build failed" >&2; exit 1; }
dll="$here/bin/Release/net10.0/Skald.Bench.Hnsw.dll"
data=$(mktemp -d); out=$(mktemp)
trap 'rm -rf "$data" "$out"' EXIT
dotnet "$dll" --write "$data" "${make[@]}"
peer=1; /usr/bin/python3 -c "import hnswlib" 2>/dev/null || { peer=0; echo "hnswlib: not installed (apt-get install python3-hnswlib); Skald only" >&2; }
for ((r = 1; r <= rounds; r++)); do
  dotnet "$dll" --data "$data" "${pass[@]}" | tee -a "$out"
  if [[ $peer == 1 ]]; then /usr/bin/python3 "$here/hnsw_hnswlib.py" --data "$data" "${pass[@]}" | tee -a "$out"; fi
done
/usr/bin/python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
def med(engine, ef, key):
    v = [r[key] for r in rows if r["engine"] == engine and r["ef"] == ef]
    return statistics.median(v) if v else float("nan")
efs = sorted({r["ef"] for r in rows})
summary = {"summary": "hnsw", "rows": rows[0]["rows"], "dim": rows[0]["dim"], "m": rows[0]["m"],
           "ef_construction": rows[0]["ef_construction"],
           "build_s": {e: med(e, efs[0], "build_s") for e in ("skald", "hnswlib")},
           "loads": sorted({r["load"] for r in rows}), "per_ef": []}
summary["build_speedup_vs_hnswlib"] = summary["build_s"]["hnswlib"] / summary["build_s"]["skald"]
for ef in efs:
    s, h, q = med("skald", ef, "query_ms"), med("hnswlib", ef, "query_ms"), med("skald-int8", ef, "query_ms")
    summary["per_ef"].append({"ef": ef, "query_ms": {"skald": s, "hnswlib": h, "skald-int8": q}, "query_speedup_vs_hnswlib": h / s,
                              "int8_speedup_vs_float": s / q,
                              "recall_at_k": {e: med(e, ef, "recall_at_k") for e in ("skald", "hnswlib", "skald-int8")}})
print(json.dumps(summary))
PY
