#!/usr/bin/python3
"""PyTorch twin of bench/encoders/Program.cs at a base model's shapes, random weights, under inference_mode, last
hidden state + mean pooling. --arch norbert3: fixtures/models/ref_norbert.py (plain PyTorch, eager, float32, the
position terms gathered as upstream does); --arch modernbert: fixtures/models/ref_modernbert.py (transformers'
eager path: masked dense attention on local layers too); --arch gte: fixtures/models/ref_gte.py in float32 (new-impl's
eager NewAttention: one qkv_proj, RoPE with the NTK-scaled table, matmul-softmax-matmul). Not part of CI.

    /usr/bin/python3 bench/encoders/bench_torch_encoders.py [--arch norbert3|modernbert|gte] [--batch 8] [--seq 128] [--warmup 1] [--iters 3]
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")  # see fixtures/models/bench_torch.py
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fixtures" / "models"))
import ref_gte as G  # noqa: E402
import ref_modernbert as M  # noqa: E402
import ref_norbert as R  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
from splitmix import splitmix_ids  # noqa: E402

CONFIG = {"hidden_size": 768, "intermediate_size": 2048, "layer_norm_eps": 1e-07, "max_position_embeddings": 512,
          "num_attention_heads": 12, "num_hidden_layers": 12, "position_bucket_size": 32, "vocab_size": 50000}


def weights(cfg):
    g = torch.Generator().manual_seed(1)
    c, inter, r = cfg["hidden_size"], cfg["intermediate_size"], 2 * cfg["position_bucket_size"] - 1
    n = lambda *shape: torch.randn(*shape, generator=g) * 0.05  # noqa: E731
    w = {"embedding.word_embedding.weight": n(cfg["vocab_size"], c), "embedding.relative_embedding": n(r, c),
         "embedding.relative_layer_norm.weight": torch.ones(c), "embedding.relative_layer_norm.bias": torch.zeros(c)}
    for i in range(cfg["num_hidden_layers"]):
        p = f"transformer.layers.{i}."
        for name, rows in (("in_proj_qk", 2 * c), ("in_proj_v", c), ("out_proj", c)):
            w[p + f"attention.{name}.weight"] = n(rows, c)
            w[p + f"attention.{name}.bias"] = torch.zeros(rows)
        w[p + "attention.post_layer_norm.weight"] = torch.ones(c)
        w[p + "attention.post_layer_norm.bias"] = torch.zeros(c)
        w[p + "mlp.mlp.1.weight"] = n(2 * inter, c)
        w[p + "mlp.mlp.4.weight"] = n(c, inter)
    return w


MODERNBERT = {"hidden_size": 768, "intermediate_size": 1152, "num_hidden_layers": 22, "num_attention_heads": 12,
              "vocab_size": 50368, "global_attn_every_n_layers": 3, "local_attention": 128, "global_rope_theta": 160000.0,
              "local_rope_theta": 10000.0, "hidden_activation": "gelu", "norm_eps": 1e-05}


def modernbert_weights(cfg):
    g = torch.Generator().manual_seed(1)
    c, inter = cfg["hidden_size"], cfg["intermediate_size"]
    n = lambda *shape: torch.randn(*shape, generator=g) * 0.02  # noqa: E731
    w = {"embeddings.tok_embeddings.weight": n(cfg["vocab_size"], c), "embeddings.norm.weight": torch.ones(c),
         "final_norm.weight": torch.ones(c)}
    for i in range(cfg["num_hidden_layers"]):
        p = f"layers.{i}."
        if i > 0:
            w[p + "attn_norm.weight"] = torch.ones(c)
        w[p + "attn.Wqkv.weight"] = n(3 * c, c)
        w[p + "attn.Wo.weight"] = n(c, c)
        w[p + "mlp_norm.weight"] = torch.ones(c)
        w[p + "mlp.Wi.weight"] = n(2 * inter, c)
        w[p + "mlp.Wo.weight"] = n(c, inter)
    return w


GTE = {"hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12, "num_attention_heads": 12,
       "vocab_size": 250048, "max_position_embeddings": 8192, "hidden_act": "gelu", "layer_norm_type": "layer_norm",
       "layer_norm_eps": 1e-12, "position_embedding_type": "rope", "rope_theta": 20000,
       "rope_scaling": {"type": "ntk", "factor": 8.0}, "type_vocab_size": 1, "pack_qkv": True}


def gte_weights(cfg):
    g = torch.Generator().manual_seed(1)
    c, inter = cfg["hidden_size"], cfg["intermediate_size"]
    n = lambda *shape: torch.randn(*shape, generator=g) * 0.02  # noqa: E731
    w = {"embeddings.word_embeddings.weight": n(cfg["vocab_size"], c), "embeddings.token_type_embeddings.weight": n(1, c),
         "embeddings.LayerNorm.weight": torch.ones(c), "embeddings.LayerNorm.bias": torch.zeros(c)}
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        w[p + "attention.qkv_proj.weight"], w[p + "attention.qkv_proj.bias"] = n(3 * c, c), torch.zeros(3 * c)
        w[p + "attention.o_proj.weight"], w[p + "attention.o_proj.bias"] = n(c, c), torch.zeros(c)
        w[p + "mlp.up_gate_proj.weight"] = n(2 * inter, c)
        w[p + "mlp.down_proj.weight"], w[p + "mlp.down_proj.bias"] = n(c, inter), torch.zeros(c)
        for norm in ("attn_ln", "mlp_ln"):
            w[p + norm + ".weight"], w[p + norm + ".bias"] = torch.ones(c), torch.zeros(c)
    return w


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", choices=["norbert3", "modernbert", "gte"], default="norbert3")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--iters", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(2)
    torch.set_num_interop_threads(1)
    if args.arch == "norbert3":
        cfg, model, pool = CONFIG, R.Norbert(CONFIG, weights(CONFIG)), R.mean_pool
    elif args.arch == "gte":
        cfg, w = GTE, gte_weights(GTE)
        model, pool = (lambda i, m: G.forward(GTE, w, i, m, dtype=torch.float32)), M.mean_pool
    else:
        cfg, w = MODERNBERT, modernbert_weights(MODERNBERT)
        model, pool = (lambda i, m: M.forward(MODERNBERT, w, i, m)), M.mean_pool
    ids = torch.tensor(splitmix_ids(1, args.batch * args.seq, cfg["vocab_size"])).view(args.batch, args.seq)
    mask = torch.ones_like(ids)
    times, cpu = [], 0.0
    with torch.inference_mode():
        for it in range(args.warmup + args.iters):
            c0, t0 = time.process_time(), time.perf_counter()
            pool(model(ids, mask), mask)
            dt = time.perf_counter() - t0
            print(f"encode {it}: {dt:.3f} s", file=sys.stderr)
            if it >= args.warmup:
                times.append(dt)
                cpu += time.process_time() - c0
    mean = sum(times) / len(times)
    print(json.dumps({"engine": "pytorch", "version": torch.__version__, "measurement": "encode",
                      "model": f"{args.arch}-base (random)", "batch": args.batch, "seq": args.seq, "iters": len(times),
                      "s_per_batch": round(mean, 3), "best_s": round(min(times), 3),
                      "tokens_per_s": round(args.batch * args.seq / mean, 1), "cpu_s": round(cpu / len(times), 3),
                      "threads": torch.get_num_threads(), "ids_checksum": int(ids.sum())}))


if __name__ == "__main__":
    main()
