// RUN: attn-opt %s --attn-lower-embedding-gate --split-input-file | FileCheck %s

// RMS: up-projection, then the gate row gathered in place (tensor.extract at
// ids[b, t], the id itself read in the body at the row's indices) and
// multiplied, then the mean of squares, its reciprocal square root once per
// row, and the scaled product.

// CHECK-LABEL: func.func @rms
// CHECK-SAME:    %[[C:[^:]*]]: tensor<2x8x4xf32>, %[[IDS:[^:]*]]: tensor<2x8xi32>, %[[TABLE:[^:]*]]: tensor<50x16xf32>, %[[WU:[^:]*]]: tensor<4x16xf32>, %[[NW:[^:]*]]: tensor<16xf32>
// CHECK:       %[[UP:.*]] = linalg.generic {{.*}} ins(%[[C]], %[[WU]] : tensor<2x8x4xf32>, tensor<4x16xf32>)
// CHECK:       %[[GATED:.*]] = linalg.generic {{.*}} ins(%[[UP]] : tensor<2x8x16xf32>)
// CHECK:         %[[B:.*]] = linalg.index 0 : index
// CHECK:         %[[T:.*]] = linalg.index 1 : index
// CHECK:         %[[ID:.*]] = tensor.extract %[[IDS]][%[[B]], %[[T]]] : tensor<2x8xi32>
// CHECK:         %[[ROW:.*]] = arith.index_cast %[[ID]] : i32 to index
// CHECK:         %[[COL:.*]] = linalg.index 2 : index
// CHECK:         tensor.extract %[[TABLE]][%[[ROW]], %[[COL]]] : tensor<50x16xf32>
// CHECK:       %[[SUMSQ:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]{{.*}} ins(%[[GATED]], %{{.*}} : tensor<2x8x16xf32>, tensor<2x8xf32>)
// CHECK:         arith.subf
// CHECK:         arith.mulf
// CHECK:       %[[MS:.*]] = linalg.generic {{.*}} ins(%[[SUMSQ]] : tensor<2x8xf32>)
// CHECK:         arith.constant 1.600000e+01 : f32
// CHECK:       %[[INV:.*]] = linalg.generic {{.*}} ins(%[[MS]] : tensor<2x8xf32>)
// CHECK:         arith.constant 9.99999997E-7 : f32
// CHECK:         math.sqrt
// CHECK:         arith.divf
// CHECK:       linalg.generic {{.*}} ins(%[[GATED]], %{{.*}}, %[[INV]], %[[NW]] : tensor<2x8x16xf32>, tensor<2x8xf32>, tensor<2x8xf32>, tensor<16xf32>)
// CHECK-NOT:     math.sqrt
// CHECK-NOT:     arith.divf
// CHECK:         linalg.yield
func.func @rms(%c: tensor<2x8x4xf32>, %ids: tensor<2x8xi32>, %table: tensor<50x16xf32>,
               %w_u: tensor<4x16xf32>, %norm_w: tensor<16xf32>) -> tensor<2x8x16xf32> {
  %init = tensor.empty() : tensor<2x8x16xf32>
  %u = attn.embedding_gate latent(%c : tensor<2x8x4xf32>) ids(%ids : tensor<2x8xi32>)
         table(%table : tensor<50x16xf32>) up_projection(%w_u : tensor<4x16xf32>)
         norm_weight(%norm_w : tensor<16xf32>) outs(%init : tensor<2x8x16xf32>)
         norm = rms, epsilon = 1.0e-6 -> tensor<2x8x16xf32>
  return %u : tensor<2x8x16xf32>
}

// -----

// Layer norm subtracts the row mean first: one more row reduction.

// CHECK-LABEL: func.func @layer
// CHECK:       %[[GATED:.*]] = linalg.generic {{.*}} ins(%{{[^ ]*}} : tensor<1x4x8xf32>)
// CHECK:         tensor.extract %{{.*}} : tensor<1x4xi64>
// CHECK:       %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]{{.*}} ins(%[[GATED]] : tensor<1x4x8xf32>)
// CHECK:       %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<1x4xf32>)
// CHECK:       linalg.generic {{.*}} ins(%[[GATED]], %[[MEAN]] : tensor<1x4x8xf32>, tensor<1x4xf32>)
func.func @layer(%c: tensor<1x4x2xf32>, %ids: tensor<1x4xi64>, %table: tensor<9x8xf32>,
                 %w_u: tensor<2x8xf32>, %norm_w: tensor<8xf32>) -> tensor<1x4x8xf32> {
  %init = tensor.empty() : tensor<1x4x8xf32>
  %u = attn.embedding_gate latent(%c : tensor<1x4x2xf32>) ids(%ids : tensor<1x4xi64>)
         table(%table : tensor<9x8xf32>) up_projection(%w_u : tensor<2x8xf32>)
         norm_weight(%norm_w : tensor<8xf32>) outs(%init : tensor<1x4x8xf32>)
         norm = layer, epsilon = 1.0e-5 -> tensor<1x4x8xf32>
  return %u : tensor<1x4x8xf32>
}
