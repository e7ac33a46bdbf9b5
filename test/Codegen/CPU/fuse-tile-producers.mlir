// RUN: attn-opt %s --attn-fuse-tile-producers --split-input-file | FileCheck %s

// A key loop reads 8-row tiles of a latent computed by an elementwise op over
// a unit-dim expansion (the shape the latent lowering gives EG-MLA's gated
// latent): the op is computed tile by tile inside the loop, the identical
// slices of the two contractions become one, and the full latent is gone.

// CHECK-LABEL: func.func @fused_into_key_loop
// CHECK-SAME:    -> tensor<8xf32>
// CHECK-NOT:   tensor.empty() : tensor<32x16xf32>
// CHECK:       scf.for
// CHECK:         %[[X:.*]] = tensor.extract_slice %arg0[%{{.*}}, 0] [8, 16] [1, 1] : tensor<32x16xf32> to tensor<8x16xf32>
// CHECK:         %[[G:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<8x16xf32>)
// CHECK:           arith.mulf
// CHECK-NOT:     tensor.extract_slice
// CHECK:         linalg.generic {{.*}} ins(%[[G]], %{{.*}} : tensor<8x16xf32>, tensor<16xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[G]] : tensor<8x16xf32>)
// CHECK:         scf.yield
#id = affine_map<(i, j) -> (i, j)>
func.func @fused_into_key_loop(%x: tensor<32x16xf32>, %q: tensor<16xf32>, %acc0: tensor<8xf32>) -> tensor<8xf32> {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %empty = tensor.empty() : tensor<32x16xf32>
  %g = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
       ins(%x : tensor<32x16xf32>) outs(%empty : tensor<32x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<32x16xf32>
  %e = tensor.expand_shape %g [[0], [1, 2]] output_shape [32, 1, 16] : tensor<32x16xf32> into tensor<32x1x16xf32>
  %r = scf.for %i = %c0 to %c4 step %c1 iter_args(%acc = %acc0) -> tensor<8xf32> {
    %off = arith.muli %i, %c8 : index
    %t1 = tensor.extract_slice %e[%off, 0, 0] [8, 1, 16] [1, 1, 1] : tensor<32x1x16xf32> to tensor<8x16xf32>
    %s = linalg.generic {indexing_maps = [#id, affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i)>],
                         iterator_types = ["parallel", "reduction"]}
         ins(%t1, %q : tensor<8x16xf32>, tensor<16xf32>) outs(%acc : tensor<8xf32>) {
    ^bb0(%a: f32, %b: f32, %o: f32):
      %m = arith.mulf %a, %b : f32
      %n = arith.addf %o, %m : f32
      linalg.yield %n : f32
    } -> tensor<8xf32>
    %t2 = tensor.extract_slice %e[%off, 0, 0] [8, 1, 16] [1, 1, 1] : tensor<32x1x16xf32> to tensor<8x16xf32>
    %v = linalg.generic {indexing_maps = [#id, affine_map<(i, j) -> (i)>],
                         iterator_types = ["parallel", "reduction"]}
         ins(%t2 : tensor<8x16xf32>) outs(%s : tensor<8xf32>) {
    ^bb0(%a: f32, %o: f32):
      %n = arith.addf %o, %a : f32
      linalg.yield %n : f32
    } -> tensor<8xf32>
    scf.yield %v : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}

// -----

// Three loop tiles and a static remainder tile outside the loop: both are
// fused, so no part of the producer is computed whole.

// CHECK-LABEL: func.func @fused_with_remainder
// CHECK-SAME:    -> (tensor<8x16xf32>, tensor<4x16xf32>)
// CHECK-NOT:   tensor.empty() : tensor<28x16xf32>
// CHECK:       scf.for
// CHECK:         linalg.generic {{.*}} outs(%{{.*}} : tensor<8x16xf32>)
// CHECK:       }
// CHECK:       %[[R:.*]] = tensor.extract_slice %arg0[24, 0] [4, 16] [1, 1]
// CHECK:       linalg.generic {{.*}} ins(%[[R]] : tensor<4x16xf32>)
#id = affine_map<(i, j) -> (i, j)>
func.func @fused_with_remainder(%x: tensor<28x16xf32>, %acc0: tensor<8x16xf32>) -> (tensor<8x16xf32>, tensor<4x16xf32>) {
  %c0 = arith.constant 0 : index
  %c3 = arith.constant 3 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %empty = tensor.empty() : tensor<28x16xf32>
  %g = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
       ins(%x : tensor<28x16xf32>) outs(%empty : tensor<28x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<28x16xf32>
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%acc = %acc0) -> tensor<8x16xf32> {
    %off = arith.muli %i, %c8 : index
    %t = tensor.extract_slice %g[%off, 0] [8, 16] [1, 1] : tensor<28x16xf32> to tensor<8x16xf32>
    %a = arith.addf %acc, %t : tensor<8x16xf32>
    scf.yield %a : tensor<8x16xf32>
  }
  %rem = tensor.extract_slice %g[24, 0] [4, 16] [1, 1] : tensor<28x16xf32> to tensor<4x16xf32>
  return %r, %rem : tensor<8x16xf32>, tensor<4x16xf32>
}

// -----

// Prefill: every one of 2 query tiles re-reads all 4 key tiles. Fusing would
// compute the producer twice, so it stays outside.

// CHECK-LABEL: func.func @not_fused_when_reread
// CHECK:       %[[G:.*]] = linalg.generic
// CHECK:       scf.for
// CHECK:         scf.for
// CHECK:           tensor.extract_slice %[[G]]
// CHECK-NOT:       linalg.generic
#id = affine_map<(i, j) -> (i, j)>
func.func @not_fused_when_reread(%x: tensor<32x16xf32>, %acc0: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %empty = tensor.empty() : tensor<32x16xf32>
  %g = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
       ins(%x : tensor<32x16xf32>) outs(%empty : tensor<32x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<32x16xf32>
  %r = scf.for %qi = %c0 to %c2 step %c1 iter_args(%acc = %acc0) -> tensor<8x16xf32> {
    %r2 = scf.for %i = %c0 to %c4 step %c1 iter_args(%acc2 = %acc) -> tensor<8x16xf32> {
      %off = arith.muli %i, %c8 : index
      %t = tensor.extract_slice %g[%off, 0] [8, 16] [1, 1] : tensor<32x16xf32> to tensor<8x16xf32>
      %a = arith.addf %acc2, %t : tensor<8x16xf32>
      scf.yield %a : tensor<8x16xf32>
    }
    scf.yield %r2 : tensor<8x16xf32>
  }
  return %r : tensor<8x16xf32>
}
