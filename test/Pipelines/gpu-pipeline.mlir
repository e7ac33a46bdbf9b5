// REQUIRES: cuda-toolkit
// RUN: attn-opt %s --attn-gpu-pipeline="chip=sm_80 toolkit=%cuda_path" | FileCheck %s
// RUN: attn-opt %s --attn-gpu-pipeline="chip=sm_90a features=+ptx80 toolkit=%cuda_path format=isa" | FileCheck %s --check-prefix=HOPPER

// A small attention: the host function allocates the score, statistics and
// output buffers and launches one kernel per linalg op of the reference
// lowering, all in one gpu.binary with PTX for the chip.

// CHECK-LABEL: func.func @attend
// CHECK-SAME:    (%[[Q:.*]]: memref<1x2x3x8xf32>, %[[K:.*]]: memref<1x2x5x8xf32>, %[[V:.*]]: memref<1x2x5x8xf32>) -> memref<1x2x3x8xf32>
// CHECK:         %[[OUT:.*]] = memref.alloc() {{.*}} : memref<1x2x3x8xf32>
// CHECK:         %[[SCORES:.*]] = memref.alloc() {{.*}} : memref<1x2x3x5xf32>
// CHECK:         gpu.launch_func @attn_kernels::@attend_kernel{{.*}} blocks in
// CHECK:         gpu.launch_func @attn_kernels::@attend_kernel{{.*}} args(%[[Q]] : memref<1x2x3x8xf32>, %[[K]] : memref<1x2x5x8xf32>, %[[SCORES]] : memref<1x2x3x5xf32>)
// CHECK-NOT:     scf.
// CHECK:         return %[[OUT]]
// CHECK:       gpu.binary @attn_kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_80", features = "+ptx80">, {{.*}}assembly = "
// CHECK-SAME:    .target sm_80
// CHECK-SAME:    .entry attend_kernel
// HOPPER:      gpu.binary @attn_kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80">
// HOPPER-SAME:   .target sm_90a
func.func @attend(%q: tensor<1x2x3x8xf32>, %k: tensor<1x2x5x8xf32>,
                  %v: tensor<1x2x5x8xf32>) -> tensor<1x2x3x8xf32> {
  %init = tensor.empty() : tensor<1x2x3x8xf32>
  %o = attn.attention queries(%q : tensor<1x2x3x8xf32>)
         keys(%k : tensor<1x2x5x8xf32>) values(%v : tensor<1x2x5x8xf32>)
         outs(%init : tensor<1x2x3x8xf32>) scale(0.35355339 : f32)
         indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
                          affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
                          affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
                          affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<1x2x3x8xf32>
  return %o : tensor<1x2x3x8xf32>
}
