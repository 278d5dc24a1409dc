#!/usr/bin/python3
"""PyTorch twin of bench/decoder (Program.cs) on the random Qwen2.5-0.5B-shaped decoder of
fixtures/models/export_bench_decoder.py, 2 threads. Prints one JSON line per measurement.

    /usr/bin/python3 bench/decoder/bench_torch_decoder.py encode MODEL_DIR [--batch 8] [--seq 128] [--warmup 1] [--iters 3]
    /usr/bin/python3 bench/decoder/bench_torch_decoder.py train  MODEL_DIR [--batch 8] [--seq 128] [--warmup 1] [--iters 3]

encode: fixtures/models/ref_decoder.Decoder (eager attention, float32, no_grad) on batch × seq random ids, full mask,
causal then bidirectional, last hidden state + mean pooling. tokens/s = batch·seq / mean time per batch.

train: one LoRA step as fixtures/training/make_lora_reference.py does it around the same Decoder (peft's LoraLayer:
y = x·Wᵀ + b + (alpha/r)·(x·Aᵀ)·Bᵀ; r 16, alpha 32, lora_dropout 0, on q/k/v/o/gate/up/down_proj of every layer;
base weights frozen, plain tensors without requires_grad), bidirectional, mean pooling + L2 normalisation, MNRL
(scale 20) over (anchor, positive) = 2 × batch sequences, backward, clip_grad_norm_(1.0), AdamW(lr 1e-4,
weight_decay 0.01) on the adapters only. tokens/s = 2·batch·seq / mean step time.

Token ids come from splitmix64 (the same generator as Program.cs, checksum in the output), so both engines see the
same inputs. peak_rss_mb is VmHWM of /proc/self/status when the line is printed (the whole process so far),
rss_mb VmRSS then; cpu_s is the process CPU time (user + system, all threads) per timed iteration.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")  # before importing torch (see fixtures/models/README.md)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import json  # noqa: E402
import struct  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "fixtures" / "models"))
import ref_decoder as R  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
from splitmix import splitmix_ids  # noqa: E402

TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
RANK, ALPHA, LR, WD, CLIP, SCALE = 16, 32.0, 1e-4, 0.01, 1.0, 20.0


def status_mb(key):
    """A kB line of /proc/self/status (VmHWM: peak RSS, VmRSS: current) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def load_weights(folder):
    """safetensors (one file or index + shards) read tensor by tensor straight into float32 tensors: one copy of the
    weights in memory, as safetensors.torch.load_file leaves it."""
    index = folder / "model.safetensors.index.json"
    files = sorted(set(json.loads(index.read_text())["weight_map"].values())) if index.is_file() else ["model.safetensors"]
    out = {}
    for fname in files:
        path = folder / fname
        with open(path, "rb") as f:
            (n,) = struct.unpack("<Q", f.read(8))
            header = json.loads(f.read(n))
        header.pop("__metadata__", None)
        for name, info in header.items():
            assert info["dtype"] == "F32", (name, info["dtype"])
            b, e = info["data_offsets"]
            a = np.fromfile(path, dtype="<f4", count=(e - b) // 4, offset=8 + n + b)
            out[name] = torch.from_numpy(a).reshape(info["shape"])
    return out


def mean_pool(hidden, mask):
    m = mask.unsqueeze(-1).float()
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)


def emit(**fields):
    fields.update(cpu_s=round(CPU["s"], 3), engine="pytorch", torch=torch.__version__, threads=torch.get_num_threads(),
                  openblas_threads=os.environ["OPENBLAS_NUM_THREADS"],
                  peak_rss_mb=status_mb("VmHWM:"), rss_mb=status_mb("VmRSS:"))
    print(json.dumps(fields), flush=True)


CPU = {"s": 0.0}


def timed(fn, warmup, iters, label):
    """Wall seconds of each timed iteration; CPU["s"] = process CPU seconds (all threads) per timed iteration."""
    times, cpu = [], 0.0
    for i in range(warmup + iters):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        print(f"{label} {i}: {dt:.3f} s{' (warm-up)' if i < warmup else ''}", file=sys.stderr, flush=True)
        if i >= warmup:
            times.append(dt)
            cpu += time.process_time() - c0
    CPU["s"] = cpu / iters
    return times


def encode(dec, cfg, a):
    ids_list = splitmix_ids(1, a.batch * a.seq, cfg["vocab_size"])
    ids = torch.tensor(ids_list).view(a.batch, a.seq)
    mask = torch.ones_like(ids)
    for attention in ("causal", "bidirectional"):
        def run():
            with torch.no_grad():
                return mean_pool(dec(ids, mask, bidirectional=attention == "bidirectional"), mask)
        times = timed(run, a.warmup, a.iters, f"encode {attention}")
        mean = sum(times) / len(times)
        emit(measurement="encode", attention=attention, batch=a.batch, seq=a.seq, iters=len(times),
             s_per_batch=round(mean, 3), best_s=round(min(times), 3), tokens_per_s=round(a.batch * a.seq / mean, 1),
             ids_checksum=sum(ids_list))


def train(dec, cfg, a):
    gen = torch.Generator().manual_seed(7)
    adapters = {}
    for key, w in list(dec.w.items()):
        module = key[: -len(".weight")] if key.endswith(".weight") else None
        if module is None or module.split(".")[-1] not in TARGETS:
            continue
        out_f, in_f = w.shape
        bound = 1.0 / in_f ** 0.5
        adapters[module] = (((torch.rand(RANK, in_f, generator=gen) * 2 - 1) * bound).requires_grad_(True),
                            torch.zeros(out_f, RANK, requires_grad=True))
    scale = ALPHA / RANK
    base_linear = dec.linear

    def lora_linear(x, key):
        y = base_linear(x, key)
        if key in adapters:
            lora_a, lora_b = adapters[key]
            y = y + scale * F.linear(F.linear(x, lora_a), lora_b)
        return y

    dec.linear = lora_linear
    forward = R.Decoder.forward.__wrapped__  # the reference forward without its no_grad wrapper
    ids_list = splitmix_ids(2, 2 * a.batch * a.seq, cfg["vocab_size"])
    ids = torch.tensor(ids_list).view(2, a.batch, a.seq)
    mask = torch.ones(a.batch, a.seq, dtype=torch.long)
    params = [p for ab in adapters.values() for p in ab]
    opt = torch.optim.AdamW(params, lr=LR, betas=(0.9, 0.999), eps=1e-8, weight_decay=WD)
    losses = []
    phases = [0.0, 0.0, 0.0]  # forward (+ loss), backward, clip + AdamW: summed over the timed steps

    def step():
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=False)
        anchors, positives = (F.normalize(mean_pool(forward(dec, ids[c], mask, bidirectional=True), mask), dim=-1)
                              for c in range(2))
        loss = F.cross_entropy(anchors @ positives.T * SCALE, torch.arange(a.batch))
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(params, CLIP)
        opt.step()
        if len(losses) >= a.warmup:
            for i, dt in enumerate((t1 - t0, t2 - t1, time.perf_counter() - t2)):
                phases[i] += dt
        losses.append(round(loss.item(), 5))

    times = timed(step, a.warmup, a.iters, "train step")
    mean = sum(times) / len(times)
    emit(measurement="lora_step", attention="bidirectional", batch_pairs=a.batch, seq=a.seq, rank=RANK, alpha=ALPHA,
         iters=len(times), step_s=round(mean, 3), best_s=round(min(times), 3),
         steps_per_s=round(1 / mean, 4), tokens_per_s=round(2 * a.batch * a.seq / mean, 1),
         forward_s=round(phases[0] / len(times), 3), backward_s=round(phases[1] / len(times), 3),
         optimizer_s=round(phases[2] / len(times), 3),
         trainable_parameters=sum(p.numel() for p in params), losses=losses, ids_checksum=sum(ids_list))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("encode", "train"))
    ap.add_argument("model", nargs="?", default=str(ROOT / "fixtures/models/.bench/qwen2-0.5b"))
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--iters", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(2)
    torch.set_num_interop_threads(1)
    folder = Path(a.model)
    cfg = json.loads((folder / "config.json").read_text())
    dec = R.Decoder(cfg, load_weights(folder))
    (encode if a.mode == "encode" else train)(dec, cfg, a)


if __name__ == "__main__":
    main()
