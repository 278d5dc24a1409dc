#!/usr/bin/python3
"""PyTorch twin of bench/training (Program.cs): one full MNRL training step (forward anchor + positive, loss,
backward, clip_grad_norm_(1.0), AdamW) on a random 12-layer BERT from fixtures/models/export_bench_models.py,
2 threads. Prints one JSON line. columns 3 adds a hard-negative column (anchor, positive, negative: the triplet step
bench/training and bench/torchsharp time, MNRL over the positives and negatives of the batch).

    /usr/bin/python3 bench/training/bench_torch_train.py fixtures/models/.bench/bert-384 [batch] [seq] [steps] [warmup] [dropout] [columns=2]
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")  # set before importing torch (see fixtures/models/README.md)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import torch  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "fixtures" / "training"))
sys.path.insert(0, str(ROOT / "fixtures" / "models"))
import make_models as M  # noqa: E402
import torch_model as T  # noqa: E402


def main():
    torch.set_num_threads(2)
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "fixtures/models/.bench/bert-384")
    batch, seq, steps, warmup = (int(a) for a in (sys.argv[2:6] + ["32", "32", "5", "2"][len(sys.argv[2:6]):]))
    dropout = float(sys.argv[6]) if len(sys.argv) > 6 else 0.1
    columns = int(sys.argv[7]) if len(sys.argv) > 7 else 2
    cfg = json.loads((folder / "config.json").read_text())
    model = T.TrainEncoder(cfg, M.read_safetensors(folder / "model.safetensors"), "mean", False, dropout)
    model.train()
    opt = torch.optim.AdamW(model.param_groups(0.01), lr=1e-5)
    g = torch.Generator().manual_seed(3)
    batches = [[torch.randint(1000, 30000, (batch, seq), generator=g) for _ in range(columns)] for _ in range(4)]
    mask = torch.ones(batch, seq, dtype=torch.long)
    times = []
    for s in range(warmup + steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=False)
        reps = [model(ids, mask) for ids in batches[s % len(batches)]]
        loss = T.mnrl(reps)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        dt = time.perf_counter() - t0
        if s >= warmup:
            times.append(dt)
        print(f"step {s}: {dt:.3f} s, loss {float(loss):.4f}", file=sys.stderr)
    mean = sum(times) / len(times)
    print(json.dumps({
        "impl": "pytorch", "torch": torch.__version__, "model": folder.name, "batch_pairs": batch, "seq": seq, "columns": columns,
        "dropout": dropout, "threads": torch.get_num_threads(), "step_s": round(mean, 4), "best_step_s": round(min(times), 4),
        "tokens_per_s": round(columns * batch * seq / mean, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "parameters": sum(p.numel() for p in model.parameters()),
    }))


if __name__ == "__main__":
    main()
