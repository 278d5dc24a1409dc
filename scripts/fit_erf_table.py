"""Fits the float erf's coefficient table (src/Skald.Tensors/Kernels/ErfTable.cs) and checks it in emulated float.

16 pieces of width 1/4 over u in [0, 4): s = 4u, i = floor(s), t = s - i - 1/2 (piece 0: t = s and no constant term,
so erf keeps its relative accuracy near 0); a quintic in t per piece. Each piece is fitted by weighted least squares
reweighted towards the largest errors (near minimax; piece 0 on relative error), then each coefficient is rounded to
float in turn, constant term first, and the remaining ones refitted to what is left. The check evaluates the table as
the C# code does (Horner with float FMAs) against math.erf and prints the worst absolute and relative errors.
Run: /usr/bin/python3 scripts/fit_erf_table.py   (needs torch for the least squares)
"""
import json
import math
import random
import struct

import torch

torch.set_default_dtype(torch.float64)
PIECES, WIDTH, DEGREE, NODES = 16, 0.25, 5, 400


def f32(v):
    return struct.unpack('f', struct.pack('f', v))[0]


def fit_piece(i):
    if i == 0:
        t = torch.tensor([0.5 + 0.5 * math.cos(math.pi * (k + 0.5) / NODES) for k in range(NODES)] + [1.0, 1e-6])
        u = t * WIDTH
    else:
        t = torch.tensor([0.5 * math.cos(math.pi * (k + 0.5) / NODES) for k in range(NODES)] + [-0.5, 0.5])
        u = (i + 0.5 + t) * WIDTH
    y = torch.tensor([math.erf(v) for v in u.tolist()])
    relative = i == 0
    coeffs = [0.0] if relative else []
    resid = y.clone()
    scale = 1 / y if relative else torch.ones_like(t)
    for k in range(1 if relative else 0, DEGREE + 1):
        basis = torch.stack([t ** j for j in range(k, DEGREE + 1)], 1)
        w = torch.ones_like(t)
        for _ in range(40):
            ww = w * scale
            sol = torch.linalg.lstsq(basis * ww[:, None], resid * ww).solution
            e = ((basis @ sol - resid) * scale).abs()
            w = w * (1 + e / e.max()) ** 2
            w = w / w.max()
        c = f32(sol[0].item())
        coeffs.append(c)
        resid = resid - c * t ** k
    return coeffs


def erf32(table, x):
    s = min(f32(abs(x) * 4.0), 16.0)
    fi = min(math.floor(s), 15.0)
    t = f32(f32(s - fi) - min(fi, 0.5))
    c = table[int(fi)]
    p = c[DEGREE]
    for k in range(DEGREE - 1, -1, -1):
        p = f32(p * t + c[k])  # a float FMA: the double product of two floats is exact
    return math.copysign(p, x)


def main():
    table = [fit_piece(i) for i in range(PIECES)]
    rng = random.Random(1)
    xs = [k / 4096.0 for k in range(4096 * 5)] + [rng.uniform(0, 5) for _ in range(100000)] \
        + [10 ** rng.uniform(-8, 0) for _ in range(50000)]
    worst_abs = worst_rel = 0.0
    for x in xs:
        x = f32(x)
        ref = math.erf(x)
        e = abs(erf32(table, x) - ref)
        worst_abs = max(worst_abs, e)
        if ref > 1e-30:
            worst_rel = max(worst_rel, e / ref)
    print(f"max abs error {worst_abs:.3g}, max relative {worst_rel:.3g}")
    for k in range(DEGREE + 1):
        vals = ', '.join(('%.9g' % table[i][k]) + 'f' for i in range(PIECES))
        print(f'    internal static ReadOnlySpan<float> C{k} => [{vals}];')


if __name__ == '__main__':
    main()
