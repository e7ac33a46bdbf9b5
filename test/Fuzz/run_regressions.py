#!/usr/bin/env python3
"""Runs every input the fuzzer once crashed on through attn-opt, the way
attn-fuzz does: the variant lowerings and tiling passes, then
attn-cpu-pipeline tiled and reference. Each run must end with success or with
a diagnostic ("error:") and exit code 1: never a signal or a sanitizer report.

  run_regressions.py ATTN_OPT INPUT_DIR
"""
import glob
import os
import subprocess
import sys

PIPELINES = [
    ["--attn-lower-embedding-gate", "--attn-lower-latent-attention",
     "--attn-lower-grouped-head-attention", "--attn-flash-lowering",
     "--attn-fuse-tile-producers", "--attn-vectorize-tiles"],
    ["--attn-cpu-pipeline"],
    ["--attn-cpu-pipeline=reference=1"],
]


def main():
    attn_opt, input_dir = sys.argv[1], sys.argv[2]
    inputs = sorted(glob.glob(os.path.join(input_dir, "*.mlir")))
    if not inputs:
        sys.exit(f"no inputs in {input_dir}")
    failures = 0
    for path in inputs:
        for flags in PIPELINES:
            run = subprocess.run([attn_opt, path, "-o", os.devnull] + flags,
                                 capture_output=True, text=True, errors="replace",
                                 timeout=300)
            clean = run.returncode == 0 or (
                run.returncode == 1 and "error:" in run.stderr)
            if not clean or "Sanitizer" in run.stderr:
                failures += 1
                print(f"FAIL {os.path.basename(path)} {' '.join(flags)}: "
                      f"exit {run.returncode}\n{run.stderr[-2000:]}")
    print(f"{len(inputs)} inputs x {len(PIPELINES)} pipelines, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
