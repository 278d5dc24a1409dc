#!/usr/bin/python3
"""Baseline: exact top-k by a plain numpy matrix product (BLAS sgemm) over the corpus in chunks + argpartition.
Prints one JSON line with queries_per_second. Same sizes and chunking idea as Skald's ExactSearch."""
import argparse
import json
import time

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("--n", type=int, default=100000)
ap.add_argument("--dim", type=int, default=384)
ap.add_argument("--queries", type=int, default=1000)
ap.add_argument("--k", type=int, default=10)
ap.add_argument("--chunk", type=int, default=65536)
a = ap.parse_args()
rng = np.random.default_rng(1)
corpus = rng.uniform(-1, 1, (a.n, a.dim)).astype(np.float32)
corpus /= np.linalg.norm(corpus, axis=1, keepdims=True)
queries = rng.uniform(-1, 1, (a.queries, a.dim)).astype(np.float32)
queries /= np.linalg.norm(queries, axis=1, keepdims=True)
_ = queries[:8] @ corpus[:20000].T  # warm-up
t = time.perf_counter()
best_s = np.full((a.queries, a.k), -np.inf, dtype=np.float32)
best_i = np.zeros((a.queries, a.k), dtype=np.int64)
for start in range(0, a.n, a.chunk):
    s = queries @ corpus[start:start + a.chunk].T
    k = min(a.k, s.shape[1])
    idx = np.argpartition(-s, k - 1, axis=1)[:, :k]
    cand_s = np.concatenate([best_s, np.take_along_axis(s, idx, axis=1)], axis=1)
    cand_i = np.concatenate([best_i, idx + start], axis=1)
    top = np.argpartition(-cand_s, a.k - 1, axis=1)[:, :a.k]
    best_s = np.take_along_axis(cand_s, top, axis=1)
    best_i = np.take_along_axis(cand_i, top, axis=1)
order = np.argsort(-best_s, axis=1)
best_i = np.take_along_axis(best_i, order, axis=1)
elapsed = time.perf_counter() - t
print(json.dumps({"n": a.n, "dim": a.dim, "queries": a.queries, "k": a.k, "seconds": elapsed,
                  "queries_per_second": a.queries / elapsed, "numpy": np.__version__}))
