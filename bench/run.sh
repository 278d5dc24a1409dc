#!/usr/bin/env bash
# Encoder throughput, Skald (float32 and int8) vs PyTorch vs ONNX Runtime (node and C#), same ids, same thread count
# (2), in one run.
# Not part of CI. Needs: /usr/bin/python3 with torch (apt python3-torch), node + onnxruntime-node
# (npm install --no-save --ignore-scripts onnxruntime-node in fixtures/models), OpenBLAS optional.
#   bash bench/run.sh [--seconds N]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${2:-5}
models=fixtures/models/.bench
if [ ! -f "$models/bert-384/model.safetensors" ]; then
  /usr/bin/python3 fixtures/models/export_bench_models.py --out "$models"
fi
[ -d fixtures/models/node_modules/onnxruntime-node ] || (cd fixtures/models && npm install --no-save --ignore-scripts onnxruntime-node >/dev/null)
out=bench/results/encode-$(date +%Y%m%d-%H%M%S).jsonl
mkdir -p bench/results
dotnet build -c Release bench/Skald.Bench -v q -nologo -o bench/results/bin >/dev/null
skald() { dotnet bench/results/bin/Skald.Bench.dll "$@"; }
# ONNX Runtime 1.31 in C# (Microsoft.ML.OnnxRuntime from NuGet), the issue-16 peer; same ids as Skald.Bench
dotnet build -c Release bench/ort -v q -nologo -o bench/results/ort-bin >/dev/null
ortcs() { dotnet bench/results/ort-bin/Skald.Bench.Ort.dll --threads 2 "$@"; }
{
  /usr/bin/python3 fixtures/models/bench_torch.py --dir "$models" --seconds "$secs" || echo '{"engine":"pytorch","error":"failed"}'
  node fixtures/models/bench_onnx.mjs --dir "$models" --seconds "$secs" || echo '{"engine":"onnxruntime","error":"failed"}'
  ortcs --seconds "$secs" "$models/bert-384" "$models/bert-768" || echo '{"engine":"onnxruntime-cs","error":"failed"}'
  skald --gemm managed "$models/bert-384" "$models/bert-768"
  skald --gemm managed --packed "$models/bert-384" "$models/bert-768"
  skald --gemm managed --packed --int8 "$models/bert-384" "$models/bert-768"
  skald --gemm openblas "$models/bert-384" "$models/bert-768" || echo '{"engine":"skald-openblas","error":"OpenBLAS not found"}'
} | tee "$out"
echo "results: $out"
