// RUN: attn-opt %s --split-input-file --attn-x86-amx-permission | FileCheck %s

// A function with AMX ops first calls the guard, which the pass adds once:
// on its first call it asks Linux for AMX tile state (the arch_prctl system
// call through libc's syscall: 158, ARCH_REQ_XCOMP_PERM = 0x1023 = 4131,
// XFEATURE_XTILEDATA = 18) and remembers a grant; refused, it writes its
// message to stderr and aborts. Functions without AMX ops are left alone.

// CHECK-LABEL: func.func @tiles
// CHECK-NEXT:    llvm.call @__attnc_require_amx() : () -> ()
// CHECK:         amx.tile_zero
// CHECK-LABEL: func.func @vectors
// CHECK-NOT:     __attnc_require_amx
// CHECK:       llvm.mlir.global internal @__attnc_amx_state(0 : i32)
// CHECK:       llvm.mlir.global internal constant @__attnc_amx_message("attnc: this kernel needs Intel AMX, and Linux refused the process AMX tile state (arch_prctl ARCH_REQ_XCOMP_PERM)\0A")
// CHECK-DAG:   llvm.func @syscall(i64, ...) -> i64
// CHECK-DAG:   llvm.func @write(i32, !llvm.ptr, i64) -> i64
// CHECK-DAG:   llvm.func @abort()
// CHECK:       llvm.func internal @__attnc_require_amx()
// CHECK:         %[[STATE:.*]] = llvm.load %{{.*}} : !llvm.ptr -> i32
// CHECK:         llvm.cond_br %{{.*}}, ^[[DONE:.*]], ^[[ASK:.*]]
// CHECK:       ^[[ASK]]:
// CHECK-DAG:     %[[NR:.*]] = llvm.mlir.constant(158 : i64) : i64
// CHECK-DAG:     %[[REQ:.*]] = llvm.mlir.constant(4131 : i64) : i64
// CHECK-DAG:     %[[FEATURE:.*]] = llvm.mlir.constant(18 : i64) : i64
// CHECK:         %[[ANSWER:.*]] = llvm.call @syscall(%[[NR]], %[[REQ]], %[[FEATURE]]) vararg(!llvm.func<i64 (i64, ...)>)
// CHECK:         llvm.cond_br %{{.*}}, ^[[DONE]], ^[[REFUSED:.*]]
// CHECK:       ^[[REFUSED]]:
// CHECK:         llvm.call @write(
// CHECK:         llvm.call @abort()
// CHECK:         llvm.unreachable
// CHECK:       ^[[DONE]]:
// CHECK:         llvm.store
// CHECK:         llvm.return
func.func @tiles(%c: memref<16x16xf32>) {
  %c0 = arith.constant 0 : index
  %z = amx.tile_zero : !amx.tile<16x16xf32>
  amx.tile_store %c[%c0, %c0], %z : memref<16x16xf32>, !amx.tile<16x16xf32>
  return
}
func.func @vectors(%c: memref<16xf32>) {
  return
}

// -----

// A module without AMX ops is left as it is.
// CHECK-LABEL: func.func @no_tiles
// CHECK-NOT:   __attnc
func.func @no_tiles() {
  return
}
