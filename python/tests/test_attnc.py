"""The attnc Python package end to end: models built from configs, compiled
through libAttncCAPI.so, run on fresh random numpy inputs and compared with
the float64 references of utils/attn_reference.py."""

import math
import os
import sys

import numpy as np
import pytest

import attnc
from attnc import _compiler

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "utils"))
import attn_reference as ref  # noqa: E402


@pytest.fixture
def rng():
    return np.random.default_rng()


def _inputs(rng, model, scale=0.5):
    arrays = []
    for name, shape, dtype in model.inputs:
        if dtype == "i32":
            arrays.append(rng.integers(0, 64, size=shape).astype(np.int32))
        else:
            arrays.append((rng.standard_normal(shape) * scale).astype(np.float32))
    return arrays


def _close(out, expected, rtol=2e-4):
    err = np.abs(out.astype(np.float64) - expected).max()
    assert err <= rtol * max(1.0, np.abs(expected).max()), err


def test_gqa_causal(rng):
    model = attnc.gqa(batch=2, query_heads=8, kv_heads=2, queries=3, keys=37,
                      head_dim=16, causal=True)
    q, k, v = _inputs(rng, model)
    out = attnc.compile(model)(q, k, v)
    assert out.shape == (2, 8, 3, 16) and out.dtype == np.float32
    _close(out, ref.attention(q, k, v, 1 / math.sqrt(16), causal=True))


def test_mha_bf16(rng):
    model = attnc.mha(heads=4, queries=5, keys=20, head_dim=32, dtype="bf16")
    q, k, v = _inputs(rng, model)
    bits = [(x.view(np.uint32) >> 16).astype(np.uint16) for x in (q, k, v)]
    widened = [(b.astype(np.uint32) << 16).view(np.float32) for b in bits]
    out = attnc.compile(model)(*bits)
    assert out.dtype == np.uint16
    got = (out.astype(np.uint32) << 16).view(np.float32)
    _close(got, ref.attention(*widened, 1 / math.sqrt(32)), rtol=2e-2)


def test_mla(rng):
    model = attnc.mla(heads=4, queries=2, keys=30, nope_dim=16, rope_dim=8,
                      latent_dim=32, value_dim=16)
    x = _inputs(rng, model)
    out = attnc.compile(model)(*x)
    _close(out, ref.mla(*x, 1 / math.sqrt(24), causal=True))


def test_mlra4(rng):
    model = attnc.mlra(heads=8, queries=1, keys=25, nope_dim=16, rope_dim=8,
                       block_dim=16, value_dim=16)
    x = _inputs(rng, model)
    out = attnc.compile(model)(*x)
    _close(out, ref.latent_attention(*x, 1 / math.sqrt(24), branches=[(0, 1), (1, 1), (2, 1), (3, 1)],
                                     weight=0.5, causal=True))


def test_eg_mla(rng):
    model = attnc.eg_mla(heads=4, queries=1, keys=40, nope_dim=16, rope_dim=8,
                         latent_dim=16, up_dim=32, value_dim=16, vocab=64)
    x = _inputs(rng, model)
    q_nope, q_rope, ids, latent, k_rope, table, w_u, norm_w, w_uk, w_uv = x
    u = ref.embedding_gate(latent, ids, table, w_u, norm_w)
    out = attnc.compile(model)(*x)
    _close(out, ref.mla(q_nope, q_rope, u, k_rope, w_uk, w_uv, 1 / math.sqrt(24),
                        causal=True))


def test_gta(rng):
    model = attnc.gta(heads=2, queries=2, keys=33, head_dim=16, latent_value_dim=16,
                      value_dim=32)
    x = _inputs(rng, model)
    out = attnc.compile(model)(*x)
    _close(out, ref.gta(*x, 1 / math.sqrt(16), causal=True))


def test_mlir_text_and_named_function(rng):
    text = attnc.gqa(query_heads=2, keys=8, head_dim=8).mlir.replace("@main", "@attend")
    kernel = attnc.compile(text)
    assert list(kernel.functions) == ["attend"]
    q, k, v = (rng.standard_normal(s).astype(np.float32)
               for s in ((1, 2, 1, 8), (1, 2, 8, 8), (1, 2, 8, 8)))
    _close(kernel.call("attend", q, k, v), ref.attention(q, k, v, 1 / math.sqrt(8)))
    with pytest.raises(attnc.AttncError, match="no function @main"):
        kernel(q, k, v)


def test_shape_and_dtype_mismatch(rng):
    model = attnc.gqa(query_heads=2, keys=8, head_dim=8)
    kernel = attnc.compile(model)
    q, k, v = _inputs(rng, model)
    with pytest.raises(ValueError, match=r"argument 1 \(k\) must have shape \(1, 2, 8, 8\), got \(1, 2, 9, 8\)"):
        kernel(q, np.zeros((1, 2, 9, 8), np.float32), v)
    with pytest.raises(ValueError, match=r"argument 0 \(q\) must have dtype float32, got float64"):
        kernel(q.astype(np.float64), k, v)
    with pytest.raises(ValueError, match="takes 3 arguments, got 2"):
        kernel(q, k)


def test_jit_gqa_and_mla(rng):
    model = attnc.gqa(batch=2, query_heads=8, kv_heads=2, queries=3, keys=37,
                      head_dim=16, causal=True)
    q, k, v = _inputs(rng, model)
    kernel = attnc.jit(model)
    out = kernel(q, k, v)
    assert out.shape == (2, 8, 3, 16) and out.dtype == np.float32
    _close(out, ref.attention(q, k, v, 1 / math.sqrt(16), causal=True))
    times = kernel.time(q, k, v, iterations=3)
    assert times["iterations"] == 3 and 0 < times["min_ms"] <= times["median_ms"]
    model = attnc.mla(heads=4, queries=2, keys=30, nope_dim=16, rope_dim=8,
                      latent_dim=32, value_dim=16)
    x = _inputs(rng, model)
    out = attnc.jit(model, threads=2)(*x)
    _close(out, ref.mla(*x, 1 / math.sqrt(24), causal=True))


def test_jit_errors(rng):
    model = attnc.gqa(query_heads=2, keys=8, head_dim=8)
    kernel = attnc.jit(model)
    q, k, v = _inputs(rng, model)
    with pytest.raises(ValueError, match=r"input #1 does not match argument #1 of @main"):
        kernel(q, np.zeros((1, 2, 9, 8), np.float32), v)
    with pytest.raises(ValueError, match=r"dtype float64"):
        kernel(q.astype(np.float64), k, v)
    with pytest.raises(attnc.CompileError, match="no function @attend"):
        attnc.jit(model, function="attend")
    with pytest.raises(attnc.CompileError, match=r"attnc-input:1:\d+: error:"):
        attnc.jit("func.func @f(")


def _has_cuda_toolkit():
    home = os.environ.get("CUDA_HOME") or "/usr/local/cuda"
    return os.path.exists(os.path.join(home, "nvvm", "libdevice", "libdevice.10.bc"))


@pytest.mark.skipif(not _has_cuda_toolkit(), reason="needs the CUDA toolkit")
def test_compile_gpu(tmp_path):
    model = attnc.gqa(query_heads=8, kv_heads=2, keys=64, head_dim=32)
    kernels = attnc.compile_gpu(model, chip="sm_80")
    assert b".target sm_80" in kernels.binary
    (function,) = kernels.descriptor["functions"]
    inputs = sorted((b for b in function["buffers"] if b["kind"] == "input"),
                    key=lambda b: b["index"])
    assert [tuple(b["shape"]) for b in inputs] == [tuple(s) for _, s, _ in model.inputs]
    for launch in function["launches"]:
        assert (".entry " + launch["kernel"]).encode() in kernels.binary
    kernels.write(str(tmp_path / "gqa.ptx"))
    assert (tmp_path / "gqa.ptx.json").read_text().count('"file": "gqa.ptx"') == 1
    with pytest.raises(attnc.CompileError, match="unknown GPU chip 'sm_70'"):
        attnc.compile_gpu(model, chip="sm_70")


def test_compile_error_has_location():
    with pytest.raises(attnc.CompileError, match=r"attnc-input:1:\d+: error:"):
        attnc.compile("func.func @f(")
    bad = attnc.gqa(query_heads=2, keys=8, head_dim=8).mlir.replace("scale(", "scale(-")
    with pytest.raises(attnc.CompileError, match="scale must be positive"):
        attnc.compile(bad)


def test_bad_config():
    with pytest.raises(ValueError, match=r"kv_heads \(3\) must divide query_heads \(8\)"):
        attnc.gqa(query_heads=8, kv_heads=3)
    with pytest.raises(ValueError, match="keys must be a positive integer"):
        attnc.mla(keys=0)
    with pytest.raises(ValueError, match="dtype must be one of"):
        attnc.mha(dtype="f64")


def test_missing_compiler_library(monkeypatch, tmp_path):
    monkeypatch.setenv("ATTNC_LIBRARY", str(tmp_path / "libAttncCAPI.so"))
    monkeypatch.setattr(_compiler, "_compiler", None)
    with pytest.raises(attnc.CompilerNotFoundError, match="cannot load the attnc compiler library"):
        attnc.compile(attnc.mha(heads=1, keys=4, head_dim=4))
