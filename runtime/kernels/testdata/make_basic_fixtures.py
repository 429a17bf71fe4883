#!/usr/bin/python3
"""Writes PyTorch reference cases for the element-wise, activation, reduction
and layout kernel families (the "basic" ops).

Usage: make_basic_fixtures.py OUTDIR

Writes elementwise.json, activations.json, reductions.json, layout.json and
graph.json, read by runtime/kernels/testing/OpFixtures.cpp (graph.json by
BasicGraph_test.cpp). An op case gives the QIR op and its attributes, the
operands, PyTorch's outputs (one per tuple element for split), an upstream
gradient per output and PyTorch autograd's gradient of every f32 operand.
Floats are written with 9 significant digits, which round-trips f32 exactly.
Inputs come from a fixed seed, so every run writes the same files.
"""

import json
import os
import sys

import torch
import torch.nn.functional as F

torch.manual_seed(20240601)
torch.set_num_threads(1)

DTYPES = {torch.float32: "f32", torch.int32: "i32", torch.int64: "i64", torch.uint8: "u8"}


def tensor_json(t):
    t = t.detach().contiguous()
    if t.dtype == torch.float32:
        data = [float("%.9g" % v) for v in t.reshape(-1).tolist()]
    else:
        data = [int(v) for v in t.reshape(-1).tolist()]
    return {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data": data}


def attr_json(name, value):
    if isinstance(value, bool):
        return [name, "bool", value]
    if isinstance(value, int):
        return [name, "int", value]
    if isinstance(value, float):
        return [name, "float", value]
    if isinstance(value, str):
        return [name, "string", value]
    return [name, "ints", list(value)]


class Family:
    def __init__(self):
        self.cases = []

    def case(self, name, op, attrs, operands, fn, training=False, exact=False):
        """fn(*operands) -> a tensor or a tuple of tensors (QIR operand order)."""
        leaves = [t.clone().detach().requires_grad_(t.dtype == torch.float32)
                  for t in operands]
        out = fn(*leaves)
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        grad_outs = [torch.rand(o.shape) * 2 - 1 for o in outs]
        grads = {}
        float_outs = [(o, g) for o, g in zip(outs, grad_outs) if o.requires_grad]
        if float_outs:
            torch.autograd.backward([o for o, _ in float_outs], [g for _, g in float_outs])
            for i, leaf in enumerate(leaves):
                if leaf.requires_grad:
                    grad = leaf.grad if leaf.grad is not None else torch.zeros_like(leaf)
                    grads[str(i)] = tensor_json(grad)
        self.cases.append({
            "name": name, "op": op, "training": training, "exact": exact,
            "attrs": [attr_json(k, v) for k, v in attrs.items()],
            "operands": [tensor_json(t) for t in operands],
            "outputs": [tensor_json(o) for o in outs],
            "grad_outputs": [tensor_json(g) for g in grad_outs],
            "grads": grads,
        })

    def write(self, path):
        with open(path, "w") as f:
            json.dump({"cases": self.cases}, f, separators=(",", ":"))


def randn(*shape, scale=1.0):
    return torch.randn(shape) * scale


def away_from_zero(*shape):
    """Values in +-[0.5, 2] (safe denominators)."""
    sign = torch.where(torch.rand(shape) < 0.5, -1.0, 1.0)
    return sign * (0.5 + 1.5 * torch.rand(shape))


def elementwise():
    fam = Family()
    ops = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div}
    shapes = [
        ("same", [2, 3, 4], [2, 3, 4]),
        ("trailing", [2, 3, 4], [4]),
        ("leading", [4], [2, 3, 4]),
        ("per_channel", [2, 3, 4, 5], [1, 3, 1, 1]),
        ("per_channel_lhs", [3, 1, 1], [2, 3, 4, 5]),
        ("outer", [3, 1], [1, 4]),
        ("middle", [2, 1, 4], [3, 1]),
        ("scalar", [2, 3], []),
        ("one", [1], [2, 3]),
        ("batch_of_rows", [5, 1, 6], [5, 4, 6]),
    ]
    for op, fn in ops.items():
        for label, a_shape, b_shape in shapes:
            a = randn(*a_shape)
            b = away_from_zero(*b_shape) if op == "div" else randn(*b_shape)
            fam.case("%s/%s" % (op, label), op, {}, [a, b], fn)
    # Large enough to be split across threads (the loops' grain is 32768).
    for op in ("add", "mul", "div"):
        a = randn(2, 8, 48, 48)
        b = away_from_zero(1, 8, 1, 1)
        fam.case("%s/per_channel_large" % op, op, {}, [a, b], ops[op])
    fam.case("sub/rows_large", "sub", {}, [randn(40, 1000), randn(1000)], torch.sub)
    return fam


# Values where the piecewise activations change formula, plus random ones.
BOUNDARIES = [-7.0, -6.0, -3.0, -1.0, -1e-3, 0.0, 1e-3, 1.0, 3.0, 6.0, 7.0]


def activation_input(extra=37, scale=4.0):
    return torch.cat([torch.tensor(BOUNDARIES), randn(extra, scale=scale)]).reshape(4, 12)


def activations():
    fam = Family()
    unary = {
        "relu": F.relu, "relu6": F.relu6, "hardswish": F.hardswish,
        "hardsigmoid": F.hardsigmoid, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
        "silu": F.silu,
    }
    for op, fn in unary.items():
        fam.case("%s/boundaries" % op, op, {}, [activation_input()], fn)
    for op in ("sigmoid", "tanh", "silu"):
        x = torch.tensor([-30.0, -20.0, -10.0, 10.0, 20.0, 30.0])
        fam.case("%s/saturated" % op, op, {}, [x], unary[op])
    fam.case("clamp/both", "clamp", {"min": -3.0, "max": 3.0}, [activation_input()],
             lambda x: torch.clamp(x, -3.0, 3.0))
    fam.case("clamp/min", "clamp", {"min": 0.0}, [activation_input()],
             lambda x: torch.clamp(x, min=0.0))
    fam.case("clamp/max", "clamp", {"max": 1.0}, [activation_input()],
             lambda x: torch.clamp(x, max=1.0))
    fam.case("clamp/relu6_bounds", "clamp", {"min": 0.0, "max": 6.0}, [activation_input()],
             lambda x: torch.clamp(x, 0.0, 6.0))
    for mode in ("none", "tanh"):
        fam.case("gelu/%s" % mode, "gelu", {"approximate": mode}, [activation_input()],
                 lambda x, mode=mode: F.gelu(x, approximate=mode))
    fam.case("gelu/default", "gelu", {}, [activation_input()], F.gelu)
    fam.case("leaky_relu/default", "leaky_relu", {}, [activation_input()], F.leaky_relu)
    fam.case("leaky_relu/slope", "leaky_relu", {"negative_slope": 0.2}, [activation_input()],
             lambda x: F.leaky_relu(x, 0.2))
    fam.case("gelu/large", "gelu", {}, [randn(4, 100, 100, scale=4.0)], F.gelu)
    return fam


def reductions():
    fam = Family()
    x = randn(2, 3, 4, 5)
    for dims, keep in [([], False), ([], True), ([1], False), ([0, 2], False), ([-1], True),
                       ([2, 3], True), ([3, 0], False), ([0, 1, 2, 3], False)]:
        attrs = {"dims": dims, "keepdim": keep} if dims else {"keepdim": keep}
        label = "mean/dims_%s_%s" % ("_".join(str(d) for d in dims) or "all",
                                     "keep" if keep else "drop")
        fam.case(label, "mean", attrs, [x],
                 lambda t, dims=dims, keep=keep: torch.mean(
                     t, dim=dims or list(range(t.dim())), keepdim=keep))
    fam.case("mean/vector", "mean", {}, [randn(7)], torch.mean)
    big = randn(4, 16, 32, 32)
    fam.case("mean/per_channel_large", "mean", {"dims": [0, 2, 3], "keepdim": True}, [big],
             lambda t: torch.mean(t, dim=[0, 2, 3], keepdim=True))
    fam.case("mean/all_large", "mean", {}, [big], torch.mean)
    fam.case("mean/rows_large", "mean", {"dims": [0]}, [randn(300, 200)],
             lambda t: torch.mean(t, dim=0))
    for dim in (-1, 0, 1, 2):
        fam.case("softmax/dim_%d" % dim, "softmax", {"dim": dim}, [randn(2, 3, 4, scale=3.0)],
                 lambda t, dim=dim: torch.softmax(t, dim))
    fam.case("softmax/default_dim", "softmax", {}, [randn(3, 5)], lambda t: torch.softmax(t, -1))
    fam.case("softmax/large_values", "softmax", {"dim": 1},
             [torch.tensor([[1000.0, 999.0, 998.0], [-1000.0, -1001.0, -999.0]])],
             lambda t: torch.softmax(t, 1))
    fam.case("softmax/many_lines", "softmax", {"dim": 1}, [randn(3, 70, 130, scale=2.0)],
             lambda t: torch.softmax(t, 1))
    fam.case("softmax/long_rows", "softmax", {"dim": -1}, [randn(400, 100, scale=2.0)],
             lambda t: torch.softmax(t, -1))
    return fam


def qir_pad_to_torch(pads):
    """QIR pads (all begins, then all ends) to F.pad's last-dim-first pairs,
    without the unpadded leading dims (reflect and replicate want only the
    padded ones)."""
    rank = len(pads) // 2
    out = []
    for d in reversed(range(rank)):
        out += [pads[d], pads[d + rank]]
    while len(out) > 2 and out[-2:] == [0, 0]:
        out = out[:-2]
    return out


def layout():
    fam = Family()

    def case(name, op, attrs, operands, fn, **kw):
        fam.case(name, op, attrs, operands, fn, exact=True, **kw)

    a, b, c = randn(2, 3, 4), randn(2, 1, 4), randn(2, 2, 4)
    case("cat/dim1", "cat", {"dim": 1}, [a, b, c], lambda *t: torch.cat(t, 1))
    case("cat/dim0", "cat", {}, [randn(1, 3), randn(2, 3)], lambda *t: torch.cat(t, 0))
    case("cat/last", "cat", {"dim": -1}, [randn(2, 3, 2), randn(2, 3, 5)],
         lambda *t: torch.cat(t, -1))
    case("cat/one", "cat", {"dim": 0}, [randn(3, 2)], lambda *t: torch.cat(t, 0))
    case("cat/empty_piece", "cat", {"dim": 1}, [randn(2, 0), randn(2, 3)],
         lambda *t: torch.cat(t, 1))
    case("cat/i32", "cat", {"dim": 1},
         [torch.arange(6, dtype=torch.int32).reshape(2, 3),
          torch.arange(4, dtype=torch.int32).reshape(2, 2)], lambda *t: torch.cat(t, 1))
    case("cat/channels_large", "cat", {"dim": 1}, [randn(2, 8, 40, 40), randn(2, 4, 40, 40)],
         lambda *t: torch.cat(t, 1))

    x = randn(2, 3, 4, 5)
    case("flatten/default", "flatten", {}, [x], lambda t: torch.flatten(t, 1))
    case("flatten/all", "flatten", {"start_dim": 0}, [x], lambda t: torch.flatten(t, 0))
    case("flatten/middle", "flatten", {"start_dim": 1, "end_dim": -2}, [x],
         lambda t: torch.flatten(t, 1, -2))
    case("reshape/inferred", "reshape", {"shape": [-1, 10]}, [x], lambda t: t.reshape(-1, 10))
    case("reshape/explicit", "reshape", {"shape": [6, 20]}, [x], lambda t: t.reshape(6, 20))
    case("reshape/u8", "reshape", {"shape": [3, 2]},
         [torch.arange(6, dtype=torch.uint8).reshape(2, 3)], lambda t: t.reshape(3, 2))

    for perm in ([0, 2, 3, 1], [3, 2, 1, 0], [1, 0, 2, 3], [0, 1, 2, 3], [-1, 0, 1, 2]):
        case("permute/%s" % "_".join(str(p) for p in perm), "permute", {"dims": perm}, [x],
             lambda t, perm=perm: t.permute(*perm))
    case("permute/unit_dims", "permute", {"dims": [2, 0, 1, 3]}, [randn(1, 3, 1, 4)],
         lambda t: t.permute(2, 0, 1, 3))
    case("permute/i64", "permute", {"dims": [1, 0]},
         [torch.arange(12, dtype=torch.int64).reshape(3, 4)], lambda t: t.permute(1, 0))
    case("permute/large", "permute", {"dims": [0, 2, 3, 1]}, [randn(2, 16, 32, 40)],
         lambda t: t.permute(0, 2, 3, 1))
    case("transpose/01", "transpose", {"dim0": 0, "dim1": 1}, [x], lambda t: t.transpose(0, 1))
    case("transpose/last", "transpose", {"dim0": -1, "dim1": -2}, [x],
         lambda t: t.transpose(-1, -2))

    y = randn(1, 3, 1, 4)
    case("squeeze/all", "squeeze", {}, [y], lambda t: t.squeeze())
    case("squeeze/one", "squeeze", {"dims": [2]}, [y], lambda t: t.squeeze(2))
    case("squeeze/two", "squeeze", {"dims": [0, -2]}, [y], lambda t: t.squeeze(2).squeeze(0))
    for dim in (0, 2, -1):
        case("unsqueeze/%d" % dim, "unsqueeze", {"dim": dim}, [randn(3, 4)],
             lambda t, dim=dim: t.unsqueeze(dim))

    def pad_case(name, t, pads, mode="constant", value=None):
        attrs = {"pads": pads}
        if mode != "constant":
            attrs["mode"] = mode
        if value is not None:
            attrs["value"] = value
        tp = qir_pad_to_torch(pads)
        fn = (lambda u: F.pad(u, tp, mode, value or 0.0)) if mode == "constant" \
            else (lambda u: F.pad(u, tp, mode))
        case("pad/" + name, "pad", attrs, [t], fn)

    pad_case("constant", randn(2, 3, 4), [0, 1, 2, 0, 2, 1])
    pad_case("constant_value", randn(2, 3, 4), [1, 0, 0, 1, 0, 3], value=1.5)
    pad_case("constant_crop", randn(2, 5, 6), [0, -1, 2, 0, 2, -3])
    pad_case("constant_u8", torch.arange(6, dtype=torch.uint8).reshape(2, 3), [1, 0, 0, 2],
             value=7.0)
    pad_case("reflect_hw", randn(1, 2, 4, 5), [0, 0, 1, 2, 0, 0, 3, 1], "reflect")
    pad_case("reflect_w", randn(2, 3, 5), [0, 0, 2, 0, 0, 4], "reflect")
    pad_case("replicate_w", randn(2, 3, 5), [0, 0, 2, 0, 0, 3], "replicate")
    pad_case("replicate_hw", randn(1, 2, 3, 4), [0, 0, 2, 1, 0, 0, 1, 3], "replicate")
    pad_case("reflect_large", randn(2, 8, 30, 30), [0, 0, 3, 3, 0, 0, 3, 3], "reflect")

    s = randn(2, 6, 3)
    case("split/dim1", "split", {"split_sizes": [1, 2, 3], "dim": 1}, [s],
         lambda t: torch.split(t, [1, 2, 3], 1))
    case("split/last", "split", {"split_sizes": [2, 1], "dim": -1}, [s],
         lambda t: torch.split(t, [2, 1], -1))
    case("split/dim0_default", "split", {"split_sizes": [1, 1]}, [s],
         lambda t: torch.split(t, [1, 1], 0))
    case("split/empty_piece", "split", {"split_sizes": [2, 0, 4], "dim": 1}, [s],
         lambda t: torch.split(t, [2, 0, 4], 1))

    def slice_case(name, t, dim, start, end, step=1):
        attrs = {"dim": dim, "start": start, "end": end}
        if step != 1:
            attrs["step"] = step
        index = (slice(None),) * (dim % t.dim()) + (slice(start, end, step),)
        case("slice/" + name, "slice", attrs, [t], lambda u: u[index])

    z = randn(3, 10, 4)
    slice_case("middle", z, 1, 2, 7)
    slice_case("negative_start", z, 1, -3, 10)
    slice_case("end_past", z, 1, 4, 2 ** 62)
    slice_case("step", z, 1, 1, 10, 3)
    slice_case("last_dim_step", z, -1, 0, 4, 2)
    slice_case("negative_both", z, 0, -2, -1)
    slice_case("empty", z, 1, 7, 3)
    slice_case("clamped_start", z, 1, -100, 2)

    case("identity/f32", "identity", {}, [randn(2, 3)], lambda t: t.clone())
    case("dropout/inference", "dropout", {"p": 0.5}, [randn(3, 4)],
         lambda t: F.dropout(t, 0.5, training=False))
    case("dropout/p0_training", "dropout", {"p": 0.0}, [randn(3, 4)],
         lambda t: F.dropout(t, 0.0, training=True), training=True)
    case("dropout/p1_training", "dropout", {"p": 1.0}, [randn(3, 4)],
         lambda t: F.dropout(t, 1.0, training=True), training=True)
    return fam


def graph():
    """x -> mul(w) -> add(b) -> relu -> split -> cat(c, a, c) -> mean."""
    x = randn(2, 4, 3)
    w = randn(4, 1)
    b = randn(3, scale=0.5)
    wl, bl = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    r = F.relu(x * wl + bl)
    pa, _, pc = torch.split(r, [1, 2, 1], 1)
    m = torch.cat([pc, pa, pc], 1).mean()
    m.backward()
    return {"x": tensor_json(x), "w": tensor_json(w), "b": tensor_json(b),
            "output": tensor_json(m), "grad_w": tensor_json(wl.grad),
            "grad_b": tensor_json(bl.grad)}


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    for name, fn in [("elementwise", elementwise), ("activations", activations),
                     ("reductions", reductions), ("layout", layout)]:
        fn().write(os.path.join(out_dir, name + ".json"))
    with open(os.path.join(out_dir, "graph.json"), "w") as f:
        json.dump(graph(), f, separators=(",", ":"))


if __name__ == "__main__":
    main()
