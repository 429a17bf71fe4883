#!/usr/bin/python3
"""Writes the bad inputs of docs/bad-inputs.md into a directory.

  make_bad_inputs.py OUT            model, config and data files (numpy, onnx)
  make_bad_inputs.py --packages OUT PROTO_ROOT
                                    .mlpackage variants of OUT/tiny.mlpackage
                                    (made by qatc first), edited through the
                                    Core ML protos compiled with protoc

Every file is small: the resource bombs declare huge sizes, deep nesting or
many nodes in a few bytes (the largest, 20 MB, holds 10^7 empty nodes)."""
import io
import os
import shutil
import subprocess
import sys
import zipfile

import numpy as np


def write(path, data):
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)


def npy_header(descr, shape):
    """A .npy v1 header for an array of the given dtype and shape (no data)."""
    text = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
    text += " " * (63 - (10 + len(text)) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text.encode()


def tiny_model(out):
    rng = np.random.default_rng(0)
    w = rng.standard_normal((3, 4)).astype("<f4")
    b = rng.standard_normal(3).astype("<f4")
    write(os.path.join(out, "tiny.qir"), f"""// A linear classifier of 4 features into 3 classes.
graph @tiny {{
  param @w : f32[3, 4] = dense<0x{w.tobytes().hex().upper()}>
  param @b : f32[3] = dense<0x{b.tobytes().hex().upper()}>
  %x = placeholder : f32[?, 4]
  %w = get_attr @w : f32[3, 4]
  %b = get_attr @b : f32[3]
  %fc = linear(%x, %w, %b) : f32[?, 3]
  output(%fc)
}}
""")
    np.savez(os.path.join(out, "data.npz"), x=rng.standard_normal((16, 4)).astype(np.float32),
        y=rng.integers(0, 3, 16))
    np.save(os.path.join(out, "x.npy"), np.zeros((2, 4), np.float32))


def qir_files(out):
    def qir(name, body):
        write(os.path.join(out, name), "graph @g {\n" + body + "}\n")
    qir("syntax.qir", "  %x placeholder : f32[2]\n  output(%x)\n")
    qir("unknown_op.qir", "  %x = placeholder : f32[2]\n  %y = frobnicate(%x) : f32[2]\n"
        "  output(%y)\n")
    qir("use_before_def.qir", "  %x = placeholder : f32[2]\n  %a = add(%x, %b) : f32[2]\n"
        "  %b = relu(%a) : f32[2]\n  output(%b)\n")
    qir("mismatch.qir", "  %x = placeholder : f32[2]\n  %z = placeholder : f32[3]\n"
        "  %y = add(%x, %z) : f32[2]\n  output(%y)\n")
    qir("deep_tuple.qir", "  %x = placeholder : " + "(" * 200000 + "f32[1]" + ")" * 200000 +
        "\n  output(%x)\n")
    qir("huge_dense.qir", "  param @w : f32[1000000, 1000000] = dense<0x00>\n"
        "  %w = get_attr @w : f32[1000000, 1000000]\n  output(%w)\n")
    qir("overflow.qir", "  param @w : f32[10000000000, 10000000000] = dense<0x00>\n"
        "  %w = get_attr @w : f32[10000000000, 10000000000]\n  output(%w)\n")
    # 4,000,001 definitions in 12 MB: one more than a graph file may hold.
    write(os.path.join(out, "many.qir"), "graph @g {\n" + "%v\n" * 4000001 + "}\n")


def qirb_files(out):
    magic = b"QIRB\x00\x00\x00\x01"
    write(os.path.join(out, "garbage.qirb"), b"QIRC\x00\x00\x00\x01 not a graph")
    # name "g"; parameter "w" of type f32[10^6, 10^6] with neither data nor
    # the elided flag.
    dims = bytes.fromhex("c0843d") * 2
    tensor_type = b"\x08\x01\x18\x01\x22" + bytes([len(dims)]) + dims
    param = b"\x0a\x01w\x12" + bytes([len(tensor_type)]) + tensor_type
    write(os.path.join(out, "huge_param.qirb"),
          magic + b"\x0a\x01g\x12" + bytes([len(param)]) + param)
    # 10^7 empty node fields (20 MB).
    write(os.path.join(out, "many.qirb"), magic + b"\x1a\x00" * 10**7)


def onnx_files(out):
    import onnx
    from onnx import TensorProto, helper

    def model(nodes, inits=(), opset=13):
        graph = helper.make_graph(
            nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
            initializer=list(inits))
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])

    def save(name, m):
        write(os.path.join(out, name), m.SerializeToString())

    write(os.path.join(out, "garbage.onnx"), b"this is not a protobuf \xff\xff\xff")
    write(os.path.join(out, "empty.onnx"), b"")
    cycle = model([helper.make_node("Relu", ["b"], ["a"]), helper.make_node("Relu", ["a"], ["b"]),
                   helper.make_node("Add", ["x", "a"], ["y"])])
    save("cycle.onnx", cycle)
    data = cycle.SerializeToString()
    write(os.path.join(out, "truncated.onnx"), data[:len(data) // 2])
    save("old_opset.onnx", model([helper.make_node("Relu", ["x"], ["y"])], opset=7))
    save("unsupported.onnx", model([helper.make_node("FancyOp", ["x"], ["y"])]))
    huge = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[1000000, 1000000])
    save("huge_init.onnx", model([helper.make_node("Add", ["x", "w"], ["y"])], [huge]))
    external = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[1000000, 1000000],
                           data_location=TensorProto.EXTERNAL)
    entry = external.external_data.add()
    entry.key, entry.value = "location", "weights.bin"
    write(os.path.join(out, "weights.bin"), b"\0" * 16)
    save("huge_external.onnx", model([helper.make_node("Add", ["x", "w"], ["y"])], [external]))
    # 4,000,001 empty node records (8 MB): one more than a graph may hold.
    body = b"\x0a\x00" * 4000001
    length, varint = len(body), b""
    while length >= 0x80:
        varint += bytes([length & 0x7F | 0x80])
        length >>= 7
    write(os.path.join(out, "many_nodes.onnx"), b"\x3a" + varint + bytes([length]) + body)
    # If nodes nested 300 deep (900 protobuf levels), each then-branch holding the next.
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    leaf = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "leaf", [], [y])
    branch = leaf
    for i in range(300):
        branch = helper.make_graph(
            [helper.make_node("If", ["c"], ["y"], then_branch=branch, else_branch=leaf)],
            f"g{i}", [], [y])
    top = helper.make_graph(list(branch.node), "top",
                            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4]),
                             helper.make_tensor_value_info("c", TensorProto.BOOL, [])], [y])
    save("deep_if.onnx", helper.make_model(top, opset_imports=[helper.make_opsetid("", 13)]))


def torchscript_files(out):
    write(os.path.join(out, "notzip.pt"), b"hello")
    with zipfile.ZipFile(os.path.join(out, "nocode.pt"), "w") as z:
        z.writestr("archive/data.pkl", b"x")


def config_files(out):
    configs = {
        "bad_value.json": '{"global_config": {"weight_dtype": "qint3"}}',
        "unknown_key.json": '{"global_config": {"wieght_dtype": "qint8"}}',
        "wrong_type.json": '{"global_config": {"weight_per_channel": 1}}',
        "truncated.json": '{"global_config": ',
        "duplicate.json": '{"global_config": null, "global_config": null}',
        "milestones.yaml": "global_config:\n  milestones: [1, 2]\n",
        "syntax.yaml": "global_config: [unclosed\n",
        "config.toml": "x",
        "deep.json": "[" * 100000 + "]" * 100000,
        "deep.yaml": "a: " + "[" * 100000 + "]" * 100000 + "\n",
        "deep_block.yaml": "".join("  " * i + "k%d:\n" % i for i in range(1000)),
        "deep_compact.yaml": "- " * 100000 + "x\n",
    }
    for name, text in configs.items():
        write(os.path.join(out, name), text)


def data_files(out):
    x = np.zeros((4, 4), np.float32)
    np.savez(os.path.join(out, "no_y.npz"), x=x)
    np.savez(os.path.join(out, "strings.npz"), x=np.array(["a", "b"]), y=np.zeros(2, np.int64))
    np.savez(os.path.join(out, "bad_label.npz"), x=x, y=np.array([0, 1, 3, 2]))
    np.savez(os.path.join(out, "short_y.npz"), x=x, y=np.zeros(3, np.int64))
    np.savez(os.path.join(out, "no_samples.npz"), x=np.zeros((0, 4), np.float32),
        y=np.zeros(0, np.int64))
    good = io.BytesIO()
    np.savez(good, x=x, y=np.zeros(4, np.int64))
    write(os.path.join(out, "truncated.npz"), good.getvalue()[:200])
    huge = npy_header("<f4", "(1000000, 1000000)")
    write(os.path.join(out, "huge.npy"), huge)
    with zipfile.ZipFile(os.path.join(out, "huge.npz"), "w") as z:
        z.writestr("x.npy", huge)
        z.writestr("y.npy", npy_header("<i8", "(1000000,)"))
    np.save(os.path.join(out, "complex.npy"), np.zeros((2, 4), np.complex64))
    write(os.path.join(out, "text.npy"), "not an array\n")


def package_files(out, proto_root):
    """Variants of tiny.mlpackage whose model.mlmodel is edited."""
    generated = os.path.join(out, "coreml_pb")
    os.makedirs(generated, exist_ok=True)
    protos = [os.path.join(proto_root, "proto/coreml", p)
              for p in ("FeatureTypes.proto", "MIL.proto", "Model.proto")]
    subprocess.run(["protoc", "-I", proto_root, "--python_out", generated] + protos, check=True)
    sys.path.insert(0, generated)
    from proto.coreml import Model_pb2  # noqa: E402 (generated above)

    def weight_values(model):
        for function in model.mlProgram.functions.values():
            for block in function.block_specializations.values():
                for op in block.operations:
                    for value in op.attributes.values():
                        if value.HasField("blobFileValue"):
                            yield value

    def variant(name, edit):
        path = os.path.join(out, name)
        shutil.rmtree(path, ignore_errors=True)
        shutil.copytree(os.path.join(out, "tiny.mlpackage"), path)
        spec = os.path.join(path, "Data/com.apple.CoreML/model.mlmodel")
        model = Model_pb2.Model()
        with open(spec, "rb") as f:
            model.ParseFromString(f.read())
        edit(next(weight_values(model)))
        write(spec, model.SerializeToString())

    def huge(value):
        for dim in value.type.tensorType.dimensions:
            dim.constant.size = 1000000

    def far(value):
        value.blobFileValue.offset = 1 << 40

    variant("huge_weight.mlpackage", huge)
    variant("far_weight.mlpackage", far)
    for name, damage in [("no_manifest", "Manifest.json"),
                         ("bad_model", "Data/com.apple.CoreML/model.mlmodel"),
                         ("short_weights", "Data/com.apple.CoreML/weights/weight.bin")]:
        path = os.path.join(out, name + ".mlpackage")
        shutil.rmtree(path, ignore_errors=True)
        shutil.copytree(os.path.join(out, "tiny.mlpackage"), path)
        target = os.path.join(path, damage)
        if name == "no_manifest":
            os.remove(target)
        elif name == "bad_model":
            write(target, b"garbage\xff\xff")
        else:
            os.truncate(target, 70)
    write(os.path.join(out, "file.mlpackage"), "a file, not a directory\n")


def main():
    if sys.argv[1] == "--packages":
        package_files(sys.argv[2], sys.argv[3])
        return
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for make in (tiny_model, qir_files, qirb_files, onnx_files, torchscript_files, config_files,
                 data_files):
        make(out)
    write(os.path.join(out, "not_a_library.so"), "plain text\n")


if __name__ == "__main__":
    main()
