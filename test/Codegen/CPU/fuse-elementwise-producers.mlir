// RUN: attn-opt %s --attn-fuse-elementwise-producers --split-input-file | FileCheck %s

// A decode step's matrix-vector product reads its transposed weight in
// place: the transpose becomes the contraction's indexing map.

// CHECK-DAG:   #[[W:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @matvec_reads_weight_in_place
// CHECK-NOT:   linalg.generic {{.*}} ins(%arg1 : tensor<8x16xf32>) outs
// CHECK:       linalg.generic {indexing_maps = [#{{.*}}, #[[W]], #{{.*}}], iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0, %arg1 : tensor<1x16xf32>, tensor<8x16xf32>)
// CHECK-NOT:   linalg.generic
#t = affine_map<(n, k) -> (n, k)>
#tt = affine_map<(n, k) -> (k, n)>
func.func @matvec_reads_weight_in_place(%x: tensor<1x16xf32>, %w: tensor<8x16xf32>) -> tensor<1x8xf32> {
  %e = tensor.empty() : tensor<16x8xf32>
  %wt = linalg.generic {indexing_maps = [#t, #tt], iterator_types = ["parallel", "parallel"]}
      ins(%w : tensor<8x16xf32>) outs(%e : tensor<16x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<16x8xf32>
  %zero = arith.constant 0.0 : f32
  %oe = tensor.empty() : tensor<1x8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%oe : tensor<1x8xf32>) -> tensor<1x8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %wt : tensor<1x16xf32>, tensor<16x8xf32>) outs(%init : tensor<1x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x8xf32>
  return %r : tensor<1x8xf32>
}

// -----

// A contraction of more rows (a prefill GEMM, 32 rows) keeps reading the
// transposed copy; an elementwise producer (a scale) is fused all the same.

// CHECK-LABEL: func.func @gemm_keeps_transposed_copy
// CHECK:       %[[WT:.*]] = linalg.generic {{.*}} ins(%arg1 : tensor<8x16xf32>) outs(%{{.*}} : tensor<16x8xf32>)
// CHECK-NEXT:  ^bb0(%[[A:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:    linalg.yield %[[A]]
// CHECK:       linalg.generic {{.*}} ins(%arg0, %[[WT]] : tensor<32x16xf32>, tensor<16x8xf32>)
// CHECK:         arith.mulf %{{.*}}, %cst
// CHECK-NOT:   linalg.generic
#t = affine_map<(n, k) -> (n, k)>
#tt = affine_map<(n, k) -> (k, n)>
func.func @gemm_keeps_transposed_copy(%x: tensor<32x16xf32>, %w: tensor<8x16xf32>) -> tensor<32x8xf32> {
  %e = tensor.empty() : tensor<16x8xf32>
  %wt = linalg.generic {indexing_maps = [#t, #tt], iterator_types = ["parallel", "parallel"]}
      ins(%w : tensor<8x16xf32>) outs(%e : tensor<16x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<16x8xf32>
  %c = arith.constant 0.5 : f32
  %xe = tensor.empty() : tensor<32x16xf32>
  %xs = linalg.generic {indexing_maps = [#t, #t], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<32x16xf32>) outs(%xe : tensor<32x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %c : f32
    linalg.yield %m : f32
  } -> tensor<32x16xf32>
  %zero = arith.constant 0.0 : f32
  %oe = tensor.empty() : tensor<32x8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%oe : tensor<32x8xf32>) -> tensor<32x8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%xs, %wt : tensor<32x16xf32>, tensor<16x8xf32>) outs(%init : tensor<32x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<32x8xf32>
  return %r : tensor<32x8xf32>
}
