#!/usr/bin/python3
"""PyTorch twin of bench/splade/Program.cs: BERT-base (fixtures/models/ref_model.Encoder, plain PyTorch, float32) with
BertForMaskedLM's head (dense, exact GELU, LayerNorm, the tied decoder + bias) and sentence-transformers' SpladePooling
(max over the tokens of log1p(relu(logits)), the [B, T, V] logits materialised as upstream does), random weights,
under inference_mode, the same splitmix64 ids. Not part of CI.

    /usr/bin/python3 bench/splade/bench_torch_splade.py [--batch 16] [--seq 128] [--warmup 1] [--iters 3]
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fixtures" / "models"))
import ref_model as R  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
from splitmix import splitmix_ids  # noqa: E402

VOCAB = 30522
CONFIG = {"model_type": "bert", "hidden_size": 768, "num_attention_heads": 12, "num_hidden_layers": 12,
          "intermediate_size": 3072, "hidden_act": "gelu", "layer_norm_eps": 1e-12, "pad_token_id": 0,
          "max_position_embeddings": 512, "type_vocab_size": 2, "vocab_size": VOCAB}


def weights(cfg):
    g = torch.Generator().manual_seed(1)
    c, inter = cfg["hidden_size"], cfg["intermediate_size"]
    n = lambda *shape: torch.randn(*shape, generator=g) * 0.02  # noqa: E731
    w = {"embeddings.word_embeddings.weight": n(VOCAB, c), "embeddings.position_embeddings.weight": n(512, c),
         "embeddings.token_type_embeddings.weight": n(2, c), "embeddings.LayerNorm.weight": torch.ones(c),
         "embeddings.LayerNorm.bias": torch.zeros(c)}
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        for name, (rows, cols) in {"attention.self.query": (c, c), "attention.self.key": (c, c), "attention.self.value": (c, c),
                                   "attention.output.dense": (c, c), "intermediate.dense": (inter, c), "output.dense": (c, inter)}.items():
            w[p + name + ".weight"] = n(rows, cols)
            w[p + name + ".bias"] = torch.zeros(rows)
        for ln in ("attention.output.LayerNorm", "output.LayerNorm"):
            w[p + ln + ".weight"] = torch.ones(c)
            w[p + ln + ".bias"] = torch.zeros(c)
    head = {"dense.weight": n(c, c), "dense.bias": torch.zeros(c), "ln.weight": torch.ones(c), "ln.bias": torch.zeros(c),
            "bias": torch.full((VOCAB,), -2.0)}  # as Program.cs: a few hundred active entries, as trained SPLADE keeps
    return w, head


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--iters", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(2)
    torch.set_num_interop_threads(1)
    w, head = weights(CONFIG)
    encoder = R.Encoder(CONFIG, w).eval()
    table = w["embeddings.word_embeddings.weight"]
    ids = torch.tensor(splitmix_ids(1, args.batch * args.seq, VOCAB)).view(args.batch, args.seq)
    mask = torch.ones_like(ids)
    times, cpu, active = [], 0.0, 0.0
    with torch.inference_mode():
        for it in range(args.warmup + args.iters):
            c0, t0 = time.process_time(), time.perf_counter()
            h = encoder(ids, mask)
            h = F.layer_norm(F.gelu(F.linear(h, head["dense.weight"], head["dense.bias"])), (768,), head["ln.weight"], head["ln.bias"], 1e-12)
            logits = F.linear(h, table, head["bias"])  # [B, T, V]
            pooled = torch.log1p(torch.relu(logits * mask.unsqueeze(-1))).max(dim=1).values
            dt = time.perf_counter() - t0
            print(f"pytorch splade {it}: {dt:.3f} s", file=sys.stderr)
            if it >= args.warmup:
                times.append(dt)
                cpu += time.process_time() - c0
                active = float((pooled != 0).sum()) / args.batch
    mean = sum(times) / len(times)
    print(json.dumps({"engine": "pytorch", "version": torch.__version__, "measurement": "splade",
                      "model": "bert-base + BertForMaskedLM head (random)", "batch": args.batch, "seq": args.seq, "vocab": VOCAB,
                      "iters": len(times), "s_per_batch": round(mean, 3), "best_s": round(min(times), 3),
                      "tokens_per_s": round(args.batch * args.seq / mean, 1), "cpu_s": round(cpu / len(times), 3),
                      "active_per_text": round(active, 1), "threads": torch.get_num_threads(), "ids_checksum": int(ids.sum())}))


if __name__ == "__main__":
    main()
