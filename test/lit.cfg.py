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

llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
tool_dirs = [config.attnc_tools_dir, config.llvm_tools_dir]
llvm_config.add_tool_substitutions(["attn-opt", "attn-run", "attnc", "attnc-capi-test",
                                   "attnc-array-memory-test"], tool_dirs)
