#!/usr/bin/env python3
"""Checks a launch descriptor that `attnc --target=nvptx` wrote against its
PTX and the MLIR function it was compiled from:

  check_descriptor.py KERNELS.json KERNELS.ptx FILE.mlir [--function main]

Every launched kernel is an .entry of the PTX with one pointer parameter per
argument; grid and block sizes are positive, at most 1024 threads a block;
every argument names a buffer; the inputs and outputs are the function's
arguments and results, in order, with their shapes and dtypes; every output
is passed to some kernel. Prints one line and exits non-zero on a mismatch.
"""

import argparse
import json
import re
import sys

DTYPES = {"f32": "<f4", "f64": "<f8", "f16": "<f2", "bf16": "<u2",
          "i32": "<i4", "i64": "<i8", "i1": "|b1"}
TENSOR_RE = re.compile(r"tensor<((?:\d+x)*)(f32|f64|f16|bf16|i32|i64|i1)>")


def signature(text, function):
    match = re.search(r"func\.func\s+@" + re.escape(function) + r"\s*\(", text)
    depth, pos = 1, match.end()
    while depth:
        depth += {"(": 1, ")": -1}.get(text[pos], 0)
        pos += 1
    results = text[pos:text.index("{", pos)]

    def tensors(s):
        return [([int(d) for d in dims.split("x") if d], DTYPES[t])
                for dims, t in TENSOR_RE.findall(s)]
    return tensors(text[match.end():pos - 1]), tensors(results)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("descriptor")
    parser.add_argument("ptx")
    parser.add_argument("mlir")
    parser.add_argument("--function", default="main")
    opts = parser.parse_args()
    with open(opts.descriptor) as f:
        desc = json.load(f)
    with open(opts.ptx) as f:
        ptx = f.read()
    with open(opts.mlir) as f:
        args, results = signature(f.read(), opts.function)
    errors = []
    if desc.get("format") != "attnc-gpu-launch/1":
        errors.append("format")
    entries = {}
    for m in re.finditer(r"\.entry\s+(\w+)\s*\((.*?)\)", ptx, re.S):
        entries[m.group(1)] = len(re.findall(r"\.param\s+\.u64", m.group(2)))
    (function,) = [f for f in desc["functions"] if f["name"] == opts.function]
    buffers = function["buffers"]
    for kind, expected in (("input", args), ("output", results)):
        got = sorted((b for b in buffers if b["kind"] == kind), key=lambda b: b["index"])
        if [(b["shape"], b["dtype"]) for b in got] != expected:
            errors.append(f"{kind}s {[(b['shape'], b['dtype']) for b in got]} != {expected}")
    for launch in function["launches"]:
        name = launch["kernel"]
        if name not in entries:
            errors.append(f"{name} is not an .entry of the PTX")
        elif entries[name] != len(launch["args"]):
            errors.append(f"{name} takes {entries[name]} pointers, launched with "
                          f"{len(launch['args'])}")
        threads = launch["block"][0] * launch["block"][1] * launch["block"][2]
        if min(launch["grid"] + launch["block"]) < 1 or threads > 1024:
            errors.append(f"{name}: grid {launch['grid']} block {launch['block']}")
        if any(not 0 <= a < len(buffers) for a in launch["args"]):
            errors.append(f"{name}: args {launch['args']} of {len(buffers)} buffers")
    written = {a for launch in function["launches"] for a in launch["args"]}
    for i, b in enumerate(buffers):
        if b["kind"] == "output" and i not in written:
            errors.append(f"output {b['index']} is never passed to a kernel")
    if errors:
        print("descriptor: FAIL " + "; ".join(errors))
        return 1
    print(f"descriptor: OK {len(function['launches'])} launches, {len(buffers)} buffers, "
          f"{len(entries)} kernels")
    return 0


if __name__ == "__main__":
    sys.exit(main())
