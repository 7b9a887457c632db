#!/usr/bin/python3
"""The SoftGen CPU benchmark's workload in PyTorch, the reference it is compared with (see BENCHMARKS.md).

784-H-H/2-10 ReLU MLP on Fashion-MNIST, nn.CrossEntropyLoss(label_smoothing=0.1), Adam(lr=1e-3), fp32.
Prints one JSON object with the same fields as SoftGen.Benchmarks --mode train:
  training samples/s over one whole epoch after 20 warm-up steps (best of --repeats epochs in a row),
  inference samples/s on full batches of the test set (softmax probabilities, torch.no_grad, best pass),
  peak resident set (ru_maxrss), test accuracy of a fresh model after --epochs epochs.
Run it with Debian's python3-torch and OpenBLAS (libopenblas0-pthread), and with OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE unset: benchmarks/run.sh does both.
"""
import argparse
import gzip
import json
import os
import resource
import struct
import sys
import time

import numpy as np
import torch
from torch import nn

WARMUP_STEPS = 20


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, rank = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def load(directory, split):
    def find(name):
        for candidate in (name + ".gz", name):
            path = os.path.join(directory, candidate)
            if os.path.exists(path):
                return path
        raise FileNotFoundError(f"{name}(.gz) is not in {directory}; apt-get install dataset-fashion-mnist")
    images = read_idx(find(f"{split}-images-idx3-ubyte"))
    labels = read_idx(find(f"{split}-labels-idx1-ubyte"))
    x = torch.from_numpy(images.reshape(len(images), -1).astype(np.float32) / np.float32(255))
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


def make_model(hidden):
    return nn.Sequential(
        nn.Linear(784, hidden), nn.ReLU(),
        nn.Linear(hidden, hidden // 2), nn.ReLU(),
        nn.Linear(hidden // 2, 10))


def train_epoch(model, loss_fn, optimizer, x, y, batch, generator, steps=None):
    """One pass over a fresh shuffle (or its first `steps` batches): gather, forward, loss, backward, step."""
    order = torch.randperm(len(x), generator=generator)
    count = len(x) if steps is None else min(len(x), steps * batch)
    for start in range(0, count, batch):
        index = order[start:start + batch]
        xb, yb = x[index], y[index]
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
    return loss.item()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--hidden", type=int, default=512)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--infer-batch", type=int, default=1024)
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    args = parser.parse_args()
    with open("/proc/loadavg") as f:
        load_at_start = f.read().strip()  # before this run's own threads add to it

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    x_train, y_train = load(args.data, "train")
    x_test, y_test = load(args.data, "t10k")
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    generator = torch.Generator().manual_seed(1)

    # Training speed: 20 warm-up steps, then whole epochs timed one by one.
    model = make_model(args.hidden)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    train_epoch(model, loss_fn, optimizer, x_train, y_train, args.batch, generator, steps=WARMUP_STEPS)
    train_runs = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        train_epoch(model, loss_fn, optimizer, x_train, y_train, args.batch, generator)
        train_runs.append(len(x_train) / (time.perf_counter() - started))

    # Inference speed: softmax probabilities of full batches of the test set, no autograd.
    model.eval()
    full = len(x_test) // args.infer_batch
    infer_runs = []
    with torch.no_grad():
        for attempt in range(max(args.repeats, 3) + 1):
            started = time.perf_counter()
            for b in range(full):
                torch.softmax(model(x_test[b * args.infer_batch:(b + 1) * args.infer_batch]), dim=1)
            if attempt > 0:  # the first pass warms up
                infer_runs.append(full * args.infer_batch / (time.perf_counter() - started))

    # Accuracy: a fresh model trained for the given epochs.
    accuracy = None
    epoch_speeds = []
    if args.epochs > 0:
        torch.manual_seed(1)
        model = make_model(args.hidden)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        for _ in range(args.epochs):
            model.train()
            started = time.perf_counter()
            train_epoch(model, loss_fn, optimizer, x_train, y_train, args.batch, generator)
            epoch_speeds.append(len(x_train) / (time.perf_counter() - started))
        model.eval()
        with torch.no_grad():
            accuracy = (model(x_test).argmax(dim=1) == y_test).float().mean().item()

    with open("/proc/loadavg") as f:
        load_average = f.read().strip()
    result = {
        "machine": {
            "python": sys.version.split()[0],
            "torch": torch.__version__,
            "blas": "OpenBLAS" if any("openblas" in line for line in open("/proc/self/maps")) else "other",
            "openblas_env": {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS")},
            "load_average_at_start": load_at_start,
            "load_average": load_average,
        },
        "result": {
            "framework": "PyTorch",
            "model": f"784-{args.hidden}-{args.hidden // 2}-10",
            "batch": args.batch,
            "threads": torch.get_num_threads(),
            "train_samples_per_second": max(train_runs),
            "train_samples_per_second_runs": train_runs,
            "infer_samples_per_second": max(infer_runs),
            "infer_samples_per_second_runs": infer_runs,
            "infer_batch": args.infer_batch,
            "peak_working_set_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6,
            "accuracy_epochs": args.epochs,
            "test_accuracy": accuracy,
            "accuracy_epoch_samples_per_second": epoch_speeds,
        },
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
