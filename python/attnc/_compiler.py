"""Compiling through libAttncCAPI.so and calling the result.

A model (or any MLIR text with attn ops) is either compiled into a shared
library with attnc's C API, whose header says, per function, the shape and
element type of every argument and result, which a Kernel checks numpy
arrays against before it calls `_mlir_ciface_<name>` with ctypes (also on
machines without MLIR: `load`); or JIT-compiled in process (`jit`), where
the C API's runner (attn-run's) checks, calls and times the function.
"""

import ctypes
import ctypes.util
import functools
import os
import re
import tempfile

import numpy as np


class AttncError(RuntimeError):
    """Base of the errors raised by the attnc package."""


class CompilerNotFoundError(AttncError):
    """libAttncCAPI.so could not be found or loaded."""


class CompileError(AttncError):
    """attnc rejected the IR; the message holds its diagnostics."""


_LIBRARY_NAME = "libAttncCAPI.so"


def find_library():
    """Path of libAttncCAPI.so: $ATTNC_LIBRARY, $ATTNC_BUILD_DIR/lib, the
    build tree beside a source checkout of this package, or the linker path."""
    env = os.environ.get("ATTNC_LIBRARY")
    if env:
        return env
    candidates = []
    if os.environ.get("ATTNC_BUILD_DIR"):
        candidates.append(os.path.join(os.environ["ATTNC_BUILD_DIR"], "lib", _LIBRARY_NAME))
    here = os.path.dirname(os.path.abspath(__file__))
    candidates.append(os.path.join(here, "..", "..", "build", "lib", _LIBRARY_NAME))
    for path in candidates:
        if os.path.exists(path):
            return os.path.normpath(path)
    return ctypes.util.find_library("AttncCAPI")


_compiler = None


def _load_compiler():
    global _compiler
    if _compiler is not None:
        return _compiler
    path = find_library()
    if not path:
        raise CompilerNotFoundError(
            "cannot find the attnc compiler library libAttncCAPI.so: build attnc "
            "(utils/build.sh) and set ATTNC_LIBRARY=/path/to/build/lib/libAttncCAPI.so")
    try:
        lib = ctypes.CDLL(path)
    except OSError as e:
        raise CompilerNotFoundError(
            f"cannot load the attnc compiler library {path}: {e}") from None
    fn = lib.attncCompileSharedLibrary
    fn.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_char_p,
                   ctypes.c_bool, ctypes.c_char_p, ctypes.c_size_t]
    fn.restype = ctypes.c_int
    lib.attncCompileGpuKernels.argtypes = [
        ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
        ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t]
    lib.attncCompileGpuKernels.restype = ctypes.c_int
    lib.attncJitCompile.argtypes = [
        ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_bool, ctypes.c_uint,
        ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p, ctypes.c_size_t]
    lib.attncJitCompile.restype = ctypes.c_int
    lib.attncJitCall.argtypes = [
        ctypes.c_void_p, ctypes.POINTER(_Array), ctypes.c_size_t, ctypes.c_uint,
        ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_double),
        ctypes.c_char_p, ctypes.c_size_t]
    lib.attncJitCall.restype = ctypes.c_int
    lib.attncJitGetNumResults.argtypes = [ctypes.c_void_p]
    lib.attncJitGetNumResults.restype = ctypes.c_size_t
    lib.attncJitGetResult.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    lib.attncJitGetResult.restype = _Array
    lib.attncJitDestroy.argtypes = [ctypes.c_void_p]
    lib.attncJitDestroy.restype = None
    _compiler = lib
    return lib


class _Array(ctypes.Structure):
    """AttncArray of attnc-c/Attnc.h."""
    _fields_ = [("dtype", ctypes.c_char_p), ("rank", ctypes.c_ssize_t),
                ("shape", ctypes.POINTER(ctypes.c_int64)), ("data", ctypes.c_void_p)]


# Element types of the generated header -> numpy dtypes.
_C_TYPES = {
    "float": np.float32, "double": np.float64, "uint16_t": np.uint16,
    "int8_t": np.int8, "uint8_t": np.uint8, "int16_t": np.int16,
    "int32_t": np.int32, "int64_t": np.int64, "intptr_t": np.intp,
}
_C_SCALARS = {
    "float": ctypes.c_float, "double": ctypes.c_double, "uint16_t": ctypes.c_uint16,
    "int8_t": ctypes.c_int8, "uint8_t": ctypes.c_uint8, "int16_t": ctypes.c_int16,
    "int32_t": ctypes.c_int32, "int64_t": ctypes.c_int64, "intptr_t": ctypes.c_ssize_t,
}


class _Value:
    """One argument or result: shape (None for a scalar) and C element type."""

    def __init__(self, text):
        m = re.match(r"(?:(\d+(?:x\d+)*|scalar) )?(\w+)", text.strip())
        dims, self.ctype = m.group(1), m.group(2)
        if dims is None:
            self.shape = None
        elif dims == "scalar":
            self.shape = ()
        else:
            self.shape = tuple(int(d) for d in dims.split("x"))
        self.dtype = np.dtype(_C_TYPES[self.ctype])
        self.note = "bf16/f16 as uint16 bits" if "raw" in text else ""


@functools.lru_cache(maxsize=None)
def _descriptor_type(rank):
    """The ctypes struct of a rank-`rank` memref descriptor; one class per
    rank (making a class per call cost more than a small kernel's run)."""
    fields = [("allocated", ctypes.c_void_p), ("aligned", ctypes.c_void_p),
              ("offset", ctypes.c_int64)]
    if rank:
        fields += [("sizes", ctypes.c_int64 * rank), ("strides", ctypes.c_int64 * rank)]
    return type(f"MemRef{rank}D", (ctypes.Structure,), {"_fields_": fields})


@functools.lru_cache(maxsize=None)
def _results_type(ranks):
    """The struct a function writes its results into (a descriptor's layout
    for one result)."""
    return type("Results", (ctypes.Structure,), {
        "_fields_": [(f"r{i}", _descriptor_type(r)) for i, r in enumerate(ranks)]})


def _parse_header(text):
    """{function: (args, results)} from the comments of attnc's header."""
    functions = {}
    for block in re.finditer(r"/\* @(\w+)\n(.*?)\*/", text, re.S):
        args, results = [], []
        for line in block.group(2).splitlines():
            m = re.match(r"\s*\*\s+(arg|result)\d+: (.*)", line)
            if m:
                (args if m.group(1) == "arg" else results).append(_Value(m.group(2)))
        functions[block.group(1)] = (args, results)
    return functions


class Kernel:
    """A compiled library. Call it like the function (`kernel(*arrays)` for
    @main, `kernel.call("name", *arrays)` for another); results come back
    as numpy arrays (one, or a tuple)."""

    def __init__(self, directory, library_path, header_text, model=None):
        self._directory = directory  # Keeps the library's files alive.
        self._lib = ctypes.CDLL(library_path)
        self.functions = _parse_header(header_text)
        self.header = header_text
        self.model = model
        self._libc = ctypes.CDLL(ctypes.util.find_library("c"))
        self._libc.free.argtypes = [ctypes.c_void_p]

    def __call__(self, *arrays):
        return self.call("main", *arrays)

    def _check(self, name, index, value, array):
        label = f"argument {index}"
        if self.model is not None and name == "main" and index < len(self.model.inputs):
            label += f" ({self.model.inputs[index][0]})"
        if value.shape is None:
            return self._scalar(value, array, label)
        array = np.asarray(array)
        if array.dtype != value.dtype:
            raise ValueError(
                f"{name}: {label} must have dtype {value.dtype}"
                f"{' (' + value.note + ')' if value.note else ''}, got {array.dtype}")
        if tuple(array.shape) != value.shape:
            raise ValueError(f"{name}: {label} must have shape {value.shape}, "
                             f"got {tuple(array.shape)}")
        return np.ascontiguousarray(array)

    def _scalar(self, value, array, label):
        return _C_SCALARS[value.ctype](array)

    def call(self, name, *arrays):
        if name not in self.functions:
            raise AttncError(f"no function @{name}; the library has "
                             f"{', '.join('@' + f for f in self.functions)}")
        args, results = self.functions[name]
        if len(arrays) != len(args):
            raise ValueError(f"{name} takes {len(args)} arguments, got {len(arrays)}")
        keep, c_args = [], []
        for i, (value, array) in enumerate(zip(args, arrays)):
            checked = self._check(name, i, value, array)
            if value.shape is None:
                c_args.append(checked)
                continue
            desc = _descriptor_type(len(value.shape))()
            desc.allocated = desc.aligned = checked.ctypes.data
            desc.offset = 0
            for d, (size, stride) in enumerate(zip(checked.shape, checked.strides)):
                desc.sizes[d] = size
                desc.strides[d] = stride // checked.itemsize
            keep.append((checked, desc))
            c_args.append(ctypes.byref(desc))
        fn = getattr(self._lib, "_mlir_ciface_" + name)
        fn.restype = None
        # One result is written as its descriptor, several as a struct of
        # them: a struct of one descriptor has the descriptor's layout.
        struct = _results_type(tuple(len(r.shape) for r in results))()
        fn(ctypes.byref(struct), *c_args)
        outs = [getattr(struct, f"r{i}") for i in range(len(results))]
        arrays_out = []
        for value, desc in zip(results, outs):
            count = int(np.prod(value.shape)) if value.shape else 1
            buffer = (ctypes.c_char * (count * value.dtype.itemsize)).from_address(
                desc.aligned + desc.offset * value.dtype.itemsize)
            arrays_out.append(np.frombuffer(buffer, dtype=value.dtype).reshape(value.shape).copy())
            self._libc.free(desc.allocated)
        return arrays_out[0] if len(arrays_out) == 1 else tuple(arrays_out)


def load(library_path):
    """The Kernel of a library that the attnc tool compiled, with its header
    beside it (X.h for X.so): also on machines without MLIR, where it was
    compiled elsewhere for this CPU (`attnc --mcpu=NAME`)."""
    with open(os.path.splitext(library_path)[0] + ".h") as f:
        return Kernel(None, library_path, f.read())


def compile(model, threads=False):
    """Compiles a Model from attnc.models (or MLIR text) for this CPU.
    Raises CompilerNotFoundError without libAttncCAPI.so and CompileError
    with attnc's diagnostics when the IR is rejected."""
    text = model if isinstance(model, str) else model.mlir
    lib = _load_compiler()
    directory = tempfile.TemporaryDirectory(prefix="attnc-")
    library_path = os.path.join(directory.name, "kernel.so")
    header_path = os.path.join(directory.name, "kernel.h")
    errors = ctypes.create_string_buffer(1 << 16)
    source = text.encode()
    status = lib.attncCompileSharedLibrary(source, len(source), library_path.encode(),
                                           header_path.encode(), bool(threads),
                                           errors, len(errors))
    if status != 0:
        raise CompileError(errors.value.decode(errors="replace").strip()
                           or "attnc failed without a diagnostic")
    with open(header_path) as f:
        header = f.read()
    return Kernel(directory, library_path, header, None if isinstance(model, str) else model)


class JitKernel:
    """One function JIT-compiled in this process (the runner attn-run uses).
    Call it on numpy arrays (dtype and shape checked by the runner); `time`
    measures repeated calls."""

    def __init__(self, lib, handle, function, model=None):
        self._lib = lib
        self._handle = handle
        self.function = function
        self.model = model

    def __del__(self):
        if getattr(self, "_handle", None):
            self._lib.attncJitDestroy(self._handle)
            self._handle = None

    def _call(self, arrays, iterations):
        keep, structs = [], (_Array * max(1, len(arrays)))()
        for i, array in enumerate(arrays):
            array = np.ascontiguousarray(array)
            shape = (ctypes.c_int64 * max(1, array.ndim))(*array.shape)
            keep.append((array, shape))
            structs[i] = _Array(array.dtype.str.encode(), array.ndim, shape,
                                array.ctypes.data)
        median, minimum = ctypes.c_double(), ctypes.c_double()
        errors = ctypes.create_string_buffer(1 << 14)
        status = self._lib.attncJitCall(self._handle, structs, len(arrays), iterations,
                                        ctypes.byref(median), ctypes.byref(minimum),
                                        errors, len(errors))
        if status != 0:
            raise ValueError(f"{self.function}: "
                             + errors.value.decode(errors="replace").strip())
        outs = []
        for i in range(self._lib.attncJitGetNumResults(self._handle)):
            result = self._lib.attncJitGetResult(self._handle, i)
            shape = tuple(result.shape[d] for d in range(result.rank))
            dtype = np.dtype(result.dtype.decode())
            count = int(np.prod(shape)) if shape else 1
            buffer = (ctypes.c_char * (count * dtype.itemsize)).from_address(result.data)
            outs.append(np.frombuffer(buffer, dtype=dtype).reshape(shape).copy())
        return (outs[0] if len(outs) == 1 else tuple(outs)), median.value, minimum.value

    def __call__(self, *arrays):
        return self._call(arrays, 0)[0]

    def time(self, *arrays, iterations=10):
        """Median and minimum wall-clock milliseconds of `iterations` calls
        (after one untimed call), as attn-run --benchmark reports them."""
        _, median, minimum = self._call(arrays, max(1, int(iterations)))
        return {"median_ms": median, "min_ms": minimum, "iterations": max(1, int(iterations))}


def jit(model, function="main", threads=1, reference=False):
    """JIT-compiles `function` of a Model (or MLIR text) for this CPU in this
    process, with `threads` OpenMP threads, through the tiled pipeline (or
    the reference lowering). Raises CompilerNotFoundError without
    libAttncCAPI.so and CompileError with attnc's diagnostics."""
    text = model if isinstance(model, str) else model.mlir
    lib = _load_compiler()
    handle = ctypes.c_void_p()
    errors = ctypes.create_string_buffer(1 << 16)
    source = text.encode()
    status = lib.attncJitCompile(source, len(source), function.encode(), bool(reference),
                                 max(1, int(threads)), ctypes.byref(handle),
                                 errors, len(errors))
    if status != 0:
        raise CompileError(errors.value.decode(errors="replace").strip()
                           or "attnc failed without a diagnostic")
    return JitKernel(lib, handle.value, function,
                     None if isinstance(model, str) else model)


class GpuKernels:
    """Kernels compiled for an NVIDIA GPU: `binary` (PTX text as bytes, or a
    cubin / fatbin) and `descriptor`, the launch descriptor (docs/gpu.md):
    per function its device buffers and kernel launches, for a serving
    engine to launch them. `write(path)` puts both on disk as attnc does
    (path, path.json), for attn-gpu-run."""

    def __init__(self, binary, descriptor, format):
        self.binary = binary
        self.descriptor = descriptor
        self.format = format

    def write(self, path):
        import json
        with open(path, "wb") as f:
            f.write(self.binary)
        descriptor = dict(self.descriptor)
        descriptor["binary"] = {"file": os.path.basename(path), "format": self.format}
        with open(path + ".json", "w") as f:
            json.dump(descriptor, f, indent=2)


def compile_gpu(model, chip="sm_90", format="ptx", cuda_path=None):
    """Compiles a Model (or MLIR text) for an NVIDIA GPU, as `attnc
    --target=nvptx` does: `chip` sm_80, sm_86, sm_89, sm_90 or sm_90a,
    `format` ptx, cubin or fatbin, the CUDA toolkit at `cuda_path` (default
    $CUDA_HOME, else /usr/local/cuda). Needs no GPU. Raises CompileError with
    attnc's diagnostics."""
    import json
    text = model if isinstance(model, str) else model.mlir
    lib = _load_compiler()
    with tempfile.TemporaryDirectory(prefix="attnc-gpu-") as directory:
        binary_path = os.path.join(directory, "kernels." + format)
        descriptor_path = binary_path + ".json"
        errors = ctypes.create_string_buffer(1 << 16)
        source = text.encode()
        status = lib.attncCompileGpuKernels(
            source, len(source), chip.encode(), format.encode(),
            cuda_path.encode() if cuda_path else None, binary_path.encode(),
            descriptor_path.encode(), errors, len(errors))
        if status != 0:
            raise CompileError(errors.value.decode(errors="replace").strip()
                               or "attnc failed without a diagnostic")
        with open(binary_path, "rb") as f:
            binary = f.read()
        with open(descriptor_path) as f:
            descriptor = json.load(f)
    return GpuKernels(binary, descriptor, format)
