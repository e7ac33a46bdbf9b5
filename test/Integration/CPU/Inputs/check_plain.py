#!/usr/bin/env python3
"""Runs every function of plain-attention.mlir from two libraries attnc built
from it -- attention raised to attn ops, and the same IR compiled as written
(--raise-attention=false) -- on fresh random inputs, and compares both with
an independent float64 reference.

  check_plain.py RAISED.so UNRAISED.so   (each with its .h beside it)
"""
import math
import os
import sys

import numpy as np

root = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(root, "..", "..", "..", "..", "python"))
sys.path.insert(0, os.path.join(root, "..", "..", "..", "..", "utils"))
from attnc import Kernel  # noqa: E402
import attn_reference as ref  # noqa: E402


def load(path):
    with open(os.path.splitext(path)[0] + ".h") as f:
        return Kernel(None, path, f.read())


def references(rng):
    """(function, inputs, float64 result) per function of the file."""
    r = lambda *s: (rng.standard_normal(s) * 0.7).astype(np.float32)
    q, k, v = r(8, 16, 32), r(8, 24, 32), r(8, 24, 32)
    mha = ref.attention(q[None], k[None], v[None], 1 / 5.656854)[0]
    yield "mha", [q, k, v], mha
    q, k, v, mask = r(1, 4, 8, 16), r(1, 4, 12, 16), r(1, 4, 12, 16), r(1, 8, 12)
    yield "masked", [q, k, v, mask], ref.attention(q, k, v, 0.25, mask=mask[:, None])
    q, k, v = r(1, 8, 1, 16), r(1, 2, 12, 16), r(1, 2, 12, 16)
    yield "gqa", [q, k, v], ref.attention(q, k, v, 0.25)
    qn, qr, lat, kr, wuk, wuv = r(1, 4, 2, 16), r(1, 4, 2, 8), r(1, 20, 32), r(1, 20, 8), \
        r(4, 32, 16), r(4, 32, 16)
    t = lambda x: x.transpose(0, 2, 1, 3)
    mla = ref.mla(t(qn), t(qr), lat, kr, wuk, wuv, 0.2041241452)
    yield "mla", [qn, qr, lat, kr, wuk, wuv], t(mla)


def main():
    raised, unraised = load(sys.argv[1]), load(sys.argv[2])
    rng = np.random.default_rng()
    failures = 0
    for name, inputs, expected in references(rng):
        a = raised.call(name, *inputs).astype(np.float64)
        b = unraised.call(name, *inputs).astype(np.float64)
        scale = max(1.0, np.abs(expected).max())
        err_a = np.abs(a - expected).max() / scale
        err_b = np.abs(b - expected).max() / scale
        err_ab = np.abs(a - b).max() / scale
        ok = err_a < 1e-4 and err_b < 1e-4 and err_ab < 1e-4
        failures += not ok
        print(f"{'ok' if ok else 'FAIL'} @{name}: raised vs float64 {err_a:.1e}, "
              f"unraised vs float64 {err_b:.1e}, raised vs unraised {err_ab:.1e}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
