#!/usr/bin/python3
"""Writes the PyTorch reference numbers the quantization tests compare with.

Usage: /usr/bin/python3 make_quant_fixtures.py OUT_DIR

Writes four files (the genrule outs in ../BUILD.bazel):
  fake_quantize.txt  torch.fake_quantize_per_{tensor,channel}_affine outputs and
                     gradients, with values on .5 rounding boundaries and out of range;
  observers.txt      torch FakeQuantize with MovingAverage/MinMax (per-tensor and
                     per-channel) observers, and the EMA observer of spec §2.2,
                     over four batches: outputs, gradients, min/max, scale, zp;
  learnable.txt      torch._fake_quantize_learnable_per_{tensor,channel}_affine
                     outputs and gradients with the LSQ grad_factor of spec §2.4;
  quantize.txt       torch.quantize_per_{tensor,channel} and dequantize.

Format, one item a line:
  case NAME
  int KEY VALUE | f64 KEY VALUE | str KEY VALUE
  tensor KEY DTYPE RANK DIMS... VALUES...   (f32 values as 8 hex digits of
                                             their bits, integers in decimal)
  end
Data come from torch.manual_seed(0), so the files are the same on every run.
"""

import math
import os
import struct
import sys

import torch
from torch.ao.quantization.fake_quantize import FakeQuantize
from torch.ao.quantization.observer import (
    MinMaxObserver,
    MovingAverageMinMaxObserver,
    MovingAveragePerChannelMinMaxObserver,
    PerChannelMinMaxObserver,
)

EPS = torch.finfo(torch.float32).eps

# (quant_min, quant_max, torch dtype, whether the range is the dtype's default)
RANGES = {
    "u8": (0, 255, torch.quint8, True),
    "i8": (-128, 127, torch.qint8, True),
    "i4": (-8, 7, torch.qint8, False),
    "u4": (0, 15, torch.quint8, False),
}


class Writer:
    def __init__(self, path):
        self.out = open(path, "w")

    def case(self, name, ints=(), f64s=(), strs=(), tensors=()):
        lines = ["case " + name]
        lines += ["int %s %d" % (k, v) for k, v in ints]
        lines += ["f64 %s %r" % (k, v) for k, v in f64s]
        lines += ["str %s %s" % (k, v) for k, v in strs]
        for key, t in tensors:
            lines.append(tensor_line(key, t))
        lines.append("end")
        self.out.write("\n".join(lines) + "\n")

    def close(self):
        self.out.close()


def tensor_line(key, t):
    t = t.detach().contiguous()
    names = {torch.float32: "f32", torch.int32: "i32", torch.int64: "i64",
             torch.uint8: "u8", torch.int8: "i8"}
    dtype = names[t.dtype]
    dims = list(t.shape)
    if t.dtype == torch.float32:
        values = ["%08x" % struct.unpack("<I", struct.pack("<f", v))[0]
                  for v in t.flatten().tolist()]
    else:
        values = [str(v) for v in t.flatten().tolist()]
    return " ".join(["tensor", key, dtype, str(len(dims))] + [str(d) for d in dims] + values)


def f32(values):
    return torch.tensor(values, dtype=torch.float32)


def interesting_values(scale, zp, qmin, qmax, count):
    """Random values plus exact .5 boundaries, range edges and far values."""
    x = torch.randn(count) * scale * (qmax - qmin) / 3
    ks = torch.arange(qmin - zp - 3, qmax - zp + 3, dtype=torch.float32)
    half = (ks + 0.5) * scale  # k + 0.5 steps: exact for power-of-two scales
    edges = f32([(qmin - zp - 0.5) * scale, (qmax - zp + 0.5) * scale,
                 (qmin - zp) * scale, (qmax - zp) * scale, 0.0, -0.0,
                 1e4 * scale * (qmax - qmin), -1e4 * scale * (qmax - qmin), 1e-30, -1e-30])
    return torch.cat([x, half[torch.randperm(len(half))[:count]], edges])


def fake_quant_cases(w):
    """torch.fake_quantize_per_{tensor,channel}_affine and their gradients."""
    for rname, (qmin, qmax, _, _) in RANGES.items():
        mid = (qmin + qmax) // 2
        for scale in (0.0625, 0.0371, 3.7e-3):
            for zp in sorted({qmin, mid, qmin + 3}):
                x = interesting_values(scale, zp, qmin, qmax, 40)
                s = f32([scale])
                z = torch.tensor([zp], dtype=torch.int32)
                xr = x.clone().requires_grad_()
                y = torch.fake_quantize_per_tensor_affine(xr, s, z, qmin, qmax)
                dy = torch.randn(x.shape)
                y.backward(dy)
                w.case("tensor_%s_s%g_z%d" % (rname, scale, zp),
                       ints=[("quant_min", qmin), ("quant_max", qmax)],
                       tensors=[("x", x), ("scale", s), ("zero_point", z), ("y", y),
                                ("dy", dy), ("dx", xr.grad)])
        for shape, axis in (((4, 3, 5), 0), ((2, 4, 6), 1), ((3, 2, 4), 2), ((3, 2, 4), -1)):
            channels = shape[axis]
            scales = (torch.rand(channels) * 0.05 + 0.01)
            scales[0] = 0.125
            zps = torch.randint(qmin, qmax + 1, (channels,), dtype=torch.int32)
            x = torch.randn(shape) * 0.05 * (qmax - qmin) / 2
            # put exact half steps of channel 0 along the axis
            xt = x.movedim(axis, 0).contiguous()
            xt[0].view(-1)[:6] = (torch.arange(6, dtype=torch.float32) - 3 + 0.5) * 0.125
            xt[-1].view(-1)[:2] = f32([1e6, -1e6])
            x = xt.movedim(0, axis).contiguous()
            xr = x.clone().requires_grad_()
            pos_axis = axis % len(shape)
            y = torch.fake_quantize_per_channel_affine(xr, scales, zps, pos_axis, qmin, qmax)
            dy = torch.randn(shape)
            y.backward(dy)
            w.case("channel_%s_axis%d" % (rname, axis),
                   ints=[("quant_min", qmin), ("quant_max", qmax), ("axis", axis)],
                   tensors=[("x", x), ("scale", scales), ("zero_point", zps), ("y", y),
                            ("dy", dy), ("dx", xr.grad)])


def ema_update(observer, cur_min, cur_max, first):
    """coremltools' EMA rule (spec §2.2): the first batch sets the range, then
    v * r + batch * (1 - r)."""
    if first:
        new_min, new_max = cur_min, cur_max
    else:
        r = observer.ema_ratio
        new_min = observer.min_val * r + cur_min * (1 - r)
        new_max = observer.max_val * r + cur_max * (1 - r)
    observer.min_val.resize_(new_min.shape)
    observer.max_val.resize_(new_max.shape)
    observer.min_val.copy_(new_min)
    observer.max_val.copy_(new_max)


class EMAMinMaxObserver(MinMaxObserver):
    """coremltools' EMA observer, per tensor."""

    def __init__(self, ema_ratio=0.9, **kwargs):
        super().__init__(**kwargs)
        self.ema_ratio = ema_ratio

    def forward(self, x_orig):
        cur_min, cur_max = torch.aminmax(x_orig.detach())
        first = self.min_val == float("inf") and self.max_val == float("-inf")
        ema_update(self, cur_min, cur_max, first)
        return x_orig


class PerChannelEMAMinMaxObserver(PerChannelMinMaxObserver):
    """coremltools' EMA observer, per channel (torch leaves min_val empty
    until the first batch)."""

    def __init__(self, ema_ratio=0.9, **kwargs):
        super().__init__(**kwargs)
        self.ema_ratio = ema_ratio

    def forward(self, x_orig):
        y = torch.flatten(x_orig.detach().movedim(self.ch_axis, 0), start_dim=1)
        cur_min, cur_max = torch.aminmax(y, dim=1)
        ema_update(self, cur_min, cur_max, self.min_val.numel() == 0)
        return x_orig


OBSERVERS = {
    # name: (per-tensor class, per-channel class, constant kwarg, its attribute)
    "moving_average_min_max": (MovingAverageMinMaxObserver,
                               MovingAveragePerChannelMinMaxObserver,
                               "averaging_constant", "averaging_constant"),
    "min_max": (MinMaxObserver, PerChannelMinMaxObserver, None, None),
    "ema_min_max": (EMAMinMaxObserver, PerChannelEMAMinMaxObserver, "ema_ratio", "ema_ratio"),
}


def observer_batches(shape, count):
    """Batches whose range drifts, including an all-positive and a wide one."""
    batches = []
    for b in range(count):
        x = torch.randn(shape) * (0.5 + b) + (0.3 * b - 0.4)
        if b == 2:
            x = x.abs() + 0.1  # all positive: the range must still contain 0
        batches.append(x)
    return batches


def observer_cases(w):
    """torch FakeQuantize stepping its observer over four batches."""
    for oname, (per_tensor, per_channel, kwarg, attr) in OBSERVERS.items():
        for scheme in ("symmetric", "affine"):
            for rname, (qmin, qmax, dtype, default_range) in RANGES.items():
                for axis in (None, 0, 1):
                    if axis is None:
                        observer = per_tensor
                        qscheme = getattr(torch, "per_tensor_" + scheme)
                        kwargs = {}
                    else:
                        observer = per_channel
                        qscheme = getattr(torch, "per_channel_" + scheme)
                        kwargs = {"ch_axis": axis}
                    constants = []
                    # non-default constants on some cases prove the attributes are read
                    if kwarg and rname == "i4":
                        value = 0.25 if kwarg == "averaging_constant" else 0.8
                        kwargs[kwarg] = value
                        constants.append((attr, value))
                    if not default_range:
                        kwargs.update(quant_min=qmin, quant_max=qmax)
                    fq = FakeQuantize(observer=observer, dtype=dtype, qscheme=qscheme, **kwargs)
                    shape = (3, 4, 5) if axis != 1 else (2, 3, 4)
                    tensors = []
                    for b, x in enumerate(observer_batches(shape, 4)):
                        xr = x.clone().requires_grad_()
                        y = fq(xr)
                        dy = torch.randn(shape)
                        y.backward(dy)
                        obs = fq.activation_post_process
                        tensors += [("x%d" % b, x), ("dy%d" % b, dy), ("y%d" % b, y),
                                    ("dx%d" % b, xr.grad),
                                    ("min_val%d" % b, obs.min_val.reshape(-1).clone()),
                                    ("max_val%d" % b, obs.max_val.reshape(-1).clone()),
                                    ("scale%d" % b, fq.scale.clone()),
                                    ("zero_point%d" % b, fq.zero_point.clone())]
                    ints = [("quant_min", qmin), ("quant_max", qmax), ("batches", 4)]
                    if axis is not None:
                        ints.append(("axis", axis))
                    w.case("%s_%s_%s_%s" % (oname, scheme, rname,
                                            "tensor" if axis is None else "axis%d" % axis),
                           ints=ints, f64s=constants,
                           strs=[("observer", oname), ("scheme", scheme)], tensors=tensors)


def symmetric_zero_point(qmin, qmax):
    if qmin < 0:
        return 0
    return 128 if (qmin, qmax) == (0, 255) else (qmin + qmax) // 2


def gradient_terms(x, s_used, z_used, dy, qmin, qmax, axis, factor):
    """torch's per-element scale and zero-point gradient terms (each element as
    its own channel of the per-channel kernel), summed per channel in float64:
    the exact sums, and the sums of magnitudes that bound torch's own float32
    summation error."""
    channels = s_used.numel()
    if axis is None:
        channel_of = torch.zeros(x.numel(), dtype=torch.long)
    else:
        shape = [1] * x.dim()
        shape[axis] = channels
        channel_of = torch.arange(channels).reshape(shape).expand(x.shape).reshape(-1)
    s_e = s_used.detach()[channel_of].clone().requires_grad_()
    z_e = z_used.detach()[channel_of].clone().requires_grad_()
    # [n, 1]: torch's per-channel backward sums a 1-D input to a scalar
    y = torch._fake_quantize_learnable_per_channel_affine(
        x.reshape(-1, 1), s_e, z_e, 0, qmin, qmax, factor)
    y.backward(dy.reshape(-1, 1))
    sums = []
    for terms in (s_e.grad.double(), z_e.grad.double()):
        exact = torch.zeros(channels, dtype=torch.float64).index_add_(0, channel_of, terms)
        magnitude = torch.zeros(channels, dtype=torch.float64).index_add_(
            0, channel_of, terms.abs())
        sums += [exact.float(), magnitude.float()]
    return sums


def learnable_reference(x, scale, zp, dy, qmin, qmax, scheme, axis):
    """coremltools' LSQ through torch's learnable kernels: the scale clamped to
    eps, the symmetric zero point fixed, grad_factor 1 / sqrt(N * qmax).
    Returns y, dx, then for scale and zero point: torch's gradient, the exact
    sum of torch's per-element terms and the sum of their magnitudes."""
    s = scale.clone().requires_grad_()
    affine = scheme == "affine"
    z = zp.clone().requires_grad_(affine)
    s_used = torch.clamp(s, min=EPS)
    z_used = z if affine else torch.full_like(z, symmetric_zero_point(qmin, qmax))
    xr = x.clone().requires_grad_()
    if axis is None:
        factor = 1.0 / math.sqrt(x.numel() * qmax)
        y = torch._fake_quantize_learnable_per_tensor_affine(xr, s_used, z_used, qmin, qmax,
                                                             factor)
    else:
        factor = 1.0 / math.sqrt(x.numel() / x.shape[axis] * qmax)
        y = torch._fake_quantize_learnable_per_channel_affine(
            xr, s_used, z_used, axis % x.dim(), qmin, qmax, factor)
    y.backward(dy)
    dz = z.grad if affine else torch.zeros_like(zp)
    ds_exact, ds_abs, dz_exact, dz_abs = gradient_terms(x, s_used, z_used, dy, qmin, qmax,
                                                        axis, factor)
    gate = (scale >= EPS).float()  # clamp(min=eps) passes no gradient below eps
    if not affine:
        dz_exact, dz_abs = torch.zeros_like(zp), torch.zeros_like(zp)
    return y, xr.grad, [s.grad, ds_exact * gate, ds_abs], [dz, dz_exact, dz_abs]


def gradient_tensors(suffix, ds, dz):
    """The fixture tensors of learnable_reference's scale and zero-point gradients."""
    names = ("", "_exact", "_abs")
    return ([("dscale%s%s" % (n, suffix), t) for n, t in zip(names, ds)] +
            [("dzero_point%s%s" % (n, suffix), t) for n, t in zip(names, dz)])


def learnable_cases(w):
    """LSQ forward and gradients against torch's learnable fake-quant kernels."""
    for rname, (qmin, qmax, _, _) in RANGES.items():
        for scheme in ("symmetric", "affine"):
            for axis in (None, 0, 1):
                shape = (3, 4, 5)
                channels = 1 if axis is None else shape[axis]
                scale = torch.rand(channels) * 0.04 + 0.01
                # LSQ+ zero points drift off integers; torch's per-tensor backward
                # rounds them as trunc(z + 0.5), so keep them positive and off .5.
                zp = torch.randint(max(qmin, 0), qmax // 2 + 1, (channels,)).float() + 0.3
                x = torch.randn(shape) * float(scale.mean()) * (qmax - qmin) / 3
                dy = torch.randn(shape)
                y, dx, ds, dz = learnable_reference(x, scale, zp, dy, qmin, qmax, scheme, axis)
                ints = [("quant_min", qmin), ("quant_max", qmax)]
                if axis is not None:
                    ints.append(("axis", axis))
                w.case("%s_%s_%s" % (rname, scheme, "tensor" if axis is None else
                                     "axis%d" % axis),
                       ints=ints, strs=[("scheme", scheme)],
                       tensors=[("x", x), ("scale", scale), ("zero_point", zp), ("dy", dy),
                                ("y", y), ("dx", dx)] + gradient_tensors("", ds, dz))

    # A negative zero point per tensor: torch's per-tensor backward would round
    # it as trunc(z + 0.5); the per-channel kernels (one channel) round it half
    # to even like the forward, which is what qatc does.
    x = torch.randn(2, 7) * 0.3
    dy = torch.randn(2, 7)
    scale, zp = f32([0.01]), f32([-3.3])
    y, dx, ds, dz = learnable_reference(x.reshape(1, -1), scale, zp, dy.reshape(1, -1),
                                        -128, 127, "affine", 0)
    w.case("negative_zero_point", ints=[("quant_min", -128), ("quant_max", 127)],
           strs=[("scheme", "affine")],
           tensors=[("x", x), ("scale", scale), ("zero_point", zp), ("dy", dy),
                    ("y", y.reshape(2, 7)), ("dx", dx.reshape(2, 7))] +
           gradient_tensors("", ds, dz))

    # A scale below eps computes with eps and gets no gradient.
    x = torch.randn(10) * 1e-6
    dy = torch.randn(10)
    scale, zp = f32([1e-9]), f32([5.0])
    y, dx, ds, dz = learnable_reference(x, scale, zp, dy, 0, 255, "affine", None)
    w.case("scale_below_eps", ints=[("quant_min", 0), ("quant_max", 255)],
           strs=[("scheme", "affine")],
           tensors=[("x", x), ("scale", scale), ("zero_point", zp), ("dy", dy), ("y", y),
                    ("dx", dx)] + gradient_tensors("", ds, dz))

    # Observing: each batch the observer's qparams overwrite scale and zero point.
    observer = MovingAverageMinMaxObserver(dtype=torch.quint8, qscheme=torch.per_tensor_affine)
    tensors = []
    for b in range(3):
        x = torch.randn(4, 6) * (1 + b) + 0.5
        dy = torch.randn(4, 6)
        observer(x)
        scale, zp = observer.calculate_qparams()
        y, dx, ds, dz = learnable_reference(x, scale.float(), zp.float(), dy, 0, 255,
                                            "affine", None)
        tensors += [("x%d" % b, x), ("dy%d" % b, dy), ("y%d" % b, y), ("dx%d" % b, dx),
                    ("scale%d" % b, scale.float()), ("zero_point%d" % b, zp.float())]
        tensors += gradient_tensors(str(b), ds, dz)
    w.case("observing", ints=[("quant_min", 0), ("quant_max", 255), ("batches", 3)],
           strs=[("scheme", "affine")], tensors=tensors)


def quantize_cases(w):
    """torch.quantize_per_{tensor,channel} and dequantize."""
    dtypes = {"u8": (torch.quint8, 0, 255), "i8": (torch.qint8, -128, 127),
              "i32": (torch.qint32, -2**31, 2**31 - 1)}
    for dname, (dtype, qmin, qmax) in dtypes.items():
        span = min(qmax - qmin, 255)
        for scale, zp in ((0.0625, 0), (0.0371, 3), (0.0123, min(qmax, 100))):
            zp = max(zp, qmin)
            x = interesting_values(scale, zp, zp - span // 2, zp + span // 2, 40)
            q = torch.quantize_per_tensor(x, scale, zp, dtype)
            w.case("tensor_%s_s%g_z%d" % (dname, scale, zp), strs=[("dtype", dname)],
                   tensors=[("x", x), ("scale", f32([scale])),
                            ("zero_point", torch.tensor([zp], dtype=torch.int32)),
                            ("q", q.int_repr()), ("y", q.dequantize())])
        for shape, axis in (((4, 3, 5), 0), ((2, 4, 6), 1), ((3, 2, 4), 2)):
            channels = shape[axis]
            scales = torch.rand(channels) * 0.05 + 0.01
            zps = torch.randint(max(qmin, -20), min(qmax, 20) + 1, (channels,), dtype=torch.int32)
            x = torch.randn(shape) * 4
            x.view(-1)[:3] = f32([1e7, -1e7, 0.5 * float(scales[0])])
            q = torch.quantize_per_channel(x, scales.double(), zps.long(), axis, dtype)
            w.case("channel_%s_axis%d" % (dname, axis), ints=[("axis", axis)],
                   strs=[("dtype", dname)],
                   tensors=[("x", x), ("scale", scales), ("zero_point", zps),
                            ("q", q.int_repr()), ("y", q.dequantize())])


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)
    for name, fn in (("fake_quantize", fake_quant_cases), ("observers", observer_cases),
                     ("learnable", learnable_cases), ("quantize", quantize_cases)):
        w = Writer(os.path.join(out_dir, name + ".txt"))
        fn(w)
        w.close()


if __name__ == "__main__":
    main()
