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
