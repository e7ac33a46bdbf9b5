// RUN: attn-opt %s --transform-interpreter --split-input-file --canonicalize | FileCheck %s

// attn.attention's TilingInterface, PartialReductionOpInterface and
// AggregatedOpInterface, driven by upstream's transform ops. A tile is an
// attn.attention on slices; a tile of a causal op records where it sits with
// positions(...).

#q = affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>
#k = affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>
#v = affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>
#o = affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>

// One query head and 4 queries per tile. Two query heads share a KV head, so
// K and V are sliced at head h / 2; the tile's queries start at 4 * j.
// CHECK-LABEL: func.func @parallel_tiles
// CHECK-SAME:    %[[Q:[^:]*]]: tensor<1x4x8x16xf32>, %[[K:[^:]*]]: tensor<1x2x12x16xf32>, %[[V:[^:]*]]: tensor<1x2x12x16xf32>, %[[O:[^:]*]]: tensor<1x4x8x16xf32>
// CHECK-DAG:   %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:   %[[C2:.*]] = arith.constant 2 : index
// CHECK:       scf.forall (%[[H:.*]], %[[J:.*]]) in (4, 2) shared_outs(%[[OUT:.*]] = %[[O]])
// CHECK:         %[[Q0:.*]] = affine.apply #{{.*}}(%[[J]])
// CHECK:         %[[OTILE:.*]] = tensor.extract_slice %[[OUT]][0, %[[H]], %[[Q0]], 0] [1, 1, 4, 16]
// CHECK:         %[[QTILE:.*]] = tensor.extract_slice %[[Q]][0, %[[H]], %[[Q0]], 0] [1, 1, 4, 16]
// CHECK:         %[[KVH:.*]] = arith.divui %[[H]], %[[C2]] : index
// CHECK:         %[[KTILE:.*]] = tensor.extract_slice %[[K]][0, %[[KVH]], 0, 0] [1, 1, 12, 16]
// CHECK:         %[[VTILE:.*]] = tensor.extract_slice %[[V]][0, %{{.*}}, 0, 0] [1, 1, 12, 16]
// CHECK:         %[[TILE:.*]] = attn.attention queries(%[[QTILE]] : tensor<1x1x4x16xf32>) keys(%[[KTILE]] : tensor<1x1x12x16xf32>) values(%[[VTILE]] : tensor<1x1x12x16xf32>) outs(%[[OTILE]] : tensor<1x1x4x16xf32>)
// CHECK-SAME:      masking(causal) positions(queries %[[Q0]] of 8, keys %[[C0]] of 12)
// CHECK:         tensor.parallel_insert_slice %[[TILE]] into %[[OUT]][0, %[[H]], %[[Q0]], 0] [1, 1, 4, 16]
func.func @parallel_tiles(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x12x16xf32>, %v: tensor<1x2x12x16xf32>,
                          %o: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %r = attn.attention queries(%q : tensor<1x4x8x16xf32>) keys(%k : tensor<1x2x12x16xf32>)
         values(%v : tensor<1x2x12x16xf32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(0.25 : f32) masking(causal) indexing_maps = [#q, #k, #v, #o] -> tensor<1x4x8x16xf32>
  return %r : tensor<1x4x8x16xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %op = transform.structured.match ops{["attn.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %tiled, %loop = transform.structured.tile_using_forall %op tile_sizes [1, 1, 4] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

#q = affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>
#k = affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>
#v = affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>
#o = affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>
#row = affine_map<(b, h, s, t, d, e) -> (b, h, s)>

// A tile of a tile: the op already sits at query 8 of 32 and has a
// log-sum-exp output; its tiles sit at 8 + 2 * j and slice that output too.
// CHECK-LABEL: func.func @tile_of_a_tile
// CHECK-SAME:    %[[LSE:[^:]*]]: tensor<1x2x4xf32>
// CHECK:       scf.forall (%[[J:.*]]) in (2) shared_outs(%[[OUT:.*]] = %{{.*}}, %[[LOUT:.*]] = %[[LSE]])
// CHECK:         %[[LOCAL:.*]] = affine.apply #{{.*}}(%[[J]])
// CHECK:         %[[LTILE:.*]] = tensor.extract_slice %[[LOUT]][0, 0, %[[LOCAL]]] [1, 2, 2]
// CHECK:         %[[Q0:.*]] = arith.addi %{{.*}}, %[[LOCAL]] : index
// CHECK:         %{{.*}}, %[[LTILED:.*]] = attn.attention {{.*}} outs(%{{.*}} : tensor<1x2x2x16xf32>, log_sum_exp %[[LTILE]] : tensor<1x2x2xf32>)
// CHECK-SAME:      masking(causal) positions(queries %[[Q0]] of 32, keys %{{.*}} of 12)
// CHECK:         tensor.parallel_insert_slice %[[LTILED]] into %[[LOUT]][0, 0, %[[LOCAL]]] [1, 2, 2]
func.func @tile_of_a_tile(%q: tensor<1x2x4x16xf32>, %k: tensor<1x2x12x16xf32>, %v: tensor<1x2x12x16xf32>,
                          %o: tensor<1x2x4x16xf32>, %lse: tensor<1x2x4xf32>, %at: index) -> (tensor<1x2x4x16xf32>, tensor<1x2x4xf32>) {
  %c0 = arith.constant 0 : index
  %r:2 = attn.attention queries(%q : tensor<1x2x4x16xf32>) keys(%k : tensor<1x2x12x16xf32>)
         values(%v : tensor<1x2x12x16xf32>) outs(%o : tensor<1x2x4x16xf32>, log_sum_exp %lse : tensor<1x2x4xf32>)
         scale(0.25 : f32) masking(causal) positions(queries %at of 32, keys %c0 of 12)
         indexing_maps = [#q, #k, #v, #o, #row] -> tensor<1x2x4x16xf32>, tensor<1x2x4xf32>
  return %r#0, %r#1 : tensor<1x2x4x16xf32>, tensor<1x2x4xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %op = transform.structured.match ops{["attn.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %tiled, %loop = transform.structured.tile_using_forall %op tile_sizes [0, 0, 2] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

#q = affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>
#k = affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>
#v = affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>
#o = affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>

// Split-KV: 3 shares of 4 keys. The partial tensor holds, per output element
// and share, o_s (element 0) and its row's lse_s (element 1), initialised to
// the merge's identities 0 and -inf. Each share is an attention over its key
// slice at key offset 4 * s, with a log-sum-exp output; the merge takes
// M = max lse_s, W = sum exp(lse_s - M), acc = sum exp(lse_s - M) o_s, and
// writes acc / W (0 where W = 0).
// CHECK-LABEL: func.func @split_kv
// CHECK-SAME:    %[[Q:[^:]*]]: tensor<1x4x8x16xf32>, %[[K:[^:]*]]: tensor<1x2x12x16xf32>, %[[V:[^:]*]]: tensor<1x2x12x16xf32>, %[[O:[^:]*]]: tensor<1x4x8x16xf32>
// CHECK-DAG:   %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-DAG:   %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:       %[[INIT:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x4x8x16x3x2xf32>)
// CHECK:         arith.select %{{.*}}, %[[ZERO]], %[[NEGINF]] : f32
// CHECK:       %[[PARTIAL:.*]] = scf.forall (%[[S:.*]]) in (3) shared_outs(%[[P:.*]] = %[[INIT]])
// CHECK:         %[[K0:.*]] = affine.apply #{{.*}}(%[[S]])
// CHECK:         %[[KS:.*]] = tensor.extract_slice %[[K]][0, 0, %[[K0]], 0] [1, 2, 4, 16]
// CHECK:         %[[VS:.*]] = tensor.extract_slice %[[V]][0, 0, %[[K0]], 0] [1, 2, 4, 16]
// CHECK:         %[[OS:.*]], %[[LS:.*]] = attn.attention queries(%[[Q]] : tensor<1x4x8x16xf32>) keys(%[[KS]] : tensor<1x2x4x16xf32>) values(%[[VS]] : tensor<1x2x4x16xf32>) outs(%{{.*}} : tensor<1x4x8x16xf32>, log_sum_exp %{{.*}} : tensor<1x4x8xf32>)
// CHECK-SAME:      masking(causal) positions(queries %{{.*}} of 8, keys %[[K0]] of 12)
// CHECK:         %[[SLOT:.*]] = tensor.extract_slice %[[P]][0, 0, 0, 0, %[[S]], 0] [1, 4, 8, 16, 1, 2]
// CHECK:         %[[PACKED:.*]] = linalg.generic {{.*}} ins(%[[OS]], %[[LS]] : tensor<1x4x8x16xf32>, tensor<1x4x8xf32>) outs(%[[SLOT]] : tensor<1x4x8x16x2xf32>)
// CHECK:         tensor.parallel_insert_slice %[[PACKED]] into %[[P]][0, 0, 0, 0, %[[S]], 0] [1, 4, 8, 16, 1, 2]
// CHECK:       %[[MAX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[PARTIAL]] : tensor<1x4x8x16x3x2xf32>)
// CHECK:         arith.maximumf
// CHECK:       %[[SUMS:.*]]:2 = linalg.generic {{.*}} ins(%[[PARTIAL]], %[[MAX]], %[[PARTIAL]] :
// CHECK:         math.exp
// CHECK:       %[[MERGED:.*]] = linalg.generic {{.*}} ins(%[[SUMS]]#1, %[[SUMS]]#0 : {{.*}}) outs(%[[O]] : tensor<1x4x8x16xf32>)
// CHECK:         arith.divf
// CHECK:       return %[[MERGED]]
func.func @split_kv(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x12x16xf32>, %v: tensor<1x2x12x16xf32>,
                    %o: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %r = attn.attention queries(%q : tensor<1x4x8x16xf32>) keys(%k : tensor<1x2x12x16xf32>)
         values(%v : tensor<1x2x12x16xf32>) outs(%o : tensor<1x4x8x16xf32>)
         scale(0.25 : f32) masking(causal) indexing_maps = [#q, #k, #v, #o] -> tensor<1x4x8x16xf32>
  return %r : tensor<1x4x8x16xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %op = transform.structured.match ops{["attn.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %init, %share, %merge, %loop = transform.structured.tile_reduction_using_forall %op by num_threads = [0, 0, 0, 3]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

#q = affine_map<(b, s, t, d, e) -> (b, s, d)>
#k = affine_map<(b, s, t, d, e) -> (b, t, d)>
#v = affine_map<(b, s, t, d, e) -> (b, t, e)>
#o = affine_map<(b, s, t, d, e) -> (b, s, e)>

// AggregatedOpInterface: the decomposition is the reference lowering, plain
// linalg that materialises the [b, s, t] scores.
// CHECK-LABEL: func.func @decompose
// CHECK-NOT:   attn.attention
// CHECK:       linalg.generic {{.*}} outs(%{{.*}} : tensor<1x4x12xf32>)
// CHECK:       math.exp
// CHECK:       arith.divf
// CHECK:       return
func.func @decompose(%q: tensor<1x4x16xf32>, %k: tensor<1x12x16xf32>, %v: tensor<1x12x16xf32>,
                     %o: tensor<1x4x16xf32>) -> tensor<1x4x16xf32> {
  %r = attn.attention queries(%q : tensor<1x4x16xf32>) keys(%k : tensor<1x12x16xf32>)
         values(%v : tensor<1x12x16xf32>) outs(%o : tensor<1x4x16xf32>)
         scale(0.25 : f32) masking(causal) indexing_maps = [#q, #k, #v, #o] -> tensor<1x4x16xf32>
  return %r : tensor<1x4x16xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %op = transform.structured.match ops{["attn.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %decomposed = transform.structured.decompose_interface %op : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}
