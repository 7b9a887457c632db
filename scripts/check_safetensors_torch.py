#!/usr/bin/env python3
"""Reads SoftGen's safetensors files in PyTorch and checks that PyTorch computes what SoftGen computed.

usage: check_safetensors_torch.py WEIGHTS PREDICTIONS [CHECKPOINT]

  WEIGHTS      a weights file (TrainerBase.SaveWeights), e.g. from `AotTrainer train`
  PREDICTIONS  `AotTrainer predict --probabilities FILE`: the held-out inputs, labels, logits and probabilities
               SoftGen computed, with the hidden activations in its metadata ("relu,none")
  CHECKPOINT   optional, a checkpoint (TrainerBase.SaveCheckpoint) to check for PyTorch's optimizer-state names

The files are parsed here in plain Python (8-byte little-endian header length, JSON header, raw little-endian
data) exactly as the safetensors format defines them, because the `safetensors` package is not installable on this
machine; where it is installed, safetensors.torch.load_file is used as well and must agree. The weights are loaded
with load_state_dict(strict=True) into a torch module whose Linear layers sit in a ModuleList named `layers`, so
the state_dict keys are layers.0.weight [out, in], layers.0.bias [out], ..., as SoftGen names them.
"""
import json
import struct
import sys

import torch
from torch import nn

ACTIVATIONS = {
    "none": nn.Identity, "relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
    "gelu": nn.GELU, "leakyrelu": lambda: nn.LeakyReLU(0.01),
}


def read_safetensors(path):
    """The format by hand: returns ({name: tensor}, metadata)."""
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    start = 8 + length
    tensors = {}
    covered = 0
    for name, entry in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        assert entry["dtype"] == "F32", f"{name}: dtype {entry['dtype']}"
        begin, end = entry["data_offsets"]
        assert begin == covered, f"{name}: data starts at {begin}, expected {covered}"
        count = 1
        for d in entry["shape"]:
            count *= d
        assert end - begin == 4 * count, f"{name}: {end - begin} bytes for shape {entry['shape']}"
        raw = bytearray(data[start + begin:start + end])
        tensors[name] = torch.frombuffer(raw, dtype=torch.float32).reshape(entry["shape"]) if count else torch.zeros(entry["shape"])
        covered = end
    assert start + covered == len(data), f"{len(data) - start - covered} trailing bytes"
    return tensors, metadata


class Mlp(nn.Module):
    """Linear layers in a ModuleList named `layers`, the activations applied between them."""

    def __init__(self, widths, activations):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths, widths[1:]))
        self.activations = [ACTIVATIONS[a.strip().lower()]() for a in activations]

    def forward(self, x):
        for layer, activation in zip(self.layers, self.activations):
            x = activation(layer(x))
        return x


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__)
        return 2
    weights, meta = read_safetensors(argv[1])
    print(f"{argv[1]}: {len(weights)} tensors, metadata {meta}")
    try:
        from safetensors.torch import load_file  # the reference loader, where it is installed
        reference = load_file(argv[1])
        assert reference.keys() == weights.keys() and all(torch.equal(reference[k], weights[k]) for k in weights)
        print("safetensors.torch.load_file reads the same tensors")
    except ImportError:
        print("(the safetensors package is not installed; the file was parsed by hand)")

    exported, export_meta = read_safetensors(argv[2])
    layer_count = sum(1 for k in weights if k.endswith(".weight"))
    widths = [weights["layers.0.weight"].shape[1]] + [weights[f"layers.{i}.weight"].shape[0] for i in range(layer_count)]
    activations = export_meta["activations"].split(",")
    model = Mlp(widths, activations)
    result = model.load_state_dict(weights, strict=True)
    print(f"load_state_dict(strict=True) into {model.__class__.__name__} {widths}: {result}")

    with torch.no_grad():
        logits = model(exported["inputs"])
        probabilities = torch.softmax(logits, dim=1)
    logit_error = (logits - exported["logits"]).abs().max().item()
    probability_error = (probabilities - exported["probabilities"]).abs().max().item()
    accuracy = (probabilities.argmax(dim=1) == exported["labels"].long()).float().mean().item()
    print(f"held-out rows: {exported['inputs'].shape[0]}; PyTorch accuracy {accuracy:.4f}")
    print(f"largest |logit difference| {logit_error:.3e}, largest |probability difference| {probability_error:.3e}")
    ok = logit_error < 1e-4 and probability_error < 1e-5

    if len(argv) == 4:
        checkpoint, cmeta = read_safetensors(argv[3])
        params = dict(model.named_parameters())
        moments = {k for k in checkpoint if k.startswith("optimizer.")}
        for key in moments:
            state, name = key[len("optimizer."):].split(".", 1)
            assert state in ("exp_avg", "exp_avg_sq", "momentum_buffer"), key
            assert checkpoint[key].shape == params[name].shape, key
        print(f"{argv[3]}: step {cmeta.get('softgen.step')}, optimizer {cmeta.get('softgen.optimizer')}, "
              f"{len(moments)} optimizer-state tensors named after the parameters they belong to")

    print("OK" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
