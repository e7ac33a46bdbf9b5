#!/usr/bin/env python3
"""GPU benchmarks: attnc's kernels against torch's scaled_dot_product_attention
backends, on one GPU, side by side in one run.

  benchmarks/gpu.py prepare DIR [--chip sm_90]     here (MLIR): compile the
      cases' kernels with attnc --target=nvptx into DIR
  benchmarks/gpu.py run DIR --gpu-run BIN [--output FILE] [--iterations N]
      on the GPU machine (torch, numpy; no MLIR)

`run` measures the device's ceilings first (torch's bf16 8192^3 matmul,
TFLOP/s; a device-to-device copy, GB/s), then per case: attnc's kernels
through attn-gpu-run --benchmark (CUDA events, median) and torch's SDPA with
each backend it has for the case (flash, cuDNN, efficient), on the same
inputs. The table goes to FILE (default benchmarks/RESULTS-gpu.md) with the
device, the driver and the date. FLOPs count a multiply-add as 2; causal
cases count only unmasked work; decode cases report the bytes of K and V
(MLA: the latent and the RoPE key) read per step, and MLA decode also its
TFLOP/s.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name: (query heads, kv heads, batch, queries, keys, head dim, causal)
CASES = {
    "mha-prefill": (16, 16, 1, 4096, 4096, 128, False),
    "mha-prefill-causal": (16, 16, 1, 4096, 4096, 128, True),
    "gqa-decode": (32, 8, 64, 1, 8192, 128, False),
}

# MLA absorbed decode, as attention over the cached latent: one KV head whose
# key is [latent ; RoPE key] and whose value is the latent itself.
# name: (query heads, batch, keys, latent width d_c, RoPE width d_R)
MLA_CASES = {
    "mla-decode-h128": (128, 64, 8192, 512, 64),
    "mla-decode-h16": (16, 64, 8192, 512, 64),
}


def case_mlir(hq, hkv, b, s, t, d, causal):
    q, kv = f"{b}x{hq}x{s}x{d}xbf16", f"{b}x{hkv}x{t}x{d}xbf16"
    mask = " masking(causal)" if causal else ""
    return f"""func.func @main(%q: tensor<{q}>, %k: tensor<{kv}>, %v: tensor<{kv}>) -> tensor<{q}> {{
  %init = tensor.empty() : tensor<{q}>
  %o = attn.attention queries(%q : tensor<{q}>) keys(%k : tensor<{kv}>) values(%v : tensor<{kv}>)
         outs(%init : tensor<{q}>) scale({d ** -0.5} : f32){mask}
         indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
                          affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
                          affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
                          affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>] -> tensor<{q}>
  return %o : tensor<{q}>
}}
"""


def mla_case_mlir(h, b, t, dc, dr):
    ql, qr = f"{b}x{h}x1x{dc}xbf16", f"{b}x{h}x1x{dr}xbf16"
    lat, rope = f"{b}x1x{t}x{dc}xbf16", f"{b}x1x{t}x{dr}xbf16"
    return f"""func.func @main(%ql: tensor<{ql}>, %qr: tensor<{qr}>, %lat: tensor<{lat}>,
                %rope: tensor<{rope}>) -> tensor<{ql}> {{
  %init = tensor.empty() : tensor<{ql}>
  %o = attn.attention queries(%ql, %qr : tensor<{ql}>, tensor<{qr}>)
         keys(%lat, %rope : tensor<{lat}>, tensor<{rope}>) values(%lat : tensor<{lat}>)
         outs(%init : tensor<{ql}>) scale({(dc + dr) ** -0.5} : f32)
         indexing_maps = [affine_map<(b, h, s, t, d, r, e) -> (b, h, s, d)>,
                          affine_map<(b, h, s, t, d, r, e) -> (b, h, s, r)>,
                          affine_map<(b, h, s, t, d, r, e) -> (b, h, t, d)>,
                          affine_map<(b, h, s, t, d, r, e) -> (b, h, t, r)>,
                          affine_map<(b, h, s, t, d, r, e) -> (b, h, t, e)>,
                          affine_map<(b, h, s, t, d, r, e) -> (b, h, s, e)>] -> tensor<{ql}>
  return %o : tensor<{ql}>
}}
"""


def prepare(opts):
    attnc = os.environ.get("ATTNC", os.path.join(ROOT, "build", "bin", "attnc"))
    os.makedirs(opts.dir, exist_ok=True)
    sources = {name: case_mlir(*shape) for name, shape in CASES.items()}
    sources.update({name: mla_case_mlir(*shape) for name, shape in MLA_CASES.items()})
    for name, text in sources.items():
        path = os.path.join(opts.dir, name + ".mlir")
        with open(path, "w") as f:
            f.write(text)
        subprocess.run([attnc, path, "--target=nvptx", f"--chip={opts.chip}", "-o",
                        os.path.join(opts.dir, name + ".ptx")], check=True)
    print(f"gpu.py: {len(sources)} cases for {opts.chip} in {opts.dir}")


def median_ms(fn, iterations):
    import torch
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    fn()
    times = []
    for _ in range(iterations):
        start.record()
        fn()
        stop.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(stop))
    return sorted(times)[len(times) // 2]


def run(opts):
    import numpy as np
    import torch
    if not torch.cuda.is_available():
        sys.exit("gpu.py: torch sees no CUDA device")
    from torch.nn.attention import SDPBackend, sdpa_kernel
    dev = torch.device("cuda")
    name = torch.cuda.get_device_name()
    driver = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                            capture_output=True, text=True).stdout.strip()
    n = 8192
    a = torch.randn(n, n, device=dev, dtype=torch.bfloat16)
    matmul_tflops = 2 * n ** 3 / median_ms(lambda: a @ a, opts.iterations) / 1e9
    big = torch.empty(1 << 30, device=dev, dtype=torch.uint8)
    other = torch.empty_like(big)
    copy_gbs = 2 * big.numel() / median_ms(lambda: other.copy_(big), opts.iterations) / 1e6
    rows = []

    def measure(case, arrays, sdpa_args, causal, gqa, work, kv_bytes, decode):
        """attnc's kernels on `arrays` (bf16) and torch's SDPA backends on
        the tensors that `sdpa_args` makes of them."""
        tensors = [torch.from_numpy(x).to(dev, torch.bfloat16) for x in arrays]
        with tempfile.TemporaryDirectory() as tmp:
            paths = []
            for i, x in enumerate(tensors):
                paths.append(os.path.join(tmp, f"arg{i}.npy"))
                np.save(paths[-1], x.view(torch.int16).cpu().numpy().view(np.uint16))
            proc = subprocess.run(
                [opts.gpu_run, os.path.join(opts.dir, case + ".ptx.json"),
                 *[f"--input=@{p}" for p in paths], f"--benchmark={opts.iterations}"],
                capture_output=True, text=True)
        attnc_ms = (json.loads(proc.stdout.strip().splitlines()[-1])["median_ms"]
                    if proc.returncode == 0 else None)
        if attnc_ms is None:
            sys.stderr.write(proc.stderr)
        q, k, v = sdpa_args(tensors)
        torch_ms = {}
        for label, backend in (("flash", SDPBackend.FLASH_ATTENTION),
                               ("cudnn", SDPBackend.CUDNN_ATTENTION),
                               ("efficient", SDPBackend.EFFICIENT_ATTENTION)):
            try:
                with sdpa_kernel(backend):
                    fn = lambda: torch.nn.functional.scaled_dot_product_attention(  # noqa: E731
                        q, k, v, is_causal=causal, enable_gqa=gqa)
                    torch_ms[label] = median_ms(fn, opts.iterations)
            except RuntimeError:
                torch_ms[label] = None
        rows.append((case, attnc_ms, torch_ms, work, kv_bytes, decode))
        print(case, attnc_ms, torch_ms, flush=True)

    for case, (hq, hkv, b, s, t, d, causal) in CASES.items():
        rng = np.random.default_rng(1)
        arrays = [rng.standard_normal((b, h, n_, d), dtype=np.float32) * 0.5
                  for h, n_ in ((hq, s), (hkv, t), (hkv, t))]
        work = 4 * b * hq * s * t * d * (0.5 if causal and s == t else 1.0)
        kv_bytes = 2 * b * hkv * t * d * 2
        measure(case, arrays, lambda x: x, causal, hq != hkv, work, kv_bytes, s == 1)
    for case, (h, b, t, dc, dr) in MLA_CASES.items():
        rng = np.random.default_rng(1)
        arrays = [rng.standard_normal(shape, dtype=np.float32) * 0.5
                  for shape in ((b, h, 1, dc), (b, h, 1, dr), (b, 1, t, dc), (b, 1, t, dr))]
        # Scores over d_c + d_R, P.V over d_c; the latent and RoPE key read once.
        work = 2 * b * h * t * (2 * dc + dr)
        kv_bytes = b * t * (dc + dr) * 2
        measure(case, arrays,
                lambda x: (torch.cat(x[0:2], -1), torch.cat(x[2:4], -1), x[2]),
                False, True, work, kv_bytes, True)

    def fmt(ms, work, kv_bytes, decode):
        if ms is None:
            return "n/a"
        flops = f"{work / ms / 1e9:.1f} TFLOP/s"
        rate = f"{kv_bytes / ms / 1e6:.0f} GB/s, {flops}" if decode else flops
        return f"{ms:.3f} ms ({rate})"
    lines = [
        "# GPU results", "",
        f"{name}, driver {driver}, {datetime.date.today().isoformat()}; "
        f"`benchmarks/gpu.py run`, {opts.iterations} iterations, medians.", "",
        f"Ceilings in the same run: bf16 matmul {matmul_tflops:.0f} TFLOP/s, "
        f"device-to-device copy {copy_gbs:.0f} GB/s.", "",
        "| case | attnc | torch flash | torch cuDNN | torch efficient |",
        "|---|---|---|---|---|"]
    for case, attnc_ms, torch_ms, work, kv_bytes, decode in rows:
        lines.append(f"| {case} | {fmt(attnc_ms, work, kv_bytes, decode)} | "
                     + " | ".join(fmt(torch_ms[k], work, kv_bytes, decode)
                                  for k in ("flash", "cudnn", "efficient")) + " |")
    with open(opts.output, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {opts.output}")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("dir")
    p.add_argument("--chip", default="sm_90")
    r = sub.add_parser("run")
    r.add_argument("dir")
    r.add_argument("--gpu-run", required=True)
    r.add_argument("--output", default=os.path.join(ROOT, "benchmarks", "RESULTS-gpu.md"))
    r.add_argument("--iterations", type=int, default=10)
    opts = parser.parse_args()
    return prepare(opts) if opts.mode == "prepare" else run(opts)


if __name__ == "__main__":
    sys.exit(main())
