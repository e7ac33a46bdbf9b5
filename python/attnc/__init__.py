"""attnc from Python: build attention IR from a model config, compile it for
the CPU, call it on numpy arrays.

    import attnc, numpy as np
    model = attnc.gqa(query_heads=32, kv_heads=8, keys=4096, head_dim=128)
    kernel = attnc.compile(model)
    out = kernel(q, k, v)            # numpy arrays in the order model.inputs
    out = attnc.jit(model)(q, k, v)  # the same, JIT-compiled in process

Compilation goes through libAttncCAPI.so (found through $ATTNC_LIBRARY, or
the build tree next to this package); see the README.
"""

from ._compiler import (AttncError, CompileError, CompilerNotFoundError,
                        GpuKernels, JitKernel, Kernel, compile, compile_gpu,
                        find_library, jit, load)
from .models import Model, eg_mla, gqa, gta, mha, mla, mlra

__all__ = [
    "AttncError", "CompileError", "CompilerNotFoundError", "GpuKernels", "JitKernel",
    "Kernel", "Model", "compile", "compile_gpu", "eg_mla", "find_library", "gqa", "gta",
    "jit", "load", "mha", "mla", "mlra",
]
