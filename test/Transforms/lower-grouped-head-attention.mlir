// RUN: attn-opt %s --attn-lower-grouped-head-attention | FileCheck %s
// RUN: attn-opt %s --attn-lower-grouped-head-attention=query-tile=1 --canonicalize | FileCheck %s --check-prefix=TILED

// GTA with 4 score maps over 2 key heads and 1 latent value head: one core
// attention whose keys and values are grouped heads of the maps (no copies),
// then the decoder o @ ([I I] + w_vb) and the sigmoid gate on the output tile.

// CHECK-DAG:   #[[$O_BCAST:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
// CHECK-DAG:   #[[$W:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d2, d5, d3, d4)>
// CHECK-LABEL: func.func @gta
// CHECK-SAME:    %[[X:[^:]*]]: tensor<1x2x64xf32>, %[[Q:[^:]*]]: tensor<1x2x4x16xf32>, %[[K:[^:]*]]: tensor<1x32x2x16xf32>, %[[V:[^:]*]]: tensor<1x32x1x8xf32>, %[[WVB:[^:]*]]: tensor<4x8x16xf32>
// CHECK:       %[[O:.*]] = attn.attention queries(%[[Q]] : tensor<1x2x4x16xf32>) keys(%[[K]] : tensor<1x32x2x16xf32>) values(%[[V]] : tensor<1x32x1x8xf32>) outs(%{{.*}} : tensor<1x2x4x8xf32>) scale(2.500000e-01 : f32) masking(causal)
// CHECK:       %[[W4:.*]] = tensor.expand_shape %[[WVB]] {{\[\[}}0], [1], [2, 3]] output_shape [4, 8, 2, 8]
// CHECK:       %[[X5:.*]] = tensor.expand_shape %[[X]] {{\[\[}}0], [1], [2, 3, 4]] output_shape [1, 2, 4, 2, 8]
// CHECK:       %[[ID:.*]] = linalg.generic {indexing_maps = [#[[$O_BCAST]], #{{.*}}]{{.*}} ins(%[[O]] : tensor<1x2x4x8xf32>)
// CHECK:       %[[U:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #[[$W]], #{{.*}}]{{.*}} ins(%[[O]], %[[W4]] : tensor<1x2x4x8xf32>, tensor<4x8x2x8xf32>) outs(%[[ID]] : tensor<1x2x4x2x8xf32>)
// CHECK:       %[[Y:.*]] = linalg.generic {{.*}} ins(%[[X5]], %[[U]] : tensor<1x2x4x2x8xf32>, tensor<1x2x4x2x8xf32>)
// CHECK:         arith.negf
// CHECK:         math.exp
// CHECK:         arith.divf
// CHECK:         arith.mulf
// CHECK:       tensor.collapse_shape %[[Y]] {{\[\[}}0], [1], [2, 3, 4]] : tensor<1x2x4x2x8xf32> into tensor<1x2x64xf32>
// With query-tile=1 the gate is tiled over (batch, query) by upstream's
// tile-and-fuse driver, and the decoder and the attention are fused into the
// tile as producers: the attention tile (through its TilingInterface) is one
// query at its position in the causal frame. (The unit batch loop folds away.)
// TILED-LABEL: func.func @gta
// TILED-NOT:     attn.attention
// TILED:         scf.forall (%[[S:.*]]) in (2) shared_outs(%[[OUT:.*]] = %{{.*}})
// TILED:           %[[OT:.*]] = attn.attention queries(%{{.*}} : tensor<1x1x4x16xf32>) keys(%{{.*}} : tensor<1x32x2x16xf32>) values(%{{.*}} : tensor<1x32x1x8xf32>) outs(%{{.*}} : tensor<1x1x4x8xf32>)
// TILED-SAME:        masking(causal) positions(queries %[[S]] of 2, keys %{{.*}} of 32)
// TILED:           %[[IDT:.*]] = linalg.generic {{.*}} ins(%[[OT]] : tensor<1x1x4x8xf32>)
// TILED:           %[[UT:.*]] = linalg.generic {{.*}} ins(%[[OT]], %{{.*}} : tensor<1x1x4x8xf32>, tensor<4x8x2x8xf32>) outs(%[[IDT]] : tensor<1x1x4x2x8xf32>)
// TILED:           %[[YT:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[UT]] : tensor<1x1x4x2x8xf32>, tensor<1x1x4x2x8xf32>)
// TILED:             math.exp
// TILED:           tensor.parallel_insert_slice %[[YT]] into %[[OUT]][0, %[[S]], 0, 0, 0] [1, 1, 4, 2, 8]
// TILED-NOT:     attn.attention
// TILED:         tensor.collapse_shape
func.func @gta(%x: tensor<1x2x64xf32>, %q: tensor<1x2x4x16xf32>, %k: tensor<1x32x2x16xf32>,
               %v: tensor<1x32x1x8xf32>, %w_vb: tensor<4x8x16xf32>) -> tensor<1x2x64xf32> {
  %init = tensor.empty() : tensor<1x2x64xf32>
  %y = attn.grouped_head_attention queries(%q : tensor<1x2x4x16xf32>) keys(%k : tensor<1x32x2x16xf32>)
         values(%v : tensor<1x32x1x8xf32>) decoder(%w_vb : tensor<4x8x16xf32>)
         gate(%x : tensor<1x2x64xf32>) outs(%init : tensor<1x2x64xf32>)
         scale(0.25 : f32) masking(causal) -> tensor<1x2x64xf32>
  return %y : tensor<1x2x64xf32>
}
