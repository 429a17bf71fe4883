#!/usr/bin/env python3
"""Writes the seed corpus of the ONNX importer's fuzzer (fuzz_seeds/*.onnx).

Each seed is a tiny model that reaches a different part of the importer:
layers with weights, the activations, shape sub-graphs torch.onnx writes,
constant folding, and the tensor storage forms. Run from this directory
with Debian's python3-onnx after changing a seed; commit the outputs.
"""
import os

import numpy as np
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fuzz_seeds")


def tensor(name, values, dtype=np.float32):
    return numpy_helper.from_array(np.array(values, dtype=dtype), name)


def ints(name, values):
    return tensor(name, values, np.int64)


def const(name, values, dtype=np.int64):
    return helper.make_node("Constant", [], [name], name="/" + name + "/Constant",
                            value=tensor(name, values, dtype))


def save(name, nodes, inputs, outputs, inits=(), opset=13):
    graph = helper.make_graph(nodes, name, inputs, [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs], list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="qatc-fuzz-seed")
    model.ir_version = 7
    with open(os.path.join(OUT, name + ".onnx"), "wb") as f:
        f.write(model.SerializeToString())


def x(shape, name="x"):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def main():
    os.makedirs(OUT, exist_ok=True)
    w = lambda *s: np.arange(np.prod(s), dtype=np.float32).reshape(s) / 10
    save("layers", [
        helper.make_node("Conv", ["x", "conv.weight", "onnx::Conv_1"], ["c"], name="/conv/Conv",
                         pads=[1, 1, 1, 1], strides=[1, 1], group=1),
        helper.make_node("BatchNormalization", ["c", "bn.weight", "bn.bias", "bn.running_mean",
                                                "bn.running_var"], ["b"], name="/bn/BatchNormalization",
                         epsilon=1e-5, momentum=0.9),
        helper.make_node("Relu", ["b"], ["r"], name="/relu/Relu"),
        helper.make_node("MaxPool", ["r"], ["p"], name="/pool/MaxPool", kernel_shape=[2, 2],
                         strides=[2, 2], ceil_mode=1),
        helper.make_node("AveragePool", ["p"], ["a"], name="/avg/AveragePool", kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1], count_include_pad=0),
        helper.make_node("ConvTranspose", ["a", "up.weight"], ["u"], name="/up/ConvTranspose",
                         strides=[2, 2], auto_pad="SAME_UPPER"),
        helper.make_node("GlobalAveragePool", ["u"], ["g"], name="/gap/GlobalAveragePool"),
        helper.make_node("Flatten", ["g"], ["f"], name="/Flatten", axis=1),
        helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["y"], name="/fc/Gemm", transB=1),
    ], [x([1, 2, 4, 4])], ["y"], [
        tensor("conv.weight", w(2, 2, 3, 3)), tensor("onnx::Conv_1", [0.5, -0.5]),
        tensor("bn.weight", [1, 1]), tensor("bn.bias", [0, 0]), tensor("bn.running_mean", [0, 0]),
        tensor("bn.running_var", [1, 1]), tensor("up.weight", w(2, 2, 2, 2)),
        tensor("fc.weight", w(3, 2)), tensor("fc.bias", [1, 2, 3])])
    save("activations", [
        const("lo", 0.0, np.float32), const("hi", 6.0, np.float32),
        helper.make_node("Clip", ["x", "lo", "hi"], ["c"], name="/act/Clip"),
        helper.make_node("HardSigmoid", ["c"], ["h"], name="/hs/HardSigmoid", alpha=1 / 6),
        helper.make_node("Mul", ["c", "h"], ["m"], name="/hs/Mul"),
        helper.make_node("Sigmoid", ["m"], ["s"], name="/silu/Sigmoid"),
        helper.make_node("Mul", ["m", "s"], ["t"], name="/silu/Mul"),
        helper.make_node("LeakyRelu", ["t"], ["l"], name="/lr/LeakyRelu", alpha=0.2),
        helper.make_node("Tanh", ["l"], ["n"], name="/tanh/Tanh"),
        helper.make_node("Pad", ["n", "pads"], ["q"], name="/Pad", mode="reflect"),
        helper.make_node("Softmax", ["q"], ["y"], name="/Softmax", axis=1),
    ], [x([1, 3, 2, 2])], ["y"], [ints("pads", [0, 0, 1, 1, 0, 0, 1, 1])])
    save("shapes", [
        helper.make_node("Shape", ["x"], ["s"], name="/stage/Shape"),
        const("one", [1]), const("zero", [0]), const("two", [2]),
        helper.make_node("Gather", ["s", "one"], ["c"], name="/stage/Gather", axis=0),
        helper.make_node("Add", ["c", "one"], ["c1"], name="/stage/Add"),
        helper.make_node("Div", ["c1", "two"], ["h"], name="/stage/Div"),
        helper.make_node("Slice", ["x", "zero", "h", "one"], ["a"], name="/stage/Slice"),
        helper.make_node("Mul", ["h", "two"], ["e"], name="/stage/Mul"),
        helper.make_node("Slice", ["x", "h", "e", "one"], ["b"], name="/stage/Slice_1"),
        helper.make_node("Concat", ["b", "a"], ["cat"], name="/stage/Concat", axis=1),
        const("shape5", [1, 2, 2, 2, 2]),
        helper.make_node("Reshape", ["cat", "shape5"], ["r"], name="/stage/Reshape"),
        helper.make_node("Transpose", ["r"], ["t"], name="/stage/Transpose", perm=[0, 2, 1, 3, 4]),
        const("shape4", [1, -1, 2, 2]),
        helper.make_node("Reshape", ["t", "shape4"], ["r2"], name="/stage/Reshape_1"),
        helper.make_node("Split", ["r2", "sizes"], ["p0", "p1"], name="/Split", axis=1),
        helper.make_node("ReduceMean", ["p0"], ["m"], name="/ReduceMean", axes=[2, 3], keepdims=0),
        const("axes", [0]),
        helper.make_node("Unsqueeze", ["m", "axes"], ["u"], name="/Unsqueeze"),
        helper.make_node("Squeeze", ["u", "axes"], ["y"], name="/Squeeze"),
    ], [x([1, 4, 2, 2])], ["y", "p1"], [ints("sizes", [1, 3])])
    save("folding", [
        const("start", 0), const("limit", 6), const("delta", 2),
        helper.make_node("Range", ["start", "limit", "delta"], ["r"], name="/Range"),
        helper.make_node("Cast", ["r"], ["f"], name="/Cast", to=TensorProto.FLOAT),
        helper.make_node("Floor", ["f"], ["fl"], name="/Floor"),
        helper.make_node("ConstantOfShape", ["dims"], ["k"], name="/ConstantOfShape",
                         value=tensor("v", [0.5])),
        helper.make_node("Sub", ["fl", "k"], ["d"], name="/Sub"),
        helper.make_node("Identity", ["d"], ["onnx::Add_9"], name="Identity_0"),
        helper.make_node("Add", ["x", "onnx::Add_9"], ["a"], name="/Add"),
        helper.make_node("Dropout", ["a"], ["y"], name="/drop/Dropout"),
    ], [x([3])], ["y"], [ints("dims", [3])])
    typed = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[2, 2], float_data=[1, 2, 3, 4])
    external = TensorProto(name="e", data_type=TensorProto.FLOAT, dims=[2],
                           data_location=TensorProto.EXTERNAL)
    for key, value in (("location", "weights.bin"), ("offset", "0"), ("length", "8")):
        external.external_data.add(key=key, value=value)
    save("storage", [
        helper.make_node("MatMul", ["x", "w"], ["m"], name="/MatMul"),
        helper.make_node("Add", ["m", "e"], ["y"], name="/Add"),
    ], [x([2, 2])], ["y"], [typed, external], opset=11)


if __name__ == "__main__":
    main()
