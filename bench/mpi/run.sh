#!/usr/bin/env bash
# Data-parallel training step: `skald train` on 1 process vs `mpirun -np 2`, one thread per rank (SKALD_THREADS=1),
# same config (global batch split across the ranks). Prints samples/s of each and the 2-rank communication share.
# Also 1 process with 2 threads: ranks × threads fixed at 2, the comparison that matters on a 2-core machine.
# Usage: bench/mpi/run.sh MODEL_DIR [batch=32] [steps=8]   (SKALD_DLL=path/skald.dll skips the build)
set -euo pipefail
cd "$(dirname "$0")/../.."
model=${1:?model folder, e.g. fixtures/models/.bench/bert-384}; batch=${2:-32}; steps=${3:-8}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
if [ -n "${SKALD_DLL:-}" ]; then dll=$(realpath "$SKALD_DLL"); else dotnet build -c Release src/Skald.Cli -o "$work/bin" >/dev/null; dll=$work/bin/skald.dll; fi
python3 - "$work/pairs.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(512):
        f.write(json.dumps({"anchor": f"Hvor mange hus står langs elva i bygd nummer {i} om sommeren og vinteren?",
                            "positive": f"I bygd {i} står det {i + 3} hus langs elva, de fleste bygd av tre for lenge siden."}) + "\n")
PY
for n in 1 2 t2; do
  cat > "$work/c$n.yaml" <<YAML
model:
  path: $(realpath "$model")
  dropout: 0.1
data:
  train: $work/pairs.jsonl
training:
  batch_size: $batch
  max_steps: $steps
  logging_steps: $steps
output:
  dir: $work/out$n
  tensorboard: false
YAML
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
SKALD_THREADS=1 dotnet "$dll" train --config "$work/c1.yaml" 2>&1 | grep -E "^step $steps/" | sed 's/^/1 rank,  1 thread:  /'
SKALD_THREADS=2 dotnet "$dll" train --config "$work/ct2.yaml" 2>&1 | grep -E "^step $steps/" | sed 's/^/1 rank,  2 threads: /'
SKALD_THREADS=1 mpirun --allow-run-as-root --oversubscribe -np 2 dotnet "$dll" train --config "$work/c2.yaml" </dev/null 2>&1 \
  | grep -E "^step $steps/|^data-parallel" | sed 's/^/2 ranks, 1 thread each: /'
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
