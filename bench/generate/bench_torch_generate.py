#!/usr/bin/python3
"""PyTorch twin of bench/generate/Program.cs: greedy decoding with a KV cache (fixtures/models/ref_generate.py's
CachedDecoder: transformers' generate loop in plain PyTorch, keys/values concatenated per step like DynamicCache),
same prompts, same thread count. One JSON line on stdout.

    /usr/bin/python3 bench_torch_generate.py MODEL_DIR [--batch 1] [--prompt 32] [--new 64] [--warmup 1] [--iters 3] [--threads 2]
"""

import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fixtures" / "models"))
import make_models as M  # noqa: E402
import ref_generate as G  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    for name, default in (("batch", 1), ("prompt", 32), ("new", 64), ("warmup", 1), ("iters", 3), ("threads", 2)):
        ap.add_argument(f"--{name}", type=int, default=default)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    folder = Path(a.model)
    cfg = json.loads((folder / "config.json").read_text())
    weights = {}
    for f in sorted(folder.glob("*.safetensors")):
        weights.update(M.read_safetensors(f))
    model = G.CachedDecoder(cfg, weights)
    vocab = cfg["vocab_size"]
    prompts = [[(7 * i + 13 * b) % vocab + 1 for i in range(a.prompt)] for b in range(a.batch)]
    times, out = [], None
    for it in range(a.warmup + a.iters):
        t = time.perf_counter()
        out, _ = model.greedy(prompts, a.new, 0)
        dt = time.perf_counter() - t
        print(f"pytorch generate: {dt:.2f} s{' (warm-up)' if it < a.warmup else ''}", file=sys.stderr)
        if it >= a.warmup:
            times.append(dt)
    mean = sum(times) / len(times)
    print(json.dumps({"engine": "pytorch", "measurement": "generate", "batch": a.batch, "prompt": a.prompt,
                      "new_tokens": a.new, "threads": a.threads, "torch": torch.__version__, "iters": len(times),
                      "s_per_run": round(mean, 3), "best_s": round(min(times), 3),
                      "tokens_per_s": round(a.batch * a.new / mean, 2), "first_ids": out[0][:8]}))


if __name__ == "__main__":
    main()
