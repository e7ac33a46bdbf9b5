// RUN: attn-opt %s --attn-lower-latent-attention --split-input-file | FileCheck %s --check-prefix=AUTO
// RUN: attn-opt %s --attn-lower-latent-attention=form=absorbed --split-input-file | FileCheck %s --check-prefix=ABSORBED
// RUN: attn-opt %s --attn-lower-latent-attention=form=expanded --split-input-file | FileCheck %s --check-prefix=EXPANDED

// MLA decode (S = 1): the cost model absorbs the queries. W_UK is applied to
// q_nope, the latent is both the first key and the value, the RoPE key gains
// a unit head dim and is shared by all heads, W_UV is applied last.

// AUTO-LABEL: func.func @mla_decode
// AUTO-SAME:    %[[QN:[^:]*]]: tensor<1x1x4x8xf32>, %[[QR:[^:]*]]: tensor<1x1x4x4xf32>, %[[C:[^:]*]]: tensor<1x256x64xf32>, %[[KR:[^:]*]]: tensor<1x256x4xf32>
// AUTO-DAG:    %[[C4:.*]] = tensor.expand_shape %[[C]] {{\[\[}}0], [1], [2, 3]] output_shape [1, 256, 1, 64]
// AUTO-DAG:    %[[KR4:.*]] = tensor.expand_shape %[[KR]] {{\[\[}}0], [1], [2, 3]] output_shape [1, 256, 1, 4]
// AUTO:        %[[WUK:.*]] = tensor.extract_slice %{{.*}}[0, 0, 0, 0] [1, 4, 64, 8] [1, 1, 1, 1] : tensor<1x4x64x8xf32> to tensor<4x64x8xf32>
// AUTO:        %[[QA:.*]] = linalg.generic {{.*}} ins(%[[QN]], %[[WUK]] : tensor<1x1x4x8xf32>, tensor<4x64x8xf32>) outs(%{{.*}} : tensor<1x1x4x64xf32>)
// AUTO:        %[[BLOCK:.*]] = tensor.extract_slice %[[C4]][0, 0, 0, 0] [1, 256, 1, 64] [1, 1, 1, 1]
// AUTO:        %[[Z:.*]] = attn.attention queries(%[[QA]], %[[QR]] : tensor<1x1x4x64xf32>, tensor<1x1x4x4xf32>) keys(%[[BLOCK]], %[[KR4]] : tensor<1x256x1x64xf32>, tensor<1x256x1x4xf32>) values(%[[BLOCK]] : tensor<1x256x1x64xf32>)
// AUTO-SAME:     scale(1.800000e-01 : f32) masking(causal)
// AUTO:        linalg.generic {{.*}} ins(%[[Z]], %{{.*}} : tensor<1x1x4x64xf32>, tensor<4x64x8xf32>)
// AUTO-NOT:    attn.latent_attention

// EXPANDED-LABEL: func.func @mla_decode
// EXPANDED:       %[[K:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x4x256x8xf32>)
// EXPANDED:       %[[V:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x4x256x8xf32>)
// EXPANDED:       attn.attention queries(%{{.*}}, %{{.*}} : tensor<1x1x4x8xf32>, tensor<1x1x4x4xf32>) keys(%[[K]], %{{.*}} : tensor<1x4x256x8xf32>, tensor<1x256x1x4xf32>) values(%[[V]] : tensor<1x4x256x8xf32>)
func.func @mla_decode(%q_nope: tensor<1x1x4x8xf32>, %q_rope: tensor<1x1x4x4xf32>,
                      %latent: tensor<1x256x64xf32>, %k_rope: tensor<1x256x4xf32>,
                      %w_uk: tensor<4x64x8xf32>, %w_uv: tensor<4x64x8xf32>) -> tensor<1x1x4x8xf32> {
  %init = tensor.empty() : tensor<1x1x4x8xf32>
  %o = attn.latent_attention queries(%q_nope, %q_rope : tensor<1x1x4x8xf32>, tensor<1x1x4x4xf32>)
         latent(%latent, %k_rope : tensor<1x256x64xf32>, tensor<1x256x4xf32>)
         up_projections(%w_uk, %w_uv : tensor<4x64x8xf32>, tensor<4x64x8xf32>)
         outs(%init : tensor<1x1x4x8xf32>) scale(0.18 : f32) masking(causal) -> tensor<1x1x4x8xf32>
  return %o : tensor<1x1x4x8xf32>
}

// -----

// MLA prefill (S = T = 256): the cost model up-projects K and V per head,
// head-major ([B, H, T, d]).

// AUTO-LABEL: func.func @mla_prefill
// AUTO:       linalg.generic {{.*}} outs(%{{.*}} : tensor<1x4x256x8xf32>)
// AUTO:       linalg.generic {{.*}} outs(%{{.*}} : tensor<1x4x256x8xf32>)
// AUTO:       attn.attention queries(%{{.*}}, %{{.*}} : tensor<1x256x4x8xf32>, tensor<1x256x4x4xf32>) keys(%{{.*}}, %{{.*}} : tensor<1x4x256x8xf32>, tensor<1x256x1x4xf32>)

// ABSORBED-LABEL: func.func @mla_prefill
// ABSORBED:       attn.attention queries(%{{.*}}, %{{.*}} : tensor<1x256x4x64xf32>, tensor<1x256x4x4xf32>) keys(%{{.*}}, %{{.*}} : tensor<1x256x1x64xf32>, tensor<1x256x1x4xf32>)
func.func @mla_prefill(%q_nope: tensor<1x256x4x8xf32>, %q_rope: tensor<1x256x4x4xf32>,
                       %latent: tensor<1x256x64xf32>, %k_rope: tensor<1x256x4xf32>,
                       %w_uk: tensor<4x64x8xf32>, %w_uv: tensor<4x64x8xf32>) -> tensor<1x256x4x8xf32> {
  %init = tensor.empty() : tensor<1x256x4x8xf32>
  %o = attn.latent_attention queries(%q_nope, %q_rope : tensor<1x256x4x8xf32>, tensor<1x256x4x4xf32>)
         latent(%latent, %k_rope : tensor<1x256x64xf32>, tensor<1x256x4xf32>)
         up_projections(%w_uk, %w_uv : tensor<4x64x8xf32>, tensor<4x64x8xf32>)
         outs(%init : tensor<1x256x4x8xf32>) scale(0.18 : f32) masking(causal) -> tensor<1x256x4x8xf32>
  return %o : tensor<1x256x4x8xf32>
}

// -----

// MLRA-2 absorbed: one core op per branch. Each reads two consecutive blocks,
// each block shared by half of the heads (grouped extent 2 along heads). The
// up-projections of heads h read block first + h / 2: built per group of two
// heads on a slice of W (so every map stays a projected permutation and
// vectorizes) and inserted back. The branch sum is scaled by the weight.

// ABSORBED-LABEL: func.func @mlra2
// ABSORBED-NOT:   floordiv
// ABSORBED:       tensor.extract_slice %{{.*}}[0, 0, 0, 0] [1, 2, 8, 8] [1, 1, 1, 1] : tensor<4x4x8x8xf32> to tensor<2x8x8xf32>
// ABSORBED:       tensor.extract_slice %{{.*}}[1, 2, 0, 0] [1, 2, 8, 8] [1, 1, 1, 1] : tensor<4x4x8x8xf32> to tensor<2x8x8xf32>
// ABSORBED:       %[[B0:.*]] = tensor.extract_slice %{{.*}}[0, 0, 0, 0] [1, 16, 2, 8] [1, 1, 1, 1]
// ABSORBED:       attn.attention {{.*}} keys(%[[B0]], %{{.*}} : tensor<1x16x2x8xf32>, tensor<1x16x1x4xf32>) values(%[[B0]] : tensor<1x16x2x8xf32>)
// ABSORBED:       tensor.extract_slice %{{.*}}[2, 0, 0, 0] [1, 2, 8, 8] [1, 1, 1, 1] : tensor<4x4x8x8xf32> to tensor<2x8x8xf32>
// ABSORBED:       tensor.extract_slice %{{.*}}[3, 2, 0, 0] [1, 2, 8, 8] [1, 1, 1, 1] : tensor<4x4x8x8xf32> to tensor<2x8x8xf32>
// ABSORBED:       %[[B2:.*]] = tensor.extract_slice %{{.*}}[0, 0, 2, 0] [1, 16, 2, 8] [1, 1, 1, 1]
// ABSORBED:       attn.attention {{.*}} keys(%[[B2]], %{{.*}} : tensor<1x16x2x8xf32>, tensor<1x16x1x4xf32>)
// ABSORBED:       arith.constant 0.707106769 : f32
func.func @mlra2(%q_nope: tensor<1x1x4x8xf32>, %q_rope: tensor<1x1x4x4xf32>,
                 %latent: tensor<1x16x4x8xf32>, %k_rope: tensor<1x16x4xf32>,
                 %w_uk: tensor<4x4x8x8xf32>, %w_uv: tensor<4x4x8x8xf32>) -> tensor<1x1x4x8xf32> {
  %init = tensor.empty() : tensor<1x1x4x8xf32>
  %o = attn.latent_attention queries(%q_nope, %q_rope : tensor<1x1x4x8xf32>, tensor<1x1x4x4xf32>)
         latent(%latent, %k_rope : tensor<1x16x4x8xf32>, tensor<1x16x4xf32>)
         up_projections(%w_uk, %w_uv : tensor<4x4x8x8xf32>, tensor<4x4x8x8xf32>)
         outs(%init : tensor<1x1x4x8xf32>) scale(0.25 : f32)
         branches [#attn.latent_branch<first = 0, count = 2>, #attn.latent_branch<first = 2, count = 2>]
         weight(0.70710678118654757) -> tensor<1x1x4x8xf32>
  return %o : tensor<1x1x4x8xf32>
}

// -----

// MLA without a RoPE term: one score term in either form.

// ABSORBED-LABEL: func.func @mla_without_rope
// ABSORBED:       %[[BLOCK:.*]] = tensor.extract_slice {{.*}} [1, 256, 1, 64]
// ABSORBED:       attn.attention queries(%{{.*}} : tensor<1x1x4x64xf32>) keys(%[[BLOCK]] : tensor<1x256x1x64xf32>) values(%[[BLOCK]] : tensor<1x256x1x64xf32>)

// EXPANDED-LABEL: func.func @mla_without_rope
// EXPANDED:       %[[K:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x4x256x8xf32>)
// EXPANDED:       %[[V:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x4x256x8xf32>)
// EXPANDED:       attn.attention queries(%{{.*}} : tensor<1x1x4x8xf32>) keys(%[[K]] : tensor<1x4x256x8xf32>) values(%[[V]] : tensor<1x4x256x8xf32>)
func.func @mla_without_rope(%q_nope: tensor<1x1x4x8xf32>, %latent: tensor<1x256x64xf32>,
                            %w_uk: tensor<4x64x8xf32>, %w_uv: tensor<4x64x8xf32>) -> tensor<1x1x4x8xf32> {
  %init = tensor.empty() : tensor<1x1x4x8xf32>
  %o = attn.latent_attention queries(%q_nope : tensor<1x1x4x8xf32>)
         latent(%latent : tensor<1x256x64xf32>)
         up_projections(%w_uk, %w_uv : tensor<4x64x8xf32>, tensor<4x64x8xf32>)
         outs(%init : tensor<1x1x4x8xf32>) scale(0.18 : f32) -> tensor<1x1x4x8xf32>
  return %o : tensor<1x1x4x8xf32>
}
