// RUN: attn-opt %s --attn-gpu-merge-kernel-modules | FileCheck %s

// Two outlined modules of one kernel each (both named @main_kernel inside)
// become one @attn_kernels, each kernel named after its module; the
// launches follow, and the common target stays.

// CHECK-LABEL: gpu.module @attn_kernels [#nvvm.target<chip = "sm_80">]
// CHECK:         gpu.func @main_kernel(%{{.*}}: memref<4xf32>) kernel
// CHECK:         gpu.func @main_kernel_0(%{{.*}}: memref<4xf32>) kernel
// CHECK-NOT:   gpu.module
// CHECK-LABEL: func.func @main
// CHECK:         gpu.launch_func @attn_kernels::@main_kernel blocks
// CHECK:         gpu.launch_func @attn_kernels::@main_kernel_0 blocks
module attributes {gpu.container_module} {
  gpu.module @main_kernel [#nvvm.target<chip = "sm_80">] {
    gpu.func @main_kernel(%arg0: memref<4xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @main_kernel_0 [#nvvm.target<chip = "sm_80">] {
    gpu.func @main_kernel(%arg0: memref<4xf32>) kernel {
      gpu.return
    }
  }
  func.func @main(%buffer: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @main_kernel::@main_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%buffer : memref<4xf32>)
    gpu.launch_func @main_kernel_0::@main_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%buffer : memref<4xf32>)
    return
  }
}
