// RUN: %check-attention %s --function gla2 --variant latent --branches 0:2 --scale 0.17677669529663687 --causal
// RUN: %check-attention %s --function mlra2 --variant latent --branches 0:2,2:2 --weight 0.7071067811865476 --scale 0.17677669529663687 --causal
// RUN: attn-opt %s --attn-lower-latent-attention=form=expanded -o %t.expanded.mlir
// RUN: %check-attention %t.expanded.mlir --function mlra2 --variant latent --branches 0:2,2:2 --weight 0.7071067811865476 --scale 0.17677669529663687 --causal
// RUN: %check-attention %s --function mla_without_rope --variant latent --branches 0:1 --scale 0.17677669529663687 --causal
// RUN: %check-attention %t.expanded.mlir --function mla_without_rope --variant latent --branches 0:1 --scale 0.17677669529663687 --causal
// RUN: %check-attention %s --function mlra2_without_rope --variant latent --branches 0:2,2:2 --weight 0.7071067811865476 --scale 0.17677669529663687

// GLA-2: 8 heads, 2 latent blocks, head h reads block floor(h * 2 / 8).
// MLRA-2: 8 heads, 4 blocks, head h reads blocks {a, a + 2}, a = [h >= 4],
// weight 1/sqrt(2). S = 5 queries against T = 37 keys, causal.
// The same without a RoPE term: MLA (one block of 24) and MLRA-2, not causal.

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

func.func @mla_without_rope(%q_nope: tensor<1x5x8x16xf32>, %latent: tensor<1x37x24xf32>,
                            %w_uk: tensor<8x24x16xf32>, %w_uv: tensor<8x24x20xf32>) -> tensor<1x5x8x20xf32> {
  %init = tensor.empty() : tensor<1x5x8x20xf32>
  %o = attn.latent_attention
         queries(%q_nope : tensor<1x5x8x16xf32>)
         latent(%latent : tensor<1x37x24xf32>)
         up_projections(%w_uk, %w_uv : tensor<8x24x16xf32>, tensor<8x24x20xf32>)
         outs(%init : tensor<1x5x8x20xf32>) scale(0.17677669529663687 : f32) masking(causal)
         -> tensor<1x5x8x20xf32>
  return %o : tensor<1x5x8x20xf32>
}

func.func @mlra2_without_rope(%q_nope: tensor<1x5x8x16xf32>, %latent: tensor<1x37x4x24xf32>,
                              %w_uk: tensor<4x8x24x16xf32>, %w_uv: tensor<4x8x24x20xf32>) -> tensor<1x5x8x20xf32> {
  %init = tensor.empty() : tensor<1x5x8x20xf32>
  %o = attn.latent_attention
         queries(%q_nope : tensor<1x5x8x16xf32>)
         latent(%latent : tensor<1x37x4x24xf32>)
         up_projections(%w_uk, %w_uv : tensor<4x8x24x16xf32>, tensor<4x8x24x20xf32>)
         outs(%init : tensor<1x5x8x20xf32>) scale(0.17677669529663687 : f32)
         branches [#attn.latent_branch<first = 0, count = 2>, #attn.latent_branch<first = 2, count = 2>]
         weight(0.7071067811865476)
         -> tensor<1x5x8x20xf32>
  return %o : tensor<1x5x8x20xf32>
}
