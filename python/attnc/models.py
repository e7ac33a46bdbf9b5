"""Attention IR from model configs: one function `@main` per model, in the
argument order of `Model.inputs`, written with attnc's `attn` ops (the same
contracts as examples/*.mlir)."""

import math
from dataclasses import dataclass, field
from typing import List, Tuple

_DTYPES = {"f32": "float32", "bf16": "bfloat16 (uint16 bits)", "f16": "float16"}


@dataclass
class Model:
    """MLIR text of `@main` and the name, shape and MLIR element type of each
    input and of the output."""
    name: str
    mlir: str
    inputs: List[Tuple[str, Tuple[int, ...], str]] = field(default_factory=list)
    output: Tuple[Tuple[int, ...], str] = ((), "f32")


def _f(x):
    """A float literal MLIR parses (always with a dot and an exponent)."""
    return f"{float(x):.17e}"


def _t(shape, dtype):
    return "tensor<" + "x".join(str(d) for d in shape) + f"x{dtype}>"


def _check(**sizes):
    for name, value in sizes.items():
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _dtype(dtype):
    if dtype not in _DTYPES:
        raise ValueError(f"dtype must be one of {sorted(_DTYPES)}, got {dtype!r}")
    return dtype


def _masking(causal):
    return " masking(causal)" if causal else ""


def gqa(batch=1, query_heads=8, kv_heads=None, queries=1, keys=1024,
        head_dim=128, value_dim=None, dtype="f32", causal=False, scale=None):
    """Grouped-query attention over [B, H, S, D] tensors (kv_heads divides
    query_heads; kv_heads == query_heads is MHA, 1 is MQA)."""
    kv_heads = query_heads if kv_heads is None else kv_heads
    value_dim = head_dim if value_dim is None else value_dim
    _check(batch=batch, query_heads=query_heads, kv_heads=kv_heads,
           queries=queries, keys=keys, head_dim=head_dim, value_dim=value_dim)
    if query_heads % kv_heads:
        raise ValueError(f"kv_heads ({kv_heads}) must divide query_heads ({query_heads})")
    dt = _dtype(dtype)
    scale = 1.0 / math.sqrt(head_dim) if scale is None else float(scale)
    q = (batch, query_heads, queries, head_dim)
    k = (batch, kv_heads, keys, head_dim)
    v = (batch, kv_heads, keys, value_dim)
    o = (batch, query_heads, queries, value_dim)
    g = query_heads // kv_heads
    # K/V heads fewer than query heads along the same map dim: attn.attention
    # groups them (query head h reads K/V head h / g) without a copy.
    maps = ", ".join(f"affine_map<(b, h, s, t, d, e) -> {m}>"
                     for m in ("(b, h, s, d)", "(b, h, t, d)", "(b, h, t, e)", "(b, h, s, e)"))
    text = f"""func.func @main(%q: {_t(q, dt)}, %k: {_t(k, dt)}, %v: {_t(v, dt)}) -> {_t(o, dt)} {{
  %init = tensor.empty() : {_t(o, dt)}
  %o = attn.attention queries(%q : {_t(q, dt)}) keys(%k : {_t(k, dt)}) values(%v : {_t(v, dt)})
         outs(%init : {_t(o, dt)}) scale({_f(scale)} : f32){_masking(causal)}
         indexing_maps = [{maps}] -> {_t(o, dt)}
  return %o : {_t(o, dt)}
}}
"""
    kind = "mha" if g == 1 else "gqa"
    return Model(kind, text, [("q", q, dt), ("k", k, dt), ("v", v, dt)], (o, dt))


def mha(batch=1, heads=8, queries=1, keys=1024, head_dim=128, dtype="f32",
        causal=False, scale=None):
    """Multi-head attention: gqa with as many K/V heads as query heads."""
    return gqa(batch, heads, heads, queries, keys, head_dim, None, dtype, causal, scale)


def _latent_attention_op(latent, latent_type, qn, qr, kr, wuk, wuv, o, dt, scale,
                         causal, weight=None):
    """The attn.latent_attention of `@main` over the value `latent`, and the
    return of its result (MLA, MLRA and EG-MLA share it)."""
    weight_text = f" weight({_f(weight)})" if weight is not None else ""
    return f"""  %init = tensor.empty() : {_t(o, dt)}
  %o = attn.latent_attention
         queries(%q_nope, %q_rope : {_t(qn, dt)}, {_t(qr, dt)})
         latent({latent}, %k_rope : {latent_type}, {_t(kr, dt)})
         up_projections(%w_uk, %w_uv : {_t(wuk, dt)}, {_t(wuv, dt)})
         outs(%init : {_t(o, dt)})
         scale({_f(scale)} : f32){_masking(causal)}{weight_text}
         -> {_t(o, dt)}
  return %o : {_t(o, dt)}
"""


def _latent(name, batch, heads, queries, keys, nope_dim, rope_dim, latent_shape,
            w_latent, value_dim, dtype, causal, weight):
    dt = _dtype(dtype)
    scale = 1.0 / math.sqrt(nope_dim + rope_dim)
    qn = (batch, queries, heads, nope_dim)
    qr = (batch, queries, heads, rope_dim)
    lat = (batch, keys) + latent_shape
    kr = (batch, keys, rope_dim)
    wuk = w_latent + (heads, latent_shape[-1], nope_dim)
    wuv = w_latent + (heads, latent_shape[-1], value_dim)
    o = (batch, queries, heads, value_dim)
    text = f"""func.func @main(%q_nope: {_t(qn, dt)}, %q_rope: {_t(qr, dt)},
                %latent: {_t(lat, dt)}, %k_rope: {_t(kr, dt)},
                %w_uk: {_t(wuk, dt)}, %w_uv: {_t(wuv, dt)}) -> {_t(o, dt)} {{
{_latent_attention_op("%latent", _t(lat, dt), qn, qr, kr, wuk, wuv, o, dt, scale,
                      causal, weight)}}}
"""
    inputs = [("q_nope", qn, dt), ("q_rope", qr, dt), ("latent", lat, dt),
              ("k_rope", kr, dt), ("w_uk", wuk, dt), ("w_uv", wuv, dt)]
    return Model(name, text, inputs, (o, dt))


def mla(batch=1, heads=16, queries=1, keys=1024, nope_dim=128, rope_dim=64,
        latent_dim=512, value_dim=128, dtype="f32", causal=True):
    """DeepSeek MLA: one latent [B, T, latent_dim] and a shared RoPE key per
    token; per-head up-projections W_UK, W_UV. Absorbed or expanded by
    attnc's cost model."""
    _check(batch=batch, heads=heads, queries=queries, keys=keys, nope_dim=nope_dim,
           rope_dim=rope_dim, latent_dim=latent_dim, value_dim=value_dim)
    return _latent("mla", batch, heads, queries, keys, nope_dim, rope_dim,
                   (latent_dim,), (), value_dim, dtype, causal, None)


def mlra(batch=1, heads=24, queries=1, keys=1024, nope_dim=128, rope_dim=64,
         block_dim=128, value_dim=128, dtype="f32", causal=True):
    """MLRA-4: the latent split in 4 blocks [B, T, 4, block_dim]; every head
    reads every block with its own softmax, and the branches are summed with
    weight 1/2 (VARIANTS.md). MLRA-2's head-to-block map is written with
    attn.latent_attention's `branches` in MLIR directly."""
    _check(batch=batch, heads=heads, queries=queries, keys=keys,
           nope_dim=nope_dim, rope_dim=rope_dim, block_dim=block_dim, value_dim=value_dim)
    return _latent("mlra4", batch, heads, queries, keys, nope_dim, rope_dim,
                   (4, block_dim), (4,), value_dim, dtype, causal, 0.5)


def eg_mla(batch=1, heads=12, queries=1, keys=1024, nope_dim=64, rope_dim=64,
           latent_dim=64, up_dim=256, value_dim=64, vocab=1024, dtype="f32",
           causal=True, epsilon=1e-6):
    """EG-MLA: the cached latent [B, T, latent_dim] is up-projected, gated by
    a token-embedding table row (ids [B, T] int32), RMS-normalised, then used
    as MLA's latent (the gate is computed when the cache is read)."""
    _check(batch=batch, heads=heads, queries=queries, keys=keys, nope_dim=nope_dim,
           rope_dim=rope_dim, latent_dim=latent_dim, up_dim=up_dim,
           value_dim=value_dim, vocab=vocab)
    dt = _dtype(dtype)
    scale = 1.0 / math.sqrt(nope_dim + rope_dim)
    qn, qr = (batch, queries, heads, nope_dim), (batch, queries, heads, rope_dim)
    ids, lat = (batch, keys), (batch, keys, latent_dim)
    kr, table = (batch, keys, rope_dim), (vocab, up_dim)
    wu, nw = (latent_dim, up_dim), (up_dim,)
    wuk, wuv = (heads, up_dim, nope_dim), (heads, up_dim, value_dim)
    u, o = (batch, keys, up_dim), (batch, queries, heads, value_dim)
    text = f"""func.func @main(%q_nope: {_t(qn, dt)}, %q_rope: {_t(qr, dt)},
                %ids: {_t(ids, "i32")}, %latent: {_t(lat, dt)},
                %k_rope: {_t(kr, dt)}, %gate_table: {_t(table, dt)},
                %w_u: {_t(wu, dt)}, %norm_w: {_t(nw, dt)},
                %w_uk: {_t(wuk, dt)}, %w_uv: {_t(wuv, dt)}) -> {_t(o, dt)} {{
  %u_init = tensor.empty() : {_t(u, dt)}
  %u = attn.embedding_gate latent(%latent : {_t(lat, dt)})
         ids(%ids : {_t(ids, "i32")}) table(%gate_table : {_t(table, dt)})
         up_projection(%w_u : {_t(wu, dt)}) norm_weight(%norm_w : {_t(nw, dt)})
         outs(%u_init : {_t(u, dt)}) norm = rms, epsilon = {_f(epsilon)}
         -> {_t(u, dt)}
{_latent_attention_op("%u", _t(u, dt), qn, qr, kr, wuk, wuv, o, dt, scale, causal)}}}
"""
    inputs = [("q_nope", qn, dt), ("q_rope", qr, dt), ("ids", ids, "i32"),
              ("latent", lat, dt), ("k_rope", kr, dt), ("gate_table", table, dt),
              ("w_u", wu, dt), ("norm_w", nw, dt), ("w_uk", wuk, dt), ("w_uv", wuv, dt)]
    return Model("eg_mla", text, inputs, (o, dt))


def gta(batch=1, heads=5, queries=1, keys=1024, head_dim=64, latent_value_dim=128,
        value_dim=256, dtype="f32", causal=True, scale=None):
    """GTA: one shared score map (K [B, T, 1, D]) and a latent value
    [B, T, 1, latent_value_dim] per group, decoded per head by W_vb and gated
    by sigmoid(x_gate); output [B, S, heads * value_dim]."""
    _check(batch=batch, heads=heads, queries=queries, keys=keys, head_dim=head_dim,
           latent_value_dim=latent_value_dim, value_dim=value_dim)
    dt = _dtype(dtype)
    scale = 1.0 / math.sqrt(head_dim) if scale is None else float(scale)
    xg, q = (batch, queries, heads * value_dim), (batch, queries, heads, head_dim)
    k, v = (batch, keys, 1, head_dim), (batch, keys, 1, latent_value_dim)
    w, o = (heads, latent_value_dim, value_dim), (batch, queries, heads * value_dim)
    text = f"""func.func @main(%x_gate: {_t(xg, dt)}, %q: {_t(q, dt)},
                %k: {_t(k, dt)}, %v: {_t(v, dt)},
                %w_vb: {_t(w, dt)}) -> {_t(o, dt)} {{
  %init = tensor.empty() : {_t(o, dt)}
  %y = attn.grouped_head_attention
         queries(%q : {_t(q, dt)}) keys(%k : {_t(k, dt)})
         values(%v : {_t(v, dt)}) decoder(%w_vb : {_t(w, dt)})
         gate(%x_gate : {_t(xg, dt)}) outs(%init : {_t(o, dt)})
         scale({_f(scale)} : f32){_masking(causal)}
         -> {_t(o, dt)}
  return %y : {_t(o, dt)}
}}
"""
    inputs = [("x_gate", xg, dt), ("q", q, dt), ("k", k, dt), ("v", v, dt), ("w_vb", w, dt)]
    return Model("gta", text, inputs, (o, dt))
