#!/usr/bin/env python3
"""Tensor-parallel decode over MPI ranks: MLRA-4 against MLA.

  benchmarks/tensor_parallel.py [--build build] [--tokens 65536] [--iterations 5]
      [--ranks 1,2,4] [--mpirun "mpiexec --oversubscribe"] [--output benchmarks/RESULTS.md]

One decode step (one query token) at the MLRA paper's sizes: 24 heads,
no-RoPE and value head dims 128, a latent of 512 in 4 blocks of 128 (MLRA-4)
or one of 512 (MLA), a RoPE key of 64, a bf16 cache of --tokens tokens.
Each variant runs as 1 process (`attn-run --benchmark`) and as 2 and 4 MPI
ranks (`mpiexec -np K attn-run --tensor-parallel=K --benchmark`), each rank
reading its own slices of the inputs. For each row: the cache bytes one
rank reads per step (from the partitioned signature: the latent and RoPE-key
slices a rank holds), every rank's median time (from a barrier to the end
of its own call), the step (from the first rank's start to the last rank's
end: ranks that share a core do not all run at once), an all-reduce of the
output on its own (attn-run times MPI_Allreduce of the result's size) and
its share of the step, and the DRAM-read ceiling of this machine measured in
the same run (benchmarks/probes.c). The table replaces the section of the same title
in --output.
"""

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "utils"))
import run as bench  # noqa: E402  (ceiling probes, CPU name)
import check_attention  # noqa: E402  (signature parsing, bf16 bits)

SECTION = "## Tensor-parallel decode over MPI ranks (benchmarks/tensor_parallel.py)"

HEADS, DN, DV, DR, DC, BLOCKS = 24, 128, 128, 64, 512, 4


def latent_module(blocks, tokens):
    """One decode step of MLA (blocks=1) or MLRA-4 (blocks=4), bf16."""
    db = DC // blocks
    latent = f"1x{tokens}x{db}" if blocks == 1 else f"1x{tokens}x{blocks}x{db}"
    w = lambda d: f"{HEADS}x{db}x{d}" if blocks == 1 else f"{blocks}x{HEADS}x{db}x{d}"
    weight = "" if blocks == 1 else " weight(0.5)"
    t = lambda s: f"tensor<{s}xbf16>"
    return f"""func.func @main(%q_nope: {t(f"1x1x{HEADS}x{DN}")}, %q_rope: {t(f"1x1x{HEADS}x{DR}")},
                %latent: {t(latent)}, %k_rope: {t(f"1x{tokens}x{DR}")},
                %w_uk: {t(w(DN))}, %w_uv: {t(w(DV))}) -> {t(f"1x1x{HEADS}x{DV}")} {{
  %init = tensor.empty() : {t(f"1x1x{HEADS}x{DV}")}
  %o = attn.latent_attention
         queries(%q_nope, %q_rope : {t(f"1x1x{HEADS}x{DN}")}, {t(f"1x1x{HEADS}x{DR}")})
         latent(%latent, %k_rope : {t(latent)}, {t(f"1x{tokens}x{DR}")})
         up_projections(%w_uk, %w_uv : {t(w(DN))}, {t(w(DV))})
         outs(%init : {t(f"1x1x{HEADS}x{DV}")}) scale(0.07216878364870323 : f32){weight}
         -> {t(f"1x1x{HEADS}x{DV}")}
  return %o : {t(f"1x1x{HEADS}x{DV}")}
}}
"""


def decode_flops(blocks, tokens):
    """Absorbed decode FLOPs of one step (a multiply-add counts 2): per
    branch and head, scores over the block and the RoPE key, and the block
    aggregated."""
    db = DC // blocks
    return blocks * 2 * HEADS * tokens * (2 * db + DR)


def bf16_array(rng, shape, std):
    return check_attention.to_bf16_bits(rng.standard_normal(shape, dtype=np.float32) * std)


def run_case(opts, tmp, name, mlir, ranks):
    """Times one variant on `ranks` processes; returns a result dict."""
    path = os.path.join(tmp, f"{name}.mlir")
    with open(path, "w") as f:
        f.write(mlir)
    whole, _ = check_attention.parse_signature(mlir, "main")
    local = whole
    if ranks > 1:
        local, _ = check_attention.partitioned_signature(
            os.path.join(opts.build, "bin", "attn-opt"), path, "main", ranks)
    rng = np.random.default_rng(0)
    roles = ["q_nope", "q_rope", "latent", "k_rope", "w_uk", "w_uv"]
    arrays = [bf16_array(rng, shape, 1.0 / np.sqrt(shape[-2]) if role.startswith("w_") else 1.0)
              for role, (shape, _) in zip(roles, whole)]
    inputs, nbytes = check_attention.write_rank_slices(arrays, local, ranks, tmp, name)
    cache_bytes = sum(b for role, b in zip(roles, nbytes) if role in ("latent", "k_rope"))
    attn_run = os.path.join(opts.build, "bin", "attn-run")
    if ranks == 1:
        cmd = ["taskset", "-c", "1", attn_run, path,
               *[f"--input=@{p.replace('{rank}', '0')}" for p in inputs]]
    else:
        # One core per rank where there are enough cores; otherwise the ranks
        # share them, unbound.
        bind = "core" if ranks <= os.cpu_count() else "none"
        cmd = check_attention.tensor_parallel_command(
            f"{opts.mpirun} --bind-to {bind}", attn_run, path, "main", ranks, inputs)
    proc = subprocess.run(cmd + [f"--benchmark={opts.iterations}"], capture_output=True,
                          text=True)
    if proc.returncode != 0:
        sys.exit(f"tensor_parallel: {name} on {ranks} ranks failed:\n{proc.stderr}")
    timing = json.loads(proc.stdout.strip().splitlines()[-1])
    per_rank = timing.get("rank_median_ms", [timing["median_ms"]])
    return {"ranks": ranks, "cache_bytes": cache_bytes, "per_rank_ms": per_rank,
            "step_ms": timing.get("step_median_ms", timing["median_ms"]),
            "all_reduce_ms": timing.get("all_reduce_median_ms", 0.0)}


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--tokens", type=int, default=65536)
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--ranks", default="1,2,4")
    parser.add_argument("--mpirun", default="mpiexec --oversubscribe" +
                        (" --allow-run-as-root" if os.geteuid() == 0 else ""))
    parser.add_argument("--output", default=os.path.join(HERE, "RESULTS.md"))
    opts = parser.parse_args()
    ranks = [int(r) for r in opts.ranks.split(",")]

    with tempfile.TemporaryDirectory() as tmp:
        ceilings = bench.measure_ceilings(tmp)
        print(f"ceilings: {ceilings['dram_read_gbs']} GB/s DRAM read", flush=True)
        rows = []
        for name, blocks in (("mlra4", BLOCKS), ("mla", 1)):
            for k in ranks:
                r = run_case(opts, tmp, name, latent_module(blocks, opts.tokens), k)
                r["name"] = "MLRA-4" if blocks == BLOCKS else "MLA"
                r["flops_per_rank"] = decode_flops(blocks, opts.tokens) / k
                print(json.dumps(r), flush=True)
                rows.append(r)

    lines = [SECTION, "",
             f"{datetime.date.today()}, {bench.cpu_name()} ({os.cpu_count()} cores), "
             f"`benchmarks/tensor_parallel.py --tokens {opts.tokens} --iterations "
             f"{opts.iterations}`. One decode step, bf16 cache of {opts.tokens} tokens, "
             f"{HEADS} heads, latent {DC} (MLRA-4: 4 blocks of {DC // BLOCKS}), RoPE key {DR}. "
             f"1 rank: `attn-run` pinned to one core; K ranks: `{opts.mpirun} -np K attn-run "
             f"--tensor-parallel=K`, each rank bound to a core while there are enough cores, "
             f"unbound beyond. Medians of {opts.iterations} steps per rank; the all-reduce "
             f"is an MPI_Allreduce of the output's size timed on its own in the same run. "
             f"DRAM read ceiling measured in the same run: {ceilings['dram_read_gbs']} GB/s.",
             "",
             "| variant | ranks | cache bytes per rank per step | per-rank time (ms, min-max) "
             "| rank GB/s (cache) | rank GFLOP/s | step (ms) | all-reduce (ms) "
             "| all-reduce share of step |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        slowest = max(r["per_rank_ms"])
        share = r["all_reduce_ms"] / r["step_ms"] if r["step_ms"] else 0.0
        lines.append(f"| {r['name']} | {r['ranks']} | {r['cache_bytes'] / 1e6:.1f} MB "
                     f"({r['cache_bytes'] // opts.tokens} per token) | "
                     f"{min(r['per_rank_ms']):.2f}-{slowest:.2f} | "
                     f"{r['cache_bytes'] / slowest / 1e6:.1f} | "
                     f"{r['flops_per_rank'] / slowest / 1e6:.1f} | {r['step_ms']:.2f} | "
                     f"{r['all_reduce_ms']:.3f} | {100 * share:.1f}% |")
    # What the rows say, from this run's numbers.
    by = {(r["name"], r["ranks"]): r for r in rows}
    cores = os.cpu_count()
    notes = []
    for name in ("MLRA-4", "MLA"):
        one = by.get((name, 1))
        for k in ranks:
            r = by.get((name, k))
            if not one or not r or k == 1:
                continue
            notes.append(f"{name} on {k} ranks: a step takes {r['step_ms']:.1f} ms against "
                         f"{one['step_ms']:.1f} on one ({one['step_ms'] / r['step_ms']:.2f}x"
                         + (f"; the {k} ranks share {cores} cores, so each rank runs about "
                            f"{cores}/{k} of the time" if k > cores else "")
                         + f"), each rank at {r['flops_per_rank'] / max(r['per_rank_ms']) / 1e6:.1f} "
                         f"GFLOP/s of its own time against {one['flops_per_rank'] / one['step_ms'] / 1e6:.1f} "
                         f"on one.")
    notes.append("MLA splits by query head: every rank still streams the whole latent, "
                 "for fewer heads, so each latent tile it loads serves fewer query rows "
                 "(the absorbed heads are the rows of one tile) and its rate per rank drops; "
                 "an MLRA-4 rank keeps all heads on a quarter of the latent.")
    peak = max(r["cache_bytes"] / max(r["per_rank_ms"]) / 1e6 for r in rows)
    notes.append(f"Every rank reads its cache at {peak:.1f} GB/s at most, "
                 f"{100 * peak / ceilings['dram_read_gbs']:.0f}% of this machine's DRAM read "
                 f"ceiling: on a CPU core an absorbed decode step is bound by its FLOPs "
                 f"(about 1.9 x heads FLOPs per cache byte), so splitting the cache saves "
                 f"time here only through the FLOPs each rank drops.")
    mlra, mla = by.get(("MLRA-4", max(ranks))), by.get(("MLA", max(ranks)))
    if mlra and mla:
        notes.append(f"On {max(ranks)} devices that stream the cache at the same bandwidth "
                     f"(a decode step on a GPU is bound by it), each MLRA-4 rank reads "
                     f"{mlra['cache_bytes'] / 1e6:.1f} MB per step and each MLA rank "
                     f"{mla['cache_bytes'] / 1e6:.1f} MB, the whole latent: "
                     f"{mla['cache_bytes'] / mlra['cache_bytes']:.1f}x less traffic per step "
                     f"for MLRA-4, while its all-reduce of the "
                     f"{HEADS}x{DV} output costs {mlra['all_reduce_ms']:.3f} ms here.")
    lines += [""] + notes
    table = "\n".join(lines) + "\n"
    print(table)
    text = open(opts.output).read() if os.path.exists(opts.output) else ""
    pattern = re.compile(re.escape(SECTION) + r".*?(?=\n## |\Z)", re.S)
    text = pattern.sub(table.rstrip("\n"), text) if pattern.search(text) else \
        text.rstrip("\n") + "\n\n" + table
    with open(opts.output, "w") as f:
        f.write(text if text.endswith("\n") else text + "\n")


if __name__ == "__main__":
    main()
