# -*- Python -*-
import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "attnc"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs", "project"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.attnc_obj_root, "test")

llvm_config.with_system_environment(["HOME", "TMPDIR", "PYTHONPATH"])
# In the sanitizer build a report aborts (a signal, not exit code 1, which
# tools also use for diagnostics). LLVM's and MLIR's global state is not
# freed at exit by design: leak checking stays off.
if config.attnc_sanitizers:
    config.available_features.add("sanitizer")
# LLVM's BumpPtrAllocator poisons slabs in inline code: compiled into
# attnc's instrumented code it poisons what the uninstrumented libMLIR.so
# later hands out without unpoisoning (false reports): manual poisoning off.
config.environment["ASAN_OPTIONS"] = "abort_on_error=1:detect_leaks=0:allow_user_poisoning=0"
config.environment["UBSAN_OPTIONS"] = "halt_on_error=1:abort_on_error=1:print_stacktrace=1"
llvm_config.use_default_substitutions()

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%examples", os.path.join(config.attnc_src_root, "examples")))
# Ahead of lit's own %python (the interpreter running lit): the one CMake
# found, where utils/install-deps.sh put numpy and pytest.
config.substitutions.insert(0, ("%python", config.python_executable))
config.substitutions.append(("%attnc_src", config.attnc_src_root))
config.substitutions.append(
    ("%attn_run", os.path.join(config.attnc_tools_dir, "attn-run")))
config.substitutions.append(
    ("%attnc_bin", os.path.join(config.attnc_tools_dir, "attnc")))
config.substitutions.append(("%attnc_obj", config.attnc_obj_root))
config.substitutions.append(("%cxx_compiler", config.cxx_compiler))
config.substitutions.append(("%mlir_cmake_dir", config.mlir_cmake_dir))
config.substitutions.append(
    ("%attnc_lib", os.path.join(config.attnc_obj_root, "lib", "libAttncCAPI.so")))
# With --param replay_cpu=NAME --param replay_dir=DIR, numerical checks are
# not run here: each is compiled for that CPU into DIR, with a replay.sh that
# runs them on a machine without MLIR (check_attention.py --compile-for).
replay = ""
if lit_config.params.get("replay_cpu"):
    replay = " --compile-for %s --replay-dir %s" % (
        lit_config.params["replay_cpu"], os.path.abspath(lit_config.params["replay_dir"]))
config.substitutions.append(
    ("%check-attention",
     "%s %s --attn-run %s%s" % (config.python_executable,
                                os.path.join(config.attnc_src_root, "utils", "check_attention.py"),
                                os.path.join(config.attnc_tools_dir, "attn-run"), replay)))

# MPI (tensor-parallel programs): mpiexec as CMake found it. OpenMPI wants
# --oversubscribe for more ranks than this machine's cores and, as root (CI
# containers), --allow-run-as-root.
mpirun = ""
if config.attnc_mpiexec:
    config.available_features.add("mpi")
    mpirun = config.attnc_mpiexec + " --oversubscribe"
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        mpirun += " --allow-run-as-root"
config.substitutions.append(("%mpirun", mpirun))

llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
tool_dirs = [config.attnc_tools_dir, config.llvm_tools_dir]
llvm_config.add_tool_substitutions(["attn-opt", "attn-run", "attnc", "attnc-capi-test",
                                   "attnc-array-memory-test"], tool_dirs)
# LLVM 22's llc and llvm-objdump (the unversioned ones on PATH may be older).
llvm_config.add_tool_substitutions(["llc", "llvm-objdump"], [config.llvm_tools_dir])

# x86 features of this machine, for tests that run code compiled for it:
# avx512-bf16 (attn-run --emulate-amx runs the AMX path's softmax and
# narrow tiles on it), avx512-fp16, and amx where the CPU has amx_bf16 and Linux grants
# a process AMX tile state (arch_prctl(ARCH_REQ_XCOMP_PERM,
# XFEATURE_XTILEDATA): a kernel or hypervisor may refuse).
def _cpu_flags():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


_flags = _cpu_flags()
if "avx512_bf16" in _flags:
    config.available_features.add("avx512-bf16")
# Sapphire Rapids' vector ISA (avx512_fp16 first came with it): code
# compiled for it runs here up to its AMX instructions.
if "avx512_fp16" in _flags:
    config.available_features.add("avx512-fp16")
if {"amx_bf16", "amx_tile"} <= _flags:
    import ctypes
    _libc = ctypes.CDLL(None, use_errno=True)
    if _libc.syscall(158, 0x1023, 18) == 0:
        config.available_features.add("amx")

# NVIDIA GPUs. With the CUDA toolkit (ptxas, libdevice) kernels are compiled
# and assembled here (cuda-toolkit); running them needs a GPU (cuda-gpu:
# nvidia-smi lists one), which the machines the suite usually runs on lack.
cuda_home = os.environ.get("CUDA_HOME") or "/usr/local/cuda"
if os.path.exists(os.path.join(cuda_home, "bin", "ptxas")) and os.path.exists(
        os.path.join(cuda_home, "nvvm", "libdevice", "libdevice.10.bc")):
    config.available_features.add("cuda-toolkit")
config.substitutions.append(("%cuda_path", cuda_home))
config.substitutions.append(("%ptxas", os.path.join(cuda_home, "bin", "ptxas")))
gpu_run = os.path.join(config.attnc_tools_dir, "attn-gpu-run")
if os.path.exists(gpu_run):
    config.available_features.add("attn-gpu-run")
config.substitutions.append(("%attn_gpu_run", gpu_run))
gpu_chip = "sm_80"
try:
    import subprocess as _subprocess
    _query = _subprocess.run(["nvidia-smi", "--query-gpu=compute_cap", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=20)
    if _query.returncode == 0 and _query.stdout.strip():
        config.available_features.add("cuda-gpu")
        gpu_chip = "sm_" + _query.stdout.split()[0].replace(".", "")
except (OSError, _subprocess.SubprocessError):
    pass
config.substitutions.append(("%gpu_chip", gpu_chip))
config.substitutions.append(
    ("%check-gpu-attention",
     "%s %s --gpu-run %s" % (config.python_executable,
                             os.path.join(config.attnc_src_root, "utils", "check_attention.py"),
                             gpu_run)))
# The same checks with the PTX interpreted on the CPU (utils/ptx_emulator.py,
# attn-gpu-run's interface): kernels run here, on small sizes, with no GPU.
config.substitutions.append(
    ("%check-emulated-gpu-attention",
     "%s %s --gpu-run %s" % (config.python_executable,
                             os.path.join(config.attnc_src_root, "utils", "check_attention.py"),
                             os.path.join(config.attnc_src_root, "utils", "ptx_emulator.py"))))
