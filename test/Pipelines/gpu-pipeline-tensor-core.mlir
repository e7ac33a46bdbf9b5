// REQUIRES: cuda-toolkit
// RUN: attn-opt %s --attn-gpu-pipeline="chip=sm_80 toolkit=%cuda_path" | FileCheck %s
// RUN: attn-opt %s --attn-gpu-pipeline="chip=sm_80 toolkit=%cuda_path tensor-cores=0" | FileCheck %s --check-prefix=PORTABLE

// bf16 attention takes the tensor-core kernel: one launch with dynamic
// shared memory for the K/V stages, mma.sync, ldmatrix and cp.async in the
// PTX. With tensor-cores=0 it takes the portable path (scores in global
// memory, a kernel per linalg op).

// CHECK-LABEL: func.func @attend
// CHECK-SAME:    (%[[Q:.*]]: memref<1x2x20x64xbf16>, %[[K:.*]]: memref<1x2x40x64xbf16>, %[[V:.*]]: memref<1x2x40x64xbf16>) -> memref<1x2x20x64xf32>
// CHECK:         %[[OUT:.*]] = memref.alloc() : memref<1x2x20x64xf32>
// CHECK:         gpu.launch_func @attn_kernels::@attend_kernel blocks in ({{.*}}) threads in ({{.*}}) dynamic_shared_memory_size %{{.*}} args(%[[Q]] : memref<1x2x20x64xbf16>, %[[K]] : memref<1x2x40x64xbf16>, %[[V]] : memref<1x2x40x64xbf16>, %[[OUT]] : memref<1x2x20x64xf32>)
// CHECK-NOT:     gpu.launch_func
// CHECK:         return %[[OUT]]
// CHECK:       gpu.binary @attn_kernels
// CHECK-SAME:    cp.async.cg.shared.global
// CHECK-SAME:    ldmatrix.sync.aligned.m8n8.x4.shared.b16
// CHECK-SAME:    mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// CHECK-SAME:    ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16

// PORTABLE-LABEL: func.func @attend
// PORTABLE:       memref.alloc() {{.*}} : memref<1x2x20x40xf32>
// PORTABLE-NOT:   mma.sync
func.func @attend(%q: tensor<1x2x20x64xbf16>, %k: tensor<1x2x40x64xbf16>,
                  %v: tensor<1x2x40x64xbf16>) -> tensor<1x2x20x64xf32> {
  %init = tensor.empty() : tensor<1x2x20x64xf32>
  %o = attn.attention queries(%q : tensor<1x2x20x64xbf16>)
         keys(%k : tensor<1x2x40x64xbf16>) values(%v : tensor<1x2x40x64xbf16>)
         outs(%init : tensor<1x2x20x64xf32>) scale(0.125 : f32)
         indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
                          affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
                          affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
                          affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<1x2x20x64xf32>
  return %o : tensor<1x2x20x64xf32>
}
