#!/usr/bin/env python3
"""Seeds the attn-fuzz corpus: every .mlir under test/ and examples/, split
at `// -----` like --split-input-file, without RUN/CHECK comment lines; and
generic linalg programs for the numeric mode (--numeric): every math op on
f32, f16 and bf16, integer and boolean arith ops on i1, i8, i16, i32 and
i64, and conversions between them, each taking and returning types that
compiled functions are called with (f32, i32, i1; narrower types are made
inside the body).

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


MATH_UNARY = ("absf acos acosh asin asinh atan atanh cbrt ceil cos cosh erf erfc exp "
              "exp2 expm1 floor log log10 log1p log2 round roundeven rsqrt sin sinh "
              "sqrt tan tanh trunc").split()
MATH_BINARY = "atan2 copysign powf".split()
MATH_CLASS = "isfinite isinf isnan isnormal".split()
INT_MATH = "absi ctlz cttz ctpop".split()
INT_BINARY = "addi subi muli andi ori xori maxsi maxui minsi minui".split()
FLOAT_BINARY = "addf subf mulf divf remf maximumf maxnumf minimumf minnumf".split()


def generic(body, inputs, output, rows=4, cols=64):
    """A function around one elementwise linalg.generic over [rows, cols]."""
    tensor = lambda t: f"tensor<{rows}x{cols}x{t}>"
    args = ", ".join(f"%a{i}: {tensor(t)}" for i, t in enumerate(inputs))
    block = ", ".join(f"%x{i}: {t}" for i, t in enumerate(inputs))
    maps = ", ".join(["affine_map<(i, j) -> (i, j)>"] * (len(inputs) + 1))
    ins = ", ".join(f"%a{i}" for i in range(len(inputs)))
    types = ", ".join(tensor(t) for t in inputs)
    return (f"func.func @main({args}) -> {tensor(output)} {{\n"
            f"  %e = tensor.empty() : {tensor(output)}\n"
            f"  %r = linalg.generic {{indexing_maps = [{maps}], "
            f"iterator_types = [\"parallel\", \"parallel\"]}} "
            f"ins({ins} : {types}) outs(%e : {tensor(output)}) {{\n"
            f"  ^bb0({block}, %o: {output}):\n{body}\n"
            f"    linalg.yield %y : {output}\n"
            f"  }} -> {tensor(output)}\n"
            f"  return %r : {tensor(output)}\n}}\n")


def from_f32(value, t):
    """Lines that bring f32 `%value` to float type t as %<value>_t."""
    if t == "f32":
        return "", value
    return f"    {value}_t = arith.truncf {value} : f32 to {t}\n", value + "_t"


def to_f32(value, t):
    if t == "f32":
        return f"    %y = arith.addf {value}, {value} : f32"
    return f"    %y = arith.extf {value} : {t} to f32"


def numeric_seeds():
    for t in ("f32", "f16", "bf16"):
        for op in MATH_UNARY:
            pre, x = from_f32("%x0", t)
            yield generic(pre + f"    %z = math.{op} {x} : {t}\n" + to_f32("%z", t),
                          ["f32"], "f32")
        for op in MATH_BINARY + ["fpowi"]:
            pre0, x = from_f32("%x0", t)
            pre1, y = from_f32("%x1", t)
            if op == "fpowi":
                yield generic(pre0 + f"    %z = math.fpowi {x}, %x1 : {t}, i32\n" +
                              to_f32("%z", t), ["f32", "i32"], "f32")
                continue
            yield generic(pre0 + pre1 + f"    %z = math.{op} {x}, {y} : {t}\n" +
                          to_f32("%z", t), ["f32", "f32"], "f32")
        for op in MATH_CLASS:
            pre, x = from_f32("%x0", t)
            yield generic(pre + f"    %y = math.{op} {x} : {t}", ["f32"], "i1")
        for op in FLOAT_BINARY:
            pre0, x = from_f32("%x0", t)
            pre1, y = from_f32("%x1", t)
            yield generic(pre0 + pre1 + f"    %z = arith.{op} {x}, {y} : {t}\n" +
                          to_f32("%z", t), ["f32", "f32"], "f32")
        pre0, x = from_f32("%x0", t)
        pre1, y = from_f32("%x1", t)
        yield generic(pre0 + pre1 + f"    %y = arith.cmpf olt, {x}, {y} : {t}",
                      ["f32", "f32"], "i1")
        yield generic(pre0 + f"    %c = arith.cmpf oge, {x}, {x} : {t}\n"
                      f"    %y = arith.select %x1, %x2, %x2 : f32", ["f32", "i1", "f32"], "f32")
    for t in ("i1", "i8", "i16", "i32", "i64"):
        def narrow(v):
            if t == "i32":
                return "", v
            op = "trunci" if int(t[1:]) < 32 else "extsi"
            return f"    {v}_n = arith.{op} {v} : i32 to {t}\n", v + "_n"

        def widen(v):
            if t == "i32":
                return f"    %y = arith.addi {v}, {v} : i32"
            op = "extsi" if int(t[1:]) < 32 else "trunci"
            return f"    %y = arith.{op} {v} : {t} to i32"
        pre0, x = narrow("%x0")
        pre1, y = narrow("%x1")
        for op in INT_BINARY:
            yield generic(pre0 + pre1 + f"    %z = arith.{op} {x}, {y} : {t}\n" + widen("%z"),
                          ["i32", "i32"], "i32")
        if t != "i1":
            for op in INT_MATH:
                yield generic(pre0 + f"    %z = math.{op} {x} : {t}\n" + widen("%z"),
                              ["i32"], "i32")
            yield generic(pre0 + pre1 + f"    %l, %z = arith.mulsi_extended {x}, {y} : {t}\n" +
                          widen("%z"), ["i32", "i32"], "i32")
            yield generic(pre0 + f"    %y = arith.sitofp {x} : {t} to f32", ["i32"], "f32")
            yield generic(pre0 + f"    %y = arith.uitofp {x} : {t} to f32", ["i32"], "f32")
        yield generic(pre0 + pre1 + f"    %y = arith.cmpi slt, {x}, {y} : {t}", ["i32", "i32"], "i1")
    yield generic("    %y = arith.xori %x0, %x1 : i1", ["i1", "i1"], "i1")
    yield generic("    %y = arith.select %x0, %x1, %x2 : i64", ["i1", "i64", "i64"], "i64")


def main():
    root, corpus = sys.argv[1], sys.argv[2]
    os.makedirs(corpus, exist_ok=True)
    count = 0
    for seed in list(seeds(root)) + list(numeric_seeds()):
        digest = hashlib.sha1(seed.encode("utf-8", "surrogateescape")).hexdigest()
        path = os.path.join(corpus, "seed-" + digest)
        if not os.path.exists(path):
            with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
                f.write(seed)
        count += 1
    print(f"fuzz_seeds: {count} seeds in {corpus}")


if __name__ == "__main__":
    main()
