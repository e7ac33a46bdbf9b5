#!/usr/bin/env python3
"""The models section of the benchmarks: attnc's compiled model IR against
torch eager on the same inputs, one thread, side by side in one run.

  python3 benchmarks/models.py [--iterations N] [--output benchmarks/RESULTS.md]
                               [--only CASE,...]

Each case builds a layer from a transformers config with random weights
(nothing downloaded, nothing committed), exports it with torch-mlir's fx
importer (weights passed as function arguments through functional_call, so
the IR stays small), compiles it through attn-run's JIT and times it with
`attn-run --benchmark` and the module itself in torch eager
(torch.set_num_threads(1)), both on one core, on the same inputs;
attnc's output is checked against torch's. Rows:

  llama-layer-prefill / -decode   a Llama-3.2-1B-like LlamaDecoderLayer:
      hidden 2048, 32 heads, 8 KV heads, head dim 64, intermediate 8192;
      prefill S=512 (causal), decode one token against a 4096-token cache;
  llama-attention-prefill / -decode   its attention part alone: torch's
      scaled_dot_product_attention (GQA) on the layer's Q, K, V shapes;
  mla-prefill / -decode   a DeepSeek-V2-Lite-like DeepseekV3Attention:
      hidden 2048, 16 heads, kv_lora_rank 512, qk_rope 64, qk_nope 128,
      v 128; prefill S=512, decode against a 4096-token compressed cache;
  mla-attention-prefill / -decode   its attention part alone: HF's
      expand_kv (kv_b_proj) and eager attention from the compressed cache
      and the queries, as DeepseekV3Attention runs it;
  gemm-MxKxN   the Llama layer's prefill GEMMs alone: torch.nn.Linear
      (K inputs, N outputs) on M rows, reported in GFLOP/s against the
      f32 FMA ceiling that benchmarks/probes.c measures in the same run;
  mla-latent-[B,T,C] / -[B,T,1,C]   absorbed MLA decode in attn IR (16 heads,
      T=4096, C=512) over a latent with and without its unit head dim: the
      two must run at the same speed (no layout cliff).

Targets: the attention parts at least 1.5x torch's speed, the whole layers
and GEMMs at least 1.0x. Needs torch, torch-mlir and transformers (README, "Model IR
from torch-mlir"); without them it says so and writes nothing.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

from run import ROOT, cpu_name, measure_ceilings, median_ms, time_attn_run

CORE = 1  # both sides run on this core


def pin():
    """Pins this process, and the attn-run processes it starts, to CORE."""
    try:
        os.sched_setaffinity(0, {CORE})
    except (AttributeError, OSError):
        pass


def randn(seed, *shapes):
    """Inputs of the given shapes, drawn in order from torch's generator
    seeded with `seed`."""
    import torch
    g = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(*shape, generator=g) for shape in shapes)


class Functional:
    """A module with its parameters and buffers as trailing arguments, so
    that the exported function takes them as inputs (no dense_resource
    weights in the IR)."""

    def __init__(self, module, names):
        import torch
        self.module = module
        self.names = names
        self.wrapper = type("Wrapper", (torch.nn.Module,), {
            "forward": lambda _, *args: self.call(*args)})()

    def call(self, *args):
        from torch.func import functional_call
        count = len(args) - len(self.names)
        params = dict(zip(self.names, args[count:]))
        return functional_call(self.module, params, args[:count])


def exporters():
    """utils/export_models.py: the layers of the acceptance set, built here
    at real sizes."""
    sys.path.insert(0, os.path.join(ROOT, "utils"))
    import export_models
    return export_models


def llama_layer(decode):
    em = exporters()
    config = em.llama_config("sdpa", hidden_size=2048, num_attention_heads=32,
                             num_key_value_heads=8, head_dim=64, intermediate_size=8192,
                             max_position_embeddings=8192, rms_norm_eps=1e-5)
    inputs = randn(11, (1, 1, 2048), (1, 8, 4096, 64), (1, 8, 4096, 64)) if decode else \
        randn(11, (1, 512, 2048))
    return em.LlamaLayer(config), inputs


def llama_attention(decode):
    s, t = (1, 4096) if decode else (512, 512)
    return exporters().Sdpa(is_causal=not decode, enable_gqa=True), \
        randn(12, (1, 32, s, 64), (1, 8, t, 64), (1, 8, t, 64))


def mla_config():
    return exporters().deepseek_config(
        None, hidden_size=2048, num_attention_heads=16, num_key_value_heads=16,
        kv_lora_rank=512, qk_rope_head_dim=64, qk_nope_head_dim=128, v_head_dim=128,
        intermediate_size=8192, moe_intermediate_size=1408, max_position_embeddings=8192)


def mla_layer(decode):
    inputs = randn(13, (1, 1, 2048), (1, 1, 4096, 512), (1, 1, 4096, 64)) if decode else \
        randn(13, (1, 512, 2048))
    return exporters().DeepseekAttentionLayer(None, mla_config()), inputs


def mla_attention(decode):
    """HF's attention from the compressed cache: kv_b_proj expands the
    latent into K_nope and V per head, K gets the shared RoPE key, then
    eager attention, as DeepseekV3Attention.forward runs after its cache."""
    s, t = (1, 4096) if decode else (512, 512)
    return exporters().DeepseekAttentionFromCache(mla_config()), \
        randn(14, (1, 16, s, 192), (1, 1, t, 512), (1, 1, t, 64))


def linear(rows, inputs, outputs):
    """torch.nn.Linear without bias, which torch-mlir exports as a transpose
    of the [out, in] weight and a matmul: the layers' GEMMs alone."""
    import torch
    torch.manual_seed(16)
    return torch.nn.Linear(inputs, outputs, bias=False), randn(16, (rows, inputs))


TORCH_CASES = {
    "llama-layer-prefill": ("layer", lambda: llama_layer(False)),
    "llama-layer-decode": ("layer", lambda: llama_layer(True)),
    "llama-attention-prefill": ("attention", lambda: llama_attention(False)),
    "llama-attention-decode": ("attention", lambda: llama_attention(True)),
    "mla-prefill": ("layer", lambda: mla_layer(False)),
    "mla-decode": ("layer", lambda: mla_layer(True)),
    "mla-attention-prefill": ("attention", lambda: mla_attention(False)),
    "mla-attention-decode": ("attention", lambda: mla_attention(True)),
    # The Llama layer's GEMMs at prefill: q and o projections, MLP up, down.
    "gemm-512x2048x2048": ("gemm", lambda: linear(512, 2048, 2048)),
    "gemm-512x2048x8192": ("gemm", lambda: linear(512, 2048, 8192)),
    "gemm-512x8192x2048": ("gemm", lambda: linear(512, 8192, 2048)),
}
TARGETS = {"layer": 1.0, "attention": 1.5, "gemm": 1.0}


def time_torch(module, inputs, iterations):
    import torch
    torch.set_num_threads(1)
    with torch.no_grad():
        return median_ms(lambda: module(*inputs), iterations)


def attn_run(mlir_path, inputs, iterations, extra=()):
    """Median ms of `attn-run --benchmark` on the .npy `inputs`, on CORE."""
    return time_attn_run(os.path.join(ROOT, "build", "bin", "attn-run"), mlir_path, inputs,
                         iterations, extra)


def run_torch_case(name, kind, make, iterations, tmp):
    import torch
    from torch_mlir import fx
    torch.manual_seed(0)
    module, inputs = make()
    module.eval()
    names = [n for n, _ in module.named_parameters()] + \
            [n for n, _ in module.named_buffers()]
    state = dict(module.named_parameters())
    state.update(dict(module.named_buffers()))
    weights = tuple(state[n].detach() for n in names)
    functional = Functional(module, names)
    with torch.no_grad():
        expected = module(*inputs)
        expected = expected[0] if isinstance(expected, tuple) else expected
        ir = fx.export_and_import(functional.wrapper, *inputs, *weights,
                                  output_type="linalg-on-tensors", func_name="main")
    path = os.path.join(tmp, name + ".mlir")
    with open(path, "w") as f:
        f.write(str(ir))
    arrays = []
    for i, x in enumerate(inputs + weights):
        arrays.append(os.path.join(tmp, f"{name}.{i}.npy"))
        np.save(arrays[-1], x.numpy())
    out = os.path.join(tmp, name + ".out.npy")
    raised = subprocess.run([os.path.join(ROOT, "build", "bin", "attn-opt"), path,
                             "--attn-decompose-aggregates", "--attn-raise-attention"],
                            capture_output=True, text=True).stdout
    op = ("attn.latent_attention" if "attn.latent_attention" in raised else
          "attn.attention" if "attn.attention" in raised else "not raised")
    attnc_ms = attn_run(path, arrays, iterations, [f"--output=@{out}"])
    got = np.load(out)
    ref = expected.numpy().astype(np.float64)
    err = float(np.abs(got - ref).max() / np.abs(ref).max())
    torch_ms = time_torch(module, inputs, iterations)
    return {"case": name, "kind": kind, "torch_ms": torch_ms, "attnc_ms": attnc_ms,
            "err": err, "op": op}


def latent_layout_rows(iterations, tmp):
    """Absorbed MLA decode in attn IR over a latent [B, T, C] and [B, T, 1, C],
    heads ahead of the query in the iteration space."""
    rows = []
    rng = np.random.default_rng(15)
    q = (rng.standard_normal((1, 16, 1, 512)) * 0.05).astype(np.float32)
    latent = rng.standard_normal((1, 4096, 512)).astype(np.float32)
    for name, shape, kmap in (("mla-latent-[B,T,C]", "1x4096x512", "(b, t, c)"),
                              ("mla-latent-[B,T,1,C]", "1x4096x1x512", "(b, t, h, c)")):
        vmap = kmap.replace("c)", "e)")
        text = f"""func.func @main(%q: tensor<1x16x1x512xf32>, %l: tensor<{shape}xf32>) -> tensor<1x16x1x512xf32> {{
  %init = tensor.empty() : tensor<1x16x1x512xf32>
  %o = attn.attention queries(%q : tensor<1x16x1x512xf32>) keys(%l : tensor<{shape}xf32>)
         values(%l : tensor<{shape}xf32>) outs(%init : tensor<1x16x1x512xf32>) scale(0.0721 : f32)
         indexing_maps = [affine_map<(b, h, s, t, c, e) -> (b, h, s, c)>,
                          affine_map<(b, h, s, t, c, e) -> {kmap}>,
                          affine_map<(b, h, s, t, c, e) -> {vmap}>,
                          affine_map<(b, h, s, t, c, e) -> (b, h, s, e)>] -> tensor<1x16x1x512xf32>
  return %o : tensor<1x16x1x512xf32>
}}
"""
        path = os.path.join(tmp, name.replace("[", "").replace("]", "").replace(",", "") + ".mlir")
        with open(path, "w") as f:
            f.write(text)
        qp, lp = path + ".q.npy", path + ".l.npy"
        np.save(qp, q)
        np.save(lp, latent.reshape([int(x) for x in shape.split("x")]))
        rows.append({"case": name, "attnc_ms": attn_run(path, [qp, lp], iterations)})
    return rows


def gemm_gflops(case, ms):
    """GFLOP/s of a gemm-MxKxN case taking `ms`."""
    m, k, n = (int(x) for x in case.split("-")[1].split("x"))
    return 2 * m * k * n / ms / 1e6


def write_section(path, rows, layout, iterations, ceilings):
    lines = ["## Models (benchmarks/models.py)", "",
             f"{time.strftime('%Y-%m-%d')}, {cpu_name()}, one thread each (core {CORE}), "
             f"medians of {iterations} runs, torch eager and attnc on the same inputs in "
             f"one run. Targets: attention parts >= 1.5x torch, whole layers and GEMMs >= 1.0x. "
             f"Ceilings measured in the same run (`benchmarks/probes.c`): "
             f"{ceilings['fma_gflops']} GFLOP/s f32 FMA, {ceilings['dram_read_gbs']} GB/s "
             f"DRAM read. The gemm rows are the Llama layer's prefill projections "
             f"(M x K x N, f32, torch's Linear as torch-mlir exports it), in GFLOP/s "
             f"and as a share of the FMA ceiling.", "",
             "| case | raised as (gemm: GFLOP/s, of the FMA ceiling) | torch eager ms | attnc ms "
             "| speedup | target | max rel err |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        speedup = r["torch_ms"] / r["attnc_ms"]
        target = TARGETS[r["kind"]]
        status = "met" if speedup >= target else "**missed**"
        op = r["op"]
        if r["kind"] == "gemm":
            torch_rate, attnc_rate = (gemm_gflops(r["case"], r[k])
                                      for k in ("torch_ms", "attnc_ms"))
            op = (f"torch {torch_rate:.0f} GFLOP/s "
                  f"({100 * torch_rate / ceilings['fma_gflops']:.0f}%), attnc "
                  f"{attnc_rate:.0f} ({100 * attnc_rate / ceilings['fma_gflops']:.0f}%)")
        lines.append(f"| {r['case']} | {op} | {r['torch_ms']:.2f} | {r['attnc_ms']:.2f} | "
                     f"{speedup:.2f}x | >= {target}x: {status} | {r['err']:.1e} |")
    if layout:
        lines += ["", "| latent layout (absorbed MLA decode, attn IR) | attnc ms |", "|---|---|"]
        lines += [f"| {r['case']} | {r['attnc_ms']:.3f} |" for r in layout]
    section = "\n".join(lines) + "\n"
    text = open(path).read() if os.path.exists(path) else ""
    match = re.search(r"^## Models \(benchmarks/models\.py\).*?(?=^## |\Z)", text, re.S | re.M)
    text = (text[:match.start()] + section + "\n" + text[match.end():]) if match else \
        (text.rstrip("\n") + "\n\n" + section)
    with open(path, "w") as f:
        f.write(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=7)
    parser.add_argument("--output", default=os.path.join(ROOT, "benchmarks", "RESULTS.md"))
    parser.add_argument("--only", help="comma-separated case names")
    parser.add_argument("--keep", metavar="DIR",
                        help="write the exported IR and inputs into DIR and keep them")
    opts = parser.parse_args()
    pin()
    only = set(opts.only.split(",")) if opts.only else None
    try:
        import torch  # noqa: F401
        import torch_mlir  # noqa: F401
        import transformers  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        tmp = opts.keep or scratch
        os.makedirs(tmp, exist_ok=True)
        ceilings = measure_ceilings(tmp)
        print(f"ceilings: {ceilings['fma_gflops']} GFLOP/s f32 FMA, "
              f"{ceilings['dram_read_gbs']} GB/s DRAM read", flush=True)
        if have_torch:
            for name, (kind, make) in TORCH_CASES.items():
                if only and name not in only:
                    continue
                r = run_torch_case(name, kind, make, opts.iterations, tmp)
                print(f"{name}: torch {r['torch_ms']:.2f} ms, attnc {r['attnc_ms']:.2f} ms "
                      f"({r['torch_ms'] / r['attnc_ms']:.2f}x, {r['op']}, max rel err "
                      f"{r['err']:.1e})", flush=True)
                rows.append(r)
        else:
            print("models.py: torch, torch-mlir or transformers is not installed: "
                  "the torch rows are skipped")
        layout = [] if only and not any(n.startswith("mla-latent") for n in only) else \
            latent_layout_rows(opts.iterations, tmp)
        for r in layout:
            print(f"{r['case']}: attnc {r['attnc_ms']:.3f} ms", flush=True)
    if rows:
        write_section(opts.output, rows, layout, opts.iterations, ceilings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
