// RUN: attn-opt %s --split-input-file --attn-shard=devices=4 --verify-diagnostics

// MLRA-2 over 4 devices: each branch reads two blocks, which would sit on
// two devices.
func.func @mlra2(%q_nope: tensor<1x1x8x16xf32>, %latent: tensor<1x37x4x24xf32>,
                 %w_uk: tensor<4x8x24x16xf32>, %w_uv: tensor<4x8x24x20xf32>) -> tensor<1x1x8x20xf32> {
  %init = tensor.empty() : tensor<1x1x8x20xf32>
  // expected-error @+1 {{'attn.latent_attention' op cannot be split over 4 devices: batch: operand #0 has extent 1 along dimension 0, which 4 devices do not divide; latent blocks: branch <first = 0, count = 2> reads blocks of two devices when 4 devices hold 1 blocks each}}
  %o = attn.latent_attention
         queries(%q_nope : tensor<1x1x8x16xf32>) latent(%latent : tensor<1x37x4x24xf32>)
         up_projections(%w_uk, %w_uv : tensor<4x8x24x16xf32>, tensor<4x8x24x20xf32>)
         outs(%init : tensor<1x1x8x20xf32>) scale(0.125 : f32)
         branches [#attn.latent_branch<first = 0, count = 2>, #attn.latent_branch<first = 2, count = 2>]
         weight(0.7071067811865476)
         -> tensor<1x1x8x20xf32>
  return %o : tensor<1x1x8x20xf32>
}

// -----

// GQA with 2 KV heads over 4 devices: a KV head's group would be split.
func.func @gqa(%q: tensor<1x8x5x32xf32>, %k: tensor<1x2x77x32xf32>, %v: tensor<1x2x77x32xf32>) -> tensor<1x8x5x32xf32> {
  %init = tensor.empty() : tensor<1x8x5x32xf32>
  // expected-error @+1 {{'attn.attention' op cannot be split over 4 devices: batch dimension d0: operand #0 has extent 1 along dimension 0, which 4 devices do not divide; batch dimension d1: operand #1 has extent 2 along dimension 1, which 4 devices do not divide}}
  %o = attn.attention queries(%q : tensor<1x8x5x32xf32>) keys(%k : tensor<1x2x77x32xf32>)
         values(%v : tensor<1x2x77x32xf32>) outs(%init : tensor<1x8x5x32xf32>)
         scale(0.17677669529663687 : f32)
         indexing_maps = [
           affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,
           affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]
         -> tensor<1x8x5x32xf32>
  return %o : tensor<1x8x5x32xf32>
}

// -----

// A grid of that name must be the one the devices describe.
// expected-error @+1 {{attn-shard: grid @tensor_parallel is not one-dimensional with 4 devices}}
shard.grid @tensor_parallel(shape = 2)
