#!/usr/bin/python3
"""The SoftGen signals benchmark's model in PyTorch, the reference it is compared with (see BENCHMARKS.md, "Signals").

EegNet (examples/Signals/EegNet.cs) for 8-channel, 2,000-sample EEG windows in 6 classes, its modules numbered as
SoftGen numbers its parameters (every layer with parameters takes the next index of an nn.ModuleList), so
`layers.{i}.weight` here is `layers.{i}.weight` in a SoftGen weights file:

  stem     Conv1d(8, 32, 7, stride 2, pad 3, no bias) [0], BatchNorm1d [1], SiLU, MaxPool1d(2)    8x2000 -> 32x500
  block 1  Conv1d(32, 32, 5, pad 2) [2], BN [3], SiLU, Conv1d(32, 32, 5, pad 4, dilation 2) [4], BN [5],
           squeeze-excitation 32 -> 8 -> 32 [6], + x, SiLU
  down     Conv1d(32, 64, 5, stride 2, pad 2) [7], BN [8], SiLU                                   -> 64x250
  block 2  depthwise Conv1d(64, 64, 7, pad 3, groups 64) [9], BN [10], SiLU, pointwise Conv1d(64, 64, 1) [11],
           BN [12], squeeze-excitation 64 -> 16 -> 64 [13], + x, SiLU
  head     GeM pooling over time (p = 3, learnable: layers.14.p) [14], Linear(64, 6) [15]

Squeeze-excitation: s = x.mean(-1); g = sigmoid(expand(silu(reduce(s)))); out = x * g[..., None] (reduce and expand
are nn.Linear: layers.{i}.reduce.weight [c/4, c], ...). GeM: x.clamp(min=1e-6).pow(p).mean(-1).pow(1/p).
Loss: nn.KLDivLoss(reduction="batchmean") on log_softmax against the vote fractions; AdamW(lr=1e-3) with PyTorch's
defaults otherwise (weight decay 0.01 on every parameter); batch 64; fp32; the default (NCL) layout.

Modes (one JSON object on stdout):
  --speed   (default) --steps (100) timed training steps after 10 warm-up steps (train mode), then inference
            (softmax under torch.inference_mode, eval mode) at --batch and --infer-batch, plain and with each
            BatchNorm1d folded into its convolution (as SoftGen predicts); data: --data's train.safetensors when given,
            else standard-normal signals with random soft targets.
  --train   a fresh model trained --epochs (5) epochs on --data's train.safetensors (written by
            `examples/Signals --write-data DIR`), then held-out KL, accuracy and ECE on test.safetensors.
  --evaluate PATH  loads a SoftGen weights file (safetensors with PyTorch's names) with load_state_dict(strict=True)
            and prints the held-out KL, accuracy, ECE and the first rows' logits on --data's test.safetensors; with
            DIR/predictions.safetensors (examples/Signals --save FILE --write-data DIR) also the largest difference
            between SoftGen's probabilities and PyTorch's.
  --save PATH  (with --train) writes the trained state_dict as safetensors, loadable by SoftGen's LoadWeights.

Initialisation (--init): "softgen" (default) draws from SoftGen's distributions for this declaration (not its draws):
every convolution, the head and the squeeze-excitations' expand Linears carry no activation of their own, so Glorot
uniform, U(-b, b), b = sqrt(6 / (fan_in + fan_out)) (PyTorch's fans); the reduce Linears feed a SiLU, so Kaiming uniform
with gain sqrt(2), b = sqrt(2) sqrt(3 / fan_in); biases 0, batch norms 1 and 0, GeM p = 3. "pytorch" keeps PyTorch's
defaults.

Run it with Debian's python3-torch under the fastest OpenBLAS core type: benchmarks/run_signals.sh does that.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_resnet import load_average, load_safetensors, save_safetensors  # noqa: E402  (the shared safetensors code)

CHANNELS, LENGTH, CLASSES = 8, 2000, 6
BINS = 15  # SoftGen.Metrics.ClassificationMetrics.DefaultBins
BATCH_NORM_AFTER = [0, 2, 4, 7, 9, 11]  # the convolutions, each followed by its BatchNorm1d


class SqueezeExcitation(nn.Module):
    def __init__(self, channels, reduction):
        super().__init__()
        self.reduce = nn.Linear(channels, channels // reduction)
        self.expand = nn.Linear(channels // reduction, channels)

    def forward(self, x):
        g = torch.sigmoid(self.expand(F.silu(self.reduce(x.mean(-1)))))
        return x * g[..., None]


class GeM(nn.Module):
    def __init__(self, p=3.0, eps=1e-6):
        super().__init__()
        self.p = nn.Parameter(torch.full((1,), p))
        self.eps = eps

    def forward(self, x):
        return x.clamp(min=self.eps).pow(self.p).mean(-1).pow(1.0 / self.p)


class EegNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([
            nn.Conv1d(8, 32, 7, stride=2, padding=3, bias=False), nn.BatchNorm1d(32),              # 0, 1
            nn.Conv1d(32, 32, 5, padding=2, bias=False), nn.BatchNorm1d(32),                       # 2, 3
            nn.Conv1d(32, 32, 5, padding=4, dilation=2, bias=False), nn.BatchNorm1d(32),           # 4, 5
            SqueezeExcitation(32, 4),                                                              # 6
            nn.Conv1d(32, 64, 5, stride=2, padding=2, bias=False), nn.BatchNorm1d(64),             # 7, 8
            nn.Conv1d(64, 64, 7, padding=3, groups=64, bias=False), nn.BatchNorm1d(64),            # 9, 10
            nn.Conv1d(64, 64, 1, bias=False), nn.BatchNorm1d(64),                                  # 11, 12
            SqueezeExcitation(64, 4),                                                              # 13
            GeM(),                                                                                 # 14
            nn.Linear(64, CLASSES),                                                                # 15
        ])

    def forward(self, x):
        L = self.layers
        x = F.max_pool1d(F.silu(L[1](L[0](x))), 2)
        x = F.silu(L[6](L[5](L[4](F.silu(L[3](L[2](x)))))) + x)
        x = F.silu(L[8](L[7](x)))
        x = F.silu(L[13](L[12](L[11](F.silu(L[10](L[9](x)))))) + x)
        return L[15](L[14](x))


def initialise(model, rule, generator):
    if rule == "pytorch":
        return
    with torch.no_grad():
        silu_inputs = {id(m.reduce) for m in model.modules() if isinstance(m, SqueezeExcitation)}
        for m in model.modules():
            if isinstance(m, nn.BatchNorm1d):
                m.weight.fill_(1.0)
                m.bias.zero_()
            elif isinstance(m, (nn.Conv1d, nn.Linear)):
                w = m.weight
                area = w.shape[2] if w.dim() == 3 else 1
                if id(m) in silu_inputs:  # Kaiming uniform, gain sqrt(2): the Linear before the SiLU
                    bound = math.sqrt(2.0) * math.sqrt(3.0 / w.shape[1])
                else:
                    bound = math.sqrt(6.0 / ((w.shape[1] + w.shape[0]) * area))
                w.copy_((torch.rand(w.shape, generator=generator, dtype=torch.float64) * 2 - 1) * bound)
                if m.bias is not None:
                    m.bias.zero_()


def fold_batch_norms(model):
    """An eval-mode copy with every BatchNorm1d folded into the convolution before it."""
    folded = EegNet()
    folded.load_state_dict(model.state_dict())
    folded.eval()
    layers = list(folded.layers)
    for i in BATCH_NORM_AFTER:
        layers[i] = torch.nn.utils.fusion.fuse_conv_bn_eval(layers[i], layers[i + 1])
        layers[i + 1] = nn.Identity()
    folded.layers = nn.ModuleList(layers)
    return folded


def forward_flop_per_sample():
    """2 x the multiply-adds of the convolutions, the squeeze-excitation Linears and the head (not BN, SiLU, pools)."""
    macs = 1000 * 32 * 8 * 7          # stem
    macs += 2 * 500 * 32 * 32 * 5     # block 1's convolutions
    macs += 2 * 32 * 8                # its squeeze-excitation
    macs += 250 * 64 * 32 * 5         # down
    macs += 250 * 64 * 7              # depthwise
    macs += 250 * 64 * 64             # pointwise
    macs += 2 * 64 * 16               # squeeze-excitation
    macs += 64 * CLASSES              # head
    return 2.0 * macs


def load_set(directory, name):
    state = load_safetensors(os.path.join(directory, name + ".safetensors"))
    return state["signals"].float(), state["targets"].float()


class Trainer:
    def __init__(self, init, seed):
        torch.manual_seed(seed)
        self.model = EegNet()
        initialise(self.model, init, torch.Generator().manual_seed(seed))
        self.loss_fn = nn.KLDivLoss(reduction="batchmean")
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=1e-3)

    def step(self, x, y):
        self.model.train()
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.loss_fn(F.log_softmax(self.model(x), dim=1), y)
        loss.backward()
        self.optimizer.step()
        return loss.item()


def predict(model, x):
    model.eval()
    with torch.inference_mode():
        return torch.cat([torch.softmax(model(x[s:s + 1024]), dim=1) for s in range(0, len(x), 1024)])


def scores(p, t):
    """KL (batch mean), accuracy against the majority vote and ECE, as SoftGen.Metrics.ClassificationMetrics (float64)."""
    p, t = p.numpy(), t.numpy()
    predicted, actual = p.argmax(axis=1), t.argmax(axis=1)  # the first index on a tie, as SoftGen's ArgMax
    correct = predicted == actual
    t64 = t.astype(np.float64)
    logp = np.log(np.maximum(p.astype(np.float64), 1e-30))
    kl = np.where(t64 > 0, t64 * (np.log(np.where(t64 > 0, t64, 1.0)) - logp), 0.0).sum(axis=1).mean()
    confidence = p[np.arange(len(p)), predicted].astype(np.float64)
    bins = np.clip(np.ceil(confidence * BINS).astype(np.int64) - 1, 0, BINS - 1)
    ece = sum(abs(correct[bins == m].sum() - confidence[bins == m].sum()) for m in range(BINS)) / len(p)
    return {"kl": round(float(kl), 4), "accuracy": round(float(correct.mean()), 4), "ece": round(float(ece), 4), "count": len(p)}


def train(args):
    if not args.data:
        sys.exit("--train needs --data DIR (examples/Signals --write-data DIR)")
    x, y = load_set(args.data, "train")
    test_x, test_y = load_set(args.data, "test")
    trainer = Trainer(args.init, args.seed)
    shuffle = torch.Generator().manual_seed(args.seed + 1)
    result = {"mode": "train", "untrained": scores(predict(trainer.model, test_x), test_y), "epochs": []}
    began = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        epoch_began = time.perf_counter()
        order = torch.randperm(len(x), generator=shuffle)
        loss_sum = 0.0
        for start in range(0, len(x) - 1, args.batch):  # a last batch of one row would break the batch norms
            index = order[start:start + args.batch]
            loss_sum += trainer.step(x[index], y[index]) * len(index)
        seconds = time.perf_counter() - epoch_began
        held_out = scores(predict(trainer.model, test_x), test_y)
        result["epochs"].append({"epoch": epoch, "loss": round(loss_sum / len(x), 4), "held_out_kl": held_out["kl"],
                                 "seconds": round(seconds, 1), "samples_per_second": round(len(x) / seconds)})
        print(f"epoch {epoch}/{args.epochs}  loss {loss_sum / len(x):.4f}  held-out KL {held_out['kl']:.4f}  {seconds:.1f} s",
              file=sys.stderr, flush=True)
    result["training_seconds"] = round(time.perf_counter() - began, 1)
    result["test"] = scores(predict(trainer.model, test_x), test_y)
    if args.save:
        result["saved"] = save_safetensors(trainer.model, args.save)
    return result


def evaluate_file(args):
    if not args.data:
        sys.exit("--evaluate needs --data DIR (examples/Signals --write-data DIR)")
    model = EegNet()
    model.load_state_dict(load_safetensors(args.evaluate), strict=True)
    test_x, test_y = load_set(args.data, "test")
    model.eval()
    with torch.inference_mode():
        logits = model(test_x[:4])
    p = predict(model, test_x)
    result = {"mode": "evaluate", "weights": args.evaluate, "gem_p": round(float(model.layers[14].p), 6),
              "test": scores(p, test_y), "first_logits": [" ".join(f"{float(v):+.5f}" for v in row) for row in logits]}
    predictions = os.path.join(args.data, "predictions.safetensors")
    if os.path.exists(predictions):
        softgen = load_safetensors(predictions)["probabilities"].float()
        result["softgen_predictions"] = predictions
        result["max_abs_probability_difference"] = float((softgen - p).abs().max())
        result["softgen_test"] = scores(softgen, test_y)
    return result


def speed(args):
    if args.data:
        x, y = load_set(args.data, "train")
    else:
        generator = torch.Generator().manual_seed(args.seed)
        rows = 2 * max(args.batch, args.infer_batch)
        x = torch.randn(rows, CHANNELS, LENGTH, generator=generator)
        y = torch.softmax(2 * torch.randn(rows, CLASSES, generator=generator), dim=1)
    count = len(x)
    flop = forward_flop_per_sample()
    trainer = Trainer(args.init, args.seed)

    def batch_at(s, rows):
        start = s * rows % (count - rows + 1)
        return x[start:start + rows], y[start:start + rows]

    for s in range(10):
        trainer.step(*batch_at(s, args.batch))
    began = time.perf_counter()
    for s in range(args.steps):
        trainer.step(*batch_at(s, args.batch))
    train_seconds = time.perf_counter() - began

    inference = {}
    for variant, model in (("eval", trainer.model.eval()), ("folded", fold_batch_norms(trainer.model))):
        for rows in sorted({args.batch, args.infer_batch}):
            passes = max(3, args.steps * args.batch // rows // 2)
            with torch.inference_mode():
                torch.softmax(model(batch_at(0, rows)[0]), dim=1)
                began = time.perf_counter()
                for p in range(passes):
                    torch.softmax(model(batch_at(p, rows)[0]), dim=1)
                inference[f"{variant}_batch_{rows}"] = round(passes * rows / (time.perf_counter() - began))
    return {"mode": "speed", "steps": args.steps, "infer_batch": args.infer_batch,
            "data": args.data or "standard-normal signals, random soft targets",
            "train_samples_per_second": round(args.steps * args.batch / train_seconds),
            "train_gflop_per_second": round(3 * flop * args.steps * args.batch / train_seconds / 1e9, 1),
            "infer_samples_per_second": max(inference.values()),
            "inference_samples_per_second": inference}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--train", action="store_true", help="train on --data and score the held-out set")
    mode.add_argument("--speed", action="store_true", help="training and inference throughput (the default)")
    mode.add_argument("--evaluate", metavar="PATH", help="held-out metrics of a safetensors weights file")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--infer-batch", type=int, default=1024)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--init", choices=("softgen", "pytorch"), default="softgen")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--save", metavar="PATH")
    parser.add_argument("--data", metavar="DIR", help="the folder of examples/Signals --write-data")
    args, _ = parser.parse_known_args()  # run_signals.sh passes the same options to SoftGen's benchmark
    if args.save and not args.train:
        parser.error("--save needs --train")
    load_at_start = load_average()  # before this run's own threads add to it
    torch.set_num_threads(args.threads)
    header = {"model": "EegNet", "framework": f"PyTorch {torch.__version__}", "batch": args.batch,
              "threads": torch.get_num_threads(), "init": args.init,
              "forward_gflop_per_sample": round(forward_flop_per_sample() / 1e9, 5), "load_average_at_start": load_at_start}
    result = header | (train(args) if args.train else evaluate_file(args) if args.evaluate else speed(args))
    result["load_average"] = load_average()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
