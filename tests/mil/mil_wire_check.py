"""Schema-free check of a Core ML ML Program package from field numbers only (no generated code),
so it is independent of qatc's own .proto files. Usage: mil_wire_check.py PKG
Prints an op histogram and exits 1 with the first problem found. (A copy of the project's shared
checker, kept in the repository so tests never read outside it; docs/coreml.md cites the facts.)"""
import json, os, struct, sys
from collections import Counter

def varint(b, i):
    r = s = 0
    while True:
        c = b[i]; i += 1; r |= (c & 0x7F) << s; s += 7
        if c < 0x80: return r, i

def fields(b):
    """Yields (field number, wire type, value) for one message; value is int or bytes."""
    i, n = 0, len(b)
    while i < n:
        key, i = varint(b, i); f, wt = key >> 3, key & 7
        if wt == 0: v, i = varint(b, i)
        elif wt == 1: v = b[i:i+8]; i += 8
        elif wt == 2:
            ln, i = varint(b, i); v = b[i:i+ln]; i += ln
            if i > n: raise ValueError("length runs past the end")
        elif wt == 5: v = b[i:i+4]; i += 4
        else: raise ValueError(f"bad wire type {wt}")
        yield f, wt, v

def get(b, f):
    return [v for ff, _, v in fields(b) if ff == f]

def map_entries(b, f):
    out = {}
    for e in get(b, f):
        k = get(e, 1); v = get(e, 2)
        out[k[0].decode() if k else ""] = v[0] if v else b""
    return out

PAIRS = {7: "CoreML6", 8: "CoreML7", 9: "CoreML8", 6: "CoreML5"}
problems = []

def check_blob(wb, off):
    if off % 64 or off + 64 > len(wb): return f"blob offset {off} misaligned or out of range"
    sentinel, dtype, size, data_off = struct.unpack_from("<IIQQ", wb, off)
    if sentinel != 0xDEADBEEF: return f"bad sentinel at {off}"
    if dtype not in range(1, 18): return f"bad blob dtype {dtype} at {off}"
    if data_off != off + 64 or data_off + size > len(wb): return f"blob data at {data_off} size {size} out of range"

def walk_values(b, depth, out):
    """Finds blobFileValue (Value field 5) anywhere below a message, generically."""
    if depth > 12: return
    try:
        for f, wt, v in fields(b):
            if wt == 2 and len(v) > 1:
                out.append((f, v)); walk_values(v, depth + 1, out)
    except Exception:
        pass

def main(pkg):
    man = json.load(open(os.path.join(pkg, "Manifest.json")))
    for k in ("fileFormatVersion", "itemInfoEntries", "rootModelIdentifier"):
        if k not in man: return f"Manifest.json lacks {k}"
    for it in man["itemInfoEntries"].values():
        if not os.path.exists(os.path.join(pkg, "Data", it["path"])): return f"manifest path {it['path']} missing"
    base = os.path.join(pkg, "Data", "com.apple.CoreML")
    m = open(os.path.join(base, "model.mlmodel"), "rb").read()
    sv = get(m, 1); prog = get(m, 502)
    if not sv or not prog: return "Model lacks specificationVersion (1) or mlProgram (502)"
    sv = sv[0]; prog = prog[0]
    if get(prog, 1) != [1]: return "Program.version is not 1"
    fns = map_entries(prog, 2)
    if "main" not in fns: return "no function main"
    fn = fns["main"]; opset = get(fn, 2)[0].decode()
    if PAIRS.get(sv) != opset: return f"specificationVersion {sv} does not pair with opset {opset}"
    blocks = map_entries(fn, 3)
    if list(blocks) != [opset]: return "block_specializations key differs from opset"
    blk = blocks[opset]
    ops = get(blk, 3); hist = Counter()
    for op in ops:
        t = get(op, 1)[0].decode(); hist[t] += 1
        if "name" not in map_entries(op, 5): return f"op {t} has no name attribute"
    if not get(blk, 2): return "main block has no outputs"
    wpath = os.path.join(base, "weights", "weight.bin")
    wb = open(wpath, "rb").read() if os.path.exists(wpath) else b""
    if wb:
        count, ver = struct.unpack_from("<II", wb, 0)
        if ver != 2: return f"weight.bin version {ver} != 2"
    nblob = 0
    found = []; walk_values(prog, 0, found)
    for f, v in found:
        try:
            fl = dict((ff, vv) for ff, _, vv in fields(v))
        except Exception:
            continue
        if f == 5 and isinstance(fl.get(1), bytes) and fl.get(1, b"").startswith(b"@model_path/") and isinstance(fl.get(2), int):
            nblob += 1
            e = check_blob(wb, fl[2])
            if e: return e
    print(f"spec {sv} opset {opset}, {len(ops)} ops, {nblob} blob refs: " + ", ".join(f"{k} {v}" for k, v in hist.most_common()))

if __name__ == "__main__":
    try:
        err = main(sys.argv[1])
    except Exception as e:
        err = f"unreadable package: {e}"
    if err:
        print("MIL check failed:", err); sys.exit(1)
