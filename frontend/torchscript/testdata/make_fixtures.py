#!/usr/bin/python3
"""Writes the tiny TorchScript archives the TorchScript importer tests read.

Usage: /usr/bin/python3 make_fixtures.py OUT_DIR

Each fixture is a few KB: a traced (or, where the case needs TorchScript
code, scripted) module that exercises one op mapping, naming rule or error,
plus a few files that are not valid archives. Weights are
random after torch.manual_seed(0) and string hashing is fixed, so the files
are the same on every run.
The list of files written must match the genrule outs in ../BUILD.bazel.
"""

import os
import struct
import sys
import warnings
import zipfile

import torch
import torch.nn as nn
import torch.nn.functional as F


def traced(module_fn, *shapes):
    """A fixture traced from module_fn() on zero inputs of the given shapes."""
    def build():
        module = module_fn().eval()
        inputs = tuple(torch.zeros(shape) for shape in shapes)
        return torch.jit.trace(module, inputs)
    return build


def scripted(module_fn):
    """A fixture scripted from module_fn() in eval mode."""
    def build():
        return torch.jit.script(module_fn().eval())
    return build


def fn_module(forward):
    """A parameterless module whose forward is the given function."""
    class Fn(nn.Module):
        def forward(self, *args):
            return forward(*args)
    return Fn


# Convolution and linear layers.

def conv_attrs():
    return nn.Conv2d(4, 6, 3, stride=2, padding=(1, 2), dilation=2, groups=2, bias=False)


def conv_same():
    return nn.Sequential(nn.Conv2d(2, 2, 4, padding="same"),
                         nn.Conv2d(2, 2, (3, 2), padding="same", dilation=(1, 3)),
                         nn.Conv2d(2, 2, 3, padding="valid"))


class Linears(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 4)
        self.fc2 = nn.Linear(4, 2, bias=False)

    def forward(self, x):
        return self.fc2(self.fc1(x))


class Addmm(nn.Module):
    """The form old tracers gave nn.Linear, and a general addmm."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(4, 8))
        self.bias = nn.Parameter(torch.randn(4))

    def forward(self, x):
        fc = torch.addmm(self.bias, x, self.weight.t())
        general = torch.addmm(self.bias, x, self.weight.t(), beta=0.5, alpha=2.0)
        return fc, general


def batch_norm():
    model = nn.Sequential(nn.BatchNorm2d(4, eps=1e-3, momentum=0.2),
                          nn.BatchNorm2d(4, affine=False))
    with torch.no_grad():
        model[0].running_mean.uniform_(-1, 1)
        model[0].running_var.uniform_(0.5, 2)
    return model


# Activations.

def activations():
    return nn.Sequential(nn.ReLU(), nn.ReLU6(), nn.Hardtanh(-2.0, 3.0), nn.Hardswish(),
                         nn.Hardsigmoid(), nn.Sigmoid(), nn.SiLU(), nn.Tanh(),
                         nn.GELU(approximate="tanh"), nn.GELU(), nn.LeakyReLU(0.2),
                         nn.LeakyReLU(), nn.Softmax(dim=1), nn.Softmax(dim=-1))


def inplace_activations(x):
    x = F.relu(x + 0, inplace=True)
    x = F.hardtanh(x, -1.0, 1.0, inplace=True)
    x = F.hardswish(x, inplace=True)
    x = F.hardsigmoid(x, inplace=True)
    x = F.silu(x, inplace=True)
    x = F.leaky_relu(x, 0.1, inplace=True)
    x = torch.sigmoid_(x)
    x = torch.tanh_(x)
    x = F.relu6(x)
    x = torch.clamp(x, min=-0.5)
    return x.clamp_(0, 0.25)


# Arithmetic.

class Arithmetic(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("scale", torch.tensor(3.0))

    def forward(self, a, b):
        s = a + b
        d = a - b
        m = a * b
        q = a / b
        s.add_(1.5)
        return (torch.add(m, q, alpha=2), d * 0.5, q - 1, s * self.scale,
                d / torch.tensor([1.0, 2.0, 3.0, 4.0]).view(1, 4, 1, 1),
                torch.sub(a, b, alpha=3))


class Params(nn.Module):
    """Known weights, to check the bytes of parameters and constants."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 1)
        with torch.no_grad():
            self.conv.weight.copy_(torch.tensor([1.5, -2.0]).view(2, 1, 1, 1))
            self.conv.bias.copy_(torch.tensor([0.25, 0.5]))

    def forward(self, x):
        return self.conv(x) * 0.5


# Pooling and reductions.

class Pools(nn.Module):
    def __init__(self):
        super().__init__()
        self.max_ceil = nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)
        self.max_plain = nn.MaxPool2d(2)
        self.max_dilated = nn.MaxPool2d(3, stride=1, dilation=2)
        self.avg_pad = nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True,
                                    count_include_pad=False)
        self.avg_divisor = nn.AvgPool2d(2, divisor_override=3)
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.adaptive = nn.AdaptiveAvgPool2d((2, 3))
        self.adaptive_even = nn.AdaptiveAvgPool2d(3)

    def forward(self, x):
        return (self.max_ceil(x), self.max_plain(x), self.max_dilated(x), self.avg_pad(x),
                self.avg_divisor(x), self.global_pool(x), self.adaptive(x), self.adaptive_even(x))


def means(x):
    return x.mean([2, 3]), x.mean([-1], keepdim=True), x.mean(), torch.mean(x, 1)


# Shape and layout.

class Flattens(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()

    def forward(self, x):
        return self.flatten(x), torch.flatten(x), torch.flatten(x, 1, 2)


def reshapes(x):
    return x.view(2, -1), x.reshape(-1, 10), x.view(x.size(0), -1)


def permutes(x):
    return x.transpose(1, 2), x.transpose(-1, 0), x.permute(0, 2, 3, 1), x.permute(0, -1, 1, 2)


def splits(x):
    return x.chunk(2, 1), x.chunk(3, 1), torch.chunk(x, 3, dim=-1), x.split(3, 1), \
        x.split([1, 3], 1)


def pads(x):
    return (F.pad(x, (1, 2)), F.pad(x, (1, 1, 2, 0), value=0.5),
            F.pad(x, (1, 1, 1, 1), mode="reflect"), F.pad(x, (1, 1, 1, 1), mode="replicate"),
            torch.constant_pad_nd(x, [1, 1]))


def squeezes(x):
    return x.squeeze(0), x.squeeze(1), x.squeeze(), x.unsqueeze(1), x.unsqueeze(-1)


def cat(x):
    return torch.cat([x, x * 2], 1), torch.cat([x, x], -1)


def slices(x):
    return x[:, 1:3], x[:, :, 1:], x[:, ::2]


def dropout():
    return nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.3), nn.Linear(4, 4), nn.Dropout())


def channel_shuffle(x):
    """ShuffleNet's shape arithmetic: size, floor_divide, view, transpose, contiguous."""
    batch, channels, height, width = x.size()
    x = x.view(batch, 2, channels // 2, height, width)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(batch, -1, height, width)


# Naming.

class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(2, 2, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(2)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(2, 2, 3, padding=1)

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.conv2(y) + x)


class Naming(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 2, 3, padding=1)
        self.act = nn.ReLU()
        self.blocks = nn.Sequential(Block(), Block())
        self.head = nn.Linear(2, 5)

    def forward(self, x):
        x = self.act(self.stem(x))
        x = self.act(self.blocks(x))
        x = torch.flatten(x.mean([2, 3]), 1)
        return self.head(x) * 2.0


def seed():
    return nn.Sequential(nn.Conv2d(1, 20, 3), nn.ReLU(), nn.Conv2d(20, 20, 3), nn.ReLU())


# Scripted modules.

class ScriptedChecks(nn.Module):
    """Attributes, training flags, shape checks and a static loop."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 2, 1)
        self.bn = nn.BatchNorm2d(2)
        self.drop = nn.Dropout(0.1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.repeats = 2

    def forward(self, x):
        if x.dim() != 4:
            raise ValueError("expected a 4-d input, got {}-d".format(x.dim()))
        for _ in range(self.repeats):
            x = self.conv(x)
        for i in range(x.size(1)):
            x = x + i
        x = self.drop(self.bn(x))
        return self.pool(x)


class ScriptedShapes(nn.Module):
    """Shape arithmetic of scripted code: tuples, list slices, `in`, float()."""

    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(2, 2, 2, stride=2)

    def forward(self, x):
        n, c, h, w = x.shape
        spatial = x.size()[2:]
        scale = float(h) / 2.0
        if 4 in spatial and not h > w:
            x = x * scale
        flat = x.view(n, c * h * w)
        y = x.clone()
        y.sub_(1.0)
        y.mul_(2.0)
        y.div_(4.0)
        return torch.mm(flat, flat.t()), torch.bmm(x.view(n * c, h, w), y.view(n * c, w, h)), \
            self.up(x)


class ScriptedInplace(nn.Module):
    def forward(self, x):
        y = x * 2.0
        y.relu_()
        return y + 1


class ScriptedReturnsInt(nn.Module):
    def forward(self, x):
        return x.dim()


class ScriptedIntInput(nn.Module):
    def forward(self, x, n: int):
        return x * n


class NoForward(nn.Module):
    @torch.jit.export
    def predict(self, x):
        return x


# Unsupported ops and bad parameters.

class Abs(nn.Module):
    def forward(self, x):
        return x.abs().abs()


class Unsupported(nn.Module):
    def __init__(self):
        super().__init__()
        self.sub = Abs()

    def forward(self, x):
        return self.sub(torch.cumsum(x, 1))


def unsupported_forms(x):
    return F.softmax(x, 1, dtype=torch.float64), torch.div(x, 2, rounding_mode="floor")


def double_params():
    return torch.jit.trace(nn.Linear(2, 2).double().eval(), torch.zeros(1, 2, dtype=torch.float64))


FIXTURES = {
    "conv_basic": traced(lambda: nn.Conv2d(3, 4, 3), (1, 3, 8, 8)),
    "conv_attrs": traced(conv_attrs, (1, 4, 9, 9)),
    "conv_same": traced(conv_same, (1, 2, 8, 8)),
    "conv1d": traced(lambda: nn.Conv1d(2, 3, 3, padding=1, stride=2), (1, 2, 10)),
    "conv_transpose": traced(lambda: nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1,
                                                        output_padding=1), (1, 4, 5, 5)),
    "linear": traced(Linears, (2, 8)),
    "addmm": traced(Addmm, (2, 8)),
    "matmul": traced(fn_module(torch.matmul), (2, 3), (3, 4)),
    "batch_norm": traced(batch_norm, (1, 4, 3, 3)),
    "activations": traced(activations, (1, 4, 3, 3)),
    "inplace": traced(fn_module(inplace_activations), (1, 4, 3, 3)),
    "arithmetic": traced(Arithmetic, (1, 4, 2, 2), (1, 4, 2, 2)),
    "params": traced(Params, (1, 1, 2, 2)),
    "pools": traced(Pools, (1, 2, 9, 9)),
    "means": traced(fn_module(means), (1, 2, 3, 4)),
    "flattens": traced(Flattens, (2, 3, 4, 5)),
    "reshapes": traced(fn_module(reshapes), (2, 3, 4, 5)),
    "permutes": traced(fn_module(permutes), (1, 2, 3, 4)),
    "splits": traced(fn_module(splits), (1, 4, 2, 5)),
    "pads": traced(fn_module(pads), (1, 2, 4, 4)),
    "squeezes": traced(fn_module(squeezes), (1, 3, 1, 4)),
    "cat": traced(fn_module(cat), (1, 2, 3, 3)),
    "slices": traced(fn_module(slices), (1, 4, 5)),
    "dropout": traced(dropout, (2, 4)),
    "channel_shuffle": traced(fn_module(channel_shuffle), (1, 4, 2, 2)),
    "naming": traced(Naming, (1, 3, 4, 4)),
    "seed": traced(seed, (1, 1, 20, 20)),
    "scripted_checks": scripted(ScriptedChecks),
    "scripted_inplace": scripted(ScriptedInplace),
    "scripted_shapes": scripted(ScriptedShapes),
    "scripted_returns_int": scripted(ScriptedReturnsInt),
    "scripted_int_input": scripted(ScriptedIntInput),
    "no_forward": scripted(NoForward),
    "unsupported": traced(Unsupported, (1, 3, 4)),
    "unsupported_form": traced(fn_module(unsupported_forms), (1, 3)),
    "double_params": double_params,
}


def overwrite_record(path, suffix):
    """The archive at path with the stored record ending in suffix overwritten."""
    with open(path, "rb") as f:
        data = bytearray(f.read())
    with zipfile.ZipFile(path) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith(suffix))
    name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26:info.header_offset + 30])
    start = info.header_offset + 30 + name_len + extra_len
    data[start:start + info.file_size] = b"A" * info.file_size
    return bytes(data)


def main():
    # Scripted archives depend on set order, hence on string hashing.
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable] + sys.argv)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    warnings.filterwarnings("ignore")
    for name, build in FIXTURES.items():
        torch.manual_seed(0)
        torch.jit.save(build(), os.path.join(out, name + ".pt"))
    # Files that are not TorchScript archives.
    with open(os.path.join(out, "garbage.pt"), "w") as f:
        f.write("this is not a model\n")
    with open(os.path.join(out, "conv_basic.pt"), "rb") as f:
        whole = f.read()
    with open(os.path.join(out, "truncated.pt"), "wb") as f:
        f.write(whole[: len(whole) // 2])
    with open(os.path.join(out, "corrupted.pt"), "wb") as f:
        f.write(overwrite_record(os.path.join(out, "conv_basic.pt"), "data.pkl"))
    torch.manual_seed(0)
    torch.save(nn.Linear(2, 2).state_dict(), os.path.join(out, "state_dict.pt"))


if __name__ == "__main__":
    main()
