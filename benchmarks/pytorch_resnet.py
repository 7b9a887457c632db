#!/usr/bin/python3
"""The SoftGen ResNet benchmark's model in PyTorch, the reference it is compared with (see BENCHMARKS.md, "ResNet").

A small ResNet for Fashion-MNIST (issue 13, item 7), its modules numbered as SoftGen numbers its parameters: every
module with parameters takes the next index in declaration order, a projection shortcut's Conv2d and BatchNorm2d the
next two at the end of their block. So `layers.{i}.weight` here is `layers.{i}.weight` in a SoftGen weights file.

  stem     Conv2d(1, 16, 3, pad 1, no bias) [0], BatchNorm2d [1], ReLU
  block 1  16 -> 16, identity shortcut: Conv2d [2], BN [3], ReLU, Conv2d [4], BN [5], + x, ReLU
  block 2  16 -> 32, stride 2: Conv2d [6], BN [7], ReLU, Conv2d [8], BN [9]; shortcut Conv2d 1x1 stride 2 [10], BN [11]; +, ReLU
  block 3  32 -> 64, stride 2: the same [12..17]
  head     mean over height and width, Linear(64, 10) [18]

Soft-target cross-entropy with label smoothing 0.1 (nn.CrossEntropyLoss(label_smoothing=0.1) on one-hot probability
targets), AdamW(lr=1e-3) with PyTorch's defaults otherwise (weight decay 0.01 on every parameter, betas (0.9, 0.999),
eps 1e-8), batch 128, pixels / 255, fp32.

Modes (one JSON object on stdout either way):
  --train   a fresh model, --epochs (5) epochs of shuffled batches (the last one short), then test accuracy, NLL and ECE
            (15 bins) computed as SoftGen.Metrics.ClassificationMetrics does; one memory format (--memory-format).
  --speed   (default) training and inference samples/s for both memory formats, torch.contiguous_format (NCHW) and
            torch.channels_last (NHWC, oneDNN's preferred layout): --steps (200) timed training steps after 10
            warm-up steps, then inference in eval mode (torch.inference_mode) at batch --batch and --infer-batch,
            plain and with each BatchNorm folded into its convolution (as SoftGen predicts).
  --save PATH  (with --train) writes the trained state_dict as safetensors (the safetensors package if installed,
            else the same format written here), loadable by SoftGen's LoadWeights.
  --evaluate PATH  loads a safetensors weights file (SoftGen's SaveWeights, or --save) with
            load_state_dict(strict=True) and prints the test metrics: PyTorch's view of a SoftGen-trained model.

Initialisation (--init): "softgen" (default) draws as SoftGen's Initializer does for this declaration: every Conv2d
and the Linear carry no activation of their own (the ReLUs belong to the batch norms and the blocks' ends), so their
weights are Glorot uniform U(-b, b), b = sqrt(6 / (fan_in + fan_out)) (fan = channels x kernel area), biases 0,
batch-norm weight 1 and bias 0. "kaiming" instead draws the convolutions whose batch norm applies ReLU (layers 0, 2, 6,
12) Kaiming uniform with gain sqrt(2), b = sqrt(2) sqrt(3 / fan_in). "pytorch" keeps PyTorch's own defaults. The
distributions match SoftGen's, not the draws (SoftGen has its own generator).

Run it with Debian's python3-torch under the fastest OpenBLAS core type: benchmarks/run_resnet.sh does that.
"""
import argparse
import gzip
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

CLASSES = 10
BINS = 15  # SoftGen.Metrics.ClassificationMetrics.DefaultBins
FORMATS = {"contiguous": torch.contiguous_format, "channels_last": torch.channels_last}


class FashionResNet(nn.Module):
    def __init__(self):
        super().__init__()

        def conv(cin, cout, k, stride=1):
            return nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False)

        self.layers = nn.ModuleList([
            conv(1, 16, 3), nn.BatchNorm2d(16),                                          # 0, 1   stem
            conv(16, 16, 3), nn.BatchNorm2d(16), conv(16, 16, 3), nn.BatchNorm2d(16),    # 2-5    block 1
            conv(16, 32, 3, 2), nn.BatchNorm2d(32), conv(32, 32, 3), nn.BatchNorm2d(32),  # 6-9    block 2
            conv(16, 32, 1, 2), nn.BatchNorm2d(32),                                      # 10, 11 its shortcut
            conv(32, 64, 3, 2), nn.BatchNorm2d(64), conv(64, 64, 3), nn.BatchNorm2d(64),  # 12-15  block 3
            conv(32, 64, 1, 2), nn.BatchNorm2d(64),                                      # 16, 17 its shortcut
            nn.Linear(64, CLASSES),                                                      # 18
        ])

    def forward(self, x):
        L = self.layers
        x = F.relu(L[1](L[0](x)))
        x = F.relu(L[5](L[4](F.relu(L[3](L[2](x))))) + x)
        x = F.relu(L[9](L[8](F.relu(L[7](L[6](x))))) + L[11](L[10](x)))
        x = F.relu(L[15](L[14](F.relu(L[13](L[12](x))))) + L[17](L[16](x)))
        return L[18](x.mean(dim=(2, 3)))


# The convolutions whose batch norm applies ReLU: the ones SoftGen's "before ReLU" rule could count (--init kaiming).
RELU_AFTER_NORM = {0, 2, 6, 12}


def initialise(model, rule, generator):
    if rule == "pytorch":
        return
    with torch.no_grad():
        for i, m in enumerate(model.layers):
            if isinstance(m, nn.BatchNorm2d):
                m.weight.fill_(1.0)
                m.bias.zero_()
                continue
            w = m.weight
            area = w[0, 0].numel() if w.dim() == 4 else 1
            fan_in, fan_out = w.shape[1] * area, w.shape[0] * area
            if rule == "kaiming" and i in RELU_AFTER_NORM:
                bound = math.sqrt(2.0) * math.sqrt(3.0 / fan_in)
            else:
                bound = math.sqrt(6.0 / (fan_in + fan_out))
            w.copy_((torch.rand(w.shape, generator=generator, dtype=torch.float64) * 2 - 1) * bound)
            if m.bias is not None:
                m.bias.zero_()


def fold_batch_norms(model):
    """An eval-mode copy with every BatchNorm2d folded into the convolution before it (one convolution per pair)."""
    folded = FashionResNet()
    folded.load_state_dict(model.state_dict())
    folded.eval()
    layers = list(folded.layers)
    for i in range(0, 18, 2):
        layers[i] = torch.nn.utils.fusion.fuse_conv_bn_eval(layers[i], layers[i + 1])
        layers[i + 1] = nn.Identity()
    folded.layers = nn.ModuleList(layers)
    return folded


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype, rank = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def load(directory, split):
    images = read_idx(os.path.join(directory, f"{split}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(directory, f"{split}-labels-idx1-ubyte.gz"))
    x = torch.from_numpy(images.reshape(-1, 1, 28, 28).astype(np.float32) / np.float32(255))
    y = F.one_hot(torch.from_numpy(labels.astype(np.int64)), CLASSES).float()
    return x, y


def load_average():
    with open("/proc/loadavg") as f:
        return f.read().strip()


def forward_flop_per_sample():
    """2 x multiply-adds of the convolutions and the Linear (the batch norms, adds and pooling not counted)."""
    macs = 28 * 28 * 16 * 9                                # stem
    macs += 2 * 28 * 28 * 16 * 16 * 9                      # block 1
    macs += 14 * 14 * 32 * (16 * 9 + 32 * 9 + 16)          # block 2 with its 1x1 shortcut
    macs += 7 * 7 * 64 * (32 * 9 + 64 * 9 + 32)            # block 3 with its 1x1 shortcut
    macs += 64 * CLASSES
    return 2.0 * macs


class Trainer:
    def __init__(self, args, memory_format, seed):
        torch.manual_seed(seed)
        self.model = FashionResNet()
        initialise(self.model, args.init, torch.Generator().manual_seed(seed))
        self.format = memory_format
        self.model = self.model.to(memory_format=memory_format)
        self.loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=1e-3)

    def step(self, x, y):
        self.model.train()
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.loss_fn(self.model(x.contiguous(memory_format=self.format)), y)
        loss.backward()
        self.optimizer.step()
        return loss.item()


def evaluate(model, x, y, memory_format):
    """Accuracy, NLL and ECE over the test set, as SoftGen.Metrics.ClassificationMetrics computes them (float64)."""
    model.eval()
    chunks = []
    with torch.inference_mode():
        for start in range(0, len(x), 1024):
            logits = model(x[start:start + 1024].contiguous(memory_format=memory_format))
            chunks.append(torch.softmax(logits, dim=1))
    p = torch.cat(chunks).numpy()                     # float32, as SoftGen's PredictProbabilities
    t = y.numpy()
    predicted, actual = p.argmax(axis=1), t.argmax(axis=1)  # the first index on a tie, as SoftGen's ArgMax
    correct = predicted == actual
    logp = np.log(np.maximum(p.astype(np.float64), 1e-30))
    nll = -np.where(t > 0, t * logp, 0.0).sum(axis=1).mean()
    confidence = p[np.arange(len(p)), predicted].astype(np.float64)
    bins = np.clip(np.ceil(confidence * BINS).astype(np.int64) - 1, 0, BINS - 1)
    ece = sum(abs(correct[bins == m].sum() - confidence[bins == m].sum()) for m in range(BINS)) / len(p)
    return {"accuracy": round(float(correct.mean()), 4), "nll": round(float(nll), 4), "ece": round(float(ece), 4),
            "count": len(p)}


def train(args):
    x, y = load(args.data, "train")
    test_x, test_y = load(args.data, "t10k")
    memory_format = FORMATS[args.memory_format]
    trainer = Trainer(args, memory_format, args.seed)
    shuffle = torch.Generator().manual_seed(args.seed + 1)
    epochs = []
    began = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        epoch_began = time.perf_counter()
        order = torch.randperm(len(x), generator=shuffle)
        loss_sum = 0.0
        for start in range(0, len(x), args.batch):
            index = order[start:start + args.batch]
            loss_sum += trainer.step(x[index], y[index]) * len(index)
        seconds = time.perf_counter() - epoch_began
        epochs.append({"epoch": epoch, "loss": round(loss_sum / len(x), 4), "seconds": round(seconds, 1),
                       "samples_per_second": round(len(x) / seconds), "load_average": load_average()})
        print(f"epoch {epoch}/{args.epochs}  loss {epochs[-1]['loss']:.4f}  {seconds:.1f} s", file=sys.stderr, flush=True)
    training_seconds = time.perf_counter() - began
    result = {"mode": "train", "memory_format": args.memory_format, "epochs": epochs,
              "training_seconds": round(training_seconds, 1), "test": evaluate(trainer.model, test_x, test_y, memory_format)}
    if args.save:
        result["saved"] = save_safetensors(trainer.model, args.save)
    return result


def speed(args):
    x, y = load(args.data, "train")
    count = len(x)
    flop = forward_flop_per_sample()
    formats = {}
    for name, memory_format in FORMATS.items():
        trainer = Trainer(args, memory_format, args.seed)

        def batch_at(s, rows):
            start = s * rows % (count - rows)
            return x[start:start + rows], y[start:start + rows]

        for s in range(10):
            trainer.step(*batch_at(s, args.batch))
        began = time.perf_counter()
        for s in range(args.steps):
            trainer.step(*batch_at(s, args.batch))
        train_seconds = time.perf_counter() - began

        inference = {}
        for variant, model in (("eval", trainer.model.eval()), ("folded", fold_batch_norms(trainer.model).to(memory_format=memory_format))):
            for rows in sorted({args.batch, args.infer_batch}):
                passes = max(3, args.steps * args.batch // rows // 2)
                with torch.inference_mode():
                    torch.softmax(model(batch_at(0, rows)[0].contiguous(memory_format=memory_format)), dim=1)
                    began = time.perf_counter()
                    for p in range(passes):
                        torch.softmax(model(batch_at(p, rows)[0].contiguous(memory_format=memory_format)), dim=1)
                    inference[f"{variant}_batch_{rows}"] = round(passes * rows / (time.perf_counter() - began))
        formats[name] = {
            "train_samples_per_second": round(args.steps * args.batch / train_seconds),
            "train_gflop_per_second": round(3 * flop * args.steps * args.batch / train_seconds / 1e9, 1),
            "infer_samples_per_second": max(inference.values()),
            "inference_samples_per_second": inference,
            "load_average": load_average(),
        }
    best = lambda key: max(f[key] for f in formats.values())
    return {"mode": "speed", "steps": args.steps, "infer_batch": args.infer_batch, "formats": formats,
            # the best layout for each figure, the one the comparison takes
            "train_samples_per_second": best("train_samples_per_second"),
            "infer_samples_per_second": best("infer_samples_per_second"),
            "train_gflop_per_second": best("train_gflop_per_second")}


def save_safetensors(model, path):
    """Writes the state_dict (float32 tensors, int64 num_batches_tracked) as safetensors; returns what was written."""
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    metadata = {"format": "pt"}
    try:
        from safetensors.torch import save_file
        save_file(state, path, metadata=metadata)
        return {"path": path, "tensors": len(state), "writer": "safetensors"}
    except ImportError:
        pass
    dtypes = {torch.float32: "F32", torch.int64: "I64"}
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    # Widest elements first (as the safetensors package orders them), so that every tensor is aligned to its element.
    for name, tensor in sorted(state.items(), key=lambda item: (-item[1].element_size(), item[0])):
        blob = tensor.numpy().astype(tensor.numpy().dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": dtypes[tensor.dtype], "shape": list(tensor.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    return {"path": path, "tensors": len(state), "writer": "built-in (no safetensors package)"}


def load_safetensors(path):
    """The tensors of a safetensors file (F32, F64 and I64), read with the format's own rules (no package needed)."""
    dtypes = {"F32": np.float32, "F64": np.float64, "I64": np.int64}
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    state = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        values = np.frombuffer(data[begin:end], dtype=np.dtype(dtypes[info["dtype"]]).newbyteorder("<"))
        state[name] = torch.from_numpy(values.astype(values.dtype.newbyteorder("="))).reshape(info["shape"])
    return state


def evaluate_file(args):
    model = FashionResNet()
    model.load_state_dict(load_safetensors(args.evaluate), strict=True)
    test_x, test_y = load(args.data, "t10k")
    return {"mode": "evaluate", "weights": args.evaluate, "test": evaluate(model, test_x, test_y, torch.contiguous_format)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--train", action="store_true", help="the 5-epoch accuracy run")
    mode.add_argument("--speed", action="store_true", help="throughput in both memory formats (the default)")
    mode.add_argument("--evaluate", metavar="PATH", help="test metrics of a safetensors weights file")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--infer-batch", type=int, default=1024)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--memory-format", choices=sorted(FORMATS), default="contiguous", help="--train's layout")
    parser.add_argument("--init", choices=("softgen", "kaiming", "pytorch"), default="softgen")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--save", metavar="PATH")
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    args, _ = parser.parse_known_args()  # run_resnet.sh passes the same options to SoftGen's benchmark
    if args.save and not args.train:
        parser.error("--save needs --train")
    load_at_start = load_average()  # before this run's own threads add to it
    torch.set_num_threads(args.threads)
    header = {"model": "FashionResNet", "framework": f"PyTorch {torch.__version__}", "batch": args.batch,
              "threads": torch.get_num_threads(), "init": args.init,
              "forward_gflop_per_sample": round(forward_flop_per_sample() / 1e9, 5), "load_average_at_start": load_at_start}
    result = header | (train(args) if args.train else evaluate_file(args) if args.evaluate else speed(args))
    result["load_average"] = load_average()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
