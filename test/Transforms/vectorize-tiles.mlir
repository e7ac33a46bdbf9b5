// RUN: attn-opt %s --attn-vectorize-tiles --split-input-file | FileCheck %s

// A contraction (the score tile s[k, q] = sum_c k[k, c] * qT[c, q]) becomes
// register blocks of 4 rows by 16 lanes, one reduction step at a time: each
// step is a 4x16x1 vector.contract, i.e. 4 broadcast FMAs.

// CHECK-LABEL: func.func @contraction
// CHECK:       scf.for %{{.*}} = %c0 to %c8 step %c4
// CHECK:         scf.for %{{.*}} = %c0 to %c32 step %c16
// CHECK:           scf.for %{{.*}} = %c0 to %c64 step %c1
// CHECK:             vector.transfer_read {{.*}} : tensor<4x1xf32>, vector<4x1xf32>
// CHECK:             vector.transfer_read {{.*}} : tensor<1x16xf32>, vector<1x16xf32>
// CHECK:             vector.contract {{.*}} vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>
// CHECK-NOT:   linalg.generic
func.func @contraction(%k: tensor<8x64xf32>, %qt: tensor<64x32xf32>, %s: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %r = linalg.generic {
         indexing_maps = [affine_map<(k, q, c) -> (k, c)>, affine_map<(k, q, c) -> (c, q)>,
                          affine_map<(k, q, c) -> (k, q)>],
         iterator_types = ["parallel", "parallel", "reduction"]}
       ins(%k, %qt : tensor<8x64xf32>, tensor<64x32xf32>) outs(%s : tensor<8x32xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %sum = arith.addf %acc, %m : f32
    linalg.yield %sum : f32
  } -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}

// -----

// Elementwise ops and row statistics go a whole row at a time; exp is
// replaced by a polynomial so that it stays a vector op.

// CHECK-LABEL: func.func @row_exp
// CHECK:       scf.for %{{.*}} = %c0 to %c8 step %c1
// CHECK:         vector.transfer_read {{.*}} : tensor<1x32xf32>, vector<1x32xf32>
// CHECK-NOT:     math.exp
// CHECK:         math.fma {{.*}} : vector<1x32xf32>
// CHECK:         vector.transfer_write {{.*}} : vector<1x32xf32>, tensor<1x32xf32>
func.func @row_exp(%x: tensor<8x32xf32>, %o: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %r = linalg.generic {
         indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
         iterator_types = ["parallel", "parallel"]}
       ins(%x : tensor<8x32xf32>) outs(%o : tensor<8x32xf32>) {
  ^bb0(%a: f32, %b: f32):
    %e = math.exp %a : f32
    linalg.yield %e : f32
  } -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}

// -----

// A dot-product contraction (the reduction is the innermost dimension of both
// inputs: decode scores s[k, r] = sum_c k[k, c] * q[r, c]) goes one output row
// at a time with the whole reduction as vectors: a multiply and a horizontal
// sum per row, not outer products.

// CHECK-LABEL: func.func @dot
// CHECK:       scf.for %{{.*}} = %c0 to %c8 step %c1
// CHECK:         vector.transfer_read {{.*}} : tensor<1x64xf32>, vector<1x64xf32>
// CHECK:         vector.transfer_read {{.*}} : tensor<4x64xf32>, vector<4x64xf32>
// CHECK:         arith.mulf {{.*}} : vector<1x4x64xf32>
// CHECK-COUNT-4: vector.reduction <add>, %{{.*}} : vector<64xf32> into f32
// CHECK-NOT:     vector.contract
func.func @dot(%k: tensor<8x64xf32>, %q: tensor<4x64xf32>, %s: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %r = linalg.generic {
         indexing_maps = [affine_map<(k, r, c) -> (k, c)>, affine_map<(k, r, c) -> (r, c)>,
                          affine_map<(k, r, c) -> (k, r)>],
         iterator_types = ["parallel", "parallel", "reduction"]}
       ins(%k, %q : tensor<8x64xf32>, tensor<4x64xf32>) outs(%s : tensor<8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %sum = arith.addf %acc, %m : f32
    linalg.yield %sum : f32
  } -> tensor<8x4xf32>
  return %r : tensor<8x4xf32>
}

// -----

// 24 packed rows (MLRA, GQA groups of 24): blocks stay a power of two wide
// (8 lanes, with 8 rows to keep the accumulator count), never 4x24 or 4x12,
// which LLVM keeps as scalars across the reduction loop.

// CHECK-LABEL: func.func @contraction_24_lanes
// CHECK:       scf.for %{{.*}} = %c0 to %c64 step %c8
// CHECK:         scf.for %{{.*}} = %c0 to %c24 step %c8
// CHECK:           vector.contract {{.*}} vector<8x1xf32>, vector<1x8xf32> into vector<8x8xf32>
// CHECK-NOT:   vector<4x24xf32>
// CHECK-NOT:   vector<4x12xf32>
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

// -----

// The embedding gate's gather by token id (a tensor.extract whose column is
// the tiled linalg.index) is vectorized: a vector.gather per row, no scalar
// loop.

// CHECK-LABEL: func.func @gather_by_id
// CHECK:       scf.for %{{.*}} = %c0 to %c8 step %c1
// CHECK:         vector.gather {{.*}} : tensor<16x32xf32>, vector<1x32xindex>
// CHECK-NOT:   tensor.extract %
func.func @gather_by_id(%x: tensor<8x32xf32>, %ids: tensor<8xi32>, %table: tensor<16x32xf32>,
                        %o: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %r = linalg.generic {
         indexing_maps = [affine_map<(t, j) -> (t, j)>, affine_map<(t, j) -> (t)>,
                          affine_map<(t, j) -> (t, j)>],
         iterator_types = ["parallel", "parallel"]}
       ins(%x, %ids : tensor<8x32xf32>, tensor<8xi32>) outs(%o : tensor<8x32xf32>) {
  ^bb0(%a: f32, %id: i32, %b: f32):
    %row = arith.index_cast %id : i32 to index
    %col = linalg.index 1 : index
    %g = tensor.extract %table[%row, %col] : tensor<16x32xf32>
    %m = arith.mulf %a, %g : f32
    linalg.yield %m : f32
  } -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}

// -----

// A norm's sum of squares (a row reduction against a mean broadcast along the
// row) goes a row at a time with the whole row as a vector, like a dot
// product, not as outer products over strided columns.

// CHECK-LABEL: func.func @norm_sum_of_squares
// CHECK:       scf.for %{{.*}} = %c0 to %c64 step %c1
// CHECK:         vector.transfer_read {{.*}} : tensor<1x256xf32>, vector<1x256xf32>
// CHECK:         vector.reduction <add>, %{{.*}} : vector<256xf32> into f32
// CHECK-NOT:     vector.contract
func.func @norm_sum_of_squares(%x: tensor<64x256xf32>, %mean: tensor<64xf32>, %s: tensor<64xf32>) -> tensor<64xf32> {
  %r = linalg.generic {
         indexing_maps = [affine_map<(t, j) -> (t, j)>, affine_map<(t, j) -> (t)>,
                          affine_map<(t, j) -> (t)>],
         iterator_types = ["parallel", "reduction"]}
       ins(%x, %mean : tensor<64x256xf32>, tensor<64xf32>) outs(%s : tensor<64xf32>) {
  ^bb0(%a: f32, %m: f32, %acc: f32):
    %d = arith.subf %a, %m : f32
    %sq = arith.mulf %d, %d : f32
    %sum = arith.addf %acc, %sq : f32
    linalg.yield %sum : f32
  } -> tensor<64xf32>
  return %r : tensor<64xf32>
}
