#!/usr/bin/python3
"""The SoftGen CNN benchmark's workload in PyTorch, the reference it is compared with (see BENCHMARKS.md).

Fashion-MNIST CNN: conv3x3(32, pad 1) ReLU, maxpool 2, conv3x3(64, pad 1) ReLU, maxpool 2, Linear(3136, 128) ReLU,
Linear(128, 10); nn.CrossEntropyLoss(label_smoothing=0.1), Adam(lr=1e-3), fp32, NCHW.
Prints one JSON object with the same fields as SoftGen.CnnBenchmark --mode train: training samples/s over --steps
steps of --batch after 10 warm-up steps, inference samples/s (softmax probabilities, torch.no_grad) at --infer-batch.
Run it with Debian's python3-torch, with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset: benchmarks/run_cnn.sh does both.
"""
import argparse
import gzip
import json
import os
import struct
import time

import numpy as np
import torch
from torch import nn


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype, rank = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def load_average():
    with open("/proc/loadavg") as f:
        return f.read().strip()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--infer-batch", type=int, default=1024)
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--mode", default="train")
    parser.add_argument("--channels-last", action="store_true", help="model and data in channels-last memory format")
    args, _ = parser.parse_known_args()
    load_at_start = load_average()  # before this run's own threads add to it
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)

    images = read_idx(os.path.join(args.data, "train-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(args.data, "train-labels-idx1-ubyte.gz"))
    x = torch.from_numpy(images.reshape(-1, 1, 28, 28).astype(np.float32) / np.float32(255))
    y = torch.from_numpy(labels.astype(np.int64))
    count = len(y)

    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step(s):
        start = s * args.batch % (count - args.batch)
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x[start:start + args.batch]), y[start:start + args.batch])
        loss.backward()
        optimizer.step()

    for s in range(10):
        step(s)
    began = time.perf_counter()
    for s in range(args.steps):
        step(s)
    train_seconds = time.perf_counter() - began

    passes = max(1, args.steps * args.batch // args.infer_batch)
    with torch.no_grad():
        torch.softmax(model(x[:args.infer_batch]), dim=1)
        began = time.perf_counter()
        for p in range(passes):
            start = p * args.infer_batch % (count - args.infer_batch)
            torch.softmax(model(x[start:start + args.infer_batch]), dim=1)
        infer_seconds = time.perf_counter() - began

    flop_per_sample = 2.0 * (784 * 32 * 9 + 196 * 64 * 288 + 3136 * 128 + 128 * 10)
    print(json.dumps({
        "model": "FashionCnn",
        "framework": f"PyTorch {torch.__version__}",
        "batch": args.batch,
        "threads": torch.get_num_threads(),
        "memory_format": "channels_last" if args.channels_last else "contiguous (NCHW)",
        "train_samples_per_second": round(args.steps * args.batch / train_seconds),
        "infer_samples_per_second": round(passes * args.infer_batch / infer_seconds),
        "forward_gflop_per_sample": round(flop_per_sample / 1e9, 5),
        "train_gflop_per_second": round(3 * flop_per_sample * args.steps * args.batch / train_seconds / 1e9, 1),
        "load_average_at_start": load_at_start,
        "load_average": load_average(),
    }, indent=2))


if __name__ == "__main__":
    main()
