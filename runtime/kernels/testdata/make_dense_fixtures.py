#!/usr/bin/python3
"""Writes PyTorch reference cases for the dense-layer kernel families.

Usage: make_dense_fixtures.py OUTDIR

One text file per family (convolution.txt, linear.txt, batch_norm.txt,
pooling.txt) read by runtime/kernels/testing/ParityCases.cpp. Each case gives
the QIR op and attributes, the operands, PyTorch's output, an upstream
gradient and PyTorch autograd's gradient of every differentiable operand;
batch norm cases also give the running statistics after the forward pass.
Padding forms PyTorch lacks (begin/end pairs) are computed as an explicit
F.pad followed by the unpadded op.
"""

import os
import sys

import torch
import torch.nn.functional as F

torch.manual_seed(20240531)
torch.set_num_threads(1)


def fmt_tensor(t):
    t = t.detach().contiguous().float()
    dims = list(t.shape)
    vals = " ".join("%.9g" % v for v in t.reshape(-1).tolist())
    return "%d %s %s" % (len(dims), " ".join(str(d) for d in dims), vals)


def fmt_attr(name, value):
    if isinstance(value, bool):
        return "attr %s bool %d" % (name, int(value))
    if isinstance(value, int):
        return "attr %s int %d" % (name, value)
    if isinstance(value, float):
        return "attr %s float %.17g" % (name, value)
    return "attr %s ints %d %s" % (name, len(value), " ".join(str(v) for v in value))


class Writer:
    def __init__(self, path):
        self.out = open(path, "w")

    def case(self, name, op, attrs, operands, fn, differentiable=None,
             training=False, update=False, states=()):
        """fn(*operands) -> output; operands listed in QIR order."""
        if differentiable is None:
            differentiable = range(len(operands))
        leaves = []
        for i, t in enumerate(operands):
            t = t.clone().detach()
            if i in differentiable:
                t.requires_grad_(True)
            leaves.append(t)
        inputs = [t if t.requires_grad else t.clone() for t in leaves]
        out = fn(*inputs)
        grad_out = torch.rand(out.shape) * 2 - 1
        out.backward(grad_out)
        w = self.out
        w.write("case %s\nop %s\nmode %d %d\n" % (name, op, int(training), int(update)))
        for k, v in attrs.items():
            w.write(fmt_attr(k, v) + "\n")
        for t in operands:
            w.write("operand " + fmt_tensor(t) + "\n")
        w.write("output " + fmt_tensor(out) + "\n")
        w.write("gradout " + fmt_tensor(grad_out) + "\n")
        for i in differentiable:
            w.write("grad %d %s\n" % (i, fmt_tensor(leaves[i].grad)))
        for i in states:
            w.write("state %d %s\n" % (i, fmt_tensor(inputs[i])))
        w.write("end\n")


def rnd(*shape):
    return torch.rand(shape) * 2 - 1


def convolution(w):
    def conv2d(name, n, c, h, wd, oc, k, stride=(1, 1), padding=(0, 0), dilation=(1, 1),
               groups=1, bias=True):
        x = rnd(n, c, h, wd)
        weight = rnd(oc, c // groups, k[0], k[1])
        ops = [x, weight] + ([rnd(oc)] if bias else [])
        attrs = {"stride": list(stride), "padding": list(padding),
                 "dilation": list(dilation), "groups": groups}

        def fn(x, weight, b=None):
            if len(padding) == 4:  # begins (h, w) then ends (h, w)
                x = F.pad(x, (padding[1], padding[3], padding[0], padding[2]))
                pad = 0
            else:
                pad = tuple(padding)
            return F.conv2d(x, weight, b, stride, pad, dilation, groups)
        w.case(name, "conv2d", attrs, ops, fn)

    conv2d("conv2d_3x3_bias", 2, 3, 7, 7, 4, (3, 3), padding=(1, 1))
    conv2d("conv2d_stride2_nobias", 2, 4, 9, 8, 6, (3, 3), stride=(2, 2), padding=(1, 1),
           bias=False)
    conv2d("conv2d_groups_dilation", 2, 4, 9, 9, 6, (3, 3), padding=(2, 2), dilation=(2, 2),
           groups=2)
    conv2d("conv2d_depthwise_stride2", 2, 4, 8, 8, 8, (3, 3), stride=(2, 2), padding=(1, 1),
           groups=4)
    conv2d("conv2d_depthwise_wide", 1, 32, 6, 6, 32, (3, 3), padding=(1, 1), groups=32)
    conv2d("conv2d_pad_begin_end", 2, 3, 6, 7, 4, (3, 2), padding=(0, 1, 2, 1))
    conv2d("conv2d_1x1_stride2", 2, 8, 6, 6, 5, (1, 1), stride=(2, 2))
    conv2d("conv2d_rect_kernel", 1, 3, 6, 9, 2, (2, 4), stride=(1, 2), padding=(1, 0))
    conv2d("conv2d_wide_channels", 2, 32, 8, 8, 32, (3, 3), padding=(1, 1))
    conv2d("conv2d_unaligned_channels", 2, 20, 6, 6, 24, (3, 3), stride=(2, 2),
           padding=(1, 1))
    conv2d("conv2d_stem_7x7", 1, 3, 16, 16, 16, (7, 7), stride=(2, 2), padding=(3, 3))

    def conv1d(name, n, c, l, oc, k, stride=1, padding=(0,), dilation=1, groups=1, bias=True):
        x = rnd(n, c, l)
        weight = rnd(oc, c // groups, k)
        ops = [x, weight] + ([rnd(oc)] if bias else [])
        attrs = {"stride": [stride], "padding": list(padding), "dilation": [dilation],
                 "groups": groups}

        def fn(x, weight, b=None):
            if len(padding) == 2:
                x = F.pad(x, (padding[0], padding[1]))
                pad = 0
            else:
                pad = padding[0]
            return F.conv1d(x, weight, b, stride, pad, dilation, groups)
        w.case(name, "conv1d", attrs, ops, fn)

    conv1d("conv1d_stride_dilation_groups", 2, 4, 15, 6, 3, stride=2, padding=(1,), dilation=2,
           groups=2)
    conv1d("conv1d_pad_begin_end", 2, 3, 10, 4, 3, padding=(1, 2), bias=False)

    def deconv(name, n, c, h, wd, oc, k, stride=(1, 1), padding=(0, 0), output_padding=(0, 0),
               dilation=(1, 1), groups=1, bias=True):
        x = rnd(n, c, h, wd)
        weight = rnd(c, oc // groups, k[0], k[1])
        ops = [x, weight] + ([rnd(oc)] if bias else [])
        attrs = {"stride": list(stride), "padding": list(padding),
                 "output_padding": list(output_padding), "dilation": list(dilation),
                 "groups": groups}

        def fn(x, weight, b=None):
            if len(padding) == 4:
                y = F.conv_transpose2d(x, weight, b, stride, 0, 0, groups, dilation)
                return y[:, :, padding[0]:y.shape[2] - padding[2],
                         padding[1]:y.shape[3] - padding[3]]
            return F.conv_transpose2d(x, weight, b, stride, tuple(padding),
                                      tuple(output_padding), groups, dilation)
        w.case(name, "conv_transpose2d", attrs, ops, fn)

    deconv("deconv_stride2_outpad", 2, 4, 5, 5, 3, (3, 3), stride=(2, 2), padding=(1, 1),
           output_padding=(1, 1))
    deconv("deconv_outpad_no_padding", 1, 3, 4, 5, 2, (2, 2), stride=(2, 2),
           output_padding=(1, 1))
    deconv("deconv_groups_dilation", 2, 4, 5, 4, 6, (3, 3), padding=(1, 1), dilation=(2, 2),
           groups=2, bias=False)
    deconv("deconv_pad_begin_end", 1, 3, 4, 4, 2, (3, 3), stride=(2, 1),
           padding=(1, 0, 0, 2))
    deconv("deconv_wide_channels", 2, 32, 5, 5, 16, (4, 4), stride=(2, 2), padding=(1, 1))


def linear(w):
    def lin(name, shape, inp, out, bias=True):
        ops = [rnd(*shape, inp), rnd(out, inp)] + ([rnd(out)] if bias else [])
        w.case(name, "linear", {}, ops, lambda x, wt, b=None: F.linear(x, wt, b))

    lin("linear_vector", (), 7, 5)
    lin("linear_2d", (6,), 9, 4)
    lin("linear_3d_nobias", (2, 3), 8, 5, bias=False)
    lin("linear_wide", (33,), 64, 40)

    def mm(name, a, b):
        w.case(name, "matmul", {}, [rnd(*a), rnd(*b)], torch.matmul)

    mm("matmul_dot", (7,), (7,))
    mm("matmul_vector_matrix", (5,), (5, 3))
    mm("matmul_matrix_vector", (4, 5), (5,))
    mm("matmul_2d", (6, 5), (5, 7))
    mm("matmul_batched", (3, 4, 5), (3, 5, 2))
    mm("matmul_batch_times_matrix", (3, 4, 5), (5, 6))
    mm("matmul_matrix_times_batch", (4, 5), (2, 5, 3))
    mm("matmul_vector_times_batch", (5,), (2, 5, 3))
    mm("matmul_batch_times_vector", (2, 3, 4, 5), (5,))
    mm("matmul_broadcast_both", (2, 1, 4, 5), (3, 5, 6))


def batch_norm(w):
    def bn(name, shape, training, update, eps=1e-5, momentum=0.1):
        c = shape[1]
        ops = [rnd(*shape) * 3 + 0.5, rnd(c), rnd(c), rnd(c) * 0.2, torch.rand(c) + 0.5]

        def fn(x, weight, bias, rm, rv):
            if training and not update:
                rm, rv = rm.clone(), rv.clone()
            return F.batch_norm(x, rm, rv, weight, bias, training, momentum, eps)
        w.case(name, "batch_norm", {"eps": eps, "momentum": momentum}, ops, fn,
               differentiable=[0, 1, 2], training=training, update=update, states=[3, 4])

    bn("bn_train_update_4d", (4, 3, 5, 6), True, True)
    bn("bn_train_no_update_3d", (3, 4, 7), True, False, eps=1e-3)
    bn("bn_train_update_2d", (8, 5), True, True, momentum=0.3)
    bn("bn_eval_4d", (2, 3, 4, 4), False, False)
    bn("bn_train_wide", (8, 32, 9, 9), True, True)

    wt, rv = rnd(6), torch.rand(6) + 0.1
    w.case("bn_scale", "batch_norm_scale", {"eps": 1e-3}, [wt, rv],
           lambda a, v: a / torch.sqrt(v + 1e-3), differentiable=[0])


def pooling(w):
    def maxpool(name, shape, k, stride=(), padding=(0, 0), dilation=(1, 1), ceil=False):
        attrs = {"kernel_size": list(k), "stride": list(stride), "padding": list(padding),
                 "dilation": list(dilation), "ceil_mode": ceil}

        def fn(x):
            if len(padding) == 4:
                x = F.pad(x, (padding[1], padding[3], padding[0], padding[2]),
                          value=float("-inf"))
                pad = 0
            else:
                pad = tuple(padding)
            return F.max_pool2d(x, tuple(k), tuple(stride) or None, pad, tuple(dilation),
                                ceil)
        w.case(name, "max_pool2d", attrs, [rnd(*shape)], fn)

    maxpool("max_3x3_stride2_pad1", (2, 3, 9, 9), (3, 3), (2, 2), (1, 1))
    maxpool("max_2x2_default_stride", (2, 2, 8, 6), (2, 2))
    maxpool("max_ceil_mode", (1, 2, 8, 8), (3, 3), (2, 2), ceil=True)
    maxpool("max_ceil_mode_pad", (1, 2, 7, 10), (3, 2), (2, 3), (1, 1), ceil=True)
    maxpool("max_dilation", (2, 2, 9, 9), (3, 3), (1, 2), (1, 1), (2, 2))
    maxpool("max_pad_begin_end", (1, 3, 6, 7), (3, 3), (2, 2), (1, 0, 0, 1))
    maxpool("max_rank3", (3, 6, 6), (2, 3), (2, 1))

    def avgpool(name, shape, k, stride=(), padding=(0, 0), ceil=False, include_pad=True,
                divisor=None):
        attrs = {"kernel_size": list(k), "stride": list(stride), "padding": list(padding),
                 "ceil_mode": ceil, "count_include_pad": include_pad}
        if divisor is not None:
            attrs["divisor_override"] = divisor

        def fn(x):
            if len(padding) == 4:
                x = F.pad(x, (padding[1], padding[3], padding[0], padding[2]))
                pad = 0
            else:
                pad = tuple(padding)
            return F.avg_pool2d(x, tuple(k), tuple(stride) or None, pad, ceil, include_pad,
                                divisor)
        w.case(name, "avg_pool2d", attrs, [rnd(*shape)], fn)

    avgpool("avg_3x3_stride2_pad1", (2, 3, 9, 9), (3, 3), (2, 2), (1, 1))
    avgpool("avg_exclude_pad", (2, 3, 9, 9), (3, 3), (2, 2), (1, 1), include_pad=False)
    avgpool("avg_ceil_exclude_pad", (1, 2, 8, 7), (3, 3), (2, 2), (1, 1), ceil=True,
            include_pad=False)
    avgpool("avg_ceil_include_pad", (1, 2, 8, 7), (3, 2), (2, 2), (1, 1), ceil=True)
    avgpool("avg_divisor_override", (2, 2, 6, 6), (2, 2), padding=(1, 1), divisor=3)
    avgpool("avg_pad_begin_end", (1, 2, 6, 7), (3, 3), (2, 2), (1, 0, 1, 1))
    avgpool("avg_rank3", (3, 6, 8), (2, 2))

    def adaptive(name, shape, size):
        w.case(name, "adaptive_avg_pool2d", {"output_size": list(size)}, [rnd(*shape)],
               lambda x: F.adaptive_avg_pool2d(x, tuple(size)))

    adaptive("adaptive_7_to_3", (2, 3, 7, 7), (3, 3))
    adaptive("adaptive_rect", (1, 2, 5, 5), (2, 4))
    adaptive("adaptive_global", (2, 4, 6, 5), (1, 1))
    adaptive("adaptive_rank3_upsample", (3, 3, 4), (5, 6))


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    for name, fn in [("convolution", convolution), ("linear", linear),
                     ("batch_norm", batch_norm), ("pooling", pooling)]:
        fn(Writer(os.path.join(out_dir, name + ".txt")))


if __name__ == "__main__":
    main()
