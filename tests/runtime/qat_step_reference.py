#!/usr/bin/python3
"""PyTorch reference for two QAT training steps of the digits CNN.

Usage: qat_step_reference.py EXPORT_MODELS_PY OUT_DIR

Builds DigitsNet (tools/fixtures/export_models.py) with seeded weights and
perturbed batch-norm parameters and statistics, exports it to
OUT_DIR/digits.bn.onnx (batch norm preserved, dynamic batch), and prepares a
copy with torch.ao.quantization's prepare_qat_fx under a QConfigMapping and
BackendConfig that reproduce coremltools' default LinearQuantizerConfig
(spec coreml-qat.md §2.1-2.8):

* activations: FakeQuantize + MovingAverageMinMaxObserver (averaging constant
  0.01), quint8 [0, 255], per-tensor symmetric (zero point 128);
* weights: FakeQuantize + MovingAveragePerChannelMinMaxObserver, qint8
  [-128, 127], per-channel symmetric on axis 0;
* conv -> bn -> relu fused into nniqat.ConvBnReLU2d (_forward_approximate:
  the weight fake quant sees w * gamma / sqrt(running_var + eps));
* max pool and nn.Flatten share their input's fake quant instance (torch's
  native config shares only torch.flatten; coremltools shares nn.Flatten);
* coremltools' symmetric -> affine switch (§2.7 step 3): the fake quant after
  each ConvBnReLU2d becomes per_tensor_affine, every name of the shared
  instance repointed.

Then, in train mode, two SGD steps (lr 0.1, momentum 0.9, cross entropy) on
two batches of scikit-learn digits, and writes OUT_DIR/qat_step.npz:

  x1, y1, x2, y2                 the batches (f32 [N,1,8,8], i64 [N])
  stepK.loss                     f64 [1], the float32 loss of step K
  stepK.logits                   the model output of step K
  stepK.grad.<qatc param>        the gradient of every trainable parameter
  stepK.after.<qatc param>       every parameter and buffer after the step:
                                 weights, biases, batch-norm running stats,
                                 observer scale, zero_point, min_val, max_val

Names are the qatc parameter names of the prepared graph (docs/prepare.md):
torch's conv1.bn.* is bn1.*, conv1.weight_fake_quant is the
conv1.weight_scaled.fq site, activation_post_process_0/1/2/5 are the x.fq,
relu1.fq, relu2.fq and fc.fq sites.
"""

import os
import sys
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_digits
from torch.ao.quantization import (FakeQuantize, MovingAverageMinMaxObserver,
                                   MovingAveragePerChannelMinMaxObserver, QConfig,
                                   QConfigMapping)
from torch.ao.quantization.backend_config import (BackendPatternConfig, DTypeConfig,
                                                  ObservationType, get_native_backend_config)
from torch.ao.quantization.quantize_fx import prepare_qat_fx
import torch.nn.intrinsic.qat as nniqat

BATCH = 32
LR = 0.1
MOMENTUM = 0.9

# torch module path -> qatc name prefix.
PARAM_NAMES = {
    "conv1.weight": "conv1.weight",
    "conv1.bias": "conv1.bias",
    "conv1.bn.weight": "bn1.weight",
    "conv1.bn.bias": "bn1.bias",
    "conv1.bn.running_mean": "bn1.running_mean",
    "conv1.bn.running_var": "bn1.running_var",
    "conv2.weight": "conv2.weight",
    "conv2.bias": "conv2.bias",
    "conv2.bn.weight": "bn2.weight",
    "conv2.bn.bias": "bn2.bias",
    "conv2.bn.running_mean": "bn2.running_mean",
    "conv2.bn.running_var": "bn2.running_var",
    "fc.weight": "fc.weight",
    "fc.bias": "fc.bias",
}
FAKE_QUANT_SITES = {
    "activation_post_process_0": "x.fq",
    "conv1.weight_fake_quant": "conv1.weight_scaled.fq",
    "activation_post_process_1": "relu1.fq",
    "conv2.weight_fake_quant": "conv2.weight_scaled.fq",
    "activation_post_process_2": "relu2.fq",
    "fc.weight_fake_quant": "fc.weight.fq",
    "activation_post_process_5": "fc.fq",
}


def activation_fake_quant(qscheme):
    return FakeQuantize.with_args(observer=MovingAverageMinMaxObserver,
                                  averaging_constant=0.01, dtype=torch.quint8,
                                  qscheme=qscheme)


def weight_fake_quant():
    return FakeQuantize.with_args(observer=MovingAveragePerChannelMinMaxObserver,
                                  averaging_constant=0.01, dtype=torch.qint8,
                                  qscheme=torch.per_channel_symmetric, ch_axis=0)


def coremltools_backend_config():
    """torch's native patterns plus coremltools' shared-observer nn.Flatten."""
    config = get_native_backend_config()
    config.set_backend_pattern_config(
        BackendPatternConfig(nn.Flatten)
        .set_observation_type(ObservationType.OUTPUT_SHARE_OBSERVER_WITH_INPUT)
        .set_dtype_configs([DTypeConfig(input_dtype=torch.quint8, output_dtype=torch.quint8)]))
    return config


def switch_relu_outputs_to_affine(prepared):
    """coremltools' always-affine pass: the fake quant right after a
    ConvBnReLU2d becomes per_tensor_affine; every module name that shares the
    instance (pool, flatten) is repointed to the replacement."""
    modules = dict(prepared.named_modules(remove_duplicate=False))
    for node in prepared.graph.nodes:
        if node.op != "call_module" or not isinstance(modules[node.target], FakeQuantize):
            continue
        producer = node.args[0]
        if producer.op != "call_module" or type(modules[producer.target]) is not nniqat.ConvBnReLU2d:
            continue
        old = modules[node.target]
        new = activation_fake_quant(torch.per_tensor_affine)()
        for name, module in modules.items():
            if module is old:
                setattr(prepared, name, new)
    prepared.recompile()


def build_model():
    sys.path.insert(0, os.path.dirname(os.path.abspath(sys.argv[1])))
    from export_models import DigitsNet, perturb_constant_init
    torch.manual_seed(0)
    model = DigitsNet()
    perturb_constant_init(model, seed=3)
    return model.eval()


def export_onnx(model, path):
    example = torch.zeros(2, 1, 8, 8)
    # The exporter warns about constant folding for any PRESERVE export; it
    # only matters for models in training mode, this one is in eval mode.
    warnings.filterwarnings("ignore", message=".*constant folding be turned off")
    torch.onnx.export(model, (example,), path, opset_version=13,
                      training=torch.onnx.TrainingMode.PRESERVE,
                      input_names=["x"], output_names=["output"],
                      dynamic_axes={"x": {0: "batch"}, "output": {0: "batch"}})


def batches():
    digits = load_digits()
    x = (digits.images.astype(np.float32) / 16.0).reshape(-1, 1, 8, 8)
    y = digits.target.astype(np.int64)
    order = np.random.RandomState(4).permutation(len(y))
    first, second = order[:BATCH], order[BATCH:2 * BATCH]
    return (x[first], y[first]), (x[second], y[second])


def prepare(model):
    qconfig = QConfig(activation=activation_fake_quant(torch.per_tensor_symmetric),
                      weight=weight_fake_quant())
    prepared = prepare_qat_fx(model.train(), QConfigMapping().set_global(qconfig),
                              (torch.zeros(2, 1, 8, 8),),
                              backend_config=coremltools_backend_config())
    switch_relu_outputs_to_affine(prepared)
    return prepared.train()


def check_structure(prepared):
    """The prepared model has the sharing and schemes the qatc graph has."""
    modules = dict(prepared.named_modules(remove_duplicate=False))
    relu2 = modules["activation_post_process_2"]
    assert modules["activation_post_process_3"] is relu2, "max pool must share relu2's fake quant"
    assert modules["activation_post_process_4"] is relu2, "flatten must share relu2's fake quant"
    expected = {"activation_post_process_0": torch.per_tensor_symmetric,
                "activation_post_process_1": torch.per_tensor_affine,
                "activation_post_process_2": torch.per_tensor_affine,
                "activation_post_process_5": torch.per_tensor_symmetric,
                "conv1.weight_fake_quant": torch.per_channel_symmetric,
                "conv2.weight_fake_quant": torch.per_channel_symmetric,
                "fc.weight_fake_quant": torch.per_channel_symmetric}
    for name, qscheme in expected.items():
        assert modules[name].qscheme == qscheme, (name, modules[name].qscheme)
    for name in ("conv1", "conv2"):
        assert type(modules[name]) is nniqat.ConvBnReLU2d, (name, type(modules[name]))
        assert not modules[name]._enable_slow_path_for_better_numerical_stability


def state_after(prepared, prefix, arrays):
    named = dict(prepared.named_parameters())
    named.update(prepared.named_buffers())
    for torch_name, qatc_name in PARAM_NAMES.items():
        arrays[prefix + qatc_name] = named[torch_name].detach().numpy().copy()
    modules = dict(prepared.named_modules(remove_duplicate=False))
    for torch_name, site in FAKE_QUANT_SITES.items():
        fq = modules[torch_name]
        arrays[prefix + site + ".scale"] = fq.scale.detach().numpy().copy()
        arrays[prefix + site + ".zero_point"] = fq.zero_point.detach().numpy().astype(np.int32)
        arrays[prefix + site + ".min_val"] = np.atleast_1d(
            fq.activation_post_process.min_val.detach().numpy()).astype(np.float32)
        arrays[prefix + site + ".max_val"] = np.atleast_1d(
            fq.activation_post_process.max_val.detach().numpy()).astype(np.float32)


def main():
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    model = build_model()
    export_onnx(model, os.path.join(out, "digits.bn.onnx"))
    prepared = prepare(model)
    check_structure(prepared)
    trainable = dict(prepared.named_parameters())
    assert set(trainable) == {k for k in PARAM_NAMES if "running" not in k}, sorted(trainable)
    optimizer = torch.optim.SGD(prepared.parameters(), lr=LR, momentum=MOMENTUM)

    arrays = {}
    for step, (x, y) in enumerate(batches(), start=1):
        arrays["x%d" % step], arrays["y%d" % step] = x, y
        optimizer.zero_grad()
        logits = prepared(torch.from_numpy(x))
        loss = F.cross_entropy(logits, torch.from_numpy(y))
        loss.backward()
        prefix = "step%d." % step
        arrays[prefix + "loss"] = np.array([loss.item()], dtype=np.float64)
        arrays[prefix + "logits"] = logits.detach().numpy().copy()
        for torch_name, param in trainable.items():
            arrays[prefix + "grad." + PARAM_NAMES[torch_name]] = param.grad.numpy().copy()
        optimizer.step()
        state_after(prepared, prefix + "after.", arrays)
    np.savez(os.path.join(out, "qat_step.npz"), **arrays)


if __name__ == "__main__":
    main()
