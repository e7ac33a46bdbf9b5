// The program one of 2 ranks runs for MLRA-2 and GLA-2 (attn-tensor-parallel).
// RUN: attn-opt %s --split-input-file --attn-tensor-parallel=devices=2 | FileCheck %s

// MLRA-2 by latent block: each rank keeps blocks {2r, 2r + 1}, which its
// one branch reads for all 8 heads; the branch outputs are summed.
// CHECK-LABEL: func.func @mlra2
// CHECK-SAME: %{{.*}}: tensor<1x37x2x24xf32>, %{{.*}}: tensor<1x37x16xf32>, %{{.*}}: tensor<2x8x24x16xf32>, %{{.*}}: tensor<2x8x24x20xf32>) -> tensor<1x5x8x20xf32>
// CHECK: %[[O:.*]] = attn.latent_attention {{.*}} branches [#attn.latent_branch<first = 0, count = 2>] weight(0.70710678118654757)
// CHECK: %[[SUM:.*]] = shard.all_reduce %[[O]] on @tensor_parallel grid_axes = [0]
// CHECK: return %[[SUM]]

func.func @mlra2(%q_nope: tensor<1x5x8x16xf32>, %q_rope: tensor<1x5x8x16xf32>,
                 %latent: tensor<1x37x4x24xf32>, %k_rope: tensor<1x37x16xf32>,
                 %w_uk: tensor<4x8x24x16xf32>, %w_uv: tensor<4x8x24x20xf32>) -> tensor<1x5x8x20xf32> {
  %init = tensor.empty() : tensor<1x5x8x20xf32>
  %o = attn.latent_attention
         queries(%q_nope, %q_rope : tensor<1x5x8x16xf32>, tensor<1x5x8x16xf32>)
         latent(%latent, %k_rope : tensor<1x37x4x24xf32>, tensor<1x37x16xf32>)
         up_projections(%w_uk, %w_uv : tensor<4x8x24x16xf32>, tensor<4x8x24x20xf32>)
         outs(%init : tensor<1x5x8x20xf32>) scale(0.17677669529663687 : f32) masking(causal)
         branches [#attn.latent_branch<first = 0, count = 2>, #attn.latent_branch<first = 2, count = 2>]
         weight(0.7071067811865476)
         -> tensor<1x5x8x20xf32>
  return %o : tensor<1x5x8x20xf32>
}

// -----

// GLA-2 by latent head: each rank keeps its block and the 4 heads that read
// it, takes its block of the up-projections at its grid index, and computes
// its heads' slice of the output.
// CHECK-LABEL: func.func @gla2
// CHECK-SAME: (%{{.*}}: tensor<1x5x4x16xf32>, %{{.*}}: tensor<1x5x4x16xf32>, %{{.*}}: tensor<1x37x1x24xf32>, %{{.*}}: tensor<1x37x16xf32>, %[[WK:.*]]: tensor<2x4x24x16xf32>, %[[WV:.*]]: tensor<2x4x24x20xf32>) -> tensor<1x5x4x20xf32>
// CHECK: %[[I:.*]] = shard.process_multi_index on @tensor_parallel axes = [0]
// CHECK: tensor.extract_slice %[[WK]][%[[I]], 0, 0, 0] [1, 4, 24, 16]
// CHECK: tensor.extract_slice %[[WV]][%[[I]], 0, 0, 0] [1, 4, 24, 20]
// CHECK: %[[O:.*]] = attn.latent_attention {{.*}} branches [#attn.latent_branch<first = 0, count = 1>]
// CHECK-NOT: shard.all_
// CHECK: return %[[O]]

func.func @gla2(%q_nope: tensor<1x5x8x16xf32>, %q_rope: tensor<1x5x8x16xf32>,
                %latent: tensor<1x37x2x24xf32>, %k_rope: tensor<1x37x16xf32>,
                %w_uk: tensor<2x8x24x16xf32>, %w_uv: tensor<2x8x24x20xf32>) -> tensor<1x5x8x20xf32> {
  %init = tensor.empty() : tensor<1x5x8x20xf32>
  %o = attn.latent_attention
         queries(%q_nope, %q_rope : tensor<1x5x8x16xf32>, tensor<1x5x8x16xf32>)
         latent(%latent, %k_rope : tensor<1x37x2x24xf32>, tensor<1x37x16xf32>)
         up_projections(%w_uk, %w_uv : tensor<2x8x24x16xf32>, tensor<2x8x24x20xf32>)
         outs(%init : tensor<1x5x8x20xf32>) scale(0.17677669529663687 : f32) masking(causal)
         branches [#attn.latent_branch<first = 0, count = 2>]
         -> tensor<1x5x8x20xf32>
  return %o : tensor<1x5x8x20xf32>
}
