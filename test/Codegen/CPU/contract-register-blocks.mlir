// RUN: attn-opt %s --split-input-file --attn-contract-register-blocks | FileCheck %s
// RUN: attn-opt %s --split-input-file --attn-tile-register-blocks --attn-vectorize-register-tiles --attn-contract-register-blocks | FileCheck %s --check-prefix=TILED

// A register block's product and reduction: one vector.contract.

// CHECK-LABEL: func.func @block
// CHECK-SAME:    %[[A:[^:]*]]: vector<6x16x1xf32>, %[[B:[^:]*]]: vector<6x16x1xf32>, %[[ACC:[^:]*]]: vector<6x16xf32>
// CHECK:         %[[R:.*]] = vector.contract {{{.*}}iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %[[A]], %[[B]], %[[ACC]]
// CHECK-NOT:     vector.multi_reduction
// CHECK:         return %[[R]]
func.func @block(%a: vector<6x16x1xf32>, %b: vector<6x16x1xf32>, %acc: vector<6x16xf32>) -> vector<6x16xf32> {
  %p = arith.mulf %a, %b : vector<6x16x1xf32>
  %r = vector.multi_reduction <add>, %p, %acc [2] : vector<6x16x1xf32> to vector<6x16xf32>
  return %r : vector<6x16xf32>
}

// -----

// exp on vectors: upstream's polynomial, no call to expf.

// CHECK-LABEL: func.func @exp
// CHECK-NOT:     math.exp
// CHECK:         math.fma
// CHECK-NOT:     math.exp
func.func @exp(%x: vector<16xf32>) -> vector<16xf32> {
  %e = math.exp %x : vector<16xf32>
  return %e : vector<16xf32>
}

// -----

// A 4x24 block (24 packed heads), marked by attn-tile-register-blocks: twelve
// 1x8 contracts per reduction step, each on one row and one native vector;
// the mark is removed.

// CHECK-LABEL: func.func @contraction_24_lanes
// CHECK:         linalg.generic

// TILED-LABEL:    func.func @contraction_24_lanes
// TILED:            scf.for
// TILED:              scf.for
// TILED:                scf.for
// TILED-COUNT-12:         vector.contract {{.*}} : vector<1x1xf32>, vector<1x8xf32> into vector<1x8xf32>
// TILED-NOT:              vector.contract
// TILED-NOT:        attn_codegen.unroll_lanes
func.func @contraction_24_lanes(%k: tensor<64x128xf32>, %qt: tensor<128x24xf32>, %s: tensor<64x24xf32>) -> tensor<64x24xf32> {
  %r = linalg.generic {
         indexing_maps = [affine_map<(k, q, c) -> (k, c)>, affine_map<(k, q, c) -> (c, q)>,
                          affine_map<(k, q, c) -> (k, q)>],
         iterator_types = ["parallel", "parallel", "reduction"]}
       ins(%k, %qt : tensor<64x128xf32>, tensor<128x24xf32>) outs(%s : tensor<64x24xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %sum = arith.addf %acc, %m : f32
    linalg.yield %sum : f32
  } -> tensor<64x24xf32>
  return %r : tensor<64x24xf32>
}
