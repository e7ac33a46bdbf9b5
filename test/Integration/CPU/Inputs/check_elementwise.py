#!/usr/bin/env python3
"""Runs every function of elementwise.mlir on fresh random inputs, through
attn-run or from a library that attnc compiled, and compares each result
with numpy (float64 for float results, exact for booleans and integers).

  check_elementwise.py ATTN_RUN elementwise.mlir [attn-run flags...]
  check_elementwise.py --library LIB.so     (LIB.h beside it)
"""
import os
import subprocess
import sys
import tempfile

import numpy as np


def run_library(kernel, function, inputs):
    """Calls `function` of an attnc library; booleans travel as bytes."""
    outs = kernel.call(function, *[x.astype(np.uint8) if x.dtype == np.bool_ else x
                                   for x in inputs])
    return list(outs) if isinstance(outs, tuple) else [outs]


def run(attn_run, path, function, inputs, num_results, flags):
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [attn_run, path, f"--function={function}", *flags]
        for i, x in enumerate(inputs):
            np.save(os.path.join(tmp, f"in{i}.npy"), x)
            cmd.append(f"--input=@{tmp}/in{i}.npy")
        outs = [os.path.join(tmp, f"out{i}.npy") for i in range(num_results)]
        cmd += [f"--output=@{o}" for o in outs]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"check_elementwise: attn-run failed on @{function}:\n{proc.stderr}")
        return [np.load(o) for o in outs]


def cases(rng):
    """(function, inputs, expected results) per function of the file."""
    q = np.repeat(np.arange(8, dtype=np.int64)[:, None], 64, axis=1)
    k = np.repeat(np.arange(64, dtype=np.int64)[None, :], 8, axis=0)
    yield "causal_mask", [q, k], [k <= q + 56]
    scores = rng.standard_normal((8, 64)).astype(np.float32)
    yield "causal_select", [scores], [np.where(k <= q + 56, scores, -np.inf)]
    x = rng.standard_normal((4, 64)).astype(np.float32)
    w = rng.standard_normal(64).astype(np.float32)
    x64 = x.astype(np.float64)
    rms = x64 / np.sqrt((x64 ** 2).mean(axis=1, keepdims=True) + 1e-6) * w
    yield "rms_norm", [x, w], [rms]
    x = (rng.standard_normal((4, 64)) + np.sign(rng.standard_normal((4, 64)))).astype(np.float32)
    n = rng.integers(-4, 5, (4, 64)).astype(np.int32)
    yield "powers", [x, n], [x.astype(np.float64) ** n, x.astype(np.float64) ** -3.0]
    a = rng.standard_normal((4, 64)).astype(np.float32)
    a[0, :8] = 0.0
    b = rng.standard_normal((4, 64)).astype(np.float32)
    b[0, :4] = 0.0
    with np.errstate(all="ignore"):
        nan = np.isnan(np.log(a.astype(np.float64)))
        fin = np.isfinite(b.astype(np.float64) / a)
    yield "class_tests", [a, b], [nan, nan | fin]
    i = rng.integers(-2**31, 2**31, (4, 64), dtype=np.int64).astype(np.int32)
    j = rng.integers(-2**31, 2**31, (4, 64), dtype=np.int64).astype(np.int32)
    j[0, 0] = 0
    u = j.astype(np.uint32)
    ctlz = np.array([32 - int(v).bit_length() for v in u.ravel()]).reshape(u.shape)
    cttz = np.array([32 if v == 0 else (int(v) & -int(v)).bit_length() - 1
                     for v in u.ravel()]).reshape(u.shape)
    # absi wraps INT_MIN to itself, as two's complement does.
    bits = (np.abs(i.astype(np.int64)).astype(np.uint32).astype(np.int64) + ctlz + cttz)
    bits = bits.astype(np.int64).astype(np.uint32).astype(np.int32)
    hi = ((i.astype(np.int64) * j.astype(np.int64)) >> 32).astype(np.int32)
    yield "integer_ops", [i, j], [bits, hi]
    p, r = rng.random(256) < 0.5, rng.random(256) < 0.5
    yield "bool_xor", [p, r], [p ^ r]


def main():
    kernel = None
    if sys.argv[1] == "--library":
        library = sys.argv[2]
        root = os.path.dirname(os.path.abspath(__file__))
        sys.path.insert(0, os.path.join(root, "..", "..", "..", "..", "python"))
        from attnc import Kernel
        with open(os.path.splitext(library)[0] + ".h") as f:
            kernel = Kernel(None, library, f.read())
    else:
        attn_run, path, flags = sys.argv[1], sys.argv[2], sys.argv[3:]
    rng = np.random.default_rng()
    ok = True
    for function, inputs, expected in cases(rng):
        if kernel:
            outs = run_library(kernel, function, inputs)
        else:
            outs = run(attn_run, path, function, inputs, len(expected), flags)
        for index, (out, ref) in enumerate(zip(outs, expected)):
            if ref.dtype == np.bool_:
                out = out.view(np.bool_) if out.dtype == np.uint8 else out
            if ref.dtype.kind in "biu":
                good = out.dtype == ref.dtype and np.array_equal(out, ref)
                err = int(np.count_nonzero(out != ref))
                detail = f"mismatches={err}"
            else:
                out64 = out.astype(np.float64)
                same_inf = np.array_equal(np.isinf(out64), np.isinf(ref)) and \
                    np.array_equal(out64[np.isinf(ref)], ref[np.isinf(ref)])
                finite = np.isfinite(ref)
                rel = float(np.abs(out64[finite] - ref[finite]).max() /
                            np.abs(ref[finite]).max())
                good = same_inf and rel < 1e-5
                detail = f"max_rel_err={rel:.3e}"
            ok &= good
            print(f"check: {'PASS' if good else 'FAIL'} @{function} result #{index} {detail}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
