// RUN: attn-opt %s --attn-cpu-pipeline --mlir-print-ir-after=buffer-loop-hoisting -o /dev/null 2>&1 | FileCheck %s
// RUN: attn-opt %s --attn-cpu-pipeline=threads=1 --mlir-print-ir-after=buffer-loop-hoisting -o /dev/null 2>&1 | FileCheck %s --check-prefix=THREADS

// The temporaries of the key-tile loop that have a fixed size (the [rows,
// keys] score tile) are allocated once before the loop rather than in every
// key tile. The running row max, which the loop yields, is still a fresh
// buffer per tile. Parallel loops keep their allocations: every thread needs
// its own.

// CHECK-LABEL: func.func @decode
// CHECK:       %[[SCORES:.*]] = memref.alloc() {{.*}} : memref<4x64xf32>
// CHECK:       scf.for {{.*}} -> (memref<4xf32>, memref<4xf32>, memref<4x16xf32>) {
// CHECK-NOT:   memref.alloc() {{.*}} : memref<4x64xf32>
// CHECK:       iter_args(%{{.*}} = %[[SCORES]]) -> (memref<4x64xf32>)
// CHECK-NOT:   memref.alloc() {{.*}} : memref<4x64xf32>
// CHECK:       %[[MAX:.*]] = memref.alloc() {{.*}} : memref<4xf32>
// CHECK-NOT:   memref.alloc() {{.*}} : memref<4x64xf32>
// CHECK:       scf.yield %{{.*}}, %{{.*}}, %{{.*}} : memref<4xf32>, memref<4xf32>, memref<4x16xf32>

// THREADS-LABEL: func.func @decode
// THREADS:       scf.forall
// THREADS:       memref.alloc() {{.*}} : memref<4x64xf32>
// THREADS:       scf.for {{.*}} -> (memref<4xf32>, memref<4xf32>, memref<4x16xf32>) {
func.func @decode(%q: tensor<1x8x1x16xf32>, %k: tensor<1x2x256x16xf32>,
                  %v: tensor<1x2x256x16xf32>) -> tensor<1x8x1x16xf32> {
  %init = tensor.empty() : tensor<1x8x1x16xf32>
  %o = attn.attention queries(%q : tensor<1x8x1x16xf32>) keys(%k : tensor<1x2x256x16xf32>)
         values(%v : tensor<1x2x256x16xf32>) outs(%init : tensor<1x8x1x16xf32>)
         scale(0.25 : f32)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<1x8x1x16xf32>
  return %o : tensor<1x8x1x16xf32>
}
