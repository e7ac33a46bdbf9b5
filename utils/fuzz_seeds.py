#!/usr/bin/env python3
"""Seeds the attn-fuzz corpus: every .mlir under test/ and examples/, split
at `// -----` like --split-input-file, without RUN/CHECK comment lines.

  fuzz_seeds.py ROOT CORPUS_DIR
"""
import hashlib
import os
import sys


def seeds(root):
    for top in ("test", "examples"):
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for name in sorted(files):
                if not name.endswith(".mlir"):
                    continue
                # Fuzz regressions are not UTF-8: keep their bytes as they are.
                with open(os.path.join(dirpath, name), encoding="utf-8",
                          errors="surrogateescape") as f:
                    text = f.read()
                for chunk in text.split("// -----"):
                    lines = [l for l in chunk.splitlines()
                             if not l.lstrip().startswith("//")]
                    body = "\n".join(lines).strip()
                    if body:
                        yield body + "\n"


def main():
    root, corpus = sys.argv[1], sys.argv[2]
    os.makedirs(corpus, exist_ok=True)
    count = 0
    for seed in seeds(root):
        digest = hashlib.sha1(seed.encode("utf-8", "surrogateescape")).hexdigest()
        path = os.path.join(corpus, "seed-" + digest)
        if not os.path.exists(path):
            with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
                f.write(seed)
        count += 1
    print(f"fuzz_seeds: {count} seeds in {corpus}")


if __name__ == "__main__":
    main()
