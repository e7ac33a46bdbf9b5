// RUN: attn-opt %s --attn-reference-lowering --split-input-file | FileCheck %s

// GQA: 8 query heads read 2 KV heads through `h floordiv 4`, never a copy.
// Scores and the row statistics are f32; the softmax is guarded so that a
// fully masked row yields 0.

// CHECK-DAG: #[[$Q:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
// CHECK-DAG: #[[$KG:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 floordiv 4, d3, d4)>
// CHECK-DAG: #[[$S:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @gqa
// CHECK-SAME:    %[[Q:.*]]: tensor<1x8x1x32xbf16>, %[[K:.*]]: tensor<1x2x64x32xbf16>, %[[V:.*]]: tensor<1x2x64x16xbf16>
// CHECK-NOT:   attn.attention
// CHECK:       %[[ZERO:.*]] = linalg.fill {{.*}} -> tensor<1x8x1x64xf32>
// CHECK:       %[[SCORES:.*]] = linalg.generic {indexing_maps = [#[[$Q]], #[[$KG]], #[[$S]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME:    ins(%[[Q]], %[[K]] : tensor<1x8x1x32xbf16>, tensor<1x2x64x32xbf16>) outs(%[[ZERO]] : tensor<1x8x1x64xf32>)
// CHECK:         arith.extf {{.*}} : bf16 to f32
// CHECK:         arith.mulf
// CHECK:         arith.addf
// CHECK:       %[[SCALED:.*]] = linalg.generic {{.*}} ins(%[[SCORES]] : tensor<1x8x1x64xf32>)
// CHECK:         arith.constant 2.500000e-01 : f32
// CHECK:       %[[MAX:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction"]{{.*}} ins(%[[SCALED]] : tensor<1x8x1x64xf32>)
// CHECK:         arith.maximumf
// CHECK:       %[[P:.*]] = linalg.generic {{.*}} ins(%[[SCALED]], %[[MAX]] : tensor<1x8x1x64xf32>, tensor<1x8x1xf32>)
// CHECK:         %[[EMPTY:.*]] = arith.cmpf oeq, %{{.*}}, %{{.*}} : f32
// CHECK:         arith.select %[[EMPTY]]
// CHECK:         math.exp
// CHECK:       %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[P]] : tensor<1x8x1x64xf32>)
// CHECK:         arith.addf
// CHECK:       %[[PV:.*]] = linalg.generic {{.*}} ins(%[[P]], %[[V]] : tensor<1x8x1x64xf32>, tensor<1x2x64x16xbf16>)
// CHECK:       linalg.generic {{.*}} ins(%[[PV]], %[[SUM]] : tensor<1x8x1x16xf32>, tensor<1x8x1xf32>) outs(%{{.*}} : tensor<1x8x1x16xf32>)
// CHECK:         arith.divf
// CHECK:         arith.select
func.func @gqa(%q: tensor<1x8x1x32xbf16>, %k: tensor<1x2x64x32xbf16>, %v: tensor<1x2x64x16xbf16>,
               %o: tensor<1x8x1x16xf32>) -> tensor<1x8x1x16xf32> {
  %r = attn.attention queries(%q : tensor<1x8x1x32xbf16>) keys(%k : tensor<1x2x64x32xbf16>)
         values(%v : tensor<1x2x64x16xbf16>) outs(%o : tensor<1x8x1x16xf32>) scale(0.25 : f32)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<1x8x1x16xf32>
  return %r : tensor<1x8x1x16xf32>
}

// -----

// Sliding window with kv_lengths: positions come from linalg.index on the
// query (d2) and key (d3) dims; query s is aligned at s + L - S.

// CHECK-LABEL: func.func @window_lengths
// CHECK-SAME:    %[[LEN:[^:]*]]: tensor<2xi32>
// CHECK:       linalg.generic {{.*}} ins(%{{.*}}, %[[LEN]] : tensor<2x4x3x16xf32>, tensor<2xi32>)
// CHECK:       ^bb0(%{{.*}}: f32, %[[L:.*]]: i32, %{{.*}}: f32):
// CHECK-DAG:     %[[T:.*]] = linalg.index 3 : index
// CHECK-DAG:     %[[LI:.*]] = arith.index_cast %[[L]] : i32 to index
// CHECK-DAG:     %[[S:.*]] = linalg.index 2 : index
// CHECK:         %[[INLEN:.*]] = arith.cmpi slt, %[[T]], %[[LI]] : index
// CHECK:         %[[SHIFT:.*]] = arith.subi %[[LI]], %c3 : index
// CHECK:         %[[ALIGNED:.*]] = arith.addi %[[S]], %[[SHIFT]] : index
// CHECK:         %[[PAST:.*]] = arith.cmpi sle, %[[T]], %[[ALIGNED]] : index
// CHECK:         %[[VIS:.*]] = arith.andi %[[INLEN]], %[[PAST]] : i1
// CHECK:         %[[OLDEST:.*]] = arith.subi %[[ALIGNED]], %c5 : index
// CHECK:         %[[INWIN:.*]] = arith.cmpi sgt, %[[T]], %[[OLDEST]] : index
// CHECK:         %[[VIS2:.*]] = arith.andi %[[VIS]], %[[INWIN]] : i1
// CHECK:         arith.select %[[VIS2]], %{{.*}}, %cst{{.*}} : f32
func.func @window_lengths(%q: tensor<2x4x3x8xf32>, %k: tensor<2x4x16x8xf32>, %v: tensor<2x4x16x8xf32>,
                          %len: tensor<2xi32>, %o: tensor<2x4x3x8xf32>) -> tensor<2x4x3x8xf32> {
  %r = attn.attention queries(%q : tensor<2x4x3x8xf32>) keys(%k : tensor<2x4x16x8xf32>)
         values(%v : tensor<2x4x16x8xf32>) kv_lengths(%len : tensor<2xi32>) outs(%o : tensor<2x4x3x8xf32>)
         scale(0.35 : f32) masking(sliding_window, window = 5)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<2x4x3x8xf32>
  return %r : tensor<2x4x3x8xf32>
}

// -----

// Two score contractions (MLA's latent and RoPE terms) accumulate into one
// score tensor; the latent is read as both key and value.

// CHECK-LABEL: func.func @two_contractions
// CHECK-SAME:    %[[QC:[^:]*]]: tensor<1x1x4x32xf32>, %[[QR:[^:]*]]: tensor<1x1x4x8xf32>, %[[C:[^:]*]]: tensor<1x16x32xf32>, %[[KR:[^:]*]]: tensor<1x16x8xf32>
// CHECK:       %[[S0:.*]] = linalg.generic {{.*}} ins(%[[QC]], %[[C]] : tensor<1x1x4x32xf32>, tensor<1x16x32xf32>)
// CHECK:       %[[S1:.*]] = linalg.generic {{.*}} ins(%[[QR]], %[[KR]] : tensor<1x1x4x8xf32>, tensor<1x16x8xf32>) outs(%[[S0]] : tensor<1x4x1x16xf32>)
// CHECK:       linalg.generic {{.*}} ins(%{{.*}}, %[[C]] : tensor<1x4x1x16xf32>, tensor<1x16x32xf32>)
func.func @two_contractions(%qc: tensor<1x1x4x32xf32>, %qr: tensor<1x1x4x8xf32>,
                            %c: tensor<1x16x32xf32>, %kr: tensor<1x16x8xf32>,
                            %o: tensor<1x1x4x32xf32>) -> tensor<1x1x4x32xf32> {
  %r = attn.attention queries(%qc, %qr : tensor<1x1x4x32xf32>, tensor<1x1x4x8xf32>)
         keys(%c, %kr : tensor<1x16x32xf32>, tensor<1x16x8xf32>)
         values(%c : tensor<1x16x32xf32>) outs(%o : tensor<1x1x4x32xf32>) scale(0.15 : f32)
         indexing_maps = [
           affine_map<(b, h, s, t, c, r, n) -> (b, s, h, c)>,
           affine_map<(b, h, s, t, c, r, n) -> (b, s, h, r)>,
           affine_map<(b, h, s, t, c, r, n) -> (b, t, c)>,
           affine_map<(b, h, s, t, c, r, n) -> (b, t, r)>,
           affine_map<(b, h, s, t, c, r, n) -> (b, t, n)>,
           affine_map<(b, h, s, t, c, r, n) -> (b, s, h, n)>]
         -> tensor<1x1x4x32xf32>
  return %r : tensor<1x1x4x32xf32>
}

// -----

// A tile of a larger causal attention with a log-sum-exp output: key and
// query indices are shifted by the tile's origins (%k0, %q0) before the mask
// compares them; lse = rowMax + log(rowSum) is the second result.
#q = affine_map<(b, s, t, d, e) -> (b, s, d)>
#k = affine_map<(b, s, t, d, e) -> (b, t, d)>
#v = affine_map<(b, s, t, d, e) -> (b, t, e)>
#o = affine_map<(b, s, t, d, e) -> (b, s, e)>
#row = affine_map<(b, s, t, d, e) -> (b, s)>

// CHECK-LABEL: func.func @tile_with_log_sum_exp
// CHECK-SAME:    %[[LSE:[^:]*]]: tensor<1x4xf32>, %[[Q0:[^:]*]]: index, %[[K0:[^:]*]]: index
// CHECK:         %[[KEY:.*]] = linalg.index 2 : index
// CHECK:         arith.addi %[[KEY]], %[[K0]] : index
// CHECK:         %[[QUERY:.*]] = linalg.index 1 : index
// CHECK:         arith.addi %[[QUERY]], %[[Q0]] : index
// CHECK:       %[[LOUT:.*]] = linalg.generic {{.*}} outs(%[[LSE]] : tensor<1x4xf32>)
// CHECK:         math.log
// CHECK:       return %{{.*}}, %[[LOUT]]
func.func @tile_with_log_sum_exp(%q: tensor<1x4x16xf32>, %k: tensor<1x16x16xf32>, %v: tensor<1x16x16xf32>,
                                 %o: tensor<1x4x16xf32>, %lse: tensor<1x4xf32>, %q0: index, %k0: index)
    -> (tensor<1x4x16xf32>, tensor<1x4xf32>) {
  %r:2 = attn.attention queries(%q : tensor<1x4x16xf32>) keys(%k : tensor<1x16x16xf32>)
         values(%v : tensor<1x16x16xf32>) outs(%o : tensor<1x4x16xf32>, log_sum_exp %lse : tensor<1x4xf32>)
         scale(0.25 : f32) masking(causal) positions(queries %q0 of 64, keys %k0 of 64)
         indexing_maps = [#q, #k, #v, #o, #row] -> tensor<1x4x16xf32>, tensor<1x4xf32>
  return %r#0, %r#1 : tensor<1x4x16xf32>, tensor<1x4xf32>
}
