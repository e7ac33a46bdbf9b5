#!/usr/bin/env python3
"""Checks attnc's tiled pipeline against its reference lowering (the oracle)
on every function of every .mlir file given (or found in a directory given),
on fresh random inputs: `attn-run FILE --differential` per file.

  differential.py --attn-run BIN PATH... [-- attn-run flags...]

Files without a function (transform libraries) are skipped and named.
Prints attn-run's lines and a summary; exits 1 if any function disagrees,
fails to compile only on the tiled path, or cannot be checked.
"""
import argparse
import glob
import os
import re
import subprocess
import sys


def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attn-run", required=True)
    parser.add_argument("paths", nargs="+")
    opts = parser.parse_args(argv)
    files = []
    for path in opts.paths:
        files += sorted(glob.glob(os.path.join(path, "*.mlir"))) if os.path.isdir(path) \
            else [path]
    checked, results, failed = 0, 0, []
    for path in files:
        with open(path) as f:
            if not re.search(r"func\.func\s+(public\s+)?@", f.read()):
                print(f"differential: no function in {path}")
                continue
        proc = subprocess.run([opts.attn_run, path, "--differential", *extra],
                              capture_output=True, text=True)
        print(f"differential: {path}")
        sys.stdout.write(proc.stdout)
        sys.stdout.write(proc.stderr)
        checked += 1
        results += proc.stdout.count("differential: PASS")
        if proc.returncode != 0:
            failed.append(path)
    if failed:
        print(f"differential: FAIL in {len(failed)} of {checked} files: {' '.join(failed)}")
        return 1
    print(f"differential: all {results} results of {checked} files agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
