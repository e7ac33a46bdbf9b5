#!/usr/bin/env python3
"""attnc CPU benchmarks, measured side by side with the machine's ceilings.

  benchmarks/run.py [--build build] [--cases 1,3,...] [--iterations N]
                    [--no-reference] [--output benchmarks/RESULTS.md]
  benchmarks/run.py --compile-only DIR --mcpu NAME [--vector-bits N] [--cases ...]
  benchmarks/run.py --libraries DIR [--cases ...] [--output FILE]

In one run: compiles and runs the ceiling probes (probes.c: f32 FMA, bf16 dot,
AMX bf16 tile products where the CPU has them, DRAM read, from huge pages
as attn-run holds its inputs, and from 4 KiB pages), then times each case of issue 4 through `attn-run --benchmark`
(tiled pipeline) and `attn-run --reference-lowering --benchmark` (the
oracle), and prints a table of medians: time, GFLOP/s or GB/s, fraction of
the measured ceiling, speed-up over the reference lowering, and
torch.nn.functional.scaled_dot_product_attention where PyTorch is importable.
Where the CPU has avx512_bf16, case 3 is followed by row 3/hand: a
hand-written AVX-512 kernel of the same shape and math
(calibration/gqa_decode_avx512.c, not attnc), timed in the same run, as a
measure of what one core reaches there. The table goes to RESULTS.md with
the date and the CPU model. FLOPs count a multiply-add as 2; causal cases
count only unmasked work.

For a machine without MLIR (another CPU than the one that builds attnc):
`--compile-only DIR --mcpu NAME` compiles each case ahead of time with
`attnc --mcpu=NAME` into DIR (libraries, headers, the probes built for NAME
and a manifest), and `--libraries DIR` on the other machine times those
libraries through the attnc Python package (ctypes; NumPy is all it needs).
The reference lowering, two threads and peak memory need attn-run and are
left out there.
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "utils"))
from check_attention import parse_signature, to_bf16_bits  # noqa: E402

CLANG = "/usr/lib/llvm-22/bin/clang"


def core_attention(q_shape, k_shape, v_shape, dtype, scale, causal=False, out_dtype="f32"):
    """A func.func @main over [B, H, S, D] attention; K/V heads may be grouped."""
    t = lambda shape, dt: "tensor<" + "x".join(map(str, shape)) + f"x{dt}>"
    qt, kt, vt = t(q_shape, dtype), t(k_shape, dtype), t(v_shape, dtype)
    ot = t(q_shape[:3] + v_shape[3:], out_dtype)
    maps = ", ".join(f"affine_map<(b, h, s, t, d, e) -> {m}>" for m in
                     ("(b, h, s, d)", "(b, h, t, d)", "(b, h, t, e)", "(b, h, s, e)"))
    masking = " masking(causal)" if causal else ""
    return f"""func.func @main(%q: {qt}, %k: {kt}, %v: {vt}) -> {ot} {{
  %init = tensor.empty() : {ot}
  %o = attn.attention queries(%q : {qt}) keys(%k : {kt}) values(%v : {vt})
         outs(%init : {ot}) scale({scale!r} : f32){masking} indexing_maps = [{maps}] -> {ot}
  return %o : {ot}
}}
"""


def edited_example(name, substitutions):
    with open(os.path.join(ROOT, "examples", name)) as f:
        text = f.read()
    for old, new in substitutions:
        text = re.sub(old, new, text)
    return text


def cases():
    """(id, title, mlir, flops, bytes, bound, torch spec) with bound in
    {fma, bf16, amx, dram, roof}; the torch spec is (q shape, kv shape, dtype,
    causal) for core cases and MLA (as MQA), None otherwise."""
    h, s, d = 8, 2048, 128

    def prefill(cid, title, dtype, causal, bound):
        shape = [1, h, s, d]
        flops = 4.0 * h * (s * (s + 1) / 2 if causal else s * s) * d
        return (cid, title, core_attention(shape, shape, shape, dtype, 1 / math.sqrt(d),
                                           causal=causal),
                flops, 0, bound, (shape, shape, dtype, causal))

    yield prefill("1", "MHA prefill f32 H=8 S=T=2048 D=128", "f32", False, "fma")
    yield prefill("2", "MHA prefill f32 causal", "f32", True, "fma")
    t = 16384
    kv_bytes = 2.0 * 8 * t * d * 2
    for hq, tag in ((32, "3"), (8, "3b")):
        yield (tag, f"GQA decode bf16 Hq={hq} Hkv=8 T=16384 D=128", core_attention(
            [1, hq, 1, d], [1, 8, t, d], [1, 8, t, d], "bf16", 1 / math.sqrt(d)),
            4.0 * hq * t * d, kv_bytes, "dram", ([1, hq, 1, d], [1, 8, t, d], "bf16", False))
    mla = edited_example("mla_decode.mlir", [
        (r"1x1x16x", "1x1x128x"), (r"16x512x128", "128x512x128"), (r"1x4096x", "1x8192x"),
        (r"xf32>", "xbf16>")])
    heads, tk, dc, dr = 128, 8192, 512, 64
    # torch: plain MQA with the heads folded into query rows and V as wide
    # as K (576): its CPU flash kernel needs equal K and V widths, and takes
    # a path over 100x slower otherwise.
    yield ("4", "MLA absorbed decode bf16 H=128 dc=512 dR=64 T=8192", mla,
           2.0 * heads * tk * (2 * dc + dr), tk * (dc + dr) * 2.0, "bf16",
           ([1, 1, heads, dc + dr], [1, 1, tk, dc + dr], "bf16", False))
    # bf16 prefill: AMX tile products where the CPU has amx_bf16.
    yield prefill("7a", "MHA prefill bf16 H=8 S=T=2048 D=128", "bf16", False, "amx")
    yield prefill("7b", "MHA prefill bf16 causal", "bf16", True, "amx")
    t = 16384
    yield ("5a", "MLRA-4 decode f32 T=16384 (example sizes)",
           edited_example("mlra4_decode.mlir", [(r"1x4096x", "1x16384x")]),
           4 * (2.0 * 24 * t * (128 + 64) + 2.0 * 24 * t * 128), t * (512 + 64) * 4.0, "roof", None)
    yield ("5b", "EG-MLA decode f32 T=16384 (example sizes)",
           edited_example("eg_mla_decode.mlir", [(r"1x4096", "1x16384")]),
           2.0 * 12 * t * (256 + 64) + 2.0 * 12 * t * 256 + t * (2.0 * 64 * 256 + 6 * 256),
           t * (64 + 64 + 1) * 4.0, "roof", None)
    yield ("5c", "GTA decode f32 T=16384 (example sizes)",
           edited_example("gta_decode.mlir", [(r"1x4096x", "1x16384x")]),
           2.0 * t * 5 * (64 + 128), t * (64 + 128) * 4.0, "roof", None)


# Where docs/performance.md says what limits a target when it is missed,
# with the measurements that show it. RESULTS.md points there; it holds
# only what this run measured.
LIMIT_SECTIONS = {
    "3": "Current limits: GQA decode",
    "3/ratio": "Current limits: GQA decode",
    "amx": "Current limits: AMX",
}


def make_arrays(mlir_path, rng):
    with open(mlir_path) as f:
        arg_types, _ = parse_signature(f.read(), "main")
    arrays = []
    for shape, dtype in arg_types:
        if dtype in ("i32", "i64"):
            arr = rng.integers(0, 1024, size=shape).astype(np.int32 if dtype == "i32" else np.int64)
        else:
            values = rng.standard_normal(shape).astype(np.float32) / math.sqrt(shape[-1])
            arr = to_bf16_bits(values) if dtype == "bf16" else values
        arrays.append(arr)
    return arrays


def make_inputs(mlir_path, tmp, rng):
    paths = []
    for i, arr in enumerate(make_arrays(mlir_path, rng)):
        path = os.path.join(tmp, f"arg{i}.npy")
        np.save(path, arr)
        paths.append(path)
    return paths


def median_ms(call, iterations):
    """Median wall time of `call()` in ms over `iterations` calls, after one
    warm-up call."""
    call()
    times = []
    for _ in range(iterations):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1e3)
    return float(np.median(times))


def cpu_name():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def time_library(library, mlir_path, rng, iterations):
    """Median ms of @main of a library compiled by attnc, called through the
    attnc Python package after one warm-up call."""
    sys.path.insert(0, os.path.join(ROOT, "python"))
    import attnc
    kernel = attnc.load(library)
    arrays = make_arrays(mlir_path, rng)
    return median_ms(lambda: kernel(*arrays), iterations)


def compile_cases(opts):
    """--compile-only: each case, ahead of time for --mcpu, into a directory
    that --libraries runs on a machine without MLIR."""
    attnc_bin = os.path.join(opts.build, "bin", "attnc")
    os.makedirs(opts.compile_only, exist_ok=True)
    wanted = set(opts.cases.split(",")) if opts.cases else None
    manifest = dict(mcpu=opts.mcpu, vector_bits=opts.vector_bits, cases=[])
    width = [f"--vector-bits={opts.vector_bits}"] if opts.vector_bits else []
    for cid, title, mlir, flops, nbytes, bound, torch_spec in cases():
        if wanted and cid not in wanted:
            continue
        path = os.path.join(opts.compile_only, f"case{cid}.mlir")
        with open(path, "w") as f:
            f.write(mlir)
        subprocess.run([attnc_bin, path, f"--mcpu={opts.mcpu}", *width, "-o",
                        os.path.join(opts.compile_only, f"case{cid}.so")], check=True)
        manifest["cases"].append(dict(id=cid, title=title, flops=flops, bytes=nbytes,
                                      bound=bound, torch_spec=torch_spec))
        print(f"compiled case {cid} for {opts.mcpu}", flush=True)
    subprocess.run([CLANG, "-O2", f"-march={opts.mcpu}", "-mprefer-vector-width=512",
                    os.path.join(ROOT, "benchmarks", "probes.c"),
                    "-o", os.path.join(opts.compile_only, "probes")], check=True)
    with open(os.path.join(opts.compile_only, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"wrote {opts.compile_only}: run benchmarks/run.py --libraries "
          f"{opts.compile_only} on the {opts.mcpu} machine")


def measure_ceilings(tmp, probe=None):
    """Runs the ceiling probes (benchmarks/probes.c, built for this CPU into
    `tmp` unless `probe` is a prebuilt one): a dict of fma_gflops,
    bf16_gflops, vector_lanes, dram_read_gbs, dram_read_4k_pages_gbs."""
    if probe is None:
        probe = os.path.join(tmp, "probes")
        # 512-bit vectors where the CPU has them: x86 CPUs with AVX-512
        # otherwise prefer 256-bit ones, and the probe would measure those.
        subprocess.run([CLANG, "-O2", "-march=native", "-mprefer-vector-width=512",
                        os.path.join(ROOT, "benchmarks", "probes.c"), "-o", probe],
                       check=True)
    return json.loads(subprocess.run([probe], capture_output=True, text=True,
                                     check=True).stdout)


def time_attn_run(attn_run, mlir_path, inputs, iterations, extra=()):
    cmd = [attn_run, mlir_path, *extra, f"--benchmark={iterations}"]
    cmd += [f"--input=@{p}" for p in inputs]
    env = dict(os.environ, OMP_PROC_BIND="true")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip())
    return json.loads(proc.stdout.strip().splitlines()[-1])["median_ms"]


def time_hand_written_gqa(tmp, iterations):
    """Row 3/hand: the hand-written AVX-512 kernel of case 3
    (calibration/gqa_decode_avx512.c), built for this CPU and run for
    `iterations`; its JSON result, or None (with the reason printed) where it
    cannot be built or its output is wrong."""
    binary = os.path.join(tmp, "gqa_decode_avx512")
    source = os.path.join(ROOT, "benchmarks", "calibration", "gqa_decode_avx512.c")
    built = subprocess.run([CLANG, "-O3", "-march=native", source, "-o", binary, "-lm"],
                           capture_output=True, text=True)
    if built.returncode != 0:
        reason = (built.stderr.strip().splitlines() or ["no message"])[-1]
        print(f"3/hand: not built ({reason})", flush=True)
        return None
    proc = subprocess.run([binary, str(iterations)], capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"3/hand: failed: {proc.stdout.strip()} {proc.stderr.strip()}", flush=True)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def torch_sdpa_ms(spec, iterations):
    """Median ms of torch.nn.functional.scaled_dot_product_attention, one
    thread, on a core case's shapes, or None (no spec, or no PyTorch >= 2.1)."""
    if spec is None:
        return None
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        return None
    if tuple(int(x) for x in torch.__version__.split(".")[:2]) < (2, 1):
        return None
    q_shape, k_shape, dtype, causal = spec
    torch.set_num_threads(1)
    torch_dtype = torch.bfloat16 if dtype == "bf16" else torch.float32
    q = torch.randn(*q_shape, dtype=torch_dtype)
    k = torch.randn(*k_shape, dtype=torch_dtype)
    v = torch.randn(*k_shape, dtype=torch_dtype)
    group = q_shape[1] // k_shape[1]
    if group > 1:  # SDPA takes equal head counts (enable_gqa is 2.5+ only)
        k, v = k.repeat_interleave(group, 1), v.repeat_interleave(group, 1)
    return median_ms(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal),
                     iterations)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--cases", help="comma-separated case ids (default: all)")
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--no-reference", action="store_true",
                        help="skip the reference lowering (slow on prefill)")
    parser.add_argument("--output", default=os.path.join(ROOT, "benchmarks", "RESULTS.md"))
    parser.add_argument("--compile-only", metavar="DIR",
                        help="compile the cases and probes for --mcpu into DIR and stop")
    parser.add_argument("--mcpu", help="with --compile-only: the LLVM CPU name to compile for")
    parser.add_argument("--vector-bits", type=int,
                        help="with --compile-only: attnc --vector-bits (default: the CPU's widest)")
    parser.add_argument("--libraries", metavar="DIR",
                        help="time the libraries in DIR (from --compile-only) instead of "
                             "compiling with attn-run")
    opts = parser.parse_args()
    if opts.compile_only:
        if not opts.mcpu:
            parser.error("--compile-only needs --mcpu")
        return compile_cases(opts)
    if opts.mcpu or opts.vector_bits:
        parser.error("--mcpu and --vector-bits go with --compile-only")
    attn_run = os.path.join(opts.build, "bin", "attn-run")
    manifest = None
    if opts.libraries:
        with open(os.path.join(opts.libraries, "manifest.json")) as f:
            manifest = json.load(f)
        opts.no_reference = True

    with tempfile.TemporaryDirectory() as tmp:
        ceilings = measure_ceilings(
            tmp, os.path.join(opts.libraries, "probes") if manifest else None)
        print(f"ceilings: {ceilings['fma_gflops']} GFLOP/s f32 FMA, "
              f"{ceilings['bf16_gflops'] or 'no'} bf16 dot, "
              f"{ceilings.get('amx_gflops') or 'no'} AMX bf16, "
              f"{ceilings['dram_read_gbs']} GB/s DRAM read "
              f"({ceilings['dram_read_4k_pages_gbs']} from 4 KiB pages)", flush=True)

        wanted = set(opts.cases.split(",")) if opts.cases else None
        rng = np.random.default_rng()
        rows = []
        if manifest:
            all_cases = [(c["id"], c["title"], None, c["flops"], c["bytes"], c["bound"],
                          c["torch_spec"]) for c in manifest["cases"]]
        else:
            all_cases = cases()
        for cid, title, mlir, flops, nbytes, bound, torch_spec in all_cases:
            if wanted and cid not in wanted:
                continue
            if manifest:
                path = os.path.join(opts.libraries, f"case{cid}.mlir")
                ms = time_library(os.path.join(opts.libraries, f"case{cid}.so"), path, rng,
                                  opts.iterations)
            else:
                path = os.path.join(tmp, f"case{cid}.mlir")
                with open(path, "w") as f:
                    f.write(mlir)
                inputs = make_inputs(path, tmp, rng)
                ms = time_attn_run(attn_run, path, inputs, opts.iterations)
            ref_ms = None
            if not opts.no_reference:
                ref_ms = time_attn_run(attn_run, path, inputs, 1, ["--reference-lowering"])
            gflops = flops / ms / 1e6
            gbs = nbytes / ms / 1e6 if nbytes else None
            fma, bf16, dram = (ceilings["fma_gflops"], ceilings["bf16_gflops"],
                               ceilings["dram_read_gbs"])
            if bound == "fma":
                rate, fraction = f"{gflops:.1f} GFLOP/s", gflops / fma
            elif bound == "bf16":
                peak = bf16 or fma  # no bf16 dot unit: bf16 runs on the f32 FMA units
                rate, fraction = f"{gflops:.1f} GFLOP/s", gflops / peak
            elif bound == "amx":
                # bf16 tile products on AMX where the CPU has it, else as case 4
                peak = ceilings.get("amx_gflops") or bf16 or fma
                rate, fraction = f"{gflops:.1f} GFLOP/s", gflops / peak
            elif bound == "dram":
                rate, fraction = f"{gbs:.1f} GB/s", gbs / dram
            else:
                roof_ms = max(flops / fma / 1e6, nbytes / dram / 1e6)
                rate, fraction = f"{gflops:.1f} GFLOP/s, {gbs:.1f} GB/s", roof_ms / ms
            row = dict(id=cid, title=title, ms=ms, rate=rate, fraction=fraction,
                       ref_ms=ref_ms, speedup=(ref_ms / ms if ref_ms else None),
                       torch_ms=torch_sdpa_ms(torch_spec, opts.iterations))
            rows.append(row)
            print(f"{cid:>3} {title:<52} {ms:10.2f} ms  {rate:<26} {fraction:6.1%} of ceiling"
                  + (f"  ref {ref_ms:.1f} ms ({row['speedup']:.1f}x)" if ref_ms else ""),
                  flush=True)
            if cid == "3" and not manifest and ceilings["bf16_gflops"]:
                hand = time_hand_written_gqa(tmp, opts.iterations)
                if hand:
                    rows.append(dict(id="3/hand", title="the same, hand-written AVX-512 "
                                     "kernel (benchmarks/calibration, not attnc)",
                                     ms=hand["ms"], rate=f"{hand['gbs']:.1f} GB/s",
                                     fraction=hand["gbs"] / ceilings["dram_read_gbs"],
                                     ref_ms=None, speedup=None, torch_ms=None))
                    print(f"3/hand {'hand-written AVX-512 kernel':<50} {hand['ms']:10.2f} ms  "
                          f"{hand['gbs']:.1f} GB/s {rows[-1]['fraction']:6.1%} of ceiling "
                          f"({hand['read_gbs']:.1f} GB/s sequential read in its own run)",
                          flush=True)
            # Case 6: two pinned threads on cases 1 and 4, against one.
            if cid in ("1", "4") and not manifest:
                ms2 = time_attn_run(attn_run, path, inputs, opts.iterations,
                                    ["--num-threads=2"])
                rows.append(dict(id=f"6/{cid}", title=f"{title}, 2 threads", ms=ms2,
                                 rate=f"{flops / ms2 / 1e6:.1f} GFLOP/s",
                                 fraction=ms / ms2, fraction_label="x one thread",
                                 ref_ms=None, speedup=None, torch_ms=None))
                print(f"6/{cid} {'two threads':<50} {ms2:10.2f} ms  "
                      f"{ms / ms2:.2f}x one thread", flush=True)

        # Peak memory at S = T = 32768, H = 1, D = 128 (causal): peak RSS of
        # attn-run above its baseline (MLIR, LLVM and the JIT, measured on a
        # tiny problem) against inputs plus outputs.
        memory = None
        if (os.path.exists("/usr/bin/time") and not manifest
                and (not wanted or "mem" in wanted)):
            def peak_kb(mlir_text, shape):
                path = os.path.join(tmp, "mem.mlir")
                with open(path, "w") as f:
                    f.write(mlir_text)
                args = []
                for name in "qkv":
                    arr_path = os.path.join(tmp, f"mem_{name}.npy")
                    np.save(arr_path, rng.standard_normal(shape).astype(np.float32))
                    args.append(f"--input=@{arr_path}")
                out = os.path.join(tmp, "mem_out.npy")
                proc = subprocess.run(["/usr/bin/time", "-f", "%M", attn_run, path, *args,
                                       f"--output=@{out}"], capture_output=True, text=True)
                if proc.returncode != 0:
                    raise RuntimeError(proc.stderr.strip())
                return int(proc.stderr.strip().splitlines()[-1])
            n = 32768
            big = peak_kb(core_attention([1, 1, n, 128], [1, 1, n, 128], [1, 1, n, 128], "f32",
                                         1 / math.sqrt(128), causal=True), (1, 1, n, 128))
            base = peak_kb(core_attention([1, 1, 8, 128], [1, 1, 8, 128], [1, 1, 8, 128], "f32",
                                          1 / math.sqrt(128), causal=True), (1, 1, 8, 128))
            data_mb = 4 * n * 128 * 4 / 1e6
            memory = (big / 1e3, base / 1e3, data_mb, (big - base) / 1e3 / data_mb)
            print(f"memory: peak RSS {big / 1e3:.0f} MB, baseline {base / 1e3:.0f} MB, "
                  f"inputs+outputs {data_mb:.0f} MB: {memory[3]:.2f}x", flush=True)

    cpu = cpu_name()
    date = datetime.date.today().isoformat()
    lines = [
        "# attnc CPU benchmark results",
        "",
        f"Measured {date} on `{cpu}` ({platform.machine()}, one thread unless stated), "
        f"by `benchmarks/run.py`; medians of {opts.iterations} runs (reference: 1 run)"
        + (f"; libraries compiled ahead of time by `attnc --mcpu={manifest['mcpu']}"
           + (f" --vector-bits={manifest['vector_bits']}" if manifest.get("vector_bits") else "")
           + "` "
           f"(`--compile-only`), timed through the Python package (`--libraries`)"
           if manifest else "") + ".",
        "",
        f"Ceilings measured in the same run (`benchmarks/probes.c`): "
        f"{ceilings['fma_gflops']} GFLOP/s f32 FMA ({ceilings['vector_lanes']} lanes), "
        f"bf16 dot: {str(ceilings['bf16_gflops']) + ' GFLOP/s' if ceilings['bf16_gflops'] else 'none (no avx512_bf16)'}, "
        f"AMX bf16 tile products: {str(ceilings['amx_gflops']) + ' GFLOP/s' if ceilings.get('amx_gflops') else 'none (no amx_bf16)'}, "
        f"{ceilings['dram_read_gbs']} GB/s DRAM read from huge pages, as "
        f"attn-run holds its inputs ({ceilings['dram_read_4k_pages_gbs']} GB/s "
        f"from 4 KiB pages).",
        "",
        "| case | time (ms) | rate | of ceiling | reference (ms) | speed-up | torch SDPA (ms) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ref = f"{r['ref_ms']:.1f}" if r["ref_ms"] else "-"
        speed = f"{r['speedup']:.1f}x" if r["speedup"] else "-"
        torch_ms = f"{r['torch_ms']:.2f}" if r["torch_ms"] else "n/a"
        fraction = (f"{r['fraction']:.2f}x one thread" if r.get("fraction_label")
                    else f"{r['fraction']:.1%}")
        lines.append(f"| {r['id']}: {r['title']} | {r['ms']:.2f} | {r['rate']} | "
                     f"{fraction} | {ref} | {speed} | {torch_ms} |")
    lines += ["", "## Targets (issue 4)", "",
              "| target | measured | met | gap | what limits it |",
              "|---|---|---|---|---|"]
    by_id = {r["id"]: r for r in rows}

    def target(text, measured, met, gap=None, key=None, note=""):
        """`gap`: how far the measurement is from the goal (goal / measured
        for a rate), shown for a miss with where the docs say what limits
        it (LIMIT_SECTIONS) and `note`, what this run measured of it)."""
        gap_text = f"{gap:.2f}x" if gap and not met else ""
        section = LIMIT_SECTIONS.get(key, "Current limits: other cases")
        limit = f'docs/performance.md, "{section}"{note}' if not met else ""
        lines.append(f"| {text} | {measured} | {'yes' if met else '**no**'} | "
                     f"{gap_text} | {limit} |")

    if "1" in by_id:
        target("1: MHA prefill >= 70% of FMA", f"{by_id['1']['fraction']:.1%}",
               by_id["1"]["fraction"] >= 0.70, 0.70 / by_id["1"]["fraction"], "1")
    if "2" in by_id:
        target("2: causal >= 60% of FMA (unmasked FLOPs)", f"{by_id['2']['fraction']:.1%}",
               by_id["2"]["fraction"] >= 0.60, 0.60 / by_id["2"]["fraction"], "2")
    if "3" in by_id:
        hand = by_id.get("3/hand")
        note = (f". In this run the hand-written kernel (3/hand) reached "
                f"{hand['fraction']:.1%} in {hand['ms']:.2f} ms, attnc's "
                f"{by_id['3']['ms'] / hand['ms']:.2f}x its time" if hand else "")
        target("3: GQA decode >= 80% of DRAM read", f"{by_id['3']['fraction']:.1%}",
               by_id["3"]["fraction"] >= 0.80, 0.80 / by_id["3"]["fraction"], "3", note)
        if "3b" in by_id:
            ratio = by_id["3"]["ms"] / by_id["3b"]["ms"]
            target("3: Hq=32 within 1.2x the time of Hq=8", f"{ratio:.2f}x", ratio <= 1.2,
                   ratio / 1.2, "3/ratio")
    if "4" in by_id:
        target("4: MLA absorbed decode >= 50% of the bf16 ceiling "
               "(the f32 FMA ceiling where the CPU has no bf16 dot)",
               f"{by_id['4']['fraction']:.1%}", by_id["4"]["fraction"] >= 0.50,
               0.50 / by_id["4"]["fraction"], "4")
    amx = ceilings.get("amx_gflops")
    for cid in ("7a", "7b", "4"):
        r = by_id.get(cid)
        if r and r["torch_ms"]:
            ratio = r["torch_ms"] / r["ms"]
            target(f"AMX: {r['title']} >= 1.2x torch SDPA (bf16)", f"{ratio:.2f}x",
                   ratio >= 1.2, 1.2 / ratio, "amx",
                   "" if amx else ". This CPU has no AMX: attnc ran on vdpbf16ps")
    for cid in ("7a", "7b"):
        if cid in by_id and amx:
            target(f"AMX: {by_id[cid]['title']} >= 60% of the AMX probe",
                   f"{by_id[cid]['fraction']:.1%}", by_id[cid]["fraction"] >= 0.60,
                   0.60 / by_id[cid]["fraction"], "amx")
    for cid in ("5a", "5b", "5c"):
        if cid in by_id:
            target(f"5: {by_id[cid]['title']} >= 60% of its roof",
                   f"{by_id[cid]['fraction']:.1%}", by_id[cid]["fraction"] >= 0.60,
                   0.60 / by_id[cid]["fraction"], cid)
    for cid in ("6/1", "6/4"):
        if cid in by_id:
            target(f"6: two threads >= 1.7x one thread on case {cid[2:]}",
                   f"{by_id[cid]['fraction']:.2f}x", by_id[cid]["fraction"] >= 1.7,
                   1.7 / by_id[cid]["fraction"], cid)
    if memory:
        target("peak RSS at S=T=32768, H=1, D=128 within 1.25x of inputs plus outputs "
               f"(above attn-run's {memory[1]:.0f} MB baseline; peak {memory[0]:.0f} MB, "
               f"data {memory[2]:.0f} MB)", f"{memory[3]:.2f}x", memory[3] <= 1.25,
               memory[3] / 1.25, "memory")
    lines += ["", "The profiles behind \"what limits it\", and the fix each miss needs, are "
              "in `docs/performance.md`."]
    with open(opts.output, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {opts.output}")


if __name__ == "__main__":
    main()
