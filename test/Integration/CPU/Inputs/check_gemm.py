#!/usr/bin/env python3
"""Runs every function of gemm.mlir through attn-run on fresh random inputs
and compares each result with numpy in float64 (within 1e-5 of its largest
value).

  check_gemm.py ATTN_RUN gemm.mlir [attn-run flags...]
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_elementwise import run  # noqa: E402  attn-run on .npy files


def cases(rng):
    r = lambda *s: rng.standard_normal(s).astype(np.float32)
    f64 = lambda a: a.astype(np.float64)
    x, w = r(24, 1024), r(1024, 1024)
    yield "linear", [x, w], f64(x) @ f64(w).T
    x, w = r(30, 160), r(160, 2048)
    yield "odd_reduction", [x, w], f64(x) @ f64(w)
    lat, w = r(1, 40, 256), r(8, 256, 128)
    yield "per_head", [lat, w], np.einsum("btc,hcn->bhtn", f64(lat), f64(w))
    cache, new = r(1, 4, 33, 64), r(1, 4, 1, 64)
    yield "append", [cache, new], 2 * np.concatenate([f64(cache), f64(new)], axis=2)


def main():
    attn_run, path, flags = sys.argv[1], sys.argv[2], sys.argv[3:]
    rng = np.random.default_rng(20261205)
    failed = False
    for function, inputs, expected in cases(rng):
        got = run(attn_run, path, function, inputs, 1, flags)[0]
        err = float(np.abs(got - expected).max() / np.abs(expected).max())
        ok = got.shape == expected.shape and err <= 1e-5
        failed |= not ok
        print(f"check: {'PASS' if ok else 'FAIL'} @{function} max_rel_err={err:.2e}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
