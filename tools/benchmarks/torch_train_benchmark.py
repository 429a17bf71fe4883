#!/usr/bin/python3
"""PyTorch's side of qatc's training benchmark (tools/benchmarks/TrainBenchmark.cpp).

  export: builds a model of tools/fixtures/export_models.py (seeded weights),
          writes it as ONNX with batch norm kept and a dynamic batch axis, and
          writes one batch of inputs and targets as .npz, so that qatc trains
          the same weights on the same batch.
  run:    times training steps of the same model on the same batch in eager
          PyTorch, float or QAT (torch.ao.quantization.prepare_qat_fx with the
          default fused-observer QAT mapping: PyTorch at its fastest), and
          prints one JSON object: median ms per step, peak and starting RSS.

Usage:
  torch_train_benchmark.py export --model digits --shape 1x8x8 --batch 64 \
      --loss ce --onnx OUT.onnx --data OUT.npz
  torch_train_benchmark.py run --model digits --shape 1x8x8 --batch 64 \
      --loss ce --mode qat --steps 30 --threads 2 --data OUT.npz
"""

import argparse
import json
import os
import resource
import statistics
import sys
import time
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import export_models  # noqa: E402

warnings.filterwarnings("ignore")


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def build(args):
    factory, _ = export_models.MODELS[args.model]
    torch.manual_seed(0)
    return factory()


def input_shape(args):
    return [args.batch] + [int(d) for d in args.shape.split("x")]


def export(args):
    model = build(args).eval()
    example = torch.randn(*input_shape(args), generator=torch.Generator().manual_seed(1))
    name = export_models.forward_input_name(model)
    torch.onnx.export(model, (example,), args.onnx, opset_version=13,
                      training=torch.onnx.TrainingMode.PRESERVE,
                      do_constant_folding=False,
                      input_names=[name], output_names=["output"],
                      dynamic_axes={name: {0: "batch"}, "output": {0: "batch"}})
    with torch.no_grad():
        out = model(example)
    if args.loss == "ce":
        y = torch.randint(0, out.shape[1], (args.batch,),
                          generator=torch.Generator().manual_seed(2))
    else:
        y = torch.randn(out.shape, generator=torch.Generator().manual_seed(2))
    np.savez(args.data, x=example.numpy(), y=y.numpy())


def run(args):
    torch.set_num_threads(args.threads)
    data = np.load(args.data)
    x = torch.from_numpy(data["x"])
    y = torch.from_numpy(data["y"])
    model = build(args).train()
    if args.mode == "qat":
        from torch.ao.quantization import get_default_qat_qconfig_mapping
        from torch.ao.quantization.quantize_fx import prepare_qat_fx
        model = prepare_qat_fx(model, get_default_qat_qconfig_mapping("fbgemm"), (x,))
    loss_fn = torch.nn.functional.cross_entropy if args.loss == "ce" else \
        torch.nn.functional.mse_loss
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    rss_start = rss_bytes()
    times = []
    for _ in range(args.steps + args.warmup):
        start = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        times.append((time.perf_counter() - start) * 1e3)
    times = times[args.warmup:]
    print(json.dumps({
        "ms_per_step": statistics.median(times),
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "start_rss_bytes": rss_start,
        "final_loss": float(loss),
    }))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["export", "run"])
    parser.add_argument("--model", required=True)
    parser.add_argument("--shape", required=True, help="input shape without batch, CxHxW")
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--loss", choices=["ce", "mse"], required=True)
    parser.add_argument("--mode", choices=["float", "qat"], default="float")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--onnx")
    parser.add_argument("--data", required=True)
    args = parser.parse_args()
    export(args) if args.action == "export" else run(args)


if __name__ == "__main__":
    main()
