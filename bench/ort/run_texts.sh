#!/usr/bin/env bash
# Encode on real texts, Skald vs ONNX Runtime 1.31 in C#, interleaved (bash bench/ort/run.sh --texts [FILE]): the
# first 512 sentences of FILE (default ../shared/data/text/ud-nb.txt, the shared suite's Bokmål running text),
# tokenized by each bench model's own tokenizer.json and truncated to 32 and 128 tokens (bench/Skald.Bench
# --write-ids), in batches of 32 taken in file order (as texts reach a server) and sorted longest first (as
# sentence-transformers' encode and SentenceEncoder.Encode batch them); both engines get the same batches, each padded
# to its longest text (bench/common/TextBatches). ORT computes the padding; Skald's inference skips it (UnpaddedRows).
# ROUNDS × (ORT, ORT spinning, Skald packed-only one batch at a time, Skald packed-only with its batches in flight:
# --in-flight, every batch of the file through SentenceEncoder.Encode's batch loop, InFlightBatches); prints the median ratio of texts/s (wall) and of real tokens per CPU
# second per (model, max length, order), and the batches' padding.
# With DECODER=1 (bash bench/ort/run.sh --decoder --texts): the Qwen2.5-0.5B-shaped decoder instead (causal, its own
# tokenizer.json, the first 128 sentences at most 128 tokens, batches of 8: bench/decoder's batch).
#   bash bench/ort/run_texts.sh ROUNDS SECONDS MODELS FILE [DECODER]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=$1 secs=$2 models=$3 text=$4 decoder=${5:-0}
if [ "$decoder" = 1 ]; then
  names=qwen2-0.5b lengths=128 count=128 batch=8 flag=--decoder
else
  names="bert-384 bert-768" lengths="32 128" count=512 batch=32 flag=
fi
if [ ! -f "$text" ]; then
  echo "bench/ort: $text: not found (the shared suite's text; give another with --texts FILE)" >&2
  exit 1
fi
mkdir -p bench/results
out=bench/results/ort-texts-$(date +%Y%m%d-%H%M%S).jsonl
dotnet build -c Release bench/ort -v q -nologo -o bench/results/ort-bin >/dev/null
dotnet build -c Release bench/Skald.Bench -v q -nologo -o bench/results/bin >/dev/null
for m in $names; do
  for n in $lengths; do
    dotnet bench/results/bin/Skald.Bench.dll --write-ids "bench/results/texts-$m-$n.ids" --from "$text" --max-len $n \
      --count $count "$models/$m"
  done
done
for r in $(seq 1 "$rounds"); do
  echo "{\"measurement\":\"load\",\"round\":$r,\"loadavg\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}" | tee -a "$out"
  for m in $names; do
    for n in $lengths; do
      ids=bench/results/texts-$m-$n.ids
      dotnet bench/results/ort-bin/Skald.Bench.Ort.dll $flag --batch $batch --texts "$ids" --seconds "$secs" "$models/$m" | tee -a "$out"
      dotnet bench/results/ort-bin/Skald.Bench.Ort.dll $flag --batch $batch --spin --texts "$ids" --seconds "$secs" "$models/$m" | tee -a "$out"
      dotnet bench/results/bin/Skald.Bench.dll --packed-only --batch $batch --texts "$ids" --seconds "$secs" "$models/$m" | tee -a "$out"
      dotnet bench/results/bin/Skald.Bench.dll --packed-only --in-flight 1 --batch $batch --texts "$ids" --seconds "$secs" "$models/$m" | tee -a "$out"
    done
  done
done
/usr/bin/python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
runs = {}
for r in rows:
    if "texts_per_s" not in r: continue
    side = ("ort-spin" if r["engine"].endswith("+spin") else "ort") if r["engine"].startswith("onnxruntime") else \
        "in-flight" if r["engine"].endswith("+inflight") else "skald"
    runs.setdefault((r["model"], r["seq"], r["order"]), {}).setdefault(side, []).append(r)
for (model, seq, order), s in sorted(runs.items()):
    if "ort" not in s or "skald" not in s: continue
    med = lambda side, key: statistics.median(x[key] for x in s[side])
    line = (f"{model} max {seq} {order}: padding {s['ort'][0]['padding']:.0%}; Skald/ORT texts/s wall "
            f"{med('skald', 'texts_per_s') / med('ort', 'texts_per_s'):.2f}x ({med('skald', 'texts_per_s'):.0f} vs "
            f"{med('ort', 'texts_per_s'):.0f}), per CPU s {med('skald', 'real_tokens_per_cpu_s') / med('ort', 'real_tokens_per_cpu_s'):.2f}x")
    if "ort-spin" in s:
        line += f"; vs ORT spinning wall {med('skald', 'texts_per_s') / med('ort-spin', 'texts_per_s'):.2f}x"
    if "in-flight" in s:
        line += (f"; batches in flight/ORT wall {med('in-flight', 'texts_per_s') / med('ort', 'texts_per_s'):.2f}x, per CPU s "
                 f"{med('in-flight', 'real_tokens_per_cpu_s') / med('ort', 'real_tokens_per_cpu_s'):.2f}x, in flight/one at a time wall "
                 f"{med('in-flight', 'texts_per_s') / med('skald', 'texts_per_s'):.2f}x")
    print(line + f" ({len(s['ort'])} rounds)")
PY
echo "results: $out"
