#!/usr/bin/python3
"""The numpy peer of bench/maxsim: exact MaxSim of the same query against every chunk of the same index folders
(tokens.f32 / tokens.f16 / tokens.i8 + tokens.scales, tokens.offsets, memory-mapped), as ColBERT's colbert_score
computes it for each document: the token-by-query similarity matrix (a BLAS product per block of chunks, float16 and
int8 blocks widened to float32 first, int8 similarities times each vector's m / 127), its max over each chunk's
tokens (np.maximum.reduceat), summed over the query's tokens; the top 10 by argpartition. One JSON line per precision
(median of --reps after a warm-up scan)."""
import argparse
import json
import os
import time

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("--folder", required=True)
ap.add_argument("--dim", type=int, default=128)
ap.add_argument("--query-tokens", type=int, default=32)
ap.add_argument("--reps", type=int, default=5)
ap.add_argument("--k", type=int, default=10)
ap.add_argument("--block-tokens", type=int, default=65536)
a, _ = ap.parse_known_args()
load = open("/proc/loadavg").read().split()[0]
q = np.fromfile(os.path.join(a.folder, "query.f32"), dtype=np.float32).reshape(a.query_tokens, a.dim)
qt = np.ascontiguousarray(q.T)
files = {"float32": ("tokens.f32", np.float32), "float16": ("tokens.f16", np.float16), "int8": ("tokens.i8", np.int8)}

for precision, (name, dtype) in files.items():
    folder = os.path.join(a.folder, precision)
    offsets = np.fromfile(os.path.join(folder, "tokens.offsets"), dtype=np.int64)
    rows = len(offsets) - 1
    data = np.memmap(os.path.join(folder, name), dtype=dtype, mode="r").reshape(-1, a.dim)
    scales = np.memmap(os.path.join(folder, "tokens.scales"), dtype=np.float32, mode="r") if precision == "int8" else None
    nbytes = data.nbytes + (scales.nbytes if scales is not None else 0)
    # blocks of whole chunks, about block_tokens tokens each
    starts = [0]
    while starts[-1] < rows:
        end = int(np.searchsorted(offsets, offsets[starts[-1]] + a.block_tokens, side="right")) - 1
        starts.append(min(rows, max(end, starts[-1] + 1)))

    def scan():
        scores = np.empty(rows, dtype=np.float32)
        for r0, r1 in zip(starts[:-1], starts[1:]):
            t0, t1 = offsets[r0], offsets[r1]
            block = data[t0:t1]
            sim = (block if dtype == np.float32 else block.astype(np.float32)) @ qt
            if scales is not None:
                sim *= (scales[t0:t1] / np.float32(127))[:, None]
            scores[r0:r1] = np.maximum.reduceat(sim, offsets[r0:r1] - t0, axis=0).sum(axis=1)
        top = np.argpartition(-scores, a.k)[: a.k]
        return top[np.argsort(-scores[top], kind="stable")], scores

    top, scores = scan()
    times = []
    for _ in range(a.reps):
        t = time.perf_counter()
        top, scores = scan()
        times.append(time.perf_counter() - t)
    s = float(np.median(times))
    tokens = int(offsets[-1])
    print(json.dumps({"engine": "numpy", "precision": precision, "chunks": rows, "document_tokens": tokens, "dim": a.dim,
                      "query_tokens": a.query_tokens, "token_mb": nbytes / 1e6, "ms": s * 1e3, "gb_per_s": nbytes / s / 1e9,
                      "gflops": 2.0 * a.query_tokens * tokens * a.dim / s / 1e9, "top": [int(i) for i in top],
                      "scores": [float(scores[i]) for i in top], "numpy": np.__version__, "load": load}))
