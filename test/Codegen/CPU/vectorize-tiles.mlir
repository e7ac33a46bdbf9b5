// RUN: attn-opt %s --attn-vectorize-tiles --split-input-file | FileCheck %s
// RUN: attn-opt %s --attn-vectorize-tiles=prefetch=false --split-input-file | FileCheck %s --check-prefix=NOPF
// RUN: attn-opt %s --attn-vectorize-tiles="native-lanes=16 lanes=32 bf16-dot=1" --split-input-file | FileCheck %s --check-prefix=BF16

// The pipeline of the register-tile passes, end to end; each pass has its
// own test beside this one.

// A contraction (the score tile s[k, q] = sum_c k[k, c] * qT[c, q]) becomes
// register blocks of 6 rows by 16 lanes, one reduction step at a time: each
// step is a 6x16x1 vector.contract, i.e. 6 broadcast FMAs per 8 lanes. Its
// 8 rows are split (linalg::splitOp) into the 6 of whole blocks and a
// remainder of 2, which takes blocks twice as wide (2x32), rather than all
// taking blocks of 4 rows that divide 8 (8 accumulators instead of 12).

// CHECK-LABEL: func.func @contraction
// CHECK-SAME:    %[[K:[^:]*]]: tensor<8x64xf32>, %{{[^:]*}}: tensor<64x32xf32>, %[[S:[^:]*]]: tensor<8x32xf32>
// CHECK:       %[[K6:.*]] = tensor.extract_slice %[[K]][0, 0] [6, 64] [1, 1] : tensor<8x64xf32> to tensor<6x64xf32>
// CHECK:       %[[TOP:.*]] = scf.for %{{.*}} = %c0 to %c6 step %c6
// CHECK:         scf.for %{{.*}} = %c0 to %c32 step %c16
// CHECK:           scf.for %{{.*}} = %c0 to %c64 step %c1
// CHECK:             tensor.extract_slice %[[K6]]
// CHECK:             vector.transfer_read {{.*}} : tensor<6x1xf32>, vector<6x1xf32>
// CHECK:             vector.transfer_read {{.*}} : tensor<1x16xf32>, vector<1x16xf32>
// CHECK:             vector.contract {{.*}} vector<6x1xf32>, vector<1x16xf32> into vector<6x16xf32>
// CHECK:       %[[S6:.*]] = tensor.insert_slice %[[TOP]] into %[[S]][0, 0] [6, 32] [1, 1]
// CHECK:       %[[K2:.*]] = tensor.extract_slice %[[K]][6, 0] [2, 64] [1, 1] : tensor<8x64xf32> to tensor<2x64xf32>
// CHECK:       %[[REST:.*]] = tensor.extract_slice %[[S6]][6, 0] [2, 32] [1, 1]
// CHECK:       %[[BOTTOM:.*]] = scf.for %{{.*}} = %c0 to %c2 step %c2 iter_args(%{{.*}} = %[[REST]])
// CHECK:         scf.for %{{.*}} = %c0 to %c32 step %c32
// CHECK:           scf.for %{{.*}} = %c0 to %c64 step %c1
// CHECK:             tensor.extract_slice %[[K2]]
// CHECK:             vector.contract {{.*}} vector<2x1xf32>, vector<1x32xf32> into vector<2x32xf32>
// CHECK:       %[[OUT:.*]] = tensor.insert_slice %[[BOTTOM]] into %[[S6]][6, 0] [2, 32] [1, 1]
// CHECK:       return %[[OUT]]
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

// A row statistic along the input's contiguous dimension (the row max of a
// decode tile's [rows, keys] scores) goes a whole row at a time and reduces
// within the row (vector.reduction: a tree after LLVM lowering), not column
// by column over strided scalars.

// CHECK-LABEL: func.func @row_max
// CHECK:       scf.for %{{.*}} = %c0 to %c4 step %c1
// CHECK:         vector.transfer_read {{.*}} : tensor<1x64xf32>, vector<1x64xf32>
// CHECK:         vector.reduction <maximumf>, %{{.*}}, %{{.*}} : vector<64xf32> into f32
// CHECK-NOT:     vector.multi_reduction
// CHECK-NOT:     vector<4x1xf32>
func.func @row_max(%x: tensor<4x64xf32>, %m: tensor<4xf32>) -> tensor<4xf32> {
  %r = linalg.generic {
         indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
         iterator_types = ["parallel", "reduction"]}
       ins(%x : tensor<4x64xf32>) outs(%m : tensor<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %x1 = arith.maximumf %a, %acc : f32
    linalg.yield %x1 : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// A boolean mask is read one element at a time along its contiguous
// dimension: LLVM packs a vector of i1 into bits in memory, while a
// bufferized i1 tensor holds one byte per element, so a vector load would
// read the wrong bytes.

// CHECK-LABEL: func.func @bool_mask_row
// CHECK:       scf.for %{{.*}} = %c0 to %c4 step %c1
// CHECK:         scf.for %{{.*}} = %c0 to %c32 step %c1
// CHECK:           vector.transfer_read {{.*}} : tensor<1x1xi1>, vector<1x1xi1>
// CHECK-NOT:     vector<1x32xi1>
func.func @bool_mask_row(%x: tensor<4x32xf32>, %mask: tensor<4x32xi1>, %o: tensor<4x32xf32>) -> tensor<4x32xf32> {
  %r = linalg.generic {
         indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>,
                          affine_map<(i, j) -> (i, j)>],
         iterator_types = ["parallel", "parallel"]}
       ins(%x, %mask : tensor<4x32xf32>, tensor<4x32xi1>) outs(%o : tensor<4x32xf32>) {
  ^bb0(%a: f32, %keep: i1, %b: f32):
    %ninf = arith.constant 0xFF800000 : f32
    %s = arith.select %keep, %a, %ninf : f32
    linalg.yield %s : f32
  } -> tensor<4x32xf32>
  return %r : tensor<4x32xf32>
}

// -----

// So is a boolean result (a causal mask computed from positions in the
// graph): written one element at a time.

// CHECK-LABEL: func.func @bool_result_row
// CHECK:       scf.for %{{.*}} = %c0 to %c64 step %c1
// CHECK:         arith.cmpi sle, %{{.*}}, %{{.*}} : vector<1xi64>
// CHECK:         vector.transfer_write {{.*}} : vector<1xi1>, tensor<1xi1>
// CHECK-NOT:   vector<64xi1>
func.func @bool_result_row(%q: tensor<64xi64>, %k: tensor<64xi64>) -> tensor<64xi1> {
  %e = tensor.empty() : tensor<64xi1>
  %r = linalg.generic {
         indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>,
                          affine_map<(i) -> (i)>],
         iterator_types = ["parallel"]}
       ins(%q, %k : tensor<64xi64>, tensor<64xi64>) outs(%e : tensor<64xi1>) {
  ^bb0(%a: i64, %b: i64, %o: i1):
    %le = arith.cmpi sle, %a, %b : i64
    linalg.yield %le : i1
  } -> tensor<64xi1>
  return %r : tensor<64xi1>
}

// -----

// A dot-product contraction (the reduction is the innermost dimension of both
// inputs: decode scores s[k, r] = sum_c k[k, c] * q[r, c]) goes one key at a
// time against all rows, the whole reduction as vectors, not outer products:
// FMAs into 16-lane partial sums, one 16-wide chunk of the key for all rows
// at once, then the horizontal sums of the 4 rows together: each row folded
// to 8 lanes, a tree of in-lane shuffles and adds (vshufps) that leaves
// the 4 sums in each 128-bit lane, and the two lanes added.

// CHECK-LABEL: func.func @dot
// CHECK:       scf.for %{{.*}} = %c0 to %c8 step %c1
// CHECK:         vector.transfer_read {{.*}} : tensor<1x64xf32>, vector<1x64xf32>
// CHECK:         vector.transfer_read {{.*}} : tensor<4x64xf32>, vector<4x64xf32>
// CHECK:         %[[P0:.*]] = arith.mulf {{.*}} : vector<1x4x16xf32>
// CHECK:         %[[P1:.*]] = math.fma {{.*}}, %[[P0]] : vector<1x4x16xf32>
// CHECK:         %[[P2:.*]] = math.fma {{.*}}, %[[P1]] : vector<1x4x16xf32>
// CHECK:         %[[P3:.*]] = math.fma {{.*}}, %[[P2]] : vector<1x4x16xf32>
// CHECK-COUNT-4: arith.addf {{.*}} : vector<8xf32>
// CHECK:         %[[E0:.*]] = vector.shuffle %[[R0:.*]], %[[R1:.*]] [0, 2, 8, 10, 4, 6, 12, 14]
// CHECK:         %[[O0:.*]] = vector.shuffle %[[R0]], %[[R1]] [1, 3, 9, 11, 5, 7, 13, 15]
// CHECK:         %[[AB:.*]] = arith.addf %[[E0]], %[[O0]] : vector<8xf32>
// CHECK:         %[[E1:.*]] = vector.shuffle %[[R2:.*]], %[[R3:.*]] [0, 2, 8, 10, 4, 6, 12, 14]
// CHECK:         %[[O1:.*]] = vector.shuffle %[[R2]], %[[R3]] [1, 3, 9, 11, 5, 7, 13, 15]
// CHECK:         %[[CD:.*]] = arith.addf %[[E1]], %[[O1]] : vector<8xf32>
// CHECK:         %[[E2:.*]] = vector.shuffle %[[AB]], %[[CD]] [0, 2, 8, 10, 4, 6, 12, 14]
// CHECK:         %[[O2:.*]] = vector.shuffle %[[AB]], %[[CD]] [1, 3, 9, 11, 5, 7, 13, 15]
// CHECK:         %[[ABCD:.*]] = arith.addf %[[E2]], %[[O2]] : vector<8xf32>
// CHECK:         %[[LO:.*]] = vector.extract_strided_slice %[[ABCD]] {offsets = [0], sizes = [4]
// CHECK:         %[[HI:.*]] = vector.extract_strided_slice %[[ABCD]] {offsets = [4], sizes = [4]
// CHECK:         %[[SUMS:.*]] = arith.addf %[[LO]], %[[HI]] : vector<4xf32>
// CHECK:         %[[ROWS:.*]] = vector.shape_cast %[[SUMS]] : vector<4xf32> to vector<1x4xf32>
// CHECK:         arith.addf %[[ROWS]], %{{.*}} : vector<1x4xf32>
// CHECK-NOT:     vector.reduction
// CHECK-NOT:     vector.contract
// CHECK-NOT:     memref.prefetch
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

// Rows beyond a multiple of 4 are padded with zero rows for the horizontal
// sums, and the padding's sum is dropped.

// CHECK-LABEL: func.func @dot_three_rows
// CHECK:         %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<8xf32>
// CHECK:         vector.shuffle %{{.*}}, %[[ZERO]] [0, 2, 8, 10, 4, 6, 12, 14]
// CHECK:         %[[SUMS:.*]] = arith.addf %{{.*}}, %{{.*}} : vector<4xf32>
// CHECK:         %[[THREE:.*]] = vector.extract_strided_slice %[[SUMS]] {offsets = [0], sizes = [3], strides = [1]} : vector<4xf32> to vector<3xf32>
// CHECK:         vector.shape_cast %[[THREE]] : vector<3xf32> to vector<1x3xf32>
// CHECK-NOT:     vector.reduction
func.func @dot_three_rows(%k: tensor<8x64xf32>, %q: tensor<3x64xf32>, %s: tensor<8x3xf32>) -> tensor<8x3xf32> {
  %r = linalg.generic {
         indexing_maps = [affine_map<(k, r, c) -> (k, c)>, affine_map<(k, r, c) -> (r, c)>,
                          affine_map<(k, r, c) -> (k, r)>],
         iterator_types = ["parallel", "parallel", "reduction"]}
       ins(%k, %q : tensor<8x64xf32>, tensor<3x64xf32>) outs(%s : tensor<8x3xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %sum = arith.addf %acc, %m : f32
    linalg.yield %sum : f32
  } -> tensor<8x3xf32>
  return %r : tensor<8x3xf32>
}

// -----

// Rows of 12 lanes (three 128-bit lanes) are not halved into sums: they keep
// one horizontal sum per row.

// CHECK-LABEL: func.func @dot_twelve_lanes
// CHECK-COUNT-4: vector.reduction <add>, %{{.*}} : vector<12xf32> into f32
// CHECK-NOT:     vector.shuffle
func.func @dot_twelve_lanes(%k: tensor<8x12xf32>, %q: tensor<4x12xf32>, %s: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %r = linalg.generic {
         indexing_maps = [affine_map<(k, r, c) -> (k, c)>, affine_map<(k, r, c) -> (r, c)>,
                          affine_map<(k, r, c) -> (k, r)>],
         iterator_types = ["parallel", "parallel", "reduction"]}
       ins(%k, %q : tensor<8x12xf32>, tensor<4x12xf32>) outs(%s : tensor<8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %sum = arith.addf %acc, %m : f32
    linalg.yield %sum : f32
  } -> tensor<8x4xf32>
  return %r : tensor<8x4xf32>
}

// -----

// 24 packed rows (MLRA, GQA groups of 24): blocks three vectors wide, 4x24
// (12 accumulators, 3 + 4 loads per step), unrolled to one contract per row
// and vector, row by row: LLVM keeps a loop-carried vector<4x24xf32> as
// scalars across the reduction loop.

// CHECK-LABEL: func.func @contraction_24_lanes
// CHECK:       scf.for %{{.*}} = %c0 to %c64 step %c4
// CHECK:         scf.for %{{.*}} = %c0 to %c24 step %c24
// CHECK:           scf.for %{{.*}} = %c0 to %c128 step %c1
// CHECK-COUNT-12:    vector.contract {{.*}} vector<1x1xf32>, vector<1x8xf32> into vector<1x8xf32>
// CHECK-NOT:         vector.contract
// CHECK-NOT:   vector<4x24xf32>
// With 16-lane (AVX-512) vectors, 24 lanes are not a multiple of one: the
// blocks are the same, of 8-lane vectors, not a 16 + 8 split.
// BF16-LABEL:  func.func @contraction_24_lanes
// BF16:        scf.for %{{.*}} = %c0 to %c64 step %c4
// BF16:          scf.for %{{.*}} = %c0 to %c24 step %c24
// BF16-COUNT-12:     vector.contract {{.*}} vector<1x1xf32>, vector<1x8xf32> into vector<1x8xf32>
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

// 12 packed heads (EG-MLA): no power of two up to 16 but 4 divides 12, and
// 4-lane vectors run at half width. The lanes are split into the 8 of a
// whole native vector and the remaining 4; each part's 64 keys then split
// into the 60 of whole blocks (12 keys x 8 lanes, 12 x 4) and 4.

// CHECK-LABEL: func.func @contraction_12_lanes
// CHECK-SAME:    %[[K:[^:]*]]: tensor<64x32xf32>, %[[QT:[^:]*]]: tensor<32x12xf32>
// CHECK:       tensor.extract_slice %[[QT]][0, 0] [32, 8] [1, 1]
// CHECK:       scf.for %{{.*}} = %c0 to %c60 step %c12
// CHECK:         vector.contract {{.*}} vector<12x1xf32>, vector<1x8xf32> into vector<12x8xf32>
// CHECK:       scf.for %{{.*}} = %c0 to %c4 step %c4
// CHECK:         vector.contract {{.*}} vector<4x1xf32>, vector<1x8xf32> into vector<4x8xf32>
// CHECK:       tensor.extract_slice %[[QT]][0, 8] [32, 4] [1, 1]
// CHECK:       scf.for %{{.*}} = %c0 to %c60 step %c12
// CHECK:         vector.contract {{.*}} vector<12x1xf32>, vector<1x4xf32> into vector<12x4xf32>
// CHECK:       scf.for %{{.*}} = %c0 to %c4 step %c4
// CHECK:         vector.contract {{.*}} vector<4x1xf32>, vector<1x4xf32> into vector<4x4xf32>
// CHECK-NOT:   vector.contract
func.func @contraction_12_lanes(%k: tensor<64x32xf32>, %qt: tensor<32x12xf32>, %s: tensor<64x12xf32>) -> tensor<64x12xf32> {
  %r = linalg.generic {
         indexing_maps = [affine_map<(k, q, c) -> (k, c)>, affine_map<(k, q, c) -> (c, q)>,
                          affine_map<(k, q, c) -> (k, q)>],
         iterator_types = ["parallel", "parallel", "reduction"]}
       ins(%k, %qt : tensor<64x32xf32>, tensor<32x12xf32>) outs(%s : tensor<64x12xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %sum = arith.addf %acc, %m : f32
    linalg.yield %sum : f32
  } -> tensor<64x12xf32>
  return %r : tensor<64x12xf32>
}

// -----

// The embedding gate's gather by token id (attn-lower-embedding-gate reads
// the id in the body at the row's linalg.index): a tile of one row sees a
// uniform row index, so the vectorizer reads the id once and the table row
// with one contiguous transfer_read, not a vector.gather or a scalar loop.

// CHECK-LABEL: func.func @gather_by_id
// CHECK-SAME:    %[[IDS:[^:]*]]: tensor<8xi32>, %[[TABLE:[^:]*]]: tensor<16x32xf32>
// CHECK:       scf.for %[[T:.*]] = %c0 to %c8 step %c1
// CHECK:           %[[ID:.*]] = vector.transfer_read %[[IDS]][%[[T]]], %{{.*}} : tensor<8xi32>, vector<i32>
// CHECK:           %[[ROW:.*]] = arith.index_cast %{{.*}} : i32 to index
// CHECK:           vector.transfer_read %[[TABLE]][%[[ROW]], %{{.*}}], %{{.*}} {in_bounds = [true, true]} : tensor<16x32xf32>, vector<1x32xf32>
// CHECK-NOT:   vector.gather
// CHECK-NOT:   tensor.extract %
func.func @gather_by_id(%x: tensor<8x32xf32>, %ids: tensor<8xi32>, %table: tensor<16x32xf32>,
                        %o: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %r = linalg.generic {
         indexing_maps = [affine_map<(t, j) -> (t, j)>, affine_map<(t, j) -> (t, j)>],
         iterator_types = ["parallel", "parallel"]}
       ins(%x : tensor<8x32xf32>) outs(%o : tensor<8x32xf32>) {
  ^bb0(%a: f32, %b: f32):
    %t = linalg.index 0 : index
    %id = tensor.extract %ids[%t] : tensor<8xi32>
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
// CHECK-COUNT-15: math.fma {{.*}} : vector<16xf32>
// CHECK:         vector.reduction <add>, %{{.*}} : vector<16xf32> into f32
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

// -----

// A contraction with fewer output rows than a block (P.V of a one-query decode
// tile) takes wider blocks, 1 x 64 lanes instead of 1 x 16, so that a block
// keeps as many FMA chains as a 6 x 16 block.

// CHECK-LABEL: func.func @contraction_one_row
// CHECK:       scf.for %{{.*}} = %c0 to %c128 step %c64
// CHECK:         scf.for %{{.*}} = %c0 to %c32 step %c1
// CHECK:           vector.contract {{.*}} vector<1x1xf32>, vector<1x64xf32> into vector<1x64xf32>
func.func @contraction_one_row(%p: tensor<32x1xf32>, %v: tensor<32x128xf32>, %o: tensor<1x128xf32>) -> tensor<1x128xf32> {
  %r = linalg.generic {
         indexing_maps = [affine_map<(q, e, k) -> (k, q)>, affine_map<(q, e, k) -> (k, e)>,
                          affine_map<(q, e, k) -> (q, e)>],
         iterator_types = ["parallel", "parallel", "reduction"]}
       ins(%p, %v : tensor<32x1xf32>, tensor<32x128xf32>) outs(%o : tensor<1x128xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %sum = arith.addf %acc, %m : f32
    linalg.yield %sum : f32
  } -> tensor<1x128xf32>
  return %r : tensor<1x128xf32>
}

// -----

// A key tile that attn-flash-lowering marked as streamed (input 0, along
// dimension 2 of %k) is prefetched one key tile ahead, into L2 (locality 2):
// in the loop over the tile's keys, the same key of the next tile (clamped
// to the last key), one prefetch per 64-byte line of its 64-element bf16
// row.

// CHECK:       #[[PLUS32:.*]] = affine_map<()[s0] -> (s0 + 32)>
// CHECK-LABEL: func.func @streamed_key_tile
// CHECK-SAME:    %[[K:[^:]*]]: tensor<1x2x64x64xbf16>
// CHECK:       %[[KBUF:.*]] = bufferization.to_buffer %[[K]] read_only : tensor<1x2x64x64xbf16> to memref<1x2x64x64xbf16>
// CHECK:       scf.for %[[T:.*]] = %c0 to %c64 step %c16
// CHECK:         scf.for %[[J:.*]] = %c0 to %c16 step %c1
// CHECK:           scf.for %[[C0:.*]] = %c0 to %c64 step %c64
// CHECK:             %[[ROW:.*]] = affine.min #{{.*}}()[%[[J]], %[[T]]]
// CHECK:             memref.prefetch %[[KBUF]][%c0, %{{.*}}, %[[ROW]], %[[C0]]], read, locality<2>, data
// CHECK:             %[[C32:.*]] = affine.apply #[[PLUS32]]()[%[[C0]]]
// CHECK:             memref.prefetch %[[KBUF]][%c0, %{{.*}}, %[[ROW]], %[[C32]]], read, locality<2>, data
// CHECK-NOT:         memref.prefetch
// CHECK:             math.fma
// NOPF-LABEL:  func.func @streamed_key_tile
// NOPF-NOT:      memref.prefetch
func.func @streamed_key_tile(%k: tensor<1x2x64x64xbf16>, %q: tensor<4x64xf32>, %h: index,
                             %s: tensor<16x4xf32>) -> tensor<16x4xf32> {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %r = scf.for %t = %c0 to %c64 step %c16 iter_args(%acc = %s) -> (tensor<16x4xf32>) {
    %tile = tensor.extract_slice %k[0, %h, %t, 0] [1, 1, 16, 64] [1, 1, 1, 1]
        : tensor<1x2x64x64xbf16> to tensor<16x64xbf16>
    %d = linalg.generic {
           indexing_maps = [affine_map<(k, r, c) -> (k, c)>, affine_map<(k, r, c) -> (r, c)>,
                            affine_map<(k, r, c) -> (k, r)>],
           iterator_types = ["parallel", "parallel", "reduction"]}
         ins(%tile, %q : tensor<16x64xbf16>, tensor<4x64xf32>) outs(%acc : tensor<16x4xf32>)
         attrs = {attn_codegen.streamed_key_tile = array<i64: 2, -1>} {
    ^bb0(%a: bf16, %b: f32, %o: f32):
      %w = arith.extf %a : bf16 to f32
      %m = arith.mulf %w, %b : f32
      %sum = arith.addf %o, %m : f32
      linalg.yield %sum : f32
    } -> tensor<16x4xf32>
    scf.yield %d : tensor<16x4xf32>
  }
  return %r : tensor<16x4xf32>
}

// -----

// A decode key step: dot-product scores over a streamed K tile, then a P.V
// over a streamed V tile of the same keys. The score loop, one key row per
// step, prefetches that row of the next K tile and the same row of the next
// V tile into L2, and the same row of this V tile into L1, each line once;
// the P.V blocks, which read half a line of a V row per step, prefetch
// nothing.

// CHECK:       #[[THISROW:.*]] = affine_map<()[s0, s1] -> (s0 + s1)>
// CHECK-LABEL: func.func @streamed_key_step
// CHECK-SAME:    %[[K:[^:]*]]: tensor<1x2x64x64xbf16>, %[[V:[^:]*]]: tensor<1x2x64x64xbf16>
// CHECK-DAG:   %[[KBUF:.*]] = bufferization.to_buffer %[[K]] read_only
// CHECK-DAG:   %[[VBUF:.*]] = bufferization.to_buffer %[[V]] read_only
// CHECK:       scf.for %[[T:.*]] = %c0 to %c64 step %c16
// CHECK:         scf.for %[[J:.*]] = %c0 to %c16 step %c1
// CHECK:           %[[KROW:.*]] = affine.min #{{.*}}()[%[[J]], %[[T]]]
// CHECK-COUNT-2:   memref.prefetch %[[KBUF]][%c0, %{{.*}}, %[[KROW]], %{{.*}}], read, locality<2>, data
// CHECK:           %[[VROW:.*]] = affine.min #{{.*}}()[%[[J]], %[[T]]]
// CHECK-COUNT-2:   memref.prefetch %[[VBUF]][%c0, %{{.*}}, %[[VROW]], %{{.*}}], read, locality<2>, data
// CHECK:           %[[VCUR:.*]] = affine.apply #[[THISROW]]()[%[[J]], %[[T]]]
// CHECK:           memref.prefetch %[[VBUF]][%c0, %{{.*}}, %[[VCUR]], %c0], read, locality<3>, data
// CHECK:           %[[VCUR2:.*]] = affine.apply #[[THISROW]]()[%[[J]], %[[T]]]
// CHECK:           memref.prefetch %[[VBUF]][%c0, %{{.*}}, %[[VCUR2]], %c32], read, locality<3>, data
// CHECK-NOT:       memref.prefetch
// CHECK:           math.fma
// CHECK:         vector.contract
// CHECK-NOT:     memref.prefetch
// CHECK:         scf.yield
func.func @streamed_key_step(%k: tensor<1x2x64x64xbf16>, %v: tensor<1x2x64x64xbf16>,
                             %q: tensor<4x64xf32>, %h: index, %o: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %s0 = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %r = scf.for %t = %c0 to %c64 step %c16 iter_args(%acc = %o) -> (tensor<4x64xf32>) {
    %ktile = tensor.extract_slice %k[0, %h, %t, 0] [1, 1, 16, 64] [1, 1, 1, 1]
        : tensor<1x2x64x64xbf16> to tensor<16x64xbf16>
    %s = linalg.generic {
           indexing_maps = [affine_map<(r, k, c) -> (k, c)>, affine_map<(r, k, c) -> (r, c)>,
                            affine_map<(r, k, c) -> (r, k)>],
           iterator_types = ["parallel", "parallel", "reduction"]}
         ins(%ktile, %q : tensor<16x64xbf16>, tensor<4x64xf32>) outs(%s0 : tensor<4x16xf32>)
         attrs = {attn_codegen.streamed_key_tile = array<i64: 2, -1>} {
    ^bb0(%a: bf16, %b: f32, %x: f32):
      %w = arith.extf %a : bf16 to f32
      %m = arith.mulf %w, %b : f32
      %sum = arith.addf %x, %m : f32
      linalg.yield %sum : f32
    } -> tensor<4x16xf32>
    %vtile = tensor.extract_slice %v[0, %h, %t, 0] [1, 1, 16, 64] [1, 1, 1, 1]
        : tensor<1x2x64x64xbf16> to tensor<16x64xbf16>
    %pv = linalg.generic {
           indexing_maps = [affine_map<(r, e, k) -> (r, k)>, affine_map<(r, e, k) -> (k, e)>,
                            affine_map<(r, e, k) -> (r, e)>],
           iterator_types = ["parallel", "parallel", "reduction"]}
         ins(%s, %vtile : tensor<4x16xf32>, tensor<16x64xbf16>) outs(%acc : tensor<4x64xf32>)
         attrs = {attn_codegen.streamed_key_tile = array<i64: -1, 2>} {
    ^bb0(%p: f32, %b: bf16, %x: f32):
      %w = arith.extf %b : bf16 to f32
      %m = arith.mulf %p, %w : f32
      %sum = arith.addf %x, %m : f32
      linalg.yield %sum : f32
    } -> tensor<4x64xf32>
    scf.yield %pv : tensor<4x64xf32>
  }
  return %r : tensor<4x64xf32>
}

// -----

// A score block reads a column of its key rows per reduction step ([4, 1]
// of K): its 4 rows of the next key tile hold 32 lines (128 f32 each), and
// step c prefetches line c mod 32, row (c mod 32) floordiv 8 at column
// (c mod 8) x 16, so that the 128 steps cover every line. The key tile is a
// slice of a slice of the argument (MLRA's latent block 2); both compose.

// CHECK:       #[[COLUMN:.*]] = affine_map<()[s0] -> (s0 * 16 - (s0 floordiv 8) * 128)>
// CHECK:       #[[ROW:.*]] = affine_map<()[s0, s1, s2] -> (s0 + s2 + (s1 mod 32) floordiv 8 + 64, 255)>
// CHECK-LABEL: func.func @streamed_score_block
// CHECK-SAME:    %[[LATENT:[^:]*]]: tensor<1x256x4x128xf32>
// CHECK:       %[[BUF:.*]] = bufferization.to_buffer %[[LATENT]] read_only
// CHECK:       scf.for %[[T:.*]] = %c0 to %c256 step %c64
// CHECK:         scf.for %[[R:.*]] = %c0 to %c64 step %c4
// CHECK:           scf.for %{{.*}} = %c0 to %c24 step %c24
// CHECK:             scf.for %[[C:.*]] = %c0 to %c128 step %c1
// CHECK:               %[[COL:.*]] = affine.apply #[[COLUMN]]()[%[[C]]]
// CHECK:               %[[KEY:.*]] = affine.min #[[ROW]]()[%[[T]], %[[C]], %[[R]]]
// CHECK:               memref.prefetch %[[BUF]][%c0, %[[KEY]], %c2, %[[COL]]], read, locality<2>, data
// CHECK-NOT:           memref.prefetch
// CHECK:               vector.contract
func.func @streamed_score_block(%latent: tensor<1x256x4x128xf32>, %qt: tensor<128x24xf32>,
                                %s: tensor<64x24xf32>) -> tensor<64x24xf32> {
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  %c256 = arith.constant 256 : index
  %block = tensor.extract_slice %latent[0, 0, 2, 0] [1, 256, 1, 128] [1, 1, 1, 1]
      : tensor<1x256x4x128xf32> to tensor<1x256x1x128xf32>
  %r = scf.for %t = %c0 to %c256 step %c64 iter_args(%acc = %s) -> (tensor<64x24xf32>) {
    %tile = tensor.extract_slice %block[0, %t, 0, 0] [1, 64, 1, 128] [1, 1, 1, 1]
        : tensor<1x256x1x128xf32> to tensor<64x128xf32>
    %d = linalg.generic {
           indexing_maps = [affine_map<(k, q, c) -> (k, c)>, affine_map<(k, q, c) -> (c, q)>,
                            affine_map<(k, q, c) -> (k, q)>],
           iterator_types = ["parallel", "parallel", "reduction"]}
         ins(%tile, %qt : tensor<64x128xf32>, tensor<128x24xf32>) outs(%acc : tensor<64x24xf32>)
         attrs = {attn_codegen.streamed_key_tile = array<i64: 1, -1>} {
    ^bb0(%a: f32, %b: f32, %o: f32):
      %m = arith.mulf %a, %b : f32
      %sum = arith.addf %o, %m : f32
      linalg.yield %sum : f32
    } -> tensor<64x24xf32>
    scf.yield %d : tensor<64x24xf32>
  }
  return %r : tensor<64x24xf32>
}

// -----

// A streamed tile that several register tiles read (the V tile of a P.V with
// 4 row blocks) stays in cache after the first: it is not prefetched.

// CHECK-LABEL: func.func @streamed_shared_tile
// CHECK-NOT:   bufferization.to_buffer
// CHECK-NOT:   memref.prefetch
// CHECK:       vector.contract
// CHECK-NOT:   memref.prefetch
func.func @streamed_shared_tile(%v: tensor<1x256x128xf32>, %p: tensor<64x24xf32>,
                                %o: tensor<24x128xf32>) -> tensor<24x128xf32> {
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  %c256 = arith.constant 256 : index
  %r = scf.for %t = %c0 to %c256 step %c64 iter_args(%acc = %o) -> (tensor<24x128xf32>) {
    %tile = tensor.extract_slice %v[0, %t, 0] [1, 64, 128] [1, 1, 1]
        : tensor<1x256x128xf32> to tensor<64x128xf32>
    %d = linalg.generic {
           indexing_maps = [affine_map<(q, e, k) -> (k, q)>, affine_map<(q, e, k) -> (k, e)>,
                            affine_map<(q, e, k) -> (q, e)>],
           iterator_types = ["parallel", "parallel", "reduction"]}
         ins(%p, %tile : tensor<64x24xf32>, tensor<64x128xf32>) outs(%acc : tensor<24x128xf32>)
         attrs = {attn_codegen.streamed_key_tile = array<i64: -1, 1>} {
    ^bb0(%a: f32, %b: f32, %x: f32):
      %m = arith.mulf %a, %b : f32
      %sum = arith.addf %x, %m : f32
      linalg.yield %sum : f32
    } -> tensor<24x128xf32>
    scf.yield %d : tensor<24x128xf32>
  }
  return %r : tensor<24x128xf32>
}

// -----

// A streamed score block whose 64 keys are split into 60 (blocks of 6) and 4
// prefetches in both parts, the second's rows offset by the split (60).

// CHECK:       #[[FIRST:.*]] = affine_map<()[s0, s1, s2] -> (s0 + s2 + (s1 mod 48) floordiv 8 + 64, 255)>
// CHECK:       #[[SECOND:.*]] = affine_map<()[s0, s1, s2] -> (s0 + s2 + (s1 mod 32) floordiv 8 + 124, 255)>
// CHECK-LABEL: func.func @streamed_split_block
// CHECK:       scf.for %[[T:.*]] = %c0 to %c256 step %c64
// CHECK:         scf.for %[[R:.*]] = %c0 to %c60 step %c6
// CHECK:               %[[KEY:.*]] = affine.min #[[FIRST]]()[%[[T]], %[[C:.*]], %[[R]]]
// CHECK:               memref.prefetch %{{.*}}[%c0, %[[KEY]], %{{.*}}]
// CHECK:         scf.for %[[R2:.*]] = %c0 to %c4 step %c4
// CHECK:               %[[KEY2:.*]] = affine.min #[[SECOND]]()[%[[T]], %{{.*}}, %[[R2]]]
// CHECK:               memref.prefetch %{{.*}}[%c0, %[[KEY2]], %{{.*}}]
func.func @streamed_split_block(%k: tensor<1x256x128xf32>, %qt: tensor<128x16xf32>,
                                %s: tensor<64x16xf32>) -> tensor<64x16xf32> {
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  %c256 = arith.constant 256 : index
  %r = scf.for %t = %c0 to %c256 step %c64 iter_args(%acc = %s) -> (tensor<64x16xf32>) {
    %tile = tensor.extract_slice %k[0, %t, 0] [1, 64, 128] [1, 1, 1]
        : tensor<1x256x128xf32> to tensor<64x128xf32>
    %d = linalg.generic {
           indexing_maps = [affine_map<(k, q, c) -> (k, c)>, affine_map<(k, q, c) -> (c, q)>,
                            affine_map<(k, q, c) -> (k, q)>],
           iterator_types = ["parallel", "parallel", "reduction"]}
         ins(%tile, %qt : tensor<64x128xf32>, tensor<128x16xf32>) outs(%acc : tensor<64x16xf32>)
         attrs = {attn_codegen.streamed_key_tile = array<i64: 1, -1>} {
    ^bb0(%a: f32, %b: f32, %o: f32):
      %m = arith.mulf %a, %b : f32
      %sum = arith.addf %o, %m : f32
      linalg.yield %sum : f32
    } -> tensor<64x16xf32>
    scf.yield %d : tensor<64x16xf32>
  }
  return %r : tensor<64x16xf32>
}

// -----

// 12 lanes split into 8 + 4, and each part's 64 keys into 60 + 4: the K tile
// is prefetched through both levels of split slices, by the two row parts
// of the first lane part only (the second lane part reads the same K).

// CHECK:       #[[FIRST:.*]] = affine_map<()[s0, s1, s2] -> (s0 + s2 + (s1 mod 96) floordiv 8 + 64, 255)>
// CHECK:       #[[SECOND:.*]] = affine_map<()[s0, s1, s2] -> (s0 + s2 + (s1 mod 32) floordiv 8 + 124, 255)>
// CHECK-LABEL: func.func @streamed_lane_split_block
// CHECK:       scf.for %{{.*}} = %c0 to %c60 step %c12
// CHECK:         affine.min #[[FIRST]]
// CHECK:         memref.prefetch
// CHECK:       scf.for %{{.*}} = %c0 to %c4 step %c4
// CHECK:         affine.min #[[SECOND]]
// CHECK:         memref.prefetch
// CHECK:       tensor.extract_slice %{{.*}}[0, 8] [128, 4] [1, 1]
// CHECK-NOT:   memref.prefetch
// CHECK:       return
func.func @streamed_lane_split_block(%k: tensor<1x256x128xf32>, %qt: tensor<128x12xf32>,
                                %s: tensor<64x12xf32>) -> tensor<64x12xf32> {
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  %c256 = arith.constant 256 : index
  %r = scf.for %t = %c0 to %c256 step %c64 iter_args(%acc = %s) -> (tensor<64x12xf32>) {
    %tile = tensor.extract_slice %k[0, %t, 0] [1, 64, 128] [1, 1, 1]
        : tensor<1x256x128xf32> to tensor<64x128xf32>
    %d = linalg.generic {
           indexing_maps = [affine_map<(k, q, c) -> (k, c)>, affine_map<(k, q, c) -> (c, q)>,
                            affine_map<(k, q, c) -> (k, q)>],
           iterator_types = ["parallel", "parallel", "reduction"]}
         ins(%tile, %qt : tensor<64x128xf32>, tensor<128x12xf32>) outs(%acc : tensor<64x12xf32>)
         attrs = {attn_codegen.streamed_key_tile = array<i64: 1, -1>} {
    ^bb0(%a: f32, %b: f32, %o: f32):
      %m = arith.mulf %a, %b : f32
      %sum = arith.addf %o, %m : f32
      linalg.yield %sum : f32
    } -> tensor<64x12xf32>
    scf.yield %d : tensor<64x12xf32>
  }
  return %r : tensor<64x12xf32>
}

// -----

// A dot product of two bf16 rows (decode scores of bf16 queries and keys).
// With bf16-dot (avx512_bf16) it multiplies the bf16 pairs with vdpbf16ps,
// 32 elements into 16 f32 lanes per instruction, nothing widened; the
// function is marked to keep its 512-bit vectors whole. Without, the rows
// are widened and take FMAs.

// CHECK-LABEL: func.func @bf16_dot
// CHECK-NOT:     prefer_vector_width
// CHECK:         arith.extf
// CHECK:         math.fma
// CHECK-NOT:     x86vector
// BF16-LABEL:  func.func @bf16_dot
// BF16-SAME:     prefer_vector_width = "512"
// BF16:          scf.for %{{.*}} = %c0 to %c8 step %c1
// BF16-COUNT-8:    x86vector.avx512.dot %{{.*}} : vector<32xbf16> -> vector<16xf32>
// BF16-COUNT-3:    vector.shuffle {{.*}} [0, 2, 16, 18, 4, 6, 20, 22, 8, 10, 24, 26, 12, 14, 28, 30] : vector<16xf32>, vector<16xf32>
// BF16:            arith.addf {{.*}} : vector<8xf32>
// BF16:            arith.addf {{.*}} : vector<4xf32>
// BF16-NOT:        vector.reduction
// BF16-NOT:        arith.extf
// BF16-NOT:        math.fma
func.func @bf16_dot(%k: tensor<8x64xbf16>, %q: tensor<4x64xbf16>, %s: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %r = linalg.generic {
         indexing_maps = [affine_map<(k, r, c) -> (k, c)>, affine_map<(k, r, c) -> (r, c)>,
                          affine_map<(k, r, c) -> (k, r)>],
         iterator_types = ["parallel", "parallel", "reduction"]}
       ins(%k, %q : tensor<8x64xbf16>, tensor<4x64xbf16>) outs(%s : tensor<8x4xf32>) {
  ^bb0(%a: bf16, %b: bf16, %acc: f32):
    %a32 = arith.extf %a : bf16 to f32
    %b32 = arith.extf %b : bf16 to f32
    %m = arith.mulf %a32, %b32 : f32
    %sum = arith.addf %acc, %m : f32
    linalg.yield %sum : f32
  } -> tensor<8x4xf32>
  return %r : tensor<8x4xf32>
}

// -----

// A P.V block of bf16 probabilities (attn-flash-lowering's
// bf16-probabilities) against bf16 V rows. With bf16-dot it walks the keys
// two at a time: each row's pair of probabilities is one 32-bit word,
// broadcast, and the two V rows are interleaved so that each lane holds
// the pair (v[k, l], v[k + 1, l]); one vdpbf16ps per row and 16 lanes.
// Without, one key a step, both widened, and a contract that FMAs lower.

// CHECK-LABEL: func.func @bf16_pair_block
// CHECK:         scf.for %{{.*}} = %c0 to %c64 step %c1
// CHECK:           arith.extf {{.*}} : vector<4x1xbf16> to vector<4x1xf32>
// CHECK:           vector.contract
// CHECK-NOT:     x86vector
// BF16-LABEL:  func.func @bf16_pair_block
// BF16:          scf.for %{{.*}} = %c0 to %c64 step %c2
// BF16:            %[[P:.*]] = vector.transfer_read {{.*}} : tensor<4x2xbf16>, vector<4x2xbf16>
// BF16:            %[[V:.*]] = vector.transfer_read {{.*}} : tensor<2x32xbf16>, vector<2x32xbf16>
// BF16-DAG:        %[[V0:.*]] = vector.extract %[[V]][0] : vector<32xbf16> from vector<2x32xbf16>
// BF16-DAG:        %[[V1:.*]] = vector.extract %[[V]][1] : vector<32xbf16> from vector<2x32xbf16>
// BF16:            %[[LO:.*]] = vector.shuffle %[[V0]], %[[V1]] [0, 32, 1, 33, 2, 34, {{.*}}, 15, 47] : vector<32xbf16>, vector<32xbf16>
// BF16:            %[[HI:.*]] = vector.shuffle %[[V0]], %[[V1]] [16, 48, 17, 49, {{.*}}, 31, 63] : vector<32xbf16>, vector<32xbf16>
// BF16:            %[[P0:.*]] = vector.extract %[[P]][0] : vector<2xbf16> from vector<4x2xbf16>
// BF16:            %[[W0:.*]] = vector.bitcast %[[P0]] : vector<2xbf16> to vector<1xi32>
// BF16:            %[[B0:.*]] = vector.broadcast %[[W0]] : vector<1xi32> to vector<16xi32>
// BF16:            %[[PAIR0:.*]] = vector.bitcast %[[B0]] : vector<16xi32> to vector<32xbf16>
// BF16:            x86vector.avx512.dot %{{.*}}, %[[PAIR0]], %[[LO]] : vector<32xbf16> -> vector<16xf32>
// BF16:            x86vector.avx512.dot %{{.*}}, %[[PAIR0]], %[[HI]] : vector<32xbf16> -> vector<16xf32>
// BF16-COUNT-6:    x86vector.avx512.dot
// BF16-NOT:        arith.extf
// BF16-NOT:        vector.contract
func.func @bf16_pair_block(%p: tensor<4x64xbf16>, %v: tensor<64x64xbf16>, %acc: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %r = linalg.generic {
         indexing_maps = [affine_map<(r, n, k) -> (r, k)>, affine_map<(r, n, k) -> (k, n)>,
                          affine_map<(r, n, k) -> (r, n)>],
         iterator_types = ["parallel", "parallel", "reduction"]}
       ins(%p, %v : tensor<4x64xbf16>, tensor<64x64xbf16>) outs(%acc : tensor<4x64xf32>) {
  ^bb0(%a: bf16, %b: bf16, %o: f32):
    %a32 = arith.extf %a : bf16 to f32
    %b32 = arith.extf %b : bf16 to f32
    %m = arith.mulf %a32, %b32 : f32
    %sum = arith.addf %o, %m : f32
    linalg.yield %sum : f32
  } -> tensor<4x64xf32>
  return %r : tensor<4x64xf32>
}

// -----

// A score loop prefetches the V rows of the P.V after it only where the V
// tile's position is known before the scores: here (GTA, a value head
// indexed apart from its key head) the V slice's offset is computed after
// them, so the P.V prefetches its own V tile (a score-loop prefetch used the
// offset before its definition: invalid IR, found by the numeric fuzzer).

// CHECK-LABEL: func.func @value_slice_after_scores
// NOPF-LABEL:  func.func @value_slice_after_scores
// NOPF-NOT:      memref.prefetch
// BF16-LABEL:  func.func @value_slice_after_scores
// CHECK-DAG:     %[[V:.*]] = bufferization.to_buffer %arg2 read_only
// CHECK-DAG:     %[[K:.*]] = bufferization.to_buffer %arg0 read_only
// CHECK:         memref.prefetch %[[K]]
// CHECK-NOT:     memref.prefetch %[[V]]
// CHECK:         %[[VH:.*]] = arith.divui %arg4, %c2
// CHECK:         memref.prefetch %[[V]][%c0, %{{.*}}, %[[VH]], %{{.*}}]
func.func @value_slice_after_scores(%k: tensor<1x32x2x16xf32>, %q: tensor<4x16xf32>,
    %v: tensor<1x32x1x8xf32>, %p: tensor<4x32xf32>, %h: index) -> (tensor<4x32xf32>, tensor<4x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %c2 = arith.constant 2 : index
  %e = tensor.empty() : tensor<4x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4x32xf32>) -> tensor<4x32xf32>
  %keys = tensor.extract_slice %k[0, 0, %h, 0] [1, 32, 1, 16] [1, 1, 1, 1] : tensor<1x32x2x16xf32> to tensor<32x16xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(i, t, d) -> (t, d)>, affine_map<(i, t, d) -> (i, d)>, affine_map<(i, t, d) -> (i, t)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%keys, %q : tensor<32x16xf32>, tensor<4x16xf32>) outs(%init : tensor<4x32xf32>)
      attrs = {attn_codegen.streamed_key_tile = array<i64: 1, -1>} {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %n = arith.addf %o, %m : f32
    linalg.yield %n : f32
  } -> tensor<4x32xf32>
  %e2 = tensor.empty() : tensor<4x8xf32>
  %init2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<4x8xf32>) -> tensor<4x8xf32>
  %vh = arith.divui %h, %c2 : index
  %values = tensor.extract_slice %v[0, 0, %vh, 0] [1, 32, 1, 8] [1, 1, 1, 1] : tensor<1x32x1x8xf32> to tensor<32x8xf32>
  %o = linalg.generic {indexing_maps = [affine_map<(i, e, t) -> (i, t)>, affine_map<(i, e, t) -> (t, e)>, affine_map<(i, e, t) -> (i, e)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%p, %values : tensor<4x32xf32>, tensor<32x8xf32>) outs(%init2 : tensor<4x8xf32>)
      attrs = {attn_codegen.streamed_key_tile = array<i64: -1, 1>} {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %n = arith.addf %acc, %m : f32
    linalg.yield %n : f32
  } -> tensor<4x8xf32>
  return %s, %o : tensor<4x32xf32>, tensor<4x8xf32>
}

// -----

// A transposed copy (a weight transposed before its matmul) is read and
// written in square blocks of one machine vector a side (8 x 8 with the
// default 8 native lanes), transposed in registers, not as columns of
// strided scalars.

#t_in = affine_map<(i, j) -> (j, i)>
#t_out = affine_map<(i, j) -> (i, j)>

// CHECK-LABEL: func.func @transposed_copy
// CHECK:       scf.for {{.*}} step %c8
// CHECK:         scf.for {{.*}} step %c8
// CHECK:           %[[R:.*]] = vector.transfer_read {{.*}} : tensor<8x8xf32>, vector<8x8xf32>
// CHECK:           %[[T:.*]] = vector.transpose %[[R]], [1, 0] : vector<8x8xf32> to vector<8x8xf32>
// CHECK:           vector.transfer_write %[[T]], {{.*}} : vector<8x8xf32>, tensor<8x8xf32>
func.func @transposed_copy(%w: tensor<64x32xf32>, %o: tensor<32x64xf32>) -> tensor<32x64xf32> {
  %r = linalg.generic {indexing_maps = [#t_in, #t_out], iterator_types = ["parallel", "parallel"]}
      ins(%w : tensor<64x32xf32>) outs(%o : tensor<32x64xf32>) {
  ^bb0(%x: f32, %y: f32):
    linalg.yield %x : f32
  } -> tensor<32x64xf32>
  return %r : tensor<32x64xf32>
}
