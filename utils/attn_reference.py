"""Float64 numpy references for attention, written from the math in
shared/design/VARIANTS.md and independent of attnc's lowerings.

Layout convention: q [B, Hq, S, D], k [B, Hkv, T, D], v [B, Hkv, T, Dv],
output [B, Hq, S, Dv]. Query head h reads KV head floor(h / (Hq / Hkv)).
"""

import numpy as np


def attention(q, k, v, scale, causal=False, window=None, kv_lengths=None,
              mask=None):
    """Masked softmax attention in float64.

    causal: bottom-right aligned; query s sees key t iff t <= s + L - S, with L
      the valid length (kv_lengths[b], or T).
    window: with causal, also t > s + L - S - window.
    kv_lengths: [B] ints; keys t >= L are masked.
    mask: broadcastable to [B, Hq, S, T]; bool keeps where True, float adds.
    A row with every key masked gives 0.
    """
    q, k, v = (np.asarray(x, dtype=np.float64) for x in (q, k, v))
    batch, num_q_heads, num_queries, _ = q.shape
    num_kv_heads, num_keys = k.shape[1], k.shape[2]
    assert num_q_heads % num_kv_heads == 0
    group = num_q_heads // num_kv_heads
    k = np.repeat(k, group, axis=1)
    v = np.repeat(v, num_q_heads // v.shape[1], axis=1)

    scores = np.einsum("bhsd,bhtd->bhst", q, k) * scale
    visible = np.ones(scores.shape, dtype=bool)
    if mask is not None:
        mask = np.asarray(mask)
        if mask.dtype == np.bool_:
            visible &= np.broadcast_to(mask, scores.shape)
        else:
            scores = scores + np.broadcast_to(mask.astype(np.float64), scores.shape)
    lengths = (np.full(batch, num_keys) if kv_lengths is None
               else np.asarray(kv_lengths, dtype=np.int64).reshape(batch))
    s_idx = np.arange(num_queries)[:, None]
    t_idx = np.arange(num_keys)[None, :]
    for b in range(batch):
        allowed = t_idx < lengths[b]
        if causal or window is not None:
            aligned = s_idx + lengths[b] - num_queries
            allowed = allowed & (t_idx <= aligned)
            if window is not None:
                allowed = allowed & (t_idx > aligned - window)
        visible[b] &= allowed
    scores = np.where(visible, scores, -np.inf)

    row_max = scores.max(axis=-1, keepdims=True)
    empty = ~np.isfinite(row_max)
    probs = np.exp(scores - np.where(empty, 0.0, row_max))
    probs = np.where(visible, probs, 0.0)
    denom = probs.sum(axis=-1, keepdims=True)
    probs = np.divide(probs, denom, out=np.zeros_like(probs), where=denom > 0)
    return np.einsum("bhst,bhte->bhse", probs, v)


def _softmax_rows(scores, visible):
    """Softmax over the last axis where visible; all-masked rows give 0."""
    scores = np.where(visible, scores, -np.inf)
    row_max = scores.max(axis=-1, keepdims=True)
    probs = np.exp(scores - np.where(np.isfinite(row_max), row_max, 0.0))
    probs = np.where(visible, probs, 0.0)
    denom = probs.sum(axis=-1, keepdims=True)
    return np.divide(probs, denom, out=np.zeros_like(probs), where=denom > 0)


def _visibility(num_queries, num_keys, causal, window=None):
    """[S, T] bottom-right aligned causal / sliding-window visibility."""
    s_idx = np.arange(num_queries)[:, None]
    t_idx = np.arange(num_keys)[None, :]
    aligned = s_idx + num_keys - num_queries
    visible = np.ones((num_queries, num_keys), dtype=bool)
    if causal or window is not None:
        visible &= t_idx <= aligned
    if window is not None:
        visible &= t_idx > aligned - window
    return visible


def latent_attention(q_nope, q_rope, latent, k_rope, w_uk, w_uv, scale,
                     branches, weight=1.0, causal=False):
    """The block-latent family in its *expanded* form (VARIANTS.md 2, 3).

    latent [B,T,nb,db] (or [B,T,dc] with w_uk [H,dc,dn]), w_uk [nb,H,db,dn],
    w_uv [nb,H,db,dv]. branches: list of (first, count); head h reads block
    first + floor(h * count / H) in each branch, each with its own softmax.
    q_rope and k_rope None: no RoPE term.
    """
    f64 = lambda x: None if x is None else np.asarray(x, dtype=np.float64)
    q_nope, q_rope, latent, k_rope, w_uk, w_uv = map(
        f64, (q_nope, q_rope, latent, k_rope, w_uk, w_uv))
    if latent.ndim == 3:
        latent, w_uk, w_uv = latent[:, :, None], w_uk[None], w_uv[None]
    _, num_queries, num_heads, _ = q_nope.shape
    num_keys = latent.shape[1]
    visible = _visibility(num_queries, num_keys, causal)[None, :, None, :]
    out = 0.0
    for first, count in branches:
        blocks = [first + (h * count) // num_heads for h in range(num_heads)]
        # k[b,t,h,n] = c[b,t,blk(h)] @ w_uk[blk(h),h]; v alike.
        k = np.stack([latent[:, :, blk] @ w_uk[blk, h] for h, blk in enumerate(blocks)], axis=2)
        v = np.stack([latent[:, :, blk] @ w_uv[blk, h] for h, blk in enumerate(blocks)], axis=2)
        scores = np.einsum("bshn,bthn->bsht", q_nope, k)
        if q_rope is not None:
            scores = scores + np.einsum("bshr,btr->bsht", q_rope, k_rope)
        scores = scores * scale
        probs = _softmax_rows(scores, visible)
        out = out + np.einsum("bsht,bthe->bshe", probs, v)
    return weight * out


def mla(q_nope, q_rope, latent, k_rope, w_uk, w_uv, scale, causal=False):
    return latent_attention(q_nope, q_rope, latent, k_rope, w_uk, w_uv, scale,
                            branches=[(0, 1)], causal=causal)


def embedding_gate(latent, ids, table, w_u, norm_w, eps=1e-6, norm="rms"):
    """u = norm((latent @ w_u) * table[ids]) * norm_w over the last axis."""
    x = (np.asarray(latent, np.float64) @ np.asarray(w_u, np.float64)) * \
        np.asarray(table, np.float64)[np.asarray(ids)]
    if norm == "layer":
        x = x - x.mean(axis=-1, keepdims=True)
    return x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + eps) * \
        np.asarray(norm_w, np.float64)


def gta(x_gate, q, k, v, w_vb, scale, causal=False):
    """GTA (VARIANTS.md 5): x_gate [B,S,D], q [B,S,nq,dq], k [B,T,nk,dq],
    v [B,T,nc,dl], w_vb [nq,dl,e*dl] -> y [B,S,D]."""
    x_gate, q, k, v, w_vb = (np.asarray(a, np.float64) for a in (x_gate, q, k, v, w_vb))
    _, num_queries, nq, _ = q.shape
    num_keys, nk, nc, dl = k.shape[1], k.shape[2], v.shape[2], v.shape[3]
    e = w_vb.shape[2] // dl
    visible = _visibility(num_queries, num_keys, causal)[None]
    pieces = []
    for i in range(nq):
        kh, vh = (i * nk) // nq, (i * nc) // nq
        scores = np.einsum("bsd,btd->bst", q[:, :, i], k[:, :, kh]) * scale
        o = np.einsum("bst,btl->bsl", _softmax_rows(scores, visible), v[:, :, vh])
        decoder = np.tile(np.eye(dl), (1, e)) + w_vb[i]
        pieces.append(o @ decoder)
    return 1.0 / (1.0 + np.exp(-x_gate)) * np.concatenate(pieces, axis=-1)


def grouped_tied(q_nope, q_rope, kv, k_rope, scale, causal=False):
    """Grouped-tied attention (VARIANTS.md 6): head h uses tied head
    j = floor(h / (H / nkv)); key [kv[..,:dh-dR]; k_rope], value kv."""
    q_nope, q_rope, kv, k_rope = (np.asarray(a, np.float64) for a in (q_nope, q_rope, kv, k_rope))
    _, num_queries, num_heads, d_nope = q_nope.shape
    num_keys, nkv = kv.shape[1], kv.shape[2]
    kv = np.repeat(kv, num_heads // nkv, axis=2)
    scores = (np.einsum("bshd,bthd->bsht", q_nope, kv[..., :d_nope]) +
              np.einsum("bshr,btr->bsht", q_rope, k_rope)) * scale
    visible = _visibility(num_queries, num_keys, causal)[None, :, None, :]
    return np.einsum("bsht,bthe->bshe", _softmax_rows(scores, visible), kv)
