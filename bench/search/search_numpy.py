#!/usr/bin/python3
"""The numpy peer of bench/search: the same measurements on the same sizes (exact top-k of random float32 vectors).
One query: scores = C @ q (BLAS sgemv) + argpartition; a batch: Q @ C[chunk].T (sgemm) per 8192-row chunk + a running
argpartition merge; GEMM peak: a 1024^3 product. Prints one JSON line per measurement (medians of --reps)."""
import argparse
import json
import time

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("--rows", type=int, default=1_000_000)
ap.add_argument("--dim", type=int, default=384)
ap.add_argument("--k", type=int, default=10)
ap.add_argument("--batch", type=int, default=256)
ap.add_argument("--reps", type=int, default=5)
a = ap.parse_args()
load = open("/proc/loadavg").read().split()[0]
rng = np.random.default_rng(1)
corpus = (rng.random((a.rows, a.dim), dtype=np.float32) - np.float32(0.5))
queries = (rng.random((max(a.batch, 8), a.dim), dtype=np.float32) - np.float32(0.5))
nbytes = corpus.nbytes


def median(v):
    return float(np.median(v))


def timed(f, reps, warm=True):
    if warm:
        f()
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        f()
        out.append(time.perf_counter() - t)
    return median(out)


def one(q):
    s = corpus @ q
    idx = np.argpartition(-s, a.k - 1)[:a.k]
    return idx[np.argsort(-s[idx])]


def batch(qs, chunk=8192):
    best_s = np.full((len(qs), a.k), -np.inf, dtype=np.float32)
    best_i = np.zeros((len(qs), a.k), dtype=np.int64)
    for start in range(0, a.rows, chunk):
        s = qs @ corpus[start:start + chunk].T
        kk = min(a.k, s.shape[1])
        idx = np.argpartition(-s, kk - 1, axis=1)[:, :kk]
        cand_s = np.concatenate([best_s, np.take_along_axis(s, idx, axis=1)], axis=1)
        cand_i = np.concatenate([best_i, idx + start], axis=1)
        top = np.argpartition(-cand_s, a.k - 1, axis=1)[:, :a.k]
        best_s = np.take_along_axis(cand_s, top, axis=1)
        best_i = np.take_along_axis(cand_i, top, axis=1)
    return best_i


counter = [0]


def next_query():
    counter[0] += 1
    return one(queries[counter[0] % 8])


t1 = timed(next_query, max(a.reps, 8))
print(json.dumps({"engine": "numpy", "what": "query", "rows": a.rows, "dim": a.dim, "k": a.k, "ms": t1 * 1e3,
                  "gb_per_s": nbytes / t1 / 1e9, "numpy": np.__version__, "load": load}), flush=True)
x = np.ones((1024, 1024), dtype=np.float32)
tg = timed(lambda: x @ x.T, a.reps)
print(json.dumps({"engine": "numpy", "what": "gemm", "square_1024_gflops": 2 * 1024 ** 3 / tg / 1e9, "load": load}), flush=True)
qs = queries[:a.batch]
tb = timed(lambda: batch(qs), max(2, a.reps // 2), warm=False)  # BLAS is warm by now
gflops = 2.0 * a.batch * a.rows * a.dim / tb / 1e9
print(json.dumps({"engine": "numpy", "what": "batch", "rows": a.rows, "dim": a.dim, "k": a.k, "queries": a.batch,
                  "ms": tb * 1e3, "queries_per_s": a.batch / tb, "gflops": gflops, "load": load}), flush=True)

# Binary quantization (sentence-transformers' ubinary): packbits of the signs; Hamming distance by a popcount table
# over the XOR (numpy 1.24 has no bitwise_count), the best 4·k rescored with the float rows, as bench/search's
# "quantized" line does. (numpy has no integer BLAS, so int8 is left to faiss/usearch users.)
popcount = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)
t0 = time.perf_counter()
bits = np.packbits(corpus > 0, axis=-1)
quantize_s = time.perf_counter() - t0


def binary_one(q):
    qb = np.packbits(q > 0)
    hamming = popcount[np.bitwise_xor(bits, qb)].sum(axis=1, dtype=np.int32)
    cand = np.argpartition(hamming, 4 * a.k - 1)[:4 * a.k]
    s = corpus[cand] @ q
    return cand[np.argsort(-s)[:a.k]]


tq = timed(lambda: binary_one(queries[counter[0] % 8]), max(a.reps, 8))
print(json.dumps({"engine": "numpy", "what": "quantized", "precision": "ubinary", "rows": a.rows, "dim": a.dim, "k": a.k,
                  "rescore_multiplier": 4, "corpus_mb": bits.nbytes / 1e6, "quantize_s": quantize_s, "query_ms": tq * 1e3,
                  "query_speedup_vs_float": t1 / tq, "load": load}), flush=True)
