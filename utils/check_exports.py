#!/usr/bin/env python3
"""Checks model exports (utils/export_models.py) against torch: each
NAME.mlir of the directories given is compiled by attnc (a shared library)
and run by attn-run on NAME.argN.npy, and its result is compared with
torch's NAME.out.npy: within 1e-4 of torch's largest value in f32, 2e-2 in
bf16 (raw uint16 bits, as attn-run writes them).

  check_exports.py --attn-run BIN [--attnc BIN] DIR... [-- attn-run flags]
  check_exports.py --attn-run BIN --tensor-parallel N --mpirun CMD DIR...

Prints one line per export; exits 1 if any fails to compile, run or match.
With --tensor-parallel, each export also runs as N MPI ranks (CMD -np N
attn-run --tensor-parallel=N), each rank on its own slices of the inputs and
weights (check_attention.py cuts them as the partitioned signature says);
the assembled result must match torch's and the unsplit run's.
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_attention  # noqa: E402  (the ranks' slices)


def as_float(a):
    if a.dtype == np.uint16:
        return (a.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    return a.astype(np.float64)


def check_split(opts, path, name, args, tmp, unsplit, ref, rtol):
    """Runs the export as opts.tensor_parallel ranks; prints its check and
    its agreement with the unsplit run; returns whether both pass."""
    ranks = opts.tensor_parallel
    attn_opt = os.path.join(os.path.dirname(opts.attn_run), "attn-opt")
    local_types, _ = check_attention.partitioned_signature(attn_opt, path, "main", ranks)
    inputs, _ = check_attention.write_rank_slices([np.load(a) for a in args], local_types,
                                                  ranks, tmp, name)
    out = os.path.join(tmp, name + ".split.npy")
    cmd = check_attention.tensor_parallel_command(opts.mpirun, opts.attn_run, path, "main",
                                                  ranks, inputs)
    proc = subprocess.run(cmd + [f"--output=@{out}"], capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"check: FAIL {name} on {ranks} ranks: attn-run failed\n{proc.stderr}")
        return False
    got = as_float(np.load(out))
    err = float(np.abs(got - ref).max() / np.abs(ref).max())
    ok = got.shape == ref.shape and np.isfinite(got).all() and err < rtol
    print(f"check: {'PASS' if ok else 'FAIL'} {name} on {ranks} ranks "
          f"max_rel_err={err:.3e} (< {rtol:g})")
    diff = float(np.abs(got - as_float(unsplit)).max() / np.abs(ref).max())
    agree = diff < rtol
    print(f"agree: {'PASS' if agree else 'FAIL'} {name} unsplit vs {ranks} ranks "
          f"max_rel_diff={diff:.3e} (< {rtol:g})")
    return ok and agree


def main():
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attn-run", required=True)
    parser.add_argument("--attnc")
    parser.add_argument("--tensor-parallel", type=int, default=1, metavar="N")
    parser.add_argument("--mpirun", default="mpiexec", help="MPI launcher, without -np")
    parser.add_argument("dirs", nargs="+")
    opts = parser.parse_args(argv)
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for path in sorted(p for d in opts.dirs
                           for p in ([d] if d.endswith(".mlir")
                                     else glob.glob(os.path.join(d, "*.mlir")))):
            name = os.path.splitext(os.path.basename(path))[0]
            base = os.path.splitext(path)[0]
            args = sorted(glob.glob(base + ".arg*.npy"),
                          key=lambda p: int(p.rsplit(".arg", 1)[1].split(".")[0]))
            if opts.attnc:
                lib = os.path.join(tmp, name + ".so")
                proc = subprocess.run([opts.attnc, path, "-o", lib], capture_output=True,
                                      text=True)
                if proc.returncode != 0:
                    print(f"check: FAIL {name}: attnc failed\n{proc.stderr}")
                    failures += 1
                    continue
            out = os.path.join(tmp, name + ".out.npy")
            proc = subprocess.run([opts.attn_run, path, *[f"--input=@{a}" for a in args],
                                   f"--output=@{out}", *extra], capture_output=True, text=True)
            if proc.returncode != 0:
                print(f"check: FAIL {name}: attn-run failed\n{proc.stderr}")
                failures += 1
                continue
            expected = np.load(base + ".out.npy")
            got = np.load(out)
            rtol = 2e-2 if expected.dtype == np.uint16 else 1e-4
            ref = as_float(expected)
            err = float(np.abs(as_float(got) - ref).max() / np.abs(ref).max())
            ok = got.shape == expected.shape and np.isfinite(as_float(got)).all() and err < rtol
            failures += not ok
            print(f"check: {'PASS' if ok else 'FAIL'} {name} max_rel_err={err:.3e} (< {rtol:g})")
            if opts.tensor_parallel > 1:
                failures += not check_split(opts, path, name, args, tmp, got, ref, rtol)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
