// RUN: attn-opt %s --attn-gpu-reductions-innermost | FileCheck %s

// P.V written (b, h, s, t, e) with the reduction t before e: e moves before
// t, so that the parallel loops form one nest.

// CHECK-DAG:   #[[P:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
// CHECK-DAG:   #[[V:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d3)>
// CHECK-DAG:   #[[O:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @pv
// CHECK:         linalg.generic {indexing_maps = [#[[P]], #[[V]], #[[O]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
func.func @pv(%p: memref<1x2x4x8xf32>, %v: memref<1x2x8x16xf32>, %o: memref<1x2x4x16xf32>) {
  linalg.generic {
      indexing_maps = [affine_map<(b, h, s, t, e) -> (b, h, s, t)>,
                       affine_map<(b, h, s, t, e) -> (b, h, t, e)>,
                       affine_map<(b, h, s, t, e) -> (b, h, s, e)>],
      iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]}
      ins(%p, %v : memref<1x2x4x8xf32>, memref<1x2x8x16xf32>) outs(%o : memref<1x2x4x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// An op whose reductions are already innermost is left as it is.

// CHECK-LABEL: func.func @row_sum
// CHECK:         iterator_types = ["parallel", "reduction"]
func.func @row_sum(%x: memref<4x8xf32>, %o: memref<4xf32>) {
  linalg.generic {
      indexing_maps = [affine_map<(r, c) -> (r, c)>, affine_map<(r, c) -> (r)>],
      iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x8xf32>) outs(%o : memref<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %acc, %a : f32
    linalg.yield %s : f32
  }
  return
}
