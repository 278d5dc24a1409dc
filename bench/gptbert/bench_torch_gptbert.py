#!/usr/bin/python3
"""PyTorch twin of bench/gptbert/Program.cs: ref_gptbert.py (the plain-PyTorch GPT-BERT of the parity fixture) with
random weights of ltg/norbert4-base's shapes, eval mode, no_grad.

    bench_torch_gptbert.py encode [--batch 8] [--seq 128] [--iters 3] [--threads 2]
    bench_torch_gptbert.py memory --seq 4096 [--layers 4] [--threads 2]
"""

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fixtures" / "models"))
import ref_gptbert as R  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["encode", "memory"])
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--layers", type=int, default=None)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    layers = a.layers or (4 if a.mode == "memory" else 24)
    batch = 1 if a.mode == "memory" else a.batch
    cfg = {"hidden_size": 640, "intermediate_size": 1664, "num_layers": layers, "layer_norm_eps": 1e-7,
           "query_key_head_size": 64, "num_attention_heads": 10, "vocab_size": 51200, "local_global_ratio": 4,
           "global_window_length": 8192, "local_window_length": 256}
    c, i, hd = 640, 1664, 640
    g = torch.Generator().manual_seed(1)
    w = {"embedding.word_embedding.weight": torch.randn(51200, c, generator=g) * 0.02,
         "embedding.word_scale": torch.zeros(c)}
    for n in range(layers):
        p = f"encoder.layers.{n}."
        w[p + "lambdas"] = torch.tensor([0., 0., 1., 0., 1., 0.])
        for k, shape in (("attention.qk_proj.weights.0", (hd, c)), ("attention.qk_proj.weights.1", (hd, c)),
                         ("attention.v_proj.weight", (hd, c)), ("attention.out_proj.weight", (c, hd)),
                         ("mlp.up_proj.weights.0", (i, c)), ("mlp.up_proj.weights.1", (i, c)),
                         ("mlp.down_proj.weight", (c, i))):
            w[p + k] = torch.randn(*shape, generator=g) * 0.02
        for k, n_in in (("attention.qk_proj.scale", c), ("attention.v_proj.scale", c), ("attention.out_proj.scale", hd),
                        ("mlp.up_proj.scale", c), ("mlp.down_proj.scale", i)):
            w[p + k] = torch.ones(n_in)
        w[p + "attention.q_scale"] = torch.ones(10, 64)
        w[p + "attention.k_scale"] = torch.ones(10, 64)
        w[p + "attention.lambdas"] = torch.tensor([0.5])
    model = R.GptBert(cfg, w)
    ids = torch.randint(5, 51200, (batch, a.seq), generator=g)
    mask = torch.ones(batch, a.seq, dtype=torch.long)
    with torch.no_grad():
        if a.mode == "memory":
            t = time.perf_counter()
            model(ids, mask)
            print(json.dumps({"engine": "pytorch", "measurement": "memory", "seq": a.seq, "layers": layers,
                              "s": round(time.perf_counter() - t, 2),
                              "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))
            return
        model(ids, mask)
        times = []
        cpu = 0.0
        for n in range(a.iters):
            t, c = time.perf_counter(), time.process_time()
            model(ids, mask)
            times.append(time.perf_counter() - t)
            cpu += time.process_time() - c
            print(f"pytorch encode {n + 1}/{a.iters}: {times[-1]:.2f} s", file=sys.stderr)
    print(json.dumps({"engine": "pytorch", "measurement": "encode", "batch": batch, "seq": a.seq, "layers": layers,
                      "threads": a.threads, "best_s": round(min(times), 3),
                      "tokens_per_s": round(batch * a.seq / (sum(times) / len(times)), 1),
                      "cpu_s": round(cpu / len(times), 3),
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))


if __name__ == "__main__":
    main()
