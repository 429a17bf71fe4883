"""Writes PyTorch reference results for the runtime's training parts.

Usage: make_training_fixtures.py OUT_DIR

optimizers.npz  for each optimizer setting: the initial parameter, three
                gradients and the parameter after each of three steps, as
                torch.optim computes them.
losses.npz      cross entropy and MSE (mean reduction): inputs, loss, gradient.
numpy_kinds.npz / numpy_compressed.npz
                arrays of several NumPy dtypes (the reader converts them).
"""
import os
import sys

import numpy as np
import torch


def optimizer_cases():
    return {
        "sgd": lambda p: torch.optim.SGD([p], lr=0.1),
        "sgd_momentum": lambda p: torch.optim.SGD([p], lr=0.05, momentum=0.9),
        "sgd_nesterov_wd": lambda p: torch.optim.SGD(
            [p], lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-2),
        "adam": lambda p: torch.optim.Adam([p], lr=1e-2),
        "adam_wd": lambda p: torch.optim.Adam([p], lr=1e-2, weight_decay=1e-2),
        "adamw": lambda p: torch.optim.AdamW([p], lr=1e-2, weight_decay=5e-2),
    }


def write_optimizers(out):
    gen = torch.Generator().manual_seed(7)
    arrays = {}
    for name, make in optimizer_cases().items():
        p = torch.nn.Parameter(torch.randn(5, 7, generator=gen))
        arrays[name + ".p0"] = p.detach().numpy().copy()
        opt = make(p)
        for step in range(1, 4):
            g = torch.randn(5, 7, generator=gen)
            arrays["%s.g%d" % (name, step)] = g.numpy().copy()
            p.grad = g.clone()
            opt.step()
            arrays["%s.p%d" % (name, step)] = p.detach().numpy().copy()
    np.savez(os.path.join(out, "optimizers.npz"), **arrays)


def write_losses(out):
    gen = torch.Generator().manual_seed(11)
    logits = (torch.randn(6, 5, generator=gen) * 3).requires_grad_()
    labels = torch.tensor([0, 4, 2, 2, 1, 3])
    ce = torch.nn.functional.cross_entropy(logits, labels)
    ce.backward()
    pred = torch.randn(4, 3, generator=gen).requires_grad_()
    target = torch.randn(4, 3, generator=gen)
    mse = torch.nn.functional.mse_loss(pred, target)
    mse.backward()
    np.savez(os.path.join(out, "losses.npz"),
             logits=logits.detach().numpy(), labels=labels.numpy(),
             ce_loss=np.array([ce.item()], dtype=np.float64),
             ce_grad=logits.grad.numpy(),
             pred=pred.detach().numpy(), target=target.numpy(),
             mse_loss=np.array([mse.item()], dtype=np.float64),
             mse_grad=pred.grad.numpy())


def write_numpy_kinds(out):
    kinds = dict(
        f8=np.array([[0.5, -1.25], [3.0, 1e-3]], dtype=np.float64),
        f2=np.array([1.5, -2.0, 65504.0], dtype=np.float16),
        i4=np.array([3, -7, 2147483647], dtype=np.int32),
        u1=np.array([0, 255, 7], dtype=np.uint8),
        b1=np.array([True, False, True]),
        scalar=np.array(4.0, dtype=np.float32),
        empty=np.zeros((0, 3), dtype=np.float32),
    )
    np.savez(os.path.join(out, "numpy_kinds.npz"), **kinds)
    np.savez_compressed(os.path.join(out, "numpy_compressed.npz"),
                        x=np.arange(24, dtype=np.float32).reshape(2, 3, 4),
                        y=np.array([1, 0], dtype=np.int64))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    write_optimizers(out)
    write_losses(out)
    write_numpy_kinds(out)


if __name__ == "__main__":
    main()
