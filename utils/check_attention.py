#!/usr/bin/env python3
"""Runs an attention function through attn-run on fresh random inputs and
checks the result against the float64 reference in attn_reference.py.

  check_attention.py --attn-run BIN FILE.mlir --scale 0.125 [--causal]
      [--variant attention|latent|eg_mla|gta|grouped_tied]
      [--window W] [--layout bhsd|bshd] [--args q,k,v[,kv_lengths|mask]]
      [--kv-lengths 3,17] [--empty-mask-row] [--branches all|F:C,...]
      [--weight ALPHA] [--benchmark N] [--rtol 1e-4]

Each variant takes its arguments in the order of its example's contract
(README); `attention` takes them in the order --args names. Weights (roles
starting with w_) are drawn with standard deviation 1/sqrt(fan-in), as a
trained layer's would be, so that logits stay O(1).

Shapes and dtypes come from the signature of @main (or --function). Prints
one line per check and exits non-zero on a mismatch, NaN or Inf.

  check_attention.py --library LIB.so FILE.mlir --scale ... [...]
      runs FILE's function from a library that attnc compiled (LIB.h beside
      it) instead of attn-run: on a machine without MLIR.
  check_attention.py --gpu-run BIN --kernels KERNELS.json FILE.mlir --scale ... [...]
      runs FILE's function from GPU kernels that `attnc --target=nvptx`
      compiled (KERNELS.json, the launch descriptor, the binary beside it)
      with attn-gpu-run: on the GPU machine, which has no MLIR; or, with
      BIN = utils/ptx_emulator.py, with the PTX interpreted on the CPU.
  check_attention.py --attn-run BIN FILE.mlir ... --tensor-parallel N --mpirun CMD
      also runs FILE's function as N MPI ranks (CMD -np N attn-run
      --tensor-parallel=N): the whole inputs are cut into each rank's slices
      as the partitioned function's signature says (attn-opt
      --attn-tensor-parallel), one .npy file per rank; the assembled result
      must match the reference and the unsplit run. Prints each rank's
      cache bytes per key for the roles that are the KV cache.
  check_attention.py --attn-run BIN FILE.mlir ... --compile-for CPU --replay-dir DIR
      does not run: compiles FILE with the attnc beside BIN for that LLVM CPU
      into DIR and appends the --library check to DIR/replay.sh (lit:
      --param replay_cpu=CPU --param replay_dir=DIR).
"""

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attn_reference  # noqa: E402

TENSOR_RE = re.compile(r"tensor<((?:\d+x)*)(f32|f64|f16|bf16|i32|i64|i1)>")


def parse_signature(text, function):
    """Returns ([(shape, dtype)] for arguments, [(shape, dtype)] for results)."""
    match = re.search(r"func\.func\s+@" + re.escape(function) + r"\s*\(", text)
    if not match:
        sys.exit(f"check_attention: no func.func @{function} in the input")
    depth, pos = 1, match.end()
    while depth:
        depth += {"(": 1, ")": -1}.get(text[pos], 0)
        pos += 1
    args = text[match.end():pos - 1]
    results = text[pos:text.index("{", pos)]

    def tensors(s):
        return [(tuple(int(d) for d in dims.split("x") if d), dtype)
                for dims, dtype in TENSOR_RE.findall(s)]
    return tensors(args), tensors(results)


def to_bf16_bits(x):
    """Rounds float32 to bf16 (nearest even); returns the raw uint16 bits."""
    bits = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def from_bf16_bits(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


VARIANT_ARGS = {
    "latent": "q_nope,q_rope,latent,k_rope,w_uk,w_uv",
    "eg_mla": "q_nope,q_rope,ids,latent,k_rope,gate_table,w_u,norm_w,w_uk,w_uv",
    "gta": "x_gate,q,k,v,w_vb",
    "grouped_tied": "q_nope,q_rope,kv,k_rope",
    "layer": "x,w_q,w_k,w_v,w_o",
}


def make_input(rng, role, shape, dtype, opts):
    """Returns (array passed to attn-run, float64/bool/int view for the reference)."""
    if role == "ids":
        arr = rng.integers(0, opts.vocab, size=shape).astype(
            np.int32 if dtype == "i32" else np.int64)
        return arr, arr
    if role == "kv_lengths":
        if opts.kv_lengths:
            values = np.array([int(x) for x in opts.kv_lengths.split(",")])
        else:
            values = rng.integers(1, opts.num_keys + 1, size=shape)
        arr = values.reshape(shape).astype(np.int32 if dtype == "i32" else np.int64)
        return arr, arr
    if dtype == "i1":
        arr = rng.random(shape) < 0.7
        if opts.empty_mask_row:
            arr[..., 0, :] = False  # query 0 sees no key at all
        return arr, arr
    values = rng.standard_normal(shape).astype(np.float32)
    if role in ("q", "k"):
        values = values * opts.input_scale
    if role == "mask":
        values = values * 2.0
        if opts.inf_mask:
            # A quarter of the entries -inf, and query 0 sees no key at all.
            values[rng.random(shape) < 0.25] = -np.inf
            values[..., 0, :] = -np.inf
    elif role.startswith("w_"):
        values = values / np.sqrt(shape[-2])
    if dtype == "bf16":
        bits = to_bf16_bits(values)
        return bits, from_bf16_bits(bits).astype(np.float64)
    np_type = {"f32": np.float32, "f64": np.float64, "f16": np.float16}[dtype]
    arr = values.astype(np_type)
    return arr, arr.astype(np.float64)


def to_bhsd(x, layout):
    """Brings a [B, S, H, D] ('bshd') array to the reference's [B, H, S, D]."""
    return x if layout == "bhsd" else np.swapaxes(x, 1, 2)


def run_tool(opts, cmd, out_path, result_types, what):
    """Runs a runner command line that writes the first result to `out_path`
    (with --benchmark when asked); returns (output as float64, stdout)."""
    if opts.benchmark:
        cmd = cmd + [f"--benchmark={opts.benchmark}"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        sys.exit(f"check_attention: {what} (exit {proc.returncode})")
    out = np.load(out_path)
    if result_types and result_types[0][1] == "bf16":
        out = from_bf16_bits(out)
    return out.astype(np.float64), proc.stdout


def run_attn_run(opts, base_cmd, path, tmp, out_name, result_types):
    """Runs attn-run on `path`; returns (output as float64, stdout)."""
    out_path = os.path.join(tmp, out_name)
    cmd = base_cmd[:1] + [path] + base_cmd[2:] + [f"--output=@{out_path}"]
    return run_tool(opts, cmd, out_path, result_types, f"attn-run failed on {path}")


def run_gpu_run(opts, input_paths, tmp, result_types):
    """Runs FILE's function from GPU kernels with attn-gpu-run; returns
    (output as float64, stdout)."""
    out_path = os.path.join(tmp, "gpu-out.npy")
    # A Python runner (ptx_emulator.py) runs under this interpreter, which
    # has numpy.
    runner = ([sys.executable, opts.gpu_run] if opts.gpu_run.endswith(".py")
              else [opts.gpu_run])
    cmd = [*runner, opts.kernels, f"--function={opts.function}",
           *[f"--input=@{p}" for p in input_paths], f"--output=@{out_path}"]
    return run_tool(opts, cmd, out_path, result_types,
                    f"attn-gpu-run failed on {opts.kernels}")


def load_library(path):
    """The attnc.Kernel of a library that `attnc` compiled (its header beside
    it, X.h for X.so): for machines without MLIR, where the library was
    compiled elsewhere for this CPU (`attnc --mcpu=NAME`)."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), "python"))
    import attnc
    return attnc.load(path)


def run_library(kernel, function, arrays, result_types):
    """Calls `function` of a loaded library; returns (output as float64, "")."""
    # The library takes and returns f16 as raw 16-bit patterns, like bf16.
    # Boolean masks travel as one byte per element.
    out = kernel.call(function, *[a.view(np.uint16) if a.dtype == np.float16 else
                                  a.astype(np.uint8) if a.dtype == np.bool_ else a
                                  for a in arrays])
    out = out[0] if isinstance(out, tuple) else out
    if result_types and result_types[0][1] == "bf16":
        out = from_bf16_bits(out)
    elif result_types and result_types[0][1] == "f16":
        out = out.view(np.float16)
    return out.astype(np.float64), ""


def record_for_replay(opts, argv):
    """--compile-for: compiles FILE ahead of time for another CPU and records
    the check that runs it there. Checks that need attn-run on that machine
    (--also, --reference-lowering, --num-threads, --benchmark) are skipped;
    --emulate-amx is dropped (compiled for an AMX CPU, the tiles are real)."""
    if not opts.attn_run or not opts.replay_dir:
        sys.exit("check_attention: --compile-for needs --attn-run and --replay-dir")
    if (opts.also or opts.reference_lowering or opts.num_threads > 1 or opts.benchmark
            or opts.tensor_parallel > 1):
        print(f"replay: skipped {os.path.basename(opts.file)} (needs attn-run)")
        return 0
    os.makedirs(opts.replay_dir, exist_ok=True)
    script = os.path.join(opts.replay_dir, "replay.sh")
    try:  # lit runs checks in parallel: one of them writes the header.
        with open(script, "x") as f:
            f.write("#!/bin/sh\n# Generated by check_attention.py --compile-for: run from "
                    "the attnc source root;\n# ends with the number of failed checks in $failed.\n"
                    "DIR=${REPLAY_DIR:-$(dirname \"$0\")}\nfailed=0\n")
    except FileExistsError:
        pass
    with open(opts.file, "rb") as f:
        name = "check-" + hashlib.sha1(
            f.read() + opts.function.encode() +
            (b" f32-probabilities" if opts.f32_probabilities else b"")).hexdigest()[:12]
    mlir = os.path.join(opts.replay_dir, name + ".mlir")
    with open(opts.file) as src, open(mlir, "w") as dst:
        dst.write(src.read())
    attnc_bin = os.path.join(os.path.dirname(opts.attn_run), "attnc")
    flags = ["--f32-probabilities"] if opts.f32_probabilities else []
    proc = subprocess.run([attnc_bin, mlir, f"--mcpu={opts.compile_for}", *flags, "-o",
                           os.path.join(opts.replay_dir, name + ".so")],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        sys.exit(f"check_attention: attnc --mcpu={opts.compile_for} failed on {opts.file}")
    # The same check, minus the options of this mode and the file.
    rest, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("--attn-run", "--compile-for", "--replay-dir"):
            skip = True
        elif arg.split("=")[0] in ("--attn-run", "--compile-for", "--replay-dir") or \
                arg in (opts.file, "--emulate-amx"):
            # The library runs as compiled for that CPU: with real AMX tiles
            # where it has them, so an emulated check replays as a real one.
            pass
        else:
            rest.append(arg)
    quoted = " ".join("'" + a.replace("'", "'\\''") + "'" for a in rest)
    with open(script, "a") as f:
        f.write(f"python3 utils/check_attention.py \"$DIR/{name}.mlir\" "
                f"--library \"$DIR/{name}.so\" {quoted} || failed=$((failed + 1))\n")
    print(f"replay: recorded {os.path.basename(opts.file)} as {name}")
    return 0


CACHE_ROLES = ("k", "v", "latent", "k_rope", "kv")


def partitioned_signature(attn_opt, path, function, ranks):
    """The argument and result types of `function` in the program one of
    `ranks` MPI ranks runs, compiled as attn-run --tensor-parallel compiles
    it (model IR raised first)."""
    proc = subprocess.run([attn_opt, path, "--attn-decompose-aggregates",
                           "--attn-raise-attention",
                           f"--attn-tensor-parallel=devices={ranks}"],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        sys.exit(f"check_attention: cannot partition {path} over {ranks} ranks")
    return parse_signature(proc.stdout, function)


def write_rank_slices(arrays, local_types, ranks, directory, stem):
    """Cuts each whole array into the ranks' slices that `local_types` (one
    rank's argument types) give: one axis cut into `ranks` contiguous parts,
    or none. Writes STEM.argI.rankR.npy; returns the --input paths, with
    {rank} for the rank, and each rank's bytes of every argument."""
    paths, nbytes = [], []
    for i, (array, (local, _)) in enumerate(zip(arrays, local_types)):
        axes = [d for d in range(array.ndim) if array.shape[d] != local[d]]
        if len(axes) > 1 or any(array.shape[d] != ranks * local[d] for d in axes):
            sys.exit(f"check_attention: argument #{i} of shape {array.shape} is "
                     f"{local} on each rank: not one axis cut {ranks} ways")
        for r in range(ranks):
            part = array
            if axes:
                index = [slice(None)] * array.ndim
                index[axes[0]] = slice(r * local[axes[0]], (r + 1) * local[axes[0]])
                part = array[tuple(index)]
            np.save(os.path.join(directory, f"{stem}.arg{i}.rank{r}.npy"),
                    np.ascontiguousarray(part))
        nbytes.append(part.nbytes)
        paths.append(os.path.join(directory, f"{stem}.arg{i}.rank{{rank}}.npy"))
    return paths, nbytes


def tensor_parallel_command(mpirun, attn_run, path, function, ranks, inputs):
    return [*mpirun.split(), "-np", str(ranks), attn_run, path, f"--function={function}",
            f"--tensor-parallel={ranks}", *[f"--input=@{p}" for p in inputs]]


def run_tensor_parallel(opts, roles, arrays, tmp, result_types):
    """Runs the function as opts.tensor_parallel MPI ranks, each on its own
    slices of `arrays`; returns (assembled output as float64, stdout)."""
    ranks = opts.tensor_parallel
    attn_opt = os.path.join(os.path.dirname(opts.attn_run), "attn-opt")
    local_types, _ = partitioned_signature(attn_opt, opts.file, opts.function, ranks)
    inputs, nbytes = write_rank_slices(arrays, local_types, ranks, tmp, "split")
    cache_bytes = sum(b for role, b in zip(roles, nbytes) if role in CACHE_ROLES)
    if cache_bytes:
        print(f"tensor-parallel: {ranks} ranks, cache bytes per key on each rank: "
              f"{cache_bytes // opts.num_keys}")
    out_path = os.path.join(tmp, "tensor-parallel.npy")
    cmd = tensor_parallel_command(opts.mpirun, opts.attn_run, opts.file, opts.function,
                                  ranks, inputs)
    return run_tool(opts, cmd + [f"--output=@{out_path}"], out_path, result_types,
                    f"{ranks} ranks failed on {opts.file}")


def report(path, out, ref, rtol):
    """Prints the check line for one output; returns whether it passed."""
    if out.shape != ref.shape:
        print(f"check: FAIL {os.path.basename(path)} output shape {out.shape} != "
              f"reference {ref.shape}")
        return False
    finite = bool(np.all(np.isfinite(out)))
    rel_err = float(np.abs(out - ref).max() / max(np.abs(ref).max(), 1e-30))
    ok = finite and rel_err < rtol
    print(f"check: {'PASS' if ok else 'FAIL'} {os.path.basename(path)} "
          f"shape={list(out.shape)} max_rel_err={rel_err:.3e} (< {rtol:g}) "
          f"finite={finite}")
    return ok


def compute_reference(opts, x):
    """The float64 reference for `opts.variant` on the inputs by role."""
    if opts.variant == "attention":
        mask = x.get("mask")
        if mask is not None and opts.layout == "bshd" and mask.ndim == 4:
            mask = np.swapaxes(mask, 1, 2)
        ref = attn_reference.attention(
            to_bhsd(x["q"], opts.layout), to_bhsd(x["k"], opts.layout),
            to_bhsd(x["v"], opts.layout), opts.scale, causal=opts.causal,
            window=opts.window, kv_lengths=x.get("kv_lengths"), mask=mask)
        return to_bhsd(ref, opts.layout)
    latent_args = lambda latent: (x["q_nope"], x.get("q_rope"), latent, x.get("k_rope"),
                                  x["w_uk"], x["w_uv"], opts.scale)
    if opts.variant == "latent":
        latent = x["latent"]
        num_blocks = 1 if latent.ndim == 3 else latent.shape[2]
        branches = ([(i, 1) for i in range(num_blocks)] if opts.branches == "all" else
                    [tuple(int(n) for n in b.split(":")) for b in opts.branches.split(",")])
        return attn_reference.latent_attention(*latent_args(latent), branches=branches,
                                               weight=opts.weight, causal=opts.causal)
    if opts.variant == "eg_mla":
        gated = attn_reference.embedding_gate(x["latent"], x["ids"], x["gate_table"],
                                              x["w_u"], x["norm_w"])
        return attn_reference.mla(*latent_args(gated), causal=opts.causal)
    if opts.variant == "gta":
        return attn_reference.gta(x["x_gate"], x["q"], x["k"], x["v"], x["w_vb"],
                                  opts.scale, causal=opts.causal)
    if opts.variant == "layer":
        return attention_layer(x, opts)
    return attn_reference.grouped_tied(x["q_nope"], x["q_rope"], x["kv"], x["k_rope"],
                                       opts.scale, causal=opts.causal)


def attention_layer(x, opts):
    """An attention layer on tokens x [S, E]: q, k, v = x @ w_q, x @ w_k,
    x @ w_v, split into heads of --head-dim (GQA when w_k has fewer
    columns), attention, heads merged, @ w_o."""
    d = opts.head_dim
    tokens = x["x"].shape[0]
    heads = lambda y: y.reshape(tokens, -1, d).transpose(1, 0, 2)[None]
    q, k, v = (heads(x["x"] @ x[w]) for w in ("w_q", "w_k", "w_v"))
    o = attn_reference.attention(q, k, v, opts.scale, causal=opts.causal)
    return o[0].transpose(1, 0, 2).reshape(tokens, -1) @ x["w_o"]


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file")
    runner = parser.add_mutually_exclusive_group(required=True)
    runner.add_argument("--attn-run", help="attn-run binary: compile FILE and run it")
    runner.add_argument("--gpu-run",
                        help="attn-gpu-run binary: run FILE's function from the GPU "
                             "kernels of --kernels instead: no MLIR needed")
    runner.add_argument("--library",
                        help="run FILE's function from this library compiled by attnc "
                             "(header beside it) instead: no MLIR needed")
    parser.add_argument("--kernels", metavar="KERNELS.json",
                        help="with --gpu-run: the launch descriptor attnc wrote")
    parser.add_argument("--function", default="main")
    parser.add_argument("--scale", type=float, required=True)
    parser.add_argument("--causal", action="store_true")
    parser.add_argument("--window", type=int)
    parser.add_argument("--layout", choices=["bhsd", "bshd"], default="bhsd")
    parser.add_argument("--variant", default="attention",
                        choices=["attention"] + sorted(VARIANT_ARGS))
    parser.add_argument("--args", default="q,k,v",
                        help="attention: role of each argument: q, k, v, kv_lengths, mask")
    parser.add_argument("--branches", default="all",
                        help="latent: 'all' (every head reads every block) or first:count,...")
    parser.add_argument("--weight", type=float, default=1.0, help="latent: branch weight")
    parser.add_argument("--head-dim", type=int, help="layer: width of one head")
    parser.add_argument("--kv-lengths", help="fixed kv_lengths values, comma-separated")
    parser.add_argument("--empty-mask-row", action="store_true",
                        help="mask out every key of query 0 (boolean masks)")
    parser.add_argument("--input-scale", type=float, default=1.0,
                        help="multiply q and k by this (large logits)")
    parser.add_argument("--inf-mask", action="store_true",
                        help="additive mask with -inf entries and a fully -inf row")
    parser.add_argument("--rtol", type=float, default=1e-4,
                        help="bound on max|out - ref| / max|ref|")
    parser.add_argument("--also", metavar="FILE",
                        help="run FILE on the same inputs too; both must match the "
                             "reference and each other")
    parser.add_argument("--reference-lowering", action="store_true",
                        help="compile through the reference lowering (the oracle)")
    parser.add_argument("--gpu-loops", action="store_true",
                        help="compile with attn-run --gpu-loops: the GPU path's loop "
                             "nests, run on the CPU")
    parser.add_argument("--f32-probabilities", action="store_true",
                        help="compile with --f32-probabilities: decode probabilities "
                             "stay f32 for P.V against bf16 values")
    parser.add_argument("--emulate-amx", action="store_true",
                        help="compile with attn-run --emulate-amx: the Intel AMX "
                             "path, its tile ops run as vector code")
    parser.add_argument("--num-threads", type=int, default=1,
                        help="threads for attn-run's parallel tile loops")
    parser.add_argument("--benchmark", type=int, default=0)
    parser.add_argument("--seed", type=int, help="default: fresh entropy")
    parser.add_argument("--tensor-parallel", type=int, default=1, metavar="N",
                        help="with --attn-run: also run as N MPI ranks under --mpirun")
    parser.add_argument("--mpirun", default="mpiexec",
                        help="MPI launcher command, without -np")
    parser.add_argument("--compile-for", metavar="CPU",
                        help="with --attn-run: do not run; compile FILE with the attnc "
                             "beside attn-run for this LLVM CPU into --replay-dir and add "
                             "the check, with --library, to its replay.sh (for a machine "
                             "without MLIR)")
    parser.add_argument("--replay-dir", metavar="DIR")
    opts = parser.parse_args()
    if opts.compile_for:
        return record_for_replay(opts, sys.argv[1:])
    if opts.tensor_parallel > 1 and not opts.attn_run:
        parser.error("--tensor-parallel runs attn-run under MPI: it needs --attn-run")
    if opts.library and (opts.also or opts.reference_lowering or opts.num_threads > 1
                         or opts.benchmark or opts.emulate_amx):
        parser.error("--library runs the library as it was compiled: it takes none of "
                     "--also, --reference-lowering, --num-threads, --benchmark, "
                     "--emulate-amx")
    if opts.gpu_run and (not opts.kernels or opts.also or opts.reference_lowering
                         or opts.num_threads > 1):
        parser.error("--gpu-run needs --kernels and takes none of --also, "
                     "--reference-lowering, --num-threads")

    with open(opts.file) as f:
        text = f.read()
    arg_types, result_types = parse_signature(text, opts.function)
    roles = VARIANT_ARGS.get(opts.variant, opts.args).split(",")
    if opts.variant == "latent" and len(arg_types) == 4:
        roles = ["q_nope", "latent", "w_uk", "w_uv"]  # without the RoPE term
    if len(roles) != len(arg_types):
        sys.exit(f"check_attention: @{opts.function} has {len(arg_types)} "
                 f"arguments but the {opts.variant} variant takes {len(roles)}")
    if "k" in roles:
        key_shape = arg_types[roles.index("k")][0]
        opts.num_keys = (key_shape[2] if opts.layout == "bhsd" and opts.variant == "attention"
                         else key_shape[1])
    elif "latent" in roles:
        opts.num_keys = arg_types[roles.index("latent")][0][1]
    elif "kv" in roles:
        opts.num_keys = arg_types[roles.index("kv")][0][1]
    if "gate_table" in roles:
        opts.vocab = arg_types[roles.index("gate_table")][0][0]

    seed = opts.seed if opts.seed is not None else np.random.SeedSequence().entropy
    print(f"seed: {seed}")
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [opts.attn_run, opts.file, f"--function={opts.function}"]
        if opts.reference_lowering:
            cmd.append("--reference-lowering")
        if opts.gpu_loops:
            cmd.append("--gpu-loops")
        if opts.num_threads > 1:
            cmd.append(f"--num-threads={opts.num_threads}")
        if opts.f32_probabilities:
            cmd.append("--f32-probabilities")
        if opts.emulate_amx:
            cmd.append("--emulate-amx")
        ref_inputs = {}
        arrays, input_paths = [], []
        for i, (role, (shape, dtype)) in enumerate(zip(roles, arg_types)):
            arr, ref = make_input(rng, role, shape, dtype, opts)
            path = os.path.join(tmp, f"arg{i}.npy")
            np.save(path, arr)
            cmd.append(f"--input=@{path}")
            input_paths.append(path)
            arrays.append(arr)
            ref_inputs[role] = ref
        if opts.library:
            outputs = [run_library(load_library(opts.library), opts.function, arrays,
                                   result_types)]
        elif opts.gpu_run:
            outputs = [run_gpu_run(opts, input_paths, tmp, result_types)]
        else:
            outputs = [run_attn_run(opts, cmd, opts.file, tmp, "out.npy", result_types)]
        if opts.also:
            outputs.append(run_attn_run(opts, cmd, opts.also, tmp, "also.npy", result_types))
        if opts.tensor_parallel > 1:
            outputs.append(run_tensor_parallel(opts, roles, arrays, tmp, result_types))

    ref = compute_reference(opts, ref_inputs)

    ok = True
    names = [opts.file] + ([opts.also] if opts.also else [])
    if opts.tensor_parallel > 1:
        names.append(f"{opts.file} on {opts.tensor_parallel} ranks")
    for path, (out, stdout) in zip(names, outputs):
        ok &= report(path, out, ref, opts.rtol)
        if opts.benchmark:
            timing = json.loads(stdout.strip().splitlines()[-1])
            print(f"time: median {timing['median_ms']:.3f} ms, min {timing['min_ms']:.3f} ms "
                  f"over {timing['iterations']} runs"
                  + (f" on {timing['device']}" if "device" in timing else ""))
    for other, (second, _) in zip(names[1:], outputs[1:]):
        first = outputs[0][0]
        rel = float(np.abs(first - second).max() / max(np.abs(ref).max(), 1e-30))
        agree = rel < opts.rtol
        ok &= agree
        print(f"agree: {'PASS' if agree else 'FAIL'} {os.path.basename(opts.file)} vs "
              f"{os.path.basename(other)} max_rel_diff={rel:.3e} (< {opts.rtol:g})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
