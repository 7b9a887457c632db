#!/usr/bin/python3
"""PyTorch's learning rates (and OneCycleLR's Adam beta1) step by step, for SoftGen's schedule tests.

Writes tests/SoftGen.Tests/Training/lr_schedules.json: for each case, the rate each optimizer update uses (update k uses
the rate after k - 1 scheduler steps, as in `optimizer.step(); scheduler.step()` loops).
Run with Debian's PyTorch: /usr/bin/python3 scripts/lr_schedules.py
"""
import json
import os
import torch

STEPS = 40


def record(make, base_lr=0.1, adam=False):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.Adam([p], lr=base_lr) if adam else torch.optim.SGD([p], lr=base_lr)
    sched = make(opt)
    rates, beta1 = [], []
    for _ in range(STEPS):
        rates.append(opt.param_groups[0]["lr"])
        beta1.append(opt.param_groups[0]["betas"][0] if adam else None)
        opt.step()
        sched.step()
    out = {"base": base_lr, "rates": rates}
    if adam:
        out["beta1"] = beta1
    return out


def main():
    lr = torch.optim.lr_scheduler
    cases = {
        "step": record(lambda o: lr.StepLR(o, step_size=7, gamma=0.5)),
        "cosine": record(lambda o: lr.CosineAnnealingLR(o, T_max=30, eta_min=0.001)),
        "warmup_cosine": record(lambda o: lr.SequentialLR(
            o, [lr.LinearLR(o, start_factor=0.1, total_iters=5), lr.CosineAnnealingLR(o, T_max=35, eta_min=0.0)], milestones=[5])),
        "one_cycle": record(lambda o: lr.OneCycleLR(o, max_lr=0.01, total_steps=STEPS, pct_start=0.3), adam=True),
    }
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "tests", "SoftGen.Tests", "Training", "lr_schedules.json")
    with open(path, "w") as f:
        json.dump({"torch": torch.__version__, "steps": STEPS, "cases": cases}, f, indent=1)
        f.write("\n")
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
