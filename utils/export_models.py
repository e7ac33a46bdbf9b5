#!/usr/bin/env python3
"""Exports the model-IR acceptance set with torch-mlir's fx importer: small
attention layers built from config objects with random weights (nothing is
downloaded), each as linalg-on-tensors MLIR with its inputs and torch's
outputs as .npy files, into test/Integration/Models/Inputs.

  export_models.py [OUT_DIR] [--only NAME,...]

Exports go to test/Integration/Models/Inputs, those with their weights as
inputs (split over MPI ranks) to test/Integration/MPI/Inputs, unless
OUT_DIR names one directory for all.

Needs torch, torch-mlir and transformers (README, "Model IR"); CI does not
run this script, it reads what it wrote. Sizes and seeds are fixed, so a
rerun writes the same files (up to the exporter's version).
"""
import argparse
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch_mlir import fx

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "test", "Integration", "Models", "Inputs")


def to_numpy(t):
    """bf16 travels as uint16 raw bits, as attn-run takes it."""
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().view(np.uint16)
    if t.dtype == torch.bool:
        return t.numpy()
    return t.detach().numpy()


def export(out_dir, name, module, inputs):
    module.eval()
    with torch.no_grad():
        expected = module(*inputs)
        if isinstance(expected, tuple):
            expected = expected[0]
        ir = fx.export_and_import(module, *inputs, output_type="linalg-on-tensors",
                                  func_name="main")
    with open(os.path.join(out_dir, name + ".mlir"), "w") as f:
        f.write(f"// Exported by utils/export_models.py ({name}) with torch "
                f"{torch.__version__}; inputs {name}.argN.npy, torch's output "
                f"{name}.out.npy.\n")
        f.write(str(ir))
    for i, x in enumerate(inputs):
        np.save(os.path.join(out_dir, f"{name}.arg{i}.npy"), to_numpy(x))
    np.save(os.path.join(out_dir, f"{name}.out.npy"), to_numpy(expected))
    print(f"export_models: {name}")


class Sdpa(torch.nn.Module):
    def __init__(self, **kwargs):
        super().__init__()
        self.kwargs = kwargs

    def forward(self, q, k, v, *mask):
        return F.scaled_dot_product_attention(q, k, v, *mask, **self.kwargs)


class SdpaSlidingWindow(torch.nn.Module):
    """scaled_dot_product_attention with a sliding-window mask built in the
    graph from positions, aligned bottom-right as a decoder's cache is:
    query s (at position s + T - S) sees the `window` keys up to its own."""

    def __init__(self, window):
        super().__init__()
        self.window = window

    def forward(self, q, k, v):
        s = torch.arange(q.shape[2])[:, None] + (k.shape[2] - q.shape[2])
        t = torch.arange(k.shape[2])[None, :]
        mask = (t <= s) & (t > s - self.window)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)


def sdpa_exports():
    g = torch.Generator().manual_seed(1)
    r = lambda *s: torch.randn(*s, generator=g)
    yield "sdpa_causal", Sdpa(is_causal=True), (r(1, 2, 8, 16), r(1, 2, 8, 16), r(1, 2, 8, 16))
    yield "sdpa_noncausal", Sdpa(), (r(1, 2, 8, 16), r(1, 2, 12, 16), r(1, 2, 12, 16))
    yield "sdpa_gqa", Sdpa(is_causal=True, enable_gqa=True), \
        (r(1, 4, 8, 16), r(1, 2, 8, 16), r(1, 2, 8, 16))
    # A decode step: one query against a cache passed in.
    yield "sdpa_decode_cache", Sdpa(enable_gqa=True), \
        (r(1, 4, 1, 16), r(1, 2, 24, 16), r(1, 2, 24, 16))
    yield "sdpa_additive_mask", Sdpa(), \
        (r(1, 2, 8, 16), r(1, 2, 8, 16), r(1, 2, 8, 16), r(1, 1, 8, 8))
    # torch's is_causal is aligned top-left (query s sees keys t <= s): with
    # fewer queries than keys that is not attn's bottom-right causal mask.
    yield "sdpa_causal_top_left", Sdpa(is_causal=True), \
        (r(1, 2, 4, 16), r(1, 2, 12, 16), r(1, 2, 12, 16))
    yield "sdpa_gqa_bf16", Sdpa(is_causal=True, enable_gqa=True), \
        (r(1, 4, 8, 16).bfloat16(), r(1, 2, 8, 16).bfloat16(), r(1, 2, 8, 16).bfloat16())
    yield "sdpa_sliding_window", SdpaSlidingWindow(4), \
        (r(1, 2, 8, 16), r(1, 2, 12, 16), r(1, 2, 12, 16))


def llama_config(implementation, **sizes):
    """The acceptance set's small Llama; `sizes` overrides its fields
    (benchmarks/models.py builds a Llama-3.2-1B-like one)."""
    from transformers import LlamaConfig
    fields = dict(hidden_size=64, num_attention_heads=4, num_key_value_heads=2,
                  head_dim=16, intermediate_size=128, max_position_embeddings=64,
                  rms_norm_eps=1e-6)
    fields.update(sizes)
    config = LlamaConfig(**fields)
    config._attn_implementation = implementation
    return config


def persistent_rope(rope):
    """Rotary inv_freq buffers are not persistent: the exporter needs them
    registered as persistent to see them."""
    for name, buf in list(rope.named_buffers(recurse=False)):
        rope.register_buffer(name, buf, persistent=True)
    return rope


class InputCache:
    """A KV cache whose past keys and values are function inputs: update()
    returns them with the new step appended, as HF's caches do."""

    def __init__(self, keys, values):
        self.keys, self.values = keys, values

    def update(self, keys, values, layer_idx, *args, **kwargs):
        return torch.cat([self.keys, keys], dim=2), torch.cat([self.values, values], dim=2)


def causal_mask(num_queries, num_keys, dtype):
    """HF's eager causal mask, built in the graph from positions: the lowest
    float where key t is after query s (bottom-right aligned), 0 elsewhere."""
    s = torch.arange(num_queries)[:, None] + (num_keys - num_queries)
    t = torch.arange(num_keys)[None, :]
    return torch.where(t > s, torch.finfo(dtype).min, 0.0).to(dtype)[None, None]


class LlamaAttentionLayer(torch.nn.Module):
    """transformers' LlamaAttention with its rotary embedding; with
    `past` the decode step appends to a cache passed as inputs."""

    def __init__(self, implementation, in_graph_mask):
        super().__init__()
        from transformers.models.llama import modeling_llama as ml
        config = llama_config(implementation)
        self.attn = ml.LlamaAttention(config, layer_idx=0)
        self.rope = persistent_rope(ml.LlamaRotaryEmbedding(config))
        self.in_graph_mask = in_graph_mask

    def forward(self, x, *past):
        start = past[0].shape[2] if past else 0
        positions = torch.arange(start, start + x.shape[1])[None]
        cos, sin = self.rope(x, positions)
        mask = None
        if self.in_graph_mask:
            mask = causal_mask(x.shape[1], start + x.shape[1], x.dtype)
        cache = InputCache(*past) if past else None
        return self.attn(x, position_embeddings=(cos, sin), attention_mask=mask,
                         cache=cache)[0]


class WeightsAsInputs(torch.nn.Module):
    """`module` with its parameters passed in after its inputs, in the order
    of named_parameters(): each weight is read from its own file, as a rank
    of a tensor-parallel program reads its own slice of it."""

    def __init__(self, module):
        super().__init__()
        self.inner = module
        self.names = [name for name, _ in module.named_parameters()]

    def forward(self, *args):
        split = len(args) - len(self.names)
        weights = dict(zip(self.names, args[split:]))
        return torch.func.functional_call(self.inner, weights, args[:split])

    def weights(self):
        return tuple(p.detach().clone() for _, p in self.inner.named_parameters())


class LlamaLayer(torch.nn.Module):
    """A whole LlamaDecoderLayer (RMSNorm, attention, RMSNorm, MLP); with
    `past` the decode step appends to a cache passed as inputs."""

    def __init__(self, config=None):
        super().__init__()
        from transformers.models.llama import modeling_llama as ml
        config = config or llama_config("sdpa")
        self.layer = ml.LlamaDecoderLayer(config, layer_idx=0)
        self.rope = persistent_rope(ml.LlamaRotaryEmbedding(config))

    def forward(self, x, *past):
        start = past[0].shape[2] if past else 0
        positions = torch.arange(start, start + x.shape[1])[None]
        cache = InputCache(*past) if past else None
        return self.layer(x, position_embeddings=self.rope(x, positions), cache=cache)


def llama_exports():
    torch.manual_seed(2)
    g = torch.Generator().manual_seed(3)
    r = lambda *s: torch.randn(*s, generator=g)
    yield "llama_attention_eager", LlamaAttentionLayer("eager", True), (r(1, 8, 64),)
    yield "llama_attention_sdpa", LlamaAttentionLayer("sdpa", False), (r(1, 8, 64),)
    # One new token against 15 cached ones (K after RoPE, as HF caches them).
    yield "llama_attention_decode", LlamaAttentionLayer("eager", False), \
        (r(1, 1, 64), r(1, 2, 15, 16), r(1, 2, 15, 16))
    yield "llama_decoder_layer", LlamaLayer(), (r(1, 8, 64),)


def deepseek_config(q_lora_rank, **sizes):
    """The acceptance set's small DeepSeek-V3 attention; `sizes` overrides
    its fields (benchmarks/models.py builds a DeepSeek-V2-Lite-like one)."""
    from transformers import DeepseekV3Config
    fields = dict(hidden_size=64, num_attention_heads=4, num_key_value_heads=4,
                  kv_lora_rank=32, qk_rope_head_dim=8, qk_nope_head_dim=16, v_head_dim=16,
                  intermediate_size=128, moe_intermediate_size=32, n_routed_experts=4,
                  num_experts_per_tok=2, max_position_embeddings=64)
    fields.update(sizes)
    config = DeepseekV3Config(q_lora_rank=q_lora_rank, **fields)
    config._attn_implementation = "eager"
    return config


class DeepseekAttentionLayer(torch.nn.Module):
    """transformers' DeepseekV3Attention (MLA) with its rotary embedding and
    HF's eager causal mask; with `past` the decode step appends to the
    compressed cache (latent and RoPE key) passed as inputs."""

    def __init__(self, q_lora_rank, config=None):
        super().__init__()
        from transformers.models.deepseek_v3 import modeling_deepseek_v3 as md
        config = config or deepseek_config(q_lora_rank)
        self.attn = md.DeepseekV3Attention(config, 0)
        self.rope = persistent_rope(md.DeepseekV3RotaryEmbedding(config))

    def forward(self, x, *past):
        start = past[0].shape[2] if past else 0
        positions = torch.arange(start, start + x.shape[1])[None]
        cos, sin = self.rope(x, positions)
        mask = causal_mask(x.shape[1], start + x.shape[1], x.dtype)
        cache = InputCache(*past) if past else None
        return self.attn(x, position_embeddings=(cos, sin), attention_mask=mask,
                         cache=cache)[0]


class DeepseekAttentionFromCache(torch.nn.Module):
    """What DeepseekV3Attention runs after its cache: expand_kv (kv_b_proj of
    the compressed latent, and the RoPE key broadcast over heads) and eager
    attention, from queries passed in whole (nope and RoPE parts in one
    tensor), with HF's causal mask for more than one query."""

    def __init__(self, config=None):
        super().__init__()
        from transformers.models.deepseek_v3 import modeling_deepseek_v3 as md
        self.attn = md.DeepseekV3Attention(config or deepseek_config(None), 0)

    def forward(self, q, latent, k_rot):
        from transformers.models.deepseek_v3 import modeling_deepseek_v3 as md
        key, value = self.attn.expand_kv(latent, k_rot)
        s, t = q.shape[2], key.shape[2]
        mask = causal_mask(s, t, q.dtype) if s > 1 else None
        return md.eager_attention_forward(self.attn, q, key, value, mask,
                                          scaling=self.attn.scaling)[0]


class MlaWithoutRope(torch.nn.Module):
    """MLA written without a RoPE term, as a user might write it in torch:
    per-head K and V up-projected by one kv_b matmul from a normalised
    latent of 32 (narrower than the 4 x 16 keys), SDPA over them; with
    `past` the latent cache is an input and the new token's latent is
    appended to it."""

    def __init__(self, hidden=64, heads=4, latent=32, dn=16, dv=16):
        super().__init__()
        self.heads, self.dn, self.dv = heads, dn, dv
        self.q_proj = torch.nn.Linear(hidden, heads * dn, bias=False)
        self.kv_a_proj = torch.nn.Linear(hidden, latent, bias=False)
        self.kv_norm = torch.nn.RMSNorm(latent, eps=1e-6)
        self.kv_b_proj = torch.nn.Linear(latent, heads * (dn + dv), bias=False)
        self.o_proj = torch.nn.Linear(heads * dv, hidden, bias=False)

    def forward(self, x, *past):
        b, s, _ = x.shape
        q = self.q_proj(x).view(b, s, self.heads, self.dn).transpose(1, 2)
        c = self.kv_norm(self.kv_a_proj(x))
        if past:
            c = torch.cat([past[0], c], dim=1)
        kv = self.kv_b_proj(c).view(b, c.shape[1], self.heads, self.dn + self.dv)
        k, v = torch.split(kv.transpose(1, 2), [self.dn, self.dv], dim=-1)
        o = F.scaled_dot_product_attention(q, k, v, is_causal=not past)
        return self.o_proj(o.transpose(1, 2).reshape(b, s, self.heads * self.dv))


def deepseek_exports():
    torch.manual_seed(4)
    g = torch.Generator().manual_seed(5)
    r = lambda *s: torch.randn(*s, generator=g)
    yield "deepseek_v3_attention", DeepseekAttentionLayer(None), (r(1, 8, 64),)
    yield "deepseek_v3_attention_q_lora", DeepseekAttentionLayer(48), (r(1, 8, 64),)
    # One new token against 15 cached ones: the normalised latent and the
    # RoPE key, [B, 1, T, C] and [B, 1, T, R] as HF's cache holds them.
    yield "deepseek_v3_attention_decode", DeepseekAttentionLayer(None), \
        (r(1, 1, 64), r(1, 1, 15, 32), r(1, 1, 15, 8))
    yield "deepseek_v3_attention_from_cache", DeepseekAttentionFromCache(), \
        (r(1, 4, 1, 24), r(1, 1, 16, 32), r(1, 1, 16, 8))
    yield "mla_without_rope", MlaWithoutRope(), (r(1, 8, 64),)
    # One new token against 15 cached latents.
    yield "mla_without_rope_decode", MlaWithoutRope(), (r(1, 1, 64), r(1, 15, 32))


def tensor_parallel_exports():
    """The Llama and DeepSeek-V3 decode steps with their weights as inputs,
    which test/Integration/MPI splits over ranks (Megatron style)."""
    torch.manual_seed(6)
    g = torch.Generator().manual_seed(7)
    r = lambda *s: torch.randn(*s, generator=g)
    layer = WeightsAsInputs(LlamaAttentionLayer("eager", False))
    yield "llama_attention_decode_weights", layer, \
        (r(1, 1, 64), r(1, 2, 15, 16), r(1, 2, 15, 16)) + layer.weights()
    layer = WeightsAsInputs(DeepseekAttentionLayer(None))
    yield "deepseek_v3_attention_decode_weights", layer, \
        (r(1, 1, 64), r(1, 1, 15, 32), r(1, 1, 15, 8)) + layer.weights()


MPI_OUT = os.path.join(HERE, "..", "test", "Integration", "MPI", "Inputs")
# Each group with the directory it is written to by default.
EXPORTS = [(sdpa_exports, DEFAULT_OUT), (llama_exports, DEFAULT_OUT),
           (deepseek_exports, DEFAULT_OUT), (tensor_parallel_exports, MPI_OUT)]


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", nargs="?",
                        help="where every export goes (default: test/Integration/Models/"
                             "Inputs, and test/Integration/MPI/Inputs for those with "
                             "weights as inputs)")
    parser.add_argument("--only", help="comma-separated export names")
    opts = parser.parse_args()
    only = set(opts.only.split(",")) if opts.only else None
    for group, default_out in EXPORTS:
        out = opts.out or default_out
        os.makedirs(out, exist_ok=True)
        for name, module, inputs in group():
            if only is None or name in only:
                export(out, name, module, inputs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
