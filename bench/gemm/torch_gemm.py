"""PyTorch matmul GFLOP/s on the shapes of bench/gemm (2 threads), for comparison with the C# backends.

Usage: /usr/bin/python3 bench/gemm/torch_gemm.py [--threads N] [--seconds S]
"""
import argparse
import time

import torch

SHAPES = [
    # label, transA, transB, M, N, K, batch
    ("1024 x 1024 x 1024", False, False, 1024, 1024, 1024, 1),
    ("1024 x 1024 x 1024 (B^T)", False, True, 1024, 1024, 1024, 1),
    ("4096 x 768 x 768 (x.W^T)", False, True, 4096, 768, 768, 1),
    ("4096 x 3072 x 768 (x.W^T)", False, True, 4096, 3072, 768, 1),
    ("4096 x 768 x 3072 (x.W^T)", False, True, 4096, 768, 3072, 1),
    ("16 x 768 x 768 (x.W^T, 1 query)", False, True, 16, 768, 768, 1),
    ("128 x 3072 x 768 (x.W^T)", False, True, 128, 3072, 768, 1),
    ("384 x [128 x 128 x 32] (Q.K^T)", False, True, 128, 128, 32, 384),
    ("384 x [128 x 32 x 128] (P.V)", False, False, 128, 32, 128, 384),
]


def best_ms(fn, seconds):
    for _ in range(3):
        fn()
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < 0.2:
        fn()
        calls += 1
    best, total = float("inf"), time.perf_counter()
    while time.perf_counter() - total < seconds:
        t = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - t) * 1000 / calls)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=1.5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, threads={torch.get_num_threads()}")
    print(f"{'shape (M x N x K)':<34} {'backend':<16} {'ms/call':>10} {'GFLOP/s':>9}")
    torch.manual_seed(1)
    with torch.no_grad():
        for label, ta, tb, m, n, k, batch in SHAPES:
            a = torch.rand(batch, k, m) - 0.5 if ta else torch.rand(batch, m, k) - 0.5
            b = torch.rand(batch, n, k) - 0.5 if tb else torch.rand(batch, k, n) - 0.5
            a_op = a.transpose(1, 2) if ta else a
            b_op = b.transpose(1, 2) if tb else b
            if batch == 1:
                a_op, b_op = a_op[0], b_op[0]
                out = torch.empty(m, n)
                fn = lambda: torch.matmul(a_op, b_op, out=out)  # noqa: E731
            else:
                out = torch.empty(batch, m, n)
                fn = lambda: torch.bmm(a_op, b_op, out=out)  # noqa: E731
            ms = best_ms(fn, args.seconds)
            flops = 2.0 * m * n * k * batch
            print(f"{label:<34} {'torch':<16} {ms:>10.3f} {flops / (ms * 1e6):>9.1f}")


if __name__ == "__main__":
    main()
